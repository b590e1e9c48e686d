//! Device tokens: a client that has logged in before is not locked out by
//! someone else's guessing.
//!
//! A successful login hands the client a token naming the account and a
//! device id, signed with a key derived from the JWT secret. A later login
//! that presents it (`device_token` in the body) counts its failures on that
//! device alone: an attacker guessing the same account, from any address
//! including the same proxy, cannot slow it down, because they do not hold
//! the token. This is the "device cookie" of OWASP's guidance on slowing
//! online guessing, which NIST SP 800-63B §5.2.2 leaves to the verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;

/// How long a device stays trusted without logging in again.
const TRUSTED_FOR_DAYS: i64 = 180;

/// A device id, proven to have logged in to the account it was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device(pub String);

/// A token for `email` on `device` (a fresh device when `None`).
pub fn issue(key: &[u8], email: &str, device: Option<&Device>, now: DateTime<Utc>) -> String {
    let id = device.map_or_else(
        || {
            let mut bytes = [0_u8; 16];
            OsRng.fill_bytes(&mut bytes);
            URL_SAFE_NO_PAD.encode(bytes)
        },
        |device| device.0.clone(),
    );
    let issued = now.timestamp();
    let signature = sign(key, email, &id, issued);
    format!("{id}.{issued}.{signature}")
}

/// The device a presented token proves, if it is ours, for `email` and
/// not expired.
pub fn verify(key: &[u8], email: &str, token: &str, now: DateTime<Utc>) -> Option<Device> {
    let mut parts = token.split('.');
    let (id, issued, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || id.is_empty() || id.len() > 64 {
        return None;
    }
    let issued: i64 = issued.parse().ok()?;
    let age_days = (now.timestamp() - issued) / 86_400;
    if !(0..TRUSTED_FOR_DAYS).contains(&age_days) {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    mac(key, email, id, issued)
        .verify_slice(&signature)
        .ok()
        .map(|()| Device(id.to_owned()))
}

fn sign(key: &[u8], email: &str, id: &str, issued: i64) -> String {
    URL_SAFE_NO_PAD.encode(mac(key, email, id, issued).finalize().into_bytes())
}

fn mac(key: &[u8], email: &str, id: &str, issued: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(format!("{email}\n{id}\n{issued}").as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"device-token-test-key";

    #[test]
    fn a_token_proves_its_device_for_its_account_only() {
        let now = Utc::now();
        let token = issue(KEY, "asha@example.com", None, now);
        let device = verify(KEY, "asha@example.com", &token, now).unwrap();
        assert_eq!(verify(KEY, "ravi@example.com", &token, now), None);
        assert_eq!(
            verify(b"another key", "asha@example.com", &token, now),
            None
        );
        let renewed = issue(KEY, "asha@example.com", Some(&device), now);
        assert_eq!(verify(KEY, "asha@example.com", &renewed, now), Some(device));
    }

    #[test]
    fn an_old_tampered_or_malformed_token_proves_nothing() {
        let now = Utc::now();
        let old = issue(
            KEY,
            "a@example.com",
            None,
            now - chrono::Duration::days(181),
        );
        assert_eq!(verify(KEY, "a@example.com", &old, now), None);
        let token = issue(KEY, "a@example.com", None, now);
        let (id, rest) = token.split_once('.').unwrap();
        let tampered = format!("{id}x.{rest}");
        assert_eq!(verify(KEY, "a@example.com", &tampered, now), None);
        for junk in ["", "a.b", "a.b.c.d", "..", "id.notanumber.sig"] {
            assert_eq!(verify(KEY, "a@example.com", junk, now), None, "{junk:?}");
        }
    }
}
