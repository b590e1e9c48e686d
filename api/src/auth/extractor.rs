//! Who is calling: the `Authorization: Bearer` access token, checked.
//!
//! Handlers take [`AuthUser`] as an argument to require a login, then call
//! [`AuthUser::require`] for actions limited to some roles.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use orderly_domain::{Role, UserId};
use orderly_store::Product;
use uuid::Uuid;

use super::access_token;
use crate::problem::ApiError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    /// The session the access token belongs to.
    pub session: Uuid,
}

impl AuthUser {
    /// `Forbidden` unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this action is not available to the {} role",
                self.role.as_str()
            )))
        }
    }

    /// `Forbidden` unless the caller is an admin or the seller of `product`.
    pub fn ensure_manages(&self, product: &Product) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Seller if product.seller_id == Some(self.id) => Ok(()),
            Role::Seller => Err(ApiError::Forbidden(format!(
                "{} is not one of your products",
                product.sku
            ))),
            _ => self.require(&[Role::Admin, Role::Seller]),
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        AuthUser::from_access_token(state, bearer_token(&parts.headers)?).await
    }
}

impl AuthUser {
    /// The caller an access token proves: signed by us, not expired, and
    /// of a session that has not ended.
    pub async fn from_access_token(state: &AppState, token: &str) -> Result<Self, ApiError> {
        let claims =
            access_token::verify(state.settings.jwt_secret.as_bytes(), token).map_err(|error| {
                tracing::debug!(%error, "access token refused");
                ApiError::Unauthorized
            })?;
        let live = state
            .sessions
            .is_live(&state.store, claims.sub, claims.sid)
            .await?;
        if !live {
            tracing::debug!(user = %claims.sub, "access token of an ended session");
            return Err(ApiError::Unauthorized);
        }
        Ok(AuthUser {
            id: claims.sub,
            role: claims.role,
            session: claims.sid,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme name
/// case-insensitive, as RFC 7235 says).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?;
    value
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim())
        .ok_or(ApiError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_bearer_header_yields_its_token() {
        assert_eq!(
            bearer_token(&headers("Bearer abc.def.ghi")).unwrap(),
            "abc.def.ghi"
        );
        assert_eq!(bearer_token(&headers("bearer abc")).unwrap(), "abc");
    }

    #[test]
    fn a_missing_or_other_scheme_header_is_401() {
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            bearer_token(&headers("Basic dXNlcjpwYXNz")),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer ")),
            Err(ApiError::Unauthorized)
        ));
    }

    #[test]
    fn a_role_outside_the_allowed_ones_is_403() {
        let seller = AuthUser {
            id: UserId::new(),
            role: Role::Seller,
            session: Uuid::now_v7(),
        };
        assert!(seller.require(&[Role::Admin, Role::Seller]).is_ok());
        assert!(matches!(
            seller.require(&[Role::Admin]),
            Err(ApiError::Forbidden(_))
        ));
    }
}
