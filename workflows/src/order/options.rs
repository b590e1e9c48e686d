//! Retry and timeout policies of the activities an order runs.
//!
//! Every activity here is local: it runs in the worker that runs the
//! workflow and is recorded in history as a marker, so it costs no extra
//! round trip to the Temporal server (the dev server is the throughput limit).
//! Every one also gets its own cancellation token, detached from the
//! workflow's: when an operator cancels an order in the Web UI, the
//! compensations (refund, release) must still run to completion.

use std::time::Duration;

use temporalio_sdk::{LocalActivityOptions, WorkflowCancellationToken};
use temporalio_workflow::RetryPolicy;

use crate::contract::OrderTimings;

fn local(start_to_close: Duration, retry: RetryPolicy) -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(start_to_close)
        .retry_policy(retry)
        .cancellation_token(WorkflowCancellationToken::new())
        .build()
}

/// Database work: retried until the database is back; an order never gives
/// up because the database blinked.
pub(crate) fn database() -> LocalActivityOptions {
    local(
        Duration::from_secs(10),
        RetryPolicy::builder()
            .initial_interval(Duration::from_millis(200))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(10))
            .build(),
    )
}

/// Payment provider calls: transient failures are retried with backoff; a
/// provider still failing after eight attempts has failed for good.
pub(crate) fn payment(timings: &OrderTimings) -> LocalActivityOptions {
    local(
        Duration::from_secs(30),
        RetryPolicy::builder()
            .initial_interval(Duration::from_millis(timings.retry_initial_millis))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(60))
            .maximum_attempts(8)
            .build(),
    )
}

/// Attempts of one round of a refund or void; the workflow pauses between
/// rounds and alerts operators after the last.
const COMPENSATION_ATTEMPTS_PER_ROUND: u32 = 6;

/// Money going back to the customer (refund, void) is never abandoned: a
/// `bounded` round ends after a few attempts so the workflow can pause and
/// raise an alert (orders started before rounds were bounded retry within
/// one round forever).
pub(crate) fn compensation(timings: &OrderTimings, bounded: bool) -> LocalActivityOptions {
    let retry = RetryPolicy::builder()
        .initial_interval(Duration::from_millis(timings.retry_initial_millis))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(300));
    let retry = if bounded {
        retry
            .maximum_attempts(COMPENSATION_ATTEMPTS_PER_ROUND)
            .build()
    } else {
        retry.build()
    };
    local(Duration::from_secs(30), retry)
}

pub(crate) fn booking(timings: &OrderTimings) -> LocalActivityOptions {
    local(
        Duration::from_secs(30),
        RetryPolicy::builder()
            .initial_interval(Duration::from_millis(timings.retry_initial_millis))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(60))
            .maximum_attempts(timings.booking_attempts.max(1))
            .build(),
    )
}

/// A notification that cannot be delivered after ten attempts is dropped
/// rather than holding the order back; the in-app copy is written first.
pub(crate) fn notification() -> LocalActivityOptions {
    local(
        Duration::from_secs(30),
        RetryPolicy::builder()
            .initial_interval(Duration::from_secs(1))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(60))
            .maximum_attempts(10)
            .build(),
    )
}
