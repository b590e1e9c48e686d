//! How Temporal's answers become HTTP answers, in one place.

use temporalio_client::errors::{WorkflowInteractionError, WorkflowUpdateError};

use orderly_domain::OrderView;

use crate::problem::ApiError;

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
