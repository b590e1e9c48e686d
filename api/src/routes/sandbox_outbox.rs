//! `GET /v1/ops/sandbox/messages`: what the built-in sandbox SMS and push
//! gateways delivered, newest first.
//!
//! The sandboxes stand in for providers that would put these messages on a
//! phone; this is where developers and tests read them instead. Admins
//! only: the messages carry customers' phone numbers and device tokens.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{NotificationChannel, Role};
use orderly_store::SandboxMessage;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/ops/sandbox/messages", get(list_sandbox_messages))
}

/// One message a sandbox gateway delivered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SandboxMessageBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// `sms` or `push`.
    pub channel: NotificationChannel,
    /// The phone number (SMS) or device token (push).
    pub recipient: String,
    /// The push notification's title; `null` for SMS.
    pub subject: Option<String>,
    pub body: String,
    /// The key the sender gave; a repeated key delivered nothing new.
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

impl From<SandboxMessage> for SandboxMessageBody {
    fn from(message: SandboxMessage) -> Self {
        Self {
            id: message.id,
            channel: message.channel,
            recipient: message.recipient,
            subject: message.subject,
            body: message.body,
            idempotency_key: message.idempotency_key,
            created_at: message.created_at,
        }
    }
}

/// `?channel=` of the outbox.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// `sms` or `push`; both when absent.
    channel: Option<String>,
}

/// The sandbox gateways' outbox, newest first.
#[utoipa::path(
    get,
    path = "/v1/ops/sandbox/messages",
    tag = "ops",
    security(("bearer" = [])),
    params(OutboxQuery, PageQuery),
    responses(
        (status = 200, description = "One page of delivered messages", body = Paginated<SandboxMessageBody>),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `channel`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_sandbox_messages(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<OutboxQuery>,
    page: PageRequest,
) -> Result<Json<Paginated<SandboxMessageBody>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let channel = match query.channel.as_deref() {
        None => None,
        Some(raw) => Some(
            NotificationChannel::parse(raw)
                .filter(|channel| {
                    matches!(
                        channel,
                        NotificationChannel::Sms | NotificationChannel::Push
                    )
                })
                .ok_or_else(|| ApiError::validation("channel", "must be `sms` or `push`"))?,
        ),
    };
    let before: Option<Uuid> = page.cursor()?;
    let rows = state
        .store
        .sandbox()
        .sandbox_messages(channel, before, page.fetch_limit())
        .await?;
    let (rows, next_cursor) = page.split(rows, |message| message.id.to_string());
    Ok(Json(Paginated {
        items: rows.into_iter().map(SandboxMessageBody::from).collect(),
        next_cursor,
    }))
}
