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

use super::{NotifyError, Recipient, Rendered};

/// The environment variable holding the sender address.
pub const MAIL_FROM_ENV: &str = "ORDERLY_MAIL_FROM";
/// The sender address when [`MAIL_FROM_ENV`] is not set.
pub const DEFAULT_MAIL_FROM: &str = "orderly@localhost";

/// An SMTP server stuck mid-conversation must not hold the activity until
/// its own timeout; failing fast lets Temporal's retry policy take over.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl EmailSender {
    /// A sender for the SMTP server at `url`, sending from
    /// `$ORDERLY_MAIL_FROM` or [`DEFAULT_MAIL_FROM`].
    pub fn from_url(url: &str) -> Result<Self, NotifyError> {
        // The URL may hold a password, so it is never echoed in errors.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| NotifyError::Config(format!("invalid SMTP URL: {e}")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = std::env::var(MAIL_FROM_ENV).unwrap_or_else(|_| DEFAULT_MAIL_FROM.to_owned());
        Ok(Self {
            transport,
            from: sender(&from)?,
        })
    }

    /// Sends from `from` instead, e.g. `Orderly <orders@shop.example>`.
    pub fn with_from(mut self, from: &str) -> Result<Self, NotifyError> {
        self.from = sender(from)?;
        Ok(self)
    }

    /// Sends one message. `message_id` is fixed by the caller so a resend
    /// after a crash is recognisable as the same message by mail clients.
    pub async fn send(
        &self,
        to: &Recipient,
        rendered: &Rendered,
        message_id: String,
    ) -> Result<(), NotifyError> {
        let address = to
            .email
            .parse()
            .map_err(|e| NotifyError::Rejected(format!("recipient address {:?}: {e}", to.email)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(to.name.clone()), address))
            .subject(rendered.subject.clone())
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body.clone())
            .map_err(|e| NotifyError::Rejected(format!("building email: {e}")))?;
        self.transport.send(message).await.map(drop).map_err(|e| {
            // 5xx replies are the server's final word (unknown mailbox,
            // policy); everything else (4xx, timeouts, connection and TLS
            // failures) may pass on another attempt.
            if e.is_permanent() {
                NotifyError::Rejected(format!("SMTP server refused the email: {e}"))
            } else {
                NotifyError::Transient(format!("SMTP delivery failed: {e}"))
            }
        })
    }
}

fn sender(from: &str) -> Result<Mailbox, NotifyError> {
    from.parse()
        .map_err(|e| NotifyError::Config(format!("sender address {from:?}: {e}")))
}
