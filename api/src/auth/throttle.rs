//! Login throttling: slowing down, then refusing, password guessing.
//!
//! Failed logins are counted per account (the email, registered or not, so
//! the lockout itself reveals nothing) and per client address, in fixed
//! windows stored in the database so every API replica sees the same
//! counts. Each failure of an account is answered a little later than the
//! previous one; once a limit is reached, every attempt (even with the right
//! password) is refused with 429 and `Retry-After` until the window ends. A
//! successful login clears the account's count, not the address's: one
//! account the attacker owns must not reset their budget for guessing
//! others.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use orderly_store::FailureWindow;

use crate::problem::ApiError;
use crate::state::AppState;

/// Where a request came from, as far as the API can tell: the TCP peer, or
/// the last `X-Forwarded-For` entry when the proxy in front is trusted.
/// `None` when neither is known (a router driven without a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let forwarded = state
            .settings
            .accounts
            .trust_forwarded_for
            .then(|| forwarded_for(parts))
            .flatten();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(ClientAddress(forwarded.or(peer)))
    }
}

/// The entry the trusted proxy appended: the last one. Earlier entries
/// were written by the client and prove nothing.
fn forwarded_for(parts: &Parts) -> Option<IpAddr> {
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|entry| entry.trim().parse().ok())
}

/// The counter key of a client address. An IPv6 customer usually controls
/// a whole /64, so that is what is counted.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("login:address:{v4}"),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            format!(
                "login:address:{:x}:{:x}:{:x}:{:x}::/64",
                segments[0], segments[1], segments[2], segments[3]
            )
        }
    }
}

/// The throttle of one login attempt.
pub struct LoginThrottle<'a> {
    state: &'a AppState,
    account: String,
    address: Option<String>,
}

impl<'a> LoginThrottle<'a> {
    /// For a login to `email` (already normalized) from `client`.
    pub fn new(state: &'a AppState, email: &str, client: ClientAddress) -> Self {
        Self {
            state,
            account: format!("login:account:{email}"),
            address: client.0.map(address_key),
        }
    }

    /// 429 with `Retry-After` while the account or the address is locked.
    pub async fn check(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        let limits = &self.state.settings.accounts;
        let window = window(self.state)?;
        let mut checks = vec![(
            &self.account,
            limits.max_failures_per_account,
            "this account",
        )];
        if let Some(address) = &self.address {
            checks.push((address, limits.max_failures_per_address, "this address"));
        }
        for (key, limit, whom) in checks {
            let Some(failures) = self
                .state
                .store
                .accounts()
                .login_failures(key, now, window)
                .await?
            else {
                continue;
            };
            if failures.count >= limit {
                let retry_after = seconds_left(&failures, window, now);
                return Err(ApiError::TooManyRequests {
                    detail: format!(
                        "too many failed logins from {whom}; try again in {retry_after} seconds"
                    ),
                    retry_after_secs: Some(retry_after),
                });
            }
        }
        Ok(())
    }

    /// Counts a failed attempt, then waits longer the more the account
    /// has failed in this window.
    pub async fn failed(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        let window = window(self.state)?;
        let store = &self.state.store;
        let account = store
            .accounts()
            .record_login_failure(&self.account, now, window)
            .await?;
        if let Some(address) = &self.address {
            store
                .accounts()
                .record_login_failure(address, now, window)
                .await?;
        }
        let earlier = u32::try_from(account.count.saturating_sub(1)).unwrap_or(u32::MAX);
        let delay = self
            .state
            .settings
            .accounts
            .failure_delay_step
            .saturating_mul(earlier.min(MAX_DELAY_STEPS));
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// The right password: the account starts afresh.
    pub async fn succeeded(&self) -> Result<(), ApiError> {
        self.state
            .store
            .accounts()
            .clear_login_failures(&self.account)
            .await?;
        Ok(())
    }
}

/// The longest a failed login is held back, in delay steps.
const MAX_DELAY_STEPS: u32 = 8;

fn window(state: &AppState) -> Result<chrono::Duration, ApiError> {
    chrono::Duration::from_std(state.settings.accounts.login_failure_window)
        .map_err(|error| ApiError::internal(error, "converting the login failure window"))
}

/// Whole seconds until the window of `failures` ends, at least 1.
fn seconds_left(failures: &FailureWindow, window: chrono::Duration, now: DateTime<Utc>) -> u64 {
    let left_ms = (failures.started_at + window - now).num_milliseconds();
    u64::try_from(left_ms.saturating_add(999) / 1000)
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[test]
    fn only_the_last_forwarded_entry_counts() {
        let (parts, ()) = Request::builder()
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(forwarded_for(&parts), Some("203.0.113.7".parse().unwrap()));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_prefix() {
        let one = address_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let other = address_key("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(one, other);
        assert_eq!(one, "login:address:2001:db8:1:2::/64");
        assert_eq!(
            address_key("203.0.113.7".parse().unwrap()),
            "login:address:203.0.113.7"
        );
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let now = Utc::now();
        let window = chrono::Duration::seconds(60);
        let failures = |ago_ms: i64| FailureWindow {
            count: 5,
            started_at: now - chrono::Duration::milliseconds(ago_ms),
        };
        assert_eq!(seconds_left(&failures(0), window, now), 60);
        assert_eq!(seconds_left(&failures(500), window, now), 60);
        assert_eq!(seconds_left(&failures(59_999), window, now), 1);
        assert_eq!(seconds_left(&failures(70_000), window, now), 1);
    }
}
