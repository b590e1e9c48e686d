//! The built-in sandbox SMS gateway, so the SMS channel works end to end
//! with no account at a real provider.
//!
//! Instead of reaching a phone it records what it delivers in the
//! `sandbox_messages` table (read it at `GET /v1/ops/sandbox/messages`),
//! and it behaves like a real provider where that matters to the notifier:
//! an idempotency key it has seen delivers nothing new and succeeds (the
//! table's unique key), and some numbers fail, permanently or not (the test
//! values are in [`crate::sandbox_values`]).

use async_trait::async_trait;
use orderly_domain::{NotificationChannel, PhoneNumber};
use orderly_store::{NewSandboxMessage, Store};

use super::SmsGateway;
use crate::ChannelError;
use crate::sandbox_outbox::record;
use crate::sandbox_values::{SMS_INVALID_NUMBER, SMS_UNREACHABLE_NUMBER};

/// The sandbox SMS provider.
pub struct SandboxSms {
    store: Store,
}

impl SandboxSms {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SmsGateway for SandboxSms {
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        match to.as_str() {
            SMS_INVALID_NUMBER => Err(ChannelError::Rejected(format!(
                "sandbox SMS: {to} is not a valid mobile number"
            ))),
            SMS_UNREACHABLE_NUMBER => Err(ChannelError::Transient(format!(
                "sandbox SMS: the carrier of {to} is not answering"
            ))),
            _ => {
                record(
                    &self.store,
                    NewSandboxMessage {
                        channel: NotificationChannel::Sms,
                        recipient: to.as_str().to_owned(),
                        subject: None,
                        body: text.to_owned(),
                        idempotency_key: idempotency_key.to_owned(),
                    },
                )
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use orderly_domain::NotificationChannel;

    use super::*;
    use crate::sandbox_outbox::tests::{memory_store, outbox};

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn an_sms_is_recorded_once_per_idempotency_key() {
        let store = memory_store().await;
        let sms = SandboxSms::new(store.clone());
        for _ in 0..2 {
            sms.send(&phone("+919876543210"), "orderly: hello", "key-1")
                .await
                .unwrap();
        }
        sms.send(&phone("+919876543210"), "orderly: again", "key-2")
            .await
            .unwrap();
        assert_eq!(
            outbox(&store, NotificationChannel::Sms).await,
            [
                ("+919876543210".to_owned(), "orderly: again".to_owned()),
                ("+919876543210".to_owned(), "orderly: hello".to_owned()),
            ]
        );
        assert!(outbox(&store, NotificationChannel::Push).await.is_empty());
    }

    #[tokio::test]
    async fn the_invalid_test_number_is_refused_for_good_and_records_nothing() {
        let store = memory_store().await;
        let error = SandboxSms::new(store.clone())
            .send(&phone(SMS_INVALID_NUMBER), "orderly: hello", "key-1")
            .await
            .unwrap_err();
        assert!(matches!(error, ChannelError::Rejected(_)), "{error}");
        assert!(!error.is_retryable());
        assert!(outbox(&store, NotificationChannel::Sms).await.is_empty());
    }

    #[tokio::test]
    async fn the_unreachable_test_number_fails_transiently_and_records_nothing() {
        let store = memory_store().await;
        let sms = SandboxSms::new(store.clone());
        for _ in 0..3 {
            let error = sms
                .send(&phone(SMS_UNREACHABLE_NUMBER), "orderly: hello", "key-1")
                .await
                .unwrap_err();
            assert!(error.is_retryable(), "{error}");
        }
        assert!(outbox(&store, NotificationChannel::Sms).await.is_empty());
    }
}
