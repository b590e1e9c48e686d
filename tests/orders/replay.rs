//! Replay: the current workflow code must reproduce every recorded history
//! under `tests/histories/` command for command. Orders live for days; a
//! code change that would make a running order take a different step on
//! replay (an added activity, a reordered timer) breaks them in production,
//! and fails here first.
//!
//! The histories are recorded by the tests that drive each path (see
//! `orderly_tests::histories::record_history`) with
//! `ORDERLY_RECORD_HISTORIES=1`; this test needs no Temporal server. Those
//! at the top are sealed with the tests' payload key, as production
//! histories are; `before-payload-encryption/` keeps the plain histories of
//! orders started before payloads were encrypted, which must still replay.

use std::path::{Path, PathBuf};

use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

use orderly_tests::app::payload_cipher;
use orderly_tests::histories::histories_dir;
use orderly_workflows::{OrderWorkflow, ReturnWorkflow, ShipmentWorkflow};

/// The order paths worth guarding and a shipment, sealed and plain: fewer
/// files means histories went missing.
const AT_LEAST: usize = 38;

/// Every `.json` under `dir`, in subfolders too, in path order.
fn recorded_histories(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(recorded_histories(&path));
        } else if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn replayer() -> WorkflowReplayer {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<OrderWorkflow>()
        .expect("registering OrderWorkflow")
        .register_workflow::<ShipmentWorkflow>()
        .expect("registering ShipmentWorkflow")
        .register_workflow::<ReturnWorkflow>()
        .expect("registering ReturnWorkflow")
        // Histories recorded since payloads are encrypted are sealed with
        // the tests' key; older ones are plain and pass through.
        .data_converter(payload_cipher().data_converter())
        .build();
    WorkflowReplayer::new(options).expect("a workflow replayer")
}

/// `binary/encrypted` as history JSON writes metadata values: base64.
const SEALED_ENCODING: &str = "YmluYXJ5L2VuY3J5cHRlZA==";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histories_at_the_top_are_sealed_with_the_payload_codec() {
    let dir = histories_dir();
    let sealed: Vec<PathBuf> = recorded_histories(&dir)
        .into_iter()
        .filter(|path| path.parent() == Some(dir.as_path()))
        .collect();
    assert!(
        !sealed.is_empty(),
        "no sealed histories in {}",
        dir.display()
    );
    for file in &sealed {
        let text = std::fs::read_to_string(file).expect("a history file");
        assert!(
            text.contains(SEALED_ENCODING),
            "{} has no sealed payloads: record histories with the payload codec",
            file.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_history_replays_deterministically() {
    let files = recorded_histories(&histories_dir());
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
