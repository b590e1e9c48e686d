//! The built-in sandbox push service, so the push channel works end to end
//! with no account at a real provider.
//!
//! Like the sandbox SMS gateway it records what it delivers in the
//! `sandbox_messages` table and delivers a seen idempotency key only once;
//! the test device token it refuses is in [`crate::sandbox_values`], and
//! refusing it deletes its registration, as push services ask senders to.

use async_trait::async_trait;
use orderly_domain::{DeviceToken, NotificationChannel};
use orderly_store::{NewSandboxMessage, Store};

use super::PushGateway;
use crate::ChannelError;
use crate::sandbox_outbox::record;
use crate::sandbox_values::PUSH_INVALID_DEVICE;

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
impl PushGateway for SandboxPush {
    async fn send(
        &self,
        device_token: &DeviceToken,
        title: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        if device_token.as_str() == PUSH_INVALID_DEVICE {
            self.store
                .notifications()
                .forget_push_token(device_token)
                .await
                .map_err(|e| ChannelError::Transient(format!("sandbox push state: {e}")))?;
            return Err(ChannelError::Rejected(format!(
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

#[cfg(test)]
mod tests {
    use orderly_domain::{NotificationChannel, PushPlatform, Role};
    use orderly_store::NewUser;

    use super::*;
    use crate::sandbox_outbox::tests::{memory_store, outbox};

    fn token(raw: &str) -> DeviceToken {
        DeviceToken::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn a_push_is_recorded_once_per_idempotency_key_with_its_title() {
        let store = memory_store().await;
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
            .sandbox()
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
        let store = memory_store().await;
        let user = store
            .accounts()
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
                .notifications()
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

        assert!(matches!(error, ChannelError::Rejected(_)), "{error}");
        let left: Vec<String> = store
            .notifications()
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
