//! Exchanges, as the order carries them out: once staff approve a return
//! that asks for a replacement, the replacement is held (its own part of
//! the order's reservation, all from one warehouse), the difference is
//! charged, and it is booked, taken off the shelf and followed by its own
//! `ShipmentWorkflow` (`shipment-{order}-{n}`, numbered after the order's
//! parcels). Nothing is refunded for the returned units while the
//! replacement stands.
//!
//! Whatever stops the replacement (no stock, the charge declined, no
//! carrier) gives back what was held or charged and falls back to the
//! refund the return would have had; so does a replacement the carrier
//! brings back.

use temporalio_sdk::{ChildWorkflowOptions, ParentClosePolicy};

use orderly_domain::{
    ExchangeStatus, ExchangeView, Fulfillment, Money, ParcelStatus, ParcelView, ReserveOutcome,
    ReturnStatus, ReturnStep, ShipmentStatus, StockSource,
};

use super::lifecycle::{Ctx, Portion, alert, move_money, notify_return, now, persist, settle};
use super::returns::refund_return;
use super::state::OrderWorkflow;
use super::{options, parcels};
use crate::contract::{
    BookingRequest, OrderActivities, ParcelStock, PaymentOp, ReserveInput, ShipmentProgress,
    shipment_workflow_id,
};
use crate::shipment::ShipmentWorkflow;

impl OrderWorkflow {
    /// The return whose replacement travels as shipment `number`.
    fn exchange_of_shipment(&self, number: u32) -> Option<u32> {
        self.returns.iter().find_map(|r| {
            let parcel = r.exchange.as_ref()?.parcel.as_ref()?;
            (parcel.id == number).then_some(r.number)
        })
    }

    /// Whether a replacement is still on its way.
    pub(crate) fn exchange_in_transit(&self) -> bool {
        self.returns.iter().any(|r| {
            r.exchange
                .as_ref()
                .is_some_and(|e| e.status == ExchangeStatus::Shipped)
        })
    }

    /// The number the next shipment of the order takes: after its parcels
    /// and the replacements sent so far.
    fn next_shipment_number(&self) -> u32 {
        let exchanged = self
            .returns
            .iter()
            .filter_map(|r| r.exchange.as_ref()?.parcel.as_ref().map(|p| p.id));
        self.parcels
            .iter()
            .map(|p| p.id)
            .chain(exchanged)
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }

    fn exchange_mut(&mut self, number: u32) -> Option<&mut ExchangeView> {
        self.returns
            .iter_mut()
            .find(|r| r.number == number)?
            .exchange
            .as_mut()
    }
}

/// The difference an exchange charged, as a portion of the payment.
fn difference_of(number: u32, difference: Money) -> Portion {
    Portion {
        amount: difference,
        part: format!("exchange-{number}"),
    }
}

/// Sends the replacement of return `number`, approved just now, if it
/// asks for one. Falls back to a refund when it cannot be sent.
pub(super) async fn send(ctx: &mut Ctx, number: u32) {
    let Some((exchange, fulfillment, order_id)) = ctx.state(|s| {
        let exchange = s
            .return_by_number(number)?
            .exchange
            .clone()
            .filter(|e| e.status == ExchangeStatus::Requested)?;
        Some((exchange, s.order.fulfillment.clone(), s.order.order_id))
    }) else {
        return;
    };
    let Fulfillment::Delivery { address } = fulfillment else {
        fall_back(
            ctx,
            number,
            "a collected order's replacement has nowhere to go".into(),
        )
        .await;
        return;
    };
    let input = ReserveInput {
        order_id,
        lines: exchange.lines.clone(),
        source: Some(StockSource::OneParcelTo {
            postal_code: address.postal_code.clone(),
        }),
        part: number,
    };
    let held = ctx
        .execute_local_activity(OrderActivities::reserve_stock, input, options::database())
        .await;
    let mut allocation = match held {
        Ok(ReserveOutcome::Allocated(allocations)) if allocations.len() == 1 => allocations,
        Ok(ReserveOutcome::Allocated(allocations)) => {
            for allocation in allocations {
                let stock = ParcelStock {
                    order_id,
                    warehouse_id: allocation.warehouse_id,
                    part: number,
                };
                give_back(ctx, stock, None).await;
            }
            fall_back(
                ctx,
                number,
                "no one warehouse has all of the replacement".into(),
            )
            .await;
            return;
        }
        Ok(ReserveOutcome::OutOfStock(shortage)) => {
            let reason = format!(
                "{} is out of stock ({} wanted, {} left)",
                shortage.sku, shortage.requested, shortage.available
            );
            fall_back(ctx, number, reason).await;
            return;
        }
        Ok(ReserveOutcome::Reserved) => {
            fall_back(ctx, number, "the replacement could not be held".into()).await;
            return;
        }
        Err(err) => {
            // The customer reads the note; what went wrong inside is for
            // operators.
            alert(
                ctx,
                "exchange_unheld",
                format!("the replacement of return {number} could not be held: {err}"),
                format!("order:{order_id}:exchange_unheld:return-{number}"),
            )
            .await;
            fall_back(ctx, number, "the replacement could not be held".into()).await;
            return;
        }
    };
    let Some(allocation) = allocation.pop() else {
        return;
    };
    let stock = ParcelStock {
        order_id,
        warehouse_id: allocation.warehouse_id,
        part: number,
    };
    let portion = difference_of(number, exchange.difference);
    let charged = exchange.difference.amount > 0;
    if charged && let Err(reason) = move_money(ctx, PaymentOp::Charge, Some(&portion)).await {
        give_back(ctx, stock, None).await;
        let reason = format!(
            "the difference of {} could not be charged: {reason}",
            exchange.difference
        );
        fall_back(ctx, number, reason).await;
        return;
    }
    let shipment_number = ctx.state(OrderWorkflow::next_shipment_number);
    let request = BookingRequest {
        order_id,
        shipment_number,
        warehouse_id: Some(allocation.warehouse_id),
        address,
        idempotency_key: format!("order:{order_id}:shipment:{shipment_number}"),
    };
    let shipment = match parcels::book(ctx, request).await {
        Ok(shipment) => shipment,
        Err(reason) => {
            give_back(ctx, stock, charged.then_some(&portion)).await;
            fall_back(ctx, number, reason).await;
            return;
        }
    };
    let committed = ctx
        .execute_local_activity(OrderActivities::commit_parcel, stock, options::database())
        .await;
    if let Err(err) = committed {
        // The replacement is with the carrier either way; its stock still
        // held rather than taken off the shelf is for operators to settle.
        alert(
            ctx,
            "exchange_stock_uncommitted",
            format!(
                "the replacement of return {number} was booked as {} but its stock could not be taken off the shelf: {err}",
                shipment.tracking_id
            ),
            format!("order:{order_id}:exchange_stock_uncommitted:return-{number}"),
        )
        .await;
    }
    // The shipment workflow exists before anyone can see the tracking id,
    // so the carrier's first webhook always finds it.
    let input = ctx.state(|s| parcels::shipment_input(s, shipment_number, &shipment));
    // The order waits for the replacement to arrive or come back before it
    // closes; a shipment workflow still finishing then is left to finish.
    let mut following =
        ChildWorkflowOptions::workflow_id(shipment_workflow_id(order_id, shipment_number));
    following.parent_close_policy = ParentClosePolicy::Abandon;
    let started = ctx
        .start_child_workflow(ShipmentWorkflow::run, input, following)
        .await;
    if let Err(err) = started {
        alert(
            ctx,
            "exchange_unfollowed",
            format!(
                "the replacement of return {number} was booked as {} but its shipment could not be followed: {err}",
                shipment.tracking_id
            ),
            format!("order:{order_id}:exchange_unfollowed:return-{number}"),
        )
        .await;
    }
    let at = now(ctx);
    ctx.state_mut(|s| {
        if let Some(exchange) = s.exchange_mut(number) {
            exchange.status = ExchangeStatus::Shipped;
            exchange.parcel = Some(ParcelView {
                id: shipment_number,
                warehouse_id: allocation.warehouse_id,
                items: allocation.lines.into_iter().map(Into::into).collect(),
                status: ParcelStatus::Booked,
                tracking_id: Some(shipment.tracking_id),
                carrier: Some(shipment.carrier.clone()),
                last_location: None,
                refunded: None,
            });
        }
        let paid = if charged {
            format!("; {} charged", portion.amount)
        } else {
            String::new()
        };
        s.record(
            s.status,
            at,
            format!(
                "return {number}: replacement handed to {} with tracking id {}{paid}",
                shipment.carrier, shipment.tracking_id
            ),
        );
    });
    let _ = persist(ctx).await;
    notify_return(ctx, number).await;
}

/// Gives back the held replacement and the difference charged for it.
async fn give_back(ctx: &mut Ctx, stock: ParcelStock, charged: Option<&Portion>) {
    let _ = ctx
        .execute_local_activity(OrderActivities::release_parcel, stock, options::database())
        .await;
    if let Some(portion) = charged {
        settle(
            ctx,
            PaymentOp::Refund,
            Some(portion),
            "exchange_refund_failed",
        )
        .await;
    }
}

/// The replacement will not be sent: the return is refunded instead, as
/// if no exchange had been asked for.
async fn fall_back(ctx: &mut Ctx, number: u32, reason: String) {
    let at = now(ctx);
    ctx.state_mut(|s| {
        if let Some(exchange) = s.exchange_mut(number) {
            exchange.status = ExchangeStatus::FellBack;
            exchange.note = Some(reason.clone());
        }
        s.record(
            s.status,
            at,
            format!("return {number}: no replacement, it is refunded instead: {reason}"),
        );
    });
    let _ = persist(ctx).await;
    notify_return(ctx, number).await;
}

/// The returned goods of return `number` are settled (inspected, or not
/// collected): with a replacement standing, nothing is refunded and the
/// return is done. `false` when the return is to be refunded.
pub(super) async fn settled(ctx: &mut Ctx, number: u32) -> bool {
    let at = now(ctx);
    let exchanged = ctx.state_mut(|s| {
        let found = s.returns.iter_mut().find(|r| r.number == number)?;
        let exchange = found.exchange.as_ref()?;
        if !exchange.status.replaces_refund() {
            return None;
        }
        found.status = ReturnStatus::Exchanged;
        let detail = "exchanged: a replacement was sent instead of a refund".to_owned();
        found.steps.push(ReturnStep {
            status: ReturnStatus::Exchanged,
            at,
            detail: detail.clone(),
        });
        s.record(s.status, at, format!("return {number} {detail}"));
        Some(())
    });
    if exchanged.is_none() {
        return false;
    }
    let _ = persist(ctx).await;
    notify_return(ctx, number).await;
    true
}

/// Takes in what the carrier said of the replacements on their way.
/// Updates of any other shipment (all final by now) are dropped.
pub(super) async fn follow(ctx: &mut Ctx) {
    while let Some(progress) = ctx.state_mut(|s| s.shipment_updates.pop_front()) {
        if let Some(number) = ctx.state(|s| s.exchange_of_shipment(progress.shipment_number)) {
            track(ctx, number, progress).await;
        }
    }
}

async fn track(ctx: &mut Ctx, number: u32, progress: ShipmentProgress) {
    let event = progress.event;
    let at = now(ctx);
    let place = event.place();
    let moved = ctx.state_mut(|s| {
        let exchange = s.exchange_mut(number)?;
        if exchange.status != ExchangeStatus::Shipped {
            return None;
        }
        let parcel = exchange.parcel.as_mut()?;
        parcel.status = event.status.into();
        if let Some(location) = &event.location {
            parcel.last_location = Some(location.as_str().to_owned());
        }
        let warehouse_id = parcel.warehouse_id;
        let what = match event.status {
            ShipmentStatus::Booked => return Some(warehouse_id),
            ShipmentStatus::InTransit => "in transit",
            ShipmentStatus::FailedAttempt => "delivery attempt failed",
            ShipmentStatus::OutForDelivery => "out for delivery",
            ShipmentStatus::Delivered => {
                exchange.status = ExchangeStatus::Delivered;
                "delivered"
            }
            ShipmentStatus::Returned => {
                exchange.status = ExchangeStatus::CameBack;
                exchange.note = Some("the carrier brought the replacement back".into());
                "returned by the carrier; the return is refunded instead"
            }
        };
        s.record(
            s.status,
            at,
            format!("return {number}: replacement {what}{place}"),
        );
        Some(warehouse_id)
    });
    let Some(warehouse_id) = moved else {
        return;
    };
    let _ = persist(ctx).await;
    match event.status {
        ShipmentStatus::Delivered => notify_return(ctx, number).await,
        ShipmentStatus::Returned => came_back(ctx, number, warehouse_id).await,
        _ => {}
    }
}

/// The replacement is back on the shelf and paid back; the return is
/// refunded as it would have been without it (at once when its goods were
/// settled already, else once they are).
async fn came_back(ctx: &mut Ctx, number: u32, warehouse_id: orderly_domain::WarehouseId) {
    let (order_id, difference, settled) = ctx.state(|s| {
        let found = s.return_by_number(number);
        (
            s.order.order_id,
            found
                .and_then(|r| r.exchange.as_ref())
                .map(|e| e.difference),
            found.is_some_and(|r| r.status == ReturnStatus::Exchanged),
        )
    });
    let stock = ParcelStock {
        order_id,
        warehouse_id,
        part: number,
    };
    let _ = ctx
        .execute_local_activity(OrderActivities::restock_parcel, stock, options::database())
        .await;
    if let Some(difference) = difference.filter(|d| d.amount > 0) {
        let portion = difference_of(number, difference);
        settle(
            ctx,
            PaymentOp::Refund,
            Some(&portion),
            "exchange_refund_failed",
        )
        .await;
    }
    if settled {
        refund_return(ctx, number).await;
    } else {
        notify_return(ctx, number).await;
    }
}
