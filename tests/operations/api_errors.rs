//! The API's refusals that are not about an order's content: bodies that are
//! not JSON, too big or mislabelled, requests without valid credentials, and
//! hostile input. Each is an `application/problem+json` answer that writes
//! nothing, and no input at all makes the server answer 500.

use orderly_providers::sandbox_values::CARD_APPROVED;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use orderly_domain::Role;
use orderly_tests::app::{JWT_SECRET, TestApp, spawn_app};
use orderly_tests::shopper::{Answer, card, delivery_order, pickup_order, placed_id, upi};

fn apples() -> Value {
    delivery_order(
        json!([{"sku": "APPLE-1KG", "quantity": 1}]),
        card(CARD_APPROVED),
    )
}

async fn post_order_bytes(
    app: &TestApp,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Answer {
    app.post_raw("/v1/orders", token, content_type, body.to_vec(), &[])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_a_400_problem_naming_the_position() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;

    let truncated = post_order_bytes(
        &app,
        Some(&customer),
        "application/json",
        br#"{"items": [}"#,
    )
    .await;
    truncated.assert_complete_problem(400);
    assert_eq!(
        truncated.body["type"],
        "https://orderly.dev/problems/bad-request"
    );
    let detail = truncated.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("line 1 column"), "{detail}");

    let mut trailing = serde_json::to_vec(&apples()).expect("JSON");
    trailing.extend_from_slice(b" and more");
    post_order_bytes(&app, Some(&customer), "application/json", &trailing)
        .await
        .assert_complete_problem(400);

    for body in [&b""[..], b"   ", b"\xff\xfe{}", b"{\"items\": \"\0"] {
        let answer = post_order_bytes(&app, Some(&customer), "application/json", body).await;
        answer.assert_complete_problem(400);
    }
    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_64_kib_is_a_413_problem() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;

    // A real order padded past the limit with a long address line.
    let mut order = apples();
    order["fulfillment"]["address"]["line2"] = json!("x".repeat(70 * 1024));
    let body = serde_json::to_vec(&order).expect("JSON");
    let answer = post_order_bytes(&app, Some(&customer), "application/json", &body).await;

    answer.assert_complete_problem(413);
    assert_eq!(
        answer.body["type"],
        "https://orderly.dev/problems/payload-too-large"
    );
    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_not_declared_as_json_is_a_415_problem() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;
    let body = serde_json::to_vec(&apples()).expect("JSON");

    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let answer = post_order_bytes(&app, Some(&customer), content_type, &body).await;
        answer.assert_complete_problem(415);
        assert_eq!(
            answer.body["type"],
            "https://orderly.dev/problems/unsupported-media-type"
        );
    }
    let unlabelled = app
        .http
        .post(app.url("/v1/orders"))
        .bearer_auth(&customer)
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(unlabelled.status(), 415);
    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);

    // `application/json` with parameters is still JSON.
    let labelled = post_order_bytes(
        &app,
        Some(&customer),
        "application/json; charset=utf-8",
        &body,
    )
    .await;
    assert_eq!(labelled.status, 201, "{:#}", labelled.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placing_an_order_without_a_valid_access_token_is_a_401_problem() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let customer_id = app.account_id(&customer).await;
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;
    let body = serde_json::to_vec(&apples()).expect("JSON");

    let anonymous = post_order_bytes(&app, None, "application/json", &body).await;
    anonymous.assert_complete_problem(401);
    assert_eq!(
        anonymous.body["type"],
        "https://orderly.dev/problems/unauthorized"
    );

    let expired = orderly_api::auth::issue_access_token(
        JWT_SECRET.as_bytes(),
        customer_id,
        Role::Customer,
        uuid::Uuid::now_v7(),
        Duration::from_secs(60),
        Utc::now() - chrono::Duration::hours(2),
    )
    .expect("an expired token");
    let forged = orderly_api::auth::issue_access_token(
        b"not-the-server-secret-0123456789",
        customer_id,
        Role::Admin,
        uuid::Uuid::now_v7(),
        Duration::from_secs(900),
        Utc::now(),
    )
    .expect("a forged token");
    // The payload of one token with the signature of another.
    let admin = app.admin().await;
    let spliced = {
        let admin_parts: Vec<&str> = admin.split('.').collect();
        let customer_parts: Vec<&str> = customer.split('.').collect();
        format!(
            "{}.{}.{}",
            admin_parts[0], admin_parts[1], customer_parts[2]
        )
    };
    for token in [
        "garbage",
        "a.b.c",
        expired.as_str(),
        forged.as_str(),
        spliced.as_str(),
    ] {
        let answer = post_order_bytes(&app, Some(token), "application/json", &body).await;
        answer.assert_complete_problem(401);
    }
    let basic = app
        .http
        .post(app.url("/v1/orders"))
        .header("authorization", "Basic YXNoYTpzZWNyZXQ=")
        .json(&apples())
        .send()
        .await
        .expect("POST");
    assert_eq!(basic.status(), 401);
    assert_eq!(basic.headers()["www-authenticate"], "Bearer");

    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_orders_without_a_valid_access_token_is_a_401_problem() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;
    let order_path = format!("/v1/orders/{}", uuid::Uuid::now_v7());
    for path in [
        "/v1/orders",
        order_path.as_str(),
        "/v1/me",
        "/v1/me/notifications",
    ] {
        app.get(path, None).await.assert_complete_problem(401);
        app.get(path, Some("not-a-jwt"))
            .await
            .assert_complete_problem(401);
        let with_token = app.get(path, Some(&customer)).await;
        assert_ne!(with_token.status, 401, "{path}: {:#}", with_token.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_route_or_method_is_a_problem_too() {
    let app = spawn_app().await;
    app.get("/v1/nowhere", None)
        .await
        .assert_complete_problem(404);

    let delete = app
        .http
        .delete(app.url("/v1/orders"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(delete.status(), 405);
    assert!(delete.headers().contains_key("allow"));
    assert!(
        delete.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/problem+json")
    );
}

/// Sends `body` as an order and asserts a 4xx problem, never a 5xx.
async fn assert_refused_without_crashing(app: &TestApp, customer: &str, body: &[u8]) -> Answer {
    let answer = post_order_bytes(app, Some(customer), "application/json", body).await;
    assert!(
        (400..500).contains(&answer.status),
        "{} for {}: {:#}",
        answer.status,
        String::from_utf8_lossy(&body[..body.len().min(200)]),
        answer.body
    );
    answer.assert_complete_problem(answer.status);
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_order_bodies_are_refused_as_client_errors_and_never_crash_the_server() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;

    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for quantity in [
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(2.5),
        json!(null),
        json!(true),
        json!({"$gt": 0}),
    ] {
        let mut order = apples();
        order["items"][0]["quantity"] = quantity;
        bodies.push(serde_json::to_vec(&order).expect("JSON"));
    }
    // Integers too large for any machine type, written out by hand.
    bodies.push(
        br#"{"items":[{"sku":"APPLE-1KG","quantity":123456789012345678901234567890}],"payment":{"method":"cod"},"fulfillment":{"type":"pickup"}}"#
            .to_vec(),
    );
    for (pointer, value) in [
        ("/items", json!(null)),
        ("/payment", json!(null)),
        ("/fulfillment", json!(null)),
        ("/items/0/sku", json!(null)),
        ("/items/0/sku", json!("ÄPFEL-🍎")),
        ("/items/0/sku", json!("APPLE'; DROP TABLE orders;--")),
        ("/items/0/sku", json!("A".repeat(10_000))),
        ("/fulfillment/type", json!("teleport")),
        ("/fulfillment/address/city", json!("ক".repeat(5_000))),
        ("/payment/method", json!("CARD")),
    ] {
        let mut order = apples();
        *order.pointer_mut(pointer).expect("a member of the order") = value;
        bodies.push(serde_json::to_vec(&order).expect("JSON"));
    }
    let mut many_lines = apples();
    many_lines["items"] = (0..51)
        .map(|i| json!({"sku": format!("SKU-{i}"), "quantity": 1}))
        .collect();
    bodies.push(serde_json::to_vec(&many_lines).expect("JSON"));
    // Nesting far deeper than any parser should follow.
    let depth = 5_000;
    let mut nested = String::from(r#"{"items":"#);
    nested.push_str(&"[".repeat(depth));
    nested.push_str(&"]".repeat(depth));
    nested.push('}');
    bodies.push(nested.into_bytes());
    // Deep nesting where the parser must buffer it (a tagged payment).
    let mut buffered = String::from(
        r#"{"items":[{"sku":"APPLE-1KG","quantity":1}],"payment":{"method":"cod","x":"#,
    );
    buffered.push_str(&"[".repeat(depth));
    buffered.push_str(&"]".repeat(depth));
    buffered.push_str(r#"},"fulfillment":{"type":"pickup"}}"#);
    bodies.push(buffered.into_bytes());
    for body in [
        &b"null"[..],
        b"[]",
        b"42",
        b"\"order\"",
        b"{}",
        b"{\"items\":[]}",
    ] {
        bodies.push(body.to_vec());
    }

    for body in &bodies {
        assert_refused_without_crashing(&app, &customer, body).await;
    }

    let long_key = "k".repeat(300);
    let keyed = app.place_with_key(&customer, &long_key, &apples()).await;
    keyed.assert_complete_problem(422);
    assert_eq!(keyed.fields(), ["Idempotency-Key"]);

    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);

    // A line's unknown members are ignored, however deeply they nest; the
    // order is taken or refused, but the server does not fall over.
    let mut ignored = String::from(r#"{"items":[{"sku":"APPLE-1KG","quantity":1,"note":"#);
    ignored.push_str(&r#"{"a":"#.repeat(depth));
    ignored.push('1');
    ignored.push_str(&"}".repeat(depth));
    ignored.push_str(r#"}],"payment":{"method":"cod"},"fulfillment":{"type":"pickup"}}"#);
    let answer = post_order_bytes(
        &app,
        Some(&customer),
        "application/json",
        ignored.as_bytes(),
    )
    .await;
    assert!(answer.status < 500, "{} {:#}", answer.status, answer.body);
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_paths_and_queries_are_client_errors() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;

    for path in [
        "/v1/orders/not-an-order",
        "/v1/orders/%00",
        "/v1/orders/..%2F..%2Fetc%2Fpasswd",
        "/v1/orders/00000000-0000-0000-0000-000000000000/tracking",
        "/v1/products/%F0%9F%8D%8E",
        "/v1/orders?limit=0",
        "/v1/orders?limit=99999999999999999999",
        "/v1/orders?limit=-5",
        "/v1/orders?status=lost",
        "/v1/orders?cursor=%27%20OR%201%3D1",
        "/v1/products?limit=1000",
        "/v1/products?cursor=lower-case",
    ] {
        let answer = app.get(path, Some(&customer)).await;
        assert!(
            (400..500).contains(&answer.status),
            "{path}: {} {:#}",
            answer.status,
            answer.body
        );
        answer.assert_complete_problem(answer.status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_in_an_address_is_kept_as_sent() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let mut order = apples();
    order["fulfillment"]["address"]["name"] = json!("आशा राव 🍎");
    order["fulfillment"]["address"]["city"] = json!("पुणे");

    let placed = app.place(&customer, &order).await;

    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().expect("order id");
    let read = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_eq!(read.body["fulfillment"]["address"]["name"], "आशा राव 🍎");
    assert_eq!(read.body["fulfillment"]["address"]["city"], "पुणे");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warehouse_step_the_order_status_forbids_is_a_409_problem_that_changes_nothing() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let line = json!([{"sku": "APPLE-1KG", "quantity": 1}]);
    let unpaid = app
        .place(&customer, &delivery_order(line.clone(), upi("pending@upi")))
        .await;
    let unpaid = placed_id(&unpaid);
    let delivery = placed_id(&app.place(&customer, &apples()).await);
    let pickup = placed_id(
        &app.place(&customer, &pickup_order(line, card(CARD_APPROVED)))
            .await,
    );
    app.wait_for_status(&customer, &unpaid, "awaiting_payment")
        .await;
    app.wait_for_status(&customer, &delivery, "paid").await;
    app.wait_for_status(&customer, &pickup, "paid").await;

    for (id, step, reason) in [
        (&unpaid, "pack", "awaiting_payment"),
        (&delivery, "ready-for-pickup", "delivery"),
        (&delivery, "picked-up", "paid"),
        (&pickup, "ready-for-pickup", "paid"),
        (&pickup, "picked-up", "paid"),
    ] {
        let refused = app
            .post(&format!("/v1/orders/{id}/{step}"), Some(&admin), &json!({}))
            .await;
        refused.assert_complete_problem(409);
        let detail = refused.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(reason), "{step}: {detail}");
    }

    for (id, status) in [
        (&unpaid, "awaiting_payment"),
        (&delivery, "paid"),
        (&pickup, "paid"),
    ] {
        let order = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
        assert_eq!(order.body["status"], status, "{:#}", order.body);
    }
    // Every refused step left the stock reserved, and no money moved back.
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 3));
    assert!(app.ledger(&unpaid).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_account_and_cancel_requests_are_client_errors() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let id = placed_id(&app.place(&customer, &apples()).await);

    let long_password = "p".repeat(60_000);
    for (path, body, status) in [
        (
            "/v1/auth/register",
            json!({"email": null, "password": "x", "name": "A"}),
            422,
        ),
        (
            "/v1/auth/register",
            json!({"email": "a@example.test", "password": long_password, "name": "A"}),
            422,
        ),
        (
            "/v1/auth/register",
            json!({"email": "a@example.test", "password": "correct horse", "name": "\u{0}\u{7}"}),
            422,
        ),
        (
            "/v1/auth/login",
            json!({"email": "a@example.test", "password": long_password}),
            401,
        ),
        ("/v1/auth/login", json!([]), 422),
        ("/v1/auth/refresh", json!({"refresh_token": ""}), 401),
        ("/v1/auth/refresh", json!({"refresh_token": 5}), 422),
        ("/v1/auth/logout", json!({}), 422),
    ] {
        let answer = app.post(path, None, &body).await;
        assert_eq!(answer.status, status, "{path}: {:#}", answer.body);
        answer.assert_complete_problem(status);
    }
    assert!(
        app.store
            .accounts()
            .user_by_email("a@example.test")
            .await
            .expect("reading users")
            .is_none()
    );

    let cancel = format!("/v1/orders/{id}/cancel");
    app.post(&cancel, Some(&customer), &json!({"reason": 42}))
        .await
        .assert_complete_problem(422);
    app.post(
        &cancel,
        Some(&customer),
        &json!({"reason": "x", "refund_to": "me"}),
    )
    .await
    .assert_complete_problem(422);
    app.post_raw(
        &cancel,
        Some(&customer),
        "text/plain",
        b"please".to_vec(),
        &[],
    )
    .await
    .assert_complete_problem(415);
    app.post_raw(
        &cancel,
        Some(&customer),
        "application/json",
        b"{\"reason\":".to_vec(),
        &[],
    )
    .await
    .assert_complete_problem(400);
    let order = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_ne!(order.body["status"], "cancelled", "{:#}", order.body);

    let non_ascii_key = app.place_with_key(&customer, "clé-1", &apples()).await;
    non_ascii_key.assert_complete_problem(422);
    assert_eq!(non_ascii_key.fields(), ["Idempotency-Key"]);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 1));
}
