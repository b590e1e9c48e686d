//! The reminder about a cart left untouched: the one notification that is
//! about a cart rather than an order.
//!
//! It goes through the same inbox and mail paths as order notifications,
//! deduplicated per (cart, version, channel): one untouched period of a
//! cart yields at most one reminder per channel however often the activity
//! is retried, while a later period (after another change) gets its own.

use std::fmt::Write;

use orderly_domain::{Money, NotificationKind};

use super::{Channel, Notifier, NotifyError, Recipient, Rendered, message_id};
use crate::store::{Cart, NewNotification};

impl Notifier {
    /// Reminds `to` of the items waiting in `cart`, in-app always and by
    /// email when configured.
    pub async fn remind_cart(&self, cart: &Cart, to: &Recipient) -> Result<(), NotifyError> {
        let rendered = render_reminder(cart, to);
        let in_app = reminder_key(cart, Channel::InApp);
        self.store
            .insert_notification(&reminder_row(to, &rendered, Channel::InApp, &in_app))
            .await?;
        if !self.store.notification_delivered(&in_app).await? {
            self.store.mark_notification_delivered(&in_app).await?;
        }

        let Some(sender) = &self.email else {
            return Ok(());
        };
        let key = reminder_key(cart, Channel::Email);
        self.store
            .insert_notification(&reminder_row(to, &rendered, Channel::Email, &key))
            .await?;
        if self.store.notification_delivered(&key).await? {
            return Ok(());
        }
        sender.send(to, &rendered, message_id(&key)).await?;
        self.store.mark_notification_delivered(&key).await?;
        Ok(())
    }
}

fn reminder_key(cart: &Cart, channel: Channel) -> String {
    format!("cart:{}:{}:{}", cart.id, cart.version, channel.as_str())
}

fn reminder_row(
    to: &Recipient,
    rendered: &Rendered,
    channel: Channel,
    dedupe_key: &str,
) -> NewNotification {
    NewNotification {
        user_id: to.user_id,
        order_id: None,
        kind: NotificationKind::CartReminder,
        channel: channel.as_str().to_owned(),
        subject: rendered.subject.clone(),
        body: rendered.body.clone(),
        dedupe_key: dedupe_key.to_owned(),
    }
}

// `write!` into a String cannot fail, hence the ignored results below.
fn render_reminder(cart: &Cart, to: &Recipient) -> Rendered {
    let mut body = String::new();
    let _ = writeln!(body, "Hello {},\n", to.name);
    let _ = writeln!(
        body,
        "You left these items in your cart; they are not reserved for you until you check out:\n"
    );
    let mut total: Option<Money> = None;
    for item in &cart.items {
        let subtotal = item.unit_price.times(item.quantity.get());
        let _ = writeln!(
            body,
            "  {} x {} ({}) at {} each",
            item.quantity.get(),
            item.name,
            item.sku,
            item.unit_price
        );
        total = match (total, subtotal) {
            (None, subtotal) => subtotal,
            (Some(sum), Some(subtotal)) => sum.plus(subtotal),
            (Some(_), None) => None,
        };
    }
    if let Some(total) = total {
        let _ = writeln!(body, "\nTotal: {total}");
    }
    let _ = write!(body, "\nThank you for shopping with orderly.\n");
    let count: u32 = cart.items.iter().map(|item| item.quantity.get()).sum();
    Rendered {
        subject: format!(
            "{count} item{} still in your cart",
            if count == 1 { " is" } else { "s are" }
        ),
        body,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use orderly_domain::{CartStatus, Currency, Quantity, Sku, UserId};
    use uuid::Uuid;

    use super::*;
    use crate::store::CartItem;

    fn cart(version: i64) -> Cart {
        Cart {
            id: Uuid::now_v7(),
            user_id: UserId::new(),
            status: CartStatus::Active,
            version,
            reminder_sent: false,
            updated_at: Utc::now(),
            items: vec![
                CartItem {
                    sku: Sku::parse("APPLE-1KG").unwrap(),
                    name: "Apples, 1 kg".into(),
                    quantity: Quantity::parse(2).unwrap(),
                    unit_price: Money::new(18_000, Currency::INR),
                    added_at: Utc::now(),
                },
                CartItem {
                    sku: Sku::parse("MILK-1L").unwrap(),
                    name: "Milk, 1 litre".into(),
                    quantity: Quantity::parse(1).unwrap(),
                    unit_price: Money::new(6_000, Currency::INR),
                    added_at: Utc::now(),
                },
            ],
        }
    }

    fn recipient() -> Recipient {
        Recipient {
            user_id: UserId::new(),
            name: "Asha Rao".into(),
            email: "asha@example.com".into(),
        }
    }

    #[test]
    fn the_reminder_lists_every_item_and_the_total() {
        let rendered = render_reminder(&cart(3), &recipient());
        assert_eq!(rendered.subject, "3 items are still in your cart");
        assert!(rendered.body.starts_with("Hello Asha Rao,"));
        assert!(
            rendered
                .body
                .contains("2 x Apples, 1 kg (APPLE-1KG) at INR 180.00 each")
        );
        assert!(
            rendered
                .body
                .contains("1 x Milk, 1 litre (MILK-1L) at INR 60.00 each")
        );
        assert!(
            rendered.body.contains("Total: INR 420.00"),
            "{}",
            rendered.body
        );
    }

    #[test]
    fn each_version_of_a_cart_has_its_own_reminder_key_per_channel() {
        let first = cart(3);
        let mut later = first.clone();
        later.version = 4;
        assert_eq!(
            reminder_key(&first, Channel::InApp),
            format!("cart:{}:3:in_app", first.id)
        );
        assert_ne!(
            reminder_key(&first, Channel::InApp),
            reminder_key(&later, Channel::InApp)
        );
        assert_ne!(
            reminder_key(&first, Channel::InApp),
            reminder_key(&first, Channel::Email)
        );
    }
}
