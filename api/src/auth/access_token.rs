//! Short-lived access tokens: HS256 JWTs naming the user and their role.
//!
//! They live only minutes; the long-lived credential is the refresh token,
//! which is stored (hashed) and can be revoked. Each also names its session
//! (`sid`, the refresh-token family), so ending the session (a logout, a
//! password reset) ends the access tokens already out there too (see
//! `live_sessions`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use orderly_domain::{Role, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::ApiError;

/// Clock difference tolerated between the issuing and the checking replica.
const LEEWAY_SECS: u64 = 5;

/// What an access token asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: UserId,
    pub role: Role,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// Expires at, unix seconds.
    pub exp: i64,
    /// Unique per token, so two tokens issued in the same second differ.
    pub jti: Uuid,
    /// The session (refresh-token family) the token belongs to.
    pub sid: Uuid,
}

/// Signs a token for `user` valid for `ttl` from `now`.
pub fn issue(
    secret: &[u8],
    user: UserId,
    role: Role,
    session: Uuid,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let iat = now.timestamp();
    let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let claims = AccessClaims {
        sub: user,
        role,
        iat,
        exp: iat.saturating_add(ttl_secs),
        jti: Uuid::now_v7(),
        sid: session,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|error| ApiError::internal(error, "signing an access token"))
}

/// Checks signature, algorithm and expiry, and returns the claims. The
/// reason for a refusal is for logs; clients only learn "unauthorized".
pub fn verify(secret: &[u8], token: &str) -> Result<AccessClaims, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.set_required_spec_claims(&["exp", "iat", "sub"]);
    // `sid` is required by the claims type itself: tokens from before
    // sessions were checked do not decode, and their clients refresh.
    jsonwebtoken::decode::<AccessClaims>(token, &DecodingKey::from_secret(secret), &validation)
        .map(|data| data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::errors::ErrorKind;

    const SECRET: &[u8] = b"test-secret-of-a-reasonable-length-0123456789";

    #[test]
    fn a_fresh_token_round_trips_its_claims() {
        let user = UserId::new();
        let token = issue(
            SECRET,
            user,
            Role::Seller,
            Uuid::now_v7(),
            Duration::from_secs(900),
            Utc::now(),
        )
        .unwrap();
        let claims = verify(SECRET, &token).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.role, Role::Seller);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn an_expired_token_is_refused_as_expired() {
        let issued = Utc::now() - chrono::Duration::seconds(3600);
        let token = issue(
            SECRET,
            UserId::new(),
            Role::Customer,
            Uuid::now_v7(),
            Duration::from_secs(60),
            issued,
        )
        .unwrap();
        let error = verify(SECRET, &token).unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::ExpiredSignature);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = issue(
            b"another-secret",
            UserId::new(),
            Role::Admin,
            Uuid::now_v7(),
            Duration::from_secs(60),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(
            verify(SECRET, &token).unwrap_err().kind(),
            &ErrorKind::InvalidSignature
        );
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        // `alg: none` with the claims of an admin: the classic JWT forgery.
        let header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + 600;
        let body = base64_url(
            format!(
                r#"{{"sub":"{}","role":"admin","iat":0,"exp":{exp},"jti":"{}"}}"#,
                UserId::new(),
                Uuid::now_v7()
            )
            .as_bytes(),
        );
        assert!(verify(SECRET, &format!("{header}.{body}.")).is_err());
    }

    fn base64_url(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}
