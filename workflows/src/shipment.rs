//! `ShipmentWorkflow`: a child of the order workflow, one per parcel,
//! workflow id `shipment-{order_id}-{n}` (`shipment-{order_id}` for the
//! only parcel of an order from before orders were split).
//!
//! Carrier webhooks arrive here as `carrier_event` signals. Carriers resend
//! and reorder webhooks, so the workflow drops event ids it has seen and
//! ignores events that would move the parcel backwards; each accepted change
//! is recorded and passed to the parent order. A parcel that goes quiet for
//! longer than the configured period raises an ops alert (once per quiet
//! period) instead of failing anything: the carrier may just be late.
//!
//! Every carrier event is a signal, so a chatty or spamming carrier grows
//! the history; once a run's history reaches its limit (or the server
//! suggests it) the workflow continues as a new run carrying the parcel's
//! status and its latest event ids. The parent waits for the last run.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, SystemTime};

use futures::FutureExt;

use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ContinueAsNewOptions, SignalWorkflowOptions, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult, workflows::select,
};

use orderly_domain::{CarrierEvent, ShipmentStatus};

use crate::contract::{
    OpsAlertInput, OrderActivities, ShipmentInput, ShipmentProgress, ShipmentResume,
    ShipmentStatusInput, order_workflow_id,
};
use crate::order::OrderWorkflow;

#[workflow]
pub struct ShipmentWorkflow {
    input: ShipmentInput,
    status: ShipmentStatus,
    seen_events: BTreeSet<String>,
    /// The seen event ids in arrival order, to hand the latest on.
    seen_order: VecDeque<String>,
    accepted: VecDeque<CarrierEvent>,
    /// Carrier events received, accepted or not.
    signals: u64,
}

/// Event ids a run hands to the next: enough to recognise any resend a
/// carrier makes in practice.
const CARRIED_EVENT_IDS: usize = 200;

/// Patch: a long shipment continues as a new run (histories from before
/// it never do).
const CONTINUES_AS_NEW: &str = "shipment-continues-as-new";

#[workflow_methods]
impl ShipmentWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ShipmentInput) -> Self {
        let (status, seen_order) = match &input.resumed {
            Some(resumed) => (
                resumed.status,
                resumed.recent_event_ids.iter().cloned().collect(),
            ),
            None => (ShipmentStatus::Booked, VecDeque::new()),
        };
        Self {
            input,
            status,
            seen_events: seen_order.iter().cloned().collect(),
            seen_order,
            accepted: VecDeque::new(),
            signals: 0,
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
        let mut signals_seen = ctx.state(|s| s.signals);
        loop {
            let heard = select! {
                woke = ctx.wait_condition(move |s: &Self| {
                    !s.accepted.is_empty() || s.signals != signals_seen
                }) => woke.is_ok(),
                _ = quiet => false,
            };
            signals_seen = ctx.state(|s| s.signals);
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
                // Only ignored events (resent, or moving backwards): they
                // still lengthen the history.
                Self::continue_if_long(ctx)?;
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
                    ShipmentProgress {
                        event,
                        shipment_number: input.shipment_number,
                    },
                    SignalWorkflowOptions::default(),
                )
                .await?;
            if status.is_final() {
                return Ok(status);
            }
            Self::continue_if_long(ctx)?;
        }
    }

    #[signal]
    pub fn carrier_event(&mut self, _ctx: &mut SyncWorkflowContext<Self>, event: CarrierEvent) {
        self.signals += 1;
        if !self.seen_events.insert(event.event_id.as_str().to_owned()) {
            return;
        }
        self.seen_order
            .push_back(event.event_id.as_str().to_owned());
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
    /// Continues as a new run once this one's history is long and nothing
    /// accepted waits to be passed on.
    fn continue_if_long(ctx: &WorkflowContext<Self>) -> WorkflowResult<()> {
        let (limit, idle) = ctx.state(|s| (s.input.history_limit, s.accepted.is_empty()));
        let long = ctx.history_length() >= limit || ctx.continue_as_new_suggested();
        if !(long && idle && ctx.patched(CONTINUES_AS_NEW)) {
            return Ok(());
        }
        let next = ctx.state(|s| {
            let skip = s.seen_order.len().saturating_sub(CARRIED_EVENT_IDS);
            ShipmentInput {
                resumed: Some(ShipmentResume {
                    status: s.status,
                    recent_event_ids: s.seen_order.iter().skip(skip).cloned().collect(),
                }),
                ..s.input.clone()
            }
        });
        match ctx.continue_as_new(next, ContinueAsNewOptions::default()) {
            Ok(never) => match never {},
            Err(termination) => Err(termination),
        }
    }

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
