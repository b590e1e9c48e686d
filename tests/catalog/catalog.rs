//! The catalogue and its stock over HTTP: public product pages, and the
//! inventory counts only staff may read and only admins may correct,
//! never below what open orders have reserved.

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::{Role, Sku};
use orderly_store::NewUser;
use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::shopper::{card, delivery_order};

fn skus_of(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page:#}"))
        .iter()
        .map(|product| product["sku"].as_str().expect("a SKU"))
        .collect()
}

async fn retire(app: &TestApp, sku: &str) {
    let mut product = app
        .store
        .catalog()
        .product(&Sku::parse(sku).expect("SKU"))
        .await
        .expect("reading the product")
        .expect("the product");
    product.active = false;
    app.store
        .catalog()
        .upsert_product(&product)
        .await
        .expect("retiring the product");
}

/// Orders `quantity` of `sku` by card and returns the order id.
async fn order(app: &TestApp, token: &str, sku: &str, quantity: u32) -> String {
    let placed = app
        .place(
            token,
            &delivery_order(
                json!([{"sku": sku, "quantity": quantity}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    placed.body["id"].as_str().expect("order id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_product_list_is_public_and_pages_by_sku_hiding_products_off_sale() {
    let app = spawn_app().await;
    for (sku, on_hand) in [
        ("APPLE-1KG", 10),
        ("BANANA-DOZEN", 0),
        ("CHERRY-250G", 4),
        ("DATES-500G", 7),
    ] {
        app.stock_product(sku, 12_000, on_hand).await;
    }
    retire(&app, "CHERRY-250G").await;

    let everything = app.get("/v1/products", None).await;
    assert_eq!(everything.status, 200, "{:#}", everything.body);
    assert_eq!(
        skus_of(&everything.body),
        ["APPLE-1KG", "BANANA-DOZEN", "DATES-500G"]
    );
    assert_eq!(everything.body["next_cursor"], Value::Null);
    let apple = &everything.body["items"][0];
    assert_eq!(apple["price"], json!({"amount": 12_000, "currency": "INR"}));
    assert_eq!(apple["available"], 10);
    assert_eq!(apple["unit"], "each");
    assert_eq!(everything.body["items"][1]["available"], 0);

    let first = app.get("/v1/products?limit=2", None).await;
    assert_eq!(skus_of(&first.body), ["APPLE-1KG", "BANANA-DOZEN"]);
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let second = app
        .get(&format!("/v1/products?limit=2&cursor={cursor}"), None)
        .await;
    assert_eq!(second.status, 200, "{:#}", second.body);
    assert_eq!(skus_of(&second.body), ["DATES-500G"]);
    assert_eq!(second.body["next_cursor"], Value::Null);

    let bad_limit = app.get("/v1/products?limit=0", None).await;
    bad_limit.assert_complete_problem(422);
    assert_eq!(bad_limit.fields(), ["limit"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_product_is_shown_by_its_sku_and_an_unknown_or_retired_one_is_404() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    app.stock_product("OLD-STOCK", 1_000, 10).await;
    retire(&app, "OLD-STOCK").await;

    let apple = app.get("/v1/products/APPLE-1KG", None).await;
    assert_eq!(apple.status, 200, "{:#}", apple.body);
    assert_eq!(apple.body["sku"], "APPLE-1KG");
    assert_eq!(apple.body["available"], 10);

    let unknown = app.get("/v1/products/DRAGONFRUIT", None).await;
    unknown.assert_complete_problem(404);
    assert_eq!(
        unknown.body["type"],
        "https://orderly.dev/problems/not-found"
    );
    app.get("/v1/products/OLD-STOCK", None)
        .await
        .assert_complete_problem(404);
    let malformed = app.get("/v1/products/apple%201kg", None).await;
    malformed.assert_complete_problem(422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn available_stock_is_on_hand_minus_what_orders_reserved() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    order(&app, &customer, "APPLE-1KG", 3).await;

    let stock = app.get("/v1/inventory/APPLE-1KG", Some(&admin)).await;
    assert_eq!(stock.status, 200, "{:#}", stock.body);
    let totals = |body: &serde_json::Value| {
        json!({"sku": body["sku"], "on_hand": body["on_hand"], "reserved": body["reserved"],
               "available": body["available"]})
    };
    assert_eq!(
        totals(&stock.body),
        json!({"sku": "APPLE-1KG", "on_hand": 10, "reserved": 3, "available": 7})
    );
    // All of it sits in the one warehouse every shop starts with.
    assert_eq!(stock.body["warehouses"][0]["name"], "Main warehouse");
    assert_eq!(stock.body["warehouses"][0]["reserved"], 3);
    let product = app.get("/v1/products/APPLE-1KG", None).await;
    assert_eq!(product.body["available"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_corrects_the_stock_count_and_new_orders_see_it() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 2).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;

    let set = app
        .put(
            "/v1/inventory/APPLE-1KG",
            Some(&admin),
            &json!({"on_hand": 25}),
        )
        .await;

    assert_eq!(set.status, 200, "{:#}", set.body);
    assert_eq!(
        (
            &set.body["on_hand"],
            &set.body["reserved"],
            &set.body["available"]
        ),
        (&json!(25), &json!(0), &json!(25)),
        "{:#}",
        set.body
    );
    assert_eq!(set.body["warehouses"][0]["on_hand"], 25);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (25, 0));
    order(&app, &customer, "APPLE-1KG", 20).await;
    assert_eq!(app.stock_levels("APPLE-1KG").await, (25, 20));

    // A product that was never counted reads as zero stock.
    let product = app
        .store
        .catalog()
        .product(&Sku::parse("APPLE-1KG").expect("SKU"))
        .await;
    let mut uncounted = product.expect("reading").expect("the product");
    uncounted.sku = Sku::parse("FIG-6").expect("SKU");
    app.store
        .catalog()
        .upsert_product(&uncounted)
        .await
        .expect("a new product");
    let zero = app.get("/v1/inventory/FIG-6", Some(&admin)).await;
    assert_eq!(zero.status, 200, "{:#}", zero.body);
    assert_eq!(zero.body["on_hand"], 0);
    assert_eq!(zero.body["available"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_cannot_be_set_below_what_open_orders_reserved() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    order(&app, &customer, "APPLE-1KG", 4).await;

    let refused = app
        .put(
            "/v1/inventory/APPLE-1KG",
            Some(&admin),
            &json!({"on_hand": 3}),
        )
        .await;

    refused.assert_complete_problem(409);
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("4 units"), "{detail}");
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 4));

    let exactly_reserved = app
        .put(
            "/v1/inventory/APPLE-1KG",
            Some(&admin),
            &json!({"on_hand": 4}),
        )
        .await;
    assert_eq!(exactly_reserved.status, 200, "{:#}", exactly_reserved.body);
    assert_eq!(exactly_reserved.body["available"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_is_read_and_changed_only_by_admins_and_the_products_seller() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let seller_hash = orderly_api::auth::hash_password("seller-password-1".into())
        .await
        .expect("hashing");
    app.store
        .accounts()
        .insert_user(&NewUser {
            email: "seller@orderly.test".into(),
            name: "Sunil".into(),
            password_hash: seller_hash,
            role: Role::Seller,
        })
        .await
        .expect("a seller");
    let seller_login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "seller@orderly.test", "password": "seller-password-1"}),
        )
        .await;
    let seller = seller_login.body["access_token"]
        .as_str()
        .expect("a seller token")
        .to_owned();

    let read = app.get("/v1/inventory/APPLE-1KG", Some(&customer)).await;
    read.assert_complete_problem(403);
    assert_eq!(read.body["type"], "https://orderly.dev/problems/forbidden");
    app.get("/v1/inventory/APPLE-1KG", None)
        .await
        .assert_complete_problem(401);
    // The shop's own product is not this seller's: what its stock cost and
    // who supplied it is none of their business.
    app.get("/v1/inventory/APPLE-1KG", Some(&seller))
        .await
        .assert_complete_problem(403);
    assert_eq!(
        app.get("/v1/inventory/APPLE-1KG", Some(&admin)).await.body["on_hand"],
        10
    );

    for token in [&customer, &seller] {
        app.put(
            "/v1/inventory/APPLE-1KG",
            Some(token),
            &json!({"on_hand": 1000}),
        )
        .await
        .assert_complete_problem(403);
    }
    app.put("/v1/inventory/APPLE-1KG", None, &json!({"on_hand": 1000}))
        .await
        .assert_complete_problem(401);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_stock_correction_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let admin = app.admin().await;

    let negative = app
        .put(
            "/v1/inventory/APPLE-1KG",
            Some(&admin),
            &json!({"on_hand": -1}),
        )
        .await;
    negative.assert_complete_problem(422);
    assert_eq!(negative.fields(), ["on_hand"]);
    // Past a billion units a restock could later overflow the sums of stock.
    for on_hand in [1_000_000_001_i64, i64::MAX] {
        let huge = app
            .put(
                "/v1/inventory/APPLE-1KG",
                Some(&admin),
                &json!({ "on_hand": on_hand }),
            )
            .await;
        huge.assert_complete_problem(422);
        assert_eq!(huge.fields(), ["on_hand"]);
    }
    assert_eq!(
        app.put(
            "/v1/inventory/APPLE-1KG",
            Some(&admin),
            &json!({"on_hand": 1_000_000_000_i64})
        )
        .await
        .status,
        200
    );
    app.put(
        "/v1/inventory/APPLE-1KG",
        Some(&admin),
        &json!({"on_hand": 10}),
    )
    .await;
    for body in [
        json!({"on_hand": "ten"}),
        json!({}),
        json!({"on_hand": 1e40}),
    ] {
        let refused = app
            .put("/v1/inventory/APPLE-1KG", Some(&admin), &body)
            .await;
        refused.assert_complete_problem(422);
        assert_eq!(refused.fields(), ["on_hand"], "{body}");
    }
    app.put(
        "/v1/inventory/NO-SUCH-SKU",
        Some(&admin),
        &json!({"on_hand": 5}),
    )
    .await
    .assert_complete_problem(404);
    assert!(
        app.store
            .inventory()
            .stock(&Sku::parse("NO-SUCH-SKU").expect("SKU"))
            .await
            .expect("reading stock")
            .is_none()
    );
    app.get("/v1/inventory/NO-SUCH-SKU", Some(&admin))
        .await
        .assert_complete_problem(404);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 0));
}
