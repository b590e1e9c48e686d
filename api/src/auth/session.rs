//! Issuing, rotating and ending a user's sessions.
//!
//! A login starts a new session: a refresh-token family, which every refresh
//! continues, so the store can revoke exactly the sessions descended from a
//! stolen token. The access tokens of a session name it, and stop working
//! the moment it is revoked.

use chrono::Utc;
use orderly_domain::UserId;
use orderly_store::User;
use uuid::Uuid;

use super::access_token;
use super::refresh_token::{RefreshToken, hash_of};
use crate::problem::ApiError;
use crate::state::AppState;

/// What a client receives after logging in or refreshing.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
}

/// Starts a new session (a new refresh-token family) for `user`.
pub async fn start(state: &AppState, user: &User) -> Result<Session, ApiError> {
    let now = Utc::now();
    let refresh = RefreshToken::generate();
    let session = Uuid::now_v7();
    state
        .store
        .accounts()
        .insert_refresh_token(&refresh.hash, user.id, session, now + refresh_ttl(state)?)
        .await?;
    finish(state, user, session, refresh.token, now)
}

/// The owner of a presented refresh token, for counting refreshes per
/// account before one is spent.
pub async fn owner(state: &AppState, presented: &str) -> Result<Option<UserId>, ApiError> {
    Ok(state
        .store
        .accounts()
        .refresh_token_owner(&hash_of(presented))
        .await?)
}

/// Exchanges a presented refresh token for a new pair. The presented token
/// stops working; presenting it again revokes the whole family.
pub async fn rotate(state: &AppState, presented: &str) -> Result<(User, Session), ApiError> {
    let now = Utc::now();
    let refresh = RefreshToken::generate();
    let refreshed = state
        .store
        .accounts()
        .rotate_refresh_token(
            &hash_of(presented),
            &refresh.hash,
            now + refresh_ttl(state)?,
            now,
        )
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let user = state
        .store
        .accounts()
        .user_by_id(refreshed.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let session = finish(state, &user, refreshed.session_id, refresh.token, now)?;
    Ok((user, session))
}

/// Ends the session of a refresh token. Unknown tokens are ignored:
/// logging out twice is not an error.
pub async fn end(state: &AppState, presented: &str) -> Result<(), ApiError> {
    let ended = state
        .store
        .accounts()
        .revoke_refresh_token(&hash_of(presented))
        .await?;
    if let Some(session) = ended {
        state.sessions.forget(session);
    }
    Ok(())
}

/// Ends `session` of `user`, named by one of its access tokens.
pub async fn end_by_id(state: &AppState, user: UserId, session: Uuid) -> Result<(), ApiError> {
    state.store.accounts().revoke_session(user, session).await?;
    state.sessions.forget(session);
    Ok(())
}

fn finish(
    state: &AppState,
    user: &User,
    session: Uuid,
    refresh_token: String,
    now: chrono::DateTime<Utc>,
) -> Result<Session, ApiError> {
    let settings = &state.settings;
    let access_token = access_token::issue(
        settings.jwt_secret.as_bytes(),
        user.id,
        user.role,
        session,
        settings.access_token_ttl,
        now,
    )?;
    Ok(Session {
        access_token,
        refresh_token,
        expires_in: settings.access_token_ttl.as_secs(),
    })
}

fn refresh_ttl(state: &AppState) -> Result<chrono::Duration, ApiError> {
    chrono::Duration::from_std(state.settings.refresh_token_ttl)
        .map_err(|error| ApiError::internal(error, "converting the refresh token lifetime"))
}
