//! HTTP request metrics: `http_requests_total` and
//! `http_request_duration_seconds`, labelled by method, route and status.
//!
//! The route label is the matched route template (`/v1/orders/{id}`), never
//! the raw path, so ids in URLs cannot blow up the number of series. The
//! template is only known after routing, inside the router, while requests
//! refused before routing (oversized bodies) must be counted too; so an inner
//! layer tags the response with its route and the outer layer records.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUESTS_TOTAL: &str = "http_requests_total";
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";

/// Label of requests that matched no route (404s).
const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: an API answering from a database and
/// Temporal lives between a few milliseconds and a few seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process-wide Prometheus recorder with histogram buckets for
/// the request duration (without them it would render as a summary). Call
/// once, from the binary; put the handle in `AppState::metrics`.
pub fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(REQUEST_DURATION.to_owned()),
            &DURATION_BUCKETS,
        )?
        .install_recorder()
}

/// The route template a response was produced by.
#[derive(Debug, Clone)]
struct RouteLabel(String);

/// Inner layer (a `route_layer`): tags the response with the matched route.
pub async fn tag_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteLabel(route));
    }
    response
}

/// Outer layer: counts and times every request.
pub async fn record(request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or_else(|| UNMATCHED.to_owned(), |label| label.0.clone());
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!(REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(REQUEST_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Standard methods by name; anything a client invents is `other`, so
/// made-up methods cannot create new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The process-wide recorder's handle, installing it on first use; every
/// app built in this process (tests build many) shares it.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            install_recorder()
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
        })
        .clone()
}
