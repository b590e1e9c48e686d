//! Faults on the way to Temporal: with the worker down every request that
//! waits on a workflow answers 503 with `Retry-After` within the configured
//! time instead of hanging, and a retry with the same `Idempotency-Key`
//! finds the order the first attempt started instead of placing another.

use std::time::Duration;

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::json;

use orderly_tests::app::{TestOptions, spawn_app_with};
use orderly_tests::shopper::{card, delivery_order};

fn apples(quantity: u32) -> serde_json::Value {
    delivery_order(
        json!([{"sku": "APPLE-1KG", "quantity": quantity}]),
        card(CARD_APPROVED),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_worker_down_an_order_answers_503_and_its_retry_places_it_once() {
    let mut app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(2),
        ..TestOptions::default()
    })
    .await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;

    let first = app.place_with_key(&customer, "order-1", &apples(2)).await;
    assert_eq!(first.status, 503, "{:#}", first.body);
    assert_eq!(
        first.body["type"],
        "https://orderly.dev/problems/service-unavailable"
    );
    let again = app.place_with_key(&customer, "order-1", &apples(2)).await;
    assert_eq!(again.status, 503, "still no worker: {:#}", again.body);

    app.start_worker();
    let placed = app.place_with_key(&customer, "order-1", &apples(2)).await;
    assert!(
        placed.status == 200 || placed.status == 201,
        "{:#}",
        placed.body
    );
    let id = placed.body["id"].as_str().expect("an order id").to_owned();
    let replayed = app.place_with_key(&customer, "order-1", &apples(2)).await;
    assert_eq!(replayed.body["id"], id.as_str());
    app.wait_for_status(&customer, &id, "paid").await;

    let orders = app.get("/v1/orders", Some(&customer)).await;
    assert_eq!(orders.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 2));
    let captures = app
        .ledger(&id)
        .await
        .into_iter()
        .filter(|entry| entry.kind == orderly_domain::LedgerKind::Capture)
        .count();
    assert_eq!(captures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_worker_pack_and_cancel_answer_503_with_retry_after_instead_of_hanging() {
    let mut app = spawn_app_with(TestOptions {
        temporal_timeout: Duration::from_secs(2),
        ..TestOptions::default()
    })
    .await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let placed = app.place_with_key(&customer, "order-1", &apples(1)).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().expect("an order id").to_owned();
    app.wait_for_status(&customer, &id, "paid").await;

    app.stop_worker();
    let response = app
        .http
        .post(app.url(&format!("/v1/orders/{id}/pack")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("the request");
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let cancel = app.cancel(&customer, &id).await;
    assert_eq!(cancel.status, 503, "{:#}", cancel.body);
    // Reads never wait on Temporal.
    let read = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_eq!(read.status, 200, "{:#}", read.body);
}
