//! What orderly needs from a push service (APNs, FCM, Web Push behind one
//! interface), so the service can be swapped without touching the notifier;
//! the built-in one is [`SandboxPush`].

mod sandbox;

use async_trait::async_trait;
use orderly_domain::DeviceToken;

use crate::ChannelError;

pub use sandbox::SandboxPush;

#[async_trait]
pub trait PushGateway: Send + Sync {
    /// Pushes a notification to one device. A send with an
    /// `idempotency_key` the service has seen pushes nothing new and
    /// succeeds. `Transient` when the service may accept it later;
    /// `Rejected` when the device will never receive it, in which case the
    /// gateway forgets the device's registration, as push services ask
    /// senders to do with tokens they no longer know.
    async fn send(
        &self,
        device_token: &DeviceToken,
        title: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<(), ChannelError>;
}
