//! Customer notifications through a real SMTP server: the inbox row is
//! always written, the email goes out once per (order, kind) however often
//! the notify activity runs, and a mail outage is a retryable failure that
//! a later attempt recovers from.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use orderly_domain::{
    Currency, Fulfillment, LedgerKind, Money, NotificationKind, OrderId, OrderLine, OrderStatus,
    OrderView, PaymentMethod, PaymentStatus, PaymentView, Quantity, Receipt, ReceiptEntry,
    ShipmentStatus, ShipmentView, Sku, TimelineEntry, TrackingId, UserId,
};
use orderly_notifications::{Notifier, Recipient};
use orderly_providers::EmailSender;
use orderly_store::Store;
use orderly_tests::database::TestDatabase;
use orderly_tests::smtp_sink::SmtpSink;

const SENDER: &str = "Orderly <orders@shop.example>";
/// Long enough for a message on a loaded machine; also how long a test
/// waits to be sure a second message does not arrive.
const PATIENCE: Duration = Duration::from_secs(2);

async fn store(database: &TestDatabase) -> Store {
    let store = Store::connect(&database.url).await.expect("connecting");
    store.migrate().await.expect("migrating");
    store
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

fn shipped_order(customer: UserId) -> OrderView {
    let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 30, 0).unwrap();
    OrderView {
        id: OrderId::new(),
        customer_id: customer,
        status: OrderStatus::Shipped,
        items: vec![OrderLine {
            sku: Sku::parse("APPLE-1KG").unwrap(),
            name: "Apples, 1 kg".into(),
            quantity: Quantity::parse(3).unwrap(),
            unit_price: inr(12_000),
            subtotal: inr(36_000),
        }],
        total: inr(36_000),
        payment: PaymentView {
            method: PaymentMethod::Card,
            status: PaymentStatus::Captured,
            instrument: Some("card ending 4242".into()),
            receipt: Receipt {
                authorized: inr(0),
                captured: inr(36_000),
                refunded: inr(0),
                entries: vec![ReceiptEntry {
                    kind: LedgerKind::Capture,
                    amount: inr(36_000),
                    reference: "sandbox-card-charge-1".into(),
                    at,
                }],
            },
        },
        fulfillment: Fulfillment::Pickup { warehouse_id: None },
        shipment: Some(ShipmentView {
            tracking_id: TrackingId::new(),
            carrier: "sandbox".into(),
            status: ShipmentStatus::Booked,
            last_location: None,
        }),
        shipments: Vec::new(),
        timeline: vec![TimelineEntry {
            status: OrderStatus::Shipped,
            at,
            detail: "handed to the carrier".into(),
        }],
        discounts: Vec::new(),
        refunds: Vec::new(),
        returns: Vec::new(),
        versions: Vec::new(),
        created_at: at,
        updated_at: at,
        version: 5,
    }
}

fn sender(url: &str) -> EmailSender {
    EmailSender::from_url(url)
        .and_then(|sender| sender.with_from(SENDER))
        .expect("a valid SMTP URL and sender")
}

/// What the worker's delivery relay does between notifications: one pass
/// over the outbox.
async fn relay(notifier: &Notifier) {
    notifier.deliver_due().await.expect("a relay pass");
}

#[tokio::test]
async fn notifying_twice_sends_one_email_and_writes_one_inbox_entry() {
    let database = TestDatabase::create().await;
    let store = store(&database).await;
    let sink = SmtpSink::start().await;
    let notifier = Notifier::new(store.clone(), Some(sender(&sink.url())));
    let to = recipient();
    let order = shipped_order(to.user_id);

    notifier
        .notify(NotificationKind::Shipped, &order, &to)
        .await
        .expect("notified");
    relay(&notifier).await;
    notifier
        .notify(NotificationKind::Shipped, &order, &to)
        .await
        .expect("notified again");
    relay(&notifier).await;

    let mails = sink.wait_for(2, PATIENCE).await;
    assert_eq!(mails.len(), 1, "the retry sent a second email");
    let mail = &mails[0];
    assert_eq!(mail.from, "orders@shop.example");
    assert_eq!(mail.recipients, ["asha@example.com"]);
    let subject = mail.subject.as_deref().unwrap_or_default();
    assert!(subject.contains(&order.id.to_string()), "{subject}");
    assert_eq!(
        mail.header("Message-ID"),
        Some(format!("<{}.shipped.email@orderly>", order.id))
    );
    let body = mail.body();
    let tracking_id = order
        .shipment
        .as_ref()
        .map(|s| s.tracking_id.to_string())
        .unwrap_or_default();
    for expected in [
        "Hello Asha Rao",
        "3 x Apples, 1 kg",
        "Total: INR 360.00",
        &tracking_id,
    ] {
        assert!(body.contains(expected), "missing {expected:?} in\n{body}");
    }

    for channel in ["in_app", "email"] {
        let count = store
            .notifications()
            .count_notifications(order.id, NotificationKind::Shipped, channel)
            .await
            .expect("counted");
        assert_eq!(count, 1, "{channel}");
        let key = format!("{}:shipped:{channel}", order.id);
        assert!(
            store
                .notifications()
                .notification_delivered(&key)
                .await
                .expect("read"),
            "{channel}"
        );
    }
    let inbox = store
        .notifications()
        .notifications_for_user(to.user_id, "in_app", None, 10)
        .await
        .expect("inbox");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].subject, subject);
    assert!(inbox[0].body.contains(&tracking_id));
    store.close().await;
}

#[tokio::test]
async fn each_kind_of_notification_is_its_own_email() {
    let database = TestDatabase::create().await;
    let store = store(&database).await;
    let sink = SmtpSink::start().await;
    let notifier = Notifier::new(store.clone(), Some(sender(&sink.url())));
    let to = recipient();
    let order = shipped_order(to.user_id);

    for kind in [NotificationKind::Shipped, NotificationKind::Delivered] {
        notifier.notify(kind, &order, &to).await.expect("notified");
    }
    relay(&notifier).await;

    let mails = sink.wait_for(3, PATIENCE).await;
    assert_eq!(mails.len(), 2);
    assert_ne!(mails[0].header("Message-ID"), mails[1].header("Message-ID"));
    store.close().await;
}

#[tokio::test]
async fn without_email_the_inbox_entry_is_still_written() {
    let database = TestDatabase::create().await;
    let store = store(&database).await;
    let notifier = Notifier::new(store.clone(), None);
    let to = recipient();
    let order = shipped_order(to.user_id);

    notifier
        .notify(NotificationKind::Shipped, &order, &to)
        .await
        .expect("notified");

    let inbox = store
        .notifications()
        .notifications_for_user(to.user_id, "in_app", None, 10)
        .await
        .expect("inbox");
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].delivered_at.is_some());
    let emails = store
        .notifications()
        .count_notifications(order.id, NotificationKind::Shipped, "email")
        .await
        .expect("counted");
    assert_eq!(emails, 0);
    store.close().await;
}

#[tokio::test]
async fn a_mail_outage_leaves_the_email_queued_and_a_later_pass_delivers_it_once() {
    let database = TestDatabase::create().await;
    let store = store(&database).await;
    let to = recipient();
    let order = shipped_order(to.user_id);

    // A port that was free a moment ago: nothing listens, connections fail.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bound");
    let closed_url = format!("smtp://{}", closed.local_addr().expect("address"));
    drop(closed);
    let down = Notifier::new(store.clone(), Some(sender(&closed_url)));
    down.notify(NotificationKind::Shipped, &order, &to)
        .await
        .expect("queued while the mail server is down");
    relay(&down).await;
    let key = format!("{}:shipped:email", order.id);
    let queued = store
        .notifications()
        .notification(&key)
        .await
        .expect("read")
        .expect("the email is queued");
    assert!(queued.delivered_at.is_none() && queued.failed_at.is_none());
    assert_eq!(queued.attempts, 1);
    assert!(
        queued
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("SMTP"),
        "{queued:?}"
    );
    let inbox = store
        .notifications()
        .count_notifications(order.id, NotificationKind::Shipped, "in_app")
        .await
        .expect("counted");
    assert_eq!(
        inbox, 1,
        "the inbox entry must not wait for the mail server"
    );

    let sink = SmtpSink::start().await;
    let up = Notifier::new(store.clone(), Some(sender(&sink.url())));
    up.notify(NotificationKind::Shipped, &order, &to)
        .await
        .expect("notified again");
    // The retry is due a second after the failure.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    relay(&up).await;
    relay(&up).await;
    assert_eq!(sink.wait_for(2, PATIENCE).await.len(), 1);
    assert!(
        store
            .notifications()
            .notification_delivered(&key)
            .await
            .expect("read")
    );
    store.close().await;
}

#[tokio::test]
async fn credentials_in_the_smtp_url_are_used_to_log_in() {
    let database = TestDatabase::create().await;
    let store = store(&database).await;
    let sink = SmtpSink::start().await;
    let url = sink.url().replace("smtp://", "smtp://mailer:s3cret@");
    let notifier = Notifier::new(store.clone(), Some(sender(&url)));
    let to = recipient();

    notifier
        .notify(
            NotificationKind::OrderConfirmed,
            &shipped_order(to.user_id),
            &to,
        )
        .await
        .expect("notified");
    relay(&notifier).await;

    let mails = sink.wait_for(1, PATIENCE).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].authenticated);
    store.close().await;
}

#[test]
fn an_unknown_smtp_scheme_is_a_configuration_error() {
    let error = EmailSender::from_url("http://127.0.0.1:25")
        .err()
        .expect("refused");
    assert!(!error.is_retryable(), "{error}");
}
