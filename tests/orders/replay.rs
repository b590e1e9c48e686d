//! Replay: the current workflow code must reproduce every recorded history
//! in `tests/histories/` command for command. Orders live for days; a code
//! change that would make a running order take a different step on replay
//! (an added activity, a reordered timer) breaks them in production, and
//! fails here first.
//!
//! The histories are recorded by the tests that drive each path (see
//! `orderly_tests::histories::record_history`) with
//! `ORDERLY_RECORD_HISTORIES=1`; this test needs no Temporal server.

use std::path::PathBuf;

use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

use orderly_tests::app::payload_cipher;
use orderly_tests::histories::histories_dir;
use orderly_workflows::{OrderWorkflow, ShipmentWorkflow};

/// The order paths worth guarding, plus a shipment: fewer files means
/// histories went missing.
const AT_LEAST: usize = 8;

fn recorded_histories() -> Vec<PathBuf> {
    let dir = histories_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn replayer() -> WorkflowReplayer {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<OrderWorkflow>()
        .expect("registering OrderWorkflow")
        .register_workflow::<ShipmentWorkflow>()
        .expect("registering ShipmentWorkflow")
        // Histories recorded since payloads are encrypted are sealed with
        // the tests' key; older ones are plain and pass through.
        .data_converter(payload_cipher().data_converter())
        .build();
    WorkflowReplayer::new(options).expect("a workflow replayer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_history_replays_deterministically() {
    let files = recorded_histories();
    assert!(
        files.len() >= AT_LEAST,
        "only {} recorded histories in {} (at least {AT_LEAST} expected): {files:?}",
        files.len(),
        histories_dir().display()
    );

    let replayer = replayer();
    let mut failures = Vec::new();
    // One history per replay, so a failure names its file for certain.
    for file in &files {
        let bytes =
            std::fs::read(file).unwrap_or_else(|err| panic!("reading {}: {err}", file.display()));
        let history = WorkflowHistory::from_json(&bytes)
            .unwrap_or_else(|err| panic!("{} is not a history: {err}", file.display()));
        if let Err(err) = replayer.replay_workflow(history).await {
            failures.push(format!("{}: {err}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} histories no longer replay:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
