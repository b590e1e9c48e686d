//! The words of every customer notification: one subject and plain-text
//! body per [`NotificationKind`], and a one-line short text for SMS and
//! push, built only from the order as the workflow last recorded it, so the
//! same moment always reads the same however often it is rendered (a
//! retried email carries the text of the first).

use std::fmt::Write;

use orderly_domain::{NotificationKind, OrderStatus, OrderView, PaymentMethod, PaymentStatus};

use super::Recipient;

/// A rendered notification, ready for any channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

pub fn render(kind: NotificationKind, order: &OrderView, to: &Recipient) -> Rendered {
    Rendered {
        subject: subject(kind, order),
        body: body(kind, order, to),
    }
}

/// The longest short text: one SMS segment, so a text is never split (and
/// billed) in parts.
pub const SHORT_TEXT_MAX_CHARS: usize = 160;

/// The notification in one line of at most [`SHORT_TEXT_MAX_CHARS`] ASCII
/// characters, for SMS and push. It leaves out everything of unbounded
/// length (names, items, payment instruments) so it always fits.
pub fn render_short(kind: NotificationKind, order: &OrderView) -> String {
    let id = order.id;
    let text = match kind {
        NotificationKind::OrderConfirmed => {
            format!("your order {id} is confirmed, total {}.", order.total)
        }
        NotificationKind::PaymentReceipt => format!(
            "we received your payment of {} for order {id}.",
            order.payment.receipt.captured
        ),
        NotificationKind::ReadyForPickup => {
            format!("your order {id} is ready for pickup at the store.")
        }
        NotificationKind::Shipped => match &order.shipment {
            Some(shipment) => format!(
                "your order {id} has shipped, tracking {}.",
                shipment.tracking_id
            ),
            None => format!("your order {id} has shipped."),
        },
        NotificationKind::OutForDelivery => format!("your order {id} is out for delivery today."),
        NotificationKind::Delivered => format!("your order {id} was delivered. Enjoy!"),
        NotificationKind::Cancelled => {
            format!("your order {id} was cancelled. {}", short_refund(order))
        }
        NotificationKind::PaymentFailed => format!(
            "the payment for order {id} failed, so it was cancelled. {}",
            short_refund(order)
        ),
        // As for the subject: only to keep an order-bound call well defined.
        NotificationKind::CartReminder => "items are waiting in your cart.".into(),
        NotificationKind::LowStock => "a product is running low.".into(),
    };
    format!("orderly: {text}")
}

/// [`refund_line`] without the payment instrument, whose length is the
/// customer's.
fn short_refund(order: &OrderView) -> String {
    let receipt = &order.payment.receipt;
    if receipt.refunded.amount > 0 {
        format!("{} has been refunded.", receipt.refunded)
    } else if receipt.captured.amount > 0 {
        format!("{} will be refunded.", receipt.captured)
    } else {
        "You were not charged.".into()
    }
}

fn subject(kind: NotificationKind, order: &OrderView) -> String {
    let id = order.id;
    match kind {
        NotificationKind::OrderConfirmed => format!("Order {id} confirmed"),
        NotificationKind::PaymentReceipt => format!("Payment receipt for order {id}"),
        NotificationKind::ReadyForPickup => format!("Order {id} is ready for pickup"),
        NotificationKind::Shipped => format!("Order {id} has shipped"),
        NotificationKind::OutForDelivery => format!("Order {id} is out for delivery"),
        NotificationKind::Delivered => format!("Order {id} was delivered"),
        NotificationKind::Cancelled => format!("Order {id} was cancelled"),
        NotificationKind::PaymentFailed => format!("Payment for order {id} failed"),
        // Cart reminders are rendered from the cart (`notifications::cart`);
        // this arm only keeps an order-bound call well defined.
        NotificationKind::CartReminder => "Items are waiting in your cart".into(),
        // Low-stock notices go to sellers and are rendered from the SKU
        // (`notifications::low_stock`); likewise only for completeness.
        NotificationKind::LowStock => "A product is running low".into(),
    }
}

fn headline(kind: NotificationKind, order: &OrderView) -> String {
    match kind {
        NotificationKind::OrderConfirmed => {
            "Thank you for your order. We have received it and are getting it ready.".into()
        }
        NotificationKind::PaymentReceipt => format!(
            "We have received your payment of {}.",
            order.payment.receipt.captured
        ),
        NotificationKind::ReadyForPickup => {
            "Your order is packed and ready for you to collect at the store.".into()
        }
        NotificationKind::Shipped => "Your order is on its way.".into(),
        NotificationKind::OutForDelivery => "Your order is out for delivery today.".into(),
        NotificationKind::Delivered => "Your order has been delivered. Enjoy!".into(),
        NotificationKind::Cancelled => "Your order has been cancelled.".into(),
        NotificationKind::PaymentFailed => {
            "We could not take the payment for your order, so it has been cancelled.".into()
        }
        NotificationKind::CartReminder => "You left items in your cart.".into(),
        NotificationKind::LowStock => "One of your products is running low.".into(),
    }
}

// `write!` into a String cannot fail, hence the ignored results below.
fn body(kind: NotificationKind, order: &OrderView, to: &Recipient) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Hello {},\n", to.name);
    let _ = writeln!(out, "{}\n", headline(kind, order));
    if let Some(reason) = reason(kind, order) {
        let _ = writeln!(out, "Reason: {reason}\n");
    }
    let _ = writeln!(out, "Order: {}", order.id);
    let _ = writeln!(out, "Items:");
    for line in &order.items {
        let _ = writeln!(
            out,
            "  {} x {} ({}) at {} each: {}",
            line.quantity.get(),
            line.name,
            line.sku,
            line.unit_price,
            line.subtotal
        );
    }
    let _ = writeln!(out, "Total: {}", order.total);
    let _ = writeln!(out, "Payment: {}", payment_line(order));
    if let Some(shipment) = &order.shipment {
        let _ = writeln!(
            out,
            "Tracking id: {} ({} carrier)",
            shipment.tracking_id, shipment.carrier
        );
    }
    match kind {
        NotificationKind::PaymentReceipt => {
            for entry in &order.payment.receipt.entries {
                let _ = writeln!(
                    out,
                    "  {} {} on {} (reference {})",
                    entry.kind.as_str(),
                    entry.amount,
                    entry.at.format("%Y-%m-%d %H:%M UTC"),
                    entry.reference
                );
            }
        }
        NotificationKind::Cancelled | NotificationKind::PaymentFailed => {
            let _ = writeln!(out, "{}", refund_line(order));
        }
        _ => {}
    }
    let _ = write!(out, "\nThank you for shopping with orderly.\n");
    out
}

fn payment_line(order: &OrderView) -> String {
    let method = match order.payment.method {
        PaymentMethod::Card => "Card",
        PaymentMethod::Upi => "UPI",
        PaymentMethod::Netbanking => "Netbanking",
        PaymentMethod::Cod => "Cash on delivery",
    };
    match &order.payment.instrument {
        Some(instrument) => format!("{method}, {instrument} ({})", order.payment.status.as_str()),
        None => format!("{method} ({})", order.payment.status.as_str()),
    }
}

/// What happened to the customer's money: the question every cancellation
/// email must answer.
fn refund_line(order: &OrderView) -> String {
    let receipt = &order.payment.receipt;
    let to = order
        .payment
        .instrument
        .clone()
        .unwrap_or_else(|| "your original payment method".into());
    if receipt.refunded.amount > 0 {
        format!(
            "Refund: {} has been refunded to {to}. It can take 5-7 working days to appear.",
            receipt.refunded
        )
    } else if receipt.captured.amount > 0 {
        format!("Refund: {} will be refunded to {to}.", receipt.captured)
    } else if order.payment.status == PaymentStatus::Voided {
        "Refund: nothing to refund; the payment authorization was released and you were not charged."
            .into()
    } else {
        "Refund: nothing to refund; you were not charged.".into()
    }
}

/// Why the order ended, as the workflow wrote it on the timeline.
fn reason(kind: NotificationKind, order: &OrderView) -> Option<&str> {
    let status = match kind {
        NotificationKind::Cancelled => OrderStatus::Cancelled,
        NotificationKind::PaymentFailed => OrderStatus::PaymentFailed,
        _ => return None,
    };
    order
        .timeline
        .iter()
        .rev()
        .find(|entry| entry.status == status && !entry.detail.trim().is_empty())
        .map(|entry| entry.detail.as_str())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use orderly_domain::{
        Address, CardNumber, Currency, Fulfillment, LedgerKind, Money, OrderId, OrderLine,
        PaymentView, Quantity, Receipt, ReceiptEntry, ShipmentStatus, ShipmentView, Sku,
        TimelineEntry, TrackingId, UserId,
    };

    use super::*;

    fn inr(amount: i64) -> Money {
        Money::new(amount, Currency::INR)
    }

    fn recipient() -> Recipient {
        Recipient {
            user_id: UserId::new(),
            name: "Asha Rao".into(),
            email: "asha@example.com".into(),
        }
    }

    fn order(status: OrderStatus) -> OrderView {
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 30, 0).unwrap();
        let card = CardNumber::parse("4242424242424242").ok();
        OrderView {
            id: OrderId::new(),
            customer_id: UserId::new(),
            status,
            items: vec![
                OrderLine {
                    sku: Sku::parse("APPLE-1KG").unwrap(),
                    name: "Apples, 1 kg".into(),
                    quantity: Quantity::parse(2).unwrap(),
                    unit_price: inr(12_050),
                    subtotal: inr(24_100),
                },
                OrderLine {
                    sku: Sku::parse("MILK-1L").unwrap(),
                    name: "Milk, 1 litre".into(),
                    quantity: Quantity::parse(1).unwrap(),
                    unit_price: inr(6_800),
                    subtotal: inr(6_800),
                },
            ],
            total: inr(30_900),
            payment: PaymentView {
                method: PaymentMethod::Card,
                status: PaymentStatus::Captured,
                instrument: card.map(|c| format!("card ending {}", c.last4())),
                receipt: Receipt {
                    authorized: inr(0),
                    captured: inr(30_900),
                    refunded: inr(0),
                    entries: vec![ReceiptEntry {
                        kind: LedgerKind::Capture,
                        amount: inr(30_900),
                        reference: "sandbox-card-charge-1".into(),
                        at,
                    }],
                },
            },
            fulfillment: Fulfillment::Delivery {
                address: Address {
                    name: "Asha Rao".into(),
                    line1: "1 MG Road".into(),
                    line2: None,
                    city: "Bengaluru".into(),
                    postal_code: "560001".into(),
                    country: "IN".into(),
                },
            },
            shipment: None,
            timeline: vec![TimelineEntry {
                status: OrderStatus::Placed,
                at,
                detail: "order placed".into(),
            }],
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    #[test]
    fn a_confirmation_names_the_customer_the_order_its_items_and_total() {
        let order = order(OrderStatus::Paid);
        let rendered = render(NotificationKind::OrderConfirmed, &order, &recipient());
        assert!(rendered.subject.contains(&order.id.to_string()));
        for expected in [
            "Hello Asha Rao,",
            &format!("Order: {}", order.id),
            "2 x Apples, 1 kg (APPLE-1KG) at INR 120.50 each: INR 241.00",
            "1 x Milk, 1 litre (MILK-1L) at INR 68.00 each: INR 68.00",
            "Total: INR 309.00",
            "Payment: Card, card ending 4242 (captured)",
        ] {
            assert!(
                rendered.body.contains(expected),
                "missing {expected:?} in\n{}",
                rendered.body
            );
        }
        assert!(!rendered.body.contains("Tracking id"));
        assert!(!rendered.body.contains("Refund"));
    }

    #[test]
    fn a_shipped_notice_carries_the_tracking_id() {
        let mut order = order(OrderStatus::Shipped);
        let tracking_id = TrackingId::new();
        order.shipment = Some(ShipmentView {
            tracking_id,
            carrier: "sandbox".into(),
            status: ShipmentStatus::Booked,
            last_location: None,
        });
        let rendered = render(NotificationKind::Shipped, &order, &recipient());
        assert!(rendered.subject.contains("has shipped"));
        assert!(
            rendered
                .body
                .contains(&format!("Tracking id: {tracking_id} (sandbox carrier)")),
            "{}",
            rendered.body
        );
    }

    #[test]
    fn a_cancellation_states_the_refund_and_the_reason() {
        let mut order = order(OrderStatus::Cancelled);
        order.payment.status = PaymentStatus::Refunded;
        order.payment.receipt.refunded = inr(30_900);
        order.timeline.push(TimelineEntry {
            status: OrderStatus::Cancelled,
            at: order.updated_at,
            detail: "cancelled by the customer".into(),
        });
        let rendered = render(NotificationKind::Cancelled, &order, &recipient());
        assert!(rendered.subject.contains("cancelled"));
        assert!(
            rendered.body.contains("Reason: cancelled by the customer"),
            "{}",
            rendered.body
        );
        assert!(
            rendered
                .body
                .contains("Refund: INR 309.00 has been refunded to card ending 4242."),
            "{}",
            rendered.body
        );
    }

    #[test]
    fn a_cancellation_before_any_charge_says_nothing_was_taken() {
        let mut order = order(OrderStatus::Cancelled);
        order.payment.method = PaymentMethod::Cod;
        order.payment.instrument = None;
        order.payment.status = PaymentStatus::Voided;
        order.payment.receipt.captured = inr(0);
        let rendered = render(NotificationKind::Cancelled, &order, &recipient());
        assert!(rendered.body.contains("Payment: Cash on delivery (voided)"));
        assert!(
            rendered.body.contains("you were not charged"),
            "{}",
            rendered.body
        );
    }

    #[test]
    fn a_payment_receipt_lists_each_ledger_entry() {
        let order = order(OrderStatus::Paid);
        let rendered = render(NotificationKind::PaymentReceipt, &order, &recipient());
        assert!(
            rendered
                .body
                .contains("We have received your payment of INR 309.00.")
        );
        assert!(
            rendered.body.contains(
                "capture INR 309.00 on 2026-11-21 10:30 UTC (reference sandbox-card-charge-1)"
            ),
            "{}",
            rendered.body
        );
    }

    #[test]
    fn a_shipped_short_text_is_one_line_with_the_order_and_tracking_id() {
        let mut order = order(OrderStatus::Shipped);
        let tracking_id = TrackingId::new();
        order.shipment = Some(ShipmentView {
            tracking_id,
            carrier: "sandbox".into(),
            status: ShipmentStatus::Booked,
            last_location: None,
        });
        assert_eq!(
            render_short(NotificationKind::Shipped, &order),
            format!(
                "orderly: your order {} has shipped, tracking {tracking_id}.",
                order.id
            )
        );
    }

    #[test]
    fn every_short_text_fits_one_sms_even_with_the_largest_amounts() {
        let mut order = order(OrderStatus::Cancelled);
        let largest = Money::new(i64::MAX, Currency::INR);
        order.total = largest;
        order.payment.receipt.captured = largest;
        order.shipment = Some(ShipmentView {
            tracking_id: TrackingId::new(),
            carrier: "a carrier with a very long name indeed".repeat(10),
            status: ShipmentStatus::Booked,
            last_location: None,
        });
        order.payment.instrument = Some("x".repeat(500));
        for kind in [
            NotificationKind::OrderConfirmed,
            NotificationKind::PaymentReceipt,
            NotificationKind::ReadyForPickup,
            NotificationKind::Shipped,
            NotificationKind::OutForDelivery,
            NotificationKind::Delivered,
            NotificationKind::Cancelled,
            NotificationKind::PaymentFailed,
            NotificationKind::CartReminder,
            NotificationKind::LowStock,
        ] {
            for refunded in [0, i64::MAX] {
                order.payment.receipt.refunded = Money::new(refunded, Currency::INR);
                let text = render_short(kind, &order);
                assert!(
                    text.chars().count() <= SHORT_TEXT_MAX_CHARS,
                    "{kind:?} is {} characters: {text}",
                    text.chars().count()
                );
                assert!(
                    text.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
                    "{kind:?}: {text:?}"
                );
                assert!(text.starts_with("orderly: "), "{text}");
            }
        }
    }

    #[test]
    fn a_short_cancellation_says_what_happens_to_the_money() {
        let mut order = order(OrderStatus::Cancelled);
        assert!(
            render_short(NotificationKind::Cancelled, &order)
                .ends_with("was cancelled. INR 309.00 will be refunded.")
        );
        order.payment.receipt.refunded = inr(30_900);
        assert!(
            render_short(NotificationKind::Cancelled, &order)
                .ends_with("was cancelled. INR 309.00 has been refunded.")
        );
        order.payment.receipt = Receipt {
            authorized: inr(0),
            captured: inr(0),
            refunded: inr(0),
            entries: Vec::new(),
        };
        assert!(
            render_short(NotificationKind::PaymentFailed, &order)
                .ends_with("so it was cancelled. You were not charged.")
        );
    }

    #[test]
    fn every_kind_has_its_own_subject() {
        let order = order(OrderStatus::Paid);
        let kinds = [
            NotificationKind::OrderConfirmed,
            NotificationKind::PaymentReceipt,
            NotificationKind::ReadyForPickup,
            NotificationKind::Shipped,
            NotificationKind::OutForDelivery,
            NotificationKind::Delivered,
            NotificationKind::Cancelled,
            NotificationKind::PaymentFailed,
        ];
        let subjects: std::collections::HashSet<_> = kinds
            .iter()
            .map(|kind| render(*kind, &order, &recipient()).subject)
            .collect();
        assert_eq!(subjects.len(), kinds.len());
    }
}
