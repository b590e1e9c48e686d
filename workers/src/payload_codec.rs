//! Encryption of everything orderly writes into Temporal: workflow inputs
//! and results, update, signal and query payloads, activity inputs and
//! outputs. Customer names, emails, addresses and payment tokens are in
//! them, and a Temporal history is readable by anyone who can open the Web
//! UI or call the server, so the server only ever sees ciphertext.
//!
//! Each payload is sealed with AES-256-GCM under the current key: the
//! original payload (its metadata and data, protobuf-encoded) becomes the
//! ciphertext, prefixed with a fresh 96-bit nonce, and the new payload's
//! metadata says `encoding: binary/encrypted` and names the key by its id
//! (the first 16 hex digits of the key's SHA-256). Decoding picks the key
//! by that id, so payloads written under a retired key stay readable while
//! new ones use the current key: rotating is adding a new current key and
//! keeping the old one among the retired ones until no running workflow
//! needs it. Payloads without the encrypted encoding (histories written
//! before encryption) pass through unchanged.
//!
//! Both the API's client and the worker use the same [`PayloadCipher`];
//! the API also serves it as a codec server for the Web UI and the CLI.

use std::collections::HashMap;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::FutureExt;
use futures::future::BoxFuture;
use prost::Message;
use sha2::{Digest, Sha256};
use temporalio_common::data_converters::{
    DataConverter, DefaultFailureConverter, PayloadCodec, PayloadConversionError, PayloadConverter,
    SerializationContextData,
};
use temporalio_common::protos::temporal::api::common::v1::Payload;

/// The environment variable holding the current key (32 bytes, base64).
pub const PAYLOAD_KEY_ENV: &str = "ORDERLY_PAYLOAD_KEY";
/// Keys payloads may still be sealed with, comma-separated, base64.
pub const RETIRED_KEYS_ENV: &str = "ORDERLY_PAYLOAD_RETIRED_KEYS";

const ENCODING: &str = "encoding";
const ENCRYPTED: &[u8] = b"binary/encrypted";
const KEY_ID: &str = "encryption-key-id";
const CIPHER: &str = "encryption-cipher";
const AES_256_GCM: &[u8] = b"AES256_GCM";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("{0} must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey(&'static str),
    #[error("the payload was sealed with key {0}, which this process does not have")]
    UnknownKey(String),
    #[error("the payload does not decrypt: it was altered or the key is wrong")]
    Tampered,
    #[error("the payload is not a sealed payload: {0}")]
    Malformed(String),
}

struct SealingKey {
    id: String,
    cipher: Aes256Gcm,
}

impl SealingKey {
    fn from_bytes(bytes: &[u8], name: &'static str) -> Result<Self, CipherError> {
        if bytes.len() != 32 {
            return Err(CipherError::BadKey(name));
        }
        let id = hex::encode(&Sha256::digest(bytes)[..8]);
        Ok(Self {
            id,
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes)),
        })
    }

    fn from_base64(raw: &str, name: &'static str) -> Result<Self, CipherError> {
        let bytes = STANDARD
            .decode(raw.trim())
            .map_err(|_| CipherError::BadKey(name))?;
        Self::from_bytes(&bytes, name)
    }
}

/// Seals and opens payloads; cheap to clone.
#[derive(Clone)]
pub struct PayloadCipher {
    inner: Arc<Keys>,
}

struct Keys {
    current: SealingKey,
    retired: Vec<SealingKey>,
}

/// Shows the key ids, never the keys.
impl std::fmt::Debug for PayloadCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadCipher")
            .field("current", &self.inner.current.id)
            .field(
                "retired",
                &self.inner.retired.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PayloadCipher {
    /// A cipher sealing with `current` (32 raw bytes) and opening payloads
    /// sealed with it or any of `retired`.
    pub fn new(current: &[u8], retired: &[&[u8]]) -> Result<Self, CipherError> {
        Ok(Self {
            inner: Arc::new(Keys {
                current: SealingKey::from_bytes(current, PAYLOAD_KEY_ENV)?,
                retired: retired
                    .iter()
                    .map(|key| SealingKey::from_bytes(key, RETIRED_KEYS_ENV))
                    .collect::<Result<_, _>>()?,
            }),
        })
    }

    /// The cipher of base64 keys as the environment holds them:
    /// `current`, and `retired` comma-separated (may be empty).
    pub fn from_base64(current: &str, retired: &str) -> Result<Self, CipherError> {
        Ok(Self {
            inner: Arc::new(Keys {
                current: SealingKey::from_base64(current, PAYLOAD_KEY_ENV)?,
                retired: retired
                    .split(',')
                    .filter(|key| !key.trim().is_empty())
                    .map(|key| SealingKey::from_base64(key, RETIRED_KEYS_ENV))
                    .collect::<Result<_, _>>()?,
            }),
        })
    }

    /// The id payloads sealed now carry.
    pub fn current_key_id(&self) -> &str {
        &self.inner.current.id
    }

    /// The data converter of a Temporal client (and so of its workers)
    /// that seals every payload with this cipher.
    pub fn data_converter(&self) -> DataConverter {
        DataConverter::new(
            PayloadConverter::default(),
            DefaultFailureConverter::default(),
            self.clone(),
        )
    }

    pub fn seal(&self, payload: &Payload) -> Result<Payload, CipherError> {
        let key = &self.inner.current;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = key
            .cipher
            .encrypt(&nonce, payload.encode_to_vec().as_slice())
            .map_err(|_| CipherError::Malformed("encryption failed".into()))?;
        let mut data = Vec::with_capacity(NONCE_LEN + sealed.len());
        data.extend_from_slice(&nonce);
        data.extend_from_slice(&sealed);
        Ok(Payload {
            metadata: HashMap::from([
                (ENCODING.to_owned(), ENCRYPTED.to_vec()),
                (KEY_ID.to_owned(), key.id.as_bytes().to_vec()),
                (CIPHER.to_owned(), AES_256_GCM.to_vec()),
            ]),
            data,
            ..Default::default()
        })
    }

    /// The original of a sealed payload; any other payload as it is.
    pub fn open(&self, payload: Payload) -> Result<Payload, CipherError> {
        if payload.metadata.get(ENCODING).map(Vec::as_slice) != Some(ENCRYPTED) {
            return Ok(payload);
        }
        let id = payload
            .metadata
            .get(KEY_ID)
            .map(|id| String::from_utf8_lossy(id).into_owned())
            .ok_or_else(|| CipherError::Malformed("it names no key".into()))?;
        let keys = &self.inner;
        let key = std::iter::once(&keys.current)
            .chain(&keys.retired)
            .find(|key| key.id == id)
            .ok_or(CipherError::UnknownKey(id))?;
        if payload.data.len() < NONCE_LEN {
            return Err(CipherError::Malformed("it is too short".into()));
        }
        let (nonce, sealed) = payload.data.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| CipherError::Tampered)?;
        Payload::decode(plain.as_slice()).map_err(|e| CipherError::Malformed(e.to_string()))
    }
}

fn conversion_error(error: CipherError) -> PayloadConversionError {
    PayloadConversionError::EncodingError(Box::new(error))
}

impl PayloadCodec for PayloadCipher {
    fn encode(
        &self,
        _context: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let sealed: Result<Vec<_>, _> = payloads
            .iter()
            .map(|payload| self.seal(payload).map_err(conversion_error))
            .collect();
        async move { sealed }.boxed()
    }

    fn decode(
        &self,
        _context: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let opened: Result<Vec<_>, _> = payloads
            .into_iter()
            .map(|payload| self.open(payload).map_err(conversion_error))
            .collect();
        async move { opened }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_payload(text: &str) -> Payload {
        Payload {
            metadata: HashMap::from([(ENCODING.to_owned(), b"json/plain".to_vec())]),
            data: text.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn a_sealed_payload_hides_its_data_and_opens_to_the_original() {
        let cipher = PayloadCipher::new(&[7; 32], &[]).unwrap();
        let original = json_payload(r#"{"email":"asha@example.com"}"#);
        let sealed = cipher.seal(&original).unwrap();
        assert!(
            !String::from_utf8_lossy(&sealed.data).contains("asha"),
            "the email is in the clear"
        );
        assert_eq!(sealed.metadata[ENCODING], ENCRYPTED);
        assert_eq!(sealed.metadata[KEY_ID], cipher.current_key_id().as_bytes());
        assert_eq!(cipher.open(sealed).unwrap(), original);
    }

    #[test]
    fn the_same_payload_sealed_twice_gives_two_ciphertexts() {
        let cipher = PayloadCipher::new(&[7; 32], &[]).unwrap();
        let original = json_payload("1");
        assert_ne!(
            cipher.seal(&original).unwrap().data,
            cipher.seal(&original).unwrap().data
        );
    }

    #[test]
    fn after_a_rotation_old_payloads_open_with_the_retired_key() {
        let before = PayloadCipher::new(&[1; 32], &[]).unwrap();
        let sealed_before = before.seal(&json_payload("old")).unwrap();
        let after = PayloadCipher::new(&[2; 32], &[&[1; 32]]).unwrap();
        assert_ne!(after.current_key_id(), before.current_key_id());
        assert_eq!(
            after.open(sealed_before).unwrap(),
            json_payload("old"),
            "a retired key still opens"
        );
        let sealed_after = after.seal(&json_payload("new")).unwrap();
        assert!(matches!(
            before.open(sealed_after),
            Err(CipherError::UnknownKey(_))
        ));
    }

    #[test]
    fn an_altered_payload_is_refused() {
        let cipher = PayloadCipher::new(&[7; 32], &[]).unwrap();
        let mut sealed = cipher.seal(&json_payload("100")).unwrap();
        let last = sealed.data.len() - 1;
        sealed.data[last] ^= 1;
        assert!(matches!(cipher.open(sealed), Err(CipherError::Tampered)));
    }

    #[test]
    fn a_payload_written_before_encryption_passes_through() {
        let cipher = PayloadCipher::new(&[7; 32], &[]).unwrap();
        let plain = json_payload("\"placed\"");
        assert_eq!(cipher.open(plain.clone()).unwrap(), plain);
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused_with_its_variable() {
        let error = PayloadCipher::from_base64("c2hvcnQ=", "").unwrap_err();
        assert!(error.to_string().contains(PAYLOAD_KEY_ENV), "{error}");
    }
}
