//! The codec server: `POST /codec/decode` and `POST /codec/encode`, the
//! protocol the Temporal Web UI and CLI use to show payloads that the
//! workers encrypted (see `orderly_workers::payload_codec`). Admins only:
//! a decoded payload shows customers' names, emails and addresses.
//!
//! Point the CLI at it with `temporal workflow show --codec-endpoint
//! http://<api>/codec --codec-auth "Bearer <admin token>"`, and the Web UI
//! with `http://<api>/codec` as its codec endpoint after signing in at
//! `/codec/login` (see `codec_session`). The browser UI calls from its own
//! origin, so the origins in `ORDERLY_CODEC_CORS_ORIGINS` may call these
//! routes with credentials.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderValue, Method, header};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use temporalio_common::protos::temporal::api::common::v1::Payload;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::codec_session::CodecAdmin;
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

pub fn router(allowed_origins: &[String]) -> Router<AppState> {
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    Router::new()
        .route("/codec/encode", post(encode))
        .route("/codec/decode", post(decode))
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::POST])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::HeaderName::from_static("x-namespace"),
                ])
                .allow_credentials(true),
        )
}

/// Payloads as the codec-server protocol carries them: protobuf JSON, so
/// bytes are base64.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CodecPayloads {
    pub payloads: Vec<CodecPayload>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CodecPayload {
    /// Each value base64.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    /// Base64.
    #[serde(default)]
    pub data: String,
}

impl CodecPayload {
    fn into_payload(self, index: usize) -> Result<Payload, ApiError> {
        let bytes = |field: String, raw: &str| {
            STANDARD
                .decode(raw)
                .map_err(|_| ApiError::validation(field, "must be base64"))
        };
        let mut metadata = HashMap::with_capacity(self.metadata.len());
        for (key, value) in self.metadata {
            let decoded = bytes(format!("payloads[{index}].metadata.{key}"), &value)?;
            metadata.insert(key, decoded);
        }
        Ok(Payload {
            metadata,
            data: bytes(format!("payloads[{index}].data"), &self.data)?,
            ..Default::default()
        })
    }

    fn from_payload(payload: Payload) -> Self {
        Self {
            metadata: payload
                .metadata
                .into_iter()
                .map(|(key, value)| (key, STANDARD.encode(value)))
                .collect(),
            data: STANDARD.encode(payload.data),
        }
    }
}

/// Seals payloads as the workers do (admin).
#[utoipa::path(
    post, path = "/codec/encode", tag = "ops",
    security(("bearer" = [])),
    request_body = CodecPayloads,
    responses(
        (status = 200, body = CodecPayloads),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn encode(
    State(state): State<AppState>,
    _admin: CodecAdmin,
    ValidJson(body): ValidJson<CodecPayloads>,
) -> Result<Json<CodecPayloads>, ApiError> {
    let mut payloads = Vec::with_capacity(body.payloads.len());
    for (index, payload) in body.payloads.into_iter().enumerate() {
        let sealed = state
            .payload_cipher
            .seal(&payload.into_payload(index)?)
            .map_err(|error| ApiError::UnprocessableEntity(error.to_string()))?;
        payloads.push(CodecPayload::from_payload(sealed));
    }
    Ok(Json(CodecPayloads { payloads }))
}

/// Opens payloads the workers sealed (admin); others are returned as they are.
#[utoipa::path(
    post, path = "/codec/decode", tag = "ops",
    security(("bearer" = [])),
    request_body = CodecPayloads,
    responses(
        (status = 200, body = CodecPayloads),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A payload that does not open (altered, or sealed with a key this process lacks)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decode(
    State(state): State<AppState>,
    _admin: CodecAdmin,
    ValidJson(body): ValidJson<CodecPayloads>,
) -> Result<Json<CodecPayloads>, ApiError> {
    let mut payloads = Vec::with_capacity(body.payloads.len());
    for (index, payload) in body.payloads.into_iter().enumerate() {
        let opened = state
            .payload_cipher
            .open(payload.into_payload(index)?)
            .map_err(|error| ApiError::UnprocessableEntity(error.to_string()))?;
        payloads.push(CodecPayload::from_payload(opened));
    }
    Ok(Json(CodecPayloads { payloads }))
}
