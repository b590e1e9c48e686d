//! Delivering one message on every channel its recipient chose, each at
//! most once, off the order's path.
//!
//! [`Notifier::deliver`] (what the notify activity runs) only writes: the
//! inbox entry, delivered at once, and one row per other channel the
//! recipient chose and can be reached on, waiting in the outbox. It calls
//! no provider, so a mail server or SMS gateway that is down never holds an
//! order back. [`Notifier::deliver_due`] (the worker's delivery relay) sends
//! the rows that are due, each held by one relay at a time: a sent row is
//! marked delivered, a transient failure is tried again later with backoff,
//! and a refusal, or [`MAX_ATTEMPTS`] failures, gives the row up with its
//! reason. A crash between sending and marking can send again; the resend
//! carries the same Message-ID (email) or provider idempotency key (SMS,
//! push: per device), which mail clients and providers use to drop it.

use std::time::Duration;

use chrono::Utc;
use orderly_domain::{
    DeviceToken, NotificationChannel, NotificationChannels, NotificationKind, OrderId, PhoneNumber,
};
use orderly_providers::{ChannelError, Email};
use orderly_store::{NewNotification, Notification};

use super::{Notifier, NotifyError, Recipient, Rendered};

/// How often a worker's relay looks for due rows.
pub const RELAY_EVERY: Duration = Duration::from_millis(500);
/// Sends of one row before it is given up.
pub const MAX_ATTEMPTS: i64 = 10;
/// Rows one relay pass holds at most.
const BATCH: i64 = 50;
/// How long a relay holds a row it is sending; a relay that died holding
/// rows frees them when this passes.
const LEASE: Duration = Duration::from_secs(60);
/// The wait after the first failed send; it doubles with each failure.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(300);

/// One message, rendered for every channel.
pub(super) struct Message<'a> {
    pub to: &'a Recipient,
    pub order_id: Option<OrderId>,
    pub kind: NotificationKind,
    /// The inbox entry and the email.
    pub rendered: &'a Rendered,
    /// The SMS text and the push body: one line of at most 160 characters.
    pub short: &'a str,
    /// Names the message, e.g. `{order}:{kind}`; each channel's dedupe key
    /// is this plus `:{channel}`.
    pub key: String,
}

impl Message<'_> {
    fn dedupe_key(&self, channel: NotificationChannel) -> String {
        format!("{}:{}", self.key, channel.as_str())
    }

    /// The row recording this message on `channel`, with the words that
    /// channel carries and where it goes.
    fn row(
        &self,
        channel: NotificationChannel,
        body: &str,
        recipient: Option<String>,
    ) -> NewNotification {
        NewNotification {
            user_id: self.to.user_id,
            order_id: self.order_id,
            kind: self.kind,
            channel: channel.as_str().to_owned(),
            subject: self.rendered.subject.clone(),
            body: body.to_owned(),
            dedupe_key: self.dedupe_key(channel),
            recipient_name: recipient.as_ref().map(|_| self.to.name.clone()),
            recipient,
        }
    }
}

/// How one send ended.
enum Sent {
    Delivered,
    Retry(String),
    GiveUp(String),
}

impl Notifier {
    /// Writes the inbox entry and queues the message on every other
    /// channel the recipient chose and can be reached on.
    pub(super) async fn deliver(&self, message: &Message<'_>) -> Result<(), NotifyError> {
        let notifications = self.store.notifications();
        let in_app = message.row(NotificationChannel::InApp, &message.rendered.body, None);
        notifications.insert_notification(&in_app).await?;
        // An inbox row is delivered as soon as it exists. Checking instead of
        // trusting the insert's answer covers a crash between insert and mark.
        if !notifications
            .notification_delivered(&in_app.dedupe_key)
            .await?
        {
            notifications
                .mark_notification_delivered(&in_app.dedupe_key)
                .await?;
        }

        let (channels, phone) = match self.store.accounts().profile(message.to.user_id).await? {
            Some(profile) => (profile.notification_channels, profile.phone),
            None => (NotificationChannels::default(), None),
        };
        if channels.contains(NotificationChannel::Email) && self.email.is_some() {
            let row = message.row(
                NotificationChannel::Email,
                &message.rendered.body,
                Some(message.to.email.clone()),
            );
            notifications.insert_notification(&row).await?;
        }
        if channels.contains(NotificationChannel::Sms)
            && self.sms.is_some()
            && let Some(phone) = phone
        {
            let row = message.row(
                NotificationChannel::Sms,
                message.short,
                Some(phone.as_str().to_owned()),
            );
            notifications.insert_notification(&row).await?;
        }
        if channels.contains(NotificationChannel::Push)
            && self.push.is_some()
            && !notifications
                .all_push_devices(message.to.user_id)
                .await?
                .is_empty()
        {
            let row = message.row(NotificationChannel::Push, message.short, None);
            notifications.insert_notification(&row).await?;
        }
        Ok(())
    }

    /// One pass of the delivery relay: sends the outbox rows that are due
    /// and returns how many it handled.
    pub async fn deliver_due(&self) -> Result<usize, NotifyError> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let due = self
            .store
            .notifications()
            .claim_due_deliveries(now, lease_until, BATCH)
            .await?;
        for row in &due {
            let outcome = self.send(row).await;
            self.settle(row, outcome).await?;
        }
        Ok(due.len())
    }

    /// Runs the delivery relay every `every` until the process ends.
    pub async fn relay(self, every: Duration) {
        loop {
            match self.deliver_due().await {
                // A full batch: more may be due right away.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the notification relay could not run"),
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn send(&self, row: &Notification) -> Sent {
        let sent = match row.channel.as_str() {
            "email" => self.send_email(row).await,
            "sms" => self.send_sms(row).await,
            "push" => self.push_to_devices(row).await,
            other => Err(NotifyError::Channel(ChannelError::Config(format!(
                "no channel called {other}"
            )))),
        };
        match sent {
            Ok(()) => Sent::Delivered,
            Err(error) if error.is_retryable() => Sent::Retry(error.to_string()),
            Err(error) => Sent::GiveUp(error.to_string()),
        }
    }

    async fn settle(&self, row: &Notification, outcome: Sent) -> Result<(), NotifyError> {
        let notifications = self.store.notifications();
        let now = Utc::now();
        match outcome {
            Sent::Delivered => notifications.delivered(row.id, now).await?,
            Sent::Retry(error) if row.attempts + 1 < MAX_ATTEMPTS => {
                let next = now + backoff(row.attempts);
                notifications
                    .retry_delivery_at(row.id, next, &error)
                    .await?;
            }
            Sent::Retry(error) | Sent::GiveUp(error) => {
                tracing::warn!(
                    notification = %row.dedupe_key,
                    channel = %row.channel,
                    %error,
                    "a notification was given up on this channel"
                );
                notifications.give_up_delivery(row.id, now, &error).await?;
            }
        }
        Ok(())
    }

    async fn send_email(&self, row: &Notification) -> Result<(), NotifyError> {
        let sender = self.email.as_ref().ok_or_else(|| not_configured("email"))?;
        let address = row.recipient.as_deref().unwrap_or_default();
        sender
            .send(&Email {
                to_name: row.recipient_name.as_deref().unwrap_or_default(),
                to_address: address,
                subject: &row.subject,
                body: &row.body,
                message_id: &message_id(&row.dedupe_key),
            })
            .await
            .map_err(Into::into)
    }

    async fn send_sms(&self, row: &Notification) -> Result<(), NotifyError> {
        let gateway = self.sms.as_ref().ok_or_else(|| not_configured("SMS"))?;
        let phone = PhoneNumber::parse(row.recipient.as_deref().unwrap_or_default())
            .map_err(|e| NotifyError::Channel(ChannelError::Rejected(e.to_string())))?;
        gateway
            .send(&phone, &row.body, &row.dedupe_key)
            .await
            .map_err(Into::into)
    }

    /// One provider call per device the user has now.
    async fn push_to_devices(&self, row: &Notification) -> Result<(), NotifyError> {
        let gateway = self.push.as_ref().ok_or_else(|| not_configured("push"))?;
        let devices = self
            .store
            .notifications()
            .all_push_devices(row.user_id)
            .await?;
        let mut delivered = 0;
        let mut failures = Vec::new();
        for device in &devices {
            let idempotency_key = format!("{}:{}", row.dedupe_key, device.id);
            match push_one(gateway.as_ref(), &device.token, row, &idempotency_key).await {
                Ok(()) => delivered += 1,
                Err(error) => failures.push(error),
            }
        }
        // On a retry the devices that already have it are deduplicated by
        // their idempotency keys, so a transient failure of one device is
        // worth retrying the whole fan-out.
        if let Some(index) = failures.iter().position(ChannelError::is_retryable) {
            return Err(failures.swap_remove(index).into());
        }
        match failures.into_iter().next() {
            Some(refused) if delivered == 0 => Err(refused.into()),
            _ => Ok(()),
        }
    }
}

async fn push_one(
    gateway: &dyn orderly_providers::push::PushGateway,
    token: &DeviceToken,
    row: &Notification,
    idempotency_key: &str,
) -> Result<(), ChannelError> {
    gateway
        .send(token, &row.subject, &row.body, idempotency_key)
        .await
}

fn not_configured(channel: &str) -> NotifyError {
    NotifyError::Channel(ChannelError::Config(format!(
        "{channel} is no longer configured on this worker"
    )))
}

/// The wait before the next send of a row that failed `attempts` times.
fn backoff(attempts: i64) -> chrono::Duration {
    let doubled = FIRST_RETRY.saturating_mul(2u32.saturating_pow(attempts.clamp(0, 16) as u32));
    chrono::Duration::from_std(doubled.min(LONGEST_RETRY)).unwrap_or_default()
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

    #[test]
    fn retries_back_off_exponentially_up_to_five_minutes() {
        assert_eq!(backoff(0), chrono::Duration::seconds(1));
        assert_eq!(backoff(3), chrono::Duration::seconds(8));
        assert_eq!(backoff(20), chrono::Duration::seconds(300));
    }
}
