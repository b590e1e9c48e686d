//! Telling customers what happened to their order.
//!
//! Every notification lands in the customer's in-app inbox (a database row,
//! so it can never be lost to a mail outage) and, when SMTP is configured,
//! in their mailbox. Each (order, kind, channel) is delivered at most once
//! however often the activity is retried: the in-app row is deduplicated by
//! a unique key, and an email is sent only while its row is not yet marked
//! delivered. A crash between sending and marking can resend an email; the
//! resend carries the same Message-ID, which mail clients use to fold
//! duplicates.

mod cart;
mod email;
mod low_stock;
mod render;

use orderly_domain::{NotificationKind, OrderView, UserId};
use serde::{Deserialize, Serialize};

use crate::store::{NewNotification, Store, StoreError};

pub use email::{DEFAULT_MAIL_FROM, EmailSender, MAIL_FROM_ENV};
pub use render::{Rendered, render};

/// Who a notification is for. Serde data because the notify activity
/// receives it from the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("recording the notification failed: {0}")]
    Store(#[from] StoreError),
    /// Worth retrying: the mail server was unreachable or said "later".
    #[error("email not delivered yet: {0}")]
    Transient(String),
    /// Not worth retrying: the address or the message was refused.
    #[error("email refused: {0}")]
    Rejected(String),
    #[error("email is misconfigured: {0}")]
    Config(String),
}

impl NotifyError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, NotifyError::Store(_) | NotifyError::Transient(_))
    }
}

#[derive(Clone)]
pub struct Notifier {
    store: Store,
    email: Option<EmailSender>,
}

impl Notifier {
    /// Without `email`, notifications go to the in-app inbox only.
    pub fn new(store: Store, email: Option<EmailSender>) -> Self {
        Self { store, email }
    }

    pub async fn notify(
        &self,
        kind: NotificationKind,
        order: &OrderView,
        to: &Recipient,
    ) -> Result<(), NotifyError> {
        let rendered = render(kind, order, to);
        let in_app = dedupe_key(order, kind, Channel::InApp);
        self.store
            .insert_notification(&row(kind, order, to, &rendered, Channel::InApp, &in_app))
            .await?;
        // An inbox row is delivered as soon as it exists. Checking instead of
        // trusting the insert's answer covers a crash between insert and mark.
        if !self.store.notification_delivered(&in_app).await? {
            self.store.mark_notification_delivered(&in_app).await?;
        }

        let Some(sender) = &self.email else {
            return Ok(());
        };
        let key = dedupe_key(order, kind, Channel::Email);
        self.store
            .insert_notification(&row(kind, order, to, &rendered, Channel::Email, &key))
            .await?;
        if self.store.notification_delivered(&key).await? {
            return Ok(());
        }
        sender.send(to, &rendered, message_id(&key)).await?;
        self.store.mark_notification_delivered(&key).await?;
        Ok(())
    }
}

fn row(
    kind: NotificationKind,
    order: &OrderView,
    to: &Recipient,
    rendered: &Rendered,
    channel: Channel,
    dedupe_key: &str,
) -> NewNotification {
    NewNotification {
        user_id: to.user_id,
        order_id: Some(order.id),
        kind,
        channel: channel.as_str().to_owned(),
        subject: rendered.subject.clone(),
        body: rendered.body.clone(),
        dedupe_key: dedupe_key.to_owned(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Channel {
    InApp,
    Email,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::InApp => "in_app",
            Channel::Email => "email",
        }
    }
}

fn dedupe_key(order: &OrderView, kind: NotificationKind, channel: Channel) -> String {
    format!("{}:{}:{}", order.id, kind.as_str(), channel.as_str())
}

/// `<{order}.{kind}.email@orderly>`: the dedupe key with its colons (not
/// allowed in a Message-ID) turned into dots.
fn message_id(dedupe_key: &str) -> String {
    format!("<{}@orderly>", dedupe_key.replace(':', "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_is_a_valid_function_of_the_dedupe_key() {
        let key = "0190f3c1-aaaa-7bbb-8ccc-123456789abc:shipped:email";
        assert_eq!(
            message_id(key),
            "<0190f3c1-aaaa-7bbb-8ccc-123456789abc.shipped.email@orderly>"
        );
        assert_eq!(message_id(key), message_id(key));
    }
}
