//! How Temporal's answers become HTTP answers, in one place, and how long
//! a request waits for one.

use std::future::Future;

use temporalio_client::errors::{WorkflowInteractionError, WorkflowUpdateError};

use orderly_domain::OrderView;

use crate::problem::ApiError;
use crate::state::AppState;

/// Waits for a Temporal call at most `ORDERLY_TEMPORAL_TIMEOUT`. A call
/// that does not answer in time (the worker is down, the server is slow)
/// is a 503 with `Retry-After`; the request's effects are the workflow's
/// to finish or not, and a retry with the same `Idempotency-Key` finds out.
pub(crate) async fn within<T>(
    state: &AppState,
    call: impl Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::time::timeout(state.settings.temporal_timeout, call)
        .await
        .map_err(|_| {
            tracing::warn!(
                timeout_ms = state.settings.temporal_timeout.as_millis() as u64,
                "temporal did not answer in time"
            );
            ApiError::ServiceUnavailable(
                "the order service did not answer in time; retry shortly".into(),
            )
        })
}

/// Temporal could not be reached or failed: the request can be retried.
pub(crate) fn workflow_unavailable(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "temporal call failed");
    ApiError::ServiceUnavailable(
        "the order service is temporarily unavailable; retry shortly".into(),
    )
}

/// An update the workflow refused (its validator or handler said no) is a
/// 409 carrying the workflow's reason; a workflow that has already finished
/// can no longer change, which is also a 409.
pub(crate) fn update_refusal(err: WorkflowUpdateError, order: &OrderView) -> ApiError {
    match err {
        WorkflowUpdateError::Failed(failure) => ApiError::Conflict(failure.message.clone()),
        WorkflowUpdateError::NotFound(_) => {
            ApiError::Conflict(format!("the order is already {}", order.status))
        }
        other => workflow_unavailable(other),
    }
}

/// Whether a signal failed because the workflow is no longer running.
pub(crate) fn is_closed(err: &WorkflowInteractionError) -> bool {
    matches!(err, WorkflowInteractionError::NotFound(_))
}
