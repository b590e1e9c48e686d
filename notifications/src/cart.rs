//! The reminder about a cart left untouched: the one notification that is
//! about a cart rather than an order.
//!
//! It goes to the same channels as order notifications, the ones the
//! shopper chose, deduplicated per (cart, version, channel): one untouched
//! period of a cart yields at most one reminder per channel however often
//! the activity is retried, while a later period (after another change)
//! gets its own.

use orderly_domain::NotificationKind;
use orderly_store::Cart;

use crate::delivery::Message;
use crate::render::cart_values;
use crate::{Notifier, NotifyError, Recipient};

impl Notifier {
    /// Reminds `to` of the items waiting in `cart`, in-app always and on
    /// every other channel they chose that can reach them.
    pub async fn remind_cart(&self, cart: &Cart, to: &Recipient) -> Result<(), NotifyError> {
        let text = self
            .templates
            .render("cart_reminder", cart_values(cart, &to.name))?;
        self.deliver(&Message {
            to,
            order_id: None,
            kind: NotificationKind::CartReminder,
            short: text.short_or_subject(),
            rendered: &text.rendered,
            key: reminder_key(cart),
        })
        .await
    }
}

/// Names one untouched period of a cart; each channel's dedupe key adds
/// the channel.
fn reminder_key(cart: &Cart) -> String {
    format!("cart:{}:{}", cart.id, cart.version)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use orderly_domain::{CartStatus, Currency, Money, Quantity, Sku, UserId};
    use orderly_store::CartItem;
    use uuid::Uuid;

    use super::*;
    use crate::{MessageText, Templates};

    fn reminder(cart: &Cart, to: &Recipient) -> MessageText {
        Templates::built_in()
            .render("cart_reminder", cart_values(cart, &to.name))
            .unwrap()
    }

    fn cart(version: i64) -> Cart {
        Cart {
            id: Uuid::now_v7(),
            user_id: UserId::new(),
            status: CartStatus::Active,
            version,
            reminder_sent: false,
            checkout: None,
            coupon: None,
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
        let rendered = reminder(&cart(3), &recipient()).rendered;
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
    fn each_version_of_a_cart_has_its_own_reminder_key() {
        let first = cart(3);
        let mut later = first.clone();
        later.version = 4;
        assert_eq!(reminder_key(&first), format!("cart:{}:3", first.id));
        assert_ne!(reminder_key(&first), reminder_key(&later));
    }

    #[test]
    fn the_short_reminder_counts_the_items_in_one_sms() {
        let text = reminder(&cart(3), &recipient()).short.unwrap();
        assert_eq!(
            text,
            "orderly: 3 items are still in your cart, not reserved until you check out."
        );
        assert!(text.chars().count() <= crate::SHORT_TEXT_MAX_CHARS);
    }
}
