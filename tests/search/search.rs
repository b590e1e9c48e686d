//! Product search over HTTP: ranking, typos, suggestions, filters with
//! category counts, sorting, paging, bad parameters, and the index staying
//! in step with the database (rebuilt when missing, updated on edits).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use orderly_domain::{CategorySlug, Currency, Money, ProductAttributes, Sku};
use orderly_search::ProductIndex;
use orderly_store::{Category, NewCategory, Product, ProductChanges};
use orderly_tests::app::{TestApp, spawn_app};

struct Shelf {
    sku: &'static str,
    name: &'static str,
    description: &'static str,
    category: &'static str,
    price: i64,
    origin: &'static str,
    organic: bool,
    on_hand: i64,
}

const SHELVES: [Shelf; 6] = [
    Shelf {
        sku: "APPLE-SHIMLA",
        name: "Shimla apples",
        description: "Crisp red apples from the hills",
        category: "apples",
        price: 18_000,
        origin: "Shimla, India",
        organic: false,
        on_hand: 10,
    },
    Shelf {
        sku: "APPLE-FUJI",
        name: "Organic Fuji apple",
        description: "Sweet and juicy",
        category: "apples",
        price: 32_000,
        origin: "Japan",
        organic: true,
        on_hand: 5,
    },
    Shelf {
        sku: "BANANA-ROBUSTA",
        name: "Robusta bananas",
        description: "Ripe yellow bananas by the dozen",
        category: "fruit",
        price: 6_000,
        origin: "Kerala, India",
        organic: false,
        on_hand: 0,
    },
    Shelf {
        sku: "MANGO-ALPHONSO",
        name: "Alphonso mangoes",
        description: "The king of mangoes",
        category: "fruit",
        price: 60_000,
        origin: "Ratnagiri, India",
        organic: true,
        on_hand: 3,
    },
    Shelf {
        sku: "JAM-MIXED",
        name: "Mixed fruit jam",
        description: "Made with apple and mango pulp",
        category: "pantry",
        price: 25_000,
        origin: "India",
        organic: false,
        on_hand: 8,
    },
    Shelf {
        sku: "CARROT-ORANGE",
        name: "Orange carrots",
        description: "Crunchy and sweet",
        category: "vegetables",
        price: 4_000,
        origin: "Ooty, India",
        organic: true,
        on_hand: 20,
    },
];

async fn category(app: &TestApp, slug: &str, parent: Option<&Category>) -> Category {
    app.store
        .catalog()
        .insert_category(&NewCategory {
            parent_id: parent.map(|p| p.id),
            name: slug[..1].to_uppercase() + &slug[1..],
            slug: CategorySlug::parse(slug).expect("a slug"),
        })
        .await
        .expect("creating a category")
}

/// Fruit (with Apples below it), Vegetables and Pantry, and the products
/// above with their stock, written to the database only.
async fn stock_shelves(app: &TestApp) {
    let fruit = category(app, "fruit", None).await;
    let categories = [
        category(app, "apples", Some(&fruit)).await,
        category(app, "vegetables", None).await,
        category(app, "pantry", None).await,
        fruit,
    ];
    for shelf in &SHELVES {
        let category = categories
            .iter()
            .find(|c| c.slug.as_str() == shelf.category)
            .expect("a known category");
        let sku = Sku::parse(shelf.sku).expect("a SKU");
        app.store
            .catalog()
            .upsert_product(&Product {
                sku: sku.clone(),
                name: shelf.name.into(),
                description: shelf.description.into(),
                unit: "kg".into(),
                price: Money::new(shelf.price, Currency::INR),
                category: category.name.clone(),
                category_id: Some(category.id),
                attributes: ProductAttributes {
                    origin: Some(shelf.origin.into()),
                    organic: shelf.organic,
                    ..Default::default()
                },
                ..Default::default()
            })
            .await
            .expect("creating a product");
        app.store
            .inventory()
            .set_on_hand(&sku, shelf.on_hand)
            .await
            .expect("stocking it");
    }
}

/// The shelves in the database and in the app's index.
async fn shop() -> TestApp {
    let app = spawn_app().await;
    stock_shelves(&app).await;
    for shelf in &SHELVES {
        app.search
            .refresh(&app.store, &Sku::parse(shelf.sku).expect("a SKU"))
            .await
            .expect("indexing a product");
    }
    app
}

fn skus(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page:#}"))
        .iter()
        .map(|item| item["sku"].as_str().expect("a SKU"))
        .collect()
}

async fn search(app: &TestApp, query: &str) -> Value {
    let answer = app.get(&format!("/v1/search?{query}"), None).await;
    assert_eq!(answer.status, 200, "{query}: {:#}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_match_ranks_above_a_description_match_and_typos_are_forgiven() {
    let app = shop().await;

    let apples = search(&app, "q=apple").await;
    let found = skus(&apples);
    assert_eq!(found.len(), 3, "{apples:#}");
    assert_eq!(found[2], "JAM-MIXED", "a description match comes last");
    assert_eq!(apples["total"], 3);
    let fuji = apples["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["sku"] == "APPLE-FUJI")
        .expect("the Fuji apple");
    assert_eq!(fuji["price"]["amount"], 32_000);
    assert_eq!(fuji["category"], "apples");
    assert_eq!(fuji["origin"], "Japan");
    assert_eq!(fuji["organic"], true);
    assert_eq!(fuji["available"], 5);

    assert_eq!(skus(&search(&app, "q=bananna").await), ["BANANA-ROBUSTA"]);
    let misspelt = search(&app, "q=aple").await;
    assert!(skus(&misspelt).contains(&"APPLE-SHIMLA"), "{misspelt:#}");
    assert!(skus(&misspelt).contains(&"APPLE-FUJI"), "{misspelt:#}");
    assert_eq!(
        skus(&search(&app, "q=organic%20apple").await),
        ["APPLE-FUJI"],
        "every word must match"
    );
    assert_eq!(search(&app, "q=durian").await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_box_is_offered_names_completing_the_last_word() {
    let app = shop().await;

    let man = app.get("/v1/search/suggest?q=man", None).await;
    assert_eq!(man.status, 200, "{:#}", man.body);
    assert_eq!(
        man.body["suggestions"],
        serde_json::json!(["Alphonso mangoes"])
    );
    let shimla = app.get("/v1/search/suggest?q=Shimla%20ap", None).await;
    assert_eq!(
        shimla.body["suggestions"],
        serde_json::json!(["Shimla apples"])
    );
    let none = app.get("/v1/search/suggest?q=zz", None).await;
    assert_eq!(none.body["suggestions"], serde_json::json!([]));

    let blank = app.get("/v1/search/suggest?q=%20", None).await;
    blank.assert_problem(422);
    assert_eq!(blank.fields(), ["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_narrow_the_results_and_each_category_is_counted() {
    let app = shop().await;

    // Fruit includes the Apples sub-category.
    let fruit = search(&app, "category=fruit&sort=price_asc").await;
    assert_eq!(
        skus(&fruit),
        [
            "BANANA-ROBUSTA",
            "APPLE-SHIMLA",
            "APPLE-FUJI",
            "MANGO-ALPHONSO"
        ]
    );
    // Counted as if no category were picked, by each product's own category.
    let counts: Vec<(&str, u64)> = fruit["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| {
            (
                c["category"].as_str().expect("slug"),
                c["count"].as_u64().expect("count"),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("apples", 2),
            ("fruit", 2),
            ("pantry", 1),
            ("vegetables", 1)
        ]
    );

    let cheap = search(&app, "min_price=5000&max_price=20000").await;
    let mut found = skus(&cheap);
    found.sort();
    assert_eq!(found, ["APPLE-SHIMLA", "BANANA-ROBUSTA"]);

    let organic = search(&app, "organic=true&sort=price_desc").await;
    assert_eq!(
        skus(&organic),
        ["MANGO-ALPHONSO", "APPLE-FUJI", "CARROT-ORANGE"]
    );
    let japanese = search(&app, "origin=japan").await;
    assert_eq!(skus(&japanese), ["APPLE-FUJI"]);
    let kerala = search(&app, "origin=Kerala").await;
    assert_eq!(skus(&kerala), ["BANANA-ROBUSTA"]);

    let fruit_in_stock = search(&app, "category=fruit&in_stock=true&sort=price_asc").await;
    assert_eq!(
        skus(&fruit_in_stock),
        ["APPLE-SHIMLA", "APPLE-FUJI", "MANGO-ALPHONSO"]
    );
    // Stock is read at query time: a delivery shows at once.
    app.store
        .inventory()
        .set_on_hand(&Sku::parse("BANANA-ROBUSTA").expect("SKU"), 12)
        .await
        .expect("restocking");
    let restocked = search(&app, "q=banana&in_stock=true").await;
    assert_eq!(skus(&restocked), ["BANANA-ROBUSTA"]);
    assert_eq!(restocked["items"][0]["available"], 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_page_twenty_at_a_time_by_default_with_a_cursor() {
    let app = shop().await;

    let everything = search(&app, "sort=price_asc").await;
    assert_eq!(everything["total"], 6);
    assert_eq!(everything["next_cursor"], Value::Null);

    let first = search(&app, "sort=price_asc&limit=4").await;
    assert_eq!(
        skus(&first),
        [
            "CARROT-ORANGE",
            "BANANA-ROBUSTA",
            "APPLE-SHIMLA",
            "JAM-MIXED"
        ]
    );
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = search(&app, &format!("sort=price_asc&limit=4&cursor={cursor}")).await;
    assert_eq!(skus(&second), ["APPLE-FUJI", "MANGO-ALPHONSO"]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_search_parameters_are_a_422_naming_each_of_them() {
    let app = shop().await;

    let answer = app
        .get(
            "/v1/search?q=apple&category=Not%20A%20Slug&min_price=-5&max_price=ten\
             &organic=maybe&in_stock=1&sort=cheapest&cursor=abc&limit=0",
            None,
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(
        answer.fields(),
        [
            "category",
            "min_price",
            "max_price",
            "organic",
            "in_stock",
            "sort",
            "cursor",
            "limit"
        ]
    );

    let inverted = app
        .get("/v1/search?min_price=500&max_price=100", None)
        .await;
    inverted.assert_problem(422);
    assert_eq!(inverted.fields(), ["max_price"]);

    let long = format!("/v1/search?q={}", "a".repeat(201));
    let too_long = app.get(&long, None).await;
    too_long.assert_problem(422);
    assert_eq!(too_long.fields(), ["q"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_is_rebuilt_from_the_database_when_its_folder_is_missing() {
    let app = spawn_app().await;
    stock_shelves(&app).await;
    let root = std::env::temp_dir().join(format!("orderly-rebuild-{}", Uuid::now_v7().simple()));
    let apples = |index: &ProductIndex| {
        let query = orderly_search::SearchQuery::text("apples");
        let mut found: Vec<String> = index
            .search(&query)
            .expect("a search")
            .hits
            .into_iter()
            .map(|hit| hit.sku.to_string())
            .collect();
        found.sort();
        found
    };

    let built = ProductIndex::open(&root, &app.store)
        .await
        .expect("building the index");
    assert_eq!(built.len(), 6);
    assert_eq!(apples(&built), ["APPLE-FUJI", "APPLE-SHIMLA", "JAM-MIXED"]);
    drop(built);

    std::fs::remove_dir_all(&root).expect("removing the index");
    let rebuilt = ProductIndex::open(&root, &app.store)
        .await
        .expect("rebuilding the index");
    assert_eq!(rebuilt.len(), 6);
    assert_eq!(
        apples(&rebuilt),
        ["APPLE-FUJI", "APPLE-SHIMLA", "JAM-MIXED"]
    );
    drop(rebuilt);

    // A product changed while no index was open is caught up on opening.
    app.store
        .catalog()
        .update_product(
            &Sku::parse("JAM-MIXED").expect("SKU"),
            &ProductChanges {
                description: Some("Made with mango pulp".into()),
                ..Default::default()
            },
        )
        .await
        .expect("editing the jam");
    let reopened = ProductIndex::open(&root, &app.store)
        .await
        .expect("reopening the index");
    assert_eq!(apples(&reopened), ["APPLE-FUJI", "APPLE-SHIMLA"]);
    drop(reopened);
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_created_or_edited_through_the_api_is_searchable_right_after() {
    let app = shop().await;
    let admin = app.admin().await;

    let created = app
        .post(
            "/v1/products",
            Some(&admin),
            &json!({
                "sku": "FIG-TURKISH",
                "name": "Turkish figs",
                "description": "Sun dried",
                "unit": "kg",
                "price": {"amount": 45_000, "currency": "INR"},
                "category": "fruit",
                "attributes": {"origin": "Izmir, Turkey", "organic": true},
                "stock": 7
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let figs = search(&app, "q=figs&origin=turkey&organic=true").await;
    assert_eq!(skus(&figs), ["FIG-TURKISH"]);
    assert_eq!(figs["items"][0]["available"], 7);

    let renamed = app
        .request_with(
            Method::PATCH,
            "/v1/products/CARROT-ORANGE",
            Some(&admin),
            Some(&json!({"name": "Purple heirloom carrots", "price": {"amount": 9_900, "currency": "INR"}})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200, "{:#}", renamed.body);
    let heirloom = search(&app, "q=heirloom").await;
    assert_eq!(skus(&heirloom), ["CARROT-ORANGE"]);
    assert_eq!(heirloom["items"][0]["price"]["amount"], 9_900);
    assert_eq!(search(&app, "q=orange").await["total"], 0);

    let retired = app
        .request_with(
            Method::PATCH,
            "/v1/products/CARROT-ORANGE",
            Some(&admin),
            Some(&json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(retired.status, 200, "{:#}", retired.body);
    assert_eq!(search(&app, "q=carrots").await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_api_process_index_follows_edits_made_through_this_one() {
    let app = shop().await;
    let admin = app.admin().await;
    // A second replica: its own index folder on the same database.
    let root = std::env::temp_dir().join(format!("orderly-replica-{}", Uuid::now_v7().simple()));
    let replica = ProductIndex::open(&root, &app.store)
        .await
        .expect("the replica's index");
    let follower = tokio::spawn(replica.clone().follow(
        app.store.clone(),
        root.clone(),
        std::time::Duration::from_millis(100),
    ));
    let found = |text: &'static str| {
        let replica = replica.clone();
        move || -> Vec<String> {
            let query = orderly_search::SearchQuery::text(text);
            replica
                .search(&query)
                .expect("a search")
                .hits
                .into_iter()
                .map(|hit| hit.sku.to_string())
                .collect()
        }
    };
    let eventually = |look: Box<dyn Fn() -> Vec<String> + Send>, wanted: Vec<&'static str>| async move {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let now = look();
            if now == wanted || std::time::Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };

    let created = app
        .post(
            "/v1/products",
            Some(&admin),
            &json!({
                "sku": "FIG-TURKISH",
                "name": "Turkish figs",
                "description": "Sun dried",
                "unit": "kg",
                "price": {"amount": 45_000, "currency": "INR"},
                "category": "fruit",
                "stock": 7
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(
        eventually(Box::new(found("figs")), vec!["FIG-TURKISH"]).await,
        ["FIG-TURKISH"]
    );

    let retired = app
        .request_with(
            Method::PATCH,
            "/v1/products/FIG-TURKISH",
            Some(&admin),
            Some(&json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(retired.status, 200, "{:#}", retired.body);
    assert_eq!(
        eventually(Box::new(found("figs")), vec![]).await,
        Vec::<String>::new()
    );
    follower.abort();
    let _ = std::fs::remove_dir_all(&root);
}
