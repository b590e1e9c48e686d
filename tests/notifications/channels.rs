//! The notification channels a customer chose are the ones they are
//! reached on: email only if chosen, SMS and push through the sandbox
//! gateways (read back from the admin-only sandbox outbox), each message at
//! most once per channel; and the push device registrations behind push.
//!
//! Most tests place an order paid with the sandbox's declined card: its
//! workflow sends two notifications (confirmed, payment failed) and then
//! closes, after which nothing more can be sent and every channel can be
//! counted exactly.

use orderly_providers::sandbox_values::{
    CARD_APPROVED, CARD_DECLINED, PUSH_INVALID_DEVICE, SMS_INVALID_NUMBER, SMS_UNREACHABLE_NUMBER,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use orderly_domain::{NotificationKind, OrderView};
use orderly_notifications::{Notifier, Recipient, SHORT_TEXT_MAX_CHARS};
use orderly_providers::EmailSender;
use orderly_providers::push::SandboxPush;
use orderly_providers::sms::SandboxSms;
use orderly_tests::app::{TestApp, TestOptions, spawn_app, spawn_app_with};
use orderly_tests::shopper::{Answer, card, delivery_order, placed_id};

const SKU: &str = "MANGO-ALPHONSO-1KG";
/// ₹450.00 a kilo.
const PRICE: i64 = 45_000;
const PHONE: &str = "+919876543210";
/// How long to wait to be sure an email does not arrive.
const PATIENCE: Duration = Duration::from_secs(2);

fn one_kilo(card_number: &str) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 1}]), card(card_number))
}

async fn patch_me(app: &TestApp, token: &str, body: &Value) {
    let answer = app
        .request_with(Method::PATCH, "/v1/me", Some(token), Some(body), &[])
        .await;
    assert_eq!(answer.status, 200, "PATCH /v1/me: {:#}", answer.body);
}

/// A customer who chose `channels`, with `phone` if given.
async fn customer_with(
    app: &TestApp,
    name: &str,
    channels: &[&str],
    phone: Option<&str>,
) -> String {
    let token = app.customer(name).await;
    patch_me(
        app,
        &token,
        &json!({"notification_channels": channels, "phone": phone}),
    )
    .await;
    token
}

/// Places an order the sandbox declines and waits for its workflow to
/// close; returns the order as it ended.
async fn declined_order(app: &TestApp, token: &str) -> OrderView {
    let id = placed_id(&app.place(token, &one_kilo(CARD_DECLINED)).await);
    app.finished_order(&id).await
}

async fn register_device(app: &TestApp, token: &str, device: &str, platform: &str) -> Answer {
    app.post(
        "/v1/me/push-devices",
        Some(token),
        &json!({"token": device, "platform": platform}),
    )
    .await
}

/// The caller's devices, as `(token, platform)`.
async fn devices(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let listed = app.get("/v1/me/push-devices", Some(token)).await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|device| {
            (
                device["token"].as_str().unwrap_or_default().to_owned(),
                device["platform"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Polls the sandbox outbox until `channel` holds at least `n` messages.
async fn wait_for_outbox(app: &TestApp, channel: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent = outbox(app, channel).await;
        if sent.len() >= n {
            return sent;
        }
        assert!(
            Instant::now() < deadline,
            "the {channel} outbox did not reach {n} messages in 30 s: {sent:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the sandbox delivered on `channel`, newest first.
async fn outbox(app: &TestApp, channel: &str) -> Vec<Value> {
    let admin = app.admin().await;
    let answer = app
        .get(
            &format!("/v1/ops/sandbox/messages?channel={channel}&limit=100"),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, 200, "outbox: {:#}", answer.body);
    answer.body["items"].as_array().expect("items").clone()
}

fn field<'a>(message: &'a Value, name: &str) -> &'a str {
    message[name].as_str().unwrap_or_default()
}

/// The worker's notifier, as a retried notify activity would use it.
fn notifier(app: &TestApp) -> Notifier {
    let email = app
        .smtp
        .as_ref()
        .map(|sink| EmailSender::from_url(&sink.url()).expect("the sink's SMTP URL"));
    Notifier::new(app.store.clone(), email)
        .with_sms(Arc::new(SandboxSms::new(app.store.clone())))
        .with_push(Arc::new(SandboxPush::new(app.store.clone())))
}

async fn recipient(app: &TestApp, token: &str) -> Recipient {
    let me = app.get("/v1/me", Some(token)).await;
    Recipient {
        user_id: app.account_id(token).await,
        name: field(&me.body, "name").to_owned(),
        email: field(&me.body, "email").to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_turned_email_off_gets_no_email_but_still_gets_the_inbox_entries() {
    let app = spawn_app_with(TestOptions {
        smtp: true,
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Nisha", &["in_app"], None).await;

    let order = declined_order(&app, &customer).await;

    let inbox = app.wait_for_inbox(&customer, 2).await;
    let kinds: Vec<&str> = inbox.iter().map(|n| field(n, "kind")).collect();
    assert_eq!(kinds, ["payment_failed", "order_confirmed"]);
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    assert!(
        sink.wait_for(1, PATIENCE).await.is_empty(),
        "an email went out"
    );
    let id = order.id.to_string();
    for kind in [
        NotificationKind::OrderConfirmed,
        NotificationKind::PaymentFailed,
    ] {
        assert_eq!(app.notification_count(&id, kind, "email").await, 0);
        assert_eq!(app.notification_count(&id, kind, "in_app").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_chose_sms_gets_exactly_one_sms_per_notification_even_when_notified_again() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Vikram", &["sms"], Some("+91 98765 43210")).await;

    let order = declined_order(&app, &customer).await;

    let sent = wait_for_outbox(&app, "sms", 2).await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    let id = order.id.to_string();
    for (message, words) in sent.iter().zip(["failed", "is confirmed"]) {
        assert_eq!(field(message, "recipient"), PHONE);
        assert_eq!(message["subject"], Value::Null);
        let text = field(message, "body");
        assert!(text.starts_with("orderly: "), "{text}");
        assert!(text.contains(&id) && text.contains(words), "{text}");
        assert!(text.chars().count() <= SHORT_TEXT_MAX_CHARS, "{text}");
        assert!(!text.contains('\n'), "{text:?}");
    }
    // Email was not chosen, so none was recorded even without SMTP.
    assert_eq!(
        app.notification_count(&id, NotificationKind::OrderConfirmed, "email")
            .await,
        0
    );

    // A retried activity finds each SMS delivered and sends nothing.
    let to = recipient(&app, &customer).await;
    for kind in [
        NotificationKind::OrderConfirmed,
        NotificationKind::PaymentFailed,
    ] {
        notifier(&app)
            .notify(kind, &order, &to)
            .await
            .expect("notified again");
        assert_eq!(app.notification_count(&id, kind, "sms").await, 1);
    }
    assert_eq!(outbox(&app, "sms").await, sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_chosen_without_a_phone_number_sends_nothing_and_the_order_still_proceeds() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Arjun", &["sms"], None).await;

    let id = placed_id(&app.place(&customer, &one_kilo(CARD_APPROVED)).await);
    app.wait_for_status(&customer, &id, "paid").await;
    let cancelled = app.cancel(&customer, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    app.finished_order(&id).await;

    assert!(outbox(&app, "sms").await.is_empty());
    let inbox = app.wait_for_inbox(&customer, 3).await;
    let kinds: Vec<&str> = inbox.iter().map(|n| field(n, "kind")).collect();
    assert_eq!(kinds, ["cancelled", "payment_receipt", "order_confirmed"]);
    for kind in [
        NotificationKind::OrderConfirmed,
        NotificationKind::PaymentReceipt,
        NotificationKind::Cancelled,
    ] {
        assert_eq!(app.notification_count(&id, kind, "sms").await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_the_provider_refuses_leaves_the_other_channels_delivered() {
    let app = spawn_app_with(TestOptions {
        smtp: true,
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Meena", &["email", "sms"], Some(SMS_INVALID_NUMBER)).await;

    let order = declined_order(&app, &customer).await;

    let sink = app.smtp.as_ref().expect("the SMTP sink");
    assert_eq!(sink.wait_for(2, Duration::from_secs(30)).await.len(), 2);
    assert!(outbox(&app, "sms").await.is_empty());
    for kind in [
        NotificationKind::OrderConfirmed,
        NotificationKind::PaymentFailed,
    ] {
        for (channel, delivered) in [("in_app", true), ("email", true), ("sms", false)] {
            let key = format!("{}:{}:{channel}", order.id, kind.as_str());
            assert_eq!(
                app.store
                    .notifications()
                    .notification_delivered(&key)
                    .await
                    .expect("read"),
                delivered,
                "{kind:?} on {channel}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_outage_is_retried_by_the_relay_and_leaves_the_other_channels_delivered() {
    let app = spawn_app_with(TestOptions {
        smtp: true,
        ..TestOptions::default()
    })
    .await;
    let customer =
        customer_with(&app, "Ila", &["email", "sms"], Some(SMS_UNREACHABLE_NUMBER)).await;
    let to = recipient(&app, &customer).await;
    // An order in the read model only: no workflow notifies about it.
    let id = app.deliver_directly(to.user_id, &[SKU]).await;
    let order: OrderView = serde_json::from_value(
        app.get(&format!("/v1/orders/{id}"), Some(&customer))
            .await
            .body,
    )
    .expect("an order");
    for _ in 1..=2 {
        notifier(&app)
            .notify(NotificationKind::Delivered, &order, &to)
            .await
            .expect("queued while the SMS gateway is down");
    }

    let sink = app.smtp.as_ref().expect("the SMTP sink");
    assert_eq!(
        sink.wait_for(2, PATIENCE).await.len(),
        1,
        "one email however often notified"
    );
    let sms_key = format!("{id}:delivered:sms");
    let deadline = std::time::Instant::now() + PATIENCE;
    let sms = loop {
        let sms = app
            .store
            .notifications()
            .notification(&sms_key)
            .await
            .expect("read")
            .expect("the SMS is queued");
        if sms.attempts > 0 || std::time::Instant::now() > deadline {
            break sms;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(sms.attempts > 0, "the relay never tried the SMS: {sms:?}");
    assert!(
        sms.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not answering"),
        "{sms:?}"
    );
    assert!(outbox(&app, "sms").await.is_empty());
    for (channel, delivered) in [("in_app", true), ("email", true), ("sms", false)] {
        let key = format!("{id}:delivered:{channel}");
        assert_eq!(
            app.store
                .notifications()
                .notification_delivered(&key)
                .await
                .expect("read"),
            delivered,
            "{channel}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_reminder_goes_to_the_channels_the_shopper_chose() {
    let app = spawn_app_with(TestOptions {
        smtp: true,
        cart_reminder: Duration::from_secs(1),
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Tara", &["sms", "push"], Some(PHONE)).await;
    register_device(&app, &customer, "taras-phone", "ios").await;

    let added = app
        .post(
            "/v1/cart/items",
            Some(&customer),
            &json!({"sku": SKU, "quantity": 2}),
        )
        .await;
    assert_eq!(added.status, 200, "{:#}", added.body);

    let texts = wait_for_outbox(&app, "sms", 1).await;
    let pushes = wait_for_outbox(&app, "push", 1).await;
    assert_eq!(
        field(&texts[0], "body"),
        "orderly: 2 items are still in your cart, not reserved until you check out."
    );
    assert_eq!(field(&texts[0], "recipient"), PHONE);
    assert_eq!(
        field(&pushes[0], "subject"),
        "2 items are still in your cart"
    );
    assert_eq!(field(&pushes[0], "recipient"), "taras-phone");
    let inbox = app.wait_for_inbox(&customer, 1).await;
    assert_eq!(field(&inbox[0], "kind"), "cart_reminder");
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    assert!(
        sink.wait_for(1, PATIENCE).await.is_empty(),
        "email was not chosen"
    );
    assert_eq!(outbox(&app, "sms").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_goes_to_every_registered_device_once() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Farah", &["push"], None).await;
    for (device, platform) in [("phone-token-1", "ios"), ("tablet-token-2", "android")] {
        assert_eq!(
            register_device(&app, &customer, device, platform)
                .await
                .status,
            201
        );
    }

    let order = declined_order(&app, &customer).await;

    let pushed = wait_for_outbox(&app, "push", 4).await;
    assert_eq!(pushed.len(), 4, "{pushed:#?}");
    let id = order.id.to_string();
    for device in ["phone-token-1", "tablet-token-2"] {
        let titles: Vec<&str> = pushed
            .iter()
            .filter(|m| field(m, "recipient") == device)
            .map(|m| field(m, "subject"))
            .collect();
        assert_eq!(
            titles,
            [
                format!("Payment for order {id} failed"),
                format!("Order {id} confirmed"),
            ],
            "{device}"
        );
    }
    let keys: std::collections::HashSet<&str> =
        pushed.iter().map(|m| field(m, "idempotency_key")).collect();
    assert_eq!(
        keys.len(),
        4,
        "one provider key per device and notification"
    );
    for kind in [
        NotificationKind::OrderConfirmed,
        NotificationKind::PaymentFailed,
    ] {
        assert_eq!(app.notification_count(&id, kind, "push").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_the_push_service_refuses_is_removed_and_the_others_still_get_the_push() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 5).await;
    let customer = customer_with(&app, "Kabir", &["push"], None).await;
    for (device, platform) in [(PUSH_INVALID_DEVICE, "android"), ("good-device", "web")] {
        assert_eq!(
            register_device(&app, &customer, device, platform)
                .await
                .status,
            201
        );
    }

    let order = declined_order(&app, &customer).await;

    let recipients: Vec<String> = wait_for_outbox(&app, "push", 2)
        .await
        .iter()
        .map(|m| field(m, "recipient").to_owned())
        .collect();
    assert_eq!(recipients, ["good-device", "good-device"]);
    assert_eq!(
        devices(&app, &customer).await,
        [("good-device".to_owned(), "web".to_owned())]
    );
    let key = format!("{}:order_confirmed:push", order.id);
    assert!(
        app.store
            .notifications()
            .notification_delivered(&key)
            .await
            .expect("read")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_a_push_device_with_a_bad_token_or_platform_is_422_naming_the_field() {
    let app = spawn_app().await;
    let customer = app.customer("Leela").await;

    for (body, field_name) in [
        (json!({"token": "", "platform": "ios"}), "token"),
        (
            json!({"token": "x".repeat(4097), "platform": "ios"}),
            "token",
        ),
        (json!({"token": "caf\u{e9}", "platform": "ios"}), "token"),
        (json!({"token": "line\nbreak", "platform": "ios"}), "token"),
        (json!({"token": 42, "platform": "ios"}), "token"),
        (json!({"platform": "ios"}), "token"),
        (
            json!({"token": "abc", "platform": "blackberry"}),
            "platform",
        ),
        (json!({"token": "abc"}), "platform"),
    ] {
        let answer = app
            .post("/v1/me/push-devices", Some(&customer), &body)
            .await;
        answer.assert_problem(422);
        assert_eq!(answer.fields(), [field_name], "{body}");
    }
    assert!(devices(&app, &customer).await.is_empty());

    let longest = "x".repeat(4096);
    assert_eq!(
        register_device(&app, &customer, &longest, "web")
            .await
            .status,
        201
    );
    register_device(&app, "not-a-token", "abc", "ios")
        .await
        .assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_the_same_token_again_returns_the_same_device() {
    let app = spawn_app().await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;

    let first = register_device(&app, &asha, "shared-token", "ios").await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let again = register_device(&app, &asha, "shared-token", "ios").await;
    assert_eq!(again.status, 200, "{:#}", again.body);
    assert_eq!(again.body, first.body);
    assert_eq!(devices(&app, &asha).await.len(), 1);

    // A token is a device per account: another account gets its own.
    let ravis = register_device(&app, &ravi, "shared-token", "ios").await;
    assert_eq!(ravis.status, 201);
    assert_ne!(ravis.body["id"], first.body["id"]);

    register_device(&app, &asha, "second-token", "web").await;
    let page = app.get("/v1/me/push-devices?limit=1", Some(&asha)).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["items"][0]["id"], first.body["id"]);
    let cursor = field(&page.body, "next_cursor").to_owned();
    let next = app
        .get(
            &format!("/v1/me/push-devices?limit=1&cursor={cursor}"),
            Some(&asha),
        )
        .await;
    assert_eq!(next.body["items"][0]["token"], "second-token");
    assert_eq!(next.body["next_cursor"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_device_is_404_and_stays_registered() {
    let app = spawn_app().await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    let registered = register_device(&app, &asha, "ashas-phone", "android").await;
    let path = format!("/v1/me/push-devices/{}", field(&registered.body, "id"));

    app.request_with(Method::DELETE, &path, Some(&ravi), None, &[])
        .await
        .assert_problem(404);
    assert!(devices(&app, &ravi).await.is_empty());
    assert_eq!(devices(&app, &asha).await.len(), 1);

    let deleted = app
        .request_with(Method::DELETE, &path, Some(&asha), None, &[])
        .await;
    assert_eq!(deleted.status, 204);
    assert!(devices(&app, &asha).await.is_empty());
    app.request_with(Method::DELETE, &path, Some(&asha), None, &[])
        .await
        .assert_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_read_the_sandbox_outbox() {
    let app = spawn_app().await;
    let customer = app.customer("Dev").await;
    let admin = app.admin().await;

    app.get("/v1/ops/sandbox/messages", Some(&customer))
        .await
        .assert_problem(403);
    app.get("/v1/ops/sandbox/messages", None)
        .await
        .assert_problem(401);
    let wrong = app
        .get("/v1/ops/sandbox/messages?channel=email", Some(&admin))
        .await;
    wrong.assert_problem(422);
    assert_eq!(wrong.fields(), ["channel"]);
    let all = app.get("/v1/ops/sandbox/messages", Some(&admin)).await;
    assert_eq!(all.status, 200, "{:#}", all.body);
    assert_eq!(all.body, json!({"items": [], "next_cursor": null}));
}
