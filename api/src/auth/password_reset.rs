//! Password reset by email: `POST /v1/auth/password-reset` and
//! `POST /v1/auth/password-reset/confirm`.
//!
//! Asking for a reset always gets the same 202 at once, whether or not the
//! email is registered: the lookup, the token and the email all happen in a
//! background task after the answer is decided, so neither the body nor the
//! time taken tells a prober anything. The emailed token works once, for
//! `password_reset_ttl` (30 minutes), and is stored only as its SHA-256.
//! Redeeming it replaces the password and ends every session of the user.
//! The code is checked before the new password is hashed, so guessing codes
//! costs the server a database read, not an argon2 hash.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use orderly_domain::UserId;
use orderly_notifications::password_reset_email;
use orderly_providers::Email;
use orderly_store::ResetCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::credentials::{check_email, check_password, normalize_email};
use super::login_throttle::LoginAttempt;
use super::refresh_token::{RefreshToken, hash_of};
use crate::json::ValidJson;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordResetRequest {
    #[schema(example = "asha@example.com")]
    pub email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordResetConfirmation {
    /// The code from the reset email.
    pub token: String,
    /// The new password, 8 to 128 characters.
    pub password: String,
}

/// The answer to a reset request, the same for every email.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResetAccepted {
    pub detail: &'static str,
}

const ACCEPTED: &str = "if an account with this email exists, a reset code has been sent to it";

/// Emails a single-use password reset code, if the account exists.
#[utoipa::path(
    post,
    path = "/v1/auth/password-reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; the same answer whether or not the email is registered", body = ResetAccepted),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<PasswordResetRequest>,
) -> Result<(StatusCode, Json<ResetAccepted>), ApiError> {
    let email = normalize_email(&request.email);
    let mut errors = Vec::new();
    check_email(&email, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    tokio::spawn(async move {
        if let Err(error) = send_reset(&state, &email).await {
            tracing::warn!(%error, "a password reset email was not sent");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(ResetAccepted { detail: ACCEPTED }),
    ))
}

/// Sets a new password with an emailed code and ends every session.
#[utoipa::path(
    post,
    path = "/v1/auth/password-reset/confirm",
    tag = "auth",
    request_body = PasswordResetConfirmation,
    responses(
        (status = 204, description = "Password replaced; every session of the account has ended"),
        (status = 422, description = "Unknown, used or expired code (field `token`), or a bad password", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<PasswordResetConfirmation>,
) -> Result<StatusCode, ApiError> {
    let token = request.token.trim();
    let mut errors = Vec::new();
    if token.is_empty() {
        errors.push(FieldError::new("token", "must not be empty"));
    }
    check_password(&request.password, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let code = hash_of(token);
    let accounts = state.store.accounts();
    usable(accounts.check_reset_code(&code, Utc::now()).await?)?;
    let password_hash = state.passwords.hash(request.password).await?;
    // The check above was only a check: of two redemptions racing, the
    // reset itself decides which one wins.
    let user_id = usable(
        accounts
            .reset_password(&code, &password_hash, Utc::now())
            .await?,
    )?;
    if let Some(user) = accounts.user_by_id(user_id).await? {
        LoginAttempt::forgive_account(&state, &user.email).await;
    }
    state.sessions.forget_user(user_id);
    tracing::info!(%user_id, "password reset; every session revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// The user of a valid code, or the 422 naming what is wrong with it.
fn usable(code: ResetCode) -> Result<UserId, ApiError> {
    let message = match code {
        ResetCode::Valid(user_id) => return Ok(user_id),
        ResetCode::Unknown => "is not a reset code we sent",
        ResetCode::AlreadyUsed => "was already used; request a new one if you still need it",
        ResetCode::Expired => "has expired; request a new one",
    };
    Err(ApiError::validation("token", message))
}

/// The background half of a reset request. A fresh token is drawn and
/// hashed for every request, registered or not, so both cost the same.
async fn send_reset(state: &AppState, email: &str) -> anyhow::Result<()> {
    let token = RefreshToken::generate();
    let Some(found) = state.store.accounts().user_by_email(email).await? else {
        return Ok(());
    };
    let Some(mailer) = &state.mailer else {
        tracing::warn!("a password reset was requested but email is not configured (SMTP_URL)");
        return Ok(());
    };
    if let Some(quota) = state.settings.rate_limits.reset_emails_per_account {
        let key = format!("reset:account:{email}");
        if state.limiter.acquire(&key, quota).await.is_err() {
            tracing::warn!(user_id = %found.user.id, "password reset emails are being requested too often; not sending");
            return Ok(());
        }
    }
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.settings.accounts.password_reset_ttl)?;
    state
        .store
        .accounts()
        .insert_password_reset(&token.hash, found.user.id, now + ttl)
        .await?;
    let message = password_reset_email(
        &state.templates,
        &found.user.name,
        &token.token,
        ttl.num_minutes(),
    )?;
    mailer
        .send(&Email {
            to_name: &found.user.name,
            to_address: &found.user.email,
            subject: &message.subject,
            body: &message.body,
            message_id: &format!("<reset.{}@orderly>", Uuid::now_v7()),
        })
        .await?;
    Ok(())
}
