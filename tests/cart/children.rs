//! The entry `orderly_tests::children` starts this binary at: a worker
//! process, until it is killed.

/// A worker process. Without its environment variable (a plain
/// `--ignored` run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a worker process of the points crash test"]
async fn worker_process() {
    orderly_tests::children::serve_worker().await;
}
