//! `POST /v1/admin/expiry-sweep`: runs the expiry sweep now (admin) and
//! answers with what it did. The worker's Temporal Schedule runs the same
//! workflow every `ORDERLY_EXPIRY_SWEEP_INTERVAL`; this is for an operator
//! who cannot wait (stock found spoiled, a setting changed) and for tests.
//!
//! Each request starts its own run, which may overlap a scheduled one or
//! another request's: every step of a sweep is idempotent, so the second
//! finds done what the first did. The request waits for the result at most
//! `ORDERLY_TEMPORAL_TIMEOUT` (then 503, and the run goes on to finish);
//! the run itself is bounded by [`SWEEP_DEADLINE`].

use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use orderly_domain::Role;
use serde::Serialize;
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};
use uuid::Uuid;

use orderly_workflows::{ExpirySweepReport, ExpirySweepWorkflow, expiry_sweep_workflow_id};

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use crate::workflow_errors::{within, workflow_unavailable};

/// How long one sweep started here may run before Temporal ends it: far
/// past any real sweep, so only one that is stuck is cut off.
pub const SWEEP_DEADLINE: Duration = Duration::from_secs(15 * 60);

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/admin/expiry-sweep", post(run_expiry_sweep))
}

/// What one sweep did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExpirySweepBody {
    /// Batches whose seller and ops were alerted for the first time (in-app,
    /// by email and as an ops alert).
    pub alerts_raised: u32,
    /// Expired batches whose free stock was written off.
    pub batches_written_off: u32,
    /// Units those write-offs took off the shelves.
    pub units_written_off: i64,
    /// Orders' holds moved off a batch that would spoil before delivery
    /// onto fresher batches in the same warehouse.
    pub reservations_moved: u32,
    /// Holds with no fresher stock to move to, reported to ops for the
    /// first time (`expiring_reservation` alerts).
    pub reservations_alerted: u32,
}

impl From<ExpirySweepReport> for ExpirySweepBody {
    fn from(report: ExpirySweepReport) -> Self {
        Self {
            alerts_raised: report.alerts_raised,
            batches_written_off: report.batches_written_off,
            units_written_off: report.units_written_off,
            reservations_moved: report.reservations_moved,
            reservations_alerted: report.reservations_alerted,
        }
    }
}

/// Runs the expiry sweep now and answers with what it did (admin).
#[utoipa::path(
    post, path = "/v1/admin/expiry-sweep", tag = "warehouses",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the sweep did", body = ExpirySweepBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Temporal did not answer in time; the sweep may still finish, and running it again is safe", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn run_expiry_sweep(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<ExpirySweepBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let task_queue = state.settings.task_queue.clone();
    let options = WorkflowStartOptions::new(
        task_queue.clone(),
        expiry_sweep_workflow_id(&task_queue, Uuid::now_v7()),
    )
    .execution_timeout(SWEEP_DEADLINE)
    .build();
    let report = within(&state, async {
        let handle = state
            .temporal
            .start_workflow(ExpirySweepWorkflow::run, (), options)
            .await
            .map_err(workflow_unavailable)?;
        handle
            .get_result(WorkflowGetResultOptions::default())
            .await
            .map_err(|error| {
                ApiError::Internal(anyhow::anyhow!("the expiry sweep failed: {error}"))
            })
    })
    .await??;
    tracing::info!(
        alerts_raised = report.alerts_raised,
        batches_written_off = report.batches_written_off,
        reservations_moved = report.reservations_moved,
        reservations_alerted = report.reservations_alerted,
        "expiry sweep run on demand"
    );
    Ok(Json(report.into()))
}
