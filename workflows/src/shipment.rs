//! `ShipmentWorkflow`: a child of the order workflow, one per parcel,
//! workflow id `shipment-{order_id}`.
//!
//! Carrier webhooks arrive here as `carrier_event` signals. Carriers resend
//! and reorder webhooks, so the workflow drops event ids it has seen and
//! ignores events that would move the parcel backwards; each accepted change
//! is recorded and passed to the parent order. A parcel that goes quiet for
//! longer than the configured period raises an ops alert (once per quiet
//! period) instead of failing anything: the carrier may just be late.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, SystemTime};

use futures::FutureExt;

use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult, workflows::select,
};

use orderly_domain::{CarrierEvent, ShipmentStatus};

use crate::contract::{
    OpsAlertInput, OrderActivities, ShipmentInput, ShipmentProgress, ShipmentStatusInput,
    order_workflow_id,
};
use crate::order::OrderWorkflow;

#[workflow]
pub struct ShipmentWorkflow {
    input: ShipmentInput,
    status: ShipmentStatus,
    seen_events: BTreeSet<String>,
    accepted: VecDeque<CarrierEvent>,
}

#[workflow_methods]
impl ShipmentWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ShipmentInput) -> Self {
        Self {
            input,
            status: ShipmentStatus::Booked,
            seen_events: BTreeSet::new(),
            accepted: VecDeque::new(),
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ShipmentStatus> {
        let input = ctx.state(|s| s.input.clone());
        let silence = Duration::from_secs(input.carrier_silence_secs);
        let mut quiet_periods = 0u32;
        let mut last_heard = now(ctx);
        // One timer per quiet period, not one per event: it is only replaced
        // when it fires, so a busy parcel adds no timer commands to history.
        let mut quiet = Box::pin(ctx.timer(silence).fuse());
        loop {
            let heard = select! {
                woke = ctx.wait_condition(|s: &Self| !s.accepted.is_empty()) => woke.is_ok(),
                _ = quiet => false,
            };
            if !heard {
                let since = now(ctx).duration_since(last_heard).unwrap_or_default();
                if since >= silence {
                    quiet_periods += 1;
                    last_heard = now(ctx);
                    Self::alert_silence(ctx, &input, quiet_periods).await?;
                    quiet = Box::pin(ctx.timer(silence).fuse());
                } else {
                    quiet = Box::pin(ctx.timer(silence - since).fuse());
                }
                continue;
            }
            let Some(event) = ctx.state_mut(|s| s.accepted.pop_front()) else {
                continue;
            };
            quiet_periods = 0;
            last_heard = now(ctx);
            ctx.execute_local_activity(
                OrderActivities::record_shipment_status,
                ShipmentStatusInput {
                    tracking_id: input.tracking_id,
                    status: event.status,
                },
                super::order::database_options(),
            )
            .await?;
            let status = event.status;
            ctx.external_workflow(order_workflow_id(input.order_id), None)
                .signal(
                    OrderWorkflow::shipment_progress,
                    ShipmentProgress { event },
                    SignalWorkflowOptions::default(),
                )
                .await?;
            if status.is_final() {
                return Ok(status);
            }
        }
    }

    #[signal]
    pub fn carrier_event(&mut self, _ctx: &mut SyncWorkflowContext<Self>, event: CarrierEvent) {
        if !self.seen_events.insert(event.event_id.as_str().to_owned()) {
            return;
        }
        if self.status.accepts(event.status) {
            self.status = event.status;
            self.accepted.push_back(event);
        }
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> ShipmentStatus {
        self.status
    }
}

impl ShipmentWorkflow {
    async fn alert_silence(
        ctx: &WorkflowContext<Self>,
        input: &ShipmentInput,
        quiet_periods: u32,
    ) -> WorkflowResult<()> {
        let alert = OpsAlertInput {
            order_id: input.order_id,
            kind: "carrier_silent".into(),
            detail: format!(
                "no event from {} for shipment {} in {} minutes",
                input.carrier,
                input.tracking_id,
                (u64::from(quiet_periods) * input.carrier_silence_secs).div_ceil(60)
            ),
            dedupe_key: format!("shipment:{}:silent:{quiet_periods}", input.tracking_id),
        };
        ctx.execute_local_activity(
            OrderActivities::alert_ops,
            alert,
            super::order::database_options(),
        )
        .await?;
        Ok(())
    }
}

fn now(ctx: &WorkflowContext<ShipmentWorkflow>) -> SystemTime {
    ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH)
}
