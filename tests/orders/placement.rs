//! Placing an order: the synchronous refusals (out of stock, invalid input)
//! and retries with an `Idempotency-Key`.
//!
//! A refused order must leave no trace (no order, no reservation, no money
//! moved, no message sent), and a retried one must never become a second
//! order: both are what lets a client simply retry on any doubt.

use futures::future::join_all;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::LedgerKind;
use orderly_tests::app::spawn_app;
use orderly_tests::shopper::{card, delivery_order};

fn apples(quantity: i64) -> Value {
    delivery_order(
        json!([{"sku": "APPLE-1KG", "quantity": quantity}]),
        card(CARD_APPROVED),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering_more_than_is_in_stock_is_refused_at_once_naming_the_sku_and_leaves_nothing_behind()
 {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 3).await;
    let customer = app.customer("Asha").await;
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;

    let refused = app.place(&customer, &apples(5)).await;

    refused.assert_complete_problem(409);
    assert_eq!(
        refused.body["type"],
        "https://orderly.dev/problems/out-of-stock"
    );
    assert_eq!(refused.body["sku"], "APPLE-1KG");
    assert_eq!(refused.body["requested"], 5);
    assert_eq!(refused.body["available"], 3);
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("APPLE-1KG"), "{detail}");
    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);

    // The three units were not held back by the refused order.
    let placed = app.place(&customer, &apples(3)).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_with_one_line_out_of_stock_reserves_none_of_its_lines() {
    let app = spawn_app().await;
    app.stock_product("BANANA-DOZEN", 6_000, 10).await;
    app.stock_product("MANGO-1KG", 30_000, 1).await;
    let customer = app.customer("Ravi").await;
    let skus = ["BANANA-DOZEN", "MANGO-1KG"];
    let before = app.footprint(&skus, &[&customer]).await;

    let refused = app
        .place(
            &customer,
            &delivery_order(
                json!([
                    {"sku": "BANANA-DOZEN", "quantity": 2},
                    {"sku": "MANGO-1KG", "quantity": 2}
                ]),
                card(CARD_APPROVED),
            ),
        )
        .await;

    refused.assert_complete_problem(409);
    assert_eq!(refused.body["sku"], "MANGO-1KG");
    assert_eq!(refused.body["available"], 1);
    assert_eq!(app.stock_levels("BANANA-DOZEN").await, (10, 0));
    assert_eq!(app.footprint(&skus, &[&customer]).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_with_the_same_idempotency_key_and_body_returns_the_same_order_and_reserves_once()
{
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;

    let first = app
        .place_with_key(&customer, "checkout-1", &apples(2))
        .await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let id = first.body["id"].as_str().expect("order id").to_owned();

    // The same order written differently (member order, spacing) is the
    // same request.
    let reformatted = format!(
        r#"{{ "fulfillment": {{"address": {{"country": "IN", "postal_code": "411001",
        "city": "Pune", "line1": "12 MG Road", "name": "Asha Rao"}}, "type": "delivery"}},
        "payment": {{"card_number": "{CARD_APPROVED}", "method": "card"}},
        "items": [{{"quantity": 2, "sku": "APPLE-1KG"}}] }}"#
    );
    let retried = app
        .post_raw(
            "/v1/orders",
            Some(&customer),
            "application/json",
            reformatted.into_bytes(),
            &[("Idempotency-Key", "checkout-1")],
        )
        .await;
    assert!(
        retried.status == 200 || retried.status == 201,
        "{:#}",
        retried.body
    );
    assert_eq!(retried.body["id"], id.as_str());

    let again = app
        .place_with_key(&customer, "checkout-1", &apples(2))
        .await;
    assert_eq!(again.body["id"], id.as_str(), "{:#}", again.body);

    let footprint = app.footprint(&["APPLE-1KG"], &[&customer]).await;
    assert_eq!(footprint.order_ids, [id.as_str()]);
    assert_eq!(footprint.stock, [("APPLE-1KG".to_owned(), 10, 2)]);

    app.wait_for_status(&customer, &id, "paid").await;
    let captures = app
        .ledger(&id)
        .await
        .into_iter()
        .filter(|entry| entry.kind == LedgerKind::Capture)
        .count();
    assert_eq!(captures, 1, "the customer was charged more than once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_idempotency_key_place_a_single_order() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let order = apples(3);

    let answers =
        join_all((0..4).map(|_| app.place_with_key(&customer, "double-click", &order))).await;

    let ids: Vec<&Value> = answers.iter().map(|answer| &answer.body["id"]).collect();
    for answer in &answers {
        assert!(
            answer.status == 200 || answer.status == 201,
            "a retry failed: {} {:#}",
            answer.status,
            answer.body
        );
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let footprint = app.footprint(&["APPLE-1KG"], &[&customer]).await;
    assert_eq!(footprint.order_ids.len(), 1);
    assert_eq!(footprint.stock, [("APPLE-1KG".to_owned(), 10, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_an_idempotency_key_for_a_different_order_is_refused_with_422() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let first = app
        .place_with_key(&customer, "checkout-7", &apples(2))
        .await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let before = app.footprint(&["APPLE-1KG"], &[&customer]).await;

    let refused = app
        .place_with_key(&customer, "checkout-7", &apples(4))
        .await;

    refused.assert_complete_problem(422);
    assert_eq!(
        refused.body["type"],
        "https://orderly.dev/problems/idempotency-key-reused"
    );
    assert_eq!(app.footprint(&["APPLE-1KG"], &[&customer]).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_belong_to_the_customer_who_sent_them() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;

    let hers = app.place_with_key(&asha, "cart-1", &apples(1)).await;
    let his = app.place_with_key(&ravi, "cart-1", &apples(1)).await;

    assert_eq!(hers.status, 201, "{:#}", hers.body);
    assert_eq!(his.status, 201, "{:#}", his.body);
    assert_ne!(hers.body["id"], his.body["id"]);
    assert_ne!(hers.body["customer_id"], his.body["customer_id"]);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_stock_refusal_leaves_its_idempotency_key_free_for_the_retry() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 1).await;
    let customer = app.customer("Asha").await;

    let refused = app.place_with_key(&customer, "cart-9", &apples(4)).await;
    refused.assert_complete_problem(409);

    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let placed = app.place_with_key(&customer, "cart-9", &apples(4)).await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 4));
}

/// Places `order` and asserts a 422 naming `field` that wrote nothing.
async fn assert_refused_naming(
    app: &orderly_tests::app::TestApp,
    customer: &str,
    order: &Value,
    field: &str,
) {
    let before = app.footprint(&["APPLE-1KG"], &[customer]).await;
    let refused = app.place(customer, order).await;
    refused.assert_complete_problem(422);
    assert_eq!(
        refused.body["type"], "https://orderly.dev/problems/validation",
        "{:#}",
        refused.body
    );
    assert!(
        refused.fields().iter().any(|f| f == field),
        "expected {field} to be named in {:#}",
        refused.body
    );
    assert_eq!(
        app.footprint(&["APPLE-1KG"], &[customer]).await,
        before,
        "a refused order ({field}) wrote something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_for_a_sku_that_is_not_for_sale_is_422_naming_the_line() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;

    let unknown = delivery_order(
        json!([{"sku": "APPLE-1KG", "quantity": 1}, {"sku": "DRAGONFRUIT", "quantity": 1}]),
        card(CARD_APPROVED),
    );
    assert_refused_naming(&app, &customer, &unknown, "items[1].sku").await;
    let only_unknown = delivery_order(
        json!([{"sku": "NO-SUCH-SKU", "quantity": 1}]),
        card(CARD_APPROVED),
    );
    assert_refused_naming(&app, &customer, &only_unknown, "items[0].sku").await;

    // A product taken off sale is as unknown as one that never existed.
    let mut product = app
        .store
        .catalog()
        .product(&orderly_domain::Sku::parse("APPLE-1KG").expect("SKU"))
        .await
        .expect("reading the product")
        .expect("the product");
    product.active = false;
    app.store
        .catalog()
        .upsert_product(&product)
        .await
        .expect("retiring it");
    assert_refused_naming(&app, &customer, &apples(1), "items[0].sku").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quantity_outside_1_to_1000_is_422_naming_the_line() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 5_000).await;
    let customer = app.customer("Asha").await;

    for quantity in [0, 1001, -1] {
        assert_refused_naming(&app, &customer, &apples(quantity), "items[0].quantity").await;
    }
    let placed = app.place(&customer, &apples(1000)).await;
    assert_eq!(placed.status, 201, "1000 is allowed: {:#}", placed.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_missing_a_field_or_with_a_wrong_type_is_422_naming_the_field() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;

    let mut no_payment = apples(1);
    no_payment
        .as_object_mut()
        .expect("an object")
        .remove("payment");
    assert_refused_naming(&app, &customer, &no_payment, "payment").await;

    let mut no_city = apples(1);
    no_city["fulfillment"]["address"]
        .as_object_mut()
        .expect("an address")
        .remove("city");
    assert_refused_naming(&app, &customer, &no_city, "fulfillment.address.city").await;

    let mut blank_city = apples(1);
    blank_city["fulfillment"]["address"]["city"] = json!("   ");
    assert_refused_naming(&app, &customer, &blank_city, "fulfillment.address.city").await;

    let mut no_sku = apples(1);
    no_sku["items"][0]
        .as_object_mut()
        .expect("a line")
        .remove("sku");
    assert_refused_naming(&app, &customer, &no_sku, "items[0].sku").await;

    let mut quantity_as_text = apples(1);
    quantity_as_text["items"][0]["quantity"] = json!("two");
    assert_refused_naming(&app, &customer, &quantity_as_text, "items[0].quantity").await;

    let mut items_not_a_list = apples(1);
    items_not_a_list["items"] = json!("APPLE-1KG");
    assert_refused_naming(&app, &customer, &items_not_a_list, "items").await;

    let mut no_items = apples(1);
    no_items["items"] = json!([]);
    assert_refused_naming(&app, &customer, &no_items, "items").await;

    let twice = delivery_order(
        json!([{"sku": "APPLE-1KG", "quantity": 1}, {"sku": "APPLE-1KG", "quantity": 2}]),
        card(CARD_APPROVED),
    );
    assert_refused_naming(&app, &customer, &twice, "items[1].sku").await;

    let mut bad_country = apples(1);
    bad_country["fulfillment"]["address"]["country"] = json!("India");
    assert_refused_naming(&app, &customer, &bad_country, "fulfillment.address.country").await;

    let mut unknown_member = apples(1);
    unknown_member["coupon"] = json!("FREE");
    assert_refused_naming(&app, &customer, &unknown_member, "coupon").await;

    let mut unknown_method = apples(1);
    unknown_method["payment"] = json!({"method": "bitcoin"});
    assert_refused_naming(&app, &customer, &unknown_method, "payment.method").await;

    let mut bad_vpa = apples(1);
    bad_vpa["payment"] = json!({"method": "upi", "vpa": "no-at-sign"});
    assert_refused_naming(&app, &customer, &bad_vpa, "payment.vpa").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_card_number_is_422_at_payment_card_number() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;

    for number in [
        "4242424242424241",
        "4242",
        "4242-4242-4242-424x",
        "",
        "42424242424242424242424242",
    ] {
        let order = delivery_order(json!([{"sku": "APPLE-1KG", "quantity": 1}]), card(number));
        assert_refused_naming(&app, &customer, &order, "payment.card_number").await;
    }
    let mut missing = apples(1);
    missing["payment"] = json!({"method": "card"});
    assert_refused_naming(&app, &customer, &missing, "payment.card_number").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_total_would_overflow_is_422_not_a_crash() {
    let app = spawn_app().await;
    app.stock_product("GOLD-BAR", i64::MAX / 10, 5_000).await;
    let customer = app.customer("Asha").await;
    let before = app.footprint(&["GOLD-BAR"], &[&customer]).await;

    let refused = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "GOLD-BAR", "quantity": 1000}]),
                card(CARD_APPROVED),
            ),
        )
        .await;

    refused.assert_complete_problem(422);
    assert_eq!(refused.fields(), ["items[0].quantity"]);
    assert_eq!(app.footprint(&["GOLD-BAR"], &[&customer]).await, before);
}
