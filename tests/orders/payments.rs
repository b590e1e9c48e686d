//! Taking the money: every payment method's success and failure, the UPI
//! timeout, and the signed provider webhooks that settle asynchronous
//! payments. Each test checks the money (ledger, receipt) and the stock as
//! well as the status, since a failed payment must leave nothing held.

use chrono::Utc;
use orderly_providers::sandbox_values::{CARD_DECLINED, CARD_FLAKY, VPA_FAILS, VPA_SUCCEEDS};
use serde_json::{Value, json};

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_tests::app::{PAYMENT_SECRET, TestOptions, fast_timings, spawn_app, spawn_app_with};
use orderly_tests::shopper::{card, cash_on_delivery, delivery_order, netbanking, placed_id, upi};
use orderly_workflows::OrderTimings;

const SKU: &str = "MANGO-1KG";
/// ₹250.00 a kilo; two kilos per order.
const PRICE: i64 = 25_000;
const TOTAL: i64 = 2 * PRICE;
const ON_HAND: i64 = 10;

fn two_mangoes(payment: Value) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 2}]), payment)
}

fn statuses(order: &Value) -> Vec<String> {
    order["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|e| e["status"].as_str().expect("a status").to_owned())
        .collect()
}

fn kinds(ledger: &[orderly_store::LedgerEntry]) -> Vec<LedgerKind> {
    ledger.iter().map(|e| e.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_fails_the_order_and_gives_the_stock_back() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;

    let placed = app
        .place(&customer, &two_mangoes(card(CARD_DECLINED)))
        .await;
    let id = placed_id(&placed);

    let failed = app.wait_for_status(&customer, &id, "payment_failed").await;
    assert_eq!(failed["payment"]["status"], "failed");
    assert_eq!(failed["payment"]["receipt"]["captured"]["amount"], 0);
    let reason = failed["timeline"].as_array().unwrap().last().unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("declined"), "{reason}");

    app.finished_order(&id).await;
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "payment_failed",
    )
    .await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    assert!(
        !kinds(&app.ledger(&id).await).contains(&LedgerKind::Capture),
        "a declined card captured money"
    );
    assert_eq!(
        app.notification_count(&id, NotificationKind::PaymentFailed, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_fails_transiently_is_charged_exactly_once() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;

    let id = placed_id(&app.place(&customer, &two_mangoes(card(CARD_FLAKY))).await);

    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["status"], "captured");
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], TOTAL);
    let ledger = app.ledger(&id).await;
    assert_eq!(kinds(&ledger), [LedgerKind::Capture], "{ledger:?}");
    assert_eq!(ledger[0].amount.amount, TOTAL);
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_upi_payment_awaits_the_provider_and_then_is_paid() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;

    let id = placed_id(&app.place(&customer, &two_mangoes(upi(VPA_SUCCEEDS))).await);

    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(statuses(&paid), ["placed", "awaiting_payment", "paid"]);
    assert_eq!(paid["payment"]["method"], "upi");
    assert_eq!(paid["payment"]["status"], "captured");
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], TOTAL);
    assert_eq!(kinds(&app.ledger(&id).await), [LedgerKind::Capture]);

    let admin = app.admin().await;
    let tracking = app.ship(&admin, &customer, &id).await;
    for (n, status) in ["in_transit", "out_for_delivery", "delivered"]
        .iter()
        .enumerate()
    {
        let answer = app
            .carrier_event(&tracking, &format!("upi-evt-{n}"), status)
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    app.finished_order(&id).await;
    assert_eq!(kinds(&app.ledger(&id).await), [LedgerKind::Capture]);
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "upi_success",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_upi_payment_fails_the_order_and_releases_the_stock() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;

    let id = placed_id(&app.place(&customer, &two_mangoes(upi(VPA_FAILS))).await);

    let failed = app.wait_for_status(&customer, &id, "payment_failed").await;
    assert_eq!(
        statuses(&failed),
        ["placed", "awaiting_payment", "payment_failed"]
    );
    app.finished_order(&id).await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    assert!(!kinds(&app.ledger(&id).await).contains(&LedgerKind::Capture));
    assert_eq!(
        app.notification_count(&id, NotificationKind::PaymentFailed, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_upi_payment_is_cancelled_when_the_payment_window_closes() {
    let app = spawn_app_with(TestOptions {
        timings: OrderTimings {
            payment_timeout_secs: 2,
            ..fast_timings()
        },
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;

    let id = placed_id(&app.place(&customer, &two_mangoes(upi("pending@upi"))).await);

    let cancelled = app.wait_for_status(&customer, &id, "cancelled").await;
    assert_eq!(
        statuses(&cancelled),
        ["placed", "awaiting_payment", "cancelled"]
    );
    assert_eq!(cancelled["payment"]["receipt"]["captured"]["amount"], 0);
    app.finished_order(&id).await;
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "upi_timeout",
    )
    .await;
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 0));
    assert!(!kinds(&app.ledger(&id).await).contains(&LedgerKind::Capture));
    assert_eq!(
        app.notification_count(&id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netbanking_payments_follow_the_banks_answer() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;

    let approved = placed_id(
        &app.place(&customer, &two_mangoes(netbanking("SUCCESS")))
            .await,
    );
    let refused = placed_id(&app.place(&customer, &two_mangoes(netbanking("FAIL"))).await);

    let paid = app.wait_for_status(&customer, &approved, "paid").await;
    assert_eq!(statuses(&paid), ["placed", "awaiting_payment", "paid"]);
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], TOTAL);
    assert_eq!(kinds(&app.ledger(&approved).await), [LedgerKind::Capture]);

    let failed = app
        .wait_for_status(&customer, &refused, "payment_failed")
        .await;
    assert_eq!(failed["payment"]["receipt"]["captured"]["amount"], 0);
    app.finished_order(&refused).await;
    assert!(!kinds(&app.ledger(&refused).await).contains(&LedgerKind::Capture));
    // Only the paid order still holds its two kilos.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_provider_webhook_confirms_a_pending_upi_payment() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;
    let id = placed_id(&app.place(&customer, &two_mangoes(upi("pending@upi"))).await);
    app.wait_for_status(&customer, &id, "awaiting_payment")
        .await;

    let answer = app
        .payment_event(&id, "evt-upi-confirmed", "succeeded")
        .await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body["status"], "accepted");

    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["status"], "captured");
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], TOTAL);
    assert_eq!(kinds(&app.ledger(&id).await), [LedgerKind::Capture]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_event_delivered_twice_captures_the_money_once() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;
    let id = placed_id(&app.place(&customer, &two_mangoes(upi("pending@upi"))).await);
    app.wait_for_status(&customer, &id, "awaiting_payment")
        .await;

    for _ in 0..2 {
        let answer = app.payment_event(&id, "evt-upi-twice", "succeeded").await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    app.wait_for_status(&customer, &id, "paid").await;
    // A provider resending after the order moved on is still acknowledged.
    let late = app.payment_event(&id, "evt-upi-twice", "succeeded").await;
    assert_eq!(late.status, 200, "{:#}", late.body);

    let ledger = app.ledger(&id).await;
    assert_eq!(kinds(&ledger), [LedgerKind::Capture], "{ledger:?}");
    let order = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_eq!(
        order.body["payment"]["receipt"]["captured"]["amount"],
        TOTAL
    );
    assert_eq!(
        order.body["payment"]["receipt"]["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_webhooks_without_a_valid_fresh_signature_are_refused() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;
    let id = placed_id(&app.place(&customer, &two_mangoes(upi("pending@upi"))).await);
    app.wait_for_status(&customer, &id, "awaiting_payment")
        .await;
    let path = "/v1/webhooks/payments/sandbox";
    let body = json!({"event_id": "evt-forged", "order_id": id, "status": "succeeded"});
    let now = Utc::now().timestamp();

    app.signed_webhook(path, "not-the-secret", &body, now)
        .await
        .assert_problem(401);
    let six_minutes_ago = now - 6 * 60;
    app.signed_webhook(path, PAYMENT_SECRET, &body, six_minutes_ago)
        .await
        .assert_problem(401);
    let raw = serde_json::to_vec(&body).unwrap();
    app.post_raw(path, None, "application/json", raw, &[])
        .await
        .assert_problem(401);

    // None of them reached the order: it still waits, and nothing was taken.
    let order = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_eq!(order.body["status"], "awaiting_payment");
    assert!(app.ledger(&id).await.is_empty());

    // The same event, properly signed, is accepted.
    let genuine = app.signed_webhook(path, PAYMENT_SECRET, &body, now).await;
    assert_eq!(genuine.status, 200, "{:#}", genuine.body);
    app.wait_for_status(&customer, &id, "paid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_webhook_for_an_unknown_order_is_not_found() {
    let app = spawn_app().await;
    let unknown = orderly_domain::OrderId::new().to_string();

    app.payment_event(&unknown, "evt-nobody", "succeeded")
        .await
        .assert_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_on_delivery_is_authorized_at_placement_and_captured_on_delivery() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;

    let id = placed_id(&app.place(&customer, &two_mangoes(cash_on_delivery())).await);
    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["status"], "authorized");
    assert_eq!(paid["payment"]["receipt"]["authorized"]["amount"], TOTAL);
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], 0);
    assert_eq!(kinds(&app.ledger(&id).await), [LedgerKind::Authorize]);

    let packed = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&admin), &json!({}))
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let shipped = app.wait_for_status(&customer, &id, "shipped").await;
    let tracking = shipped["shipment"]["tracking_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        kinds(&app.ledger(&id).await),
        [LedgerKind::Authorize],
        "cash is collected only at the door"
    );

    for (n, status) in ["in_transit", "out_for_delivery", "delivered"]
        .into_iter()
        .enumerate()
    {
        let answer = app
            .carrier_event(&tracking, &format!("cod-{n}"), status)
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    let delivered = app.wait_for_status(&customer, &id, "delivered").await;
    assert_eq!(delivered["payment"]["status"], "captured");
    assert_eq!(delivered["payment"]["receipt"]["captured"]["amount"], TOTAL);
    let ledger = app.ledger(&id).await;
    assert_eq!(
        kinds(&ledger),
        [LedgerKind::Authorize, LedgerKind::Capture],
        "{ledger:?}"
    );
    assert_eq!(ledger[1].amount.amount, TOTAL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_webhook_that_arrives_before_the_order_awaits_it_is_kept_and_applied() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(orderly_tests::faults::PaymentFault::SlowCollectRequests),
        temporal_timeout: std::time::Duration::from_secs(30),
        ..TestOptions::default()
    })
    .await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;
    let order = two_mangoes(upi("pending@upi"));
    let placing = app.place(&customer, &order);
    let early = async {
        // The order exists and is still `placed`: its collect request is
        // slow to start, and the provider sends its verdict already, once.
        let id = loop {
            let listed = app.get("/v1/orders", Some(&customer)).await;
            if let Some(id) = listed.body["items"][0]["id"].as_str() {
                break id.to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let answer = app.payment_event(&id, "evt-upi-early", "succeeded").await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        let order = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
        assert_eq!(order.body["status"], "placed", "the verdict came early");
        id
    };
    let (placed, id) = futures::join!(placing, early);
    assert_eq!(placed_id(&placed), id);

    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], TOTAL);
    assert_eq!(kinds(&app.ledger(&id).await), [LedgerKind::Capture]);
}
