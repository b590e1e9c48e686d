//! Orders collected at the store: the warehouse steps that lead to the
//! counter, and the order that is never collected.

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::json;

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_tests::app::{TestApp, TestOptions, fast_timings, spawn_app, spawn_app_with};
use orderly_tests::shopper::{card, pickup_order, placed_id};
use orderly_workflows::OrderTimings;

const SKU: &str = "PANEER-200G";
/// ₹95.00 a pack; four packs per order.
const PRICE: i64 = 9_500;
const TOTAL: i64 = 4 * PRICE;
const ON_HAND: i64 = 12;

/// A paid pickup order; returns its id.
async fn paid_pickup_order(app: &TestApp, customer: &str) -> String {
    let order = pickup_order(json!([{"sku": SKU, "quantity": 4}]), card(CARD_APPROVED));
    let id = placed_id(&app.place(customer, &order).await);
    let paid = app.wait_for_status(customer, &id, "paid").await;
    assert_eq!(paid["fulfillment"]["type"], "pickup");
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], TOTAL);
    id
}

/// Runs a warehouse step as the admin and returns the order it answers.
async fn step(app: &TestApp, admin: &str, id: &str, step: &str) -> serde_json::Value {
    let answer = app
        .post(&format!("/v1/orders/{id}/{step}"), Some(admin), &json!({}))
        .await;
    assert_eq!(answer.status, 200, "{step}: {:#}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickup_order_is_packed_readied_and_collected() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Meera").await;
    let admin = app.admin().await;
    let id = paid_pickup_order(&app, &customer).await;

    assert_eq!(step(&app, &admin, &id, "pack").await["status"], "packed");
    let ready = step(&app, &admin, &id, "ready-for-pickup").await;
    assert_eq!(ready["status"], "ready_for_pickup");
    assert!(
        ready["shipment"].is_null(),
        "a pickup order is never shipped"
    );
    // Still only held: the stock leaves the shelf when it is collected.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 4));

    let collected = step(&app, &admin, &id, "picked-up").await;
    assert_eq!(collected["status"], "picked_up");

    let ended = app.finished_order(&id).await;
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "pickup",
    )
    .await;
    assert_eq!(ended.status.as_str(), "picked_up");
    let statuses: Vec<&str> = ended.timeline.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["placed", "paid", "packed", "ready_for_pickup", "picked_up"]
    );
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 4, 0));
    assert_eq!(
        app.notification_count(&id, NotificationKind::ReadyForPickup, "in_app")
            .await,
        1
    );
    let kinds: Vec<LedgerKind> = app.ledger(&id).await.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [LedgerKind::Capture]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickup_order_not_collected_in_time_is_cancelled_refunded_and_restocked() {
    let app = spawn_app_with(TestOptions {
        timings: OrderTimings {
            pickup_window_secs: 2,
            ..fast_timings()
        },
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Meera").await;
    let admin = app.admin().await;
    let id = paid_pickup_order(&app, &customer).await;
    step(&app, &admin, &id, "pack").await;
    step(&app, &admin, &id, "ready-for-pickup").await;

    let cancelled = app.wait_for_status(&customer, &id, "cancelled").await;
    assert_eq!(cancelled["payment"]["status"], "refunded");
    assert_eq!(cancelled["payment"]["receipt"]["refunded"]["amount"], TOTAL);
    let last = cancelled["timeline"].as_array().unwrap().last().unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(last.contains("not collected"), "{last}");

    app.finished_order(&id).await;
    let ledger = app.ledger(&id).await;
    let kinds: Vec<LedgerKind> = ledger.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [LedgerKind::Capture, LedgerKind::Refund],
        "{ledger:?}"
    );
    assert_eq!(ledger[1].amount, ledger[0].amount);
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    assert_eq!(
        app.notification_count(&id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
    // Too late now: the counter cannot hand it over any more.
    let answer = app
        .post(
            &format!("/v1/orders/{id}/picked-up"),
            Some(&admin),
            &json!({}),
        )
        .await;
    answer.assert_problem(409);
}
