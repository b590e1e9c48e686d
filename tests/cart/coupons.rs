//! Coupons through the REST API: created by admins, applied in the cart,
//! checked again and redeemed at checkout, the last use going to exactly
//! one of the checkouts racing for it, and refunds and returns of a
//! discounted order giving back what was paid, to the paisa.

use std::time::Duration;

use futures::future::join_all;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::ReturnWindows;
use orderly_tests::app::{TestApp, TestOptions, spawn_app, spawn_app_with};
use orderly_tests::shopper::{Answer, card};

use crate::cart::{add, checkout, home_delivery, money};

const MANGO: &str = "ALPHONSO-1KG";
/// ₹899.00 a box.
const PRICE: i64 = 89_900;

async fn create(app: &TestApp, admin: &str, coupon: &Value) -> Answer {
    app.post("/v1/coupons", Some(admin), coupon).await
}

async fn apply(app: &TestApp, token: &str, code: &str) -> Answer {
    app.post("/v1/cart/coupon", Some(token), &json!({"code": code}))
        .await
}

async fn uses(app: &TestApp, admin: &str, code: &str) -> i64 {
    let listed = app.get("/v1/coupons", Some(admin)).await;
    listed
        .body
        .as_array()
        .expect("coupons")
        .iter()
        .find(|c| c["code"] == code)
        .and_then(|c| c["uses"].as_i64())
        .expect("the coupon is listed")
}

/// A customer with `boxes` boxes in the cart and `code` applied.
async fn shopper_with(app: &TestApp, name: &str, boxes: i64, code: &str) -> String {
    let customer = app.customer(name).await;
    assert_eq!(add(app, &customer, MANGO, boxes).await.status, 200);
    let applied = apply(app, &customer, code).await;
    assert_eq!(applied.status, 200, "{:#}", applied.body);
    customer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_applied_in_the_cart_comes_off_the_order_and_shows_where_it_came_from() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    let created = create(&app, &admin, &json!({"code": "mango10", "percent_off": 10})).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["code"], "MANGO10");

    let customer = shopper_with(&app, "Asha", 3, "Mango10").await;
    let cart = app.get("/v1/cart", Some(&customer)).await.body;
    assert_eq!(cart["coupon"], "MANGO10");
    let placed = checkout(
        &app,
        &customer,
        "with-coupon",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let discount = 3 * PRICE / 10;
    assert_eq!(placed.body["total"], money(3 * PRICE - discount));
    assert_eq!(placed.body["discounts"][0]["source"], "coupon:MANGO10");
    assert_eq!(placed.body["discounts"][0]["amount"], money(discount));
    let id = placed.body["id"].as_str().unwrap().to_owned();
    let paid = app.wait_for_status(&customer, &id, "paid").await;
    assert_eq!(
        paid["payment"]["receipt"]["captured"],
        money(3 * PRICE - discount)
    );
    assert_eq!(uses(&app, &admin, "MANGO10").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_use_of_a_coupon_goes_to_exactly_one_of_the_checkouts_racing_for_it() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 50).await;
    let admin = app.admin().await;
    let created = create(
        &app,
        &admin,
        &json!({"code": "LASTONE", "amount_off": 10_000, "total_uses": 1}),
    )
    .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let mut customers = Vec::new();
    for n in 0..5 {
        customers.push(shopper_with(&app, &format!("Racer{n}"), 1, "LASTONE").await);
    }
    let body = home_delivery(card(CARD_APPROVED));
    let answers = join_all(
        customers
            .iter()
            .map(|customer| checkout(&app, customer, "race", &body)),
    )
    .await;
    let placed: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(placed.len(), 1, "{answers:#?}");
    assert_eq!(placed[0].body["total"], money(PRICE - 10_000));
    for refused in answers.iter().filter(|a| a.status != 201) {
        refused.assert_complete_problem(409);
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("no uses left"),
            "{:#}",
            refused.body
        );
    }
    assert_eq!(uses(&app, &admin, "LASTONE").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coupons_that_do_not_apply_are_refused_naming_why() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    for (coupon, field) in [
        (
            json!({"code": "BOTH", "percent_off": 5, "amount_off": 100}),
            "percent_off",
        ),
        (json!({"code": "x", "percent_off": 5}), "code"),
        (json!({"code": "HUGE", "percent_off": 101}), "percent_off"),
        (
            json!({"code": "BACKWARDS", "percent_off": 5,
                   "starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}),
            "ends_at",
        ),
    ] {
        let answer = create(&app, &admin, &coupon).await;
        answer.assert_problem(422);
        assert_eq!(answer.fields(), [field], "{coupon}");
    }
    let customer = app.customer("Ravi").await;
    create(&app, &customer, &json!({"code": "MINE", "percent_off": 50}))
        .await
        .assert_problem(403);
    let past = json!({"code": "DIWALI", "percent_off": 20,
                      "starts_at": "2026-10-20T00:00:00Z", "ends_at": "2026-11-05T00:00:00Z"});
    assert_eq!(create(&app, &admin, &past).await.status, 201);
    let big = json!({"code": "BIGBASKET", "percent_off": 5, "min_basket": 2 * PRICE});
    assert_eq!(create(&app, &admin, &big).await.status, 201);
    let once = json!({"code": "ONCE", "percent_off": 5, "per_customer": 1});
    assert_eq!(create(&app, &admin, &once).await.status, 201);
    create(&app, &admin, &once).await.assert_problem(409);

    assert_eq!(add(&app, &customer, MANGO, 1).await.status, 200);
    let expired = apply(&app, &customer, "DIWALI").await;
    expired.assert_complete_problem(422);
    assert!(expired.body["detail"].as_str().unwrap().contains("expired"));
    let small = apply(&app, &customer, "BIGBASKET").await;
    small.assert_complete_problem(422);
    assert!(small.body["detail"].as_str().unwrap().contains("needs"));
    apply(&app, &customer, "NOSUCH").await.assert_problem(404);
    assert_eq!(
        app.get("/v1/cart", Some(&customer)).await.body["coupon"],
        Value::Null
    );

    assert_eq!(apply(&app, &customer, "ONCE").await.status, 200);
    let body = home_delivery(card(CARD_APPROVED));
    assert_eq!(checkout(&app, &customer, "first", &body).await.status, 201);
    assert_eq!(add(&app, &customer, MANGO, 1).await.status, 200);
    assert_eq!(apply(&app, &customer, "ONCE").await.status, 200);
    let again = checkout(&app, &customer, "second", &body).await;
    again.assert_complete_problem(409);
    assert!(again.body["detail"].as_str().unwrap().contains("as often"));
    assert_eq!(uses(&app, &admin, "ONCE").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_that_places_nothing_gives_its_coupon_use_back() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 2).await;
    let admin = app.admin().await;
    let one = json!({"code": "ONLYONE", "percent_off": 5, "total_uses": 1});
    assert_eq!(create(&app, &admin, &one).await.status, 201);
    let customer = shopper_with(&app, "Meera", 2, "ONLYONE").await;
    // The stock goes while the boxes sit in the cart.
    let counted = app
        .put(
            &format!("/v1/inventory/{MANGO}"),
            Some(&admin),
            &json!({"on_hand": 1}),
        )
        .await;
    assert_eq!(counted.status, 200, "{:#}", counted.body);
    let refused = checkout(
        &app,
        &customer,
        "too-late",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(refused.status, 409, "{:#}", refused.body);
    assert_eq!(uses(&app, &admin, "ONLYONE").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_of_a_discounted_order_give_back_what_each_unit_was_paid_to_the_paisa() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    let odd = json!({"code": "ODD", "amount_off": 10_001});
    assert_eq!(create(&app, &admin, &odd).await.status, 201);
    let customer = shopper_with(&app, "Kiran", 3, "ODD").await;
    let placed = checkout(&app, &customer, "odd", &home_delivery(card(CARD_APPROVED))).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let paid_total = 3 * PRICE - 10_001;
    assert_eq!(placed.body["total"], money(paid_total));
    let id = placed.body["id"].as_str().unwrap().to_owned();
    app.wait_for_status(&customer, &id, "paid").await;

    let refund = |quantity: i64| json!({"lines": [{"sku": MANGO, "quantity": quantity}], "reason": "bruised"});
    let path = format!("/v1/orders/{id}/refunds");
    let first = app.post(&path, Some(&admin), &refund(1)).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    // ₹100.01 over three boxes: 33.33 off the first, 33.34 off each other.
    assert_eq!(first.body["amount"], money(PRICE - 3_333));
    let rest = app.post(&path, Some(&admin), &refund(2)).await;
    assert_eq!(rest.status, 201, "{:#}", rest.body);
    assert_eq!(rest.body["amount"], money(2 * PRICE - 6_668));
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(order["payment"]["receipt"]["refunded"], money(paid_total));
    assert_eq!(order["payment"]["status"], "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_return_of_a_discounted_order_refunds_what_the_returned_unit_was_paid_to_the_paisa()
 {
    let app = spawn_app_with(TestOptions {
        return_windows: ReturnWindows {
            default_secs: 3600,
            by_category: Default::default(),
        },
        ..TestOptions::default()
    })
    .await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    let odd = json!({"code": "ODD", "amount_off": 10_001});
    assert_eq!(create(&app, &admin, &odd).await.status, 201);
    let customer = shopper_with(&app, "Kiran", 3, "ODD").await;
    let placed = checkout(&app, &customer, "odd", &home_delivery(card(CARD_APPROVED))).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().unwrap().to_owned();
    app.wait_for_status(&customer, &id, "paid").await;
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    app.wait_for(&customer, &id, Duration::from_secs(30), |o| {
        o["status"] == "delivered"
    })
    .await;

    let returns = format!("/v1/orders/{id}/returns");
    let one_box = json!({"lines": [{"sku": MANGO, "quantity": 1}], "reason": "bruised"});
    let asked = app.post(&returns, Some(&customer), &one_box).await;
    assert_eq!(asked.status, 201, "{:#}", asked.body);
    let approval = json!({"approve": true, "reason": "the photo shows it"});
    let approved = app
        .post(&format!("{returns}/1/review"), Some(&admin), &approval)
        .await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    let received = app
        .post(&format!("{returns}/1/receive"), Some(&admin), &json!({}))
        .await;
    assert_eq!(received.status, 200, "{:#}", received.body);
    let inspection = json!({"lines": [{"sku": MANGO, "restocked": 0, "written_off": 1}]});
    let inspected = app
        .post(
            &format!("{returns}/1/inspection"),
            Some(&admin),
            &inspection,
        )
        .await;
    assert_eq!(inspected.body["status"], "refunded", "{:#}", inspected.body);

    // ₹100.01 over three boxes: the first box returned carried 33.33 of it.
    let order = app
        .get(&format!("/v1/orders/{id}"), Some(&customer))
        .await
        .body;
    assert_eq!(
        order["refunds"][0]["amount"],
        money(PRICE - 3_333),
        "{order:#}"
    );
    assert_eq!(
        order["payment"]["receipt"]["refunded"],
        money(PRICE - 3_333)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_takes_its_percent_off_what_a_bulk_tier_left() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    let tiers = json!({"tiers": [{"min_quantity": 5, "percent_off": 10}]});
    let set = app
        .put(
            &format!("/v1/products/{MANGO}/bulk-tiers"),
            Some(&admin),
            &tiers,
        )
        .await;
    assert_eq!(set.status, 200, "{:#}", set.body);
    let ten = json!({"code": "TENMORE", "percent_off": 10});
    assert_eq!(create(&app, &admin, &ten).await.status, 201);
    let customer = shopper_with(&app, "Divya", 5, "TENMORE").await;
    let placed = checkout(
        &app,
        &customer,
        "stacked",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let lines = 5 * PRICE;
    let bulk = lines / 10;
    let coupon = (lines - bulk) / 10;
    let sources: Vec<_> = placed.body["discounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["source"].clone(), d["amount"]["amount"].clone()))
        .collect();
    assert_eq!(
        sources,
        [
            (json!(format!("bulk:{MANGO}")), json!(bulk)),
            (json!("coupon:TENMORE"), json!(coupon)),
        ]
    );
    assert_eq!(placed.body["total"], money(lines - bulk - coupon));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_order_keeps_its_coupon_worked_out_again_over_the_edited_lines() {
    let app = spawn_app().await;
    app.stock_product(MANGO, PRICE, 20).await;
    let admin = app.admin().await;
    let ten = json!({"code": "MANGO10", "percent_off": 10, "min_basket": 2 * PRICE});
    assert_eq!(create(&app, &admin, &ten).await.status, 201);
    let customer = shopper_with(&app, "Farah", 3, "MANGO10").await;
    let placed = checkout(
        &app,
        &customer,
        "edit-me",
        &home_delivery(card(CARD_APPROVED)),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    let id = placed.body["id"].as_str().unwrap().to_owned();
    app.wait_for_status(&customer, &id, "paid").await;

    let edits = format!("/v1/orders/{id}/edits");
    let four = json!({"lines": [{"sku": MANGO, "quantity": 4}]});
    let edited = app.post(&edits, Some(&customer), &four).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["discounts"][0]["source"], "coupon:MANGO10");
    assert_eq!(edited.body["discounts"][0]["amount"], money(4 * PRICE / 10));
    assert_eq!(edited.body["total"], money(4 * PRICE - 4 * PRICE / 10));
    // 10% of the added box is charged: ₹809.10.
    assert_eq!(
        edited.body["versions"][1]["difference"],
        money(PRICE - PRICE / 10)
    );
    assert_eq!(
        edited.body["payment"]["receipt"]["captured"],
        money(4 * PRICE - 4 * PRICE / 10)
    );
    assert_eq!(uses(&app, &admin, "MANGO10").await, 1, "no second use");

    // One box is below the coupon's minimum basket of two: refused, and
    // nothing changes.
    let one = json!({"lines": [{"sku": MANGO, "quantity": 1}]});
    let refused = app.post(&edits, Some(&customer), &one).await;
    refused.assert_complete_problem(409);
    assert!(
        refused.body["detail"].as_str().unwrap().contains("MANGO10"),
        "{:#}",
        refused.body
    );
    let now = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    assert_eq!(now.body["items"][0]["quantity"], 4);
}
