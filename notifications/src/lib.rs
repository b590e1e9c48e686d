//! Telling customers what happened to their order, and sellers and ops
//! what happens to their stock.
//!
//! Every notification lands in the customer's in-app inbox (a database row,
//! so it can never be lost to an outage of any provider) and on each other
//! channel the customer chose in their profile (a missing profile counts as
//! the default, email) and that can reach them: email when SMTP is
//! configured, SMS when an SMS gateway is configured and they have a phone
//! number, push when a push gateway is configured and they registered at
//! least one device (each notification goes to all of them).
//!
//! The order's path only writes: the notify activity records the inbox
//! entry and one outbox row per other chosen channel, and returns. The
//! worker's delivery relay ([`Notifier::relay`]) sends the outbox, each row
//! at most once (see `delivery`), retrying transient failures with backoff
//! and giving up on refusals, so a mail server or gateway that is down
//! never delays payment, packing or shipping. Channels fail independently:
//! a refused SMS does not keep the email from going out. A push refused by
//! some devices but delivered to others counts as delivered: a refused
//! device is one the push service no longer knows, and the gateway forgets
//! its registration.

mod cart;
mod delivery;
mod low_stock;
mod render;
mod samples;
mod spoilage;
mod templates;

use std::sync::Arc;

use orderly_domain::{NotificationKind, OrderView, UserId};
use serde::{Deserialize, Serialize};

use orderly_providers::push::PushGateway;
use orderly_providers::sms::SmsGateway;
use orderly_providers::{ChannelError, EmailSender};
use orderly_store::{Store, StoreError};

use delivery::Message;

pub use delivery::{MAX_ATTEMPTS, RELAY_EVERY};
pub use render::{Focus, Rendered, password_reset_email, render_order, staff_invitation_email};
pub use templates::{
    MessageText, SHORT_TEXT_MAX_CHARS, TEMPLATES_DIR_ENV, TemplateError, Templates,
};

/// Who a notification is for.
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
    /// A channel's provider failed; it says whether a retry may help.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// A template that does not render: retrying cannot help.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl NotifyError {
    pub fn is_retryable(&self) -> bool {
        match self {
            NotifyError::Store(_) => true,
            NotifyError::Channel(error) => error.is_retryable(),
            NotifyError::Template(_) => false,
        }
    }
}

#[derive(Clone)]
pub struct Notifier {
    store: Store,
    email: Option<EmailSender>,
    sms: Option<Arc<dyn SmsGateway>>,
    push: Option<Arc<dyn PushGateway>>,
    templates: Arc<Templates>,
}

impl Notifier {
    /// Without `email`, and until [`Self::with_sms`] and [`Self::with_push`]
    /// add gateways, notifications go to the in-app inbox only. The words
    /// are the built-in templates until [`Self::with_templates`].
    pub fn new(store: Store, email: Option<EmailSender>) -> Self {
        Self {
            store,
            email,
            sms: None,
            push: None,
            templates: Arc::new(Templates::built_in()),
        }
    }

    /// Words messages with `templates` (an operator's replacements).
    pub fn with_templates(mut self, templates: Arc<Templates>) -> Self {
        self.templates = templates;
        self
    }

    /// Sends SMS through `gateway` to customers who chose them.
    pub fn with_sms(mut self, gateway: Arc<dyn SmsGateway>) -> Self {
        self.sms = Some(gateway);
        self
    }

    /// Pushes to the devices of customers who chose push, through `gateway`.
    pub fn with_push(mut self, gateway: Arc<dyn PushGateway>) -> Self {
        self.push = Some(gateway);
        self
    }

    pub async fn notify(
        &self,
        kind: NotificationKind,
        order: &OrderView,
        to: &Recipient,
    ) -> Result<(), NotifyError> {
        self.notify_about(kind, order, Focus::Order, to).await
    }

    /// Sends the notification `kind` about `focus`. Every shipment after
    /// the first of an order split over warehouses is news of its own
    /// (`{order}:{kind}:shipment-{n}`), so the second parcel leaving is not
    /// taken for a resend of the first; the first keeps the order's key, so
    /// an order shipped whole reads as it always did. Each refund is news
    /// of its own too (`{order}:{kind}:refund-{n}`), and so is every step
    /// of each return (`{order}:{kind}:return-{n}:{status}`) and every
    /// edit (`{order}:{kind}:version-{n}`).
    pub async fn notify_about(
        &self,
        kind: NotificationKind,
        order: &OrderView,
        focus: Focus,
        to: &Recipient,
    ) -> Result<(), NotifyError> {
        let text = render_order(&self.templates, kind, order, focus, to)?;
        let key = match focus {
            Focus::Shipment(number) if number > 1 => {
                format!("{}:{}:shipment-{number}", order.id, kind.as_str())
            }
            Focus::Refund(number) => format!("{}:{}:refund-{number}", order.id, kind.as_str()),
            // Every step of a return is news of its own.
            Focus::Return(number) => {
                let found = order.returns.iter().find(|r| r.number == number);
                let status = found.map_or("unknown", |r| r.status.as_str());
                // So is every step of its replacement.
                let exchange = found
                    .and_then(|r| r.exchange.as_ref())
                    .map(|e| format!(":exchange-{}", e.status.as_str()))
                    .unwrap_or_default();
                format!(
                    "{}:{}:return-{number}:{status}{exchange}",
                    order.id,
                    kind.as_str()
                )
            }
            // Every edit is news of its own.
            _ if kind == NotificationKind::OrderEdited => {
                let version = order.versions.last().map_or(1, |v| v.number);
                format!("{}:{}:version-{version}", order.id, kind.as_str())
            }
            _ => format!("{}:{}", order.id, kind.as_str()),
        };
        self.deliver(&Message {
            to,
            order_id: Some(order.id),
            kind,
            short: text.short_or_subject(),
            rendered: &text.rendered,
            key,
        })
        .await
    }
}
