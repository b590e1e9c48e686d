//! Cancelling an order, by the customer through the API or by an operator
//! in Temporal: the money goes back exactly once, the stock is released,
//! and an order already with the carrier refuses and carries on.

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};
use temporalio_client::WorkflowCancelOptions;

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_store::LedgerEntry;
use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::shopper::{card, delivery_order, placed_id, upi};
use orderly_workflows::{OrderWorkflow, order_workflow_id};

const SKU: &str = "BASMATI-5KG";
/// ₹899.00 a bag; three bags per order.
const PRICE: i64 = 89_900;
const TOTAL: i64 = 3 * PRICE;
const ON_HAND: i64 = 7;

fn three_bags(payment: Value) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 3}]), payment)
}

fn entries_of(ledger: &[LedgerEntry], kind: LedgerKind) -> Vec<&LedgerEntry> {
    ledger.iter().filter(|e| e.kind == kind).collect()
}

/// A card order that has been paid; returns its id.
async fn paid_card_order(app: &TestApp, customer: &str) -> String {
    let id = placed_id(&app.place(customer, &three_bags(card(CARD_APPROVED))).await);
    app.wait_for_status(customer, &id, "paid").await;
    id
}

/// Asserts the order's capture was refunded in full, once.
async fn assert_refunded_once(app: &TestApp, id: &str) {
    let ledger = app.ledger(id).await;
    let captures = entries_of(&ledger, LedgerKind::Capture);
    let refunds = entries_of(&ledger, LedgerKind::Refund);
    assert_eq!(captures.len(), 1, "{ledger:?}");
    assert_eq!(refunds.len(), 1, "{ledger:?}");
    assert_eq!(refunds[0].amount, captures[0].amount);
    assert_eq!(refunds[0].amount.amount, TOTAL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_paid_card_order_refunds_it_and_releases_the_stock() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Ravi").await;
    let id = paid_card_order(&app, &customer).await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 3));

    let answer = app.cancel(&customer, &id).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    let order = &answer.body;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["payment"]["status"], "refunded");
    assert_eq!(order["payment"]["receipt"]["captured"]["amount"], TOTAL);
    assert_eq!(
        order["payment"]["receipt"]["refunded"],
        order["payment"]["receipt"]["captured"]
    );
    assert_refunded_once(&app, &id).await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));

    let ended = app.finished_order(&id).await;
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "cancel",
    )
    .await;
    assert_eq!(ended.status.as_str(), "cancelled");
    assert_eq!(
        app.notification_count(&id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
    let inbox = app.get("/v1/me/notifications", Some(&customer)).await;
    assert_eq!(inbox.status, 200, "{:#}", inbox.body);
    let cancelled = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "cancelled" && n["order_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no cancelled notification in {:#}", inbox.body))
        .clone();
    let body = cancelled["body"].as_str().unwrap();
    assert!(body.contains("has been refunded"), "{body}");
    assert!(body.contains("card ending 4242"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_twice_refunds_once() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Ravi").await;
    let id = paid_card_order(&app, &customer).await;

    let first = app.cancel(&customer, &id).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let second = app.cancel(&customer, &id).await;
    match second.status {
        200 => assert_eq!(second.body["status"], "cancelled"),
        409 => {
            second.assert_problem(409);
            let detail = second.body["detail"].as_str().unwrap();
            assert!(detail.contains("already cancelled"), "{detail}");
        }
        other => panic!("second cancel answered {other}: {:#}", second.body),
    }

    app.finished_order(&id).await;
    assert_refunded_once(&app, &id).await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    assert_eq!(
        app.notification_count(&id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipped_order_cannot_be_cancelled_and_is_still_delivered() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Ravi").await;
    let admin = app.admin().await;
    let id = paid_card_order(&app, &customer).await;
    let packed = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&admin), &json!({}))
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let shipped = app.wait_for_status(&customer, &id, "shipped").await;
    let tracking = shipped["shipment"]["tracking_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = app.cancel(&customer, &id).await;
    refused.assert_problem(409);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("shipped"), "{detail}");

    for (n, status) in ["in_transit", "out_for_delivery", "delivered"]
        .into_iter()
        .enumerate()
    {
        let answer = app
            .carrier_event(&tracking, &format!("late-{n}"), status)
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    let delivered = app.wait_for_status(&customer, &id, "delivered").await;
    assert!(
        delivered["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] != "cancelled"),
        "{:#}",
        delivered["timeline"]
    );
    assert_eq!(delivered["payment"]["status"], "captured");
    let ledger = app.ledger(&id).await;
    assert!(
        entries_of(&ledger, LedgerKind::Refund).is_empty(),
        "{ledger:?}"
    );
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_order_awaiting_upi_payment_takes_no_money_and_releases_the_stock() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Ravi").await;
    let id = placed_id(&app.place(&customer, &three_bags(upi("pending@upi"))).await);
    app.wait_for_status(&customer, &id, "awaiting_payment")
        .await;

    let answer = app.cancel(&customer, &id).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body["status"], "cancelled");
    assert_eq!(answer.body["payment"]["receipt"]["captured"]["amount"], 0);
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    app.finished_order(&id).await;

    // The customer approving the collect request afterwards changes nothing.
    let late = app
        .payment_event(&id, "evt-after-cancel", "succeeded")
        .await;
    assert_eq!(late.status, 200, "{:#}", late.body);
    let ledger = app.ledger(&id).await;
    assert!(
        entries_of(&ledger, LedgerKind::Capture).is_empty(),
        "{ledger:?}"
    );
    let order = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_eq!(order.body["status"], "cancelled");
    assert_eq!(
        app.notification_count(&id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_cancelling_the_workflow_still_refunds_and_restocks() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Ravi").await;
    let id = paid_card_order(&app, &customer).await;

    let handle = app
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(id.parse().unwrap()));
    handle
        .cancel(WorkflowCancelOptions::default())
        .await
        .expect("cancelling the workflow in Temporal");

    let cancelled = app.wait_for_status(&customer, &id, "cancelled").await;
    assert_eq!(cancelled["payment"]["status"], "refunded");
    assert_eq!(cancelled["payment"]["receipt"]["refunded"]["amount"], TOTAL);
    let ended = app.finished_order(&id).await;
    assert_eq!(ended.status.as_str(), "cancelled");
    assert_refunded_once(&app, &id).await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    assert_eq!(
        app.notification_count(&id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
}
