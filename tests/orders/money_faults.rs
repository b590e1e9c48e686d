//! Money under faults: the ledger records a movement before the provider
//! is asked, so a charge whose answer was lost, or whose ledger write kept
//! failing, is found and given back; a refund that keeps failing stops
//! after bounded rounds and alerts operators; a capture that does not
//! match the total puts the order on hold; an order of free items needs no
//! payment at all.

use std::time::Duration;

use orderly_providers::sandbox_values::{CARD_APPROVED, CARD_SHORT_CAPTURE};
use serde_json::{Value, json};

use orderly_domain::LedgerKind;
use orderly_store::LedgerStatus;
use orderly_tests::app::{TestOptions, spawn_app, spawn_app_with};
use orderly_tests::faults::PaymentFault;
use orderly_tests::histories::record_history;
use orderly_tests::shopper::{card, delivery_order, placed_id};
use orderly_workflows::order_workflow_id;

const SKU: &str = "MANGO-1KG";
const PRICE: i64 = 25_000;

fn two_mangoes(payment: Value) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 2}]), payment)
}

fn settled(ledger: &[orderly_store::LedgerEntry], kind: LedgerKind) -> Vec<i64> {
    ledger
        .iter()
        .filter(|entry| entry.kind == kind && entry.status == LedgerStatus::Settled)
        .map(|entry| entry.amount.amount)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_whose_answer_is_lost_is_found_and_refunded_when_the_payment_fails() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(PaymentFault::LoseChargeAnswers),
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Asha").await;
    let id = placed_id(
        &app.place(&customer, &two_mangoes(card(CARD_APPROVED)))
            .await,
    );

    let failed = app.wait_for_status(&customer, &id, "payment_failed").await;
    let ledger = app.ledger(&id).await;
    assert_eq!(
        settled(&ledger, LedgerKind::Capture),
        [2 * PRICE],
        "{ledger:?}"
    );
    assert_eq!(
        settled(&ledger, LedgerKind::Refund),
        [2 * PRICE],
        "{ledger:?}"
    );
    assert_eq!(
        failed["payment"]["receipt"]["refunded"]["amount"],
        2 * PRICE
    );
    assert_eq!(app.stock_levels(SKU).await, (10, 0));
    record_history(&app, &workflow_of(&id), "lost_charge_refunded").await;
}

fn workflow_of(id: &str) -> String {
    order_workflow_id(id.parse().expect("an order id"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_the_ledger_could_not_record_is_refunded_once_the_ledger_is_back() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Asha").await;
    app.break_ledger_settlements().await;
    let id = placed_id(
        &app.place(&customer, &two_mangoes(card(CARD_APPROVED)))
            .await,
    );

    // The provider took the money; the ledger only knows it is pending.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ledger = app.ledger_entries(&id).await;
        if ledger
            .iter()
            .any(|e| e.kind == LedgerKind::Capture && e.status == LedgerStatus::Pending)
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no pending charge: {ledger:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Long enough for the charge's attempts to run out (about 6 s at the
    // tests' pace); compensation then waits on the ledger.
    tokio::time::sleep(Duration::from_secs(12)).await;
    app.mend_ledger_settlements().await;

    let failed = app.wait_for_status(&customer, &id, "payment_failed").await;
    let ledger = app.ledger(&id).await;
    assert_eq!(
        settled(&ledger, LedgerKind::Capture),
        [2 * PRICE],
        "{ledger:?}"
    );
    assert_eq!(
        settled(&ledger, LedgerKind::Refund),
        [2 * PRICE],
        "{ledger:?}"
    );
    assert_eq!(
        failed["payment"]["receipt"]["refunded"]["amount"],
        2 * PRICE
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_that_keeps_failing_stops_after_its_rounds_and_alerts_operators() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(PaymentFault::FailRefunds),
        // The cancel answers once every round of the refund has run.
        temporal_timeout: Duration::from_secs(60),
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let id = placed_id(
        &app.place(&customer, &two_mangoes(card(CARD_APPROVED)))
            .await,
    );
    app.wait_for_status(&customer, &id, "paid").await;

    let cancel = app.cancel(&customer, &id).await;
    assert_eq!(cancel.status, 200, "{:#}", cancel.body);
    assert_eq!(cancel.body["status"], "cancelled");
    assert_eq!(cancel.body["payment"]["receipt"]["refunded"]["amount"], 0);

    let alerts = app.get("/v1/ops/alerts", Some(&admin)).await;
    assert_eq!(alerts.status, 200, "{:#}", alerts.body);
    let open: Vec<&Value> = alerts.body["items"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|alert| alert["order_id"] == id.as_str())
        .collect();
    assert_eq!(open.len(), 1, "{:#}", alerts.body);
    assert_eq!(open[0]["kind"], "refund_failed");
    let alert_id = open[0]["id"].as_str().expect("an alert id");

    let customer_sees = app.get("/v1/ops/alerts", Some(&customer)).await;
    assert_eq!(customer_sees.status, 403);
    let resolved = app
        .post(
            &format!("/v1/ops/alerts/{alert_id}/resolve"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(resolved.status, 200, "{:#}", resolved.body);
    assert!(resolved.body["resolved_at"].is_string());
    let after = app.get("/v1/ops/alerts", Some(&admin)).await;
    assert!(
        !after.body["items"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|alert| alert["id"] == alert_id),
        "a resolved alert is no longer open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_short_of_the_total_holds_the_order_until_an_operator_releases_it() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let id = placed_id(
        &app.place(&customer, &two_mangoes(card(CARD_SHORT_CAPTURE)))
            .await,
    );

    let held = app.wait_for_status(&customer, &id, "on_hold").await;
    assert_eq!(
        held["payment"]["receipt"]["captured"]["amount"],
        2 * PRICE - 1
    );
    app.wait_for_ops_alert(&id, "amount_mismatch", Duration::from_secs(10))
        .await;
    let pack = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&admin), &json!({}))
        .await;
    assert_eq!(
        pack.status, 409,
        "no packing while on hold: {:#}",
        pack.body
    );
    let by_customer = app
        .post(
            &format!("/v1/orders/{id}/release-hold"),
            Some(&customer),
            &json!({}),
        )
        .await;
    assert_eq!(by_customer.status, 403);

    let released = app
        .post(
            &format!("/v1/orders/{id}/release-hold"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(released.status, 200, "{:#}", released.body);
    assert_eq!(released.body["status"], "paid");
    let again = app
        .post(
            &format!("/v1/orders/{id}/release-hold"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, 409, "{:#}", again.body);

    // Released, the order goes on like any paid order.
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    app.wait_for_status(&customer, &id, "delivered").await;
    record_history(&app, &workflow_of(&id), "hold_released").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_on_hold_cancelled_by_an_operator_refunds_what_was_captured() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let id = placed_id(
        &app.place(&customer, &two_mangoes(card(CARD_SHORT_CAPTURE)))
            .await,
    );
    app.wait_for_status(&customer, &id, "on_hold").await;

    let cancelled = app.cancel(&admin, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    let ledger = app.ledger(&id).await;
    assert_eq!(settled(&ledger, LedgerKind::Refund), [2 * PRICE - 1]);
    assert_eq!(app.stock_levels(SKU).await, (10, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_of_free_items_needs_no_payment_and_is_delivered() {
    let app = spawn_app().await;
    app.stock_product("SAMPLE-SACHET", 0, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let order = delivery_order(
        json!([{"sku": "SAMPLE-SACHET", "quantity": 1}]),
        card(CARD_APPROVED),
    );
    let id = placed_id(&app.place(&customer, &order).await);
    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], 0);
    assert!(app.ledger(&id).await.is_empty(), "no money moved");
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    app.wait_for_status(&customer, &id, "delivered").await;
    record_history(&app, &workflow_of(&id), "free_order").await;
}
