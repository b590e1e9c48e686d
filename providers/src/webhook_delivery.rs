//! Posting a signed JSON body to a webhook URL.
//!
//! The sandbox payment provider and the sandbox carrier stand in for outside
//! companies that call orderly back. They must go through the same public,
//! signed HTTP endpoint a real provider would use, so the API's signature
//! check, duplicate detection and routing are exercised by every sandbox
//! order rather than bypassed.

use std::time::Duration;

use reqwest::Client;
use url::Url;

use crate::signature::{SIGNATURE_HEADER, sign};

/// Why one delivery attempt failed, and whether trying again could help.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DeliveryError {
    #[error("webhook {url} unreachable: {source}")]
    Unreachable { url: Url, source: reqwest::Error },
    #[error("webhook {url} answered {status}")]
    Refused {
        url: Url,
        status: reqwest::StatusCode,
    },
}

impl DeliveryError {
    /// Connection failures and server errors are worth another attempt;
    /// a 4xx means the receiver looked at the request and said no.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Unreachable { .. } => true,
            DeliveryError::Refused { status, .. } => status.is_server_error(),
        }
    }
}

/// A client with a short timeout: a receiver that hangs must not pin a
/// simulator tick or a background task forever.
pub(crate) fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|_| Client::new())
}

/// One signed POST. The signature is made now, per attempt, so a retry long
/// after the first try still falls inside the receiver's tolerance window.
pub(crate) async fn post_signed(
    client: &Client,
    url: &Url,
    secret: &[u8],
    body: Vec<u8>,
) -> Result<(), DeliveryError> {
    let signature = sign(secret, chrono::Utc::now().timestamp(), &body);
    let response = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|source| DeliveryError::Unreachable {
            url: url.clone(),
            source,
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Refused {
            url: url.clone(),
            status,
        })
    }
}
