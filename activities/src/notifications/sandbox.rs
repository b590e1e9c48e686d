//! The built-in sandbox SMS and push gateways, so every channel works end
//! to end with no account at a real provider.
//!
//! Instead of reaching a phone they record what they deliver in the
//! `sandbox_messages` table (read it at `GET /v1/ops/sandbox/messages`),
//! and they behave like real providers where that matters to the notifier:
//! an idempotency key they have seen delivers nothing new and succeeds (the
//! table's unique key), and some recipients fail, permanently or not.
//!
//! Test values:
//!
//! | Channel | Recipient                     | Outcome                                                    |
//! |---------|-------------------------------|------------------------------------------------------------|
//! | SMS     | `+15005550001`                | refused, final (invalid number)                            |
//! | SMS     | `+15005550009`                | fails transiently on every attempt (carrier unreachable)   |
//! | SMS     | any other number              | delivered                                                  |
//! | push    | device token `invalid-device` | refused, final (unregistered); the registration is deleted |
//! | push    | any other token               | delivered                                                  |

use async_trait::async_trait;
use orderly_domain::{DeviceToken, NotificationChannel, PhoneNumber};

use super::{NotifyError, PushGateway, SmsGateway};
use crate::store::{NewSandboxMessage, Store};

/// SMS to this number are refused for good, as a provider refuses a number
/// that is not a mobile phone.
pub const SMS_INVALID_NUMBER: &str = "+15005550001";
/// SMS to this number fail transiently, as when the recipient's carrier does
/// not answer.
pub const SMS_UNREACHABLE_NUMBER: &str = "+15005550009";
/// Pushes to this device token are refused for good, as a push service
/// refuses a token of an uninstalled app.
pub const PUSH_INVALID_DEVICE: &str = "invalid-device";

/// The sandbox SMS provider.
pub struct SandboxSms {
    store: Store,
}

impl SandboxSms {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// The sandbox push service.
pub struct SandboxPush {
    store: Store,
}

impl SandboxPush {
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
    ) -> Result<(), NotifyError> {
        match to.as_str() {
            SMS_INVALID_NUMBER => Err(NotifyError::Rejected(format!(
                "sandbox SMS: {to} is not a valid mobile number"
            ))),
            SMS_UNREACHABLE_NUMBER => Err(NotifyError::Transient(format!(
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

#[async_trait]
impl PushGateway for SandboxPush {
    async fn send(
        &self,
        device_token: &DeviceToken,
        title: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<(), NotifyError> {
        if device_token.as_str() == PUSH_INVALID_DEVICE {
            self.store
                .forget_push_token(device_token)
                .await
                .map_err(|e| NotifyError::Transient(format!("sandbox push state: {e}")))?;
            return Err(NotifyError::Rejected(format!(
                "sandbox push: device token {PUSH_INVALID_DEVICE:?} is not registered; \
                 its registration was deleted"
            )));
        }
        record(
            &self.store,
            NewSandboxMessage {
                channel: NotificationChannel::Push,
                recipient: device_token.as_str().to_owned(),
                subject: Some(title.to_owned()),
                body: body.to_owned(),
                idempotency_key: idempotency_key.to_owned(),
            },
        )
        .await
    }
}

/// Delivers `message` unless its key was delivered before; either way the
/// send succeeded. The sandbox's own storage failing is, to the caller, the
/// provider being unavailable.
async fn record(store: &Store, message: NewSandboxMessage) -> Result<(), NotifyError> {
    store
        .record_sandbox_message(&message)
        .await
        .map(drop)
        .map_err(|e| {
            NotifyError::Transient(format!("sandbox {} outbox: {e}", message.channel.as_str()))
        })
}

#[cfg(test)]
mod tests {
    use orderly_domain::{PushPlatform, Role};

    use super::*;
    use crate::store::NewUser;

    async fn store() -> Store {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).unwrap()
    }

    fn token(raw: &str) -> DeviceToken {
        DeviceToken::parse(raw).unwrap()
    }

    async fn outbox(store: &Store, channel: NotificationChannel) -> Vec<(String, String)> {
        store
            .sandbox_messages(Some(channel), None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|message| (message.recipient, message.body))
            .collect()
    }

    #[tokio::test]
    async fn an_sms_is_recorded_once_per_idempotency_key() {
        let store = store().await;
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
        let store = store().await;
        let error = SandboxSms::new(store.clone())
            .send(&phone(SMS_INVALID_NUMBER), "orderly: hello", "key-1")
            .await
            .unwrap_err();
        assert!(matches!(error, NotifyError::Rejected(_)), "{error}");
        assert!(!error.is_retryable());
        assert!(outbox(&store, NotificationChannel::Sms).await.is_empty());
    }

    #[tokio::test]
    async fn the_unreachable_test_number_fails_transiently_and_records_nothing() {
        let store = store().await;
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

    #[tokio::test]
    async fn a_push_is_recorded_once_per_idempotency_key_with_its_title() {
        let store = store().await;
        let push = SandboxPush::new(store.clone());
        for _ in 0..2 {
            push.send(
                &token("device-a"),
                "Order shipped",
                "orderly: on its way",
                "key-1",
            )
            .await
            .unwrap();
        }
        let messages = store
            .sandbox_messages(Some(NotificationChannel::Push), None, 100)
            .await
            .unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].recipient, "device-a");
        assert_eq!(messages[0].subject.as_deref(), Some("Order shipped"));
        assert_eq!(messages[0].idempotency_key, "key-1");
    }

    #[tokio::test]
    async fn the_invalid_test_device_is_refused_for_good_and_its_registration_deleted() {
        let store = store().await;
        let user = store
            .insert_user(&NewUser {
                email: "asha@example.com".into(),
                name: "Asha".into(),
                password_hash: "not a real hash".into(),
                role: Role::Customer,
            })
            .await
            .unwrap();
        for raw in [PUSH_INVALID_DEVICE, "device-a"] {
            store
                .register_push_device(user.id, &token(raw), PushPlatform::Android)
                .await
                .unwrap();
        }

        let error = SandboxPush::new(store.clone())
            .send(
                &token(PUSH_INVALID_DEVICE),
                "Order shipped",
                "orderly: hi",
                "key-1",
            )
            .await
            .unwrap_err();

        assert!(matches!(error, NotifyError::Rejected(_)), "{error}");
        let left: Vec<String> = store
            .all_push_devices(user.id)
            .await
            .unwrap()
            .into_iter()
            .map(|device| device.token.as_str().to_owned())
            .collect();
        assert_eq!(left, ["device-a"]);
        assert!(outbox(&store, NotificationChannel::Push).await.is_empty());
    }
}
