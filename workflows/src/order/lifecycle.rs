//! The order's life, step by step: admission, payment, fulfilment, and the
//! compensations that undo what was done when it ends early.
//!
//! Every wait also wakes on a cancel request, so a cancel is honoured at any
//! point before the parcel is handed to the carrier. Temporal-level
//! cancellation (an operator cancelling the workflow in the Web UI) makes a
//! wait fail; that is treated as a cancel request too, and the compensations
//! still run because every activity has a detached cancellation token.

use std::time::Duration;

use futures::FutureExt;

use chrono::{DateTime, Utc};
use temporalio_sdk::{ChildWorkflowOptions, WorkflowContext, WorkflowResult, workflows::select};

use orderly_domain::{
    Fulfillment, Money, NotificationKind, OrderAction, OrderStatus, PaymentMethod, PaymentStatus,
    PaymentWebhookStatus, ShipmentStatus, ShipmentView,
};

use super::after_sale;
use super::options;
use super::parcels;
use super::state::OrderWorkflow;
use crate::contract::{
    Admission, BookedShipment, BookingRequest, CUSTOMER_ID_ATTRIBUTE, NotifyInput,
    ORDER_STATUS_ATTRIBUTE, OpsAlertInput, OrderActivities, OrderOutcome, PaymentOp,
    PaymentOutcome, PaymentStep, Recipient, ReserveInput, ReserveOutcome, shipment_workflow_id,
};
use crate::shipment::ShipmentWorkflow;

pub(super) type Ctx = WorkflowContext<OrderWorkflow>;

/// Why a wait ended.
pub(super) enum Wake {
    Ready,
    Cancel(String),
}

/// How long a rejected order waits for its `admit` update to collect the
/// answer before the workflow closes.
const ADMISSION_GRACE: Duration = Duration::from_secs(60);

pub(super) const OPERATOR_CANCEL: &str = "cancelled by an operator";

/// Patches (see the README's "Changing a running workflow safely"): orders
/// started before each one keep the old path.
const FREE_ORDERS_SKIP_PAYMENT: &str = "free-orders-skip-payment";
const HOLD_ON_AMOUNT_MISMATCH: &str = "hold-on-amount-mismatch";
const BOUNDED_COMPENSATION_RETRIES: &str = "bounded-compensation-retries";
const RECONCILE_BEFORE_COMPENSATING: &str = "reconcile-payments-before-compensating";
const CANCEL_BOOKED_PARCEL: &str = "cancel-booked-parcel";
const SPLIT_FULFILMENT: &str = "split-fulfilment";

/// The `OrderStatus` search attribute of a workflow whose order was turned
/// away for lack of stock (not an order status: no order exists).
const REJECTED_AT_PLACEMENT: &str = "rejected";

pub(super) async fn run(ctx: &mut Ctx) -> WorkflowResult<OrderOutcome> {
    if !admit(ctx).await? {
        return Ok(OrderOutcome::Rejected);
    }
    notify(ctx, NotificationKind::OrderConfirmed).await;

    if let Some(ending) = pay(ctx).await? {
        return finish(ctx, ending).await;
    }

    let split = !ctx.state(|s| s.parcels.is_empty());
    let ending = match ctx.state(|s| s.order.fulfillment.clone()) {
        Fulfillment::Delivery { address } if split && ctx.patched(SPLIT_FULFILMENT) => {
            parcels::ship(ctx, address).await?
        }
        Fulfillment::Delivery { address } => deliver(ctx, address).await?,
        Fulfillment::Pickup { .. } => hand_over(ctx).await?,
    };
    finish(ctx, ending).await
}

/// How an order that did not complete normally ends.
pub(super) enum Ending {
    Completed,
    Cancel(String),
    PaymentFailed(String),
}

async fn finish(ctx: &mut Ctx, ending: Ending) -> WorkflowResult<OrderOutcome> {
    match ending {
        Ending::Completed => after_sale::window(ctx).await,
        Ending::Cancel(reason) => cancel(ctx, reason).await?,
        Ending::PaymentFailed(reason) => payment_failed(ctx, reason).await?,
    }
    // A refund or payout update still answering keeps the order open.
    let _ = ctx
        .wait_condition(|s: &OrderWorkflow| s.refund_handlers == 0)
        .await;
    Ok(OrderOutcome::Completed(Box::new(ctx.state(|s| s.view()))))
}

pub(super) fn now(ctx: &Ctx) -> DateTime<Utc> {
    ctx.workflow_time()
        .map(DateTime::<Utc>::from)
        .unwrap_or_default()
}

/// Reserves stock and answers the `admit` update. Returns false when the
/// order was turned away.
async fn admit(ctx: &mut Ctx) -> WorkflowResult<bool> {
    let input = ctx.state(|s| ReserveInput {
        order_id: s.order.order_id,
        lines: s.order.items.clone(),
        source: Some(s.order.fulfillment.stock_source()),
        part: 0,
    });
    let outcome = ctx
        .execute_local_activity(OrderActivities::reserve_stock, input, options::database())
        .await?;
    match outcome {
        ReserveOutcome::OutOfStock(shortage) => {
            let published = ctx.state_mut(|s| {
                s.admission = Some(Admission::OutOfStock(shortage));
                s.published_status.take()
            });
            // A turned-away order never became an order: it must not show up
            // in an operator's `OrderStatus = "placed"` filter.
            if published.is_some() {
                ctx.upsert_search_attributes([
                    ORDER_STATUS_ATTRIBUTE.value_set(REJECTED_AT_PLACEMENT.to_owned())
                ]);
            }
            select! {
                _ = ctx.wait_condition(|s: &OrderWorkflow| s.admission_answered) => {}
                _ = ctx.timer(ADMISSION_GRACE) => {}
            };
            Ok(false)
        }
        ReserveOutcome::Reserved => {
            placed(ctx).await?;
            Ok(true)
        }
        ReserveOutcome::Allocated(allocations) => {
            ctx.state_mut(|s| parcels::allocate(s, allocations));
            placed(ctx).await?;
            Ok(true)
        }
    }
}

/// Records that the order was placed and answers `admit`.
async fn placed(ctx: &mut Ctx) -> WorkflowResult<()> {
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.record(
            OrderStatus::Placed,
            at,
            "order placed, stock reserved".into(),
        )
    });
    persist(ctx).await?;
    ctx.state_mut(|s| s.admission = Some(Admission::Accepted(Box::new(s.view()))));
    Ok(())
}

/// Takes payment by the order's method. `Some(ending)` when the order
/// cannot go on.
async fn pay(ctx: &mut Ctx) -> WorkflowResult<Option<Ending>> {
    if let Some(reason) = ctx.state(|s| s.cancel_reason.clone()) {
        return Ok(Some(Ending::Cancel(reason)));
    }
    let (method, total) = ctx.state(|s| (s.order.payment.method(), s.order.total));
    if total.amount == 0 && ctx.patched(FREE_ORDERS_SKIP_PAYMENT) {
        mark_paid(
            ctx,
            PaymentStatus::Captured,
            "nothing to pay: the order is free",
        )
        .await?;
        return Ok(None);
    }
    match method {
        PaymentMethod::Card => match move_money(ctx, PaymentOp::Charge, None).await {
            Ok(()) => {
                if let Some(ending) = hold_unless_total_captured(ctx).await? {
                    return Ok(Some(ending));
                }
                mark_paid(ctx, PaymentStatus::Captured, "card payment captured").await?;
                notify(ctx, NotificationKind::PaymentReceipt).await;
            }
            Err(reason) => return Ok(Some(Ending::PaymentFailed(reason))),
        },
        PaymentMethod::Cod => match move_money(ctx, PaymentOp::Authorize, None).await {
            Ok(()) => {
                mark_paid(
                    ctx,
                    PaymentStatus::Authorized,
                    "cash on delivery authorized",
                )
                .await?;
            }
            Err(reason) => return Ok(Some(Ending::PaymentFailed(reason))),
        },
        PaymentMethod::Upi | PaymentMethod::Netbanking => {
            if let Err(reason) = move_money(ctx, PaymentOp::Initiate, None).await {
                return Ok(Some(Ending::PaymentFailed(reason)));
            }
            let at = now(ctx);
            let timeout = ctx.state(|s| s.order.timings.payment_timeout_secs);
            ctx.state_mut(|s| {
                s.record(
                    OrderStatus::AwaitingPayment,
                    at,
                    format!("waiting for the {method} payment to be confirmed"),
                )
            });
            persist(ctx).await?;
            let waited = select! {
                wake = wait_for(ctx, |s| s.payment_confirmation.is_some()).fuse() => Some(wake),
                _ = ctx.timer(Duration::from_secs(timeout)) => None,
            };
            match waited {
                None => {
                    return Ok(Some(Ending::Cancel(format!(
                        "payment not confirmed within {} minutes",
                        timeout.div_ceil(60)
                    ))));
                }
                Some(Wake::Cancel(reason)) => return Ok(Some(Ending::Cancel(reason))),
                Some(Wake::Ready) => {}
            }
            let verdict = ctx.state(|s| s.payment_confirmation.clone().map(|c| c.status));
            if verdict != Some(PaymentWebhookStatus::Succeeded) {
                return Ok(Some(Ending::PaymentFailed(format!(
                    "the {method} payment was declined by the provider"
                ))));
            }
            match move_money(ctx, PaymentOp::Capture, None).await {
                Ok(()) => {
                    if let Some(ending) = hold_unless_total_captured(ctx).await? {
                        return Ok(Some(ending));
                    }
                    mark_paid(
                        ctx,
                        PaymentStatus::Captured,
                        "payment confirmed by the provider",
                    )
                    .await?;
                    notify(ctx, NotificationKind::PaymentReceipt).await;
                }
                Err(reason) => return Ok(Some(Ending::PaymentFailed(reason))),
            }
        }
    }
    Ok(None)
}

/// A provider that captured a different amount than the order's total
/// (a partial capture, a currency slip) puts the order on hold: an operator
/// is alerted and either releases it (it goes on with what was captured)
/// or cancels it (what was captured is refunded). `Some(ending)` when it
/// was cancelled.
async fn hold_unless_total_captured(ctx: &mut Ctx) -> WorkflowResult<Option<Ending>> {
    let (captured, total, order_id) =
        ctx.state(|s| (s.captured(), s.order.total, s.order.order_id));
    if captured == total || !ctx.patched(HOLD_ON_AMOUNT_MISMATCH) {
        return Ok(None);
    }
    let at = now(ctx);
    let detail = format!(
        "on hold: the provider captured {captured} of the {total} total; an operator decides"
    );
    ctx.state_mut(|s| s.record(OrderStatus::OnHold, at, detail.clone()));
    persist(ctx).await?;
    alert(
        ctx,
        "amount_mismatch",
        detail,
        format!("order:{order_id}:amount_mismatch"),
    )
    .await;
    if let Wake::Cancel(reason) = wait_for(ctx, |s| {
        s.warehouse_request == Some(OrderAction::ReleaseHold)
    })
    .await
    {
        return Ok(Some(Ending::Cancel(reason)));
    }
    ctx.state_mut(|s| s.warehouse_request = None);
    Ok(None)
}

async fn mark_paid(ctx: &mut Ctx, payment: PaymentStatus, detail: &str) -> WorkflowResult<()> {
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.payment_status = payment;
        s.record(OrderStatus::Paid, at, detail.to_owned());
    });
    persist(ctx).await
}

/// Money for part of an order (one shipment's lines), moved under a key of
/// its own.
#[derive(Debug, Clone)]
pub(super) struct Portion {
    pub(super) amount: Money,
    pub(super) part: String,
}

/// Runs one payment operation, for the whole order or a `portion` of it;
/// `Err` carries why it failed for good.
pub(super) async fn move_money(
    ctx: &mut Ctx,
    op: PaymentOp,
    portion: Option<&Portion>,
) -> Result<(), String> {
    // Each round of a refund or void gives up after a bounded number of
    // attempts, so `settle` can pause, try again, and alert operators
    // instead of one activity retrying forever.
    let bounded_compensation = matches!(op, PaymentOp::Refund | PaymentOp::Void)
        && ctx.patched(BOUNDED_COMPENSATION_RETRIES);
    let (step, opts) = ctx.state_mut(|s| {
        let amount = match (portion, op) {
            (Some(portion), _) => portion.amount,
            (None, PaymentOp::Refund) => s.refundable_now(),
            (None, _) => s.order.total,
        };
        // Held against what may still be refunded until the provider
        // answers, so a refund asked meanwhile cannot take the same money.
        if op == PaymentOp::Refund {
            s.refunding += amount.amount;
        }
        let opts = match op {
            PaymentOp::Refund | PaymentOp::Void => {
                options::compensation(&s.order.timings, bounded_compensation)
            }
            _ => options::payment(&s.order.timings),
        };
        (
            PaymentStep {
                order_id: s.order.order_id,
                op,
                amount,
                details: s.order.payment.clone(),
                part: portion.map(|p| p.part.clone()),
            },
            opts,
        )
    });
    let method = step.details.method();
    let held = if op == PaymentOp::Refund {
        step.amount.amount
    } else {
        0
    };
    let outcome = ctx
        .execute_local_activity(OrderActivities::move_money, step, opts)
        .await;
    ctx.state_mut(|s| s.refunding -= held);
    match outcome {
        Ok(PaymentOutcome::Done(entry)) => {
            ctx.state_mut(|s| s.take_in_settled(vec![entry]));
            Ok(())
        }
        Ok(PaymentOutcome::Pending { .. }) => Ok(()),
        Ok(PaymentOutcome::Declined { reason }) => {
            Err(format!("{method} payment declined: {reason}"))
        }
        Err(err) => Err(format!("{method} payment failed: {err}")),
    }
}

/// Waits for `ready`, or for a cancel request, whichever comes first.
pub(super) async fn wait_for(ctx: &Ctx, ready: impl Fn(&OrderWorkflow) -> bool) -> Wake {
    let woke = ctx
        .wait_condition(|s: &OrderWorkflow| s.cancel_reason.is_some() || ready(s))
        .await;
    match woke {
        Err(_) => Wake::Cancel(OPERATOR_CANCEL.to_owned()),
        Ok(()) => match ctx.state(|s| s.cancel_reason.clone()) {
            Some(reason) => Wake::Cancel(reason),
            None => Wake::Ready,
        },
    }
}

/// Waits for an admin to take `step`, then records `status`.
async fn warehouse(
    ctx: &mut Ctx,
    step: OrderAction,
    status: OrderStatus,
    detail: &str,
) -> WorkflowResult<Option<Ending>> {
    if let Wake::Cancel(reason) = wait_for(ctx, |s| s.warehouse_request == Some(step)).await {
        return Ok(Some(Ending::Cancel(reason)));
    }
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.warehouse_request = None;
        s.record(status, at, detail.to_owned());
    });
    persist(ctx).await?;
    Ok(None)
}

async fn deliver(ctx: &mut Ctx, address: orderly_domain::Address) -> WorkflowResult<Ending> {
    if let Some(ending) = warehouse(ctx, OrderAction::Pack, OrderStatus::Packed, "packed").await? {
        return Ok(ending);
    }
    if let Some(reason) = ctx.state(|s| s.cancel_reason.clone()) {
        return Ok(Ending::Cancel(reason));
    }
    ctx.state_mut(|s| s.dispatching = true);

    let order_id = ctx.state(|s| s.order.order_id);
    let request = BookingRequest {
        order_id,
        shipment_number: 0,
        warehouse_id: None,
        address,
        idempotency_key: format!("order:{order_id}:shipment"),
    };
    let shipment = match parcels::book(ctx, request).await {
        Ok(shipment) => shipment,
        Err(reason) => return Ok(Ending::Cancel(reason)),
    };
    ctx.execute_local_activity(OrderActivities::commit_stock, order_id, options::database())
        .await?;
    // The shipment workflow exists before anyone can see the tracking id,
    // so the carrier's first webhook always finds it.
    let input = ctx.state(|s| parcels::shipment_input(s, 0, &shipment));
    let child = ctx
        .start_child_workflow(
            ShipmentWorkflow::run,
            input,
            ChildWorkflowOptions::workflow_id(shipment_workflow_id(order_id, 0)),
        )
        .await?;
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.shipment = Some(ShipmentView {
            tracking_id: shipment.tracking_id,
            carrier: shipment.carrier.clone(),
            status: ShipmentStatus::Booked,
            last_location: None,
        });
        s.record(
            OrderStatus::Shipped,
            at,
            format!(
                "handed to {} with tracking id {}",
                shipment.carrier, shipment.tracking_id
            ),
        );
    });
    persist(ctx).await?;
    notify(ctx, NotificationKind::Shipped).await;

    let ending = follow_shipment(ctx).await?;
    child.result().await?;
    Ok(ending)
}

/// Applies the shipment's accepted changes until it is delivered or returned.
async fn follow_shipment(ctx: &mut Ctx) -> WorkflowResult<Ending> {
    loop {
        let woke = ctx
            .wait_condition(|s: &OrderWorkflow| !s.shipment_updates.is_empty())
            .await;
        if woke.is_err() {
            return Ok(Ending::Cancel(OPERATOR_CANCEL.to_owned()));
        }
        let Some(progress) = ctx.state_mut(|s| s.shipment_updates.pop_front()) else {
            continue;
        };
        let event = progress.event;
        let at = now(ctx);
        let place = event.place();
        ctx.state_mut(|s| {
            if let Some(shipment) = s.shipment.as_mut() {
                shipment.status = event.status;
                if let Some(location) = &event.location {
                    shipment.last_location = Some(location.as_str().to_owned());
                }
            }
        });
        match event.status {
            ShipmentStatus::Booked => {}
            ShipmentStatus::InTransit => {
                let status = ctx.state(|s| s.status);
                ctx.state_mut(|s| s.record(status, at, format!("in transit{place}")));
                persist(ctx).await?;
            }
            ShipmentStatus::OutForDelivery => {
                ctx.state_mut(|s| {
                    s.record(
                        OrderStatus::OutForDelivery,
                        at,
                        format!("out for delivery{place}"),
                    )
                });
                persist(ctx).await?;
                notify(ctx, NotificationKind::OutForDelivery).await;
            }
            ShipmentStatus::FailedAttempt => {
                let status = ctx.state(|s| s.status);
                ctx.state_mut(|s| s.record(status, at, format!("delivery attempt failed{place}")));
                persist(ctx).await?;
            }
            ShipmentStatus::Delivered => {
                if ctx.state(|s| s.authorized_uncaptured()) {
                    collect_cash(ctx, None).await?;
                }
                ctx.state_mut(|s| {
                    s.record(OrderStatus::Delivered, at, format!("delivered{place}"))
                });
                persist(ctx).await?;
                notify(ctx, NotificationKind::Delivered).await;
                return Ok(Ending::Completed);
            }
            ShipmentStatus::Returned => {
                let order_id = ctx.state(|s| s.order.order_id);
                ctx.execute_local_activity(OrderActivities::restock, order_id, options::database())
                    .await?;
                return Ok(Ending::Cancel(
                    "the parcel was returned by the carrier".into(),
                ));
            }
        }
    }
}

/// Cash on delivery: the courier collected the money.
pub(super) async fn collect_cash(ctx: &mut Ctx, portion: Option<&Portion>) -> WorkflowResult<()> {
    if settle(ctx, PaymentOp::Capture, portion, "cod_capture_failed").await {
        ctx.state_mut(|s| s.payment_status = PaymentStatus::Captured);
    }
    Ok(())
}

/// Rounds of a money movement that must happen (a refund, a void, a cash
/// capture) before it is handed to operators; each round already retries
/// transient failures.
const SETTLE_ROUNDS: u32 = 5;

/// Runs `op` until it succeeds, pausing between rounds. A provider that
/// keeps refusing raises an ops alert and the order goes on: an operator
/// settles it by hand rather than the order hanging forever.
pub(super) async fn settle(
    ctx: &mut Ctx,
    op: PaymentOp,
    portion: Option<&Portion>,
    alert_kind: &str,
) -> bool {
    let order_id = ctx.state(|s| s.order.order_id);
    let scope = portion.map(|p| format!(":{}", p.part)).unwrap_or_default();
    for round in 1..=SETTLE_ROUNDS {
        match move_money(ctx, op, portion).await {
            Ok(()) => return true,
            Err(reason) if round == SETTLE_ROUNDS => {
                let detail = format!("gave up after {round} rounds: {reason}");
                alert(
                    ctx,
                    alert_kind,
                    detail,
                    format!("order:{order_id}:{alert_kind}{scope}"),
                )
                .await;
            }
            Err(_) => {
                let pause = ctx.state(|s| s.order.timings.settle_pause_secs);
                ctx.timer(Duration::from_secs(pause)).await;
            }
        }
    }
    false
}

async fn hand_over(ctx: &mut Ctx) -> WorkflowResult<Ending> {
    if let Some(ending) = warehouse(ctx, OrderAction::Pack, OrderStatus::Packed, "packed").await? {
        return Ok(ending);
    }
    if let Some(ending) = warehouse(
        ctx,
        OrderAction::ReadyForPickup,
        OrderStatus::ReadyForPickup,
        "ready for pickup at the store",
    )
    .await?
    {
        return Ok(ending);
    }
    notify(ctx, NotificationKind::ReadyForPickup).await;

    let window = ctx.state(|s| s.order.timings.pickup_window_secs);
    let waited = select! {
        wake = wait_for(ctx, |s| s.warehouse_request == Some(OrderAction::PickedUp)).fuse() => Some(wake),
        _ = ctx.timer(Duration::from_secs(window)) => None,
    };
    match waited {
        None => {
            return Ok(Ending::Cancel(format!(
                "not collected within {} hours",
                window.div_ceil(3600)
            )));
        }
        Some(Wake::Cancel(reason)) => return Ok(Ending::Cancel(reason)),
        Some(Wake::Ready) => {}
    }
    let order_id = ctx.state(|s| s.order.order_id);
    ctx.execute_local_activity(OrderActivities::commit_stock, order_id, options::database())
        .await?;
    if ctx.state(|s| s.authorized_uncaptured()) {
        collect_cash(ctx, None).await?;
    }
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.warehouse_request = None;
        s.record(
            OrderStatus::PickedUp,
            at,
            "collected by the customer".into(),
        );
    });
    persist(ctx).await?;
    Ok(Ending::Completed)
}

/// Gives back whatever the order holds: money first, then stock.
/// Each step is idempotent, so running this twice changes nothing.
async fn compensate(ctx: &mut Ctx) -> WorkflowResult<()> {
    let order_id = ctx.state(|s| s.order.order_id);
    // A refund staff asked for that still waits for its provider is
    // answered first: its pending ledger entry is not money whose answer
    // was lost, and what is left to give back depends on it.
    let _ = ctx
        .wait_condition(|s: &OrderWorkflow| !s.refund_in_flight())
        .await;
    // An edit being applied finishes first, so what is given back is what
    // the order holds and was charged once the edit is done.
    let _ = ctx.wait_condition(|s: &OrderWorkflow| !s.editing).await;
    if ctx.patched(RECONCILE_BEFORE_COMPENSATING) {
        // Money whose answer was lost (the provider took it, the activity
        // never heard), or that an attempt settled after the order stopped
        // waiting for it, is found here, so it is refunded like the rest.
        let found = ctx
            .execute_local_activity(
                OrderActivities::reconcile_payments,
                order_id,
                options::database(),
            )
            .await?;
        ctx.state_mut(|s| s.take_in_settled(found));
    }
    parcels::call_off(ctx).await?;
    let parcel = ctx.state(|s| s.shipment.clone());
    if let Some(parcel) = parcel
        && !parcel.status.is_final()
        && ctx.state(|s| s.parcels.is_empty())
        && ctx.patched(CANCEL_BOOKED_PARCEL)
    {
        let booked = BookedShipment {
            tracking_id: parcel.tracking_id,
            order_id,
            carrier: parcel.carrier,
            status: parcel.status,
        };
        ctx.execute_local_activity(OrderActivities::cancel_parcel, booked, options::database())
            .await?;
    }
    let (captured, left, authorized, method, order_id) = ctx.state(|s| {
        (
            s.captured(),
            s.refundable_now(),
            s.authorized_uncaptured(),
            s.order.payment.method(),
            s.order.order_id,
        )
    });
    if left.amount > 0 {
        if settle(ctx, PaymentOp::Refund, None, "refund_failed").await {
            ctx.state_mut(|s| s.payment_status = PaymentStatus::Refunded);
        }
    } else if (authorized || (method.is_asynchronous() && captured.amount == 0))
        && settle(ctx, PaymentOp::Void, None, "void_failed").await
    {
        ctx.state_mut(|s| s.payment_status = PaymentStatus::Voided);
    }
    ctx.execute_local_activity(
        OrderActivities::release_stock,
        order_id,
        options::database(),
    )
    .await?;
    Ok(())
}

async fn cancel(ctx: &mut Ctx, reason: String) -> WorkflowResult<()> {
    compensate(ctx).await?;
    let at = now(ctx);
    ctx.state_mut(|s| s.record(OrderStatus::Cancelled, at, format!("cancelled: {reason}")));
    persist(ctx).await?;
    notify(ctx, NotificationKind::Cancelled).await;
    Ok(())
}

async fn payment_failed(ctx: &mut Ctx, reason: String) -> WorkflowResult<()> {
    compensate(ctx).await?;
    let at = now(ctx);
    ctx.state_mut(|s| {
        s.payment_status = PaymentStatus::Failed;
        s.record(OrderStatus::PaymentFailed, at, reason);
    });
    persist(ctx).await?;
    notify(ctx, NotificationKind::PaymentFailed).await;
    Ok(())
}

/// Writes the read model, and the search attributes operators filter on
/// when the status changed (each upsert is a visibility write on the server).
pub(super) async fn persist(ctx: &mut Ctx) -> WorkflowResult<()> {
    let view = ctx.state(|s| s.view());
    let published = ctx.state_mut(|s| s.published_status.replace(view.status));
    if published != Some(view.status) {
        ctx.upsert_search_attributes([
            ORDER_STATUS_ATTRIBUTE.value_set(view.status.as_str().to_owned()),
            CUSTOMER_ID_ATTRIBUTE.value_set(view.customer_id.to_string()),
        ]);
    }
    ctx.execute_local_activity(OrderActivities::record_order, view, options::database())
        .await?;
    Ok(())
}

/// Sends a customer notification. A notification that cannot be delivered
/// never holds the order back: the failure is left in the history.
pub(super) async fn notify(ctx: &mut Ctx, kind: NotificationKind) {
    notify_about(ctx, kind, None, None).await;
}

/// Sends a customer notification about one shipment of the order.
pub(super) async fn notify_shipment(ctx: &mut Ctx, kind: NotificationKind, number: u32) {
    notify_about(ctx, kind, Some(number), None).await;
}

/// Tells the customer about one refund of the order.
pub(super) async fn notify_refund(ctx: &mut Ctx, number: u32) {
    notify_about(ctx, NotificationKind::Refunded, None, Some(number)).await;
}

/// Tells the customer where one return of the order stands.
pub(super) async fn notify_return(ctx: &mut Ctx, number: u32) {
    let input = ctx.state(|s| NotifyInput {
        return_number: Some(number),
        ..notice(s, NotificationKind::ReturnUpdated, None, None)
    });
    send(ctx, input).await;
}

async fn notify_about(
    ctx: &mut Ctx,
    kind: NotificationKind,
    shipment: Option<u32>,
    refund: Option<u32>,
) {
    let input = ctx.state(|s| notice(s, kind, shipment, refund));
    send(ctx, input).await;
}

fn notice(
    s: &OrderWorkflow,
    kind: NotificationKind,
    shipment: Option<u32>,
    refund: Option<u32>,
) -> NotifyInput {
    NotifyInput {
        kind,
        order: s.view(),
        recipient: Recipient {
            user_id: s.order.customer.id,
            name: s.order.customer.name.clone(),
            email: s.order.customer.email.clone(),
        },
        shipment,
        refund,
        return_number: None,
    }
}

async fn send(ctx: &mut Ctx, input: NotifyInput) {
    let _undeliverable = ctx
        .execute_local_activity(OrderActivities::notify, input, options::notification())
        .await;
}

pub(super) async fn alert(ctx: &mut Ctx, kind: &str, detail: String, dedupe_key: String) {
    let order_id = ctx.state(|s| s.order.order_id);
    let input = OpsAlertInput {
        order_id,
        kind: kind.to_owned(),
        detail,
        dedupe_key,
    };
    let _ = ctx
        .execute_local_activity(OrderActivities::alert_ops, input, options::database())
        .await;
}
