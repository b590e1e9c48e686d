//! Signing and verifying webhook bodies.
//!
//! Carriers and payment providers tell us about the world by calling our
//! webhooks, and the sandbox ones are simulated by orderly itself. Anyone on
//! the network could call those endpoints, so every body carries an
//! HMAC-SHA256 over `"<unix timestamp>.<raw body>"` in the
//! [`SIGNATURE_HEADER`] header, as `t=<unix>,v1=<hex mac>`. The timestamp is
//! inside the MAC so a captured request cannot be replayed after the
//! tolerance window, and the MAC covers the raw bytes, not a re-serialised
//! form, so the receiver must verify before parsing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HTTP header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Orderly-Signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {SIGNATURE_HEADER} header is missing")]
    Missing,
    #[error("the {SIGNATURE_HEADER} header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature does not match the body")]
    Mismatch,
    #[error(
        "the signature timestamp is {age_secs} s old, more than the {tolerance_secs} s allowed"
    )]
    Expired { age_secs: i64, tolerance_secs: i64 },
    #[error(
        "the signature timestamp is {ahead_secs} s in the future, more than the {tolerance_secs} s allowed"
    )]
    FromTheFuture {
        ahead_secs: i64,
        tolerance_secs: i64,
    },
}

/// The full header value for `body` signed at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mac = keyed(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(mac))
}

/// Checks `header` against `body`, then that its timestamp is within
/// `tolerance_secs` of `now_unix` in either direction.
///
/// Several `v1=` entries are accepted (any one may match) so a sender can
/// sign with an old and a new secret while secrets are rotated.
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let parsed = parse(header.ok_or(SignatureError::Missing)?)?;
    let mac = keyed(secret, parsed.timestamp, body);
    // `verify_slice` compares in constant time, so response timing says
    // nothing about how many leading bytes of a forged MAC were right.
    let matches = parsed
        .macs
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok());
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    let age_secs = now_unix.saturating_sub(parsed.timestamp);
    if age_secs > tolerance_secs {
        return Err(SignatureError::Expired {
            age_secs,
            tolerance_secs,
        });
    }
    if -age_secs > tolerance_secs {
        return Err(SignatureError::FromTheFuture {
            ahead_secs: -age_secs,
            tolerance_secs,
        });
    }
    Ok(())
}

fn keyed(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC is defined for keys of every length (long keys are hashed, short
    // ones padded), so construction cannot fail whatever the secret is.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

struct ParsedHeader {
    timestamp: i64,
    macs: Vec<Vec<u8>>,
}

fn parse(header: &str) -> Result<ParsedHeader, SignatureError> {
    let mut timestamp = None;
    let mut macs = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("expected key=value pairs"))?;
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one t="));
                }
                let t = value
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed("t= is not a unix timestamp"))?;
                timestamp = Some(t);
            }
            "v1" => macs
                .push(hex::decode(value).map_err(|_| SignatureError::Malformed("v1= is not hex"))?),
            // Unknown schemes are skipped so a future v2 can be sent
            // alongside v1 without breaking receivers that only know v1.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t= timestamp"))?;
    if macs.is_empty() {
        return Err(SignatureError::Malformed("no v1= signature"));
    }
    Ok(ParsedHeader { timestamp, macs })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"event_id":"e1","status":"succeeded"}"#;
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn a_signed_body_verifies_with_the_same_secret() {
        let header = sign(SECRET, NOW, BODY);
        assert!(header.starts_with(&format!("t={NOW},v1=")));
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW + 10, 300), Ok(()));
    }

    #[test]
    fn a_signature_made_with_another_secret_is_refused() {
        let header = sign(b"someone-else", NOW, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let header = sign(SECRET, NOW, BODY);
        let tampered = br#"{"event_id":"e1","status":"failed"}"#;
        assert_eq!(
            verify(SECRET, Some(&header), tampered, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn moving_the_timestamp_invalidates_the_signature() {
        let header = sign(SECRET, NOW - 1000, BODY);
        let mac = header.split_once(",v1=").map(|(_, mac)| mac).unwrap_or("");
        let replayed = format!("t={NOW},v1={mac}");
        assert_eq!(
            verify(SECRET, Some(&replayed), BODY, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_than_the_tolerance_is_refused() {
        let header = sign(SECRET, NOW - 301, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, NOW, 300),
            Err(SignatureError::Expired {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        let header = sign(SECRET, NOW - 300, BODY);
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW, 300), Ok(()));
    }

    #[test]
    fn a_signature_from_too_far_in_the_future_is_refused() {
        let header = sign(SECRET, NOW + 301, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, NOW, 300),
            Err(SignatureError::FromTheFuture {
                ahead_secs: 301,
                tolerance_secs: 300
            })
        );
    }

    #[test]
    fn a_missing_header_is_refused() {
        assert_eq!(
            verify(SECRET, None, BODY, NOW, 300),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let mac = hex::encode([0u8; 32]);
        for header in [
            "",
            "garbage",
            &format!("v1={mac}"),
            &format!("t=yesterday,v1={mac}"),
            &format!("t={NOW}"),
            &format!("t={NOW},v1=not-hex"),
            &format!("t={NOW},t={NOW},v1={mac}"),
        ] {
            assert!(
                matches!(
                    verify(SECRET, Some(header), BODY, NOW, 300),
                    Err(SignatureError::Malformed(_))
                ),
                "{header:?} was not reported as malformed"
            );
        }
    }

    #[test]
    fn any_one_of_several_v1_signatures_may_match() {
        let good = sign(SECRET, NOW, BODY);
        let good_mac = good.split_once(",v1=").map(|(_, mac)| mac).unwrap_or("");
        let header = format!(
            "t={NOW},v1={},v1={good_mac},v0=ignored",
            hex::encode([7u8; 32])
        );
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW, 300), Ok(()));
    }
}
