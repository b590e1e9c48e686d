//! The entries `orderly_tests::children` starts this binary at: a worker
//! process and an API process, each until it is killed.

/// A worker process. Without its environment variable (a plain
/// `--ignored` run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a worker process of the crash and replica tests"]
async fn worker_process() {
    orderly_tests::children::serve_worker().await;
}

/// An API process, with the default limits, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "an API process of the replica test"]
async fn api_process() {
    orderly_tests::children::serve_api().await;
}
