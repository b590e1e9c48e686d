//! The reminder about a cart left untouched: the one notification that is
//! about a cart rather than an order.
//!
//! It goes to the same channels as order notifications, the ones the
//! shopper chose, deduplicated per (cart, version, channel): one untouched
//! period of a cart yields at most one reminder per channel however often
//! the activity is retried, while a later period (after another change)
//! gets its own.

use std::fmt::Write;

use orderly_domain::{Money, NotificationKind};

use super::delivery::Message;
use super::{Notifier, NotifyError, Recipient, Rendered};
use orderly_store::Cart;

impl Notifier {
    /// Reminds `to` of the items waiting in `cart`, in-app always and on
    /// every other channel they chose that can reach them.
    pub async fn remind_cart(&self, cart: &Cart, to: &Recipient) -> Result<(), NotifyError> {
        let rendered = render_reminder(cart, to);
        let short = short_reminder(cart);
        self.deliver(&Message {
            to,
            order_id: None,
            kind: NotificationKind::CartReminder,
            rendered: &rendered,
            short: &short,
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

fn item_count(cart: &Cart) -> u32 {
    cart.items.iter().map(|item| item.quantity.get()).sum()
}

fn items_are(count: u32) -> String {
    format!("{count} item{}", if count == 1 { " is" } else { "s are" })
}

/// The reminder in one line for SMS and push: the count, not the items,
/// so any cart fits one SMS.
fn short_reminder(cart: &Cart) -> String {
    format!(
        "orderly: {} still in your cart, not reserved until you check out.",
        items_are(item_count(cart))
    )
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
    Rendered {
        subject: format!("{} still in your cart", items_are(item_count(cart))),
        body,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use orderly_domain::{CartStatus, Currency, Quantity, Sku, UserId};
    use uuid::Uuid;

    use super::*;
    use orderly_store::CartItem;

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
    fn each_version_of_a_cart_has_its_own_reminder_key() {
        let first = cart(3);
        let mut later = first.clone();
        later.version = 4;
        assert_eq!(reminder_key(&first), format!("cart:{}:3", first.id));
        assert_ne!(reminder_key(&first), reminder_key(&later));
    }

    #[test]
    fn the_short_reminder_counts_the_items_in_one_sms() {
        let text = short_reminder(&cart(3));
        assert_eq!(
            text,
            "orderly: 3 items are still in your cart, not reserved until you check out."
        );
        assert!(text.chars().count() <= crate::SHORT_TEXT_MAX_CHARS);
    }
}
