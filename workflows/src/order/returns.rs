//! Returns of a delivered or collected order, as the order sees them.
//!
//! A customer's request (`request_return`) is checked against the order's
//! lines, refunds and earlier returns in the same step that records it, so
//! two requests sent together never return more than was delivered; it
//! then starts a child [`ReturnWorkflow`] that waits for staff, the carrier
//! and the warehouse. Staff's updates (`review_return`, `receive_return`,
//! `inspect_return`) are validated here against the return's status and
//! passed on to the child; each step the child takes comes back as a
//! `return_progress` signal, which [`follow`] records, tells the customer
//! about and, once the goods are inspected (or on approval of perishables,
//! which are not collected), turns into a refund of the returned lines
//! through the same refund step staff refunds take, unless a replacement
//! was sent instead (see [`exchanges`]).

use std::collections::BTreeMap;

use temporalio_sdk::{ChildWorkflowOptions, SignalWorkflowOptions};

use orderly_domain::{
    ExchangeStatus, ExchangeView, Fulfillment, InspectedLine, OrderStatus, PaymentMethod, Quantity,
    RefundLineRequest, RefundStatus, ReturnStatus, ReturnStep, ReturnView, return_refusal,
};

use super::exchanges;
use super::lifecycle::{Ctx, alert, notify_return, now, persist};
use super::refunds;
use super::state::OrderWorkflow;
use crate::contract::{
    RefundOutcome, RefundRequest, ReturnDecision, ReturnInput, ReturnInspection, ReturnMove,
    ReturnProgress, ReturnRequest, ReturnReview, ReturnedGoods, return_workflow_id,
};
use crate::returns::ReturnWorkflow;

type Refusal = Box<dyn std::error::Error + Send + Sync>;

impl OrderWorkflow {
    /// Why the order takes no return request now, if it does not.
    pub(crate) fn return_refusal(&self, request: &ReturnRequest) -> Option<String> {
        if !matches!(self.status, OrderStatus::Delivered | OrderStatus::PickedUp) {
            return Some(format!(
                "the order is {}: only a delivered or collected order can be returned",
                self.status
            ));
        }
        if self.returns_closed || self.order.timings.return_window_secs == 0 {
            return Some("the order's return window has closed".into());
        }
        if let Some(exchange) = &request.exchange {
            if self.order.fulfillment.is_pickup() {
                return Some(
                    "a collected order cannot be exchanged: replacements are delivered".into(),
                );
            }
            let method = self.order.payment.method();
            if exchange.difference.amount < 0
                || exchange.difference.currency != self.order.total.currency
            {
                return Some("the exchange is priced wrongly".into());
            }
            if exchange.difference.amount > 0 && method != PaymentMethod::Card {
                return Some(format!(
                    "an order paid by {method} can only be exchanged for the same lines again: \
                     the difference of {} cannot be charged",
                    exchange.difference
                ));
            }
        }
        return_refusal(
            &self.order.items,
            &self.refunds,
            &self.returns,
            &request.lines,
        )
    }

    /// Why return `number` cannot move as `step` asks, if it cannot.
    pub(crate) fn return_step_refusal(&self, number: u32, step: &StaffStep) -> Option<String> {
        let Some(found) = self.return_by_number(number) else {
            return Some(format!("the order has no return {number}"));
        };
        if self.return_requests.contains(&number) {
            return Some(format!("return {number} is already moving on"));
        }
        let status = found.status;
        let wrong = |expected: &str| {
            Some(format!(
                "return {number} is {}, not {expected}",
                status.as_str()
            ))
        };
        match step {
            StaffStep::Review if status != ReturnStatus::Requested => {
                wrong("waiting for a decision")
            }
            StaffStep::Receive
                if !(found.collect
                    && matches!(status, ReturnStatus::Approved | ReturnStatus::PickupBooked)) =>
            {
                wrong("on its way back")
            }
            StaffStep::Inspect(inspection) if status == ReturnStatus::Received => {
                inspection_refusal(found, inspection)
            }
            StaffStep::Inspect(_) if status != ReturnStatus::Received => {
                wrong("received at the warehouse")
            }
            _ => None,
        }
    }

    pub(crate) fn return_by_number(&self, number: u32) -> Option<&ReturnView> {
        self.returns.iter().find(|r| r.number == number)
    }

    fn return_by_number_mut(&mut self, number: u32) -> Option<&mut ReturnView> {
        self.returns.iter_mut().find(|r| r.number == number)
    }

    /// Whether a return still waits for something.
    pub(crate) fn return_open(&self) -> bool {
        self.returns.iter().any(|r| r.status.is_open())
    }
}

/// A step staff ask of a return.
pub(crate) enum StaffStep<'a> {
    Review,
    Receive,
    Inspect(&'a ReturnInspection),
}

/// Every returned unit is accounted for, once: restocked or written off.
fn inspection_refusal(found: &ReturnView, inspection: &ReturnInspection) -> Option<String> {
    let mut found_units: BTreeMap<&str, u32> = BTreeMap::new();
    for line in &inspection.lines {
        if !found.lines.iter().any(|l| l.sku == line.sku) {
            return Some(format!(
                "{} is not a line of return {}",
                line.sku, found.number
            ));
        }
        let units = found_units.entry(line.sku.as_str()).or_default();
        if *units > 0 {
            return Some(format!("{} is listed twice; give each line once", line.sku));
        }
        *units = line.restocked.saturating_add(line.written_off);
    }
    found.lines.iter().find_map(|line| {
        let units = found_units.get(line.sku.as_str()).copied().unwrap_or(0);
        (units != line.quantity).then(|| {
            format!(
                "{} units of {} came back: restock or write off each of them (got {units})",
                line.quantity, line.sku
            )
        })
    })
}

/// Records a customer's return request and starts its workflow.
pub(super) async fn request(ctx: &mut Ctx, request: ReturnRequest) -> Result<ReturnView, Refusal> {
    let at = now(ctx);
    // Checked again in the step that records it: a request sent together
    // with another was validated before that one was recorded.
    let recorded = ctx.state_mut(|s| {
        if let Some(refusal) = s.return_refusal(&request) {
            return Err(refusal);
        }
        let number = u32::try_from(s.returns.len()).map_or(u32::MAX, |n| n.saturating_add(1));
        let detail = format!("return {number} requested: {}", request.reason);
        s.returns.push(ReturnView {
            number,
            lines: request.lines.clone(),
            reason: request.reason.clone(),
            photos: request.photos.clone(),
            status: ReturnStatus::Requested,
            collect: request.collect,
            tracking_id: None,
            carrier: None,
            decision: None,
            inspection: Vec::new(),
            refund: None,
            steps: vec![ReturnStep {
                status: ReturnStatus::Requested,
                at,
                detail: request.reason.clone(),
            }],
            exchange: request.exchange.clone().map(|exchange| ExchangeView {
                lines: exchange.lines,
                difference: exchange.difference,
                status: ExchangeStatus::Requested,
                parcel: None,
                note: None,
            }),
        });
        s.record(s.status, at, detail);
        let pickup_address = match &s.order.fulfillment {
            Fulfillment::Delivery { address } => Some(address.clone()),
            Fulfillment::Pickup { .. } => None,
        };
        let warehouse_id = request.lines.iter().find_map(|line| {
            s.parcels
                .iter()
                .find(|p| p.items.iter().any(|i| i.sku == line.sku))
                .map(|p| p.warehouse_id)
        });
        Ok(ReturnInput {
            order_id: s.order.order_id,
            number,
            lines: request.lines.clone(),
            collect: request.collect,
            pickup_address,
            warehouse_id,
            timings: s.order.timings.clone(),
        })
    });
    let input = recorded.map_err(Refusal::from)?;
    let number = input.number;
    let id = return_workflow_id(input.order_id, number);
    ctx.start_child_workflow(
        ReturnWorkflow::run,
        input,
        ChildWorkflowOptions::workflow_id(id),
    )
    .await
    .map_err(|err| format!("the return could not be started: {err}"))?;
    persist(ctx)
        .await
        .map_err(|_| "the order could not be recorded")?;
    notify_return(ctx, number).await;
    answer(ctx, number)
}

/// Passes staff's decision on to the return; answers once it was taken
/// (for perishables, once the refund that follows approval was made).
pub(super) async fn review(ctx: &mut Ctx, decision: ReturnDecision) -> Result<ReturnView, Refusal> {
    let review = ReturnReview {
        approve: decision.approve,
        reason: decision.reason,
    };
    pass_on(ctx, decision.number, ReturnSignal::Review(review), decided).await
}

/// Passes on that the warehouse has the goods back.
pub(super) async fn receive(ctx: &mut Ctx, goods: ReturnedGoods) -> Result<ReturnView, Refusal> {
    pass_on(
        ctx,
        goods.number,
        ReturnSignal::Receive(goods.note),
        |_, r| {
            !matches!(
                r.status,
                ReturnStatus::Approved | ReturnStatus::PickupBooked
            )
        },
    )
    .await
}

/// Passes on what inspection found; answers once the refund was made.
pub(super) async fn inspect(
    ctx: &mut Ctx,
    inspection: ReturnInspection,
) -> Result<ReturnView, Refusal> {
    pass_on(
        ctx,
        inspection.number,
        ReturnSignal::Inspect(inspection),
        |_, r| !matches!(r.status, ReturnStatus::Received | ReturnStatus::Inspected),
    )
    .await
}

enum ReturnSignal {
    Review(ReturnReview),
    Receive(String),
    Inspect(ReturnInspection),
}

/// Sends `message` to return `number` and waits for the step it makes.
async fn pass_on(
    ctx: &mut Ctx,
    number: u32,
    message: ReturnSignal,
    done: fn(&OrderWorkflow, &ReturnView) -> bool,
) -> Result<ReturnView, Refusal> {
    let (known, order_id) = ctx.state_mut(|s| {
        let known = s.return_by_number(number).is_some();
        if known {
            s.return_requests.insert(number);
        }
        (known, s.order.order_id)
    });
    if !known {
        return Err(format!("the order has no return {number}").into());
    }
    let child = ctx.external_workflow(return_workflow_id(order_id, number), None);
    let options = SignalWorkflowOptions::default();
    let sent = match message {
        ReturnSignal::Review(review) => child.signal(ReturnWorkflow::review, review, options).await,
        ReturnSignal::Receive(how) => child.signal(ReturnWorkflow::receive, how, options).await,
        ReturnSignal::Inspect(inspection) => {
            child
                .signal(ReturnWorkflow::inspect, inspection, options)
                .await
        }
    };
    if let Err(err) = sent {
        ctx.state_mut(|s| s.return_requests.remove(&number));
        return Err(format!("return {number} could not be reached: {err}").into());
    }
    let settled = ctx
        .wait_condition(move |s: &OrderWorkflow| {
            s.return_by_number(number).is_some_and(|r| done(s, r))
        })
        .await;
    ctx.state_mut(|s| s.return_requests.remove(&number));
    settled.map_err(|_| "the order workflow was cancelled")?;
    answer(ctx, number)
}

/// Staff's decision was taken, with what follows it at once: the refund
/// of perishables, the booking of a pickup.
fn decided(s: &OrderWorkflow, found: &ReturnView) -> bool {
    match found.status {
        ReturnStatus::Requested => false,
        ReturnStatus::Approved if !found.collect => false,
        ReturnStatus::Approved => {
            let booking = matches!(s.order.fulfillment, Fulfillment::Delivery { .. });
            let tries = found
                .steps
                .iter()
                .filter(|step| step.status == ReturnStatus::Approved)
                .count();
            // Approved, then a second step in the same status: the
            // pickup could not be booked.
            !booking || tries > 1
        }
        _ => true,
    }
}

fn answer(ctx: &Ctx, number: u32) -> Result<ReturnView, Refusal> {
    ctx.state(|s| s.return_by_number(number).cloned())
        .ok_or_else(|| "the return disappeared".into())
}

/// Takes in every step the return workflows reported.
pub(super) async fn follow(ctx: &mut Ctx) {
    while let Some(progress) = ctx.state_mut(|s| s.return_updates.pop_front()) {
        take(ctx, progress).await;
    }
}

async fn take(ctx: &mut Ctx, progress: ReturnProgress) {
    let number = progress.number;
    let at = now(ctx);
    let (status, detail, refund) = match &progress.step {
        ReturnMove::Approved { reason, refund_now } => (
            ReturnStatus::Approved,
            if *refund_now {
                format!("approved, nothing to send back: {reason}")
            } else {
                format!("approved: {reason}")
            },
            *refund_now,
        ),
        ReturnMove::Rejected { reason } => {
            (ReturnStatus::Rejected, format!("rejected: {reason}"), false)
        }
        ReturnMove::PickupBooked {
            tracking_id,
            carrier,
        } => (
            ReturnStatus::PickupBooked,
            format!("pickup booked with {carrier}, tracking {tracking_id}"),
            false,
        ),
        ReturnMove::PickupFailed { reason } => (
            ReturnStatus::Approved,
            format!("pickup not booked: {reason}"),
            false,
        ),
        ReturnMove::Received { how } => (ReturnStatus::Received, how.clone(), false),
        ReturnMove::Inspected { lines } => (
            ReturnStatus::Inspected,
            format!("inspected: {}", inspected(lines)),
            true,
        ),
    };
    let known = ctx.state_mut(|s| {
        let Some(found) = s.return_by_number_mut(number) else {
            return false;
        };
        found.status = status;
        match &progress.step {
            ReturnMove::Approved { reason, .. } | ReturnMove::Rejected { reason } => {
                found.decision = Some(reason.clone());
            }
            ReturnMove::PickupBooked {
                tracking_id,
                carrier,
            } => {
                found.tracking_id = Some(*tracking_id);
                found.carrier = Some(carrier.clone());
            }
            ReturnMove::Inspected { lines } => found.inspection = lines.clone(),
            ReturnMove::PickupFailed { .. } | ReturnMove::Received { .. } => {}
        }
        found.steps.push(ReturnStep {
            status,
            at,
            detail: detail.clone(),
        });
        s.record(s.status, at, format!("return {number} {detail}"));
        true
    });
    if !known {
        return;
    }
    let _ = persist(ctx).await;
    if let ReturnMove::PickupFailed { reason } = &progress.step {
        let order_id = ctx.state(|s| s.order.order_id);
        alert(
            ctx,
            "return_pickup_failed",
            format!("return {number} needs collecting by hand: {reason}"),
            format!("order:{order_id}:return_pickup_failed:return-{number}"),
        )
        .await;
        return;
    }
    notify_return(ctx, number).await;
    if matches!(progress.step, ReturnMove::Approved { .. }) {
        exchanges::send(ctx, number).await;
    }
    if refund && !exchanges::settled(ctx, number).await {
        refund_return(ctx, number).await;
    }
}

fn inspected(lines: &[InspectedLine]) -> String {
    lines
        .iter()
        .map(|line| {
            format!(
                "{} {} restocked, {} written off",
                line.sku, line.restocked, line.written_off
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Refunds a return's lines at the price paid, through the refund step
/// staff refunds take, under the return's own key.
pub(super) async fn refund_return(ctx: &mut Ctx, number: u32) {
    let Some(found) = ctx.state(|s| s.return_by_number(number).cloned()) else {
        return;
    };
    let lines = found
        .lines
        .iter()
        .filter_map(|line| {
            Some(RefundLineRequest {
                sku: line.sku.clone(),
                quantity: Quantity::parse(i64::from(line.quantity)).ok()?,
            })
        })
        .collect();
    let key = format!("return-{number}");
    let request = RefundRequest {
        fingerprint: key.clone(),
        key,
        lines,
        extra: 0,
        reason: format!("return {number}: {}", found.reason),
        for_return: Some(number),
    };
    let outcome = refunds::refund(ctx, request).await;
    let at = now(ctx);
    let (status, refund, detail) = match &outcome {
        Ok(RefundOutcome::Made(made)) if made.status != RefundStatus::Failed => (
            ReturnStatus::Refunded,
            Some(made.number),
            format!("refunded {} (refund {})", made.amount, made.number),
        ),
        Ok(RefundOutcome::Made(made)) => (
            ReturnStatus::RefundFailed,
            Some(made.number),
            format!(
                "refund {} failed: {}",
                made.number,
                made.failure.clone().unwrap_or_default()
            ),
        ),
        Ok(RefundOutcome::Refused(problem)) => (
            ReturnStatus::RefundFailed,
            None,
            format!("not refunded: {problem}"),
        ),
        Ok(RefundOutcome::KeyReused) => (
            ReturnStatus::RefundFailed,
            None,
            "not refunded: its key was used by another refund".into(),
        ),
        Err(err) => (
            ReturnStatus::RefundFailed,
            None,
            format!("not refunded: {err}"),
        ),
    };
    ctx.state_mut(|s| {
        if let Some(found) = s.return_by_number_mut(number) {
            found.status = status;
            found.refund = refund;
            found.steps.push(ReturnStep {
                status,
                at,
                detail: detail.clone(),
            });
        }
        s.record(s.status, at, format!("return {number} {detail}"));
    });
    let _ = persist(ctx).await;
    if status == ReturnStatus::RefundFailed {
        let order_id = ctx.state(|s| s.order.order_id);
        alert(
            ctx,
            "return_refund_failed",
            format!("return {number} was {detail}"),
            format!("order:{order_id}:return_refund_failed:return-{number}"),
        )
        .await;
    }
}
