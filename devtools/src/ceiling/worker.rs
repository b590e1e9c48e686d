//! A worker hosting only the ceiling workflows and their no-op activities.

use temporalio_client::Client;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use orderly_workers::order_worker::WorkerError;

use super::{CeilingActivities, CeilingChildWorkflow, CeilingWorkflow};

pub struct CeilingWorker {
    worker: Worker,
}

impl CeilingWorker {
    pub fn new(runtime: &Runtime, client: Client, task_queue: &str) -> Result<Self, WorkerError> {
        let options = WorkerOptions::new(task_queue)
            .register_workflow::<CeilingWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .register_workflow::<CeilingChildWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .register_activities(CeilingActivities)
            .build();
        let worker =
            Worker::new(runtime, client, options).map_err(|e| WorkerError::Start(e.to_string()))?;
        Ok(Self { worker })
    }

    pub fn shutdown_handle(&self) -> impl Fn() + use<> {
        self.worker.shutdown_handle()
    }

    pub async fn run(&mut self) -> Result<(), WorkerError> {
        self.worker
            .run()
            .await
            .map_err(|e| WorkerError::Run(e.to_string()))
    }
}
