//! Exchanges: a return that takes a replacement instead of a refund. The
//! replacement ships as a new parcel of the same order once staff approve,
//! its own part of the order's reservation, with any difference charged;
//! when it cannot be had or paid for, the return is refunded instead.

use std::time::Duration;

use futures::future::join_all;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, TestOptions, fast_timings, spawn_app_with};
use orderly_tests::faults::PaymentFault;
use orderly_tests::money::{captured_total, refunded_total};
use orderly_tests::shopper::{Answer, card, cash_on_delivery};
use orderly_workflows::{OrderTimings, order_workflow_id};

use crate::returns::{
    ON_HAND, PRICE, RECOVERY, SKU, an_hour_to_return, approve, carrier_brings_back,
    delivered_order, inspect, return_status, step, windows,
};

/// A dearer mango: ₹999.00 a box.
const KESAR: &str = "KESAR-1KG";
const KESAR_PRICE: i64 = 99_900;

async fn ask_exchange(app: &TestApp, customer: &str, id: &str, replacement: Value) -> Answer {
    app.post(
        &format!("/v1/orders/{id}/returns"),
        Some(customer),
        &json!({
            "lines": [{"sku": SKU, "quantity": 1}],
            "reason": "one box arrived squashed",
            "exchange": replacement,
        }),
    )
    .await
}

fn same_box_again() -> Value {
    json!([{"sku": SKU, "quantity": 1}])
}

fn a_kesar_box() -> Value {
    json!([{"sku": KESAR, "quantity": 1}])
}

/// The tracking id of return 1's replacement, once it was shipped.
fn replacement_tracking(order: &Value) -> String {
    order["returns"][0]["exchange"]["parcel"]["tracking_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a replacement tracking id: {order:#}"))
        .to_owned()
}

async fn exchange_status(app: &TestApp, customer: &str, id: &str, status: &'static str) -> Value {
    app.wait_for(customer, id, Duration::from_secs(30), move |o| {
        o["returns"][0]["exchange"]["status"] == status
    })
    .await
}

async fn make_perishable(app: &TestApp, sku: &str) {
    let sku = orderly_domain::Sku::parse(sku).unwrap();
    let mut product = app.store.catalog().product(&sku).await.unwrap().unwrap();
    product.attributes.shelf_life_days = Some(4);
    app.store.catalog().upsert_product(&product).await.unwrap();
}

/// A shop selling perishable Alphonso boxes and `kesar_boxes` Kesar boxes,
/// and a customer's delivered card order of three Alphonso boxes, asking
/// to exchange one for a Kesar box.
async fn kesar_exchange_asked(app: &TestApp, kesar_boxes: i64) -> (String, String, String) {
    app.stock_product(SKU, PRICE, ON_HAND).await;
    app.stock_product(KESAR, KESAR_PRICE, kesar_boxes).await;
    make_perishable(app, SKU).await;
    let (admin, customer, id) = delivered_order(app, card(CARD_APPROVED)).await;
    let asked = ask_exchange(app, &customer, &id, a_kesar_box()).await;
    assert_eq!(asked.status, 201, "{:#}", asked.body);
    (admin, customer, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_like_for_like_exchange_ships_the_same_box_again_and_refunds_nothing() {
    let app = spawn_app_with(windows(6, &[])).await;
    let (admin, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;

    let asked = ask_exchange(&app, &customer, &id, same_box_again()).await;
    assert_eq!(asked.status, 201, "{:#}", asked.body);
    assert_eq!(asked.body["exchange"]["status"], "requested");
    assert_eq!(asked.body["exchange"]["difference"]["amount"], 0);

    let approved = approve(&app, &admin, &id, 1).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    assert_eq!(
        approved.body["status"], "pickup_booked",
        "{:#}",
        approved.body
    );
    assert_eq!(approved.body["exchange"]["status"], "shipped");
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    let replacement = replacement_tracking(&order);
    // The replacement left the shelf as soon as it was booked.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3 - 1, 0));

    app.carrier_delivers(&replacement).await;
    exchange_status(&app, &customer, &id, "delivered").await;
    let pickup = approved.body["tracking_id"].as_str().unwrap().to_owned();
    carrier_brings_back(&app, &pickup).await;
    return_status(&app, &customer, &id, "received").await;
    let inspected = inspect(&app, &admin, &id, 1, 0).await;
    assert_eq!(inspected.status, 200, "{:#}", inspected.body);
    assert_eq!(
        inspected.body["status"], "exchanged",
        "{:#}",
        inspected.body
    );
    assert!(inspected.body["refund"].is_null());

    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), 0, "{ledger:?}");
    assert_eq!(captured_total(&ledger), 3 * PRICE, "{ledger:?}");
    // The squashed box came back to the shelf, the replacement left it.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 3, 0));
    let movements = app.assert_stock_ledger_adds_up(&admin, SKU).await;
    assert!(
        movements.iter().any(|m| m["key"]
            .as_str()
            .unwrap_or_default()
            .contains(":exchange-1:")),
        "{movements:#?}"
    );

    let inbox = app.wait_for_inbox(&customer, 5).await;
    assert!(
        inbox.iter().any(|m| m["kind"] == "return_updated"
            && m["body"]
                .as_str()
                .unwrap_or_default()
                .contains("replacement is on its way")),
        "{inbox:#?}"
    );

    let ended = app.finished_order(&id).await;
    assert_eq!(
        ended.returns[0].status,
        orderly_domain::ReturnStatus::Exchanged
    );
    orderly_tests::histories::record_history(
        &app,
        &order_workflow_id(id.parse().expect("an order id")),
        "exchange_delivered",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dearer_replacement_of_perishables_charges_the_difference_on_approval() {
    let app = spawn_app_with(TestOptions {
        timings: OrderTimings {
            refund_window_secs: 3600,
            ..fast_timings()
        },
        ..an_hour_to_return()
    })
    .await;
    let (admin, customer, id) = kesar_exchange_asked(&app, 5).await;
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["returns"][0]["collect"], false);
    assert_eq!(
        order["returns"][0]["exchange"]["difference"]["amount"],
        KESAR_PRICE - PRICE
    );
    let approved = approve(&app, &admin, &id, 1).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    // Nothing to collect: the return is settled by the replacement.
    assert_eq!(approved.body["status"], "exchanged", "{:#}", approved.body);
    assert_eq!(approved.body["exchange"]["status"], "shipped");

    let ledger = app.ledger(&id).await;
    assert_eq!(
        captured_total(&ledger),
        3 * PRICE + KESAR_PRICE - PRICE,
        "{ledger:?}"
    );
    assert_eq!(refunded_total(&ledger), 0, "{ledger:?}");
    assert_eq!(app.stock_levels(KESAR).await, (4, 0));
    app.assert_stock_ledger_adds_up(&admin, KESAR).await;
    // The exchanged unit is settled: no staff refund by line may take it.
    let refunds_path = format!("/v1/orders/{id}/refunds");
    let all_three = json!({"lines": [{"sku": SKU, "quantity": 3}], "reason": "goodwill"});
    app.post(&refunds_path, Some(&admin), &all_three)
        .await
        .assert_complete_problem(422);

    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    app.carrier_delivers(&replacement_tracking(&order)).await;
    let order = exchange_status(&app, &customer, &id, "delivered").await;
    assert_eq!(
        order["returns"][0]["exchange"]["parcel"]["status"],
        "delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_whose_replacement_is_out_of_stock_falls_back_to_a_refund() {
    let app = spawn_app_with(windows(6, &[])).await;
    let (admin, _, id) = kesar_exchange_asked(&app, 1).await;
    // The last Kesar box sells before staff get to the return.
    app.stock_product(KESAR, KESAR_PRICE, 0).await;

    let approved = approve(&app, &admin, &id, 1).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    assert_eq!(approved.body["status"], "refunded", "{:#}", approved.body);
    assert_eq!(approved.body["exchange"]["status"], "fell_back");
    assert!(
        approved.body["exchange"]["note"]
            .as_str()
            .unwrap_or_default()
            .contains(KESAR),
        "{:#}",
        approved.body
    );
    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), PRICE, "{ledger:?}");
    assert_eq!(
        captured_total(&ledger),
        3 * PRICE,
        "nothing more was charged"
    );
    assert_eq!(app.stock_levels(KESAR).await, (0, 0));

    app.finished_order(&id).await;
    orderly_tests::histories::record_history(
        &app,
        &order_workflow_id(id.parse().expect("an order id")),
        "exchange_fell_back",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_whose_difference_is_declined_gives_the_stock_back_and_refunds_instead() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(PaymentFault::DeclineAddedCharges),
        ..an_hour_to_return()
    })
    .await;
    let (admin, _, id) = kesar_exchange_asked(&app, 5).await;
    let approved = approve(&app, &admin, &id, 1).await;
    assert_eq!(approved.body["status"], "refunded", "{:#}", approved.body);
    assert_eq!(approved.body["exchange"]["status"], "fell_back");
    let ledger = app.ledger(&id).await;
    assert_eq!(captured_total(&ledger), 3 * PRICE, "{ledger:?}");
    assert_eq!(refunded_total(&ledger), PRICE, "{ledger:?}");
    // The replacement was held, then given back.
    assert_eq!(app.stock_levels(KESAR).await, (5, 0));
    app.assert_stock_ledger_adds_up(&admin, KESAR).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_exchanges_approved_together_for_the_last_box_ship_one_and_refund_the_other() {
    let app = spawn_app_with(an_hour_to_return()).await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        orders.push(kesar_exchange_asked(&app, 1).await);
    }

    let answers = join_all(
        orders
            .iter()
            .map(|(admin, _, id)| approve(&app, admin, id, 1)),
    )
    .await;
    let mut shipped = 0;
    let mut refunded = 0;
    for (answer, (_, _, id)) in answers.iter().zip(&orders) {
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        let ledger = app.ledger(id).await;
        match answer.body["exchange"]["status"].as_str() {
            Some("shipped") => {
                shipped += 1;
                assert_eq!(refunded_total(&ledger), 0, "{ledger:?}");
                assert_eq!(captured_total(&ledger), 2 * PRICE + KESAR_PRICE);
            }
            Some("fell_back") => {
                refunded += 1;
                assert_eq!(refunded_total(&ledger), PRICE, "{ledger:?}");
                assert_eq!(captured_total(&ledger), 3 * PRICE);
            }
            other => panic!("unexpected exchange {other:?}: {:#}", answer.body),
        }
    }
    assert_eq!((shipped, refunded), (1, 1));
    assert_eq!(app.stock_levels(KESAR).await, (0, 0));
    app.assert_stock_ledger_adds_up(&orders[0].0, KESAR).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_are_refused_for_cheaper_goods_goods_not_for_sale_and_differences_cash_cannot_pay()
 {
    let app = spawn_app_with(an_hour_to_return()).await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    app.stock_product(KESAR, KESAR_PRICE, 5).await;
    app.stock_product("BANGANAPALLI-1KG", 49_900, 5).await;
    let (_, customer, id) = delivered_order(&app, card(CARD_APPROVED)).await;

    let cheaper = ask_exchange(
        &app,
        &customer,
        &id,
        json!([{"sku": "BANGANAPALLI-1KG", "quantity": 1}]),
    )
    .await;
    cheaper.assert_complete_problem(422);
    assert!(
        cheaper.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("less than"),
        "{:#}",
        cheaper.body
    );
    let unknown = ask_exchange(
        &app,
        &customer,
        &id,
        json!([{"sku": "DURIAN-1KG", "quantity": 1}]),
    )
    .await;
    unknown.assert_complete_problem(422);
    assert_eq!(
        unknown.body["errors"][0]["field"], "exchange[0].sku",
        "{:#}",
        unknown.body
    );

    let (_, cod_customer, cod_id) = delivered_order(&app, cash_on_delivery()).await;
    ask_exchange(&app, &cod_customer, &cod_id, a_kesar_box())
        .await
        .assert_complete_problem(409);
    // The same box again costs nothing, so cash orders may have it.
    let like_for_like = ask_exchange(&app, &cod_customer, &cod_id, same_box_again()).await;
    assert_eq!(like_for_like.status, 201, "{:#}", like_for_like.body);

    // Nothing was recorded by the refused requests.
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["returns"].as_array().unwrap().len(), 0, "{order:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_whose_worker_dies_during_approval_ships_the_replacement_once() {
    let app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(30),
        ..an_hour_to_return()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = orderly_tests::children::spawn_worker_process(&spec).await;
    let (admin, customer, id) = kesar_exchange_asked(&app, 5).await;

    // Staff approve; the worker dies while the replacement is on its way
    // through stock, payment and carrier.
    let approval = json!({"approve": true, "reason": "the photos show the damage"});
    let review = step(&app, &admin, &id, "1/review", &approval);
    let kill = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        first_worker.start_kill().expect("killing the worker");
        first_worker.wait().await.expect("reaping the worker");
    };
    let (_, ()) = tokio::join!(review, kill);
    let stop_second_worker = orderly_tests::app::start_worker(spec.clone());
    let order = app
        .wait_for(&customer, &id, RECOVERY, |o| {
            o["returns"][0]["status"] == "exchanged"
        })
        .await;
    assert_eq!(
        order["returns"][0]["exchange"]["status"], "shipped",
        "{order:#}"
    );

    // One replacement held, charged, booked and taken off the shelf.
    let ledger = app.ledger(&id).await;
    assert_eq!(
        captured_total(&ledger),
        3 * PRICE + KESAR_PRICE - PRICE,
        "{ledger:?}"
    );
    assert_eq!(refunded_total(&ledger), 0, "{ledger:?}");
    assert_eq!(app.stock_levels(KESAR).await, (4, 0));
    app.assert_stock_ledger_adds_up(&admin, KESAR).await;
    let shipments = app
        .store
        .orders()
        .shipments_for_order(id.parse().expect("an order id"))
        .await
        .expect("the order's shipments");
    assert_eq!(
        shipments.len(),
        2,
        "the order's parcel and one replacement: {shipments:?}"
    );
    stop_second_worker();
}
