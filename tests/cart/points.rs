//! Loyalty points through the REST API: earned on a received order, taken
//! back by its refund, spent at checkout as part of the payment, and given
//! back when the order is not placed or is cancelled.

use std::time::Duration;

use orderly_domain::LedgerKind;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, TestOptions, fast_timings, spawn_app, spawn_app_with};
use orderly_tests::shopper::{Answer, card, delivery_order, placed_id};
use orderly_workflows::OrderTimings;

use crate::cart::{add, checkout, home_delivery, money};

const MANGO: &str = "ALPHONSO-1KG";
/// ₹899.00 a box.
const PRICE: i64 = 89_900;

async fn points(app: &TestApp, token: &str) -> Value {
    let answer = app.get("/v1/me/points", Some(token)).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    answer.body
}

/// Polls the caller's balance until it is `expected`.
async fn wait_for_balance(app: &TestApp, token: &str, expected: i64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let body = points(app, token).await;
        if body["balance"] == expected {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the balance stayed {:#}",
            body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Gives `token`'s customer `amount` points, as a received order earns them.
async fn earned(app: &TestApp, token: &str, amount: u32) {
    let customer = app.account_id(token).await;
    let id = app.deliver_directly(customer, &["EARNED-BOX"]).await;
    let view = app.store.orders().order(id).await.unwrap().unwrap();
    // deliver_directly's order paid ₹10.00: a rate of 10 per ₹100 per point.
    app.store
        .loyalty()
        .settle_order(&view, amount * 10)
        .await
        .unwrap();
    wait_for_balance(app, token, i64::from(amount)).await;
}

fn with_points(points: u32) -> Value {
    let mut body = home_delivery(card(CARD_APPROVED));
    body["points"] = json!(points);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_received_order_earns_points_and_its_refund_takes_back_what_it_earned() {
    let app = spawn_app_with(TestOptions {
        timings: OrderTimings {
            refund_window_secs: 10,
            ..fast_timings()
        },
        ..TestOptions::default()
    })
    .await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    let customer = app.customer("Suresh").await;
    let order = delivery_order(json!([{"sku": MANGO, "quantity": 3}]), card(CARD_APPROVED));
    let id = placed_id(&app.place(&customer, &order).await);
    app.wait_for_status(&customer, &id, "paid").await;
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    // One point per ₹100 paid: ₹2,697.00 earns 26.
    wait_for_balance(&app, &customer, 26).await;

    let refund = json!({"lines": [{"sku": MANGO, "quantity": 1}], "reason": "bruised"});
    let refunded = app
        .post(&format!("/v1/orders/{id}/refunds"), Some(&admin), &refund)
        .await;
    assert_eq!(refunded.status, 201, "{:#}", refunded.body);
    // ₹1,798.00 is left paid: 17 points.
    let body = wait_for_balance(&app, &customer, 17).await;
    let kinds: Vec<_> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].clone(), e["points"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [(json!("revoked"), json!(-9)), (json!("earned"), json!(26))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_pay_part_of_a_checkout_and_come_back_when_it_places_nothing() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 2).await;
    let admin = app.admin().await;
    let customer = app.customer("Geeta").await;
    earned(&app, &customer, 500).await;

    assert_eq!(add(&app, &customer, MANGO, 1).await.status, 200);
    let placed = checkout(&app, &customer, "points-1", &with_points(300)).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(placed.body["total"], money(PRICE - 30_000));
    assert_eq!(placed.body["discounts"][0]["source"], "points");
    assert_eq!(placed.body["discounts"][0]["amount"], money(30_000));
    wait_for_balance(&app, &customer, 200).await;

    let too_many = {
        assert_eq!(add(&app, &customer, MANGO, 1).await.status, 200);
        checkout(&app, &customer, "points-2", &with_points(900)).await
    };
    too_many.assert_complete_problem(409);
    assert!(
        too_many.body["detail"]
            .as_str()
            .unwrap()
            .contains("200 loyalty points"),
        "{:#}",
        too_many.body
    );

    // The box sells out while it sits in the cart: nothing is placed and
    // the points spent on it come back.
    let counted = app
        .put(
            &format!("/v1/inventory/{MANGO}"),
            Some(&admin),
            &json!({"on_hand": 1}),
        )
        .await;
    assert_eq!(counted.status, 200, "{:#}", counted.body);
    let refused = checkout(&app, &customer, "points-3", &with_points(150)).await;
    assert_eq!(refused.status, 409, "{:#}", refused.body);
    let body = wait_for_balance(&app, &customer, 200).await;
    assert_eq!(body["entries"][0]["kind"], "returned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_order_paid_partly_with_points_gives_them_back() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 5).await;
    let customer = app.customer("Imran").await;
    earned(&app, &customer, 100).await;
    assert_eq!(add(&app, &customer, MANGO, 1).await.status, 200);
    let placed = checkout(&app, &customer, "cancel-me", &with_points(60)).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().unwrap().to_owned();
    app.wait_for_status(&customer, &id, "paid").await;
    wait_for_balance(&app, &customer, 40).await;
    let cancelled = app.cancel(&customer, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    assert_eq!(
        cancelled.body["payment"]["receipt"]["refunded"],
        money(PRICE - 6_000),
        "the money paid comes back as money"
    );
    wait_for_balance(&app, &customer, 100).await;
}

/// A delivered order stays open for refunds for ten seconds.
fn refunds_for_a_while() -> TestOptions {
    TestOptions {
        timings: OrderTimings {
            refund_window_secs: 10,
            ..fast_timings()
        },
        ..TestOptions::default()
    }
}

/// The order of two boxes [`two_boxes_shipped_for_60_points`] places.
struct PointsOrder {
    admin: String,
    customer: String,
    id: String,
    tracking: String,
}

/// An admin, and a customer with 100 points whose order of two boxes,
/// paid partly with 60 of them, is on its way: 40 points are left.
async fn two_boxes_shipped_for_60_points(app: &TestApp) -> PointsOrder {
    app.stock_product(MANGO, PRICE, 5).await;
    let admin = app.admin().await;
    let customer = app.customer("Lakshmi").await;
    earned(app, &customer, 100).await;
    assert_eq!(add(app, &customer, MANGO, 2).await.status, 200);
    let placed = checkout(app, &customer, "two-boxes", &with_points(60)).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().unwrap().to_owned();
    app.wait_for_status(&customer, &id, "paid").await;
    let tracking = app.ship(&admin, &customer, &id).await;
    wait_for_balance(app, &customer, 40).await;
    PointsOrder {
        admin,
        customer,
        id,
        tracking,
    }
}

/// [`two_boxes_shipped_for_60_points`], delivered: ₹1,738.00 paid earns 17
/// more points, 57 in all.
async fn two_boxes_delivered_for_60_points(app: &TestApp) -> (String, String, String) {
    let order = two_boxes_shipped_for_60_points(app).await;
    app.carrier_delivers(&order.tracking).await;
    wait_for_balance(app, &order.customer, 57).await;
    (order.admin, order.customer, order.id)
}

/// The points of `kind` in the balance `body`'s entries, summed.
fn sum_of(body: &Value, kind: &str) -> i64 {
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["points"].as_i64().unwrap())
        .sum()
}

/// Refunds one box of `id`, under `key` when given.
async fn refund_one_box(app: &TestApp, admin: &str, id: &str, key: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    app.request_with(
        reqwest::Method::POST,
        &format!("/v1/orders/{id}/refunds"),
        Some(admin),
        Some(&json!({"lines": [{"sku": MANGO, "quantity": 1}], "reason": "bruised"})),
        &headers,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_a_unit_paid_partly_with_points_gives_its_share_of_the_points_back() {
    let app = spawn_app_with(refunds_for_a_while()).await;
    let (admin, customer, id) = two_boxes_delivered_for_60_points(&app).await;

    let refunded = refund_one_box(&app, &admin, &id, None).await;
    assert_eq!(refunded.status, 201, "{:#}", refunded.body);
    // One of two boxes carried 30 of the 60 points: they come back, the
    // ₹869.00 refunded in money takes back 9 of the 17 earned (8 left).
    assert_eq!(refunded.body["amount"], money(PRICE - 3_000));
    let body = wait_for_balance(&app, &customer, 40 + 30 + 8).await;
    assert_eq!(sum_of(&body, "returned"), 30, "{body:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_racing_the_delivery_gives_back_the_same_points_whichever_lands_first() {
    let app = spawn_app_with(refunds_for_a_while()).await;
    let order = two_boxes_shipped_for_60_points(&app).await;

    let (refunded, ()) = tokio::join!(
        refund_one_box(&app, &order.admin, &order.id, None),
        app.carrier_delivers(&order.tracking)
    );
    assert_eq!(refunded.status, 201, "{:#}", refunded.body);
    app.wait_for_status(&order.customer, &order.id, "delivered")
        .await;
    // Refunded before the delivery, the box's points come back when the
    // order is received; refunded after, they come back then. Either way
    // 30 spent points return and ₹869.00 left paid earns 8.
    let body = wait_for_balance(&app, &order.customer, 40 + 30 + 8).await;
    assert_eq!(sum_of(&body, "returned"), 30, "{body:#}");
    assert_eq!(
        sum_of(&body, "earned") + sum_of(&body, "revoked"),
        100 + 8,
        "{body:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_between_a_refund_and_its_points_gives_them_back_once_on_restart() {
    let app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(10),
        timings: OrderTimings {
            refund_window_secs: 600,
            ..fast_timings()
        },
        ..TestOptions::default()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = orderly_tests::children::spawn_worker_process(&spec).await;
    let (admin, customer, id) = two_boxes_delivered_for_60_points(&app).await;

    // The money goes back, then the points ledger fails the write that
    // follows it, and the worker dies while it retries.
    app.break_points_ledger().await;
    let refunding = refund_one_box(&app, &admin, &id, Some("bruised-box"));
    let crash = async {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !app
            .ledger(&id)
            .await
            .iter()
            .any(|e| e.kind == LedgerKind::Refund)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the refund never settled"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first_worker.start_kill().expect("killing the worker");
        first_worker.wait().await.expect("reaping the worker");
    };
    let (during, ()) = tokio::join!(refunding, crash);
    assert_ne!(
        during.status, 201,
        "the refund answered before its points were written"
    );
    assert_eq!(points(&app, &customer).await["balance"], 57);

    app.mend_points_ledger().await;
    let stop_second_worker = orderly_tests::app::start_worker(spec.clone());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut answer = refund_one_box(&app, &admin, &id, Some("bruised-box")).await;
    while answer.status != 201 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        answer = refund_one_box(&app, &admin, &id, Some("bruised-box")).await;
    }
    assert_eq!(answer.status, 201, "{:#}", answer.body);
    assert_eq!(answer.body["number"], 1, "{:#}", answer.body);
    let refunds: Vec<i64> = app
        .ledger(&id)
        .await
        .iter()
        .filter(|e| e.kind == LedgerKind::Refund)
        .map(|e| e.amount.amount)
        .collect();
    assert_eq!(refunds, [PRICE - 3_000]);
    let body = wait_for_balance(&app, &customer, 40 + 30 + 8).await;
    assert_eq!(sum_of(&body, "returned"), 30, "{body:#}");
    assert_eq!(sum_of(&body, "revoked"), -9, "{body:#}");
    stop_second_worker();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_sent_together_give_back_the_points_of_each_unit_exactly_once() {
    let app = spawn_app_with(refunds_for_a_while()).await;
    let (admin, customer, id) = two_boxes_delivered_for_60_points(&app).await;

    let one_box = json!({"lines": [{"sku": MANGO, "quantity": 1}], "reason": "bruised"});
    let path = format!("/v1/orders/{id}/refunds");
    let (first, second) = tokio::join!(
        app.post(&path, Some(&admin), &one_box),
        app.post(&path, Some(&admin), &one_box)
    );
    assert_eq!(first.status, 201, "{:#}", first.body);
    assert_eq!(second.status, 201, "{:#}", second.body);
    // Both boxes refunded: all 60 points come back, all 17 earned go.
    let body = wait_for_balance(&app, &customer, 40 + 60).await;
    assert_eq!(sum_of(&body, "returned"), 60, "{body:#}");
}
