//! Which requests count against which quota, and how a refusal is answered.
//!
//! - every auth route (register, login, refresh, logout, password reset),
//!   per client address: [`auth_routes`];
//! - register, refresh and reset emails, per account too (in their handlers);
//! - every write (`POST`, `PUT`, `PATCH`, `DELETE`) with a valid access
//!   token, per account, whichever of its tokens it uses: [`writes`];
//! - provider-facing routes (webhooks, the sandbox card vault), per client
//!   address: [`provider_routes`];
//! - logins, with failure streaks instead of a quota (`auth::login_throttle`).
//!
//! A refusal is a 429 problem with `Retry-After`; every limited answer, allowed
//! or not, carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
//! and `RateLimit-Policy` (the IETF RateLimit header fields draft, version 6),
//! so well-behaved clients can slow down before they are refused.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use orderly_rate_limits::{Allowance, FailurePolicy, Quota, Refusal};

use crate::auth::{bearer_token, verify_access_token};
use crate::client_address::ClientAddress;
use crate::problem::ApiError;
use crate::state::AppState;

/// The quotas, each `None` when turned off (`off` in its setting).
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Requests to auth routes per client address (`ORDERLY_RATE_LIMIT_AUTH`).
    pub auth_per_address: Option<Quota>,
    /// Registrations per email and refreshes per account
    /// (`ORDERLY_RATE_LIMIT_AUTH_PER_ACCOUNT`).
    pub auth_per_account: Option<Quota>,
    /// Password reset emails per email (`ORDERLY_RATE_LIMIT_RESET_EMAILS`);
    /// requests past it are answered alike but send nothing.
    pub reset_emails_per_account: Option<Quota>,
    /// Writes per account (`ORDERLY_RATE_LIMIT_WRITES`).
    pub writes_per_account: Option<Quota>,
    /// Webhooks and sandbox provider calls per client address
    /// (`ORDERLY_RATE_LIMIT_WEBHOOKS`).
    pub webhooks_per_address: Option<Quota>,
    /// How failed logins slow down guessing.
    pub login: LoginLimits,
}

/// Failure streaks of logins (`ORDERLY_LOGIN_*`).
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// The streak of one client (an account from one address, or from one
    /// trusted device): its free failures, delays and memory.
    pub per_client: FailurePolicy,
    /// Free failures of an account from every client together, before
    /// clients that have failed on it are slowed down too.
    pub free_per_account: u32,
    /// Free failures from one address over every account.
    pub free_per_address: u32,
}

impl LoginLimits {
    /// The client policy with another number of free failures.
    pub fn with_free(&self, free: u32) -> FailurePolicy {
        FailurePolicy {
            free,
            ..self.per_client
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            auth_per_address: Quota::per_minute(120),
            auth_per_account: Quota::per_minute(10),
            reset_emails_per_account: Quota::new(3, Duration::from_secs(15 * 60)),
            writes_per_account: Quota::per_minute(600),
            webhooks_per_address: Quota::per_minute(3000),
            login: LoginLimits {
                per_client: FailurePolicy {
                    free: 5,
                    first_delay: Duration::from_secs(1),
                    max_delay: Duration::from_secs(15 * 60),
                    forget_after: Duration::from_secs(3600),
                },
                free_per_account: 20,
                free_per_address: 30,
            },
        }
    }
}

/// A refused request, as the 429 answer says it.
#[derive(Debug, Clone)]
pub struct Throttled {
    pub detail: String,
    limit: u32,
    retry_after: Duration,
    reset_after: Duration,
    policy: String,
}

impl Throttled {
    /// Refused by `quota`; `whom` finishes "too many requests …".
    pub fn by_quota(refusal: Refusal, quota: Quota, whom: &str) -> Self {
        Self {
            detail: format!(
                "too many requests {whom} (at most {quota}); try again in {} seconds",
                retry_secs(refusal.retry_after)
            ),
            limit: refusal.limit,
            retry_after: refusal.retry_after,
            reset_after: refusal.reset_after,
            policy: policy(quota.count(), quota.period()),
        }
    }

    /// Refused by a failure streak; `what` names the failures.
    pub fn by_streak(refusal: Refusal, streak: &FailurePolicy, what: &str) -> Self {
        Self {
            detail: format!(
                "too many {what}; try again in {} seconds",
                retry_secs(refusal.retry_after)
            ),
            limit: refusal.limit,
            retry_after: refusal.retry_after,
            reset_after: refusal.reset_after,
            policy: policy(streak.free, streak.forget_after),
        }
    }

    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("retry-after", retry_secs(self.retry_after).into());
        write(headers, self.limit, 0, self.reset_after, &self.policy);
    }
}

/// Takes one request of `quota` for `key`: the allowance, or the 429.
pub async fn acquire(
    state: &AppState,
    key: &str,
    quota: Quota,
    whom: &str,
) -> Result<Allowance, ApiError> {
    state
        .limiter
        .acquire(key, quota)
        .await
        .map_err(|refusal| ApiError::TooManyRequests(Throttled::by_quota(refusal, quota, whom)))
}

/// Middleware of the auth routes: a quota per client address.
pub async fn auth_routes(
    State(state): State<AppState>,
    client: ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    let quota = state.settings.rate_limits.auth_per_address;
    per_address(&state, client, quota, "auth", request, next).await
}

/// Middleware of the routes providers call: a quota per client address.
pub async fn provider_routes(
    State(state): State<AppState>,
    client: ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    let quota = state.settings.rate_limits.webhooks_per_address;
    per_address(&state, client, quota, "provider", request, next).await
}

/// Middleware of every route: writes count per account. A request without
/// a valid token is not counted here; its handler refuses it anyway.
pub async fn writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(quota) = state.settings.rate_limits.writes_per_account else {
        return next.run(request).await;
    };
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let caller = bearer_token(request.headers())
        .ok()
        .and_then(|token| verify_access_token(state.settings.jwt_secret.as_bytes(), token).ok());
    let Some(claims) = caller else {
        return next.run(request).await;
    };
    let key = format!("writes:account:{}", claims.sub);
    limited(&state, &key, quota, "from this account", request, next).await
}

async fn per_address(
    state: &AppState,
    client: ClientAddress,
    quota: Option<Quota>,
    group: &str,
    request: Request,
    next: Next,
) -> Response {
    let (Some(quota), Some(address)) = (quota, client.key()) else {
        return next.run(request).await;
    };
    let key = format!("{group}:address:{address}");
    limited(state, &key, quota, "from this address", request, next).await
}

async fn limited(
    state: &AppState,
    key: &str,
    quota: Quota,
    whom: &str,
    request: Request,
    next: Next,
) -> Response {
    match acquire(state, key, quota, whom).await {
        Ok(allowance) => {
            let mut response = next.run(request).await;
            // A limit inside (a login's failure streak) that refused the
            // request is the one the client must heed.
            if !response.headers().contains_key("ratelimit-limit") {
                write_allowance(response.headers_mut(), quota, allowance);
            }
            response
        }
        Err(refused) => refused.into_response(),
    }
}

/// The RateLimit fields of an allowed request.
pub fn write_allowance(headers: &mut HeaderMap, quota: Quota, allowance: Allowance) {
    write(
        headers,
        allowance.limit,
        allowance.remaining,
        allowance.reset_after,
        &policy(quota.count(), quota.period()),
    );
}

fn write(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: Duration, policy: &str) {
    headers.insert("ratelimit-limit", limit.into());
    headers.insert("ratelimit-remaining", remaining.into());
    headers.insert("ratelimit-reset", ceil_secs(reset).into());
    if let Ok(policy) = HeaderValue::from_str(policy) {
        headers.insert("ratelimit-policy", policy);
    }
}

/// `limit;w=window`, the draft's policy form.
fn policy(limit: u32, window: Duration) -> String {
    format!("{limit};w={}", ceil_secs(window))
}

fn ceil_secs(duration: Duration) -> u64 {
    duration
        .as_millis()
        .div_ceil(1000)
        .try_into()
        .unwrap_or(u64::MAX)
}

/// Whole seconds to wait, never 0: "retry after 0" invites a busy loop.
fn retry_secs(duration: Duration) -> u64 {
    ceil_secs(duration).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_and_a_retry_is_never_immediate() {
        assert_eq!(ceil_secs(Duration::from_millis(1001)), 2);
        assert_eq!(ceil_secs(Duration::ZERO), 0);
        assert_eq!(retry_secs(Duration::ZERO), 1);
        assert_eq!(retry_secs(Duration::from_millis(2500)), 3);
    }

    #[test]
    fn a_refusal_carries_retry_after_and_the_ratelimit_fields() {
        let quota = Quota::per_minute(10).unwrap();
        let refusal = Refusal {
            limit: 10,
            retry_after: Duration::from_millis(5200),
            reset_after: Duration::from_secs(59),
        };
        let throttled = Throttled::by_quota(refusal, quota, "from this address");
        assert!(throttled.detail.contains("10/min"), "{}", throttled.detail);
        let mut headers = HeaderMap::new();
        throttled.write_headers(&mut headers);
        assert_eq!(headers["retry-after"], "6");
        assert_eq!(headers["ratelimit-limit"], "10");
        assert_eq!(headers["ratelimit-remaining"], "0");
        assert_eq!(headers["ratelimit-reset"], "59");
        assert_eq!(headers["ratelimit-policy"], "10;w=60");
    }
}
