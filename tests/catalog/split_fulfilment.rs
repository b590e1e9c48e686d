//! Orders filled from more than one warehouse, over HTTP and through the
//! workflows: the nearest warehouse that can fill an order takes all of
//! it, an order none can fill alone ships as one shipment per warehouse,
//! each packed and tracked on its own, and a shipment that comes back
//! refunds and restocks only its own lines. Pickup orders take stock only
//! from their counter. Packing, cancelling and returns racing each other
//! never book, move or refund anything twice.

use std::time::Duration;

use orderly_domain::{LedgerKind, NotificationKind, OrderId, StockReason};
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::histories::record_history;
use orderly_tests::shopper::{card, pickup_order};
use orderly_tests::split_order::{
    MANGO, MANGO_PRICE, OKRA, OKRA_PRICE, SPLIT_ORDER_TOTAL, order_to, pack_route,
    shipment_warehouses, tracking,
};
use orderly_tests::stockroom::{MAIN_WAREHOUSE, warehouse};
use orderly_workflows::{order_workflow_id, shipment_workflow_id};

const WAIT: Duration = Duration::from_secs(30);

/// Two products whose stock starts in the main warehouse, counted.
async fn shop(app: &TestApp, on_hand: i64) {
    app.stock_product(MANGO, MANGO_PRICE, on_hand).await;
    app.stock_product(OKRA, OKRA_PRICE, on_hand).await;
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
    let pune = app
        .open_warehouse_at(&admin, "Pune hub", "Pune", "411037")
        .await;
    let mumbai = app
        .open_warehouse_at(&admin, "Mumbai hub", "Navi Mumbai", "400703")
        .await;
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
    let split = app.split_shop(5, 5).await;
    let (admin, customer) = (&split.admin, &split.customer);
    let id = app.place_split_order(&split).await;

    let pack = |n: &str| format!("/v1/orders/{id}/shipments/{n}/pack");
    let first = app.post(&pack("1"), Some(admin), &json!({})).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let shipped = app
        .wait_for(customer, &id, WAIT, |o| {
            o["status"] == "shipped" && o["shipments"][0]["status"] == "booked"
        })
        .await;
    assert!(
        timeline_mentions(&shipped, "1 of 2 shipments handed to sandbox"),
        "{:#}",
        shipped["timeline"]
    );
    assert_eq!(shipped["shipments"][1]["status"], "awaiting_packing");
    app.post(&pack("1"), Some(admin), &json!({}))
        .await
        .assert_problem(409);
    app.post(&pack("3"), Some(admin), &json!({}))
        .await
        .assert_problem(404);
    app.post(&pack("first"), Some(admin), &json!({}))
        .await
        .assert_problem(404);
    app.post(&pack("2"), Some(customer), &json!({}))
        .await
        .assert_problem(403);
    app.post(
        &format!("/v1/orders/{id}/cancel"),
        Some(customer),
        &json!({"reason": "changed my mind"}),
    )
    .await
    .assert_problem(409);

    let second = app.post(&pack("2"), Some(admin), &json!({})).await;
    assert_eq!(second.status, 200, "{:#}", second.body);
    let both = app
        .wait_for(customer, &id, WAIT, |o| {
            o["shipments"][1]["status"] == "booked"
        })
        .await;
    let tracking = |n: usize| tracking(&both, n);
    assert_ne!(tracking(0), tracking(1));
    app.wait_for_shipment_workflow(&id, WAIT).await;

    // The okra comes back; the mangoes arrive.
    let returned = app
        .carrier_event(&tracking(1), "okra-back", "returned")
        .await;
    assert_eq!(returned.status, 200, "{:#}", returned.body);
    let after_return = app
        .wait_for(customer, &id, WAIT, |o| {
            o["shipments"][1]["refunded"]["amount"] == OKRA_PRICE
        })
        .await;
    assert_eq!(after_return["status"], "shipped");
    app.carrier_delivers(&tracking(0)).await;
    let delivered = app.wait_for_status(customer, &id, "delivered").await;

    assert!(
        timeline_mentions(&delivered, "delivered: 1 of 2 shipments"),
        "{:#}",
        delivered["timeline"]
    );
    assert_eq!(delivered["shipments"][0]["status"], "delivered");
    assert_eq!(delivered["shipments"][1]["status"], "returned");
    let receipt = &delivered["payment"]["receipt"];
    assert_eq!(receipt["captured"]["amount"], SPLIT_ORDER_TOTAL);
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
    app.assert_stock_ledger_adds_up(admin, MANGO).await;
    app.assert_stock_ledger_adds_up(admin, OKRA).await;
    assert_eq!(
        app.notification_count(&id, NotificationKind::ShipmentReturned, "in_app")
            .await,
        1,
        "the customer hears once which items came back"
    );
    assert_eq!(
        app.notification_count(&id, NotificationKind::Shipped, "in_app")
            .await,
        2,
        "the customer hears of each shipment leaving"
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
    let pune = app
        .open_warehouse_at(&admin, "Pune hub", "Pune", "411037")
        .await;
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

/// The order's stock movements of `reason` for `sku`, summed (on hand, reserved).
async fn moved(app: &TestApp, sku: &str, order_id: &str, reason: StockReason) -> (i64, i64) {
    let order_id: OrderId = order_id.parse().expect("an order id");
    let sku = orderly_domain::Sku::parse(sku).expect("a SKU");
    app.store
        .inventory()
        .movements(&sku)
        .await
        .expect("reading the stock ledger")
        .into_iter()
        .filter(|m| m.order_id == Some(order_id) && m.reason == reason)
        .fold((0, 0), |(on_hand, reserved), m| {
            (on_hand + m.on_hand_change, reserved + m.reserved_change)
        })
}

async fn booked_shipments(app: &TestApp, order_id: &str) -> Vec<orderly_store::ShipmentRecord> {
    app.store
        .orders()
        .shipments_for_order(order_id.parse().expect("an order id"))
        .await
        .expect("reading shipments")
}

fn refunds(ledger: &[orderly_store::LedgerEntry]) -> Vec<&orderly_store::LedgerEntry> {
    ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Refund)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shipment_packed_twice_at_once_is_booked_and_taken_off_the_shelf_once() {
    let app = spawn_app().await;
    let split = app.split_shop(5, 5).await;
    let id = app.place_split_order(&split).await;
    let admin = Some(split.admin.as_str());

    let (route, nothing) = (pack_route(&id, 1), json!({}));
    let (a, b) = tokio::join!(
        app.post(&route, admin, &nothing),
        app.post(&route, admin, &nothing),
    );

    for answer in [&a, &b] {
        assert!(
            matches!(answer.status, 200 | 409),
            "packing twice: {:#}",
            answer.body
        );
    }
    assert!(a.status == 200 || b.status == 200, "one of them packs it");
    let order = app
        .wait_for(&split.customer, &id, WAIT, |o| {
            o["shipments"][0]["status"] == "booked"
        })
        .await;
    assert_eq!(order["shipments"][1]["status"], "awaiting_packing");
    let booked = booked_shipments(&app, &id).await;
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(booked[0].shipment_number, 1);
    assert_eq!(
        moved(&app, MANGO, &id, StockReason::Committed).await,
        (-2, -2),
        "the two mangoes left the shelf once"
    );
    assert_eq!(app.stock_levels(MANGO).await, (3, 0));
    assert_eq!(app.stock_levels(OKRA).await, (5, 1), "the okra still waits");
    app.assert_stock_ledger_adds_up(&split.admin, MANGO).await;
    assert_eq!(
        app.notification_count(&id, NotificationKind::Shipped, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_racing_the_first_shipment_either_cancels_everything_or_is_refused() {
    const ORDERS: usize = 4;
    let app = spawn_app().await;
    let split = app.split_shop(2 * ORDERS as i64, ORDERS as i64).await;
    let mut ids = Vec::new();
    for _ in 0..ORDERS {
        ids.push(app.place_split_order(&split).await);
    }
    let admin = Some(split.admin.as_str());
    let customer = Some(split.customer.as_str());
    let reason = json!({"reason": "changed my mind"});

    let nothing = json!({});
    let (app, nothing, reason) = (&app, &nothing, &reason);
    let races = futures::future::join_all(ids.iter().map(|id| async move {
        let cancel = format!("/v1/orders/{id}/cancel");
        let pack = pack_route(id, 1);
        tokio::join!(
            app.post(&pack, admin, nothing),
            app.post(&cancel, customer, reason),
        )
    }))
    .await;

    let mut shipped = 0;
    for (id, (packed, cancelled)) in ids.iter().zip(races) {
        let ledger = app.ledger(id).await;
        match (packed.status, cancelled.status) {
            (200, 409) => {
                shipped += 1;
                let order = app
                    .wait_for(&split.customer, id, WAIT, |o| {
                        o["shipments"][0]["status"] == "booked"
                    })
                    .await;
                assert_eq!(order["status"], "shipped");
                assert!(refunds(&ledger).is_empty(), "{ledger:?}");
                assert_eq!(booked_shipments(app, id).await.len(), 1);
            }
            (409, 200) => {
                let order = app.wait_for_status(&split.customer, id, "cancelled").await;
                let receipt = &order["payment"]["receipt"];
                assert_eq!(receipt["refunded"], receipt["captured"], "{order:#}");
                assert!(
                    booked_shipments(app, id).await.is_empty(),
                    "a cancelled order booked nothing"
                );
                assert_eq!(order["shipments"][0]["status"], "cancelled");
                assert_eq!(order["shipments"][1]["status"], "cancelled");
            }
            other => panic!(
                "order {id}: pack and cancel answered {other:?}: {:#} / {:#}",
                packed.body, cancelled.body
            ),
        }
    }
    let total = i64::try_from(ORDERS).expect("a few orders");
    assert_eq!(
        app.stock_levels(MANGO).await,
        (2 * total - 2 * shipped, 0),
        "shipped mangoes left, cancelled ones are back"
    );
    assert_eq!(
        app.stock_levels(OKRA).await,
        (total, shipped),
        "the okra of shipped orders still waits, the rest is free"
    );
    app.assert_stock_ledger_adds_up(&split.admin, MANGO).await;
    app.assert_stock_ledger_adds_up(&split.admin, OKRA).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shipments_coming_back_at_once_refund_each_once_and_no_more_than_was_captured() {
    let app = spawn_app().await;
    let split = app.split_shop(5, 5).await;
    let id = app.place_split_order(&split).await;
    let admin = Some(split.admin.as_str());
    for number in [1, 2] {
        let packed = app.post(&pack_route(&id, number), admin, &json!({})).await;
        assert_eq!(packed.status, 200, "{:#}", packed.body);
    }
    let both = app
        .wait_for(&split.customer, &id, WAIT, |o| {
            o["shipments"][0]["status"] == "booked" && o["shipments"][1]["status"] == "booked"
        })
        .await;
    app.wait_for_shipment_workflow(&id, WAIT).await;

    let (mangoes, okra) = (tracking(&both, 0), tracking(&both, 1));
    let (first, second) = tokio::join!(
        app.carrier_event(&mangoes, "mango-back", "returned"),
        app.carrier_event(&okra, "okra-back", "returned"),
    );

    assert_eq!(first.status, 200, "{:#}", first.body);
    assert_eq!(second.status, 200, "{:#}", second.body);
    let order = app.wait_for_status(&split.customer, &id, "cancelled").await;
    let receipt = &order["payment"]["receipt"];
    assert_eq!(receipt["captured"]["amount"], SPLIT_ORDER_TOTAL);
    assert_eq!(receipt["refunded"]["amount"], SPLIT_ORDER_TOTAL);
    let ledger = app.ledger(&id).await;
    let refunded = refunds(&ledger);
    let mut keys: Vec<_> = refunded.iter().map(|e| e.idempotency_key.clone()).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            format!("order:{id}:refund:shipment-1"),
            format!("order:{id}:refund:shipment-2"),
        ],
        "one refund per shipment and none for the order's rest"
    );
    assert_eq!(
        refunded.iter().map(|e| e.amount.amount).sum::<i64>(),
        SPLIT_ORDER_TOTAL
    );
    assert_eq!(order["shipments"][0]["refunded"]["amount"], 2 * MANGO_PRICE);
    assert_eq!(order["shipments"][1]["refunded"]["amount"], OKRA_PRICE);
    assert_eq!(app.stock_levels(MANGO).await, (5, 0));
    assert_eq!(app.stock_levels(OKRA).await, (5, 0));
    app.assert_stock_ledger_adds_up(&split.admin, MANGO).await;
    app.assert_stock_ledger_adds_up(&split.admin, OKRA).await;
    assert_eq!(
        app.notification_count(&id, NotificationKind::ShipmentReturned, "in_app")
            .await,
        2,
        "the customer hears of each shipment that came back"
    );
}
