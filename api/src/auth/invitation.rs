//! Inviting staff: a new staff account gets a password nobody knows (a
//! random one, hashed like any other, so logging in with a guess fails the
//! ordinary way) and an emailed single-use reset code, redeemed at
//! `POST /v1/auth/password-reset/confirm` like any reset, valid for
//! [`INVITATION_TTL_DAYS`].

use chrono::Utc;
use orderly_notifications::staff_invitation_email;
use orderly_providers::Email;
use orderly_store::User;
use uuid::Uuid;

use super::refresh_token::RefreshToken;
use crate::problem::ApiError;
use crate::state::AppState;

/// How long an invitation's code works.
pub const INVITATION_TTL_DAYS: i64 = 7;

/// A password hash of a secret that is thrown away at once.
pub(crate) async fn unusable_password_hash(state: &AppState) -> Result<String, ApiError> {
    state.passwords.hash(RefreshToken::generate().token).await
}

/// Emails `user` the code that sets their first password. `Ok(false)`
/// when email is not configured: the admin must then send a reset by
/// other means.
pub(crate) async fn send_invitation(state: &AppState, user: &User) -> anyhow::Result<bool> {
    let Some(mailer) = &state.mailer else {
        tracing::warn!(user_id = %user.id, "a staff account was created but email is not configured (SMTP_URL)");
        return Ok(false);
    };
    let code = RefreshToken::generate();
    state
        .store
        .accounts()
        .insert_password_reset(
            &code.hash,
            user.id,
            Utc::now() + chrono::Duration::days(INVITATION_TTL_DAYS),
        )
        .await?;
    let message = staff_invitation_email(
        &state.templates,
        &user.name,
        user.role.as_str(),
        &code.token,
        INVITATION_TTL_DAYS,
    )?;
    mailer
        .send(&Email {
            to_name: &user.name,
            to_address: &user.email,
            subject: &message.subject,
            body: &message.body,
            message_id: &format!("<invitation.{}@orderly>", Uuid::now_v7()),
        })
        .await?;
    Ok(true)
}
