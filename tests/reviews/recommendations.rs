//! Recommendations over HTTP, from an order history written straight into
//! the read model: planted co-purchase pairs must surface as "bought
//! together", a new customer sees best sellers, a returning one the
//! partners of what they bought, and only received orders count.

use chrono::{Datelike, Utc};
use serde_json::Value;

use orderly_domain::{OrderId, OrderStatus, Sku, UserId};
use orderly_recommendations::seasons;
use orderly_store::ProfileChanges;
use orderly_tests::app::{TestApp, spawn_app};

fn skus_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list:#}"))
        .iter()
        .map(|item| item["sku"].as_str().expect("a SKU").to_owned())
        .collect()
}

async fn bought_together(app: &TestApp, sku: &str) -> Value {
    let answer = app
        .get(&format!("/v1/products/{sku}/recommendations"), None)
        .await;
    assert_eq!(answer.status, 200, "{sku}: {:#}", answer.body);
    answer.body
}

async fn mine(app: &TestApp, token: &str) -> Value {
    let answer = app.get("/v1/me/recommendations", Some(token)).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    answer.body
}

async fn edit_product(app: &TestApp, sku: &str, edit: impl FnOnce(&mut orderly_store::Product)) {
    let mut product = app
        .store
        .catalog()
        .product(&Sku::parse(sku).expect("SKU"))
        .await
        .expect("reading the product")
        .expect("the product");
    edit(&mut product);
    app.store
        .catalog()
        .upsert_product(&product)
        .await
        .expect("saving the product");
}

/// xorshift64: a reproducible order history without a dependency.
struct Noise(u64);

impl Noise {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_partners_appear_in_the_top_five_bought_together_for_nine_in_ten_products() {
    let app = spawn_app().await;
    const PAIRS: usize = 20;
    const NOISE: usize = 60;
    const ORDERS: usize = 300;
    let pair = |side: &str, i: usize| format!("PAIR-{side}-{i:02}");
    let noise = |i: usize| format!("NOISE-{i:02}");
    let staples = ["STAPLE-MILK", "STAPLE-BREAD", "STAPLE-EGGS"];
    for i in 0..PAIRS {
        app.stock_product(&pair("A", i), 5_000, 100).await;
        app.stock_product(&pair("B", i), 5_000, 100).await;
    }
    for i in 0..NOISE {
        app.stock_product(&noise(i), 2_000, 100).await;
    }
    for staple in staples {
        app.stock_product(staple, 3_000, 100).await;
    }
    let customers: Vec<UserId> = (0..30).map(|_| UserId::new()).collect();
    let mut rng = Noise(0x9E37_79B9_7F4A_7C15);
    for k in 0..ORDERS {
        // Each pair is in 15 orders: both halves in four of five, one half
        // alone otherwise; every staple is in about half of all orders, and
        // up to three random items are thrown in.
        let i = k % PAIRS;
        let mut basket = match rng.below(10) {
            0 => vec![pair("A", i)],
            1 => vec![pair("B", i)],
            _ => vec![pair("A", i), pair("B", i)],
        };
        for staple in staples {
            if rng.below(2) == 0 {
                basket.push(staple.to_owned());
            }
        }
        for _ in 0..rng.below(4) {
            let extra = noise(rng.below(NOISE as u64) as usize);
            if !basket.contains(&extra) {
                basket.push(extra);
            }
        }
        let basket: Vec<&str> = basket.iter().map(String::as_str).collect();
        app.deliver_directly(customers[k % customers.len()], &basket)
            .await;
    }
    edit_product(&app, &noise(0), |p| p.active = false).await;

    let mut found = 0;
    let mut misses = Vec::new();
    for i in 0..PAIRS {
        for (sku, partner) in [(pair("A", i), pair("B", i)), (pair("B", i), pair("A", i))] {
            let list = bought_together(&app, &sku).await;
            let skus = skus_of(&list);
            assert!(skus.len() <= 10, "{sku}: at most ten: {skus:?}");
            assert!(!skus.contains(&sku), "{sku} recommends itself: {skus:?}");
            assert!(
                !skus.contains(&noise(0)),
                "{sku}: an inactive product: {skus:?}"
            );
            if skus.iter().take(5).any(|s| *s == partner) {
                found += 1;
            } else {
                misses.push((sku.clone(), skus));
            }
            let first = &list["items"][0];
            assert_eq!(first["reason"], "bought_together");
            assert!(
                first["bought_together"].as_i64().unwrap_or(0) > 0,
                "{first:#}"
            );
        }
    }
    let share = f64::from(found) / (2 * PAIRS) as f64;
    assert!(
        share >= 0.9,
        "partners in the top five for {found} of {} products; misses: {misses:#?}",
        2 * PAIRS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_customer_is_shown_the_best_sellers_most_ordered_first() {
    let app = spawn_app().await;
    for sku in ["BEST-ONE", "BEST-TWO", "BEST-THREE", "OFF-SALE"] {
        app.stock_product(sku, 5_000, 100).await;
    }
    let regular = UserId::new();
    for _ in 0..5 {
        app.deliver_directly(regular, &["BEST-ONE", "OFF-SALE"])
            .await;
    }
    for _ in 0..3 {
        app.deliver_directly(regular, &["BEST-TWO"]).await;
    }
    app.deliver_directly(regular, &["BEST-THREE"]).await;
    edit_product(&app, "OFF-SALE", |p| p.active = false).await;

    let newcomer = app.customer("Nisha").await;
    let list = mine(&app, &newcomer).await;
    assert_eq!(skus_of(&list), ["BEST-ONE", "BEST-TWO", "BEST-THREE"]);
    for item in list["items"].as_array().expect("items") {
        assert_eq!(item["reason"], "best_seller", "{item:#}");
    }
    assert_eq!(list["items"][0]["score"], 5.0);
    assert_eq!(list["items"][0]["rating"]["count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_bought_a_product_is_shown_its_partner_and_not_the_product() {
    let app = spawn_app().await;
    for sku in ["DOSA-BATTER", "COCONUT-CHUTNEY", "RICE-5KG", "TEA-250G"] {
        app.stock_product(sku, 5_000, 100).await;
    }
    let others = UserId::new();
    for _ in 0..6 {
        app.deliver_directly(others, &["DOSA-BATTER", "COCONUT-CHUTNEY"])
            .await;
    }
    for _ in 0..8 {
        app.deliver_directly(others, &["TEA-250G"]).await;
    }
    app.deliver_directly(others, &["RICE-5KG", "TEA-250G"])
        .await;

    let token = app.customer("Lakshmi").await;
    let me = app.account_id(&token).await;
    app.deliver_directly(me, &["DOSA-BATTER"]).await;

    let list = mine(&app, &token).await;
    let skus = skus_of(&list);
    assert_eq!(skus[0], "COCONUT-CHUTNEY", "{list:#}");
    assert_eq!(list["items"][0]["reason"], "bought_together");
    assert_eq!(
        list["items"][0]["because_of"],
        serde_json::json!(["DOSA-BATTER"])
    );
    assert!(!skus.contains(&"DOSA-BATTER".to_owned()), "{skus:?}");
    assert!(
        skus.contains(&"TEA-250G".to_owned()),
        "best sellers fill the rest: {skus:?}"
    );

    // Once they have the partner too, it is no longer recommended.
    app.deliver_directly(me, &["COCONUT-CHUTNEY"]).await;
    let skus = skus_of(&mine(&app, &token).await);
    assert!(!skus.contains(&"COCONUT-CHUTNEY".to_owned()), "{skus:?}");
    assert!(!skus.contains(&"DOSA-BATTER".to_owned()), "{skus:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_in_season_is_shown_and_preferences_move_matching_products_ahead() {
    let app = spawn_app().await;
    let word = seasons::in_season(Utc::now().month())[0];
    for sku in ["IN-SEASON", "POPULAR", "ORGANIC-GREENS"] {
        app.stock_product(sku, 5_000, 100).await;
    }
    edit_product(&app, "IN-SEASON", |p| p.name = format!("Fresh {word}")).await;
    edit_product(&app, "ORGANIC-GREENS", |p| p.attributes.organic = true).await;
    let others = UserId::new();
    for _ in 0..5 {
        app.deliver_directly(others, &["POPULAR"]).await;
    }
    for _ in 0..2 {
        app.deliver_directly(others, &["ORGANIC-GREENS"]).await;
    }

    let plain = app.customer("Arjun").await;
    let list = mine(&app, &plain).await;
    assert_eq!(skus_of(&list), ["IN-SEASON", "POPULAR", "ORGANIC-GREENS"]);
    assert_eq!(list["items"][0]["reason"], "seasonal");

    let organic = app.customer("Dia").await;
    let id = app.account_id(&organic).await;
    app.store
        .accounts()
        .update_profile(
            id,
            &ProfileChanges {
                organic: Some(true),
                ..ProfileChanges::default()
            },
        )
        .await
        .expect("setting a preference");
    let list = mine(&app, &organic).await;
    assert_eq!(skus_of(&list), ["IN-SEASON", "ORGANIC-GREENS", "POPULAR"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_delivered_or_collected_orders_count_as_bought_together() {
    let app = spawn_app().await;
    for sku in ["CHAI-MASALA", "GINGER-100G", "LEMON-6"] {
        app.stock_product(sku, 5_000, 100).await;
    }
    let customer = UserId::new();
    let delivered = app
        .deliver_directly(customer, &["CHAI-MASALA", "GINGER-100G"])
        .await;
    let template = app
        .store
        .orders()
        .order(delivered)
        .await
        .expect("reading the order")
        .expect("the order");

    // A paid order holding CHAI-MASALA and LEMON-6 says nothing yet...
    let mut open = template.clone();
    open.id = OrderId::new();
    open.status = OrderStatus::Paid;
    open.version = 2;
    open.items[1].sku = Sku::parse("LEMON-6").expect("SKU");
    app.store
        .orders()
        .upsert_order(&open)
        .await
        .expect("a paid order");
    assert_eq!(
        skus_of(&bought_together(&app, "CHAI-MASALA").await),
        ["GINGER-100G"]
    );

    // ...until it is collected; a late replay of its paid state changes
    // nothing.
    let mut collected = open.clone();
    collected.status = OrderStatus::PickedUp;
    collected.version = 5;
    app.store
        .orders()
        .upsert_order(&collected)
        .await
        .expect("collected");
    app.store
        .orders()
        .upsert_order(&open)
        .await
        .expect("a stale replay");
    app.store
        .orders()
        .upsert_order(&collected)
        .await
        .expect("a retried write");
    let list = bought_together(&app, "CHAI-MASALA").await;
    assert_eq!(skus_of(&list).len(), 2, "{list:#}");
    assert!(skus_of(&list).contains(&"LEMON-6".to_owned()));
    for item in list["items"].as_array().expect("items") {
        assert_eq!(item["bought_together"], 1, "counted once: {item:#}");
    }
    let stored = app
        .store
        .orders()
        .order(open.id)
        .await
        .expect("read")
        .expect("order");
    assert_eq!(stored.status, OrderStatus::PickedUp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_need_a_product_on_sale_and_a_customer() {
    let app = spawn_app().await;
    app.stock_product("NEVER-SOLD", 5_000, 10).await;
    app.stock_product("RETIRED", 5_000, 10).await;
    edit_product(&app, "RETIRED", |p| p.active = false).await;

    let empty = bought_together(&app, "NEVER-SOLD").await;
    assert_eq!(empty["items"], serde_json::json!([]));
    app.get("/v1/products/DRAGONFRUIT/recommendations", None)
        .await
        .assert_complete_problem(404);
    app.get("/v1/products/RETIRED/recommendations", None)
        .await
        .assert_complete_problem(404);
    app.get("/v1/products/bad%20sku/recommendations", None)
        .await
        .assert_complete_problem(422);

    let admin = app.admin().await;
    app.get("/v1/me/recommendations", Some(&admin))
        .await
        .assert_complete_problem(403);
    app.get("/v1/me/recommendations", None)
        .await
        .assert_complete_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_received_before_the_upgrade_are_indexed_when_migrating() {
    use sqlx::{AnyConnection, Connection};
    let app = spawn_app().await;
    for sku in ["PAPAD-200G", "PICKLE-500G"] {
        app.stock_product(sku, 5_000, 100).await;
    }
    let token = app.customer("Farah").await;
    let me = app.account_id(&token).await;
    app.deliver_directly(me, &["PAPAD-200G", "PICKLE-500G"])
        .await;
    // The database as it was before `received_lines` was filled in.
    let mut conn = AnyConnection::connect(&app.database_url)
        .await
        .expect("a direct connection");
    sqlx::query("DELETE FROM received_lines")
        .execute(&mut conn)
        .await
        .expect("forgetting the index");
    conn.close().await.expect("closing");
    assert_eq!(
        bought_together(&app, "PAPAD-200G").await["items"],
        serde_json::json!([])
    );

    app.store.migrate().await.expect("migrating again");
    assert_eq!(
        skus_of(&bought_together(&app, "PAPAD-200G").await),
        ["PICKLE-500G"]
    );
    let review = app
        .put(
            "/v1/products/PAPAD-200G/reviews/mine",
            Some(&token),
            &serde_json::json!({"rating": 5}),
        )
        .await;
    assert_eq!(review.status, 201, "{:#}", review.body);
}
