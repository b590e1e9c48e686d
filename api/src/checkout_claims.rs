//! What became of the checkout that holds a cart.
//!
//! A checkout claims its cart (one conditional update in the store) before
//! it places the order, so a double-clicked checkout places one order and
//! the cart cannot change under it. A claim normally ends within the
//! request: the cart is closed when the order is placed, or given back when
//! nothing was. A claim can outlive its request only when the API process
//! died or Temporal did not answer; once it is older than
//! [`STALE_AFTER`] the order it names is looked up, and the cart is either
//! closed (the order exists), still busy (its workflow is still deciding),
//! or free again (nothing was ever placed).

use std::time::Duration;

use chrono::Utc;
use temporalio_client::WorkflowExecutionStatus;
use temporalio_client::errors::WorkflowInteractionError;

use orderly_domain::OrderView;
use orderly_store::CheckoutClaim;
use orderly_workflows::{OrderWorkflow, order_workflow_id};

use crate::problem::ApiError;
use crate::state::AppState;
use crate::workflow_errors::{within, workflow_unavailable};

/// How old a claim must be before its checkout is presumed dead: well past
/// the longest a checkout request waits for Temporal.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(60);

/// Where the checkout holding a cart stands.
pub(crate) enum Holder {
    /// Still placing the order (or too recent to tell).
    Busy,
    /// It placed this order: the cart is spent.
    Placed(Box<OrderView>),
    /// It placed nothing: the cart may be claimed again.
    Gone,
}

/// Finds out what became of the checkout behind `claim`.
pub(crate) async fn holder(state: &AppState, claim: &CheckoutClaim) -> Result<Holder, ApiError> {
    let stale_after = state.settings.temporal_timeout.max(STALE_AFTER);
    let fresh_since = Utc::now()
        - chrono::Duration::from_std(stale_after).unwrap_or_else(|_| chrono::Duration::zero());
    if !claim.is_stale(fresh_since) {
        return Ok(Holder::Busy);
    }
    if let Some(view) = state.store.orders().order(claim.order_id).await? {
        return Ok(Holder::Placed(Box::new(view)));
    }
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(claim.order_id));
    match within(state, handle.describe(Default::default())).await? {
        // Running without a read model yet: admission is still under way.
        Ok(description) if description.status() == WorkflowExecutionStatus::Running => {
            Ok(Holder::Busy)
        }
        // Closed without ever writing the read model: turned away at
        // placement (out of stock), so nothing was placed.
        Ok(_) => Ok(Holder::Gone),
        Err(WorkflowInteractionError::NotFound(_)) => Ok(Holder::Gone),
        Err(other) => Err(workflow_unavailable(other)),
    }
}

/// The refusal of a checkout or a cart change while another checkout holds
/// the cart.
pub(crate) fn in_progress() -> ApiError {
    ApiError::Conflict(
        "a checkout of this cart is in progress; wait for it to finish, then try again".into(),
    )
}
