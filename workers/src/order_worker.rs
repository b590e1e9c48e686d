//! The worker that hosts orderly's workflows and activities.
//!
//! It runs the order, shipment, cart reminder and expiry sweep workflows and
//! executes their (local) activities with the dependencies given here. `Worker::run`
//! is not `Send`, so callers drive it on their main task (`tokio::select!`
//! there), never in `tokio::spawn`.

use std::net::SocketAddr;
use std::sync::Arc;

use temporalio_client::{Client, ClientOptions, ConnectionOptions};
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{
    PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
};
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use url::Url;

use orderly_activities::Activities;

use crate::payload_codec::PayloadCipher;
use orderly_workflows::{
    CartReminderWorkflow, ExpirySweepWorkflow, ORDER_TASK_QUEUE, OrderWorkflow, ReturnWorkflow,
    ShipmentWorkflow,
};

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("invalid Temporal address {address}: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot connect to Temporal at {address}: {reason}")]
    Connect { address: String, reason: String },
    #[error("cannot start the worker: {0}")]
    Start(String),
    #[error("the worker stopped with an error: {0}")]
    Run(String),
}

/// Connects a client to `address` (`host:port`, or a full `http(s)://` URL)
/// that seals every payload with `cipher`; a worker built on the client
/// seals the same way.
pub async fn connect(
    address: &str,
    namespace: &str,
    cipher: &PayloadCipher,
) -> Result<Client, WorkerError> {
    let url = if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    };
    let target = Url::parse(&url).map_err(|e| WorkerError::Address {
        address: address.to_owned(),
        reason: e.to_string(),
    })?;
    let connection = ConnectionOptions::new(target)
        .identity(format!("orderly@{}", std::process::id()))
        .build();
    let options = ClientOptions::new(namespace.to_owned())
        .data_converter(cipher.data_converter())
        .build();
    Client::connect(connection, options)
        .await
        .map_err(|e| WorkerError::Connect {
            address: address.to_owned(),
            reason: e.to_string(),
        })
}

/// The SDK runtime, exporting the worker's Temporal metrics (task latencies,
/// slots, poll results) in Prometheus format on `metrics_addr` when given.
/// Returns the address actually bound (port 0 picks one).
pub fn runtime(
    metrics_addr: Option<SocketAddr>,
) -> Result<(Runtime, Option<SocketAddr>), WorkerError> {
    let mut bound = None;
    let telemetry = if let Some(addr) = metrics_addr {
        let server = start_prometheus_metric_exporter(
            PrometheusExporterOptions::builder()
                .socket_addr(addr)
                .build(),
        )
        .map_err(|e| WorkerError::Start(format!("metrics exporter on {addr}: {e}")))?;
        bound = Some(server.bound_addr);
        let meter: Arc<dyn CoreMeter> = server.meter;
        TelemetryOptions::builder().metrics(meter).build()
    } else {
        TelemetryOptions::builder().build()
    };
    let options = RuntimeOptions::builder()
        .telemetry_options(telemetry)
        .build()
        .map_err(WorkerError::Start)?;
    let runtime =
        Runtime::from_current_tokio(options).map_err(|e| WorkerError::Start(e.to_string()))?;
    Ok((runtime, bound))
}

/// A worker on the order task queue.
pub struct OrderWorker {
    worker: Worker,
}

impl OrderWorker {
    pub fn new(
        runtime: &Runtime,
        client: Client,
        task_queue: &str,
        activities: Activities,
    ) -> Result<Self, WorkerError> {
        let mut options = WorkerOptions::new(task_queue)
            .register_workflow::<OrderWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .register_workflow::<ShipmentWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .register_workflow::<ReturnWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .register_workflow::<CartReminderWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .register_workflow::<ExpirySweepWorkflow>()
            .map_err(|e| WorkerError::Start(e.to_string()))?
            .build();
        activities.register(&mut options);
        let worker =
            Worker::new(runtime, client, options).map_err(|e| WorkerError::Start(e.to_string()))?;
        Ok(Self { worker })
    }

    /// On the production task queue.
    pub fn on_order_queue(
        runtime: &Runtime,
        client: Client,
        activities: Activities,
    ) -> Result<Self, WorkerError> {
        Self::new(runtime, client, ORDER_TASK_QUEUE, activities)
    }

    /// A function that asks the worker to stop polling and finish what it
    /// holds; `run` returns once it has.
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
