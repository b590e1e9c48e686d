//! The benchmark's ceiling workflow: it must really hold an order's
//! conversation with the server, or the ratio `orderly bench` prints means
//! nothing. Each kind runs once here and its history is counted.

use orderly_devtools::ceiling::CeilingActivityKind;
use orderly_devtools::ceiling::CeilingWorker;
use orderly_tests::temporal;
use orderly_workers::order_worker;
use temporalio_client::UntypedWorkflow;

/// Activities of one ceiling run: 6 before packing, 5 after, 1 + 2 + 2 for
/// the parent's carrier events, and 1 per event in the child.
const PARENT_ACTIVITIES: usize = 16;
const CHILD_ACTIVITIES: usize = 3;

const ACTIVITY_TASK_COMPLETED: u64 = 12;
const MARKER_RECORDED: u64 = 25;
const WORKFLOW_EXECUTION_SIGNALED: u64 = 26;

fn start_ceiling_worker(task_queue: String) -> Box<dyn Fn() + Send + Sync> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("ceiling-worker".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("worker runtime");
            runtime.block_on(async move {
                let client = order_worker::connect(
                    temporal::address(),
                    "default",
                    &orderly_tests::app::payload_cipher(),
                )
                .await
                .expect("worker client");
                let (core, _) = order_worker::runtime(None).expect("core runtime");
                let mut worker =
                    CeilingWorker::new(&core, client, &task_queue).expect("ceiling worker");
                let stop: Box<dyn Fn() + Send + Sync> = Box::new(worker.shutdown_handle());
                let _ = tx.send(stop);
                worker.run().await.expect("ceiling worker run");
            });
        })
        .expect("spawning the ceiling worker");
    rx.recv().expect("the ceiling worker started")
}

/// How many events of each type of interest a workflow's history holds.
async fn count_events(
    client: &temporalio_client::Client,
    workflow_id: &str,
    event_type: u64,
) -> usize {
    let json = client
        .get_workflow_handle::<UntypedWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await
        .expect("the history");
    let history: serde_json::Value = serde_json::from_slice(&json).expect("a history is JSON");
    history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["event_type"].as_u64() == Some(event_type))
        .count()
}

async fn run_ceiling(kind: CeilingActivityKind) -> (usize, usize, usize, usize) {
    let task_queue = format!("ceiling-test-{}", uuid::Uuid::now_v7().simple());
    let stop = start_ceiling_worker(task_queue.clone());
    let client = order_worker::connect(
        temporal::address(),
        "default",
        &orderly_tests::app::payload_cipher(),
    )
    .await
    .expect("client");
    let id = format!("ceiling-{}", uuid::Uuid::now_v7().simple());
    orderly_devtools::bench::ceiling::one(&client, &task_queue, id.clone(), kind)
        .await
        .expect("the ceiling workflow completes");
    let child = orderly_devtools::ceiling::ceiling_child_id(&id);
    let counts = (
        count_events(&client, &id, ACTIVITY_TASK_COMPLETED).await,
        count_events(&client, &id, MARKER_RECORDED).await,
        count_events(&client, &child, ACTIVITY_TASK_COMPLETED).await
            + count_events(&client, &child, MARKER_RECORDED).await,
        count_events(&client, &id, WORKFLOW_EXECUTION_SIGNALED).await,
    );
    stop();
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ceiling_with_server_activities_sends_every_activity_through_the_server() {
    let (server, local, child, signals) = run_ceiling(CeilingActivityKind::Server).await;
    assert_eq!(server, PARENT_ACTIVITIES);
    assert_eq!(local, 0);
    assert_eq!(child, CHILD_ACTIVITIES);
    assert_eq!(signals, 3, "the child reports each carrier event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stricter_ceiling_runs_the_same_activities_locally() {
    let (server, local, child, signals) = run_ceiling(CeilingActivityKind::Local).await;
    assert_eq!(server, 0);
    assert_eq!(local, PARENT_ACTIVITIES);
    assert_eq!(child, CHILD_ACTIVITIES);
    assert_eq!(signals, 3, "the child reports each carrier event");
}
