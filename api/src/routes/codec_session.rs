//! Signing the Temporal Web UI in to the codec server.
//!
//! The UI calls the codec server from the browser and cannot attach an
//! `Authorization` header of ours; it can send cookies ("Include
//! cross-origin credentials" in its codec settings). So an admin opens
//! `GET /codec/login` once, signs in, and gets a cookie that only the codec
//! routes read: HttpOnly, `SameSite=Lax`, scoped to `/codec`, for as long as
//! an access token lives, and `Secure` behind a trusted TLS proxy. Behind it
//! is an ordinary session, so `POST /codec/logout` (or a password reset)
//! ends it like any other.

use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use orderly_domain::Role;
use serde::Deserialize;

use crate::auth::routes::{LoginRequest, authenticate};
use crate::auth::{AuthUser, bearer_token, session};
use crate::client_address::ClientAddress;
use crate::problem::ApiError;
use crate::state::AppState;

/// The cookie the codec routes accept besides a bearer token.
const COOKIE: &str = "orderly_codec";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/codec/login", get(login_page).post(login))
        .route("/codec/logout", post(logout))
}

/// The caller of a codec route: an admin, by bearer token (the CLI) or by
/// the codec cookie (the Web UI).
#[derive(Debug, Clone, Copy)]
pub struct CodecAdmin;

impl FromRequestParts<AppState> for CodecAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match bearer_token(&parts.headers) {
            Ok(token) => token,
            Err(_) => cookie(&parts.headers).ok_or(ApiError::Unauthorized)?,
        };
        AuthUser::from_access_token(state, token)
            .await?
            .require(&[Role::Admin])?;
        Ok(CodecAdmin)
    }
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderly codec sign-in</title></head>
<body style="font-family: sans-serif; max-width: 28em; margin: 4em auto">
<h1>Decode payloads in the Temporal Web UI</h1>
<p>Sign in as an admin. The Web UI, with this server's <code>/codec</code> as its codec
endpoint and <em>Include cross-origin credentials</em> on, then shows decoded payloads.</p>
<form method="post" action="/codec/login">
<p><label>Email <input name="email" type="email" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button>Sign in</button></p>
</form></body></html>"#;

/// The sign-in form.
pub async fn login_page() -> Html<&'static str> {
    Html(PAGE)
}

/// Signs an admin in for the codec routes: the cookie, and a page saying so.
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let request = LoginRequest {
        email: form.email,
        password: form.password,
        device_token: None,
    };
    let (user, _) = authenticate(&state, &request, client).await?;
    if user.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only admins may decode payloads".to_owned(),
        ));
    }
    let session = session::start(&state, &user).await?;
    let secure = if behind_tls(&state, &headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/codec; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        session.access_token, session.expires_in
    );
    let mut response = Html(
        "<!doctype html><p>Signed in. The Temporal Web UI can decode payloads \
         until this sign-in expires.</p>",
    )
    .into_response();
    let value = HeaderValue::from_str(&cookie)
        .map_err(|error| ApiError::internal(error, "writing the codec cookie"))?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}

/// Ends the codec sign-in: its session, and the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers)
        && let Ok(caller) = AuthUser::from_access_token(&state, token).await
    {
        session::end_by_id(&state, caller.id, caller.session).await?;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    let expired = format!("{COOKIE}=; Path=/codec; HttpOnly; SameSite=Lax; Max-Age=0");
    let value = HeaderValue::from_str(&expired)
        .map_err(|error| ApiError::internal(error, "writing the codec cookie"))?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}

/// Whether the request reached the trusted proxy over TLS.
fn behind_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.accounts.trust_forwarded_for
        && headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codec_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; orderly_codec=abc.def.ghi; other=1"),
        );
        assert_eq!(cookie(&headers), Some("abc.def.ghi"));
        headers.insert(header::COOKIE, HeaderValue::from_static("orderly_codec="));
        assert_eq!(cookie(&headers), None);
        assert_eq!(cookie(&HeaderMap::new()), None);
    }
}
