//! Sending notification emails over SMTP (lettre).
//!
//! The server is given as a URL so one setting covers local sinks and real
//! relays: `smtp://host:port` (plain, for local test servers),
//! `smtp://user:pass@host:port?tls=required` (STARTTLS) or
//! `smtps://user:pass@host:port` (TLS from the first byte).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::ChannelError;

/// The environment variable holding the sender address.
pub const MAIL_FROM_ENV: &str = "ORDERLY_MAIL_FROM";
/// The sender address when [`MAIL_FROM_ENV`] is not set.
pub const DEFAULT_MAIL_FROM: &str = "orderly@localhost";

/// An SMTP server stuck mid-conversation must not hold the activity until
/// its own timeout; failing fast lets Temporal's retry policy take over.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// One plain-text email to one person.
#[derive(Debug, Clone, Copy)]
pub struct Email<'a> {
    pub to_name: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Fixed by the caller so a resend after a crash is recognisable as the
    /// same message by mail clients.
    pub message_id: &'a str,
}

#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl EmailSender {
    /// A sender for the SMTP server at `url`, sending from
    /// `$ORDERLY_MAIL_FROM` or [`DEFAULT_MAIL_FROM`].
    pub fn from_url(url: &str) -> Result<Self, ChannelError> {
        // The URL may hold a password, so it is never echoed in errors.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ChannelError::Config(format!("invalid SMTP URL: {e}")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = std::env::var(MAIL_FROM_ENV).unwrap_or_else(|_| DEFAULT_MAIL_FROM.to_owned());
        Ok(Self {
            transport,
            from: sender(&from)?,
        })
    }

    /// Sends from `from` instead, e.g. `Orderly <orders@shop.example>`.
    pub fn with_from(mut self, from: &str) -> Result<Self, ChannelError> {
        self.from = sender(from)?;
        Ok(self)
    }

    /// Sends one message.
    pub async fn send(&self, email: &Email<'_>) -> Result<(), ChannelError> {
        let address = email.to_address.parse().map_err(|e| {
            ChannelError::Rejected(format!("recipient address {:?}: {e}", email.to_address))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(email.to_name.to_owned()), address))
            .subject(email.subject)
            .message_id(Some(email.message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.to_owned())
            .map_err(|e| ChannelError::Rejected(format!("building email: {e}")))?;
        self.transport.send(message).await.map(drop).map_err(|e| {
            // 5xx replies are the server's final word (unknown mailbox,
            // policy); everything else (4xx, timeouts, connection and TLS
            // failures) may pass on another attempt.
            if e.is_permanent() {
                ChannelError::Rejected(format!("SMTP server refused the email: {e}"))
            } else {
                ChannelError::Transient(format!("SMTP delivery failed: {e}"))
            }
        })
    }
}

fn sender(from: &str) -> Result<Mailbox, ChannelError> {
    from.parse()
        .map_err(|e| ChannelError::Config(format!("sender address {from:?}: {e}")))
}
