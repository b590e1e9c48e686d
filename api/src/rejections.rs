//! Error answers that no handler wrote, turned into problem+json.
//!
//! axum and tower-http answer some requests on their own: an unknown route,
//! a method the route lacks, a body over the limit, a path or query that
//! does not parse, a panic. Left alone those would be plain text; clients
//! should only ever have to parse one error format.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::json::BODY_LIMIT;
use crate::problem::{ApiError, PROBLEM_JSON, Problem};

/// Longest plain-text error body carried over as the problem's detail.
const DETAIL_LIMIT: usize = 1024;

/// Fallback of the router: no route has this path.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Fallback of every route: the path exists but not with this method. axum
/// adds the `Allow` header to this answer.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not supported on {}", uri.path()))
}

/// Middleware: rewrites error responses that are not problem+json yet,
/// keeping their status and headers (`Allow`, `Retry-After`).
pub async fn problem_only(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let problem = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }.to_problem()
        }
        // A server error's text may describe internals: never pass it on.
        _ if status.is_server_error() => {
            Problem::plain(status, "the server could not answer this request")
        }
        _ => {
            let text = to_bytes(body, DETAIL_LIMIT)
                .await
                .ok()
                .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
                .filter(|text| !text.trim().is_empty());
            let detail =
                text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
            Problem::for_status(status, detail)
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let (_, body) = problem.into_response().into_parts();
    Response::from_parts(parts, body)
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(PROBLEM_JSON))
}
