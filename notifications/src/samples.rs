//! Sample values for every message, which each template is rendered
//! against when the templates are loaded: a template that names a value
//! the message does not have fails then, not in front of a customer.

use chrono::{TimeZone, Utc};
use minijinja::Value;

use orderly_domain::{
    Address, BatchCode, CartStatus, Currency, DEFAULT_WAREHOUSE, DiscountLine, DiscountShare,
    EditSettlement, ExchangeStatus, ExchangeView, Fulfillment, LedgerKind, Money, NotificationKind,
    OrderId, OrderLine, OrderStatus, OrderVersion, OrderView, ParcelLine, ParcelStatus, ParcelView,
    PaymentMethod, PaymentStatus, PaymentView, Quantity, Receipt, ReceiptEntry, RefundLine,
    RefundStatus, RefundView, ReturnLine, ReturnStatus, ReturnStep, ReturnView, ShipmentStatus,
    ShipmentView, Sku, TimelineEntry, TrackingId, UserId, WarehouseId,
};
use orderly_store::{BatchKey, Cart, CartItem, LowStockAlert, SpoilingBatch};

use crate::render::{
    Focus, cart_values, low_stock_values, order_template, order_values, spoilage_values,
};

/// (message, values) for every message template.
pub(crate) fn every_message() -> Vec<(&'static str, Value)> {
    let order = order();
    let mut messages: Vec<_> = NotificationKind::ALL
        .into_iter()
        .filter_map(|kind| {
            order_template(kind)
                .map(|name| (name, order_values(kind, &order, Focus::Order, "Asha Rao")))
        })
        .collect();
    messages.push(("cart_reminder", cart_values(&cart(), "Asha Rao")));
    messages.push(("low_stock", low_stock_values(&low_stock())));
    // Both wordings of the alert: about to spoil, and spoiled.
    for expired in [false, true] {
        messages.push((
            "spoilage_alert",
            spoilage_values(&spoiling(), expired, "Asha Rao"),
        ));
    }
    messages.push((
        "password_reset",
        minijinja::context! { name => "Asha Rao", token => "reset-code", minutes => 30 },
    ));
    messages.push((
        "staff_invitation",
        minijinja::context! { name => "Ravi Kumar", role => "warehouse", token => "reset-code", days => 7 },
    ));
    messages
}

fn inr(amount: i64) -> Money {
    Money::new(amount, Currency::INR)
}

fn sku(raw: &str) -> Sku {
    Sku::parse(raw).expect("a sample sku")
}

fn order() -> OrderView {
    let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 30, 0).unwrap();
    let parcel = |id, status, tracking_id| ParcelView {
        id,
        warehouse_id: WarehouseId::new(),
        items: vec![ParcelLine {
            sku: sku("APPLE-1KG"),
            quantity: 1,
        }],
        status,
        tracking_id,
        carrier: Some("sandbox".into()),
        last_location: None,
        refunded: (status == ParcelStatus::Returned).then(|| inr(12_050)),
    };
    OrderView {
        id: OrderId::new(),
        customer_id: UserId::new(),
        status: OrderStatus::Shipped,
        items: vec![OrderLine {
            sku: sku("APPLE-1KG"),
            name: "Apples, 1 kg".into(),
            quantity: Quantity::parse(2).expect("a sample quantity"),
            unit_price: inr(12_050),
            subtotal: inr(24_100),
        }],
        total: inr(24_100),
        payment: PaymentView {
            method: PaymentMethod::Card,
            status: PaymentStatus::Captured,
            instrument: Some("card ending 4242".into()),
            receipt: Receipt {
                authorized: inr(0),
                captured: inr(24_100),
                refunded: inr(0),
                entries: vec![ReceiptEntry {
                    kind: LedgerKind::Capture,
                    amount: inr(24_100),
                    reference: "sample".into(),
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
        shipment: Some(ShipmentView {
            tracking_id: TrackingId::new(),
            carrier: "sandbox".into(),
            status: ShipmentStatus::Booked,
            last_location: None,
        }),
        // Split in two, so the messages about one shipment of several are
        // checked too.
        shipments: vec![
            parcel(1, ParcelStatus::Booked, Some(TrackingId::new())),
            parcel(2, ParcelStatus::Returned, Some(TrackingId::new())),
        ],
        timeline: vec![TimelineEntry {
            status: OrderStatus::Cancelled,
            at,
            detail: "a sample reason".into(),
        }],
        discounts: vec![DiscountLine {
            source: "coupon:SAMPLE".into(),
            amount: inr(500),
            lines: vec![DiscountShare {
                sku: sku("APPLE-1KG"),
                amount: inr(500),
            }],
        }],
        refunds: vec![RefundView {
            number: 1,
            amount: inr(12_550),
            lines: vec![RefundLine {
                sku: sku("APPLE-1KG"),
                quantity: 1,
                amount: inr(12_050),
            }],
            extra: inr(500),
            reason: "bruised".into(),
            status: RefundStatus::Refunded,
            requested_at: at,
            settled_at: Some(at),
            reference: Some("sample-refund".into()),
            failure: None,
        }],
        returns: vec![ReturnView {
            number: 1,
            lines: vec![ReturnLine {
                sku: sku("APPLE-1KG"),
                quantity: 1,
            }],
            reason: "bruised".into(),
            photos: Vec::new(),
            status: ReturnStatus::PickupBooked,
            collect: true,
            tracking_id: Some(TrackingId::new()),
            carrier: Some("sandbox".into()),
            decision: Some("photos show the bruise".into()),
            inspection: Vec::new(),
            refund: None,
            steps: vec![ReturnStep {
                status: ReturnStatus::PickupBooked,
                at,
                detail: "pickup booked with sandbox".into(),
            }],
            exchange: Some(ExchangeView {
                lines: vec![OrderLine {
                    sku: sku("APPLE-1KG"),
                    name: "Apples, 1 kg".into(),
                    quantity: Quantity::parse(1).expect("a sample quantity"),
                    unit_price: inr(12_050),
                    subtotal: inr(12_050),
                }],
                difference: inr(0),
                status: ExchangeStatus::Shipped,
                parcel: Some(parcel(3, ParcelStatus::Booked, Some(TrackingId::new()))),
                note: None,
            }),
        }],
        versions: vec![OrderVersion {
            number: 2,
            at,
            items: Vec::new(),
            discounts: Vec::new(),
            total: inr(24_100),
            fulfillment: Fulfillment::Pickup { warehouse_id: None },
            difference: inr(12_050),
            settlement: EditSettlement::Charged,
            change: "APPLE-1KG 1 → 2".into(),
        }],
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

fn cart() -> Cart {
    let now = Utc::now();
    Cart {
        id: uuid::Uuid::nil(),
        user_id: UserId::new(),
        status: CartStatus::Active,
        version: 1,
        reminder_sent: false,
        checkout: None,
        coupon: None,
        updated_at: now,
        items: vec![CartItem {
            sku: sku("APPLE-1KG"),
            name: "Apples, 1 kg".into(),
            quantity: Quantity::parse(2).expect("a sample quantity"),
            unit_price: inr(18_000),
            added_at: now,
        }],
    }
}

fn low_stock() -> LowStockAlert {
    LowStockAlert {
        seller_id: UserId::new(),
        sku: sku("APPLE-1KG"),
        name: "Apples, 1 kg".into(),
        available: 3,
        threshold: 5,
        crossing: 1,
    }
}

fn spoiling() -> SpoilingBatch {
    SpoilingBatch {
        key: BatchKey {
            sku: sku("APPLE-1KG"),
            warehouse_id: DEFAULT_WAREHOUSE,
            batch_code: BatchCode::parse("NSK-2026-11-30").expect("a sample batch code"),
        },
        product: "Apples, 1 kg".into(),
        seller_id: Some(UserId::new()),
        warehouse: "Main warehouse".into(),
        expires_on: Utc
            .with_ymd_and_hms(2026, 12, 3, 0, 0, 0)
            .unwrap()
            .date_naive(),
        on_hand: 12,
        reserved: 4,
    }
}
