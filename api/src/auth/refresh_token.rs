//! Opaque refresh tokens.
//!
//! A refresh token is 32 random bytes, base64url-encoded, handed to the
//! client once. Only its SHA-256 is stored, so a leaked database cannot be
//! replayed as sessions. Tokens rotate on every use; the store detects a
//! replayed (already rotated) token and revokes its whole family.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// A new token and the hash under which it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub token: String,
    pub hash: String,
}

impl RefreshToken {
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_of(&token);
        Self { token, hash }
    }
}

/// The stored form of a token the client presents: lower-case hex SHA-256.
pub fn hash_of(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_is_stored_only_as_its_hash() {
        let fresh = RefreshToken::generate();
        assert_eq!(fresh.token.len(), 43);
        assert_eq!(fresh.hash, hash_of(&fresh.token));
        assert_eq!(fresh.hash.len(), 64);
        assert!(!fresh.hash.contains(&fresh.token));
    }

    #[test]
    fn two_generated_tokens_differ() {
        assert_ne!(
            RefreshToken::generate().token,
            RefreshToken::generate().token
        );
    }
}
