//! `CartReminderWorkflow`: one per cart with a reminder pending, workflow id
//! `cart-reminder-{cart_id}`, on the order task queue.
//!
//! A durable timer instead of a polling job: the API signals `touched` with
//! signal-with-start at every change of the cart, which starts the workflow
//! or tells the running one that the untouched period starts again. When
//! `reminder_after` passes without a touch, it sends one reminder through a
//! local activity and completes; the next change starts a new run. Checking
//! out or emptying the cart signals `cancel`, and it completes without a
//! word.
//!
//! One timer per untouched period, not one per touch: a touch only moves the
//! deadline, and when the timer fires early it is re-armed for the rest, so
//! a busy cart adds no timer commands to history.

use std::time::{Duration, SystemTime};

use futures::FutureExt;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    LocalActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView,
    WorkflowResult, workflows::select,
};
use temporalio_workflow::RetryPolicy;

use crate::contract::{
    CartReminderInput, CartReminderOutcome, CartReminderRequest, OrderActivities,
};

#[workflow]
pub struct CartReminderWorkflow {
    input: CartReminderInput,
    /// The cart version of the latest touch (versions only grow).
    version: i64,
    /// How many touches arrived; the run loop compares it to see new ones.
    touches: u64,
    cancelled: bool,
}

#[workflow_methods]
impl CartReminderWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: CartReminderInput) -> Self {
        Self {
            input,
            version: 0,
            touches: 0,
            cancelled: false,
        }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CartReminderOutcome> {
        let input = ctx.state(|s| s.input.clone());
        let after = Duration::from_millis(input.reminder_after_millis);
        let mut seen = ctx.state(|s| s.touches);
        let mut last_touch = now(ctx);
        let mut deadline = Box::pin(ctx.timer(after).fuse());
        loop {
            let woke = select! {
                woke = ctx.wait_condition(move |s: &Self| s.cancelled || s.touches != seen) => Some(woke.is_ok()),
                _ = deadline => None,
            };
            match woke {
                // Cancelled by a signal, or the workflow itself was cancelled.
                Some(false) => return Ok(CartReminderOutcome::Cancelled),
                Some(true) if ctx.state(|s| s.cancelled) => {
                    return Ok(CartReminderOutcome::Cancelled);
                }
                Some(true) => {
                    seen = ctx.state(|s| s.touches);
                    last_touch = now(ctx);
                }
                None => {
                    // A touch or cancel that arrived with the timer's firing.
                    if ctx.state(|s| s.cancelled) {
                        return Ok(CartReminderOutcome::Cancelled);
                    }
                    let touches = ctx.state(|s| s.touches);
                    if touches != seen {
                        seen = touches;
                        last_touch = now(ctx);
                    }
                    let untouched = now(ctx).duration_since(last_touch).unwrap_or_default();
                    if untouched >= after {
                        break;
                    }
                    deadline = Box::pin(ctx.timer(after - untouched).fuse());
                }
            }
        }
        let request = CartReminderRequest {
            cart_id: input.cart_id,
            user_id: input.user_id,
            version: ctx.state(|s| s.version),
        };
        let sent = ctx
            .execute_local_activity(OrderActivities::remind_cart, request, reminder_options())
            .await?;
        Ok(if sent {
            CartReminderOutcome::Reminded
        } else {
            CartReminderOutcome::Cancelled
        })
    }

    /// The cart changed and is now at `version`: the untouched period
    /// starts again.
    #[signal]
    pub fn touched(&mut self, _ctx: &mut SyncWorkflowContext<Self>, version: i64) {
        self.version = self.version.max(version);
        self.touches += 1;
        // Items added after an emptying that this run has not acted on yet
        // deserve their own reminder.
        self.cancelled = false;
    }

    /// The cart was checked out or emptied: no reminder.
    #[signal]
    pub fn cancel(&mut self, _ctx: &mut SyncWorkflowContext<Self>, _input: ()) {
        self.cancelled = true;
    }

    #[query]
    pub fn version(&self, _ctx: &WorkflowContextView) -> i64 {
        self.version
    }
}

/// Like an order's notifications: a reminder that cannot be delivered
/// after ten attempts is dropped; the in-app copy is written first.
fn reminder_options() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(30))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(10)
                .build(),
        )
        .build()
}

fn now(ctx: &WorkflowContext<CartReminderWorkflow>) -> SystemTime {
    ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH)
}
