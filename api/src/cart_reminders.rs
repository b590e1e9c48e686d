//! Keeping a cart's reminder workflow in step with the cart.
//!
//! Every change of a cart signals `touched` with signal-with-start, which
//! starts `CartReminderWorkflow` or restarts the untouched period of the
//! running one; checking out or emptying the cart signals `cancel`. The
//! cart itself lives in the database and is already changed when these
//! run, so a Temporal outage must not fail (or hold up) the shopper's
//! request: it costs at most one reminder, and is logged.

use temporalio_client::{WorkflowSignalOptions, WorkflowStartOptions};
use uuid::Uuid;

use orderly_store::Cart;
use orderly_workflows::{CartReminderInput, CartReminderWorkflow, cart_reminder_workflow_id};

use crate::state::AppState;
use crate::workflow_errors::{is_closed, within};

/// The cart changed: its reminder is due `cart_reminder` from now.
pub(crate) async fn touched(state: &AppState, cart: &Cart) {
    let input = CartReminderInput {
        cart_id: cart.id,
        user_id: cart.user_id,
        reminder_after_millis: u64::try_from(state.settings.cart_reminder.as_millis())
            .unwrap_or(u64::MAX),
    };
    let options = WorkflowStartOptions::new(
        state.settings.task_queue.clone(),
        cart_reminder_workflow_id(cart.id),
    )
    .build();
    let scheduled = within(
        state,
        state.temporal.signal_with_start_workflow(
            CartReminderWorkflow::run,
            input,
            CartReminderWorkflow::touched,
            cart.version,
            options,
        ),
    )
    .await;
    match scheduled {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::warn!(cart_id = %cart.id, error = %err, "could not schedule the cart reminder");
        }
        Err(_) => tracing::warn!(cart_id = %cart.id, "scheduling the cart reminder timed out"),
    }
}

/// The cart was checked out or emptied: no reminder.
pub(crate) async fn cancelled(state: &AppState, cart_id: Uuid) {
    let handle = state
        .temporal
        .get_workflow_handle::<CartReminderWorkflow>(cart_reminder_workflow_id(cart_id));
    let signalled = within(
        state,
        handle.signal(
            CartReminderWorkflow::cancel,
            (),
            WorkflowSignalOptions::default(),
        ),
    )
    .await;
    match signalled {
        Ok(Ok(())) => {}
        // No reminder pending: nothing to cancel.
        Ok(Err(err)) if is_closed(&err) => {}
        Ok(Err(err)) => {
            tracing::warn!(cart_id = %cart_id, error = %err, "could not cancel the cart reminder");
        }
        Err(_) => tracing::warn!(cart_id = %cart_id, "cancelling the cart reminder timed out"),
    }
}
