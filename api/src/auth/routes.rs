//! `/v1/auth/*`: accounts, logins, sessions and password resets.
//!
//! Registration only ever creates customers; staff accounts are seeded by
//! the binary (see [`super::ensure_admin`]). Wrong email and wrong password
//! get the same answer, so the login form does not reveal who is registered.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{Role, UserId};
use orderly_store::{NewUser, StoreError, User};
use serde::{Deserialize, Serialize};

use super::credentials::{check_email, check_name, check_password, normalize_email};
use super::password::{hash_password, verify_against_nothing, verify_password};
use super::password_reset;
use super::session::{self, Session};
use super::throttle::{ClientAddress, LoginThrottle};
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
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
}

impl AuthResponse {
    fn new(user: User, session: Session) -> Self {
        Self {
            user: user.into(),
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            token_type: "Bearer",
            expires_in: session.expires_in,
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
    let password_hash = hash_password(request.password).await?;
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
    Ok((StatusCode::CREATED, Json(AuthResponse::new(user, session))))
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
        (status = 429, description = "Too many failed logins for this account or from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    ValidJson(request): ValidJson<LoginRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    let email = normalize_email(&request.email);
    let throttle = LoginThrottle::new(&state, &email, client);
    throttle.check(Utc::now()).await?;
    let Some(found) = state.store.accounts().user_by_email(&email).await? else {
        verify_against_nothing(request.password).await;
        throttle.failed(Utc::now()).await?;
        return Err(ApiError::Unauthorized);
    };
    if !verify_password(request.password, found.password_hash).await? {
        throttle.failed(Utc::now()).await?;
        return Err(ApiError::Unauthorized);
    }
    throttle.succeeded().await?;
    let session = session::start(&state, &found.user).await?;
    Ok(Json(AuthResponse::new(found.user, session)))
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
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<RefreshRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    let (user, session) = session::rotate(&state, &request.refresh_token).await?;
    Ok(Json(AuthResponse::new(user, session)))
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also for an unknown token)"))
)]
pub async fn logout(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    session::end(&state, &request.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
