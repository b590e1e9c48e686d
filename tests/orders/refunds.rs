//! Refunds of part of an order through `POST /v1/orders/{id}/refunds`: by
//! line and by amount, each under its own key, in the ledger, on the
//! receipt and in the customer's inbox; never more than was captured, not
//! even when refunds and cancels are sent together; cash on delivery owed
//! as a payout until staff record it.

use std::time::Duration;

use futures::future::join_all;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_store::LedgerStatus;
use orderly_tests::app::{TestApp, TestOptions, fast_timings, spawn_app, spawn_app_with};
use orderly_tests::faults::PaymentFault;
use orderly_tests::money::{refunded_total, refunds_in};
use orderly_tests::shopper::{Answer, card, cash_on_delivery, delivery_order, placed_id};
use orderly_workflows::OrderTimings;

const SKU: &str = "ALPHONSO-1KG";
/// ₹899.00 a box; three boxes per order.
const PRICE: i64 = 89_900;
const TOTAL: i64 = 3 * PRICE;
/// Recovery from a dead worker waits out its sticky queue and task timeouts.
const RECOVERY: Duration = Duration::from_secs(120);

fn three_boxes(payment: Value) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 3}]), payment)
}

async fn refund(app: &TestApp, admin: &str, id: &str, key: Option<&str>, body: &Value) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    app.request_with(
        reqwest::Method::POST,
        &format!("/v1/orders/{id}/refunds"),
        Some(admin),
        Some(body),
        &headers,
    )
    .await
}

fn amount_of(reason: &str, paise: i64) -> Value {
    json!({"amount": paise, "reason": reason})
}

/// A shop selling the boxes, an admin and a customer with a paid card order.
async fn paid_order(app: &TestApp) -> (String, String, String) {
    app.stock_product(SKU, PRICE, 50).await;
    let admin = app.admin().await;
    let customer = app.customer("Meera").await;
    let id = placed_id(
        &app.place(&customer, &three_boxes(card(CARD_APPROVED)))
            .await,
    );
    app.wait_for_status(&customer, &id, "paid").await;
    (admin, customer, id)
}

/// Waits until the order shows as delivered, while its workflow stays open
/// for refunds (`wait_for_status` would wait for it to close).
async fn delivered(app: &TestApp, customer: &str, id: &str) {
    app.wait_for(customer, id, Duration::from_secs(30), |o| {
        o["status"] == "delivered"
    })
    .await;
}

fn refund_window(secs: u64) -> TestOptions {
    TestOptions {
        timings: OrderTimings {
            refund_window_secs: secs,
            ..fast_timings()
        },
        ..TestOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_by_line_and_amount_is_in_the_ledger_the_receipt_and_the_inbox() {
    let app = spawn_app().await;
    let (admin, customer, id) = paid_order(&app).await;

    let body = json!({
        "lines": [{"sku": SKU, "quantity": 1}],
        "amount": 550,
        "reason": "one box arrived bruised",
    });
    let answer = refund(&app, &admin, &id, Some("refund-bruised-box"), &body).await;
    assert_eq!(answer.status, 201, "{:#}", answer.body);
    assert_eq!(answer.body["number"], 1);
    assert_eq!(answer.body["status"], "refunded");
    assert_eq!(answer.body["amount"]["amount"], PRICE + 550);
    assert_eq!(answer.body["lines"][0]["quantity"], 1);
    assert_eq!(answer.body["extra"]["amount"], 550);

    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["refunds"][0]["status"], "refunded");
    assert_eq!(
        order["payment"]["receipt"]["refunded"]["amount"],
        PRICE + 550
    );
    assert!(
        order["payment"]["receipt"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "refund" && e["amount"]["amount"] == PRICE + 550),
        "{order:#}"
    );
    let ledger = app.ledger(&id).await;
    let refunds = refunds_in(&ledger);
    assert_eq!(refunds.len(), 1, "{ledger:?}");
    assert_eq!(
        refunds[0].idempotency_key,
        format!("order:{id}:refund:refund-1")
    );
    assert_eq!(refunds[0].status, LedgerStatus::Settled);
    let inbox = app.wait_for_inbox(&customer, 3).await;
    assert!(
        inbox.iter().any(|m| m["kind"] == "refunded"
            && m["body"]
                .as_str()
                .unwrap_or_default()
                .contains("INR 904.50")),
        "{inbox:#?}"
    );

    // Cancelling afterwards gives back only what is left.
    let cancelled = app.cancel(&customer, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    app.finished_order(&id).await;
    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), TOTAL, "{ledger:?}");
    assert_eq!(
        app.notification_count(&id, NotificationKind::Refunded, "in_app")
            .await,
        1
    );
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "partial_refund_then_cancel",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_the_order_does_not_allow_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (admin, customer, id) = paid_order(&app).await;

    let too_much = refund(&app, &admin, &id, None, &amount_of("goodwill", TOTAL + 1)).await;
    too_much.assert_complete_problem(422);
    assert!(
        too_much.body["detail"]
            .as_str()
            .unwrap()
            .contains("more than the"),
        "{:#}",
        too_much.body
    );
    let four_of_three = json!({"lines": [{"sku": SKU, "quantity": 4}], "reason": "all of them"});
    refund(&app, &admin, &id, None, &four_of_three)
        .await
        .assert_complete_problem(422);
    let stranger = json!({"lines": [{"sku": "OKRA-500G", "quantity": 1}], "reason": "wrong"});
    let answer = refund(&app, &admin, &id, None, &stranger).await;
    answer.assert_problem(422);
    assert_eq!(answer.fields(), ["lines[0].sku"]);
    let unexplained = refund(
        &app,
        &admin,
        &id,
        None,
        &json!({"amount": 100, "reason": " "}),
    )
    .await;
    assert_eq!(unexplained.fields(), ["reason"]);
    let negative = refund(&app, &admin, &id, None, &amount_of("oops", -100)).await;
    assert_eq!(negative.fields(), ["amount"]);
    // The key of a return's own refund is not for staff refunds.
    let return_key = refund(&app, &admin, &id, Some("return-1"), &amount_of("x", 100)).await;
    return_key.assert_complete_problem(422);
    assert_eq!(return_key.fields(), ["Idempotency-Key"]);
    refund(&app, &customer, &id, None, &amount_of("mine", 100))
        .await
        .assert_problem(403);
    refund(&app, &admin, "not-an-order", None, &amount_of("x", 100))
        .await
        .assert_problem(404);

    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["refunds"], json!([]));
    assert!(refunds_in(&app.ledger(&id).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_sent_together_never_give_back_more_than_was_captured() {
    let app = spawn_app().await;
    let (admin, _customer, id) = paid_order(&app).await;

    // Six refunds of ₹1,000 against ₹2,697 captured: two fit.
    let bodies: Vec<Value> = (0..6)
        .map(|n| amount_of(&format!("try {n}"), 100_000))
        .collect();
    let keys: Vec<String> = (0..6).map(|n| format!("race-{n}")).collect();
    let answers = join_all(
        bodies
            .iter()
            .zip(&keys)
            .map(|(body, key)| refund(&app, &admin, &id, Some(key), body)),
    )
    .await;
    let made = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 422).count();
    assert_eq!((made, refused), (2, 4), "{answers:#?}");
    let ledger = app.ledger(&id).await;
    assert_eq!(refunds_in(&ledger).len(), 2, "{ledger:?}");
    assert_eq!(refunded_total(&ledger), 200_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_racing_a_cancel_never_gives_back_more_than_was_captured() {
    let app = spawn_app().await;
    let (admin, customer, _) = paid_order(&app).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        let id = placed_id(
            &app.place(&customer, &three_boxes(card(CARD_APPROVED)))
                .await,
        );
        app.wait_for_status(&customer, &id, "paid").await;
        orders.push(id);
    }
    for id in &orders {
        let cancel_path = format!("/v1/orders/{id}/cancel");
        let refund_body = amount_of("late delivery", 100_000);
        let cancel_body = json!({});
        let (refunded, cancelled) = tokio::join!(
            refund(&app, &admin, id, None, &refund_body),
            app.post(&cancel_path, Some(&customer), &cancel_body),
        );
        assert!(
            [201, 409, 422].contains(&refunded.status),
            "{:#}",
            refunded.body
        );
        assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
        app.finished_order(id).await;
        let ledger = app.ledger(id).await;
        assert_eq!(refunded_total(&ledger), TOTAL, "{ledger:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_retried_with_its_key_moves_money_once() {
    let app = spawn_app().await;
    let (admin, _customer, id) = paid_order(&app).await;
    let body = amount_of("missing mango", 20_000);
    let (first, second) = tokio::join!(
        refund(&app, &admin, &id, Some("refund-once"), &body),
        refund(&app, &admin, &id, Some("refund-once"), &body),
    );
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    let again = refund(&app, &admin, &id, Some("refund-once"), &body).await;
    assert_eq!(again.body["number"], 1);
    refund(
        &app,
        &admin,
        &id,
        Some("refund-once"),
        &amount_of("another", 30_000),
    )
    .await
    .assert_problem(422);
    let ledger = app.ledger(&id).await;
    assert_eq!(refunds_in(&ledger).len(), 1, "{ledger:?}");
    assert_eq!(refunded_total(&ledger), 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_order_is_refunded_within_its_window_and_not_after() {
    let app = spawn_app_with(refund_window(8)).await;
    let (admin, customer, id) = paid_order(&app).await;
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    delivered(&app, &customer, &id).await;

    let answer = refund(&app, &admin, &id, None, &amount_of("squashed box", 5_000)).await;
    assert_eq!(answer.status, 201, "{:#}", answer.body);
    assert_eq!(answer.body["status"], "refunded");

    let ended = app.finished_order(&id).await;
    assert_eq!(ended.refunds.len(), 1);
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "refunded_after_delivery",
    )
    .await;
    let late = refund(&app, &admin, &id, None, &amount_of("too late", 5_000)).await;
    late.assert_complete_problem(409);
    assert_eq!(refunded_total(&app.ledger(&id).await), 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_on_delivery_refund_is_a_payout_owed_until_staff_record_it() {
    let app = spawn_app_with(refund_window(1)).await;
    app.stock_product(SKU, PRICE, 50).await;
    let admin = app.admin().await;
    let customer = app.customer("Kiran").await;
    let id = placed_id(&app.place(&customer, &three_boxes(cash_on_delivery())).await);
    app.wait_for_status(&customer, &id, "paid").await;
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    delivered(&app, &customer, &id).await;

    let body = json!({"lines": [{"sku": SKU, "quantity": 1}], "reason": "overripe"});
    let owed = refund(&app, &admin, &id, None, &body).await;
    assert_eq!(owed.status, 201, "{:#}", owed.body);
    assert_eq!(owed.body["status"], "payout_due");
    assert!(refunds_in(&app.ledger(&id).await).is_empty());
    app.wait_for_ops_alert(&id, "cod_payout_due", Duration::from_secs(10))
        .await;
    // The window is over, but the payout owed keeps the order open.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let payout_path = format!("/v1/orders/{id}/refunds/1/payout");
    app.post(&payout_path, Some(&admin), &json!({"reference": " "}))
        .await
        .assert_problem(422);
    app.post(
        "/v1/orders/{id}/refunds/2/payout"
            .replace("{id}", &id)
            .as_str(),
        Some(&admin),
        &json!({"reference": "voucher-17"}),
    )
    .await
    .assert_problem(409);
    let paid = app
        .post(
            &payout_path,
            Some(&admin),
            &json!({"reference": "voucher-17"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{:#}", paid.body);
    assert_eq!(paid.body["status"], "paid_out");
    assert_eq!(paid.body["reference"], "voucher-17");

    let ended = app.finished_order(&id).await;
    assert_eq!(ended.payment.receipt.refunded.amount, PRICE);
    orderly_tests::histories::record_history(
        &app,
        &orderly_workflows::order_workflow_id(id.parse().expect("an order id")),
        "cod_refund_paid_out",
    )
    .await;
    let ledger = app.ledger(&id).await;
    let refunds = refunds_in(&ledger);
    assert_eq!(refunds.len(), 1, "{ledger:?}");
    assert_eq!(refunds[0].provider, "cash-payout");
    assert_eq!(refunds[0].amount.amount, PRICE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_the_provider_keeps_failing_is_marked_failed_and_frees_its_amount() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(PaymentFault::FailRefunds),
        ..TestOptions::default()
    })
    .await;
    let (admin, customer, id) = paid_order(&app).await;
    let answer = refund(&app, &admin, &id, None, &amount_of("all of it", TOTAL)).await;
    assert_eq!(answer.status, 201, "{:#}", answer.body);
    assert_eq!(answer.body["status"], "failed");
    assert!(
        answer.body["failure"]
            .as_str()
            .is_some_and(|f| !f.is_empty())
    );
    app.wait_for_ops_alert(&id, "refund_failed", Duration::from_secs(10))
        .await;
    assert_eq!(refunded_total(&app.ledger(&id).await), 0);
    // Nothing was given back, so the whole amount may be asked again.
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["refunds"][0]["status"], "failed");
    assert_eq!(order["payment"]["receipt"]["refunded"]["amount"], 0);
    let again = refund(&app, &admin, &id, None, &amount_of("all of it", TOTAL)).await;
    assert_eq!(again.status, 201, "{:#}", again.body);
    assert_eq!(again.body["number"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_whose_worker_dies_mid_way_give_each_amount_back_once() {
    let app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(30),
        ..TestOptions::default()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = orderly_tests::children::spawn_worker_process(&spec).await;
    app.stock_product(SKU, PRICE, 50).await;
    let admin = app.admin().await;
    let customer = app.customer("Nisha").await;
    let mut orders = Vec::new();
    for _ in 0..5 {
        let id = placed_id(
            &app.place(&customer, &three_boxes(card(CARD_APPROVED)))
                .await,
        );
        orders.push(id);
    }
    for id in &orders {
        app.wait_for(&customer, id, RECOVERY, |o| o["status"] == "paid")
            .await;
    }

    // The worker dies as soon as the first refund reaches the ledger: the
    // others are on their way to the provider, or not yet asked.
    let body = amount_of("worker crash", 50_000);
    let refunding = join_all(
        orders
            .iter()
            .map(|id| refund(&app, &admin, id, Some("refund-in-a-crash"), &body)),
    );
    let crash = async {
        let started = std::time::Instant::now();
        'watch: while started.elapsed() < Duration::from_secs(30) {
            for id in &orders {
                if app
                    .ledger(id)
                    .await
                    .iter()
                    .any(|e| e.kind == LedgerKind::Refund)
                {
                    break 'watch;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first_worker.start_kill().expect("killing the worker");
        first_worker.wait().await.expect("reaping the worker");
        orderly_tests::app::start_worker(spec.clone())
    };
    let (_during, stop_second_worker) = tokio::join!(refunding, crash);

    // Each refund asked again under its key comes back as the one refund.
    for id in &orders {
        let deadline = std::time::Instant::now() + RECOVERY;
        let again = loop {
            let answer = refund(&app, &admin, id, Some("refund-in-a-crash"), &body).await;
            if answer.status == 201 || std::time::Instant::now() > deadline {
                break answer;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert_eq!(again.status, 201, "{:#}", again.body);
        assert_eq!(again.body["number"], 1);
        assert_eq!(again.body["status"], "refunded");
        let ledger = app.ledger(id).await;
        let refunds = refunds_in(&ledger);
        assert_eq!(refunds.len(), 1, "{ledger:?}");
        assert_eq!(refunds[0].amount.amount, 50_000);
        assert_eq!(refunds[0].status, LedgerStatus::Settled);
    }
    stop_second_worker();
}
