//! The outside world orderly talks to, each behind a trait of ours: payment
//! providers, carriers, email (SMTP), SMS gateways and push services, with
//! the built-in sandbox implementation of each beside its trait, and the
//! HMAC signatures of the webhooks they send back.
//!
//! Real gateways and carriers are out of reach of a development machine,
//! so the sandboxes behave like the real thing where it matters to orderly:
//! declines, transient failures, idempotency keys and signed webhooks. The
//! values they react to are in [`sandbox_values`].

pub mod carriers;
mod email;
pub mod payments;
pub mod push;
mod sandbox_outbox;
pub mod sandbox_values;
pub mod signature;
pub mod sms;
mod webhook_delivery;

pub use email::{DEFAULT_MAIL_FROM, Email, EmailSender, MAIL_FROM_ENV};

/// How a message channel (email, SMS, push) failed, which decides whether
/// the sender tries again.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// Worth retrying: the provider was unreachable or said "later".
    #[error("not delivered yet: {0}")]
    Transient(String),
    /// Not worth retrying: the recipient or the message was refused.
    #[error("refused: {0}")]
    Rejected(String),
    #[error("misconfigured: {0}")]
    Config(String),
}

impl ChannelError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ChannelError::Transient(_))
    }
}
