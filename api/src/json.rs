//! Reading JSON request bodies so that every rejection is a useful problem.
//!
//! axum's own `Json` answers in plain text and reports a data error without
//! saying which field was wrong. [`ValidJson`] instead sorts failures into
//! the answers a client can act on: 415 for a body that is not declared as
//! JSON, 400 (with the position) for text that is not JSON, 413 for a body
//! over [`BODY_LIMIT`], and 422 naming the field path (`items[0].quantity`,
//! `payment.card_number`) for JSON of the wrong shape, including values the
//! domain types refuse while deserializing (a Luhn-invalid card number, a
//! quantity of zero).

use axum::body::Bytes;
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_path_to_error::Segment;

use crate::problem::{ApiError, FieldError};

/// Largest request body accepted, in bytes. Orders are a few hundred bytes;
/// anything near this is a mistake or an attack.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body deserialized into `T`, or a problem+json rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidJson<T>(pub T);

impl<T, S> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !declares_json(req.headers()) {
            return Err(not_json());
        }
        let body = read_body(req, state).await?;
        parse_json_bytes(&body).map(ValidJson)
    }
}

/// `Option<ValidJson<T>>`: an empty body is `None` (e.g. a cancellation
/// without a reason); a non-empty one must be valid JSON as above.
impl<T, S> OptionalFromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let declared_json = declares_json(req.headers());
        let body = read_body(req, state).await?;
        if body.is_empty() {
            return Ok(None);
        }
        if !declared_json {
            return Err(not_json());
        }
        parse_json_bytes(&body).map(|value| Some(ValidJson(value)))
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }
        } else {
            ApiError::BadRequest(format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ))
        }
    })
}

fn not_json() -> ApiError {
    ApiError::UnsupportedMediaType(
        "the request body must be JSON: send `Content-Type: application/json`".to_owned(),
    )
}

/// Deserializes `body` with the same error reporting as [`ValidJson`]; for
/// handlers that need the raw bytes too (signed webhooks).
pub fn parse_json_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(reject)?;
    deserializer.end().map_err(|error| malformed(&error))?;
    Ok(value)
}

/// `application/json` or any `application/*+json`, parameters allowed.
fn declares_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn reject(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = path_segments(error.path());
    let inner = error.into_inner();
    match inner.classify() {
        Category::Data => ApiError::Validation(vec![field_error(path, &message_of(&inner))]),
        Category::Syntax | Category::Eof | Category::Io => malformed(&inner),
    }
}

fn malformed(error: &serde_json::Error) -> ApiError {
    // serde_json's message already ends with "at line L column C".
    ApiError::BadRequest(format!("the request body is not valid JSON: {error}"))
}

/// serde_json appends the position to every message; a data error is about
/// a field, not a position, so it is dropped.
fn message_of(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    message
        .strip_suffix(&position)
        .map(str::to_owned)
        .unwrap_or(message)
}

/// The path as dotted segments with indexes attached: `["items[0]", "quantity"]`.
fn path_segments(path: &serde_path_to_error::Path) -> Vec<String> {
    let mut segments: Vec<String> = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => match segments.last_mut() {
                Some(last) => last.push_str(&format!("[{index}]")),
                None => segments.push(format!("[{index}]")),
            },
            Segment::Map { key } | Segment::Enum { variant: key } => segments.push(key.clone()),
            Segment::Unknown => segments.push("?".to_owned()),
        }
    }
    segments
}

/// Names the field a data error is about as precisely as the error allows.
///
/// serde reports a missing or unknown field at the path of the object that
/// lacks it, so the field's name is taken from the message. Domain types
/// report `"<field>: <message>"` (their `DomainError`); inside an internally
/// tagged enum serde loses the path at the enum (`payment`) while the domain
/// names the full field (`payment.card_number`), so the two are spliced
/// where they overlap.
fn field_error(mut path: Vec<String>, message: &str) -> FieldError {
    if let Some(name) = backticked_after(message, "missing field ") {
        path.push(name.to_owned());
        return FieldError::new(join(&path), "is required");
    }
    if let Some(name) = backticked_after(message, "unknown field ") {
        // Unlike a missing field, an unknown one was entered before it was
        // refused, so the path may already end with its name.
        if path.last().map(String::as_str) != Some(name) {
            path.push(name.to_owned());
        }
        return FieldError::new(join(&path), "is not a known field");
    }
    match domain_prefix(message) {
        Some((field, rest)) => {
            let named: Vec<&str> = field.split('.').collect();
            let overlap = (1..=named.len().min(path.len()))
                .rev()
                .find(|&n| {
                    path[path.len() - n..]
                        .iter()
                        .map(String::as_str)
                        .eq(named[..n].iter().copied())
                })
                .unwrap_or(0);
            path.extend(named[overlap..].iter().map(|s| (*s).to_owned()));
            FieldError::new(join(&path), rest)
        }
        None => FieldError::new(join(&path), message),
    }
}

fn join(path: &[String]) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.join(".")
    }
}

/// `"missing field `x`"` → `x`.
fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

/// Splits a `DomainError` rendering `"payment.card_number: must be …"`.
/// serde's own messages ("invalid type: …") contain a space before the
/// colon, so they never match.
fn domain_prefix(message: &str) -> Option<(&str, &str)> {
    let (field, rest) = message.split_once(": ")?;
    let looks_like_field = !field.is_empty()
        && field
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.[]".contains(&b));
    looks_like_field.then_some((field, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use orderly_domain::{PaymentInstruction, PaymentMethod, Quantity, Sku};
    use orderly_providers::sandbox_values::CARD_APPROVED;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Line {
        sku: Sku,
        quantity: Quantity,
    }

    #[derive(Debug, Deserialize)]
    struct Order {
        items: Vec<Line>,
        payment: PaymentInstruction,
    }

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut request = Request::builder().method("POST").uri("/");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        request.body(Body::from(body.to_owned())).unwrap()
    }

    async fn extract(content_type: Option<&str>, body: &str) -> Result<Order, ApiError> {
        <ValidJson<Order> as FromRequest<()>>::from_request(request(content_type, body), &())
            .await
            .map(|ValidJson(order)| order)
    }

    async fn extract_optional(
        content_type: Option<&str>,
        body: &str,
    ) -> Result<Option<Order>, ApiError> {
        <ValidJson<Order> as OptionalFromRequest<()>>::from_request(
            request(content_type, body),
            &(),
        )
        .await
        .map(|found| found.map(|ValidJson(order)| order))
    }

    #[tokio::test]
    async fn an_optional_body_may_be_empty_but_not_malformed() {
        assert!(extract_optional(None, "").await.unwrap().is_none());
        assert!(
            extract_optional(Some("application/json"), "")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            extract_optional(Some("application/json"), &good())
                .await
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            extract_optional(Some("application/json"), "{").await,
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            extract_optional(Some("text/plain"), &good()).await,
            Err(ApiError::UnsupportedMediaType(_))
        ));
    }

    fn only_field(error: ApiError) -> FieldError {
        match error {
            ApiError::Validation(mut errors) if errors.len() == 1 => errors.remove(0),
            other => panic!("expected one field error, got {other:?}"),
        }
    }

    fn good() -> String {
        format!(
            r#"{{"items":[{{"sku":"APPLE-1KG","quantity":2}}],"payment":{{"method":"card","card_number":"{CARD_APPROVED}"}}}}"#
        )
    }

    #[tokio::test]
    async fn a_well_formed_body_is_accepted() {
        let order = extract(Some("application/json; charset=utf-8"), &good())
            .await
            .unwrap();
        assert_eq!(order.items[0].sku.as_str(), "APPLE-1KG");
        assert_eq!(order.items[0].quantity.get(), 2);
        assert_eq!(order.payment.method(), PaymentMethod::Card);
    }

    #[tokio::test]
    async fn a_body_without_a_json_content_type_is_415() {
        assert!(matches!(
            extract(None, &good()).await,
            Err(ApiError::UnsupportedMediaType(_))
        ));
        assert!(matches!(
            extract(Some("text/plain"), &good()).await,
            Err(ApiError::UnsupportedMediaType(_))
        ));
    }

    #[tokio::test]
    async fn a_syntax_error_is_400_naming_the_position() {
        match extract(Some("application/json"), r#"{"items": [}"#).await {
            Err(ApiError::BadRequest(detail)) => {
                assert!(detail.contains("line 1 column 12"), "{detail}")
            }
            other => panic!("expected 400, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn trailing_garbage_after_the_document_is_400() {
        let body = format!("{} x", good());
        assert!(matches!(
            extract(Some("application/json"), &body).await,
            Err(ApiError::BadRequest(_))
        ));
    }

    #[tokio::test]
    async fn a_refused_quantity_is_422_at_its_nested_path() {
        let body = good().replace(r#""quantity":2"#, r#""quantity":0"#);
        let error = only_field(extract(Some("application/json"), &body).await.unwrap_err());
        assert_eq!(error.field, "items[0].quantity");
        assert_eq!(error.message, "must be between 1 and 1000");
    }

    #[tokio::test]
    async fn a_luhn_invalid_card_is_422_at_payment_card_number() {
        let body = good().replace(CARD_APPROVED, "4242424242424241");
        let error = only_field(extract(Some("application/json"), &body).await.unwrap_err());
        assert_eq!(error.field, "payment.card_number");
        assert!(error.message.contains("Luhn"), "{}", error.message);
    }

    #[tokio::test]
    async fn a_missing_field_is_422_naming_the_field() {
        let body = r#"{"items":[{"sku":"APPLE-1KG"}],"payment":{"method":"cod"}}"#;
        let error = only_field(extract(Some("application/json"), body).await.unwrap_err());
        assert_eq!(error.field, "items[0].quantity");
        assert_eq!(error.message, "is required");
    }

    #[tokio::test]
    async fn a_missing_field_inside_a_tagged_enum_is_named_in_full() {
        let body = r#"{"items":[],"payment":{"method":"card"}}"#;
        let error = only_field(extract(Some("application/json"), body).await.unwrap_err());
        assert_eq!(error.field, "payment.card_number");
    }

    #[test]
    fn an_unknown_field_is_named_once_at_its_path() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Strict {
            #[serde(rename = "inner")]
            _inner: Option<Box<Strict>>,
        }
        let error = only_field(parse_json_bytes::<Strict>(br#"{"coupon": 1}"#).unwrap_err());
        assert_eq!(error.field, "coupon");
        assert_eq!(error.message, "is not a known field");
        let nested = parse_json_bytes::<Strict>(br#"{"inner": {"coupon": 1}}"#).unwrap_err();
        assert_eq!(only_field(nested).field, "inner.coupon");
    }

    #[tokio::test]
    async fn a_wrong_type_is_422_at_its_path() {
        let body = good().replace(r#""quantity":2"#, r#""quantity":"two""#);
        let error = only_field(extract(Some("application/json"), &body).await.unwrap_err());
        assert_eq!(error.field, "items[0].quantity");
        assert!(
            error.message.starts_with("invalid type"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn an_unknown_payment_method_is_422_at_payment_method() {
        let body = r#"{"items":[],"payment":{"method":"bitcoin"}}"#;
        let error = only_field(extract(Some("application/json"), body).await.unwrap_err());
        assert_eq!(error.field, "payment.method");
        assert!(
            error.message.contains("unknown variant `bitcoin`"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn a_malformed_sku_is_422_at_its_path() {
        let body = good().replace("APPLE-1KG", "apple");
        let error = only_field(extract(Some("application/json"), &body).await.unwrap_err());
        assert_eq!(error.field, "items[0].sku");
    }

    #[test]
    fn a_body_of_the_wrong_kind_is_reported_against_the_whole_body() {
        let error = only_field(parse_json_bytes::<Order>(b"42").unwrap_err());
        assert_eq!(error.field, "body");
    }
}
