//! Recorded Temporal histories of finished workflows, one JSON file per
//! path an order can take, kept under `tests/histories/`.
//!
//! The replay test runs the current workflow code against every recorded
//! history: a change that would break orders already running in production
//! (a new activity call, a reordered step) fails it before it ships. Tests
//! that drive an order along a path call [`record_history`] at their end;
//! it writes only when `ORDERLY_RECORD_HISTORIES=1`, so ordinary runs never
//! touch the committed files and re-recording is a deliberate act after an
//! intended, versioned change to the workflows.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use temporalio_client::{UntypedWorkflow, WorkflowExecutionStatus};

use crate::app::TestApp;

/// Set to `1` to (re)write the histories of the tests that record one.
pub const RECORD_ENV: &str = "ORDERLY_RECORD_HISTORIES";

/// How long a workflow may take to close after the test saw its last step.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the recorded histories live, in the tests crate.
pub fn histories_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories")
}

fn recording() -> bool {
    std::env::var(RECORD_ENV).is_ok_and(|v| v == "1")
}

/// Saves the history of `workflow_id` as `tests/histories/<name>.json` once
/// the workflow has completed, when recording is switched on.
pub async fn record_history(app: &TestApp, workflow_id: &str, name: &str) {
    if !recording() {
        return;
    }
    let handle = app
        .temporal
        .get_workflow_handle::<UntypedWorkflow>(workflow_id);
    let deadline = Instant::now() + CLOSE_TIMEOUT;
    loop {
        let status = handle
            .describe(Default::default())
            .await
            .unwrap_or_else(|err| panic!("describing {workflow_id}: {err}"))
            .status();
        if status == WorkflowExecutionStatus::Completed {
            break;
        }
        assert!(
            status == WorkflowExecutionStatus::Running && Instant::now() < deadline,
            "{workflow_id} did not complete (status {status:?}); only completed histories are recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let compact = handle
        .fetch_history(Default::default())
        .to_json()
        .await
        .unwrap_or_else(|err| panic!("fetching the history of {workflow_id}: {err}"));
    // Pretty-printed so that a re-recording shows up as a readable diff.
    let value: serde_json::Value = serde_json::from_slice(&compact).expect("a history is JSON");
    let pretty = serde_json::to_vec_pretty(&value).expect("re-encoding the history");
    let dir = histories_dir();
    std::fs::create_dir_all(&dir).expect("creating tests/histories");
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, pretty).unwrap_or_else(|err| panic!("writing {}: {err}", path.display()));
}
