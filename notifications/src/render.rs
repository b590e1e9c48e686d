//! What each message is rendered from: the values a template sees, built
//! only from the order as the workflow last recorded it (or the cart, the
//! stock alert, the spoiling batch, the reset token), so the same moment
//! always reads the same
//! however often it is rendered (a retried email carries the text of the
//! first). The words themselves are in the templates.

use minijinja::Value;
use serde::Serialize;

use orderly_domain::{
    EditSettlement, ExchangeStatus, ExchangeView, Money, NotificationKind, OrderStatus, OrderView,
    ParcelStatus, PaymentMethod, PaymentStatus, RefundStatus, Sku,
};
use orderly_store::{Cart, LowStockAlert, SpoilingBatch};

use crate::Recipient;
use crate::templates::{MessageText, TemplateError, Templates};

/// A rendered notification, ready for any channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// The template of an order notification, named after its kind; `None`
/// for the kinds that are not about an order.
pub fn order_template(kind: NotificationKind) -> Option<&'static str> {
    kind.is_about_an_order().then(|| kind.as_str())
}

/// What part of an order a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The order as a whole.
    Order,
    /// One shipment of an order split over warehouses, by number.
    Shipment(u32),
    /// One refund of the order, by number.
    Refund(u32),
    /// One return of the order, by number.
    Return(u32),
}

impl Focus {
    fn shipment(self) -> Option<u32> {
        match self {
            Focus::Shipment(number) => Some(number),
            _ => None,
        }
    }
}

/// Renders the order notification `kind` about `focus` for `to`.
pub fn render_order(
    templates: &Templates,
    kind: NotificationKind,
    order: &OrderView,
    focus: Focus,
    to: &Recipient,
) -> Result<MessageText, TemplateError> {
    let name = order_template(kind).ok_or_else(|| TemplateError::NotAboutAnOrder {
        kind: kind.as_str().to_owned(),
    })?;
    templates.render(name, order_values(kind, order, focus, &to.name))
}

#[derive(Serialize)]
struct OrderMessage<'a> {
    name: &'a str,
    /// Why the order ended, as the workflow wrote it on the timeline.
    reason: Option<&'a str>,
    order: OrderValues,
    refund: RefundValues,
    /// The refund a `refunded` message is about (the latest when the
    /// message does not name one).
    this_refund: Option<ThisRefundValues>,
    /// The return a `return_updated` message is about (the latest when the
    /// message does not name one).
    this_return: Option<ThisReturnValues>,
    /// The order's latest version, once it was edited.
    this_version: Option<ThisVersionValues>,
}

#[derive(Serialize)]
struct ThisVersionValues {
    number: u32,
    change: String,
    /// What the edit added to the total, or took off it.
    charged: Option<String>,
    refunded: Option<String>,
    /// `charged`, `refunded`, `refund_failed`, `on_delivery`, `unchanged`.
    settlement: &'static str,
}

#[derive(Serialize)]
struct ThisReturnValues {
    number: u32,
    /// `requested`, `pickup_booked`, … as the API shows it.
    status: &'static str,
    /// The status in words: `pickup booked`.
    label: String,
    /// What the latest step was, in words.
    step: String,
    lines: Vec<ParcelLineValues>,
    collect: bool,
    tracking: Option<TrackingValues>,
    exchange: Option<ExchangeValues>,
}

/// The replacement a return takes instead of a refund.
#[derive(Serialize)]
struct ExchangeValues {
    /// Where it stands, in words: `on its way`.
    label: &'static str,
    lines: Vec<ParcelLineValues>,
    /// What was charged on top, once it was.
    difference: Option<String>,
    tracking: Option<TrackingValues>,
    /// Why it fell back to a refund.
    note: Option<String>,
}

#[derive(Serialize)]
struct ThisRefundValues {
    number: u32,
    amount: String,
    reason: String,
    lines: Vec<ParcelLineValues>,
    /// Cash on delivery: to be paid back by hand.
    payout: bool,
}

#[derive(Serialize)]
struct OrderValues {
    id: String,
    items: Vec<LineValues>,
    total: String,
    /// The method, the instrument and the payment's status.
    payment: String,
    captured: String,
    tracking: Option<TrackingValues>,
    receipt: Vec<EntryValues>,
    /// The shipment this message is about, when the order ships as several.
    parcel: Option<ParcelValues>,
    /// What was taken off the lines' prices, and where it came from.
    discounts: Vec<DiscountValues>,
}

#[derive(Serialize)]
struct DiscountValues {
    source: String,
    amount: String,
}

#[derive(Serialize)]
struct ParcelValues {
    number: u32,
    of: usize,
    items: Vec<ParcelLineValues>,
    tracking: Option<TrackingValues>,
    refunded: Option<String>,
}

#[derive(Serialize)]
struct ParcelLineValues {
    quantity: u32,
    name: String,
    sku: String,
}

#[derive(Serialize)]
struct LineValues {
    quantity: u32,
    name: String,
    sku: String,
    unit_price: String,
    subtotal: String,
}

#[derive(Serialize)]
struct TrackingValues {
    id: String,
    carrier: String,
}

#[derive(Serialize)]
struct EntryValues {
    kind: &'static str,
    amount: String,
    at: String,
    reference: String,
}

/// What happened to the customer's money; amounts only when not zero.
#[derive(Serialize)]
struct RefundValues {
    refunded: Option<String>,
    captured: Option<String>,
    /// The authorization was released: nothing was ever taken.
    voided: bool,
    /// Where the money goes back to.
    to: String,
}

pub(crate) fn order_values(
    kind: NotificationKind,
    order: &OrderView,
    focus: Focus,
    name: &str,
) -> Value {
    let receipt = &order.payment.receipt;
    let nonzero = |money: orderly_domain::Money| (money.amount > 0).then(|| money.to_string());
    Value::from_serialize(OrderMessage {
        name,
        reason: reason(kind, order),
        order: OrderValues {
            id: order.id.to_string(),
            items: order
                .items
                .iter()
                .map(|line| LineValues {
                    quantity: line.quantity.get(),
                    name: line.name.clone(),
                    sku: line.sku.to_string(),
                    unit_price: line.unit_price.to_string(),
                    subtotal: line.subtotal.to_string(),
                })
                .collect(),
            total: order.total.to_string(),
            payment: payment_line(order),
            captured: receipt.captured.to_string(),
            tracking: order.shipment.as_ref().map(|shipment| TrackingValues {
                id: shipment.tracking_id.to_string(),
                carrier: shipment.carrier.clone(),
            }),
            receipt: receipt
                .entries
                .iter()
                .map(|entry| EntryValues {
                    kind: entry.kind.as_str(),
                    amount: entry.amount.to_string(),
                    at: entry.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    reference: entry.reference.clone(),
                })
                .collect(),
            parcel: parcel_values(kind, order, focus.shipment()),
            discounts: order
                .discounts
                .iter()
                .map(|discount| DiscountValues {
                    source: discount.source.clone(),
                    amount: discount.amount.to_string(),
                })
                .collect(),
        },
        this_refund: this_refund_values(order, focus),
        this_return: this_return_values(order, focus),
        this_version: this_version_values(order),
        refund: RefundValues {
            refunded: nonzero(receipt.refunded),
            captured: nonzero(receipt.captured),
            voided: order.payment.status == PaymentStatus::Voided,
            to: order
                .payment
                .instrument
                .clone()
                .unwrap_or_else(|| "your original payment method".into()),
        },
    })
}

/// The shipment a message about a split order speaks of: the one the
/// workflow named or, for a workflow from before it named them, the one
/// that came back or the one that left last.
fn parcel_values(
    kind: NotificationKind,
    order: &OrderView,
    shipment: Option<u32>,
) -> Option<ParcelValues> {
    if order.shipments.len() < 2 {
        return None;
    }
    let named = shipment.and_then(|number| order.shipments.iter().find(|p| p.id == number));
    let parcel = named.or_else(|| match kind {
        NotificationKind::ShipmentReturned => order
            .shipments
            .iter()
            .filter(|p| p.status == ParcelStatus::Returned)
            .max_by_key(|p| p.refunded.is_some()),
        NotificationKind::Shipped => order.shipments.iter().rfind(|p| p.tracking_id.is_some()),
        _ => None,
    })?;
    Some(ParcelValues {
        number: parcel.id,
        of: order.shipments.len(),
        items: parcel
            .items
            .iter()
            .map(|line| line_values(order, &line.sku, line.quantity))
            .collect(),
        tracking: parcel
            .tracking_id
            .zip(parcel.carrier.clone())
            .map(|(id, carrier)| TrackingValues {
                id: id.to_string(),
                carrier,
            }),
        refunded: parcel.refunded.map(|money| money.to_string()),
    })
}

/// `quantity` of the order's line of `sku`, by the name it was ordered under.
fn line_values(order: &OrderView, sku: &Sku, quantity: u32) -> ParcelLineValues {
    ParcelLineValues {
        quantity,
        name: order
            .items
            .iter()
            .find(|item| &item.sku == sku)
            .map_or_else(|| sku.to_string(), |item| item.name.clone()),
        sku: sku.to_string(),
    }
}

fn this_version_values(order: &OrderView) -> Option<ThisVersionValues> {
    let version = order.versions.last().filter(|v| v.number > 1)?;
    let amount = Money::new(version.difference.amount.abs(), version.difference.currency);
    let settlement = match version.settlement {
        EditSettlement::Placed | EditSettlement::Unchanged => "unchanged",
        EditSettlement::Charged => "charged",
        EditSettlement::Refunded => "refunded",
        EditSettlement::RefundFailed => "refund_failed",
        EditSettlement::OnDelivery => "on_delivery",
    };
    Some(ThisVersionValues {
        number: version.number,
        change: version.change.clone(),
        charged: (version.difference.amount > 0).then(|| amount.to_string()),
        refunded: (version.difference.amount < 0).then(|| amount.to_string()),
        settlement,
    })
}

fn this_return_values(order: &OrderView, focus: Focus) -> Option<ThisReturnValues> {
    let found = match focus {
        Focus::Return(number) => order.returns.iter().find(|r| r.number == number),
        _ => order.returns.last(),
    }?;
    Some(ThisReturnValues {
        number: found.number,
        status: found.status.as_str(),
        label: found.status.as_str().replace('_', " "),
        step: found
            .steps
            .last()
            .map(|step| step.detail.clone())
            .unwrap_or_default(),
        lines: found
            .lines
            .iter()
            .map(|line| line_values(order, &line.sku, line.quantity))
            .collect(),
        collect: found.collect,
        tracking: found
            .tracking_id
            .zip(found.carrier.clone())
            .map(|(id, carrier)| TrackingValues {
                id: id.to_string(),
                carrier,
            }),
        exchange: found.exchange.as_ref().map(exchange_values),
    })
}

fn exchange_values(exchange: &ExchangeView) -> ExchangeValues {
    ExchangeValues {
        label: match exchange.status {
            ExchangeStatus::Requested => "to be sent once the return is approved",
            ExchangeStatus::Shipped => "on its way",
            ExchangeStatus::Delivered => "delivered",
            ExchangeStatus::FellBack => "not coming: the return is refunded instead",
            ExchangeStatus::CameBack => "back with us: the return is refunded instead",
        },
        lines: exchange
            .lines
            .iter()
            .map(|line| ParcelLineValues {
                sku: line.sku.to_string(),
                name: line.name.clone(),
                quantity: line.quantity.get(),
            })
            .collect(),
        difference: (exchange.difference.amount > 0
            && matches!(
                exchange.status,
                ExchangeStatus::Shipped | ExchangeStatus::Delivered
            ))
        .then(|| exchange.difference.to_string()),
        tracking: exchange.parcel.as_ref().and_then(|parcel| {
            Some(TrackingValues {
                id: parcel.tracking_id?.to_string(),
                carrier: parcel.carrier.clone()?,
            })
        }),
        note: exchange.note.clone(),
    }
}

fn this_refund_values(order: &OrderView, focus: Focus) -> Option<ThisRefundValues> {
    let refund = match focus {
        Focus::Refund(number) => order.refunds.iter().find(|r| r.number == number),
        _ => order.refunds.last(),
    }?;
    Some(ThisRefundValues {
        number: refund.number,
        amount: refund.amount.to_string(),
        reason: refund.reason.clone(),
        lines: refund
            .lines
            .iter()
            .map(|line| line_values(order, &line.sku, line.quantity))
            .collect(),
        payout: refund.status == RefundStatus::PayoutDue,
    })
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

#[derive(Serialize)]
struct CartMessage<'a> {
    name: &'a str,
    count: u32,
    items: Vec<CartLine>,
    total: Option<String>,
}

#[derive(Serialize)]
struct CartLine {
    quantity: u32,
    name: String,
    sku: String,
    unit_price: String,
}

pub(crate) fn cart_values(cart: &Cart, name: &str) -> Value {
    let total = cart
        .items
        .iter()
        .try_fold(None, |sum: Option<orderly_domain::Money>, item| {
            let subtotal = item.unit_price.times(item.quantity.get())?;
            Some(Some(match sum {
                None => subtotal,
                Some(sum) => sum.plus(subtotal)?,
            }))
        });
    Value::from_serialize(CartMessage {
        name,
        count: cart.items.iter().map(|item| item.quantity.get()).sum(),
        items: cart
            .items
            .iter()
            .map(|item| CartLine {
                quantity: item.quantity.get(),
                name: item.name.clone(),
                sku: item.sku.to_string(),
                unit_price: item.unit_price.to_string(),
            })
            .collect(),
        total: total.flatten().map(|total| total.to_string()),
    })
}

pub(crate) fn low_stock_values(alert: &LowStockAlert) -> Value {
    minijinja::context! {
        product => alert.name,
        sku => alert.sku.to_string(),
        available => alert.available.max(0),
        threshold => alert.threshold,
    }
}

/// A batch about to spoil, or spoiled (`expired`), as told to `name`.
pub(crate) fn spoilage_values(batch: &SpoilingBatch, expired: bool, name: &str) -> Value {
    minijinja::context! {
        name,
        product => batch.product,
        sku => batch.key.sku.to_string(),
        warehouse => batch.warehouse,
        batch => batch.key.batch_code.to_string(),
        expires_on => batch.expires_on.format("%Y-%m-%d").to_string(),
        on_hand => batch.on_hand,
        reserved => batch.reserved,
        expired,
    }
}

/// The password reset email: the code on a line of its own, valid for
/// `minutes`.
pub fn password_reset_email(
    templates: &Templates,
    name: &str,
    token: &str,
    minutes: i64,
) -> Result<Rendered, TemplateError> {
    let context = minijinja::context! { name, token, minutes };
    Ok(templates.render("password_reset", context)?.rendered)
}

/// The invitation to a new staff account: the code that sets its first
/// password, valid for `days`.
pub fn staff_invitation_email(
    templates: &Templates,
    name: &str,
    role: &str,
    token: &str,
    days: i64,
) -> Result<Rendered, TemplateError> {
    let context = minijinja::context! { name, role, token, days };
    Ok(templates.render("staff_invitation", context)?.rendered)
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
    use orderly_providers::sandbox_values::CARD_APPROVED;

    use crate::SHORT_TEXT_MAX_CHARS;

    fn render(kind: NotificationKind, order: &OrderView, to: &Recipient) -> Rendered {
        render_order(&Templates::built_in(), kind, order, Focus::Order, to)
            .unwrap()
            .rendered
    }

    fn render_short(kind: NotificationKind, order: &OrderView) -> String {
        render_order(
            &Templates::built_in(),
            kind,
            order,
            Focus::Order,
            &recipient(),
        )
        .unwrap()
        .short
        .unwrap()
    }

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
        let card = CardNumber::parse(CARD_APPROVED).ok();
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
            shipments: Vec::new(),
            timeline: vec![TimelineEntry {
                status: OrderStatus::Placed,
                at,
                detail: "order placed".into(),
            }],
            discounts: Vec::new(),
            refunds: vec![],
            returns: Vec::new(),
            versions: Vec::new(),
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
        // Cart reminders and low-stock notices are not about an order:
        // the cart's own short text is checked with the cart.
        for kind in NotificationKind::ALL
            .into_iter()
            .filter(|kind| kind.is_about_an_order())
        {
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

    #[test]
    fn the_email_carries_the_code_on_a_line_of_its_own() {
        let rendered =
            password_reset_email(&Templates::built_in(), "Asha", "abc-DEF_123", 30).unwrap();
        assert!(
            rendered
                .body
                .lines()
                .any(|line| line == "reset-code: abc-DEF_123"),
            "{}",
            rendered.body
        );
        assert!(rendered.body.contains("30 minutes"));
        assert!(rendered.body.lines().all(|line| line.len() <= 76));
    }
}
