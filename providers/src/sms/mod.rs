//! What orderly needs from an SMS provider, so the provider can be swapped
//! without touching the notifier; the built-in one is
//! [`SandboxSms`].

mod sandbox;

use async_trait::async_trait;
use orderly_domain::PhoneNumber;

use crate::ChannelError;

pub use sandbox::SandboxSms;

#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Sends `text` to `to`. A send with an `idempotency_key` the provider
    /// has seen sends nothing new and succeeds, so a retried activity never
    /// texts twice. `Transient` when the provider may accept it later,
    /// `Rejected` when it never will (an invalid or unreachable number).
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<(), ChannelError>;
}
