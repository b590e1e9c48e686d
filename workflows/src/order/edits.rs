//! Edits of an order between payment and packing: its lines, discounts,
//! total and delivery address change, as one new version of the order.
//!
//! The order's stock is revised first (the old holds given back and the
//! edited lines held, in one transaction, or nothing changes), then the
//! difference in money moves: charged to the card when the order costs
//! more, refunded when it costs less, collected at the door for cash on
//! delivery. A charge that fails revises the stock back, so a refused edit
//! leaves the order as it was. A cancel sent while an edit is applied waits
//! for it (see `lifecycle::compensate`), so it gives back what the edited
//! order holds and was charged.

use orderly_domain::{
    EditSettlement, Fulfillment, Money, NotificationKind, OrderAction, OrderLine, OrderVersion,
    PaymentMethod, ReserveOutcome,
};

use super::Refusal;
use super::lifecycle::{Ctx, Portion, alert, move_money, notify, now, persist};
use super::options;
use super::parcels;
use super::state::OrderWorkflow;
use crate::contract::{
    EditOutcome, OrderActivities, OrderEdit, PaymentOp, PlaceOrder, ReviseInput,
};

/// Patch: an edit of a cash-on-delivery order authorizes the difference
/// (or voids it, when the order costs less).
const COD_EDIT_AUTHORIZATION: &str = "cod-edit-authorization";

impl OrderWorkflow {
    /// Why `edit` cannot be applied now; `None` when it can (or it is a
    /// retry of an edit already applied).
    pub(crate) fn edit_refusal(&self, edit: &OrderEdit) -> Option<String> {
        if let Some(fingerprint) = self.edit_keys.get(&edit.key) {
            return (*fingerprint != edit.fingerprint)
                .then(|| "this Idempotency-Key was already used for another edit".into());
        }
        if edit.change.is_empty() {
            return Some("the edit changes nothing".into());
        }
        if self.editing {
            return Some("another edit of this order is being applied; try again".into());
        }
        if let Some(refusal) = OrderAction::Edit.refusal(&self.stage()) {
            return Some(refusal);
        }
        if !self.order.fulfillment.is_pickup() && self.parcels.is_empty() {
            return Some("this order was placed before orders could be edited".into());
        }
        if !self.refunds.is_empty() {
            return Some("part of the order was refunded; it can no longer be edited".into());
        }
        if edit.base_version != self.current_version() {
            return Some(
                "the order changed while the edit was being made; look at it again and retry"
                    .into(),
            );
        }
        if edit.items.is_empty() {
            return Some("an edit cannot take every line off the order".into());
        }
        let currency = self.order.total.currency;
        if edit.total.currency != currency
            || edit.items.iter().any(|l| l.subtotal.currency != currency)
        {
            return Some(format!("the order is priced in {currency}"));
        }
        if edit.address.is_some() && self.order.fulfillment.is_pickup() {
            return Some("a pickup order has no delivery address to change".into());
        }
        let method = self.order.payment.method();
        if edit.total.amount > self.order.total.amount
            && matches!(method, PaymentMethod::Upi | PaymentMethod::Netbanking)
        {
            return Some(format!(
                "an order paid by {method} can be edited to cost at most what was paid ({})",
                self.order.total
            ));
        }
        None
    }
}

/// Applies an edit the validator let through; answers once the stock and
/// the money have moved.
pub(super) async fn edit(ctx: &mut Ctx, edit: OrderEdit) -> Result<EditOutcome, Refusal> {
    if ctx.state(|s| s.edit_keys.contains_key(&edit.key)) {
        return Ok(EditOutcome::Applied(Box::new(ctx.state(|s| s.view()))));
    }
    // Edits accepted in the same workflow task all passed the validator
    // before any of them ran: the first to run takes the order, and the
    // others are refused here, checked again in the same step that takes it.
    let refusal = ctx.state_mut(|s| {
        let refusal = s.edit_refusal(&edit);
        if refusal.is_none() {
            s.editing = true;
        }
        refusal
    });
    if let Some(refusal) = refusal {
        return Err(refusal.into());
    }
    let outcome = apply(ctx, edit).await;
    ctx.state_mut(|s| s.editing = false);
    outcome
}

async fn apply(ctx: &mut Ctx, edit: OrderEdit) -> Result<EditOutcome, Refusal> {
    let (before, fulfillment) = ctx.state(|s| {
        let mut fulfillment = s.order.fulfillment.clone();
        if let (Some(new), Fulfillment::Delivery { address }) = (&edit.address, &mut fulfillment) {
            *address = new.clone();
        }
        (s.order.clone(), fulfillment)
    });
    let allocations = match revise(ctx, edit.items.clone(), &fulfillment).await? {
        ReserveOutcome::OutOfStock(shortage) => return Ok(EditOutcome::OutOfStock(shortage)),
        ReserveOutcome::Allocated(allocations) => allocations,
        ReserveOutcome::Reserved => Vec::new(),
    };
    if ctx.state(|s| s.cancel_reason.is_some()) {
        // The cancel waiting for this edit gives back what is held now.
        return Ok(EditOutcome::Refused(
            "the order was cancelled while the edit was being applied".into(),
        ));
    }
    let currency = before.total.currency;
    let difference = Money::new(edit.total.amount - before.total.amount, currency);
    let number = ctx.state(|s| s.current_version() + 1);
    let portion = Portion {
        amount: Money::new(difference.amount.abs(), currency),
        part: format!("edit-{number}"),
    };
    let settlement = if difference.amount == 0 {
        EditSettlement::Unchanged
    } else if before.payment.method() == PaymentMethod::Cod {
        if ctx.patched(COD_EDIT_AUTHORIZATION) {
            // The authorization follows the total, so the receipt says what
            // the courier collects and a cancel voids what was authorized.
            let op = if difference.amount > 0 {
                PaymentOp::Authorize
            } else {
                PaymentOp::Void
            };
            if let Err(reason) = move_money(ctx, op, Some(&portion)).await {
                return restore(ctx, &before, portion.amount, reason).await;
            }
        }
        EditSettlement::OnDelivery
    } else if difference.amount > 0 {
        if let Err(reason) = move_money(ctx, PaymentOp::Charge, Some(&portion)).await {
            return restore(ctx, &before, portion.amount, reason).await;
        }
        EditSettlement::Charged
    } else {
        refund_difference(ctx, &portion).await
    };
    let at = now(ctx);
    ctx.state_mut(|s| {
        if s.versions.is_empty() {
            let placed = s.placed_version();
            s.versions.push(placed);
        }
        s.order.items = edit.items;
        s.order.discounts = edit.discounts;
        s.order.total = edit.total;
        s.order.fulfillment = fulfillment;
        parcels::allocate(s, allocations);
        s.versions.push(OrderVersion {
            number,
            at,
            items: s.order.items.clone(),
            discounts: s.order.discounts.clone(),
            total: s.order.total,
            fulfillment: s.order.fulfillment.clone(),
            difference,
            settlement,
            change: edit.change.clone(),
        });
        s.edit_keys.insert(edit.key, edit.fingerprint);
        let status = s.status;
        s.record(
            status,
            at,
            format!(
                "edited (version {number}): {}{}",
                edit.change,
                money_words(settlement, portion.amount)
            ),
        );
    });
    persist(ctx).await?;
    notify(ctx, NotificationKind::OrderEdited).await;
    Ok(EditOutcome::Applied(Box::new(ctx.state(|s| s.view()))))
}

/// Refunds what an edit took off the total. A provider that keeps failing
/// does not hold the edit up: the edit stands, the refund is marked failed
/// and operators are alerted to pay it, as for a staff refund.
async fn refund_difference(ctx: &mut Ctx, portion: &Portion) -> EditSettlement {
    match move_money(ctx, PaymentOp::Refund, Some(portion)).await {
        Ok(()) => EditSettlement::Refunded,
        Err(reason) => {
            let order_id = ctx.state(|s| s.order.order_id);
            alert(
                ctx,
                "edit_refund_failed",
                format!(
                    "the refund of {} for an edit failed: {reason}",
                    portion.amount
                ),
                format!("order:{order_id}:edit_refund_failed:{}", portion.part),
            )
            .await;
            EditSettlement::RefundFailed
        }
    }
}

/// Holds the order's own lines again after the difference of an edit
/// could not be charged. The stock the edit gave back may have been taken
/// by another order meanwhile: then the order cannot go on as it was, and
/// it is cancelled (giving back what it holds and what was paid) with an
/// alert to operators.
async fn restore(
    ctx: &mut Ctx,
    before: &PlaceOrder,
    amount: Money,
    reason: String,
) -> Result<EditOutcome, Refusal> {
    if let ReserveOutcome::OutOfStock(shortage) =
        revise(ctx, before.items.clone(), &before.fulfillment).await?
    {
        let order_id = before.order_id;
        let detail = format!(
            "an edit's difference of {amount} was declined and {} of the order's own stock was taken meanwhile; the order is cancelled",
            shortage.sku
        );
        alert(
            ctx,
            "edit_restore_failed",
            detail,
            format!("order:{order_id}:edit_restore_failed"),
        )
        .await;
        ctx.state_mut(|s| {
            s.cancel_reason.get_or_insert_with(|| {
                "the order's stock could not be restored after an edit was declined".into()
            });
        });
        return Ok(EditOutcome::Refused(format!(
            "the difference of {amount} could not be charged ({reason}), and the order could not be restored: it is being cancelled"
        )));
    }
    Ok(EditOutcome::Refused(format!(
        "the difference of {amount} could not be charged ({reason}); the order is unchanged"
    )))
}

/// Holds `lines` for the order in place of what it holds, from where
/// `fulfillment` is served.
async fn revise(
    ctx: &mut Ctx,
    lines: Vec<OrderLine>,
    fulfillment: &Fulfillment,
) -> Result<ReserveOutcome, Refusal> {
    let input = ctx.state_mut(|s| {
        s.stock_revisions += 1;
        ReviseInput {
            order_id: s.order.order_id,
            revision: s.stock_revisions,
            lines,
            source: fulfillment.stock_source(),
        }
    });
    ctx.execute_local_activity(OrderActivities::revise_stock, input, options::database())
        .await
        .map_err(|err| format!("the order's stock could not be revised: {err}").into())
}

fn money_words(settlement: EditSettlement, amount: Money) -> String {
    match settlement {
        EditSettlement::Placed | EditSettlement::Unchanged => String::new(),
        EditSettlement::Charged => format!("; {amount} charged"),
        EditSettlement::Refunded => format!("; {amount} refunded"),
        EditSettlement::RefundFailed => {
            format!("; the refund of {amount} failed and operators were alerted")
        }
        EditSettlement::OnDelivery => "; the new total is collected on delivery".into(),
    }
}
