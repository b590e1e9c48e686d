//! `ReturnWorkflow`: a child of the order workflow, one per return,
//! workflow id `return-{order_id}-{n}`.
//!
//! It carries a return through the steps that wait on people and carriers:
//! staff's decision, the carrier's pickup, the goods reaching the
//! warehouse, their inspection, and the stock that inspection puts back or
//! writes off. Each step it takes is passed to the parent order, which
//! keeps the return in its view, tells the customer, and makes the refund:
//! money only ever moves in the order workflow, which knows what was
//! captured and given back.
//!
//! Staff talk to the order (its `review_return`, `receive_return` and
//! `inspect_return` updates check the return's status and answer with the
//! step taken); the order passes each on here as a signal. Carrier webhooks
//! about the pickup arrive here directly, as `carrier_event` signals, and
//! are dropped when resent or when they would move the pickup backwards.

use std::collections::{BTreeSet, VecDeque};

use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult,
};

use orderly_domain::{CarrierEvent, ReturnStatus, ShipmentStatus, TrackingId};

use crate::contract::{
    OrderActivities, PickupOutcome, ReturnInput, ReturnInspection, ReturnMove, ReturnPickupRequest,
    ReturnProgress, ReturnReview, ReturnedStock, ShipmentStatusInput, order_workflow_id,
};
use crate::order::OrderWorkflow;

#[workflow]
pub struct ReturnWorkflow {
    input: ReturnInput,
    review: Option<ReturnReview>,
    /// How the goods reached the warehouse, once they did.
    received: Option<String>,
    inspection: Option<ReturnInspection>,
    pickup: Option<TrackingId>,
    pickup_status: ShipmentStatus,
    seen_events: BTreeSet<String>,
    pickup_events: VecDeque<CarrierEvent>,
}

#[workflow_methods]
impl ReturnWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ReturnInput) -> Self {
        Self {
            input,
            review: None,
            received: None,
            inspection: None,
            pickup: None,
            pickup_status: ShipmentStatus::Booked,
            seen_events: BTreeSet::new(),
            pickup_events: VecDeque::new(),
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ReturnStatus> {
        let input = ctx.state(|s| s.input.clone());
        ctx.wait_condition(|s: &Self| s.review.is_some()).await?;
        let review = ctx.state(|s| s.review.clone()).unwrap_or(ReturnReview {
            approve: false,
            reason: String::new(),
        });
        if !review.approve {
            tell(
                ctx,
                &input,
                ReturnMove::Rejected {
                    reason: review.reason,
                },
            )
            .await?;
            return Ok(ReturnStatus::Rejected);
        }
        tell(
            ctx,
            &input,
            ReturnMove::Approved {
                reason: review.reason,
                refund_now: !input.collect,
            },
        )
        .await?;
        if !input.collect {
            return Ok(ReturnStatus::Approved);
        }
        if let Some(address) = input.pickup_address.clone() {
            Self::book_pickup(ctx, &input, address).await?;
        }
        Self::await_goods(ctx).await?;
        let how = ctx
            .state(|s| s.received.clone())
            .unwrap_or_else(|| "received at the warehouse".into());
        tell(ctx, &input, ReturnMove::Received { how }).await?;
        ctx.wait_condition(|s: &Self| s.inspection.is_some())
            .await?;
        let lines = ctx
            .state(|s| s.inspection.clone())
            .map(|inspection| inspection.lines)
            .unwrap_or_default();
        ctx.execute_local_activity(
            OrderActivities::take_back_return,
            ReturnedStock {
                order_id: input.order_id,
                number: input.number,
                lines: lines.clone(),
            },
            crate::order::database_options(),
        )
        .await?;
        tell(ctx, &input, ReturnMove::Inspected { lines }).await?;
        Ok(ReturnStatus::Inspected)
    }

    /// Staff decided (passed on by the order); only the first decision counts.
    #[signal]
    pub fn review(&mut self, _ctx: &mut SyncWorkflowContext<Self>, review: ReturnReview) {
        if self.review.is_none() {
            self.review = Some(review);
        }
    }

    /// The warehouse has the goods (passed on by the order).
    #[signal]
    pub fn receive(&mut self, _ctx: &mut SyncWorkflowContext<Self>, how: String) {
        if self.review.as_ref().is_some_and(|r| r.approve) && self.received.is_none() {
            self.received = Some(how);
        }
    }

    /// What the returned goods were found to be (passed on by the order).
    #[signal]
    pub fn inspect(&mut self, _ctx: &mut SyncWorkflowContext<Self>, inspection: ReturnInspection) {
        if self.received.is_some() && self.inspection.is_none() {
            self.inspection = Some(inspection);
        }
    }

    /// The carrier's news of the pickup, from its webhook.
    #[signal]
    pub fn carrier_event(&mut self, _ctx: &mut SyncWorkflowContext<Self>, event: CarrierEvent) {
        if !self.seen_events.insert(event.event_id.as_str().to_owned()) {
            return;
        }
        if self.pickup == Some(event.tracking_id) && self.pickup_status.accepts(event.status) {
            self.pickup_status = event.status;
            self.pickup_events.push_back(event);
        }
    }
}

impl ReturnWorkflow {
    async fn book_pickup(
        ctx: &mut WorkflowContext<Self>,
        input: &ReturnInput,
        address: orderly_domain::Address,
    ) -> WorkflowResult<()> {
        let request = ReturnPickupRequest {
            order_id: input.order_id,
            number: input.number,
            address,
            warehouse_id: input.warehouse_id,
            idempotency_key: format!("order:{}:return-{}:pickup", input.order_id, input.number),
        };
        let booked = ctx
            .execute_local_activity(
                OrderActivities::book_return_pickup,
                request,
                crate::order::booking_options(&input.timings),
            )
            .await;
        let step = match booked {
            Ok(PickupOutcome::Booked(pickup)) => {
                ctx.state_mut(|s| s.pickup = Some(pickup.tracking_id));
                ReturnMove::PickupBooked {
                    tracking_id: pickup.tracking_id,
                    carrier: pickup.carrier,
                }
            }
            Ok(PickupOutcome::Rejected { reason }) => ReturnMove::PickupFailed { reason },
            Err(err) => ReturnMove::PickupFailed {
                reason: format!("the pickup could not be booked: {err}"),
            },
        };
        tell(ctx, input, step).await
    }

    /// Waits for the goods: the carrier delivering them back, or staff
    /// receiving them by hand (a customer bringing them to the counter, a
    /// carrier that never sent the webhook).
    async fn await_goods(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        loop {
            ctx.wait_condition(|s: &Self| s.received.is_some() || !s.pickup_events.is_empty())
                .await?;
            let Some(event) = ctx.state_mut(|s| s.pickup_events.pop_front()) else {
                return Ok(());
            };
            ctx.execute_local_activity(
                OrderActivities::record_pickup_status,
                ShipmentStatusInput {
                    tracking_id: event.tracking_id,
                    status: event.status,
                },
                crate::order::database_options(),
            )
            .await?;
            if event.status == ShipmentStatus::Delivered {
                ctx.state_mut(|s| {
                    if s.received.is_none() {
                        s.received = Some("delivered to the warehouse by the carrier".into());
                    }
                });
            }
        }
    }
}

async fn tell(
    ctx: &mut WorkflowContext<ReturnWorkflow>,
    input: &ReturnInput,
    step: ReturnMove,
) -> WorkflowResult<()> {
    ctx.external_workflow(order_workflow_id(input.order_id), None)
        .signal(
            OrderWorkflow::return_progress,
            ReturnProgress {
                number: input.number,
                step,
            },
            SignalWorkflowOptions::default(),
        )
        .await?;
    Ok(())
}
