//! The Temporal Schedule that runs the expiry sweep: one per task queue
//! (`expiry-sweep-{task_queue}`), starting an `ExpirySweepWorkflow` on that
//! queue every `ORDERLY_EXPIRY_SWEEP_INTERVAL`.
//!
//! A worker keeps it as it starts: creates it, or, when it exists, sets its
//! interval and action to this worker's, so a changed setting takes effect
//! with the next deployment and any number of workers starting at once end
//! up with the same schedule. A sweep still running when the next one is
//! due makes the schedule skip that one (the server's default overlap
//! policy, set explicitly): sweeps over the same stock are safe but
//! pointless.

use std::time::Duration;

use temporalio_client::Client;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use temporalio_client::tonic::Code;

use orderly_workflows::{ExpirySweepWorkflow, expiry_sweep_schedule_id};

use crate::order_worker::WorkerError;

/// Updates that lost a race with another worker's update of the same
/// schedule are tried again this often before giving up.
const UPDATE_ATTEMPTS: u32 = 3;

/// Creates or updates the sweep's schedule for `task_queue` to run every
/// `every`.
pub async fn keep_expiry_schedule(
    client: &Client,
    task_queue: &str,
    every: Duration,
) -> Result<(), WorkerError> {
    let schedule_id = expiry_sweep_schedule_id(task_queue);
    let created = client
        .create_schedule(
            schedule_id.clone(),
            CreateScheduleOptions::builder()
                .action(action(task_queue))
                .spec(ScheduleSpec::from_interval(every))
                .overlap_policy(ScheduleOverlapPolicy::Skip)
                .note("kept by the orderly worker (ORDERLY_EXPIRY_SWEEP_INTERVAL)")
                .build(),
        )
        .await;
    match created {
        Ok(_) => {
            tracing::info!(
                schedule_id,
                every_secs = every.as_secs(),
                "expiry sweep scheduled"
            );
            return Ok(());
        }
        Err(ScheduleError::Rpc(status)) if status.code() == Code::AlreadyExists => {}
        Err(error) => return Err(schedule_failed(&schedule_id, error)),
    }
    let handle = client.get_schedule_handle(schedule_id.clone());
    let mut attempt = 1;
    loop {
        let action = action(task_queue);
        let updated = handle
            .update(
                move |update| {
                    update
                        .set_spec(ScheduleSpec::from_interval(every))
                        .set_action(action)
                        .set_overlap_policy(ScheduleOverlapPolicy::Skip);
                },
                Default::default(),
            )
            .await;
        match updated {
            Ok(()) => {
                tracing::info!(
                    schedule_id,
                    every_secs = every.as_secs(),
                    "expiry sweep schedule kept"
                );
                return Ok(());
            }
            // Another worker updated it between our read and our write.
            Err(ScheduleError::Rpc(status))
                if status.code() == Code::FailedPrecondition && attempt < UPDATE_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(error) => return Err(schedule_failed(&schedule_id, error)),
        }
    }
}

/// Start a sweep on `task_queue`; the server names each run after the
/// schedule and its time.
fn action(task_queue: &str) -> ScheduleAction {
    ScheduleAction::start_workflow(
        ExpirySweepWorkflow::run,
        (),
        task_queue,
        expiry_sweep_schedule_id(task_queue),
    )
}

fn schedule_failed(schedule_id: &str, error: ScheduleError) -> WorkerError {
    WorkerError::Start(format!("keeping the schedule {schedule_id}: {error}"))
}
