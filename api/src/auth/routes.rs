//! `/v1/auth/*`: accounts, logins, sessions and password resets.
//!
//! Registration only ever creates customers; staff accounts are seeded by
//! the binary (see [`super::ensure_admin`]). Wrong email and wrong password
//! get the same answer, so the login form does not reveal who is registered.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{Role, UserId};
use orderly_store::{NewUser, StoreError, User};
use serde::{Deserialize, Serialize};

use super::access_token;
use super::credentials::{check_email, check_name, check_password, normalize_email};
use super::extractor::bearer_token;
use super::login_throttle::LoginAttempt;
use super::password_reset;
use super::session::{self, Session};
use crate::client_address::ClientAddress;
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
use crate::rate_limits;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/register", post(register))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route(
            "/v1/auth/password-reset",
            post(password_reset::request_password_reset),
        )
        .route(
            "/v1/auth/password-reset/confirm",
            post(password_reset::confirm_password_reset),
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "asha@example.com")]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    #[schema(example = "Asha Rao")]
    pub name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The `device_token` of this client's last login to the account, if
    /// any: its failed logins are then counted apart from anyone else's.
    #[serde(default)]
    pub device_token: Option<String>,
}

/// A refresh token, to exchange (`/refresh`) or to end (`/logout`).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// An account as the API shows it (never its password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserBody {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            created_at: user.created_at,
        }
    }
}

/// The answer to a registration, login or refresh.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuthResponse {
    pub user: UserBody,
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; exchange it at `/v1/auth/refresh` before it expires. Single use.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Keep it and send it with the next login to this account (from a
    /// login or a registration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

impl AuthResponse {
    fn new(user: User, session: Session, device_token: Option<String>) -> Self {
        Self {
            user: user.into(),
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            token_type: "Bearer",
            expires_in: session.expires_in,
            device_token,
        }
    }
}

/// Creates a customer account and logs it in.
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and logged in", body = AuthResponse),
        (status = 409, description = "The email is already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email, password or name", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address or for this email; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many passwords are being hashed; retry", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AuthResponse>), ApiError> {
    let email = normalize_email(&request.email);
    let name = request.name.trim().to_owned();
    let mut errors = Vec::new();
    check_email(&email, &mut errors);
    check_password(&request.password, &mut errors);
    check_name(&name, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(quota) = state.settings.rate_limits.auth_per_account {
        let key = format!("register:account:{email}");
        rate_limits::acquire(&state, &key, quota, "for this email").await?;
    }
    let password_hash = state.passwords.hash(request.password).await?;
    let user = state
        .store
        .accounts()
        .insert_user(&NewUser {
            email,
            name,
            password_hash,
            role: Role::Customer,
        })
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => {
                ApiError::Conflict("an account with this email already exists".to_owned())
            }
            other => other.into(),
        })?;
    let session = session::start(&state, &user).await?;
    let device = LoginAttempt::trusted_device(&state, &user.email);
    Ok((
        StatusCode::CREATED,
        Json(AuthResponse::new(user, session, Some(device))),
    ))
}

/// Exchanges email and password for a pair of tokens.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AuthResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins (by this client, from this address, or to this account); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many passwords are being checked; retry", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    ValidJson(request): ValidJson<LoginRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    let (user, device) = authenticate(&state, &request, client).await?;
    let session = session::start(&state, &user).await?;
    Ok(Json(AuthResponse::new(user, session, Some(device))))
}

/// Checks a login, throttled: the user and the device token to hand the
/// client, or 401 (wrong email or password alike), 429 or 503.
pub(crate) async fn authenticate(
    state: &AppState,
    request: &LoginRequest,
    client: ClientAddress,
) -> Result<(User, String), ApiError> {
    let email = normalize_email(&request.email);
    let attempt =
        LoginAttempt::begin(state, &email, client, request.device_token.as_deref()).await?;
    let password = request.password.clone();
    let Some(found) = state.store.accounts().user_by_email(&email).await? else {
        state.passwords.verify_against_nothing(password).await?;
        return Err(ApiError::Unauthorized);
    };
    if !state
        .passwords
        .verify(password, found.password_hash)
        .await?
    {
        return Err(ApiError::Unauthorized);
    }
    // A deactivated account is told no more than a wrong password is.
    if !found.active {
        return Err(ApiError::Unauthorized);
    }
    let device = attempt.succeeded(state, &email).await;
    Ok((found.user, device))
}

/// Exchanges a refresh token for a new pair; the presented one stops working.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair of tokens", body = AuthResponse),
        (status = 401, description = "Unknown, expired, revoked or already used token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many refreshes from this address or of this account; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<RefreshRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    if let Some(quota) = state.settings.rate_limits.auth_per_account
        && let Some(owner) = session::owner(&state, &request.refresh_token).await?
    {
        let key = format!("refresh:account:{owner}");
        rate_limits::acquire(&state, &key, quota, "for this account").await?;
    }
    let (user, session) = session::rotate(&state, &request.refresh_token).await?;
    Ok(Json(AuthResponse::new(user, session, None)))
}

/// Ends the session the refresh token belongs to, and the session of the
/// `Authorization` access token if one is sent: the access tokens of an
/// ended session are refused from then on.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also for an unknown token)"))
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(request): ValidJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    session::end(&state, &request.refresh_token).await?;
    let access = bearer_token(&headers)
        .ok()
        .and_then(|token| access_token::verify(state.settings.jwt_secret.as_bytes(), token).ok());
    if let Some(claims) = access {
        session::end_by_id(&state, claims.sub, claims.sid).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
