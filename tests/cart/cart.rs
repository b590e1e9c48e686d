//! The shopping cart and checkout through the REST API: totals on every
//! answer, stock limits, a cart that outlives the session, the reminder
//! timer (sent once, cancelled by checkout or emptying) and checkout through
//! the order workflow with its price check and idempotency.

use orderly_providers::sandbox_values::CARD_APPROVED;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use orderly_domain::{NotificationKind, UserId};
use orderly_tests::app::{TestApp, TestOptions, spawn_app, spawn_app_with};
use orderly_tests::shopper::{Answer, card, delivery_order};
use orderly_workflows::{CartReminderOutcome, CartReminderWorkflow, cart_reminder_workflow_id};

const APPLE: &str = "APPLE-1KG";
const MILK: &str = "MILK-1L";

async fn send(request: reqwest::RequestBuilder) -> Answer {
    Answer::read(request.send().await.expect("the request")).await
}

pub(crate) async fn add(app: &TestApp, token: &str, sku: &str, quantity: i64) -> Answer {
    app.post(
        "/v1/cart/items",
        Some(token),
        &json!({"sku": sku, "quantity": quantity}),
    )
    .await
}

async fn set_quantity(app: &TestApp, token: &str, sku: &str, quantity: i64) -> Answer {
    let request = app
        .http
        .patch(app.url(&format!("/v1/cart/items/{sku}")))
        .bearer_auth(token)
        .json(&json!({"quantity": quantity}));
    send(request).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> Answer {
    send(app.http.delete(app.url(path)).bearer_auth(token)).await
}

async fn cart(app: &TestApp, token: &str) -> Value {
    let answer = app.get("/v1/cart", Some(token)).await;
    assert_eq!(answer.status, 200, "GET /v1/cart: {:#}", answer.body);
    answer.body
}

pub(crate) fn home_delivery(payment: Value) -> Value {
    json!({
        "fulfillment": "delivery",
        "address": {"name": "Asha Rao", "line1": "12 MG Road", "city": "Pune",
                    "postal_code": "411001", "country": "IN"},
        "payment": payment,
    })
}

pub(crate) async fn checkout(app: &TestApp, token: &str, key: &str, body: &Value) -> Answer {
    let request = app
        .http
        .post(app.url("/v1/checkout"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body);
    send(request).await
}

pub(crate) fn money(amount: i64) -> Value {
    json!({"amount": amount, "currency": "INR"})
}

/// The caller's in-app cart reminders.
async fn reminders(app: &TestApp, user: UserId) -> Vec<orderly_store::Notification> {
    app.store
        .notifications()
        .notifications_for_user(user, "in_app", None, 100)
        .await
        .expect("reading the inbox")
        .into_iter()
        .filter(|n| n.kind == NotificationKind::CartReminder)
        .collect()
}

async fn reminder_outcome(app: &TestApp, cart_id: &str) -> CartReminderOutcome {
    let handle =
        app.temporal
            .get_workflow_handle::<CartReminderWorkflow>(cart_reminder_workflow_id(
                cart_id.parse().expect("a cart id"),
            ));
    tokio::time::timeout(
        Duration::from_secs(30),
        handle.get_result(temporalio_client::WorkflowGetResultOptions::default()),
    )
    .await
    .expect("the reminder workflow closes")
    .expect("the reminder workflow succeeds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_changing_and_removing_items_answers_with_the_line_and_the_cart_totals() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    app.stock_product(MILK, 6_000, 5).await;
    let customer = app.customer("Asha").await;

    let added = add(&app, &customer, APPLE, 2).await;
    assert_eq!(added.status, 200, "{:#}", added.body);
    let cart_id = added.body["cart_id"].as_str().expect("cart id").to_owned();
    assert_eq!(added.body["total_items"], 2);
    assert_eq!(added.body["total_price"], money(36_000));
    assert_eq!(
        added.body["item"],
        json!({"sku": APPLE, "name": format!("Product {APPLE}"), "unit_price": money(18_000),
               "quantity": 2, "subtotal": money(36_000)})
    );

    // Adding a SKU already in the cart grows its line.
    let more = add(&app, &customer, APPLE, 1).await;
    assert_eq!(more.body["item"]["quantity"], 3, "{:#}", more.body);
    assert_eq!(more.body["item"]["subtotal"], money(54_000));

    let milk = add(&app, &customer, MILK, 1).await;
    assert_eq!(milk.body["cart_id"], cart_id.as_str());
    assert_eq!(milk.body["total_items"], 4);
    assert_eq!(milk.body["total_price"], money(60_000));

    let changed = set_quantity(&app, &customer, MILK, 3).await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    assert_eq!(changed.body["item"]["quantity"], 3);
    assert_eq!(changed.body["item"]["subtotal"], money(18_000));
    assert_eq!(changed.body["total_items"], 6);
    assert_eq!(changed.body["total_price"], money(72_000));

    let removed = delete(&app, &customer, &format!("/v1/cart/items/{APPLE}")).await;
    assert_eq!(removed.status, 200, "{:#}", removed.body);
    assert_eq!(removed.body["message"], "Item removed successfully.");
    assert_eq!(removed.body["total_items"], 3);
    assert_eq!(removed.body["total_price"], money(18_000));
    assert!(removed.body.get("item").is_none(), "{:#}", removed.body);

    let viewed = cart(&app, &customer).await;
    assert_eq!(viewed["cart_id"], cart_id.as_str());
    assert_eq!(viewed["status"], "active");
    assert_eq!(viewed["total_items"], 3);
    assert_eq!(viewed["total_price"], money(18_000));
    let skus: Vec<_> = viewed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["sku"].clone())
        .collect();
    assert_eq!(skus, [json!(MILK)]);

    let emptied = delete(&app, &customer, "/v1/cart").await;
    assert_eq!(emptied.status, 200, "{:#}", emptied.body);
    assert_eq!(emptied.body["cart_id"], cart_id.as_str());
    assert_eq!(emptied.body["total_items"], 0);
    assert_eq!(emptied.body["total_price"], money(0));
    assert_eq!(cart(&app, &customer).await["items"], json!([]));

    // Another customer's cart is their own.
    let other = app.customer("Ravi").await;
    let theirs = cart(&app, &other).await;
    assert_ne!(theirs["cart_id"], cart_id.as_str());
    assert_eq!(theirs["items"], json!([]));
}

async fn add_with_key(app: &TestApp, token: &str, key: &str, sku: &str, quantity: i64) -> Answer {
    let request = app
        .http
        .post(app.url("/v1/cart/items"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"sku": sku, "quantity": quantity}));
    send(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_an_add_with_its_idempotency_key_adds_the_item_once() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    app.stock_product(MILK, 6_000, 5).await;
    let customer = app.customer("Asha").await;

    let first = add_with_key(&app, &customer, "add-apple-1", APPLE, 2).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    assert_eq!(first.body["item"]["quantity"], 2);

    // The answer was lost and the client retries: nothing more is added,
    // and the answer is the cart as it is.
    let retried = add_with_key(&app, &customer, "add-apple-1", APPLE, 2).await;
    assert_eq!(retried.status, 200, "{:#}", retried.body);
    assert_eq!(retried.body["cart_id"], first.body["cart_id"]);
    assert_eq!(retried.body["item"]["quantity"], 2);
    assert_eq!(retried.body["total_items"], 2);

    // A new key is a new add.
    let again = add_with_key(&app, &customer, "add-apple-2", APPLE, 2).await;
    assert_eq!(again.body["item"]["quantity"], 4, "{:#}", again.body);

    // The same key with another body is the client's mistake.
    let reused = add_with_key(&app, &customer, "add-apple-1", MILK, 1).await;
    reused.assert_problem(422);
    assert_eq!(cart(&app, &customer).await["total_items"], 4);

    // A refused add does not use up its key: once stock allows, the same
    // key adds the item.
    let refused = add_with_key(&app, &customer, "add-milk", MILK, 9).await;
    refused.assert_problem(409);
    app.stock_product(MILK, 6_000, 20).await;
    let later = add_with_key(&app, &customer, "add-milk", MILK, 9).await;
    assert_eq!(later.status, 200, "{:#}", later.body);
    assert_eq!(later.body["item"]["quantity"], 9);

    // Keys are per account: another shopper's identical key is theirs.
    let other = app.customer("Ravi").await;
    let theirs = add_with_key(&app, &other, "add-apple-1", APPLE, 1).await;
    assert_eq!(theirs.status, 200, "{:#}", theirs.body);
    assert_eq!(theirs.body["item"]["quantity"], 1);
    assert_ne!(theirs.body["cart_id"], first.body["cart_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_more_than_is_available_is_a_409_naming_the_sku_and_what_is_available() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 3).await;
    let customer = app.customer("Asha").await;
    assert_eq!(add(&app, &customer, APPLE, 2).await.status, 200);

    let refused = add(&app, &customer, APPLE, 2).await;
    refused.assert_complete_problem(409);
    assert_eq!(refused.body["sku"], APPLE);
    assert_eq!(refused.body["available"], 3);
    assert_eq!(refused.body["requested"], 4);
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(APPLE)),
        "{:#}",
        refused.body
    );
    assert_eq!(cart(&app, &customer).await["items"][0]["quantity"], 2);

    // Stock held by someone else's order is not available.
    let other = app.customer("Ravi").await;
    let order = app
        .place(
            &other,
            &delivery_order(json!([{"sku": APPLE, "quantity": 2}]), card(CARD_APPROVED)),
        )
        .await;
    assert_eq!(order.status, 201, "{:#}", order.body);
    let refused = set_quantity(&app, &customer, APPLE, 2).await;
    refused.assert_problem(409);
    assert_eq!(refused.body["sku"], APPLE);
    assert_eq!(refused.body["available"], 1);
    assert_eq!(cart(&app, &customer).await["items"][0]["quantity"], 2);
    assert_eq!(set_quantity(&app, &customer, APPLE, 1).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_cart_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 2000).await;
    let customer = app.customer("Asha").await;
    assert_eq!(add(&app, &customer, APPLE, 999).await.status, 200);
    let before = cart(&app, &customer).await;

    let unknown = add(&app, &customer, "NO-SUCH-SKU", 1).await;
    unknown.assert_problem(422);
    assert_eq!(unknown.fields(), ["sku"]);
    for quantity in [0, -1, 1001] {
        let refused = add(&app, &customer, APPLE, quantity).await;
        refused.assert_problem(422);
        assert_eq!(refused.fields(), ["quantity"], "{quantity}");
    }
    let past_the_limit = add(&app, &customer, APPLE, 2).await;
    past_the_limit.assert_problem(422);
    assert_eq!(past_the_limit.fields(), ["quantity"]);
    let zero = set_quantity(&app, &customer, APPLE, 0).await;
    zero.assert_problem(422);
    assert_eq!(zero.fields(), ["quantity"]);
    let missing = add_raw_without_quantity(&app, &customer).await;
    missing.assert_problem(422);
    assert_eq!(missing.fields(), ["quantity"]);

    set_quantity(&app, &customer, MILK, 1)
        .await
        .assert_problem(404);
    delete(&app, &customer, &format!("/v1/cart/items/{MILK}"))
        .await
        .assert_problem(404);
    app.get("/v1/cart", None).await.assert_problem(401);

    assert_eq!(cart(&app, &customer).await, before);
}

async fn add_raw_without_quantity(app: &TestApp, token: &str) -> Answer {
    app.post("/v1/cart/items", Some(token), &json!({"sku": APPLE}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_survives_logout_and_follows_the_user_to_a_new_session() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    let email = format!("asha-{}@example.test", uuid::Uuid::now_v7().simple());
    let credentials = json!({"email": email, "password": "correct horse battery"});
    let registered = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": email, "password": "correct horse battery", "name": "Asha"}),
        )
        .await;
    assert_eq!(registered.status, 201, "{:#}", registered.body);
    let token = registered.body["access_token"].as_str().expect("token");
    let added = add(&app, token, APPLE, 2).await;
    assert_eq!(added.status, 200, "{:#}", added.body);

    let logout = app
        .post(
            "/v1/auth/logout",
            None,
            &json!({"refresh_token": registered.body["refresh_token"]}),
        )
        .await;
    assert_eq!(logout.status, 204, "{:#}", logout.body);

    let login = app.post("/v1/auth/login", None, &credentials).await;
    assert_eq!(login.status, 200, "{:#}", login.body);
    let again = login.body["access_token"].as_str().expect("token");
    assert_ne!(again, token);
    let viewed = cart(&app, again).await;
    assert_eq!(viewed["cart_id"], added.body["cart_id"]);
    assert_eq!(viewed["items"][0]["sku"], APPLE);
    assert_eq!(viewed["items"][0]["quantity"], 2);
}

fn short_reminders() -> TestOptions {
    TestOptions {
        cart_reminder: Duration::from_secs(2),
        ..TestOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_left_untouched_gets_exactly_one_reminder() {
    let app = spawn_app_with(short_reminders()).await;
    app.stock_product(APPLE, 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let user = app.account_id(&customer).await;
    let added = add(&app, &customer, APPLE, 2).await;
    let cart_id = added.body["cart_id"].as_str().expect("cart id").to_owned();
    let touched = Instant::now();
    // A second change restarts the untouched period.
    tokio::time::sleep(Duration::from_secs(1)).await;
    add(&app, &customer, APPLE, 1).await;
    let last_touch = Instant::now();
    assert!(reminders(&app, user).await.is_empty());

    assert_eq!(
        reminder_outcome(&app, &cart_id).await,
        CartReminderOutcome::Reminded
    );
    assert!(
        last_touch.elapsed() >= Duration::from_secs(2),
        "reminded {:?} after the last change",
        last_touch.elapsed()
    );
    assert!(touched.elapsed() >= Duration::from_secs(3));
    let sent = reminders(&app, user).await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(sent[0].subject.contains("3 items"), "{}", sent[0].subject);
    assert!(sent[0].body.contains(APPLE), "{}", sent[0].body);
    assert!(sent[0].order_id.is_none());
    let stored = app
        .store
        .carts()
        .cart(cart_id.parse().expect("cart id"))
        .await
        .expect("reading the cart")
        .expect("the cart");
    assert!(stored.reminder_sent);

    // Nothing more comes while the cart stays untouched.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(reminders(&app, user).await.len(), 1);
    let inbox = app.wait_for_inbox(&customer, 1).await;
    assert_eq!(inbox[0]["kind"], "cart_reminder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_out_or_emptying_the_cart_cancels_its_reminder() {
    let app = spawn_app_with(short_reminders()).await;
    app.stock_product(APPLE, 18_000, 10).await;
    let buyer = app.customer("Asha").await;
    let quitter = app.customer("Ravi").await;

    let bought = add(&app, &buyer, APPLE, 1).await;
    let abandoned = add(&app, &quitter, APPLE, 1).await;
    let placed = checkout(
        &app,
        &buyer,
        "cancel-1",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(delete(&app, &quitter, "/v1/cart").await.status, 200);

    for (answer, token) in [(&bought, &buyer), (&abandoned, &quitter)] {
        let cart_id = answer.body["cart_id"].as_str().expect("cart id");
        assert_eq!(
            reminder_outcome(&app, cart_id).await,
            CartReminderOutcome::Cancelled
        );
        let user = app.account_id(token).await;
        assert!(reminders(&app, user).await.is_empty());
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for token in [&buyer, &quitter] {
        let user = app.account_id(token).await;
        assert!(reminders(&app, user).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_out_places_the_cart_as_an_order_through_the_order_workflow_and_closes_the_cart() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    app.stock_product(MILK, 6_000, 5).await;
    let customer = app.customer("Asha").await;
    add(&app, &customer, APPLE, 2).await;
    let added = add(&app, &customer, MILK, 1).await;
    let cart_id = added.body["cart_id"].clone();

    let placed = checkout(
        &app,
        &customer,
        "checkout-1",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().expect("order id").to_owned();
    assert_eq!(placed.body["total"], money(42_000));
    let lines: Vec<_> = placed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|line| (line["sku"].clone(), line["quantity"].clone()))
        .collect();
    assert_eq!(lines, [(json!(APPLE), json!(2)), (json!(MILK), json!(1))]);
    assert_eq!(
        placed.body["fulfillment"]["address"]["city"], "Pune",
        "{:#}",
        placed.body
    );
    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["method"], "card");
    assert_eq!(app.stock_levels(APPLE).await, (10, 2));
    assert_eq!(app.stock_levels(MILK).await, (5, 1));

    let closed = app
        .store
        .carts()
        .cart(cart_id.as_str().expect("cart id").parse().expect("cart id"))
        .await
        .expect("reading the cart")
        .expect("the cart");
    assert_eq!(closed.status, orderly_domain::CartStatus::CheckedOut);
    let next = cart(&app, &customer).await;
    assert_ne!(next["cart_id"], cart_id);
    assert_eq!(next["items"], json!([]));
    assert_eq!(next["total_items"], 0);

    let empty = checkout(
        &app,
        &customer,
        "checkout-2",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    empty.assert_complete_problem(409);
    assert!(
        empty.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("empty")),
        "{:#}",
        empty.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_changed_since_adding_stops_checkout_with_the_new_prices_and_the_next_checkout_pays_them()
 {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    app.stock_product(MILK, 6_000, 5).await;
    let customer = app.customer("Asha").await;
    add(&app, &customer, APPLE, 2).await;
    add(&app, &customer, MILK, 1).await;
    app.stock_product(APPLE, 20_000, 10).await;
    let before = app.footprint(&[APPLE, MILK], &[&customer]).await;

    let refused = checkout(
        &app,
        &customer,
        "price-1",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    refused.assert_complete_problem(409);
    assert_eq!(
        refused.body["type"],
        "https://orderly.dev/problems/price-changed"
    );
    assert_eq!(
        refused.body["changes"],
        json!([{"sku": APPLE, "was": money(18_000), "now": money(20_000)}])
    );
    assert_eq!(app.footprint(&[APPLE, MILK], &[&customer]).await, before);
    let repriced = cart(&app, &customer).await;
    assert_eq!(repriced["items"][0]["unit_price"], money(20_000));
    assert_eq!(repriced["total_price"], money(46_000));

    // The key of a refused checkout is free again.
    let placed = checkout(
        &app,
        &customer,
        "price-1",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(placed.body["total"], money(46_000));
    assert_eq!(placed.body["items"][0]["unit_price"], money(20_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_a_checkout_with_its_idempotency_key_returns_the_same_order_and_places_one() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    let customer = app.customer("Asha").await;
    add(&app, &customer, APPLE, 3).await;
    let body = home_delivery(card(CARD_APPROVED));

    let first = checkout(&app, &customer, "once", &body).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let id = first.body["id"].as_str().expect("order id").to_owned();
    // The retry finds the cart closed, yet answers with the order.
    let retried = checkout(&app, &customer, "once", &body).await;
    assert!(
        retried.status == 200 || retried.status == 201,
        "{:#}",
        retried.body
    );
    assert_eq!(retried.body["id"], id.as_str());

    let other_body = home_delivery(json!({"method": "cod"}));
    checkout(&app, &customer, "once", &other_body)
        .await
        .assert_problem(422);

    let footprint = app.footprint(&[APPLE], &[&customer]).await;
    assert_eq!(footprint.order_ids, [id.as_str()]);
    assert_eq!(footprint.stock, [(APPLE.to_owned(), 10, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_delivers_to_a_saved_address_of_the_caller_only() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let saved = app
        .post(
            "/v1/me/addresses",
            Some(&customer),
            &json!({"label": "Home", "name": "Asha Rao", "line1": "7 Park Street",
                    "city": "Kolkata", "postal_code": "700016", "country": "IN"}),
        )
        .await;
    assert_eq!(saved.status, 201, "{:#}", saved.body);
    add(&app, &customer, APPLE, 1).await;

    let stranger = app.customer("Ravi").await;
    add(&app, &stranger, APPLE, 1).await;
    let not_theirs = checkout(
        &app,
        &stranger,
        "saved-1",
        &json!({"fulfillment": "delivery", "address_id": saved.body["id"],
                "payment": card(CARD_APPROVED)}),
    )
    .await;
    not_theirs.assert_problem(422);
    assert_eq!(not_theirs.fields(), ["address_id"]);

    let no_address = checkout(
        &app,
        &customer,
        "saved-2",
        &json!({"fulfillment": "delivery", "payment": card(CARD_APPROVED)}),
    )
    .await;
    no_address.assert_problem(422);
    assert_eq!(no_address.fields(), ["address"]);
    let bad_address = checkout(
        &app,
        &customer,
        "saved-3",
        &json!({"fulfillment": "delivery", "payment": card(CARD_APPROVED),
                "address": {"name": "Asha", "line1": "", "city": "Pune",
                            "postal_code": "411001", "country": "India"}}),
    )
    .await;
    bad_address.assert_problem(422);
    assert_eq!(bad_address.fields(), ["address.line1", "address.country"]);

    let placed = checkout(
        &app,
        &customer,
        "saved-4",
        &json!({"fulfillment": "delivery", "address_id": saved.body["id"],
                "payment": card(CARD_APPROVED)}),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(placed.body["fulfillment"]["address"]["city"], "Kolkata");
    assert_eq!(
        placed.body["fulfillment"]["address"]["line1"],
        "7 Park Street"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_to_one_cart_are_all_counted() {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 100).await;
    let customer = app.customer("Asha").await;

    let answers = futures::future::join_all((0..20).map(|_| add(&app, &customer, APPLE, 1))).await;

    for answer in &answers {
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    let viewed = cart(&app, &customer).await;
    assert_eq!(viewed["items"][0]["quantity"], 20);
    assert_eq!(viewed["total_price"], money(360_000));
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|a| a.body["cart_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "one active cart per user: {ids:?}");
}

/// The card charges of one customer's orders, as the ledger recorded them.
async fn captures_of(app: &TestApp, token: &str) -> (usize, usize) {
    let orders = app.get("/v1/orders", Some(token)).await;
    assert_eq!(orders.status, 200, "{:#}", orders.body);
    let items = orders.body["items"].as_array().expect("orders").clone();
    let mut captures = 0;
    for order in &items {
        let id = order["id"].as_str().expect("an order id");
        captures += app
            .ledger(id)
            .await
            .iter()
            .filter(|entry| entry.kind == orderly_domain::LedgerKind::Capture)
            .count();
    }
    (items.len(), captures)
}

/// A double click: both checkouts answer, but only one places the order.
async fn double_checkout(keys: [Option<&str>; 2]) {
    let app = spawn_app().await;
    app.stock_product(APPLE, 18_000, 10).await;
    let customer = app.customer("Asha").await;
    assert_eq!(add(&app, &customer, APPLE, 2).await.status, 200);
    let body = home_delivery(card(CARD_APPROVED));
    let answers = futures::future::join_all(keys.map(|key| {
        let mut request = app
            .http
            .post(app.url("/v1/checkout"))
            .bearer_auth(&customer)
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        send(request)
    }))
    .await;
    let placed: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == 200 || a.status == 201)
        .collect();
    assert!(
        !placed.is_empty(),
        "neither checkout placed the order: {answers:?}"
    );
    for answer in &answers {
        assert!(
            matches!(answer.status, 200 | 201 | 409),
            "a checkout answered {}: {:#}",
            answer.status,
            answer.body
        );
    }
    let ids: std::collections::HashSet<_> = placed.iter().map(|a| a.body["id"].clone()).collect();
    assert_eq!(ids.len(), 1, "two orders from one cart: {answers:?}");
    let id = placed[0].body["id"]
        .as_str()
        .expect("an order id")
        .to_owned();
    app.wait_for_status(&customer, &id, "paid").await;
    let (orders, captures) = captures_of(&app, &customer).await;
    assert_eq!((orders, captures), (1, 1), "one order, charged once");
    assert_eq!(app.stock_levels(APPLE).await, (10, 2), "reserved once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_double_clicked_checkout_without_a_key_places_one_order_and_charges_once() {
    double_checkout([None, None]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_checkouts_of_one_cart_with_different_keys_place_one_order_and_charge_once() {
    double_checkout([Some("tab-1"), Some("tab-2")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn items_added_while_a_checkout_holds_the_cart_are_refused_not_dropped() {
    let mut app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(2),
        ..TestOptions::default()
    })
    .await;
    app.stock_product(APPLE, 18_000, 10).await;
    app.stock_product(MILK, 6_000, 10).await;
    let customer = app.customer("Asha").await;
    assert_eq!(add(&app, &customer, APPLE, 2).await.status, 200);
    let body = home_delivery(card(CARD_APPROVED));

    // No worker: the checkout cannot learn whether its order was placed.
    let stuck = checkout(&app, &customer, "checkout-1", &body).await;
    assert_eq!(stuck.status, 503, "{:#}", stuck.body);
    let refused = add(&app, &customer, MILK, 1).await;
    assert_eq!(refused.status, 409, "{:#}", refused.body);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("checkout of this cart is in progress"),
        "{:#}",
        refused.body
    );
    let other = checkout(&app, &customer, "checkout-2", &body).await;
    assert_eq!(other.status, 409, "{:#}", other.body);

    app.start_worker();
    let placed = checkout(&app, &customer, "checkout-1", &body).await;
    assert!(
        placed.status == 200 || placed.status == 201,
        "{:#}",
        placed.body
    );
    let lines: Vec<_> = placed.body["items"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| line["sku"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(lines, [APPLE], "the order is the cart as it was claimed");
    // The refused item can now go into the next cart.
    assert_eq!(add(&app, &customer, MILK, 1).await.status, 200);
    let id = placed.body["id"].as_str().expect("an order id").to_owned();
    app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(captures_of(&app, &customer).await, (1, 1));
}
