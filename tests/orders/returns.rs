//! Returns of delivered lines through `POST /v1/orders/{id}/returns`: a
//! workflow of their own from the request to the refund, within each
//! line's return window; collected by the carrier (or, perishables, not
//! at all), received, inspected into the stock ledger, and refunded at the
//! price paid, never twice for one unit.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::ReturnWindows;
use orderly_tests::app::{TestApp, TestOptions, fast_timings, spawn_app_with};
use orderly_tests::money::{refunded_total, refunds_in};
use orderly_tests::shopper::{Answer, card, cash_on_delivery, delivery_order, placed_id};
use orderly_workflows::{OrderTimings, order_workflow_id, return_workflow_id};

pub(crate) const SKU: &str = "ALPHONSO-1KG";
/// ₹899.00 a box; three boxes per order.
pub(crate) const PRICE: i64 = 89_900;
pub(crate) const ON_HAND: i64 = 50;
/// Recovery from a dead worker waits out its sticky queue and task timeouts.
pub(crate) const RECOVERY: Duration = Duration::from_secs(120);

/// Returns taken for an hour after delivery, fruit included.
pub(crate) fn an_hour_to_return() -> TestOptions {
    windows(3600, &[])
}

pub(crate) fn windows(default_secs: u64, by_category: &[(&str, u64)]) -> TestOptions {
    TestOptions {
        return_windows: ReturnWindows {
            default_secs,
            by_category: by_category
                .iter()
                .map(|(name, secs)| ((*name).to_owned(), *secs))
                .collect::<BTreeMap<_, _>>(),
        },
        ..TestOptions::default()
    }
}

fn three_boxes(payment: Value) -> Value {
    delivery_order(json!([{"sku": SKU, "quantity": 3}]), payment)
}

/// A shop selling the boxes, an admin, and a customer whose card order of
/// three boxes was delivered.
pub(crate) async fn delivered_order(app: &TestApp, payment: Value) -> (String, String, String) {
    let sku = orderly_domain::Sku::parse(SKU).unwrap();
    if app.store.catalog().product(&sku).await.unwrap().is_none() {
        app.stock_product(SKU, PRICE, ON_HAND).await;
    }
    let admin = app.admin().await;
    let customer = app.customer("Meera").await;
    let id = placed_id(&app.place(&customer, &three_boxes(payment)).await);
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    app.wait_for(&customer, &id, Duration::from_secs(30), |o| {
        o["status"] == "delivered"
    })
    .await;
    (admin, customer, id)
}

async fn ask_return(app: &TestApp, customer: &str, id: &str, quantity: u32) -> Answer {
    app.post(
        &format!("/v1/orders/{id}/returns"),
        Some(customer),
        &json!({
            "lines": [{"sku": SKU, "quantity": quantity}],
            "reason": "the boxes arrived squashed",
            "photos": ["https://photos.example.test/squashed.jpg"],
        }),
    )
    .await
}

pub(crate) async fn step(app: &TestApp, token: &str, id: &str, path: &str, body: &Value) -> Answer {
    app.post(
        &format!("/v1/orders/{id}/returns/{path}"),
        Some(token),
        body,
    )
    .await
}

pub(crate) async fn approve(app: &TestApp, admin: &str, id: &str, number: u32) -> Answer {
    step(
        app,
        admin,
        id,
        &format!("{number}/review"),
        &json!({"approve": true, "reason": "the photos show the damage"}),
    )
    .await
}

pub(crate) async fn inspect(
    app: &TestApp,
    admin: &str,
    id: &str,
    restocked: u32,
    written_off: u32,
) -> Answer {
    step(
        app,
        admin,
        id,
        "1/inspection",
        &json!({"lines": [{"sku": SKU, "restocked": restocked, "written_off": written_off}]}),
    )
    .await
}

/// The carrier collects the goods of a return and brings them back.
pub(crate) async fn carrier_brings_back(app: &TestApp, tracking: &str) {
    for status in ["in_transit", "delivered"] {
        let answer = app
            .carrier_event(tracking, &format!("{tracking}-back-{status}"), status)
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        assert_eq!(answer.body["status"], "accepted", "{:#}", answer.body);
    }
}

pub(crate) async fn return_status(
    app: &TestApp,
    customer: &str,
    id: &str,
    status: &'static str,
) -> Value {
    app.wait_for(customer, id, Duration::from_secs(30), move |o| {
        o["returns"][0]["status"] == status
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_line_is_collected_received_inspected_into_stock_and_refunded_at_the_price_paid()
{
    let app = spawn_app_with(an_hour_to_return()).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;

    let asked = ask_return(&app, &customer, &id, 2).await;
    assert_eq!(asked.status, 201, "{:#}", asked.body);
    assert_eq!(asked.body["number"], 1);
    assert_eq!(asked.body["status"], "requested");
    assert_eq!(asked.body["collect"], true);
    assert_eq!(
        asked.body["photos"][0],
        "https://photos.example.test/squashed.jpg"
    );
    let listed = app
        .get("/v1/orders?open_returns=true&limit=100", Some(&admin))
        .await;
    assert!(
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id.as_str()),
        "{:#}",
        listed.body
    );

    let approved = approve(&app, &admin, &id, 1).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    assert_eq!(approved.body["status"], "pickup_booked");
    let tracking = approved.body["tracking_id"]
        .as_str()
        .expect("a pickup tracking id")
        .to_owned();
    carrier_brings_back(&app, &tracking).await;
    return_status(&app, &customer, &id, "received").await;

    let inspected = inspect(&app, &admin, &id, 1, 1).await;
    assert_eq!(inspected.status, 200, "{:#}", inspected.body);
    assert_eq!(inspected.body["status"], "refunded");
    assert_eq!(inspected.body["refund"], 1);

    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["refunds"][0]["amount"]["amount"], 2 * PRICE);
    assert_eq!(order["refunds"][0]["lines"][0]["quantity"], 2);
    assert_eq!(order["payment"]["receipt"]["refunded"]["amount"], 2 * PRICE);
    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), 2 * PRICE, "{ledger:?}");

    // One unit back on the shelf, one thrown away, both in the stock ledger.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3 + 1, 0));
    let movements = app.assert_stock_ledger_adds_up(&admin, SKU).await;
    let reasons: Vec<&str> = movements
        .iter()
        .filter(|m| m["key"].as_str().unwrap_or_default().starts_with("return:"))
        .map(|m| m["reason"].as_str().unwrap_or_default())
        .collect();
    assert!(reasons.contains(&"returned"), "{movements:#?}");
    assert!(reasons.contains(&"written_off"), "{movements:#?}");

    let inbox = app.wait_for_inbox(&customer, 8).await;
    let about_returns = inbox
        .iter()
        .filter(|m| m["kind"] == "return_updated")
        .count();
    assert!(about_returns >= 4, "a message for each step: {inbox:#?}");
    assert!(inbox.iter().any(|m| m["kind"] == "refunded"), "{inbox:#?}");

    let listed = app
        .get("/v1/orders?open_returns=true&limit=100", Some(&admin))
        .await;
    assert!(
        !listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id.as_str()),
        "a refunded return is not open: {:#}",
        listed.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_return_closes_the_order_once_its_window_ends_and_its_history_replays() {
    let app = spawn_app_with(windows(6, &[])).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    assert_eq!(ask_return(&app, &customer, &id, 1).await.status, 201);
    let approved = approve(&app, &admin, &id, 1).await;
    let tracking = approved.body["tracking_id"].as_str().unwrap().to_owned();
    carrier_brings_back(&app, &tracking).await;
    return_status(&app, &customer, &id, "received").await;
    assert_eq!(
        inspect(&app, &admin, &id, 1, 0).await.body["status"],
        "refunded"
    );

    let ended = app.finished_order(&id).await;
    assert_eq!(ended.returns.len(), 1);
    assert_eq!(ended.refunds[0].amount.amount, PRICE);
    let order_id = id.parse().expect("an order id");
    orderly_tests::histories::record_history(
        &app,
        &order_workflow_id(order_id),
        "returned_collected_and_refunded",
    )
    .await;
    orderly_tests::histories::record_history(
        &app,
        &return_workflow_id(order_id, 1),
        "return_collected_and_inspected",
    )
    .await;
    // The window has closed: the order takes no more returns.
    ask_return(&app, &customer, &id, 1)
        .await
        .assert_complete_problem(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perishables_are_not_collected_and_are_refunded_once_staff_approve() {
    let app = spawn_app_with(windows(6, &[])).await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let sku = orderly_domain::Sku::parse(SKU).unwrap();
    let mut product = app.store.catalog().product(&sku).await.unwrap().unwrap();
    product.attributes.shelf_life_days = Some(4);
    app.store.catalog().upsert_product(&product).await.unwrap();
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;

    let asked = ask_return(&app, &customer, &id, 1).await;
    assert_eq!(asked.status, 201, "{:#}", asked.body);
    assert_eq!(asked.body["collect"], false);
    let approved = approve(&app, &admin, &id, 1).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    assert_eq!(approved.body["status"], "refunded");
    assert!(approved.body["tracking_id"].is_null());
    assert_eq!(refunded_total(&app.ledger(&id).await), PRICE);
    // Nothing came back to the shelf.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3, 0));

    app.finished_order(&id).await;
    orderly_tests::histories::record_history(
        &app,
        &order_workflow_id(id.parse().expect("an order id")),
        "perishable_return_refunded_on_approval",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_return_refunds_nothing_and_its_units_can_be_asked_for_again() {
    let app = spawn_app_with(an_hour_to_return()).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    assert_eq!(ask_return(&app, &customer, &id, 3).await.status, 201);
    let rejected = step(
        &app,
        &admin,
        &id,
        "1/review",
        &json!({"approve": false, "reason": "the photos show no damage"}),
    )
    .await;
    assert_eq!(rejected.status, 200, "{:#}", rejected.body);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["decision"], "the photos show no damage");
    assert_eq!(refunded_total(&app.ledger(&id).await), 0);
    // A decision is made once.
    approve(&app, &admin, &id, 1)
        .await
        .assert_complete_problem(409);

    let again = ask_return(&app, &customer, &id, 3).await;
    assert_eq!(again.status, 201, "{:#}", again.body);
    assert_eq!(again.body["number"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_past_its_categorys_return_window_is_refused_naming_it() {
    let app = spawn_app_with(windows(3600, &[("fruit", 1)])).await;
    let (_admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let late = ask_return(&app, &customer, &id, 1).await;
    late.assert_complete_problem(409);
    assert!(
        late.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(SKU),
        "{:#}",
        late.body
    );
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["returns"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_are_refused_before_delivery_beyond_what_was_delivered_and_to_other_people() {
    let app = spawn_app_with(an_hour_to_return()).await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Kavya").await;
    let placed = placed_id(
        &app.place(&customer, &three_boxes(card(CARD_APPROVED)))
            .await,
    );
    app.wait_for_status(&customer, &placed, "paid").await;
    ask_return(&app, &customer, &placed, 1)
        .await
        .assert_complete_problem(409);

    let (admin, owner, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    ask_return(&app, &owner, &id, 4)
        .await
        .assert_complete_problem(422);
    let bad = app
        .post(
            &format!("/v1/orders/{id}/returns"),
            Some(&owner),
            &json!({"lines": [{"sku": "NOT-IN-ORDER", "quantity": 1}], "reason": " ", "photos": ["ftp://x"]}),
        )
        .await;
    bad.assert_problem(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for field in ["reason", "lines[0].sku", "photos[0]"] {
        assert!(fields.contains(&field), "{field} named: {:#}", bad.body);
    }
    // Someone else's order is not there for them; staff steps are staff's.
    ask_return(&app, &customer, &id, 1)
        .await
        .assert_problem(404);
    assert_eq!(ask_return(&app, &owner, &id, 1).await.status, 201);
    approve(&app, &owner, &id, 1).await.assert_problem(403);
    // Nothing to receive or inspect before it was approved and came back.
    step(&app, &admin, &id, "1/receive", &json!({}))
        .await
        .assert_complete_problem(409);
    inspect(&app, &admin, &id, 1, 0)
        .await
        .assert_complete_problem(409);
    step(&app, &admin, &id, "7/receive", &json!({}))
        .await
        .assert_problem(404);
    assert_eq!(refunded_total(&app.ledger(&id).await), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspection_must_account_for_every_returned_unit_once() {
    let app = spawn_app_with(an_hour_to_return()).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    assert_eq!(ask_return(&app, &customer, &id, 2).await.status, 201);
    approve(&app, &admin, &id, 1).await;
    // The carrier never reported it: the warehouse receives it by hand.
    let received = step(
        &app,
        &admin,
        &id,
        "1/receive",
        &json!({"note": "dropped at the counter"}),
    )
    .await;
    assert_eq!(received.status, 200, "{:#}", received.body);
    assert_eq!(received.body["status"], "received");

    inspect(&app, &admin, &id, 1, 0)
        .await
        .assert_complete_problem(409);
    inspect(&app, &admin, &id, 2, 1)
        .await
        .assert_complete_problem(409);
    assert_eq!(refunded_total(&app.ledger(&id).await), 0);
    let done = inspect(&app, &admin, &id, 0, 2).await;
    assert_eq!(done.body["status"], "refunded", "{:#}", done.body);
    assert_eq!(refunded_total(&app.ledger(&id).await), 2 * PRICE);
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3, 0));
    app.assert_stock_ledger_adds_up(&admin, SKU).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_requests_sent_together_never_return_a_unit_twice() {
    let app = spawn_app_with(an_hour_to_return()).await;
    let (_admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;

    let answers = join_all((0..5).map(|_| ask_return(&app, &customer, &id, 2))).await;
    let made = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        made,
        1,
        "{:#?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != 201) {
        assert!(
            [409, 422].contains(&refused.status),
            "{}: {:#}",
            refused.status,
            refused.body
        );
    }
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["returns"].as_array().unwrap().len(), 1, "{order:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_refund_and_a_staff_refund_sent_together_never_give_back_more_than_was_paid() {
    let app = spawn_app_with(an_hour_to_return()).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    assert_eq!(ask_return(&app, &customer, &id, 3).await.status, 201);
    approve(&app, &admin, &id, 1).await;
    step(&app, &admin, &id, "1/receive", &json!({})).await;

    let refunds_path = format!("/v1/orders/{id}/refunds");
    let goodwill = json!({"lines": [{"sku": SKU, "quantity": 2}], "reason": "goodwill"});
    let staff_refund = app.post(&refunds_path, Some(&admin), &goodwill);
    let (inspected, refunded) = tokio::join!(inspect(&app, &admin, &id, 3, 0), staff_refund);
    assert_eq!(inspected.status, 200, "{:#}", inspected.body);
    let ledger = app.ledger(&id).await;
    assert!(refunded_total(&ledger) <= 3 * PRICE, "{ledger:?}");
    // Exactly one of the two got the units: the other was refused.
    let return_refunded = inspected.body["status"] == "refunded";
    let staff_refunded = refunded.status == 201;
    assert!(
        return_refunded != staff_refunded,
        "{:#} / {:#}",
        inspected.body,
        refunded.body
    );
    let expected = if return_refunded {
        3 * PRICE
    } else {
        2 * PRICE
    };
    assert_eq!(refunded_total(&ledger), expected, "{ledger:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_refund_cannot_take_units_an_open_return_will_refund() {
    let app = spawn_app_with(TestOptions {
        timings: OrderTimings {
            refund_window_secs: 3600,
            ..fast_timings()
        },
        ..an_hour_to_return()
    })
    .await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    assert_eq!(ask_return(&app, &customer, &id, 2).await.status, 201);
    let refunds_path = format!("/v1/orders/{id}/refunds");
    let two = json!({"lines": [{"sku": SKU, "quantity": 2}], "reason": "goodwill"});
    let refused = app.post(&refunds_path, Some(&admin), &two).await;
    refused.assert_complete_problem(422);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("only 1 of"),
        "{:#}",
        refused.body
    );
    let one = json!({"lines": [{"sku": SKU, "quantity": 1}], "reason": "goodwill"});
    let refunded = app.post(&refunds_path, Some(&admin), &one).await;
    assert_eq!(refunded.status, 201, "{:#}", refunded.body);
    approve(&app, &admin, &id, 1).await;
    step(&app, &admin, &id, "1/receive", &json!({})).await;
    let inspected = inspect(&app, &admin, &id, 2, 0).await;
    assert_eq!(inspected.body["status"], "refunded", "{:#}", inspected.body);
    assert_eq!(refunded_total(&app.ledger(&id).await), 3 * PRICE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_on_delivery_return_is_owed_as_a_payout() {
    let app = spawn_app_with(an_hour_to_return()).await;
    let (admin, customer, id) = delivered_order(&app, cash_on_delivery()).await;
    assert_eq!(ask_return(&app, &customer, &id, 1).await.status, 201);
    approve(&app, &admin, &id, 1).await;
    step(&app, &admin, &id, "1/receive", &json!({})).await;
    let done = inspect(&app, &admin, &id, 1, 0).await;
    assert_eq!(done.body["status"], "refunded", "{:#}", done.body);
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["refunds"][0]["status"], "payout_due", "{order:#}");
    assert_eq!(order["refunds"][0]["amount"]["amount"], PRICE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_whose_worker_dies_mid_way_is_refunded_once_by_the_next_worker() {
    let app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(30),
        ..an_hour_to_return()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = orderly_tests::children::spawn_worker_process(&spec).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;
    assert_eq!(ask_return(&app, &customer, &id, 2).await.status, 201);
    let approved = approve(&app, &admin, &id, 1).await;
    let tracking = approved.body["tracking_id"].as_str().unwrap().to_owned();

    first_worker.start_kill().expect("killing the worker");
    first_worker.wait().await.expect("reaping the worker");
    // The carrier's news waits in Temporal while no worker runs.
    carrier_brings_back(&app, &tracking).await;
    let stop_second_worker = orderly_tests::app::start_worker(spec.clone());
    app.wait_for(&customer, &id, RECOVERY, |o| {
        o["returns"][0]["status"] == "received"
    })
    .await;

    let deadline = std::time::Instant::now() + RECOVERY;
    let done = loop {
        let answer = inspect(&app, &admin, &id, 2, 0).await;
        if answer.status == 200 || std::time::Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(done.body["status"], "refunded", "{:#}", done.body);
    let ledger = app.ledger(&id).await;
    assert_eq!(refunds_in(&ledger).len(), 1, "{ledger:?}");
    assert_eq!(refunded_total(&ledger), 2 * PRICE);
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3 + 2, 0));
    app.assert_stock_ledger_adds_up(&admin, SKU).await;
    stop_second_worker();
}
