//! Where a request came from, for the limits counted per client address.
//!
//! The TCP peer, or the last `X-Forwarded-For` entry when the proxy in
//! front is trusted (`ORDERLY_TRUST_FORWARDED_FOR`): that entry is the one
//! the proxy appended, earlier ones were written by the client and prove
//! nothing. Behind a proxy without the setting every client has the proxy's
//! address, so per-address limits then count everyone together.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::problem::ApiError;
use crate::state::AppState;

/// `None` when neither is known (a router driven without a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// What per-address counters are keyed by. An IPv6 customer usually
    /// controls a whole /64, so that is what is counted.
    pub fn key(&self) -> Option<String> {
        self.0.map(|address| match address {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let segments = v6.segments();
                    format!(
                        "{:x}:{:x}:{:x}:{:x}::/64",
                        segments[0], segments[1], segments[2], segments[3]
                    )
                }
            },
        })
    }
}

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
        let key = |raw: &str| ClientAddress(Some(raw.parse().unwrap())).key().unwrap();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(ClientAddress(None).key(), None);
    }
}
