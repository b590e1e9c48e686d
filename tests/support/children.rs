//! Child processes of the crash and replica tests: the calling test binary
//! run again as `--exact children::<entry> --ignored`, with what to run in
//! an environment variable, so that a test can SIGKILL a real worker or API
//! process and watch the others carry on.
//!
//! A binary that spawns children declares a `children` module whose
//! ignored tests `worker_process` (and `api_process`, for API children)
//! call [`serve_worker`] and [`serve_api`].

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::app::{ApiSpec, TestOptions, WorkerSpec};

/// Carries the serialized [`WorkerSpec`] into a worker process.
const WORKER_SPEC_ENV: &str = "ORDERLY_CHILD_WORKER_SPEC";
/// Carries the serialized [`ApiSpec`] into an API process.
const API_SPEC_ENV: &str = "ORDERLY_CHILD_API_SPEC";
/// What a child prints once it serves, followed by details.
const READY: &str = "child-ready";

/// Runs the worker the environment describes, until the process is
/// killed. Without the variable (a plain `--ignored` run) it returns.
pub async fn serve_worker() {
    let Ok(raw) = std::env::var(WORKER_SPEC_ENV) else {
        return;
    };
    let spec: WorkerSpec = serde_json::from_str(&raw).expect("a serialized worker spec");
    spec.run(|_stop| println!("{READY}")).await;
}

/// Serves the API the environment describes, with the default limits,
/// until the process is killed. Without the variable it returns.
pub async fn serve_api() {
    let Ok(raw) = std::env::var(API_SPEC_ENV) else {
        return;
    };
    let spec: ApiSpec = serde_json::from_str(&raw).expect("a serialized API spec");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding port 0");
    let address = listener.local_addr().expect("the bound address");
    let options = TestOptions {
        timings: spec.timings.clone(),
        ..TestOptions::default()
    };
    let store = orderly_store::Store::connect(&spec.database_url)
        .await
        .expect("opening the test database");
    let _api = spec.serve(store, listener, &options, None).await;
    println!("{READY} {address}");
    std::future::pending::<()>().await;
}

/// Starts the binary's `children::worker_process` and waits until its
/// worker polls.
pub async fn spawn_worker_process(spec: &WorkerSpec) -> Child {
    let (child, _) = spawn("children::worker_process", WORKER_SPEC_ENV, spec).await;
    child
}

/// Starts the binary's `children::api_process` and waits until it serves;
/// returns its address.
pub async fn spawn_api_process(spec: &ApiSpec) -> (Child, SocketAddr) {
    let (child, detail) = spawn("children::api_process", API_SPEC_ENV, spec).await;
    let address = detail.parse().expect("the child API's address");
    (child, address)
}

async fn spawn(entry: &str, env: &str, spec: &impl serde::Serialize) -> (Child, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args(["--exact", entry, "--ignored", "--nocapture"])
        .env(env, serde_json::to_string(spec).expect("spec JSON"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the child process");
    let stdout = child.stdout.take().expect("the child's stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("reading the child") {
            if let Some(detail) = line.trim().strip_prefix(READY) {
                return Some(detail.trim().to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    let detail = ready.unwrap_or_else(|| panic!("{entry} did not start"));
    // Keep draining, so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, detail)
}
