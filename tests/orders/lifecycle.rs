//! The happy paths: an order from placement to delivery or collection.

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::json;

use orderly_tests::app::spawn_app;
use orderly_tests::shopper::{card, delivery_order};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_order_travels_from_placement_to_delivery() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;

    let placed = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "APPLE-1KG", "quantity": 2}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        placed.body["total"],
        json!({"amount": 36_000, "currency": "INR"})
    );

    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["payment"]["receipt"]["captured"]["amount"], 36_000);

    let packed = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&admin), &json!({}))
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let shipped = app.wait_for_status(&customer, &id, "shipped").await;
    let tracking = shipped["shipment"]["tracking_id"]
        .as_str()
        .unwrap()
        .to_owned();

    for (n, status) in ["in_transit", "out_for_delivery", "delivered"]
        .iter()
        .enumerate()
    {
        let answer = app
            .carrier_event(&tracking, &format!("evt-{n}"), status)
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    let delivered = app.wait_for_status(&customer, &id, "delivered").await;
    let statuses: Vec<&str> = delivered["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "placed",
            "paid",
            "packed",
            "shipped",
            "shipped",
            "out_for_delivery",
            "delivered"
        ]
    );
    let stock = app
        .store
        .inventory()
        .stock(&orderly_domain::Sku::parse("APPLE-1KG").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stock.on_hand, stock.reserved), (8, 0));
}
