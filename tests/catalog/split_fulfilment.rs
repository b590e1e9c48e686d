//! Orders filled from more than one warehouse, over HTTP and through the
//! workflows: the nearest warehouse that can fill an order takes all of
//! it, an order none can fill alone ships as one shipment per warehouse,
//! each packed and tracked on its own, and a shipment that comes back
//! refunds and restocks only its own lines. Pickup orders take stock only
//! from their counter.

use std::time::Duration;

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::histories::record_history;
use orderly_tests::shopper::{card, delivery_order, pickup_order, placed_id};
use orderly_tests::stockroom::{MAIN_WAREHOUSE, warehouse};
use orderly_workflows::{order_workflow_id, shipment_workflow_id};

const MANGO: &str = "MANGO-1KG";
const OKRA: &str = "OKRA-500G";
const MANGO_PRICE: i64 = 24_000;
const OKRA_PRICE: i64 = 6_000;
const WAIT: Duration = Duration::from_secs(30);

async fn open(app: &TestApp, admin: &str, name: &str, city: &str, postal_code: &str) -> String {
    let answer = app
        .post(
            "/v1/warehouses",
            Some(admin),
            &warehouse(name, city, postal_code),
        )
        .await;
    assert_eq!(answer.status, 201, "opening {name}: {:#}", answer.body);
    answer.body["id"].as_str().expect("warehouse id").to_owned()
}

/// Two products whose stock starts in the main warehouse, counted.
async fn shop(app: &TestApp, on_hand: i64) {
    app.stock_product(MANGO, MANGO_PRICE, on_hand).await;
    app.stock_product(OKRA, OKRA_PRICE, on_hand).await;
}

fn order_to(postal_code: &str, items: Value) -> Value {
    let mut order = delivery_order(items, card(CARD_APPROVED));
    order["fulfillment"]["address"]["postal_code"] = json!(postal_code);
    order
}

fn shipment_warehouses(order: &Value) -> Vec<String> {
    order["shipments"]
        .as_array()
        .expect("shipments")
        .iter()
        .map(|s| s["warehouse_id"].as_str().unwrap().to_owned())
        .collect()
}

fn timeline_mentions(order: &Value, text: &str) -> bool {
    order["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .any(|entry| entry["detail"].as_str().unwrap_or("").contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_whole_to_the_warehouse_nearest_the_customer_that_can_fill_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    shop(&app, 0).await;
    let pune = open(&app, &admin, "Pune hub", "Pune", "411037").await;
    let mumbai = open(&app, &admin, "Mumbai hub", "Navi Mumbai", "400703").await;
    for hub in [&pune, &mumbai] {
        app.receive_batch(&admin, hub, MANGO, "M1", 10, 9).await;
        app.receive_batch(&admin, hub, OKRA, "K1", 10, 9).await;
    }
    let items = json!([{"sku": MANGO, "quantity": 2}, {"sku": OKRA, "quantity": 1}]);

    let to_pune = app
        .place(&customer, &order_to("411014", items.clone()))
        .await;
    let to_mumbai = app.place(&customer, &order_to("400706", items)).await;

    assert_eq!(to_pune.status, 201, "{:#}", to_pune.body);
    assert_eq!(to_mumbai.status, 201, "{:#}", to_mumbai.body);
    assert_eq!(shipment_warehouses(&to_pune.body), vec![pune.clone()]);
    assert_eq!(shipment_warehouses(&to_mumbai.body), vec![mumbai.clone()]);
    assert_eq!(to_pune.body["shipments"][0]["status"], "awaiting_packing");
    assert_eq!(
        to_pune.body["shipments"][0]["items"],
        json!([{"sku": MANGO, "quantity": 2}, {"sku": OKRA, "quantity": 1}])
    );
    app.assert_stock_ledger_adds_up(&admin, MANGO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_order_ships_per_warehouse_and_a_returned_shipment_refunds_only_its_lines() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    // Okra only in the main warehouse, mangoes only in Pune.
    shop(&app, 0).await;
    app.put(
        &format!("/v1/inventory/{OKRA}"),
        Some(&admin),
        &json!({"on_hand": 5}),
    )
    .await;
    let pune = open(&app, &admin, "Pune hub", "Pune", "411037").await;
    app.receive_batch(&admin, &pune, MANGO, "M1", 5, 9).await;
    let order = order_to(
        "411014",
        json!([{"sku": MANGO, "quantity": 2}, {"sku": OKRA, "quantity": 1}]),
    );

    let placed = app.place(&customer, &order).await;
    let id = placed_id(&placed);
    assert_eq!(
        shipment_warehouses(&placed.body),
        vec![pune.clone(), MAIN_WAREHOUSE.to_owned()],
        "nearest first: {:#}",
        placed.body
    );
    app.wait_for_status(&customer, &id, "paid").await;

    let pack = |n: &str| format!("/v1/orders/{id}/shipments/{n}/pack");
    let first = app.post(&pack("1"), Some(&admin), &json!({})).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let shipped = app
        .wait_for(&customer, &id, WAIT, |o| {
            o["status"] == "shipped" && o["shipments"][0]["status"] == "booked"
        })
        .await;
    assert!(
        timeline_mentions(&shipped, "1 of 2 shipments handed to sandbox"),
        "{:#}",
        shipped["timeline"]
    );
    assert_eq!(shipped["shipments"][1]["status"], "awaiting_packing");
    app.post(&pack("1"), Some(&admin), &json!({}))
        .await
        .assert_problem(409);
    app.post(&pack("3"), Some(&admin), &json!({}))
        .await
        .assert_problem(404);
    app.post(&pack("first"), Some(&admin), &json!({}))
        .await
        .assert_problem(404);
    app.post(&pack("2"), Some(&customer), &json!({}))
        .await
        .assert_problem(403);
    app.post(
        &format!("/v1/orders/{id}/cancel"),
        Some(&customer),
        &json!({"reason": "changed my mind"}),
    )
    .await
    .assert_problem(409);

    let second = app.post(&pack("2"), Some(&admin), &json!({})).await;
    assert_eq!(second.status, 200, "{:#}", second.body);
    let both = app
        .wait_for(&customer, &id, WAIT, |o| {
            o["shipments"][1]["status"] == "booked"
        })
        .await;
    let tracking = |n: usize| {
        both["shipments"][n]["tracking_id"]
            .as_str()
            .expect("a tracking id")
            .to_owned()
    };
    assert_ne!(tracking(0), tracking(1));
    app.wait_for_shipment_workflow(&id, WAIT).await;

    // The okra comes back; the mangoes arrive.
    let returned = app
        .carrier_event(&tracking(1), "okra-back", "returned")
        .await;
    assert_eq!(returned.status, 200, "{:#}", returned.body);
    let after_return = app
        .wait_for(&customer, &id, WAIT, |o| {
            o["shipments"][1]["refunded"]["amount"] == OKRA_PRICE
        })
        .await;
    assert_eq!(after_return["status"], "shipped");
    app.carrier_delivers(&tracking(0)).await;
    let delivered = app.wait_for_status(&customer, &id, "delivered").await;

    assert!(
        timeline_mentions(&delivered, "delivered: 1 of 2 shipments"),
        "{:#}",
        delivered["timeline"]
    );
    assert_eq!(delivered["shipments"][0]["status"], "delivered");
    assert_eq!(delivered["shipments"][1]["status"], "returned");
    let receipt = &delivered["payment"]["receipt"];
    assert_eq!(receipt["captured"]["amount"], 2 * MANGO_PRICE + OKRA_PRICE);
    assert_eq!(receipt["refunded"]["amount"], OKRA_PRICE);
    let refunds: Vec<_> = app
        .ledger(&id)
        .await
        .into_iter()
        .filter(|e| e.kind == LedgerKind::Refund)
        .collect();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert!(refunds[0].idempotency_key.ends_with(":refund:shipment-2"));
    assert_eq!(app.stock_levels(MANGO).await, (3, 0));
    assert_eq!(
        app.stock_levels(OKRA).await,
        (5, 0),
        "the okra is back on the shelf"
    );
    app.assert_stock_ledger_adds_up(&admin, MANGO).await;
    app.assert_stock_ledger_adds_up(&admin, OKRA).await;
    assert_eq!(
        app.notification_count(&id, NotificationKind::ShipmentReturned, "in_app")
            .await,
        1,
        "the customer hears once which items came back"
    );

    let order_id = id.parse().expect("an order id");
    record_history(&app, &order_workflow_id(order_id), "split_delivery").await;
    record_history(
        &app,
        &shipment_workflow_id(order_id, 2),
        "split_shipment_returned",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickup_order_takes_stock_only_from_the_counter_it_names() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    shop(&app, 10).await;
    let pune = open(&app, &admin, "Pune hub", "Pune", "411037").await;
    app.receive_batch(&admin, &pune, MANGO, "M1", 2, 9).await;
    let at = |warehouse_id: &str, quantity: u32| {
        let mut order = pickup_order(
            json!([{"sku": MANGO, "quantity": quantity}]),
            card(CARD_APPROVED),
        );
        order["fulfillment"]["warehouse_id"] = json!(warehouse_id);
        order
    };
    let mut closed = warehouse("Closed hub", "Goa", "403001");
    closed["active"] = json!(false);
    let shut = app.post("/v1/warehouses", Some(&admin), &closed).await;
    let shut = shut.body["id"].as_str().expect("warehouse id").to_owned();

    let too_many = app.place(&customer, &at(&pune, 3)).await;
    let nowhere = app.place(&customer, &at(&shut, 1)).await;
    let fits = app.place(&customer, &at(&pune, 2)).await;

    too_many.assert_problem(409);
    assert_eq!(too_many.body["sku"], MANGO, "{:#}", too_many.body);
    assert_eq!(too_many.body["available"], 2, "{:#}", too_many.body);
    nowhere.assert_problem(422);
    assert_eq!(nowhere.fields(), vec!["fulfillment.warehouse_id"]);
    assert_eq!(fits.status, 201, "{:#}", fits.body);
    assert_eq!(fits.body["fulfillment"]["warehouse_id"], pune.as_str());
    let inventory = app
        .get(&format!("/v1/inventory/{MANGO}"), Some(&admin))
        .await;
    let held_in = |warehouse_id: &str| -> i64 {
        inventory.body["warehouses"]
            .as_array()
            .expect("warehouses")
            .iter()
            .filter(|w| w["warehouse_id"] == warehouse_id)
            .map(|w| w["reserved"].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(held_in(&pune), 2, "{:#}", inventory.body);
    assert_eq!(held_in(MAIN_WAREHOUSE), 0, "{:#}", inventory.body);
}
