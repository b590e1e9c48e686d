//! Refunds staff make of part of an order, as updates of its workflow: the
//! workflow holds what was captured and what was given back, so pricing a
//! refund against it and holding the amount happen in one step that no
//! other refund, cancellation or returned parcel can interleave with.
//!
//! Cash on delivery is refunded by hand, as a payout the order keeps owing
//! until staff record it.

use orderly_domain::{
    Money, OrderStatus, PaymentMethod, PaymentStatus, RefundProblem, RefundStatus, RefundView,
    price_refund, refunded_units, units_in_open_returns,
};

use super::lifecycle::{Ctx, Portion, alert, move_money, notify_refund, now, persist};
use super::state::OrderWorkflow;
use crate::contract::{
    OrderActivities, PaymentOp, Payout, PayoutRecord, RefundOutcome, RefundRequest,
};

type Refusal = Box<dyn std::error::Error + Send + Sync>;

impl OrderWorkflow {
    /// A line `request` asks for more units of than are left once the
    /// units in open returns (other than its own) are set aside: those
    /// returns refund them.
    fn promised_to_returns(&self, request: &RefundRequest) -> Option<RefundProblem> {
        request.lines.iter().find_map(|line| {
            let item = self.order.items.iter().find(|i| i.sku == line.sku)?;
            let promised = units_in_open_returns(&self.returns, &line.sku, request.for_return);
            if promised == 0 {
                return None;
            }
            let left = item
                .quantity
                .get()
                .saturating_sub(refunded_units(&self.refunds, &line.sku))
                .saturating_sub(promised);
            (line.quantity.get() > left).then(|| RefundProblem::InOpenReturn {
                sku: line.sku.clone(),
                left,
            })
        })
    }

    /// Why the order takes no refund now, if it does not.
    pub(crate) fn refund_refusal(&self) -> Option<&'static str> {
        if self.refunds_closed {
            return Some("the order's refund window has closed");
        }
        if self.cancel_reason.is_some()
            || matches!(
                self.status,
                OrderStatus::Cancelled | OrderStatus::PaymentFailed
            )
        {
            return Some("the order is cancelled: its cancellation refunds what was paid");
        }
        if self.captured().amount == 0 {
            return Some("nothing was captured for this order yet; cancel it instead");
        }
        None
    }

    /// Why `payout` cannot be recorded, if it cannot.
    pub(crate) fn payout_refusal(&self, payout: &PayoutRecord) -> Option<String> {
        match self.refund_by_number(payout.number).map(|r| r.status) {
            None => Some(format!("the order has no refund {}", payout.number)),
            Some(RefundStatus::PayoutDue) if payout.reference.trim().is_empty() => {
                Some("a payout needs the reference it was made under".into())
            }
            Some(RefundStatus::PayoutDue) => None,
            Some(status) => Some(format!(
                "refund {} is {}, not a payout due",
                payout.number,
                status.as_str()
            )),
        }
    }
}

/// Makes the refund `request` asks for, or answers the refund made
/// earlier under its key.
pub(super) async fn refund(
    ctx: &mut Ctx,
    request: RefundRequest,
) -> Result<RefundOutcome, Refusal> {
    ctx.state_mut(|s| s.refund_handlers += 1);
    let outcome = make(ctx, request).await;
    ctx.state_mut(|s| s.refund_handlers -= 1);
    outcome
}

async fn make(ctx: &mut Ctx, request: RefundRequest) -> Result<RefundOutcome, Refusal> {
    if let Some((number, fingerprint)) = ctx.state(|s| s.refund_keys.get(&request.key).cloned()) {
        if fingerprint != request.fingerprint {
            return Ok(RefundOutcome::KeyReused);
        }
        ctx.wait_condition(move |s: &OrderWorkflow| {
            s.refund_by_number(number)
                .is_some_and(|r| r.status != RefundStatus::Pending)
        })
        .await
        .map_err(|_| "the order workflow was cancelled")?;
        return made(ctx, number);
    }
    let at = now(ctx);
    let cash = ctx.state(|s| s.order.payment.method() == PaymentMethod::Cod);
    // Priced and held in one step: nothing else runs between the two.
    let priced = ctx.state_mut(|s| {
        if let Some(problem) = s.promised_to_returns(&request) {
            return Err(problem);
        }
        let (lines, amount) = price_refund(
            &s.order.items,
            &s.order.discounts,
            &s.refunds,
            &request.lines,
            request.extra,
            s.refundable_now(),
        )?;
        let number = u32::try_from(s.refunds.len()).map_or(u32::MAX, |n| n.saturating_add(1));
        s.refunds.push(RefundView {
            number,
            amount,
            lines,
            extra: Money::new(request.extra, amount.currency),
            reason: request.reason.clone(),
            status: if cash {
                RefundStatus::PayoutDue
            } else {
                RefundStatus::Pending
            },
            requested_at: at,
            settled_at: None,
            reference: None,
            failure: None,
        });
        s.refund_keys
            .insert(request.key.clone(), (number, request.fingerprint.clone()));
        Ok((number, amount))
    });
    let (number, amount) = match priced {
        Ok(priced) => priced,
        Err(problem) => return Ok(RefundOutcome::Refused(problem)),
    };
    if cash {
        return payout_due(ctx, number, amount, &request.reason).await;
    }
    let portion = Portion {
        amount,
        part: refund_part(number),
    };
    let moved = move_money(ctx, PaymentOp::Refund, Some(&portion)).await;
    let at = now(ctx);
    ctx.state_mut(|s| {
        let reference = s.entries.last().map(|e| e.reference.clone());
        let detail = match &moved {
            Ok(()) => format!("refunded {amount}: {}", request.reason),
            Err(reason) => format!("refund of {amount} failed: {reason}"),
        };
        if let Some(refund) = s.refund_by_number_mut(number) {
            match &moved {
                Ok(()) => {
                    refund.status = RefundStatus::Refunded;
                    refund.reference = reference;
                    refund.settled_at = Some(at);
                }
                Err(reason) => {
                    refund.status = RefundStatus::Failed;
                    refund.failure = Some(reason.clone());
                }
            }
        }
        if moved.is_ok() && s.refundable().amount == 0 {
            s.payment_status = PaymentStatus::Refunded;
        }
        s.record(s.status, at, detail);
    });
    persist(ctx)
        .await
        .map_err(|_| "the order could not be recorded")?;
    match moved {
        Ok(()) => notify_refund(ctx, number).await,
        Err(reason) => {
            let order_id = ctx.state(|s| s.order.order_id);
            alert(
                ctx,
                "refund_failed",
                format!("refund {number} of {amount} failed: {reason}"),
                format!("order:{order_id}:refund_failed:{}", refund_part(number)),
            )
            .await;
        }
    }
    made(ctx, number)
}

/// Cash on delivery: the refund is owed, to be paid back by hand.
async fn payout_due(
    ctx: &mut Ctx,
    number: u32,
    amount: Money,
    reason: &str,
) -> Result<RefundOutcome, Refusal> {
    let at = now(ctx);
    let order_id = ctx.state_mut(|s| {
        s.record(
            s.status,
            at,
            format!("refund of {amount} due as a cash payout: {reason}"),
        );
        s.order.order_id
    });
    persist(ctx)
        .await
        .map_err(|_| "the order could not be recorded")?;
    alert(
        ctx,
        "cod_payout_due",
        format!("refund {number} of {amount} is to be paid back by hand"),
        format!("order:{order_id}:cod_payout_due:{}", refund_part(number)),
    )
    .await;
    notify_refund(ctx, number).await;
    made(ctx, number)
}

/// Records that staff paid a cash refund back.
pub(super) async fn record_payout(
    ctx: &mut Ctx,
    payout: PayoutRecord,
) -> Result<RefundView, Refusal> {
    ctx.state_mut(|s| s.refund_handlers += 1);
    let recorded = pay_out(ctx, payout).await;
    ctx.state_mut(|s| s.refund_handlers -= 1);
    recorded
}

async fn pay_out(ctx: &mut Ctx, payout: PayoutRecord) -> Result<RefundView, Refusal> {
    if let Some(refusal) = ctx.state(|s| s.payout_refusal(&payout)) {
        return Err(refusal.into());
    }
    let (order_id, amount) = ctx.state(|s| {
        let amount = s.refund_by_number(payout.number).map(|r| r.amount);
        (
            s.order.order_id,
            amount.unwrap_or(Money::zero(s.order.total.currency)),
        )
    });
    let entry = ctx
        .execute_local_activity(
            OrderActivities::record_payout,
            Payout {
                order_id,
                idempotency_key: format!("order:{order_id}:refund:{}", refund_part(payout.number)),
                amount,
                reference: payout.reference.trim().to_owned(),
            },
            super::options::database(),
        )
        .await
        .map_err(|err| format!("the payout could not be recorded: {err}"))?;
    let at = now(ctx);
    ctx.state_mut(|s| {
        if let Some(refund) = s.refund_by_number_mut(payout.number) {
            refund.status = RefundStatus::PaidOut;
            refund.reference = Some(entry.reference.clone());
            refund.settled_at = Some(at);
        }
        s.entries.push(entry);
        if s.refundable().amount == 0 {
            s.payment_status = PaymentStatus::Refunded;
        }
        s.record(
            s.status,
            at,
            format!("cash refund {} of {amount} paid back", payout.number),
        );
    });
    persist(ctx)
        .await
        .map_err(|_| "the order could not be recorded")?;
    ctx.state(|s| s.refund_by_number(payout.number).cloned())
        .ok_or_else(|| "the refund disappeared".into())
}

fn refund_part(number: u32) -> String {
    format!("refund-{number}")
}

fn made(ctx: &Ctx, number: u32) -> Result<RefundOutcome, Refusal> {
    ctx.state(|s| s.refund_by_number(number).cloned())
        .map(|refund| RefundOutcome::Made(Box::new(refund)))
        .ok_or_else(|| "the refund disappeared".into())
}
