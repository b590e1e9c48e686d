//! The workflows of the bare ceiling `orderly bench` compares orders against: a workflow with
//! the same messages as a delivery order (update-with-start, a `pack`
//! update, a child that takes three signals and sends three back) and the
//! same number of activities, all of them no-ops.
//!
//! The activities run as [`CeilingActivityKind::Server`] (ordinary activities,
//! each a round trip through the server: the ceiling the issue defines, which
//! an order beats by running its activities locally) or as
//! [`CeilingActivityKind::Local`] (local activities like the order's own: the
//! stricter ceiling, which only the order's extra server work separates from
//! it). The benchmark measures both.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ChildWorkflowOptions, LocalActivityOptions, SignalWorkflowOptions,
    SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

use super::activities::CeilingActivities;

/// Local activities of a delivery order before it is packed (reserve, record,
/// notify, charge, record, notify), after (record, book, commit, record,
/// notify), and per carrier event (record; record and notify twice).
const BEFORE_PACK: u32 = 6;
const AFTER_PACK: u32 = 5;
const PER_EVENT: [u32; 3] = [1, 2, 2];
pub const CARRIER_EVENTS: u32 = 3;

/// How the ceiling runs its no-op activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CeilingActivityKind {
    /// Ordinary activities, scheduled through the server.
    Server,
    /// Local activities, run inside the workflow task like an order's.
    Local,
}

/// What the ceiling's child needs: whom to signal, and how to run activities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CeilingChildInput {
    pub parent: String,
    pub kind: CeilingActivityKind,
}

/// Runs one no-op activity of `kind`.
async fn noop<W>(
    ctx: &WorkflowContext<W>,
    kind: CeilingActivityKind,
    step: u32,
) -> WorkflowResult<u32> {
    let timeout = Duration::from_secs(10);
    let done = match kind {
        CeilingActivityKind::Server => {
            ctx.execute_activity(
                CeilingActivities::noop,
                step,
                ActivityOptions::start_to_close_timeout(timeout),
            )
            .await?
        }
        CeilingActivityKind::Local => {
            ctx.execute_local_activity(
                CeilingActivities::noop,
                step,
                LocalActivityOptions::builder()
                    .start_to_close_timeout(timeout)
                    .build(),
            )
            .await?
        }
    };
    Ok(done.min(1))
}

pub fn ceiling_child_id(parent: &str) -> String {
    format!("{parent}-child")
}

#[workflow]
#[derive(Default)]
pub struct CeilingWorkflow {
    admitted: bool,
    packed: bool,
    progress: u32,
}

#[workflow_methods]
impl CeilingWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        kind: CeilingActivityKind,
    ) -> WorkflowResult<u32> {
        let mut done = 0;
        for step in 0..BEFORE_PACK {
            done += noop(ctx, kind, step).await?;
            if step == 0 {
                ctx.state_mut(|s| s.admitted = true);
            }
        }
        ctx.wait_condition(|s: &Self| s.packed).await?;
        for step in 0..AFTER_PACK {
            done += noop(ctx, kind, step).await?;
        }
        let child = ctx
            .start_child_workflow(
                CeilingChildWorkflow::run,
                CeilingChildInput {
                    parent: ctx.workflow_id().to_owned(),
                    kind,
                },
                ChildWorkflowOptions::workflow_id(ceiling_child_id(ctx.workflow_id())),
            )
            .await?;
        for (event, activities) in PER_EVENT.into_iter().enumerate() {
            let seen = event as u32 + 1;
            ctx.wait_condition(|s: &Self| s.progress >= seen).await?;
            for step in 0..activities {
                done += noop(ctx, kind, step).await?;
            }
        }
        child.result().await?;
        Ok(done)
    }

    #[update]
    pub async fn admit(ctx: &mut WorkflowContext<Self>, _input: ()) -> bool {
        ctx.wait_condition(|s: &Self| s.admitted).await.is_ok()
    }

    #[update]
    pub fn pack(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _input: ()) -> bool {
        self.packed = true;
        true
    }

    #[signal]
    pub fn progress(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _event: u32) {
        self.progress += 1;
    }
}

#[workflow]
#[derive(Default)]
pub struct CeilingChildWorkflow {
    events: u32,
}

#[workflow_methods]
impl CeilingChildWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: CeilingChildInput,
    ) -> WorkflowResult<u32> {
        let CeilingChildInput { parent, kind } = input;
        for event in 1..=CARRIER_EVENTS {
            ctx.wait_condition(|s: &Self| s.events >= event).await?;
            noop(ctx, kind, event).await?;
            ctx.external_workflow(parent.clone(), None)
                .signal(
                    CeilingWorkflow::progress,
                    event,
                    SignalWorkflowOptions::default(),
                )
                .await?;
        }
        Ok(CARRIER_EVENTS)
    }

    #[signal]
    pub fn carrier_event(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _event: u32) {
        self.events += 1;
    }

    #[query]
    pub fn events(&self, _ctx: &WorkflowContextView) -> u32 {
        self.events
    }
}
