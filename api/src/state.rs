//! What every handler can reach: the store, the Temporal client and the
//! settings. Cheap to clone (everything inside is shared).

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use temporalio_client::Client;

use orderly_activities::store::Store;
use orderly_workflows::OrderTimings;

/// Settings of the API process, read from the environment by the binary.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// HMAC key of access tokens (`ORDERLY_JWT_SECRET`).
    pub jwt_secret: String,
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_token_ttl: Duration,
    /// Shared secret of carrier webhooks (`ORDERLY_CARRIER_SECRET`).
    pub carrier_secret: String,
    /// Shared secret of payment webhooks (`ORDERLY_PAYMENT_WEBHOOK_SECRET`).
    pub payment_webhook_secret: String,
    /// Oldest webhook timestamp accepted.
    pub webhook_tolerance: Duration,
    /// Timings every new order starts with.
    pub order_timings: OrderTimings,
    /// Temporal namespace of the order workflows.
    pub namespace: String,
    /// Task queue new orders are started on (`ORDER_TASK_QUEUE` in production;
    /// tests give each app its own).
    pub task_queue: String,
    /// The worker's Prometheus endpoint, appended to `/metrics` when set.
    pub worker_metrics_url: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub temporal: Client,
    pub settings: Arc<ApiSettings>,
    /// Renders `/metrics`; `None` when another part of the process owns the recorder.
    pub metrics: Option<PrometheusHandle>,
}
