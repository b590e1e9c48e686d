//! Price rules through the REST API: a bulk tier takes its percent off a
//! line of enough units, a festival offer prices the orders placed while it
//! holds and not one placed after, and each discount names where it came
//! from.

use std::time::Duration;

use chrono::Utc;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::shopper::{card, delivery_order};

const RICE: &str = "SONA-MASOORI-1KG";
/// ₹90.00 a kilo.
const PRICE: i64 = 9_000;

async fn order_of(app: &TestApp, customer: &str, kilos: i64) -> Value {
    let order = delivery_order(
        json!([{"sku": RICE, "quantity": kilos}]),
        card(CARD_APPROVED),
    );
    let placed = app.place(customer, &order).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    placed.body
}

fn inr(amount: i64) -> Value {
    json!({"amount": amount, "currency": "INR"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_tier_takes_its_percent_off_a_line_of_enough_units() {
    let app = spawn_app().await;
    app.stock_product(RICE, PRICE, 100).await;
    let admin = app.admin().await;
    let customer = app.customer("Lakshmi").await;
    let tiers = json!({"tiers": [{"min_quantity": 10, "percent_off": 15},
                                 {"min_quantity": 5, "percent_off": 10}]});
    let set = app
        .put(
            &format!("/v1/products/{RICE}/bulk-tiers"),
            Some(&admin),
            &tiers,
        )
        .await;
    assert_eq!(set.status, 200, "{:#}", set.body);
    assert_eq!(set.body["tiers"][0]["min_quantity"], 5, "smallest first");
    let shown = app
        .get(&format!("/v1/products/{RICE}/bulk-tiers"), None)
        .await;
    assert_eq!(shown.body, set.body);

    let four = order_of(&app, &customer, 4).await;
    assert_eq!(four["discounts"], json!([]));
    assert_eq!(four["total"], inr(4 * PRICE));
    let five = order_of(&app, &customer, 5).await;
    assert_eq!(five["discounts"][0]["source"], format!("bulk:{RICE}"));
    assert_eq!(five["discounts"][0]["amount"], inr(5 * PRICE / 10));
    assert_eq!(five["total"], inr(5 * PRICE - 5 * PRICE / 10));
    let twelve = order_of(&app, &customer, 12).await;
    assert_eq!(twelve["total"], inr(12 * PRICE - 12 * PRICE * 15 / 100));

    for (bad, field) in [
        (
            json!({"tiers": [{"min_quantity": 1, "percent_off": 10}]}),
            "tiers[0].min_quantity",
        ),
        (
            json!({"tiers": [{"min_quantity": 5, "percent_off": 95}]}),
            "tiers[0].percent_off",
        ),
        (
            json!({"tiers": [{"min_quantity": 5, "percent_off": 5}, {"min_quantity": 5, "percent_off": 9}]}),
            "tiers[1].min_quantity",
        ),
    ] {
        let answer = app
            .put(
                &format!("/v1/products/{RICE}/bulk-tiers"),
                Some(&admin),
                &bad,
            )
            .await;
        answer.assert_problem(422);
        assert_eq!(answer.fields(), [field]);
    }
    app.put(
        &format!("/v1/products/{RICE}/bulk-tiers"),
        Some(&customer),
        &tiers,
    )
    .await
    .assert_problem(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_festival_offer_prices_the_orders_placed_while_it_holds_and_not_after() {
    let app = spawn_app().await;
    app.stock_product(RICE, PRICE, 100).await;
    let admin = app.admin().await;
    let customer = app.customer("Farah").await;
    let now = Utc::now();
    let ends = now + chrono::Duration::seconds(3);
    let pongal = json!({"name": "Pongal", "percent_off": 20, "categories": ["Fruit"],
                        "starts_at": now - chrono::Duration::hours(1), "ends_at": ends});
    let created = app.post("/v1/offers", Some(&admin), &pongal).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["on"], true);
    let later = json!({"name": "Holi", "percent_off": 30, "skus": [RICE],
                       "starts_at": now + chrono::Duration::days(90),
                       "ends_at": now + chrono::Duration::days(91)});
    assert_eq!(
        app.post("/v1/offers", Some(&admin), &later).await.status,
        201
    );
    app.post("/v1/offers", Some(&admin), &pongal)
        .await
        .assert_problem(409);
    let listed = app.get("/v1/offers", None).await.body;
    let on: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].clone(), o["on"].clone()))
        .collect();
    assert!(on.contains(&(json!("Pongal"), json!(true))), "{listed:#}");
    assert!(on.contains(&(json!("Holi"), json!(false))), "{listed:#}");

    let during = order_of(&app, &customer, 2).await;
    assert_eq!(during["discounts"][0]["source"], "offer:Pongal");
    assert_eq!(during["total"], inr(2 * PRICE - 2 * PRICE / 5));

    let wait = (ends - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(200);
    tokio::time::sleep(wait).await;
    let after = order_of(&app, &customer, 2).await;
    assert_eq!(after["discounts"], json!([]));
    assert_eq!(after["total"], inr(2 * PRICE));

    let backwards = json!({"name": "Oops", "percent_off": 10, "categories": ["Fruit"],
                           "starts_at": now, "ends_at": now});
    let refused = app.post("/v1/offers", Some(&admin), &backwards).await;
    refused.assert_problem(422);
    assert_eq!(refused.fields(), ["ends_at"]);
    app.post("/v1/offers", Some(&customer), &later)
        .await
        .assert_problem(403);
}
