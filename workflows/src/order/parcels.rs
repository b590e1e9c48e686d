//! Delivering an order that was filled from one warehouse or several: one
//! parcel per warehouse, each packed by its own warehouse, booked with the
//! carrier and followed by its own `ShipmentWorkflow`
//! (`shipment-{order}-{n}`).
//!
//! The parcels move independently, so the order waits for whatever comes
//! next (a pack request for any parcel, a carrier update for any parcel, a
//! cancel) in one loop. The order is `shipped` when its first parcel
//! leaves and `delivered` when the last one is; a parcel that cannot be
//! booked or comes back refunds only its own lines and gives back only its
//! own stock, and the customer is told which items. An order whose every
//! parcel came back ends cancelled, through the usual compensations.
//!
//! Orders placed before the split (no parcels) keep the single-parcel path
//! in `lifecycle`.

use chrono::{DateTime, Utc};
use temporalio_sdk::{ChildWorkflowOptions, WorkflowResult};

use orderly_domain::{
    Address, Allocation, Fulfillment, Money, NotificationKind, OrderStatus, ParcelStatus,
    ParcelView, ShipmentStatus, ShipmentView,
};

use super::lifecycle::{
    Ctx, Ending, OPERATOR_CANCEL, Portion, collect_cash, notify, notify_shipment, now, persist,
    settle,
};
use super::options;
use super::state::OrderWorkflow;
use crate::contract::{
    BookedShipment, BookingOutcome, BookingRequest, OrderActivities, ParcelStock, PaymentOp,
    ShipmentInput, ShipmentProgress, shipment_workflow_id,
};
use crate::shipment::ShipmentWorkflow;

/// Takes the warehouses' allocation into the order: the parcels of a
/// delivery, or the counter a pickup is collected at.
pub(super) fn allocate(workflow: &mut OrderWorkflow, allocations: Vec<Allocation>) {
    match &mut workflow.order.fulfillment {
        Fulfillment::Delivery { .. } => {
            workflow.parcels = allocations
                .into_iter()
                .zip(1..)
                .map(|(allocation, id)| ParcelView {
                    id,
                    warehouse_id: allocation.warehouse_id,
                    items: allocation.lines.into_iter().map(Into::into).collect(),
                    status: ParcelStatus::AwaitingPacking,
                    tracking_id: None,
                    carrier: None,
                    last_location: None,
                    refunded: None,
                })
                .collect();
        }
        Fulfillment::Pickup { warehouse_id } => {
            if warehouse_id.is_none() {
                *warehouse_id = allocations.first().map(|a| a.warehouse_id);
            }
        }
    }
}

/// A cancel the order can still honour: asked for, and no parcel left.
fn cancel_pending(s: &OrderWorkflow) -> bool {
    s.cancel_reason.is_some() && !s.parcels.iter().any(|p| p.status.has_left())
}

pub(super) async fn ship(ctx: &mut Ctx, address: Address) -> WorkflowResult<Ending> {
    let mut children = Vec::new();
    // Where the last parcel was delivered, for the order's last entry.
    let mut delivered_at = String::new();
    loop {
        let woke = ctx
            .wait_condition(|s: &OrderWorkflow| {
                cancel_pending(s) || !s.pack_requests.is_empty() || !s.shipment_updates.is_empty()
            })
            .await;
        if woke.is_err() {
            return Ok(Ending::Cancel(OPERATOR_CANCEL.to_owned()));
        }
        if ctx.state(cancel_pending) {
            let reason = ctx.state(|s| s.cancel_reason.clone()).unwrap_or_default();
            return Ok(Ending::Cancel(reason));
        }
        if let Some(number) = ctx.state_mut(|s| s.pack_requests.pop_first()) {
            if let Some(shipment) = pack_and_book(ctx, &address, number).await? {
                // The shipment workflow exists before anyone can see the
                // tracking id, so the carrier's first webhook always finds it.
                let input = ctx.state(|s| shipment_input(s, number, &shipment));
                let id = shipment_workflow_id(input.order_id, number);
                let child = ctx
                    .start_child_workflow(
                        ShipmentWorkflow::run,
                        input,
                        ChildWorkflowOptions::workflow_id(id),
                    )
                    .await?;
                children.push(child);
                handed_over(ctx, number, &shipment).await?;
            }
        } else if let Some(progress) = ctx.state_mut(|s| s.shipment_updates.pop_front()) {
            match follow(ctx, progress).await? {
                Followed::Going => {}
                Followed::Delivered(place) => delivered_at = place,
                Followed::Ended(ending) => return Ok(ending),
            }
        }
        if ctx.state(|s| s.parcels.iter().all(|p| p.status.is_final())) {
            let ending = conclude(ctx, &delivered_at).await?;
            for child in children {
                child.result().await?;
            }
            return Ok(ending);
        }
    }
}

/// "shipment 1 of 2 " for a split order, nothing for a single parcel, so
/// a one-warehouse order reads as it always did.
fn which(number: u32, count: usize) -> String {
    if count > 1 {
        format!("shipment {number} of {count} ")
    } else {
        String::new()
    }
}

fn set_status(ctx: &mut Ctx, number: u32, status: ParcelStatus) {
    ctx.state_mut(|s| {
        if let Some(parcel) = s.parcel_mut(number) {
            parcel.status = status;
        }
    });
}

/// Packs parcel `number`, books it with the carrier and takes its stock
/// off the shelf. `None` when it was not sent.
async fn pack_and_book(
    ctx: &mut Ctx,
    placed_address: &Address,
    number: u32,
) -> WorkflowResult<Option<BookedShipment>> {
    let Some(parcel) = ctx.state(|s| s.parcel(number).cloned()) else {
        return Ok(None);
    };
    if parcel.status != ParcelStatus::AwaitingPacking {
        return Ok(None);
    }
    let count = ctx.state(|s| s.parcels.len());
    let at = now(ctx);
    ctx.state_mut(|s| {
        if let Some(p) = s.parcel_mut(number) {
            p.status = ParcelStatus::Packed;
        }
        let status = match s.status {
            OrderStatus::Paid => OrderStatus::Packed,
            other => other,
        };
        s.record(status, at, format!("{}packed", which(number, count)));
    });
    persist(ctx).await?;

    // The address the order has now: an edit before packing may have
    // changed the one it was placed with.
    let (order_id, address) = ctx.state(|s| {
        let address = match &s.order.fulfillment {
            Fulfillment::Delivery { address } => address.clone(),
            Fulfillment::Pickup { .. } => placed_address.clone(),
        };
        (s.order.order_id, address)
    });
    let request = BookingRequest {
        order_id,
        shipment_number: number,
        warehouse_id: Some(parcel.warehouse_id),
        address,
        idempotency_key: format!("order:{order_id}:shipment:{number}"),
    };
    let shipment = match book(ctx, request).await {
        Ok(shipment) => shipment,
        Err(reason) => {
            not_sent(ctx, number, reason).await?;
            return Ok(None);
        }
    };
    let stock = ParcelStock {
        order_id,
        warehouse_id: parcel.warehouse_id,
        part: 0,
    };
    ctx.execute_local_activity(OrderActivities::commit_parcel, stock, options::database())
        .await?;
    Ok(Some(shipment))
}

/// Books a shipment with the carrier; `Err` says why it was not booked.
pub(super) async fn book(ctx: &mut Ctx, request: BookingRequest) -> Result<BookedShipment, String> {
    let timings = ctx.state(|s| s.order.timings.clone());
    let booked = ctx
        .execute_local_activity(
            OrderActivities::book_shipment,
            request,
            options::booking(&timings),
        )
        .await;
    match booked {
        Ok(BookingOutcome::Booked(shipment)) => Ok(shipment),
        Ok(BookingOutcome::Rejected { reason }) => {
            Err(format!("the carrier refused the shipment: {reason}"))
        }
        Err(err) => Err(format!("the shipment could not be booked: {err}")),
    }
}

/// What the `ShipmentWorkflow` following shipment `number` starts from.
pub(super) fn shipment_input(
    s: &OrderWorkflow,
    number: u32,
    shipment: &BookedShipment,
) -> ShipmentInput {
    ShipmentInput {
        order_id: s.order.order_id,
        shipment_number: number,
        tracking_id: shipment.tracking_id,
        carrier: shipment.carrier.clone(),
        carrier_silence_secs: s.order.timings.carrier_silence_secs,
        history_limit: s.order.timings.shipment_history_limit,
        resumed: None,
    }
}

/// Records that parcel `number` is with the carrier.
async fn handed_over(ctx: &mut Ctx, number: u32, shipment: &BookedShipment) -> WorkflowResult<()> {
    let count = ctx.state(|s| s.parcels.len());
    let at = now(ctx);
    ctx.state_mut(|s| {
        if let Some(p) = s.parcel_mut(number) {
            p.status = ParcelStatus::Booked;
            p.tracking_id = Some(shipment.tracking_id);
            p.carrier = Some(shipment.carrier.clone());
        }
        if s.shipment.is_none() {
            s.shipment = Some(ShipmentView {
                tracking_id: shipment.tracking_id,
                carrier: shipment.carrier.clone(),
                status: ShipmentStatus::Booked,
                last_location: None,
            });
        }
        let status = match s.status {
            OrderStatus::Paid | OrderStatus::Packed => OrderStatus::Shipped,
            other => other,
        };
        let what = if count > 1 {
            format!("{number} of {count} shipments handed to")
        } else {
            "handed to".to_owned()
        };
        s.record(
            status,
            at,
            format!(
                "{what} {} with tracking id {}",
                shipment.carrier, shipment.tracking_id
            ),
        );
    });
    persist(ctx).await?;
    notify_shipment(ctx, NotificationKind::Shipped, number).await;
    Ok(())
}

/// What one carrier change did to the order.
enum Followed {
    Going,
    /// A parcel arrived; where (" at Pune hub", or empty).
    Delivered(String),
    Ended(Ending),
}

/// Applies one carrier change the shipment workflow accepted.
async fn follow(ctx: &mut Ctx, progress: ShipmentProgress) -> WorkflowResult<Followed> {
    let number = progress.shipment_number;
    let event = progress.event;
    let count = ctx.state(|s| s.parcels.len());
    let at = now(ctx);
    let place = event.place();
    let prefix = which(number, count);
    ctx.state_mut(|s| {
        if let Some(parcel) = s.parcel_mut(number) {
            parcel.status = event.status.into();
            if let Some(location) = &event.location {
                parcel.last_location = Some(location.as_str().to_owned());
            }
        }
        if let Some(shipment) = s.shipment.as_mut()
            && Some(shipment.tracking_id)
                == s.parcels
                    .iter()
                    .find(|p| p.id == number)
                    .and_then(|p| p.tracking_id)
        {
            shipment.status = event.status;
            if let Some(location) = &event.location {
                shipment.last_location = Some(location.as_str().to_owned());
            }
        }
    });
    match event.status {
        ShipmentStatus::Booked => {}
        ShipmentStatus::InTransit | ShipmentStatus::FailedAttempt => {
            let what = match event.status {
                ShipmentStatus::InTransit => "in transit",
                _ => "delivery attempt failed",
            };
            ctx.state_mut(|s| s.record(s.status, at, format!("{prefix}{what}{place}")));
            persist(ctx).await?;
        }
        ShipmentStatus::OutForDelivery => {
            ctx.state_mut(|s| {
                let status = match s.status {
                    OrderStatus::Shipped => OrderStatus::OutForDelivery,
                    other => other,
                };
                s.record(status, at, format!("{prefix}out for delivery{place}"))
            });
            persist(ctx).await?;
            notify_shipment(ctx, NotificationKind::OutForDelivery, number).await;
        }
        ShipmentStatus::Delivered => {
            if count > 1 {
                ctx.state_mut(|s| {
                    s.record(
                        s.status,
                        at,
                        format!("{number} of {count} shipments delivered{place}"),
                    )
                });
                persist(ctx).await?;
            }
            return Ok(Followed::Delivered(place));
        }
        ShipmentStatus::Returned => {
            let (order_id, warehouse_id) =
                ctx.state(|s| (s.order.order_id, s.parcel(number).map(|p| p.warehouse_id)));
            if let Some(warehouse_id) = warehouse_id {
                let stock = ParcelStock {
                    order_id,
                    warehouse_id,
                    part: 0,
                };
                ctx.execute_local_activity(
                    OrderActivities::restock_parcel,
                    stock,
                    options::database(),
                )
                .await?;
            }
            if count == 1 {
                return Ok(Followed::Ended(Ending::Cancel(
                    "the parcel was returned by the carrier".into(),
                )));
            }
            came_back(
                ctx,
                number,
                format!("shipment {number} of {count} was returned by the carrier"),
            )
            .await?;
        }
    }
    Ok(Followed::Going)
}

/// A parcel that could not be booked: its stock goes back, its lines are
/// refunded. For a single-parcel order that ends the order, as it always
/// did.
async fn not_sent(ctx: &mut Ctx, number: u32, reason: String) -> WorkflowResult<()> {
    let (order_id, warehouse_id, count) = ctx.state(|s| {
        (
            s.order.order_id,
            s.parcel(number).map(|p| p.warehouse_id),
            s.parcels.len(),
        )
    });
    if count == 1 {
        // The order's compensations give it all back.
        set_status(ctx, number, ParcelStatus::Cancelled);
        ctx.state_mut(|s| {
            if s.cancel_reason.is_none() {
                s.cancel_reason = Some(reason);
            }
        });
        return Ok(());
    }
    if let Some(warehouse_id) = warehouse_id {
        let stock = ParcelStock {
            order_id,
            warehouse_id,
            part: 0,
        };
        ctx.execute_local_activity(OrderActivities::release_parcel, stock, options::database())
            .await?;
    }
    came_back(
        ctx,
        number,
        format!("shipment {number} of {count} was not sent: {reason}"),
    )
    .await
}

/// Refunds what a parcel that will not arrive was paid for and tells the
/// customer which items.
async fn came_back(ctx: &mut Ctx, number: u32, detail: String) -> WorkflowResult<()> {
    set_status(ctx, number, ParcelStatus::Returned);
    let owed = ctx.state(|s| {
        let value = s.parcel(number).map(|p| s.parcel_value(p))?;
        let refundable = s.refundable_now();
        let amount = value.amount.min(refundable.amount);
        (amount > 0).then(|| Portion {
            amount: Money::new(amount, value.currency),
            part: format!("shipment-{number}"),
        })
    });
    let mut refunded = None;
    if let Some(portion) = owed
        && settle(ctx, PaymentOp::Refund, Some(&portion), "refund_failed").await
    {
        refunded = Some(portion.amount);
    }
    let at = now(ctx);
    ctx.state_mut(|s| {
        if let Some(parcel) = s.parcel_mut(number) {
            parcel.refunded = refunded;
        }
        let detail = match refunded {
            Some(amount) => format!("{detail}; {amount} refunded for its items"),
            None => detail,
        };
        s.record(s.status, at, detail);
    });
    persist(ctx).await?;
    notify_shipment(ctx, NotificationKind::ShipmentReturned, number).await;
    Ok(())
}

/// Every parcel is delivered or came back: the order ends.
async fn conclude(ctx: &mut Ctx, delivered_at: &str) -> WorkflowResult<Ending> {
    let (delivered, count) = ctx.state(|s| {
        (
            s.parcels
                .iter()
                .filter(|p| p.status == ParcelStatus::Delivered)
                .cloned()
                .collect::<Vec<_>>(),
            s.parcels.len(),
        )
    });
    if delivered.is_empty() {
        let reason = ctx.state(|s| s.cancel_reason.clone());
        return Ok(Ending::Cancel(reason.unwrap_or_else(|| {
            "no shipment of the order could be delivered".into()
        })));
    }
    if ctx.state(|s| s.authorized_uncaptured()) {
        // Cash is collected for what arrived.
        let amount = ctx.state(|s| {
            let currency = s.order.total.currency;
            let sum = delivered.iter().map(|p| s.parcel_value(p).amount).sum();
            Money::new(sum, currency)
        });
        let portion = (count > 1 && amount != ctx.state(|s| s.order.total)).then(|| Portion {
            amount,
            part: "delivered".into(),
        });
        collect_cash(ctx, portion.as_ref()).await?;
    }
    let at: DateTime<Utc> = now(ctx);
    ctx.state_mut(|s| {
        let detail = if count > 1 {
            format!("delivered: {} of {count} shipments", delivered.len())
        } else {
            format!("delivered{delivered_at}")
        };
        s.record(OrderStatus::Delivered, at, detail)
    });
    persist(ctx).await?;
    notify(ctx, NotificationKind::Delivered).await;
    Ok(Ending::Completed)
}

/// Calls off what a cancelled order had under way: parcels booked but not
/// yet moving are cancelled with the carrier, parcels not packed are
/// dropped.
pub(super) async fn call_off(ctx: &mut Ctx) -> WorkflowResult<()> {
    let order_id = ctx.state(|s| s.order.order_id);
    let parcels = ctx.state(|s| s.parcels.clone());
    for parcel in parcels {
        match (parcel.status, parcel.tracking_id, &parcel.carrier) {
            (ParcelStatus::AwaitingPacking | ParcelStatus::Packed, None, _) => {
                set_status(ctx, parcel.id, ParcelStatus::Cancelled);
            }
            (status, Some(tracking_id), Some(carrier)) if !status.is_final() => {
                let booked = BookedShipment {
                    tracking_id,
                    order_id,
                    carrier: carrier.clone(),
                    status: ShipmentStatus::Booked,
                };
                ctx.execute_local_activity(
                    OrderActivities::cancel_parcel,
                    booked,
                    options::database(),
                )
                .await?;
            }
            _ => {}
        }
    }
    Ok(())
}
