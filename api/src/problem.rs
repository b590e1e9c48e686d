//! The one error type of the API and its single rendering.
//!
//! Every failure a client can see leaves through [`ApiError`] and becomes an
//! RFC 9457 `application/problem+json` body, so clients parse one error shape
//! whatever went wrong. Validation problems name each offending field (by its
//! path in the request body) so a form can show the message next to it.
//! Internal errors are logged with their cause and answered with a generic
//! detail: internals are never shown to a client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderly_domain::{DomainError, PriceChange, Shortage};
use orderly_store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::rate_limits::Throttled;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What a 503 tells the client to wait before retrying.
const SERVICE_UNAVAILABLE_RETRY_SECS: u64 = 2;

/// Problem `type` URIs are this prefix plus a slug, e.g. `…/validation`.
const TYPE_BASE: &str = "https://orderly.dev/problems/";

/// One invalid input, named by its path in the request (`items[0].quantity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DomainError> for FieldError {
    fn from(error: DomainError) -> Self {
        Self::new(error.field, error.message)
    }
}

/// Everything a handler can fail with, one variant per HTTP outcome.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (syntax error, truncated body), or the
    /// request line or headers cannot be read.
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// Well-formed input that breaks the rules; one entry per field.
    #[error("validation failed: {}", summarize(.0))]
    Validation(Vec<FieldError>),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Missing, wrong or expired credentials (token, password, signature).
    /// Deliberately says no more, so it reveals nothing to a guesser.
    #[error("unauthorized")]
    Unauthorized,
    /// Valid credentials without the role the action needs.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such resource, or one the caller may not know exists.
    #[error("not found")]
    NotFound,
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    /// The request clashes with the current state (too late to cancel, a
    /// taken email, stock below what is reserved).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Not enough stock of `sku`; the body names the SKU and the numbers so
    /// a client can offer the available quantity.
    #[error("out of stock: {} ({} requested, {} available)", .0.sku, .0.requested, .0.available)]
    OutOfStock(Shortage),
    /// Catalogue prices moved since these items went into the cart; the
    /// body lists each change so the client can show the new prices.
    #[error("prices changed: {}", .0.len())]
    PriceChanged(Vec<PriceChange>),
    /// An `Idempotency-Key` reused with a different request body.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// Understood but refused as a whole.
    #[error("unprocessable: {0}")]
    UnprocessableEntity(String),
    /// A rate limit or a failure streak refused the request.
    #[error("too many requests: {}", .0.detail)]
    TooManyRequests(Throttled),
    /// A dependency (database, Temporal) cannot be reached; worth retrying.
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// A bug or an impossible state. Logged in full, shown generically.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A validation failure of a single field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// An unexpected failure; `context` says what was being attempted.
    pub fn internal(error: impl Into<anyhow::Error>, context: &'static str) -> Self {
        Self::Internal(error.into().context(context))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_)
            | ApiError::IdempotencyMismatch
            | ApiError::UnprocessableEntity(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::OutOfStock(_) | ApiError::PriceChanged(_) => {
                StatusCode::CONFLICT
            }
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body this error is rendered as.
    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let (slug, detail) = match self {
            ApiError::BadRequest(detail) => ("bad-request", detail.clone()),
            ApiError::Validation(errors) => (
                "validation",
                format!(
                    "{} field(s) failed validation: {}",
                    errors.len(),
                    summarize(errors)
                ),
            ),
            ApiError::UnsupportedMediaType(detail) => ("unsupported-media-type", detail.clone()),
            ApiError::PayloadTooLarge { limit } => (
                "payload-too-large",
                format!("the request body must be at most {limit} bytes"),
            ),
            ApiError::Unauthorized => (
                "unauthorized",
                "the credentials are missing, wrong or expired".to_owned(),
            ),
            ApiError::Forbidden(detail) => ("forbidden", detail.clone()),
            ApiError::NotFound => ("not-found", "there is no such resource".to_owned()),
            ApiError::MethodNotAllowed(detail) => ("method-not-allowed", detail.clone()),
            ApiError::Conflict(detail) => ("conflict", detail.clone()),
            ApiError::OutOfStock(Shortage {
                sku,
                requested,
                available,
            }) => (
                "out-of-stock",
                format!("only {available} of {sku} available, {requested} requested"),
            ),
            ApiError::PriceChanged(changes) => (
                "price-changed",
                format!(
                    "the price of {} changed since it went into the cart; nothing was placed, \
                     and the cart now shows the new prices",
                    changes
                        .iter()
                        .map(|c| format!("{} ({} -> {})", c.sku, c.was, c.now))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            ApiError::IdempotencyMismatch => (
                "idempotency-key-reused",
                "this Idempotency-Key was already used with a different request body".to_owned(),
            ),
            ApiError::UnprocessableEntity(detail) => ("unprocessable-entity", detail.clone()),
            ApiError::TooManyRequests(throttled) => ("too-many-requests", throttled.detail.clone()),
            ApiError::ServiceUnavailable(detail) => ("service-unavailable", detail.clone()),
            ApiError::Internal(_) => (
                "internal",
                "an unexpected error occurred; it has been logged".to_owned(),
            ),
        };
        let mut problem = Problem::new(status, slug, detail);
        match self {
            ApiError::Validation(errors) => problem.errors = errors.clone(),
            ApiError::OutOfStock(Shortage {
                sku,
                requested,
                available,
            }) => {
                problem
                    .extra
                    .insert("sku".to_owned(), Value::from(sku.as_str()));
                problem
                    .extra
                    .insert("requested".to_owned(), Value::from(*requested));
                problem
                    .extra
                    .insert("available".to_owned(), Value::from(*available));
            }
            ApiError::PriceChanged(changes) => {
                problem.extra.insert(
                    "changes".to_owned(),
                    serde_json::to_value(changes).unwrap_or_default(),
                );
            }
            _ => {}
        }
        problem
    }
}

fn summarize(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            StoreError::NotFound => ApiError::NotFound,
            // The store maps constraint violations to Conflict itself, so a
            // raw database error means the database is unreachable or busy.
            StoreError::Database(error) => {
                tracing::warn!(error = %error, "database error");
                ApiError::ServiceUnavailable("the database is unavailable; try again".to_owned())
            }
            other => ApiError::internal(other, "store"),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `https://orderly.dev/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Present on validation problems: what is wrong with which field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Problem-specific members, e.g. `sku` and `available` on an out-of-stock conflict.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Problem {
    /// A problem of orderly's own `slug` type.
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            extra: Map::new(),
        }
    }

    /// A problem for an error response produced outside [`ApiError`] (by the
    /// framework), typed by its status alone.
    pub fn for_status(status: StatusCode, detail: impl Into<String>) -> Self {
        let slug = match status {
            StatusCode::BAD_REQUEST => "bad-request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
            StatusCode::CONFLICT => "conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
            StatusCode::UNPROCESSABLE_ENTITY => "unprocessable-entity",
            StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
            StatusCode::SERVICE_UNAVAILABLE => "service-unavailable",
            _ => return Self::plain(status, detail),
        };
        Self::new(status, slug, detail)
    }

    /// A problem for a status orderly has no type of its own for; RFC 9457
    /// says such problems use `about:blank`.
    pub fn plain(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".to_owned(),
            ..Self::new(status, "", detail)
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error")
            }
            ApiError::ServiceUnavailable(detail) => {
                tracing::warn!(detail, "dependency unavailable")
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let mut response = self.to_problem().into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests(throttled) => throttled.write_headers(headers),
            // A dependency that blinked is usually back within seconds.
            ApiError::ServiceUnavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(SERVICE_UNAVAILABLE_RETRY_SECS),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use orderly_domain::Sku;

    async fn render(error: ApiError) -> (StatusCode, String, Value) {
        let response = error.into_response();
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, content_type, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_validation_error_lists_every_field_as_problem_json() {
        let (status, content_type, body) = render(ApiError::Validation(vec![
            FieldError::new("items[0].quantity", "must be between 1 and 1000"),
            FieldError::new("email", "must be an email address"),
        ]))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(body["type"], "https://orderly.dev/problems/validation");
        assert_eq!(body["status"], 422);
        assert_eq!(body["title"], "Unprocessable Entity");
        assert_eq!(body["errors"][0]["field"], "items[0].quantity");
        assert_eq!(body["errors"][1]["field"], "email");
    }

    #[tokio::test]
    async fn out_of_stock_names_the_sku_and_numbers_at_the_top_level() {
        let (status, _, body) = render(ApiError::OutOfStock(Shortage {
            sku: Sku::parse("APPLE-1KG").unwrap(),
            requested: 5,
            available: 2,
        }))
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["type"], "https://orderly.dev/problems/out-of-stock");
        assert_eq!(body["sku"], "APPLE-1KG");
        assert_eq!(body["requested"], 5);
        assert_eq!(body["available"], 2);
        assert!(body.get("errors").is_none());
    }

    #[tokio::test]
    async fn a_reused_idempotency_key_is_422_of_its_own_type() {
        let (status, _, body) = render(ApiError::IdempotencyMismatch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body["type"],
            "https://orderly.dev/problems/idempotency-key-reused"
        );
    }

    #[tokio::test]
    async fn an_internal_error_never_shows_its_cause() {
        let error = ApiError::internal(anyhow::anyhow!("secret connection string"), "loading");
        let (status, _, body) = render(error).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("secret"));
        assert_eq!(body["type"], "https://orderly.dev/problems/internal");
    }

    #[tokio::test]
    async fn an_unauthorized_answer_names_the_bearer_scheme() {
        let response = ApiError::Unauthorized.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn a_store_conflict_becomes_409_and_not_found_404() {
        assert_eq!(
            ApiError::from(StoreError::Conflict("email taken".into())).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::from(StoreError::NotFound).status(),
            StatusCode::NOT_FOUND
        );
    }
}
