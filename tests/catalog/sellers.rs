//! The catalogue as sellers and admins keep it, over HTTP: the category
//! tree, products a seller lists and edits (only their own), the stock
//! record that comes with each product, prices that never reach back into
//! placed orders, and the one low-stock notice per crossing of a threshold.

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::{Role, Sku, UserId};
use orderly_notifications::Notifier;
use orderly_store::NewUser;
use orderly_tests::app::TestApp;
use orderly_tests::app::spawn_app;
use orderly_tests::shopper::{Answer, card, delivery_order, placed_id};

const SELLER_PASSWORD: &str = "seller-password-1";

/// A new seller account: its access token and id.
pub(crate) async fn seller(app: &TestApp, name: &str) -> (String, UserId) {
    let email = format!(
        "{}-{}@sellers.test",
        name.to_lowercase(),
        uuid::Uuid::now_v7().simple()
    );
    let password_hash = orderly_api::auth::hash_password(SELLER_PASSWORD.into())
        .await
        .expect("hashing");
    let user = app
        .store
        .accounts()
        .insert_user(&NewUser {
            email: email.clone(),
            name: name.into(),
            password_hash,
            role: Role::Seller,
        })
        .await
        .expect("a seller account");
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": SELLER_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "seller login: {:#}", login.body);
    let token = login.body["access_token"]
        .as_str()
        .expect("a seller token")
        .to_owned();
    (token, user.id)
}

async fn post_with_key(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Answer {
    app.post_raw(
        path,
        Some(token),
        "application/json",
        serde_json::to_vec(body).expect("JSON"),
        &[("Idempotency-Key", key)],
    )
    .await
}

/// Creates a category as the admin and returns its id.
pub(crate) async fn category(
    app: &TestApp,
    admin: &str,
    slug: &str,
    name: &str,
    parent: Option<&str>,
) -> String {
    let created = app
        .post(
            "/v1/categories",
            Some(admin),
            &json!({"slug": slug, "name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    created.body["id"]
        .as_str()
        .expect("a category id")
        .to_owned()
}

pub(crate) fn apples(sku: &str) -> Value {
    json!({
        "sku": sku,
        "name": "Shimla apples",
        "description": "Crisp and sweet",
        "unit": "kg",
        "price": {"amount": 18_000, "currency": "INR"},
        "images": ["https://cdn.example.com/apples.jpg"],
        "attributes": {
            "origin": "Shimla, India",
            "organic": true,
            "nutrition": {"kcal_per_100g": 52},
            "shelf_life_days": 30
        },
        "stock": 12
    })
}

async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let answer = app.get("/v1/me/notifications", Some(token)).await;
    assert_eq!(answer.status, 200, "inbox: {:#}", answer.body);
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

/// Orders `quantity` of `sku` by card; the answer comes once the stock is
/// held.
async fn order(app: &TestApp, token: &str, sku: &str, quantity: u32) -> String {
    placed_id(
        &app.place(
            token,
            &delivery_order(
                json!([{"sku": sku, "quantity": quantity}]),
                card(CARD_APPROVED),
            ),
        )
        .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_form_a_tree_that_anyone_reads_and_only_admins_extend() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    let (seller_token, _) = seller(&app, "Sunil").await;

    let fruit = category(&app, &admin, "fruit", "Fruit", None).await;
    let citrus = category(&app, &admin, "citrus", "Citrus", Some(&fruit)).await;
    category(&app, &admin, "lemons", "Lemons", Some(&citrus)).await;
    category(&app, &admin, "vegetables", "Vegetables", None).await;

    let tree = app.get("/v1/categories", None).await;
    assert_eq!(tree.status, 200, "{:#}", tree.body);
    assert_eq!(tree.body[0]["slug"], "fruit");
    assert_eq!(tree.body[0]["parent_id"], Value::Null);
    assert_eq!(tree.body[0]["children"][0]["slug"], "citrus");
    assert_eq!(tree.body[0]["children"][0]["parent_id"], fruit.as_str());
    assert_eq!(tree.body[0]["children"][0]["children"][0]["name"], "Lemons");
    assert_eq!(tree.body[1]["slug"], "vegetables");
    assert_eq!(tree.body.as_array().map(Vec::len), Some(2));

    for token in [&customer, &seller_token] {
        app.post(
            "/v1/categories",
            Some(token),
            &json!({"slug": "dairy", "name": "Dairy"}),
        )
        .await
        .assert_complete_problem(403);
    }
    app.post(
        "/v1/categories",
        None,
        &json!({"slug": "dairy", "name": "Dairy"}),
    )
    .await
    .assert_complete_problem(401);

    let taken = app
        .post(
            "/v1/categories",
            Some(&admin),
            &json!({"slug": "fruit", "name": "More fruit"}),
        )
        .await;
    taken.assert_complete_problem(409);
    let orphan = app
        .post(
            "/v1/categories",
            Some(&admin),
            &json!({"slug": "berries", "name": "Berries", "parent_id": uuid::Uuid::now_v7()}),
        )
        .await;
    orphan.assert_complete_problem(422);
    assert_eq!(orphan.fields(), ["parent_id"]);
    let bad_slug = app
        .post(
            "/v1/categories",
            Some(&admin),
            &json!({"slug": "Berries!", "name": "Berries"}),
        )
        .await;
    bad_slug.assert_complete_problem(422);
    assert_eq!(bad_slug.fields(), ["slug"]);
    let no_name = app
        .post(
            "/v1/categories",
            Some(&admin),
            &json!({"slug": "berries", "name": "  "}),
        )
        .await;
    no_name.assert_complete_problem(422);
    assert_eq!(no_name.fields(), ["name"]);

    let after = app.get("/v1/categories", None).await;
    assert_eq!(after.body, tree.body, "refused requests wrote nothing");

    let retried = post_with_key(
        &app,
        "/v1/categories",
        &admin,
        "retry-1",
        &json!({"slug": "vegetables", "name": "Vegetables"}),
    )
    .await;
    assert_eq!(retried.status, 200, "{:#}", retried.body);
    assert_eq!(retried.body["slug"], "vegetables");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_lists_a_product_with_its_stock_and_edits_only_their_own() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    let (owner, owner_id) = seller(&app, "Sunil").await;
    let (rival, _) = seller(&app, "Ravi").await;
    let fruit = category(&app, &admin, "fruit", "Fruit", None).await;

    let mut listing = apples("APPLE-1KG");
    listing["category"] = json!("fruit");
    let created = app.post("/v1/products", Some(&owner), &listing).await;

    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["seller_id"], owner_id.to_string());
    assert_eq!(created.body["low_stock_threshold"], 0);
    assert_eq!(created.body["active"], true);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (12, 0));
    let page = app.get("/v1/products/APPLE-1KG", None).await;
    assert_eq!(page.status, 200, "{:#}", page.body);
    assert_eq!(page.body["name"], "Shimla apples");
    assert_eq!(page.body["unit"], "kg");
    assert_eq!(page.body["category"], "Fruit");
    assert_eq!(page.body["category_id"], fruit.as_str());
    assert_eq!(
        page.body["images"],
        json!(["https://cdn.example.com/apples.jpg"])
    );
    assert_eq!(page.body["attributes"]["origin"], "Shimla, India");
    assert_eq!(page.body["attributes"]["organic"], true);
    assert_eq!(page.body["attributes"]["nutrition"]["kcal_per_100g"], 52);
    assert_eq!(page.body["attributes"]["shelf_life_days"], 30);
    assert_eq!(page.body["seller_id"], owner_id.to_string());
    assert_eq!(page.body["available"], 12);

    let edited = app.patch("/v1/products/APPLE-1KG",
        Some(&owner),
        &json!({"price": {"amount": 19_500, "currency": "INR"}, "unit": "100g", "low_stock_threshold": 3}),
    )
    .await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["price"]["amount"], 19_500);
    assert_eq!(edited.body["unit"], "100g");
    assert_eq!(edited.body["low_stock_threshold"], 3);
    assert_eq!(
        edited.body["name"], "Shimla apples",
        "untouched fields stay"
    );

    for token in [&rival, &customer] {
        app.patch(
            "/v1/products/APPLE-1KG",
            Some(token),
            &json!({"price": {"amount": 1, "currency": "INR"}}),
        )
        .await
        .assert_complete_problem(403);
    }
    app.patch("/v1/products/APPLE-1KG", None, &json!({"name": "x"}))
        .await
        .assert_complete_problem(401);
    let unchanged = app.get("/v1/products/APPLE-1KG", None).await;
    assert_eq!(unchanged.body["price"]["amount"], 19_500);

    let by_admin = app
        .patch(
            "/v1/products/APPLE-1KG",
            Some(&admin),
            &json!({"name": "Royal Shimla apples", "attributes": {"origin": "Kullu, India"}}),
        )
        .await;
    assert_eq!(by_admin.status, 200, "{:#}", by_admin.body);
    assert_eq!(by_admin.body["name"], "Royal Shimla apples");
    assert_eq!(
        by_admin.body["attributes"],
        json!({"origin": "Kullu, India", "organic": false}),
        "attributes are replaced as a whole"
    );
    assert_eq!(by_admin.body["seller_id"], owner_id.to_string());

    let retired = app
        .patch(
            "/v1/products/APPLE-1KG",
            Some(&owner),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(retired.status, 200, "{:#}", retired.body);
    app.get("/v1/products/APPLE-1KG", None)
        .await
        .assert_complete_problem(404);

    app.post("/v1/products", Some(&customer), &apples("PEAR-1KG"))
        .await
        .assert_complete_problem(403);
    let mut for_someone_else = apples("PEAR-1KG");
    for_someone_else["seller_id"] = json!(uuid::Uuid::now_v7());
    app.post("/v1/products", Some(&rival), &for_someone_else)
        .await
        .assert_complete_problem(403);
    assert!(
        app.store
            .catalog()
            .product(&Sku::parse("PEAR-1KG").expect("SKU"))
            .await
            .expect("reading")
            .is_none()
    );
    app.patch(
        "/v1/products/NO-SUCH-SKU",
        Some(&admin),
        &json!({"name": "x"}),
    )
    .await
    .assert_complete_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_for_a_seller_and_a_retried_creation_finds_the_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    let (owner, owner_id) = seller(&app, "Sunil").await;

    let mut on_behalf = apples("PLUM-500G");
    on_behalf["seller_id"] = json!(owner_id);
    on_behalf
        .as_object_mut()
        .expect("an object")
        .remove("stock");
    let created = app.post("/v1/products", Some(&admin), &on_behalf).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["seller_id"], owner_id.to_string());
    assert_eq!(created.body["available"], 0);
    assert_eq!(
        app.stock_levels("PLUM-500G").await,
        (0, 0),
        "a product without stock still has its stock record"
    );
    let not_a_seller = app.account_id(&customer).await;
    let mut to_a_customer = apples("PLUM-1KG");
    to_a_customer["seller_id"] = json!(not_a_seller);
    let refused = app.post("/v1/products", Some(&admin), &to_a_customer).await;
    refused.assert_complete_problem(422);
    assert_eq!(refused.fields(), ["seller_id"]);

    let duplicate = app
        .post("/v1/products", Some(&owner), &apples("PLUM-500G"))
        .await;
    duplicate.assert_complete_problem(409);
    assert_eq!(app.stock_levels("PLUM-500G").await, (0, 0));

    let first = post_with_key(&app, "/v1/products", &owner, "k-1", &apples("FIG-6")).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let again = post_with_key(&app, "/v1/products", &owner, "k-1", &apples("FIG-6")).await;
    assert_eq!(again.status, 200, "{:#}", again.body);
    assert_eq!(again.body["sku"], "FIG-6");
    assert_eq!(app.stock_levels("FIG-6").await, (12, 0));
    let reused = post_with_key(&app, "/v1/products", &owner, "k-1", &apples("FIG-12")).await;
    reused.assert_complete_problem(422);
    assert!(
        app.store
            .catalog()
            .product(&Sku::parse("FIG-12").expect("SKU"))
            .await
            .expect("reading")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_product_is_refused_naming_each_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (owner, _) = seller(&app, "Sunil").await;
    category(&app, &admin, "fruit", "Fruit", None).await;

    let mut bad = apples("KIWI-3");
    bad["name"] = json!("");
    bad["price"] = json!({"amount": -5, "currency": "INR"});
    bad["images"] = json!([
        "https://cdn.example.com/ok.jpg",
        "ftp://cdn.example.com/kiwi.jpg"
    ]);
    bad["category"] = json!("no-such-category");
    bad["low_stock_threshold"] = json!(-1);
    bad["stock"] = json!(-3);
    let refused = app.post("/v1/products", Some(&owner), &bad).await;
    refused.assert_complete_problem(422);
    let mut fields = refused.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "category",
            "images[1]",
            "low_stock_threshold",
            "name",
            "price.amount",
            "stock"
        ]
    );

    for (body_change, field) in [
        (json!({"unit": "dozen"}), "unit"),
        (
            json!({"attributes": {"shelf_life_days": 0}}),
            "attributes.shelf_life_days",
        ),
        (
            json!({"attributes": {"colour": "green"}}),
            "attributes.colour",
        ),
        (json!({"sku": "kiwi 3"}), "sku"),
        (
            json!({"price": {"amount": 100, "currency": "USD"}}),
            "price.currency",
        ),
        (json!({"coupon": "FREE"}), "coupon"),
    ] {
        let mut body = apples("KIWI-3");
        for (key, value) in body_change.as_object().expect("an object") {
            body[key] = value.clone();
        }
        let refused = app.post("/v1/products", Some(&owner), &body).await;
        refused.assert_complete_problem(422);
        assert_eq!(refused.fields(), [field], "{body_change}");
    }
    let kiwi = Sku::parse("KIWI-3").expect("SKU");
    assert!(
        app.store
            .catalog()
            .product(&kiwi)
            .await
            .expect("reading")
            .is_none()
    );
    assert!(
        app.store
            .inventory()
            .stock(&kiwi)
            .await
            .expect("reading")
            .is_none()
    );

    app.post("/v1/products", Some(&owner), &apples("KIWI-3"))
        .await;
    let bad_edit = app
        .patch(
            "/v1/products/KIWI-3",
            Some(&owner),
            &json!({"name": "Kiwis", "images": ["not a url"], "category": "Fruit"}),
        )
        .await;
    bad_edit.assert_complete_problem(422);
    assert_eq!(bad_edit.fields(), ["images[0]", "category"]);
    let page = app.get("/v1/products/KIWI-3", None).await;
    assert_eq!(
        page.body["name"], "Shimla apples",
        "a refused edit changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_sets_stock_for_their_own_skus_only() {
    let app = spawn_app().await;
    let (owner, _) = seller(&app, "Sunil").await;
    let (rival, _) = seller(&app, "Ravi").await;
    let created = app
        .post("/v1/products", Some(&owner), &apples("APPLE-1KG"))
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);

    let set = app
        .put(
            "/v1/inventory/APPLE-1KG",
            Some(&owner),
            &json!({"on_hand": 40}),
        )
        .await;
    assert_eq!(set.status, 200, "{:#}", set.body);
    assert_eq!(set.body["on_hand"], 40);

    app.put(
        "/v1/inventory/APPLE-1KG",
        Some(&rival),
        &json!({"on_hand": 0}),
    )
    .await
    .assert_complete_problem(403);
    // Nor may a rival read what the stock cost or who supplied it.
    for path in [
        "/v1/inventory/APPLE-1KG",
        "/v1/inventory/APPLE-1KG/movements",
    ] {
        app.get(path, Some(&rival))
            .await
            .assert_complete_problem(403);
        assert_eq!(app.get(path, Some(&owner)).await.status, 200, "{path}");
    }
    app.stock_product("HOUSE-TEA", 10_000, 5).await;
    app.put(
        "/v1/inventory/HOUSE-TEA",
        Some(&owner),
        &json!({"on_hand": 0}),
    )
    .await
    .assert_complete_problem(403);
    assert_eq!(app.stock_levels("APPLE-1KG").await, (40, 0));
    assert_eq!(app.stock_levels("HOUSE-TEA").await, (5, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_filter_by_a_category_and_everything_below_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let fruit = category(&app, &admin, "fruit", "Fruit", None).await;
    category(&app, &admin, "citrus", "Citrus", Some(&fruit)).await;
    category(&app, &admin, "dairy", "Dairy", None).await;
    for (sku, slug) in [
        ("APPLE-1KG", "fruit"),
        ("LEMON-6", "citrus"),
        ("MILK-1L", "dairy"),
        ("ORANGE-1KG", "citrus"),
    ] {
        let mut body = apples(sku);
        body["category"] = json!(slug);
        let created = app.post("/v1/products", Some(&admin), &body).await;
        assert_eq!(created.status, 201, "{:#}", created.body);
    }
    app.stock_product("UNFILED", 1_000, 1).await;

    let skus = |answer: &Answer| -> Vec<String> {
        answer.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items: {:#}", answer.body))
            .iter()
            .map(|p| p["sku"].as_str().expect("a sku").to_owned())
            .collect()
    };
    let fruit_page = app.get("/v1/products?category=fruit", None).await;
    assert_eq!(fruit_page.status, 200, "{:#}", fruit_page.body);
    assert_eq!(skus(&fruit_page), ["APPLE-1KG", "LEMON-6", "ORANGE-1KG"]);
    assert_eq!(
        skus(&app.get("/v1/products?category=citrus", None).await),
        ["LEMON-6", "ORANGE-1KG"]
    );
    let first = app.get("/v1/products?category=fruit&limit=2", None).await;
    assert_eq!(skus(&first), ["APPLE-1KG", "LEMON-6"]);
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let second = app
        .get(
            &format!("/v1/products?category=fruit&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(skus(&second), ["ORANGE-1KG"]);
    assert_eq!(
        app.get("/v1/products", None).await.body["items"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );

    let unknown = app.get("/v1/products?category=berries", None).await;
    unknown.assert_complete_problem(422);
    assert_eq!(unknown.fields(), ["category"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_change_never_changes_an_order_already_placed() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;
    let (owner, _) = seller(&app, "Sunil").await;
    let mut body = apples("APPLE-1KG");
    body["price"] = json!({"amount": 10_000, "currency": "INR"});
    let created = app.post("/v1/products", Some(&owner), &body).await;
    assert_eq!(created.status, 201, "{:#}", created.body);

    let before = order(&app, &customer, "APPLE-1KG", 2).await;
    let repriced = app
        .patch(
            "/v1/products/APPLE-1KG",
            Some(&owner),
            &json!({"price": {"amount": 15_000, "currency": "INR"}}),
        )
        .await;
    assert_eq!(repriced.status, 200, "{:#}", repriced.body);
    let after = order(&app, &customer, "APPLE-1KG", 2).await;

    let old = app
        .get(&format!("/v1/orders/{before}"), Some(&customer))
        .await;
    assert_eq!(old.status, 200, "{:#}", old.body);
    assert_eq!(old.body["items"][0]["unit_price"]["amount"], 10_000);
    assert_eq!(old.body["items"][0]["subtotal"]["amount"], 20_000);
    assert_eq!(old.body["total"]["amount"], 20_000);
    let new = app
        .get(&format!("/v1/orders/{after}"), Some(&customer))
        .await;
    assert_eq!(new.body["items"][0]["unit_price"]["amount"], 15_000);
    assert_eq!(new.body["total"]["amount"], 30_000);
    // Later versions of the first order (paid, confirmed) keep its price.
    let settled = app
        .wait_for(
            &customer,
            &before,
            std::time::Duration::from_secs(30),
            |o| o["payment"]["status"] != "pending",
        )
        .await;
    assert_eq!(settled["total"]["amount"], 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_is_told_once_per_crossing_below_the_low_stock_threshold() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;
    let (owner, _) = seller(&app, "Sunil").await;
    let (rival, _) = seller(&app, "Ravi").await;
    let mut body = apples("APPLE-1KG");
    body["stock"] = json!(8);
    body["low_stock_threshold"] = json!(5);
    let created = app.post("/v1/products", Some(&owner), &body).await;
    assert_eq!(created.status, 201, "{:#}", created.body);

    order(&app, &customer, "APPLE-1KG", 2).await;
    assert!(
        inbox(&app, &owner).await.is_empty(),
        "6 left is not below 5"
    );

    order(&app, &customer, "APPLE-1KG", 2).await;
    let told = inbox(&app, &owner).await;
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0]["kind"], "low_stock");
    assert_eq!(told[0]["order_id"], Value::Null);
    assert!(
        told[0]["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("Shimla apples"),
        "{told:#?}"
    );
    assert!(
        told[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Only 4 of Shimla apples"),
        "{told:#?}"
    );

    order(&app, &customer, "APPLE-1KG", 2).await;
    order(&app, &customer, "APPLE-1KG", 1).await;
    assert_eq!(
        inbox(&app, &owner).await.len(),
        1,
        "still the same crossing"
    );
    assert!(inbox(&app, &rival).await.is_empty());
    assert!(
        inbox(&app, &customer)
            .await
            .iter()
            .all(|n| n["kind"] != "low_stock")
    );

    // A retried reservation activity reports the crossing again; its
    // dedupe key keeps it to one notice.
    let sku = Sku::parse("APPLE-1KG").expect("SKU");
    let alerts = app
        .store
        .inventory()
        .low_stock_alerts(&[sku])
        .await
        .expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].crossing, 1);
    let notifier = Notifier::new(app.store.clone(), None);
    notifier
        .notify_low_stock(&alerts[0])
        .await
        .expect("notifying");
    assert_eq!(inbox(&app, &owner).await.len(), 1);

    // Restocked to 6 available: back above the threshold, so the next
    // order that takes it below is a new crossing.
    let (_, reserved) = app.stock_levels("APPLE-1KG").await;
    let restocked = app
        .put(
            "/v1/inventory/APPLE-1KG",
            Some(&owner),
            &json!({"on_hand": reserved + 6}),
        )
        .await;
    assert_eq!(restocked.status, 200, "{:#}", restocked.body);
    assert_eq!(restocked.body["available"], 6);
    order(&app, &customer, "APPLE-1KG", 2).await;
    let told = inbox(&app, &owner).await;
    assert_eq!(told.len(), 2, "{told:#?}");
    assert!(told.iter().all(|n| n["kind"] == "low_stock"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shop_files_its_products_and_seeding_again_changes_nothing() {
    use orderly_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD};
    const SELLER_PASSWORD: &str = "demo-seller-password-1";
    let app = spawn_app().await;
    orderly_devtools::demo_data::seed(&app.store, ADMIN_EMAIL, ADMIN_PASSWORD, SELLER_PASSWORD)
        .await
        .expect("seeding");
    // The demo seller has a password of its own, not the admin's.
    let seller = |password: &str| json!({"email": orderly_devtools::demo_data::SELLER_EMAIL, "password": password});
    let own = app
        .post("/v1/auth/login", None, &seller(SELLER_PASSWORD))
        .await;
    assert_eq!(own.status, 200, "{:#}", own.body);
    app.post("/v1/auth/login", None, &seller(ADMIN_PASSWORD))
        .await
        .assert_problem(401);
    let tree = app.get("/v1/categories", None).await;
    let slugs: Vec<&str> = tree
        .body
        .as_array()
        .expect("the tree")
        .iter()
        .filter_map(|c| c["slug"].as_str())
        .collect();
    assert_eq!(
        slugs,
        ["dairy", "fruit", "imported", "organic", "vegetables"]
    );
    let fruit = app.get("/v1/products?category=fruit", None).await;
    let fruit_skus: Vec<&str> = fruit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert!(
        fruit_skus.contains(&"ORANGE-NAGPUR-1KG"),
        "citrus is fruit: {fruit_skus:?}"
    );
    let spinach = app.get("/v1/products/SPINACH-ORGANIC-250G", None).await;
    assert_eq!(spinach.body["attributes"]["organic"], true);
    assert!(spinach.body["seller_id"].is_string(), "{:#}", spinach.body);
    // Its stock comes from the demo supplier, certified organic.
    assert_eq!(
        spinach.body["certification"]["organic"], "verified",
        "{:#}",
        spinach.body
    );
    assert_eq!(
        spinach.body["certification"]["certificate_number"],
        "NPOP/NAB/0019"
    );
    // Two warehouses in different cities, each with a batch of its own,
    // received on different days and so expiring on different days.
    let admin = app.admin().await;
    let warehouses = app.get("/v1/warehouses", Some(&admin)).await;
    let cities: Vec<&str> = warehouses
        .body
        .as_array()
        .expect("warehouses")
        .iter()
        .filter_map(|w| w["address"]["city"].as_str())
        .collect();
    assert_eq!(cities, ["Navi Mumbai", "Pune"]);
    let stock = app
        .get("/v1/inventory/APPLE-SHIMLA-1KG", Some(&admin))
        .await;
    let batches: Vec<&Value> = stock.body["warehouses"]
        .as_array()
        .expect("per warehouse")
        .iter()
        .flat_map(|w| w["batches"].as_array().expect("batches"))
        .collect();
    assert_eq!(batches.len(), 2, "{:#}", stock.body);
    assert_ne!(batches[0]["expires_on"], batches[1]["expires_on"]);
    assert_eq!(stock.body["on_hand"], 200);
    assert!(
        batches.iter().all(|b| b["supplier_id"].is_string()),
        "{:#}",
        stock.body
    );

    orderly_devtools::demo_data::seed(&app.store, ADMIN_EMAIL, ADMIN_PASSWORD, SELLER_PASSWORD)
        .await
        .expect("seeding again");
    assert_eq!(app.get("/v1/categories", None).await.body, tree.body);
    assert_eq!(
        app.get("/v1/warehouses", Some(&admin)).await.body,
        warehouses.body
    );
    assert_eq!(
        app.get("/v1/inventory/APPLE-SHIMLA-1KG", Some(&admin))
            .await
            .body,
        stock.body
    );
    assert_eq!(
        app.get("/v1/products/SPINACH-ORGANIC-250G", None)
            .await
            .body,
        spinach.body
    );
}
