//! Delivering one message on every channel its recipient chose, each at
//! most once: the discipline the module documentation describes, in one
//! place for order notifications and cart reminders alike.

use std::future::Future;

use orderly_domain::{
    NotificationChannel, NotificationChannels, NotificationKind, OrderId, PhoneNumber,
};

use orderly_providers::push::PushGateway;
use orderly_providers::sms::SmsGateway;
use orderly_providers::{ChannelError, Email, EmailSender};
use orderly_store::{NewNotification, PushDevice};

use super::{Notifier, NotifyError, Recipient, Rendered};

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
    /// channel carries.
    fn row(&self, channel: NotificationChannel, body: &str) -> NewNotification {
        NewNotification {
            user_id: self.to.user_id,
            order_id: self.order_id,
            kind: self.kind,
            channel: channel.as_str().to_owned(),
            subject: self.rendered.subject.clone(),
            body: body.to_owned(),
            dedupe_key: self.dedupe_key(channel),
        }
    }
}

impl Notifier {
    pub(super) async fn deliver(&self, message: &Message<'_>) -> Result<(), NotifyError> {
        let in_app = message.row(NotificationChannel::InApp, &message.rendered.body);
        self.store
            .notifications()
            .insert_notification(&in_app)
            .await?;
        // An inbox row is delivered as soon as it exists. Checking instead of
        // trusting the insert's answer covers a crash between insert and mark.
        if !self
            .store
            .notifications()
            .notification_delivered(&in_app.dedupe_key)
            .await?
        {
            self.store
                .notifications()
                .mark_notification_delivered(&in_app.dedupe_key)
                .await?;
        }

        let (channels, phone) = match self.store.accounts().profile(message.to.user_id).await? {
            Some(profile) => (profile.notification_channels, profile.phone),
            None => (NotificationChannels::default(), None),
        };
        let mut failures = Vec::new();
        if channels.contains(NotificationChannel::Email)
            && let Some(sender) = &self.email
        {
            let result = self.send_email(message, sender).await;
            failures.extend(result.err().map(|e| (NotificationChannel::Email, e)));
        }
        if channels.contains(NotificationChannel::Sms)
            && let (Some(gateway), Some(phone)) = (&self.sms, &phone)
        {
            let result = self.send_sms(message, gateway.as_ref(), phone).await;
            failures.extend(result.err().map(|e| (NotificationChannel::Sms, e)));
        }
        if channels.contains(NotificationChannel::Push)
            && let Some(gateway) = &self.push
        {
            let result = match self
                .store
                .notifications()
                .all_push_devices(message.to.user_id)
                .await
            {
                Ok(devices) if devices.is_empty() => Ok(()),
                Ok(devices) => {
                    self.push_to_devices(message, gateway.as_ref(), &devices)
                        .await
                }
                Err(error) => Err(error.into()),
            };
            failures.extend(result.err().map(|e| (NotificationChannel::Push, e)));
        }
        verdict(message, failures)
    }

    async fn send_email(
        &self,
        message: &Message<'_>,
        sender: &EmailSender,
    ) -> Result<(), NotifyError> {
        let row = message.row(NotificationChannel::Email, &message.rendered.body);
        let message_id = message_id(&row.dedupe_key);
        let email = Email {
            to_name: &message.to.name,
            to_address: &message.to.email,
            subject: &message.rendered.subject,
            body: &message.rendered.body,
            message_id: &message_id,
        };
        self.once(&row, || sender.send(&email)).await
    }

    async fn send_sms(
        &self,
        message: &Message<'_>,
        gateway: &dyn SmsGateway,
        phone: &PhoneNumber,
    ) -> Result<(), NotifyError> {
        let row = message.row(NotificationChannel::Sms, message.short);
        self.once(&row, || gateway.send(phone, message.short, &row.dedupe_key))
            .await
    }

    /// One row for the message, one provider call per device.
    async fn push_to_devices(
        &self,
        message: &Message<'_>,
        gateway: &dyn PushGateway,
        devices: &[PushDevice],
    ) -> Result<(), NotifyError> {
        let row = message.row(NotificationChannel::Push, message.short);
        self.once(&row, || async {
            let mut delivered = 0;
            let mut failures = Vec::new();
            for device in devices {
                let idempotency_key = format!("{}:{}", row.dedupe_key, device.id);
                let sent = gateway
                    .send(
                        &device.token,
                        &message.rendered.subject,
                        message.short,
                        &idempotency_key,
                    )
                    .await;
                match sent {
                    Ok(()) => delivered += 1,
                    Err(error) => failures.push(error),
                }
            }
            // On a retry the devices that already have it are deduplicated
            // by their idempotency keys, so a transient failure of one
            // device is worth retrying the whole fan-out.
            if let Some(index) = failures.iter().position(ChannelError::is_retryable) {
                return Err(failures.swap_remove(index));
            }
            match failures.into_iter().next() {
                Some(refused) if delivered == 0 => Err(refused),
                _ => Ok(()),
            }
        })
        .await
    }

    /// Records `row`, and unless it is already delivered, sends it and
    /// marks it delivered.
    async fn once<F, Fut, E>(&self, row: &NewNotification, send: F) -> Result<(), NotifyError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Into<NotifyError>,
    {
        self.store.notifications().insert_notification(row).await?;
        if self
            .store
            .notifications()
            .notification_delivered(&row.dedupe_key)
            .await?
        {
            return Ok(());
        }
        send().await.map_err(Into::into)?;
        self.store
            .notifications()
            .mark_notification_delivered(&row.dedupe_key)
            .await?;
        Ok(())
    }
}

/// The activity's answer after every channel was attempted: the first
/// retryable failure if any (so Temporal retries), else the first refusal.
fn verdict(
    message: &Message<'_>,
    mut failures: Vec<(NotificationChannel, NotifyError)>,
) -> Result<(), NotifyError> {
    // Only one failure becomes the activity's error; the log keeps them all.
    for (channel, error) in &failures {
        tracing::warn!(
            notification = %message.key,
            channel = channel.as_str(),
            %error,
            "notification not delivered on this channel"
        );
    }
    if failures.is_empty() {
        return Ok(());
    }
    let index = failures
        .iter()
        .position(|(_, error)| error.is_retryable())
        .unwrap_or(0);
    Err(failures.swap_remove(index).1)
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
