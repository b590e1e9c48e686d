//! Telling a seller that one of their products is running low.
//!
//! In-app only: the notice is for the seller's dashboard, and a crossing is
//! named by its dedupe key, so however often the reserving activity is
//! retried the seller reads it once.

use orderly_domain::{NotificationChannel, NotificationKind};
use orderly_store::{LowStockAlert, NewNotification};

use crate::render::low_stock_values;
use crate::{Notifier, NotifyError};

impl Notifier {
    pub async fn notify_low_stock(&self, alert: &LowStockAlert) -> Result<(), NotifyError> {
        let key = format!(
            "{}:{}",
            alert.dedupe_key(),
            NotificationChannel::InApp.as_str()
        );
        let text = self
            .templates
            .render("low_stock", low_stock_values(alert))?;
        self.store
            .notifications()
            .insert_notification(&NewNotification {
                user_id: alert.seller_id,
                order_id: None,
                kind: NotificationKind::LowStock,
                channel: NotificationChannel::InApp.as_str().to_owned(),
                subject: text.rendered.subject,
                body: text.rendered.body,
                dedupe_key: key.clone(),
                recipient: None,
                recipient_name: None,
            })
            .await?;
        if !self
            .store
            .notifications()
            .notification_delivered(&key)
            .await?
        {
            self.store
                .notifications()
                .mark_notification_delivered(&key)
                .await?;
        }
        Ok(())
    }
}
