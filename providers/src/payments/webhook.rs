//! The sandbox gateway calling orderly back about UPI and netbanking
//! payments, the way a real provider's servers would: later, signed, and
//! possibly more than once.

use std::time::Duration;

use orderly_domain::PaymentWebhook;
use url::Url;

use crate::webhook_delivery::{client, post_signed};

/// How many times one webhook is attempted before the sandbox gives up.
/// A real provider retries for days; a few seconds is enough to ride out an
/// API that is still starting up.
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Where and how the sandbox gateway posts payment webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// Full URL of `POST /v1/webhooks/payments/sandbox`.
    pub url: Url,
    /// Shared secret the receiver verifies signatures with.
    pub secret: String,
    /// How long the simulated customer takes to approve in their bank app.
    pub delay: Duration,
}

impl WebhookTarget {
    /// Posts `webhook` after the configured delay, in the background: the
    /// call that started the payment returns at once, as with a real
    /// provider.
    pub(super) fn announce(&self, webhook: PaymentWebhook) {
        let target = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(target.delay).await;
            target.deliver(&webhook).await;
        });
    }

    async fn deliver(&self, webhook: &PaymentWebhook) {
        let body = match serde_json::to_vec(webhook) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, order_id = %webhook.order_id, "payment webhook could not be encoded");
                return;
            }
        };
        let client = client();
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            match post_signed(&client, &self.url, self.secret.as_bytes(), body.clone()).await {
                Ok(()) => {
                    tracing::info!(order_id = %webhook.order_id, event_id = %webhook.event_id, "sandbox payment webhook delivered");
                    return;
                }
                Err(error) if error.is_retryable() && attempt < ATTEMPTS => {
                    tracing::warn!(%error, attempt, "sandbox payment webhook failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Err(error) => {
                    tracing::error!(%error, attempt, order_id = %webhook.order_id, "sandbox payment webhook abandoned");
                    return;
                }
            }
        }
    }
}
