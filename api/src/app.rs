//! Assembling the API: every router, the cross-cutting layers, and serving.
//!
//! The layers, outermost first: a request id (`x-request-id`, the client's
//! or a fresh UUIDv7) that the per-request tracing span carries, so every
//! log line of a request has it; the access log; metrics, which therefore
//! count everything including refused requests; a panic guard; turning any
//! plain-text error into problem+json; and the 64 KiB body limit. Inside
//! them, on matched routes only, the rate limits (see `rate_limits`): per
//! address on auth and provider routes, per account on every write.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

use crate::json::BODY_LIMIT;
use crate::problem::ApiError;
use crate::request_id::{self, MakeRequestUuidV7, X_REQUEST_ID};
use crate::state::AppState;
use crate::{auth, http_metrics, rate_limits, rejections, routes};

/// The whole API, ready to serve.
pub fn router(state: AppState) -> Router {
    let auth_routes = auth::router()
        .merge(routes::codec_session::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limits::auth_routes,
        ));
    let provider_routes = Router::new()
        .merge(routes::webhooks::router())
        .merge(routes::sandbox_cards::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limits::provider_routes,
        ));
    let routes = Router::new()
        .merge(routes::codec::router(&state.settings.codec_cors_origins))
        .merge(routes::ops::router())
        .merge(routes::ops_alerts::router())
        .merge(auth_routes)
        .merge(routes::products::router())
        .merge(routes::inventory::router())
        .merge(routes::warehouses::router())
        .merge(routes::warehouse_shipments::router())
        .merge(routes::suppliers::router())
        .merge(routes::reports::router())
        .merge(routes::expiry_sweep::router())
        .merge(routes::staff::router())
        .merge(routes::me::router())
        .merge(routes::orders::router())
        .merge(routes::refunds::router())
        .merge(routes::returns::router())
        .merge(routes::edits::router())
        .merge(provider_routes)
        .merge(routes::cart::router())
        .merge(routes::coupons::router())
        .merge(routes::offers::router())
        .merge(routes::checkout::router())
        .merge(routes::search::router())
        .merge(routes::reviews::router())
        .merge(routes::recommendations::router())
        .merge(routes::categories::router())
        .merge(routes::sandbox_outbox::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limits::writes,
        ));
    with_layers(routes).with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then stops
/// accepting connections and lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "serving HTTP");
    // The peer address is what per-address limits count.
    let service = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Adds the fallbacks and cross-cutting layers to `routes`. Generic over
/// the state so the layering can be tested without a database or Temporal.
pub(crate) fn with_layers<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes
        .fallback(rejections::not_found)
        // Must follow every route and precede `route_layer`, which wraps
        // this fallback too so that 405s carry their route label.
        .method_not_allowed_fallback(rejections::method_not_allowed)
        .route_layer(middleware::from_fn(http_metrics::tag_route))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(
                    X_REQUEST_ID.clone(),
                    MakeRequestUuidV7,
                ))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
                .layer(middleware::from_fn(http_metrics::record))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(middleware::from_fn(rejections::problem_only))
                .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
}

fn request_span(request: &Request<Body>) -> Span {
    // The path without the query: queries may carry cursors or tokens.
    tracing::info_span!(
        "request",
        request_id = %request_id::of(request),
        method = %request.method(),
        path = %request.uri().path(),
    )
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ApiError::Internal(anyhow::anyhow!("a handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::extract::Path;
    use axum::http::{Method, StatusCode, header};
    use axum::routing::{get, post};
    use futures::stream;
    use metrics_exporter_prometheus::PrometheusBuilder;
    use serde_json::Value;
    use tower::ServiceExt;
    use uuid::Uuid;

    use crate::json::ValidJson;
    use crate::problem::PROBLEM_JSON;

    async fn echo(ValidJson(body): ValidJson<Value>) -> axum::Json<Value> {
        axum::Json(body)
    }

    async fn item(Path(id): Path<u32>) -> String {
        id.to_string()
    }

    async fn boom() -> &'static str {
        panic!("the database password is hunter2")
    }

    fn app() -> Router {
        with_layers(
            Router::new()
                .route("/echo", post(echo))
                .route("/items/{id}", get(item))
                .route("/boom", get(boom)),
        )
    }

    async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = app().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    fn get_request(uri: &str) -> Request<Body> {
        Request::builder().uri(uri).body(Body::empty()).unwrap()
    }

    fn assert_problem(headers: &axum::http::HeaderMap, body: &Value, status: StatusCode) {
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(body["status"], status.as_u16());
    }

    #[tokio::test]
    async fn an_unknown_route_is_a_404_problem() {
        let (status, headers, body) = send(get_request("/nowhere")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_problem(&headers, &body, status);
        assert_eq!(body["type"], "https://orderly.dev/problems/not-found");
    }

    #[tokio::test]
    async fn a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones() {
        let request = Request::builder()
            .method(Method::DELETE)
            .uri("/echo")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_problem(&headers, &body, status);
        assert_eq!(headers[header::ALLOW], "POST");
    }

    #[tokio::test]
    async fn every_answer_carries_a_fresh_uuid_v7_request_id() {
        let (_, headers, _) = send(get_request("/items/7")).await;
        let id = Uuid::parse_str(headers[&X_REQUEST_ID].to_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 7);
    }

    #[tokio::test]
    async fn a_request_id_sent_by_the_client_is_echoed() {
        let request = Request::builder()
            .uri("/items/7")
            .header(&X_REQUEST_ID, "client-chosen-id")
            .body(Body::empty())
            .unwrap();
        let (_, headers, _) = send(request).await;
        assert_eq!(headers[&X_REQUEST_ID], "client-chosen-id");
    }

    #[tokio::test]
    async fn a_declared_oversized_body_is_a_413_problem() {
        let body = format!("\"{}\"", "x".repeat(BODY_LIMIT));
        let request = Request::builder()
            .method(Method::POST)
            .uri("/echo")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap();
        let (status, headers, problem) = send(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_problem(&headers, &problem, status);
        assert_eq!(
            problem["type"],
            "https://orderly.dev/problems/payload-too-large"
        );
    }

    #[tokio::test]
    async fn a_streamed_oversized_body_is_a_413_problem() {
        let chunks = (0..80).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024]));
        let request = Request::builder()
            .method(Method::POST)
            .uri("/echo")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(stream::iter(chunks)))
            .unwrap();
        let (status, headers, problem) = send(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_problem(&headers, &problem, status);
    }

    #[tokio::test]
    async fn a_body_just_under_the_limit_is_accepted() {
        let body = format!("\"{}\"", "x".repeat(BODY_LIMIT - 2));
        let request = Request::builder()
            .method(Method::POST)
            .uri("/echo")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, _, _) = send(request).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_path_that_does_not_parse_is_a_400_problem() {
        let (status, headers, body) = send(get_request("/items/seven")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_problem(&headers, &body, status);
        assert_eq!(body["type"], "https://orderly.dev/problems/bad-request");
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_problem_that_hides_the_message() {
        let (status, headers, body) = send(get_request("/boom")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_problem(&headers, &body, status);
        assert!(!body.to_string().contains("hunter2"));
    }

    #[test]
    fn requests_are_counted_by_route_template_method_and_status() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            futures::executor::block_on(async {
                for uri in ["/items/1", "/items/2", "/nowhere"] {
                    app().oneshot(get_request(uri)).await.unwrap();
                }
            })
        });
        let rendered = handle.render();
        assert!(
            rendered.contains(
                r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#
            ),
            "{rendered}"
        );
        assert!(
            rendered
                .contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
            "{rendered}"
        );
        assert!(
            rendered.contains("http_request_duration_seconds"),
            "{rendered}"
        );
    }
}
