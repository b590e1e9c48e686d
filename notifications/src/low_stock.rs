//! Telling a seller that one of their products is running low.
//!
//! In-app only: the notice is for the seller's dashboard, and a crossing is
//! named by its dedupe key, so however often the reserving activity is
//! retried the seller reads it once.

use std::fmt::Write;

use orderly_domain::{NotificationChannel, NotificationKind};

use super::{Notifier, NotifyError};
use orderly_store::{LowStockAlert, NewNotification};

impl Notifier {
    pub async fn notify_low_stock(&self, alert: &LowStockAlert) -> Result<(), NotifyError> {
        let key = format!(
            "{}:{}",
            alert.dedupe_key(),
            NotificationChannel::InApp.as_str()
        );
        let mut body = String::new();
        // `write!` into a String cannot fail.
        let _ = writeln!(
            body,
            "Only {} of {} ({}) can still be ordered, below your low-stock threshold of {}.",
            alert.available.max(0),
            alert.name,
            alert.sku,
            alert.threshold
        );
        let _ = writeln!(body, "Restock it to keep it on sale.");
        self.store
            .notifications()
            .insert_notification(&NewNotification {
                user_id: alert.seller_id,
                order_id: None,
                kind: NotificationKind::LowStock,
                channel: NotificationChannel::InApp.as_str().to_owned(),
                subject: format!("Low stock: {}", alert.name),
                body,
                dedupe_key: key.clone(),
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
