//! Drives the ceiling workflow: the same conversation with Temporal as an
//! order (update-with-start, an update, three signals to a child that
//! signals back), with no business code behind it, its activities run
//! through the server or locally.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use temporalio_client::{
    Client, WorkflowExecuteUpdateOptions, WorkflowGetResultOptions, WorkflowIdConflictPolicy,
    WorkflowSignalOptions, WorkflowUpdateWithStartOptions,
};
use tokio::sync::Semaphore;

use crate::ceiling::{
    CARRIER_EVENTS, CeilingActivityKind, CeilingChildWorkflow, CeilingWorkflow, ceiling_child_id,
};

/// How long a carrier event waits for the child workflow to exist.
const CHILD_START_PATIENCE: Duration = Duration::from_secs(120);

pub async fn run(
    client: &Client,
    task_queue: &str,
    count: usize,
    concurrency: usize,
    kind: CeilingActivityKind,
) -> anyhow::Result<f64> {
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = permits.clone().acquire_owned().await.context("semaphore")?;
        let client = client.clone();
        let task_queue = task_queue.to_owned();
        let id = format!("ceiling-{run_id}-{i}");
        tasks.push(tokio::spawn(async move {
            let result = one(&client, &task_queue, id, kind).await;
            drop(permit);
            result
        }));
    }
    for task in tasks {
        task.await.context("ceiling task")??;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// One ceiling workflow, driven to its end as the benchmark drives an order.
pub async fn one(
    client: &Client,
    task_queue: &str,
    id: String,
    kind: CeilingActivityKind,
) -> anyhow::Result<()> {
    let options = WorkflowUpdateWithStartOptions::new(
        task_queue.to_owned(),
        id.clone(),
        WorkflowIdConflictPolicy::Fail,
    )
    .build();
    client
        .execute_update_with_start_workflow(
            CeilingWorkflow::run,
            kind,
            CeilingWorkflow::admit,
            (),
            options,
        )
        .await
        .context("ceiling start")?;
    let handle = client.get_workflow_handle::<CeilingWorkflow>(id.clone());
    handle
        .execute_update(
            CeilingWorkflow::pack,
            (),
            WorkflowExecuteUpdateOptions::default(),
        )
        .await
        .context("ceiling pack")?;
    let child = client.get_workflow_handle::<CeilingChildWorkflow>(ceiling_child_id(&id));
    for event in 1..=CARRIER_EVENTS {
        // The child starts once the activities after `pack` ran, seconds
        // later under full load; a carrier would retry too.
        let deadline = Instant::now() + CHILD_START_PATIENCE;
        loop {
            match child
                .signal(
                    CeilingChildWorkflow::carrier_event,
                    event,
                    WorkflowSignalOptions::default(),
                )
                .await
            {
                Ok(()) => break,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(err) => return Err(err).context("ceiling signal"),
            }
        }
    }
    handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .context("ceiling result")?;
    Ok(())
}
