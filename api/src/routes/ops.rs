//! Endpoints for operators and machines: liveness, readiness, metrics and
//! the OpenAPI document.
//!
//! `/healthz` only says the process serves HTTP (restart it if not);
//! `/readyz` says whether it can do useful work, i.e. reach the database and
//! Temporal (stop sending it traffic if not).

use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use temporalio_client::tonic::IntoRequest;
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;

use crate::openapi;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// A dependency that has not answered by then counts as down: a readiness
/// probe must answer before the orchestrator's own timeout.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can reach the database and Temporal.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "A dependency is down; `detail` names it", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let (database, temporal) = tokio::join!(database_ready(&state), temporal_ready(&state));
    let down: Vec<&str> = [("database", database), ("temporal", temporal)]
        .into_iter()
        .filter_map(|(name, result)| match result {
            Ok(()) => None,
            Err(reason) => {
                tracing::warn!(dependency = name, %reason, "readiness check failed");
                Some(name)
            }
        })
        .collect();
    if down.is_empty() {
        Ok(Json(Health { status: "ok" }))
    } else {
        Err(ApiError::ServiceUnavailable(format!(
            "not ready: {} unavailable",
            down.join(" and ")
        )))
    }
}

async fn database_ready(state: &AppState) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// Describing our namespace proves both that the frontend answers and that
/// the namespace exists (a fresh server without it cannot run workflows).
async fn temporal_ready(state: &AppState) -> Result<(), String> {
    let request = DescribeNamespaceRequest {
        namespace: state.settings.namespace.clone(),
        ..Default::default()
    };
    let mut service = state.temporal.connection().workflow_service();
    match tokio::time::timeout(
        CHECK_TIMEOUT,
        service.describe_namespace(request.into_request()),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(status)) => Err(status.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// Prometheus metrics in the text exposition format: this process's, then
/// the Temporal worker's when `worker_metrics_url` is set, so one scrape
/// target covers both.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 404, description = "This process does not export metrics", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let handle = state.metrics.as_ref().ok_or(ApiError::NotFound)?;
    // Without the exporter's own HTTP listener nothing else runs upkeep,
    // which drains histogram buckets; a scrape is the natural moment.
    handle.run_upkeep();
    let mut text = handle.render();
    if let Some(url) = &state.settings.worker_metrics_url {
        text.push('\n');
        text.push_str(&worker_metrics(url).await);
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// The worker's exposition text, or a comment saying why it is missing: a
/// worker being down must not hide the API's own metrics.
async fn worker_metrics(url: &str) -> String {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
        reqwest::Client::builder()
            .timeout(CHECK_TIMEOUT)
            .build()
            .unwrap_or_default()
    });
    let fetched = async {
        CLIENT
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await
    };
    match fetched.await {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(%error, url, "worker metrics unavailable");
            "# worker metrics unavailable\n".to_owned()
        }
    }
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    static DOCUMENT: LazyLock<Result<String, String>> = LazyLock::new(|| {
        openapi::document()
            .to_json()
            .map_err(|error| error.to_string())
    });
    match &*DOCUMENT {
        Ok(json) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json.clone(),
        )
            .into_response(),
        Err(error) => {
            ApiError::internal(anyhow::anyhow!("{error}"), "rendering the OpenAPI document")
                .into_response()
        }
    }
}
