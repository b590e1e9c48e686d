//! What the customer is told: one email per moment of a delivered order,
//! sent over real SMTP, and the in-app inbox that shows each customer only
//! their own notifications.

use orderly_providers::sandbox_values::{CARD_APPROVED, CARD_DECLINED};
use std::time::Duration;

use serde_json::{Value, json};

use orderly_domain::NotificationKind;
use orderly_tests::app::{TestOptions, spawn_app, spawn_app_with};
use orderly_tests::shopper::{card, delivery_order, placed_id};
use orderly_tests::smtp_sink::ReceivedMail;

const SKU: &str = "TEA-250G";
/// ₹320.00 a pack.
const PRICE: i64 = 32_000;

fn one_pack(card_number: &str) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 1}]), card(card_number))
}

/// The mail's text with quoted-printable soft line breaks and escapes undone,
/// so long lines (the receipt's references) can be searched whole.
fn text_of(mail: &ReceivedMail) -> String {
    let body = mail.body();
    let encoding = mail
        .header("Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "quoted-printable" => unquote(body),
        "" | "7bit" | "8bit" => body.to_owned(),
        other => panic!("unexpected transfer encoding {other} in {mail:#?}"),
    }
}

fn unquote(body: &str) -> String {
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_order_sends_exactly_one_email_for_each_moment() {
    let app = spawn_app_with(TestOptions {
        smtp: true,
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = app.customer("Kavya").await;
    let admin = app.admin().await;
    let me = app.get("/v1/me", Some(&customer)).await;
    let email = me.body["email"]
        .as_str()
        .expect("the customer's email")
        .to_owned();

    let id = placed_id(&app.place(&customer, &one_pack(CARD_APPROVED)).await);
    app.wait_for_status(&customer, &id, "paid").await;
    let packed = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&admin), &json!({}))
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let shipped = app.wait_for_status(&customer, &id, "shipped").await;
    let tracking = shipped["shipment"]["tracking_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (n, status) in ["in_transit", "out_for_delivery", "delivered"]
        .into_iter()
        .enumerate()
    {
        let answer = app
            .carrier_event(&tracking, &format!("mail-{n}"), status)
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    app.wait_for_status(&customer, &id, "delivered").await;
    // Once the workflow has closed nothing more can be sent.
    app.finished_order(&id).await;

    let sink = app.smtp.as_ref().expect("the SMTP sink");
    let mails = sink.wait_for(5, Duration::from_secs(30)).await;
    let expected = [
        (
            NotificationKind::OrderConfirmed,
            format!("Order {id} confirmed"),
        ),
        (
            NotificationKind::PaymentReceipt,
            format!("Payment receipt for order {id}"),
        ),
        (NotificationKind::Shipped, format!("Order {id} has shipped")),
        (
            NotificationKind::OutForDelivery,
            format!("Order {id} is out for delivery"),
        ),
        (
            NotificationKind::Delivered,
            format!("Order {id} was delivered"),
        ),
    ];
    let subjects: Vec<String> = mails
        .iter()
        .map(|m| m.subject.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        subjects,
        expected.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        "one email per moment, in the order they happened"
    );

    for ((kind, _), mail) in expected.iter().zip(&mails) {
        assert_eq!(mail.recipients, [email.as_str()], "{kind:?}");
        let text = text_of(mail);
        assert!(text.contains("Hello Kavya"), "{kind:?}:\n{text}");
        assert!(text.contains(&format!("Order: {id}")), "{kind:?}:\n{text}");
        assert!(text.contains("Total: INR 320.00"), "{kind:?}:\n{text}");
        for channel in ["email", "in_app"] {
            assert_eq!(
                app.notification_count(&id, *kind, channel).await,
                1,
                "{kind:?} on {channel}"
            );
        }
    }
    let shipped_text = text_of(&mails[2]);
    assert!(
        shipped_text.contains(&format!("Tracking id: {tracking}")),
        "{shipped_text}"
    );
    let receipt_text = text_of(&mails[1]);
    assert!(
        receipt_text.contains("We have received your payment of INR 320.00"),
        "{receipt_text}"
    );
    for kind in [
        NotificationKind::Cancelled,
        NotificationKind::PaymentFailed,
        NotificationKind::ReadyForPickup,
    ] {
        assert_eq!(app.notification_count(&id, kind, "email").await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_lists_only_the_callers_own_notifications() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 5).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;

    let ashas = placed_id(&app.place(&asha, &one_pack(CARD_APPROVED)).await);
    let ravis = placed_id(&app.place(&ravi, &one_pack(CARD_DECLINED)).await);
    app.wait_for_status(&asha, &ashas, "paid").await;
    app.finished_order(&ravis).await;

    let asha_inbox = app.wait_for_inbox(&asha, 2).await;
    let ravi_inbox = app.wait_for_inbox(&ravi, 2).await;
    let summary = |inbox: &[Value]| -> Vec<(String, String)> {
        inbox
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_owned(),
                    n["order_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Newest first.
    assert_eq!(
        summary(&asha_inbox),
        [
            ("payment_receipt".to_owned(), ashas.clone()),
            ("order_confirmed".to_owned(), ashas.clone()),
        ]
    );
    assert_eq!(
        summary(&ravi_inbox),
        [
            ("payment_failed".to_owned(), ravis.clone()),
            ("order_confirmed".to_owned(), ravis.clone()),
        ]
    );
    assert!(
        asha_inbox[1]["body"]
            .as_str()
            .unwrap()
            .contains("Hello Asha")
    );
    assert!(
        ravi_inbox[0]["subject"]
            .as_str()
            .unwrap()
            .contains(&format!("Payment for order {ravis} failed"))
    );

    app.get("/v1/me/notifications", None)
        .await
        .assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_mail_server_down_an_order_is_paid_at_once_and_its_emails_wait_in_the_outbox() {
    let app = spawn_app_with(TestOptions {
        smtp_down: true,
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Asha").await;
    let id = placed_id(&app.place(&customer, &one_pack(CARD_APPROVED)).await);

    // Paid without waiting on the mail server.
    app.wait_for_status(&customer, &id, "paid").await;
    let inbox = app.wait_for_inbox(&customer, 2).await;
    assert_eq!(inbox.len(), 2, "{inbox:#?}");
    let key = format!("{id}:order_confirmed:email");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let email = loop {
        let email = app
            .store
            .notifications()
            .notification(&key)
            .await
            .expect("read")
            .expect("the confirmation email is queued");
        if email.attempts > 0 || std::time::Instant::now() > deadline {
            break email;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(email.delivered_at.is_none());
    assert!(email.attempts > 0, "{email:?}");
    assert!(email.last_error.is_some(), "{email:?}");
}
