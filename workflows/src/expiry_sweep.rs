//! `ExpirySweepWorkflow`: one run per sweep of perishable stock, started
//! by the Temporal Schedule the worker keeps (`expiry-sweep-{task_queue}`,
//! daily by default) or on demand by an admin
//! (`POST /v1/admin/expiry-sweep`).
//!
//! A sweep works as of its start (the workflow time, so a replay sees the
//! same moment) in three passes, each a run of local activities over
//! pages of rows:
//!
//! 1. batches ending within the warning period (or already ended) get
//!    their one spoilage alert, to the seller and to ops;
//! 2. orders' holds on batches that end before the order could arrive move
//!    to fresher batches of the same SKU in the same warehouse, or are
//!    reported to ops;
//! 3. the free stock of batches that have ended is written off.
//!
//! Holds move before the write-off so that stock an order no longer needs
//! from an ended batch is written off by the same sweep. Every step is
//! idempotent in the store, so two sweeps at once, or a step retried after
//! a crash, change nothing twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ApplicationFailure, LocalActivityOptions, WorkflowContext, WorkflowResult, WorkflowTermination,
};
use temporalio_workflow::RetryPolicy;

use crate::contract::{BatchPage, ExpirySweepActivities, ExpirySweepReport, HoldPage};

#[workflow]
#[derive(Default)]
pub struct ExpirySweepWorkflow;

#[workflow_methods]
impl ExpirySweepWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        _input: (),
    ) -> WorkflowResult<ExpirySweepReport> {
        let as_of: DateTime<Utc> = ctx.workflow_time().map(DateTime::from).ok_or_else(|| {
            WorkflowTermination::failed_application(ApplicationFailure::non_retryable(
                "the sweep has no workflow time to work as of",
            ))
        })?;
        let mut report = ExpirySweepReport::default();

        let mut after = None;
        loop {
            let page = ctx
                .execute_local_activity(
                    ExpirySweepActivities::alert_spoiling_batches,
                    BatchPage { as_of, after },
                    step_options(),
                )
                .await?;
            report.alerts_raised += page.raised;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }

        let mut after = None;
        loop {
            let page = ctx
                .execute_local_activity(
                    ExpirySweepActivities::move_stale_holds,
                    HoldPage { as_of, after },
                    step_options(),
                )
                .await?;
            report.reservations_moved += page.moved;
            report.reservations_alerted += page.alerted;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }

        let mut after = None;
        loop {
            let page = ctx
                .execute_local_activity(
                    ExpirySweepActivities::write_off_expired_batches,
                    BatchPage { as_of, after },
                    step_options(),
                )
                .await?;
            report.batches_written_off += page.batches;
            report.units_written_off += page.units;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(report)
    }
}

/// A page is database work and a few outbox rows: retried while the
/// database blinks, then the sweep fails and the next one starts over
/// (everything already done stays done).
fn step_options() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(200))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(10))
                .maximum_attempts(10)
                .build(),
        )
        .build()
}
