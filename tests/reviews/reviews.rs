//! Reviews and ratings over HTTP: only customers who received a product
//! may rate it, once and editably; product pages show the average; the
//! list pages newest or most helpful first; helpful votes count once.

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_domain::{Rating, Role, Sku, UserId};
use orderly_store::{NewUser, ReviewDraft};
use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::shopper::{card, pickup_order, placed_id};

const SKU: &str = "ALPHONSO-1KG";
const PRICE: i64 = 45_000;

fn mine(sku: &str) -> String {
    format!("/v1/products/{sku}/reviews/mine")
}

fn ids_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page:#}"))
        .iter()
        .map(|review| review["id"].as_str().expect("a review id").to_owned())
        .collect()
}

/// A customer (token and id) who has received one unit of each of `skus`.
async fn customer_who_received(app: &TestApp, name: &str, skus: &[&str]) -> (String, UserId) {
    let token = app.customer(name).await;
    let id = app.account_id(&token).await;
    app.deliver_directly(id, skus).await;
    (token, id)
}

async fn product_rating(app: &TestApp, sku: &str) -> Value {
    let product = app.get(&format!("/v1/products/{sku}"), None).await;
    assert_eq!(product.status, 200, "{:#}", product.body);
    product.body["rating"].clone()
}

async fn step(app: &TestApp, admin: &str, id: &str, step: &str) {
    let answer = app
        .post(&format!("/v1/orders/{id}/{step}"), Some(admin), &json!({}))
        .await;
    assert_eq!(answer.status, 200, "{step}: {:#}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_may_review_a_product_only_once_they_have_collected_it() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let customer = app.customer("Meera").await;
    let admin = app.admin().await;
    let order = pickup_order(json!([{"sku": SKU, "quantity": 1}]), card(CARD_APPROVED));
    let id = placed_id(&app.place(&customer, &order).await);
    app.wait_for_status(&customer, &id, "paid").await;
    let review = json!({"rating": 4, "title": "Sweet", "text": "Ripe and fragrant."});

    let too_early = app.put(&mine(SKU), Some(&customer), &review).await;
    too_early.assert_complete_problem(403);

    step(&app, &admin, &id, "pack").await;
    step(&app, &admin, &id, "ready-for-pickup").await;
    step(&app, &admin, &id, "picked-up").await;
    app.wait_for_status(&customer, &id, "picked_up").await;

    let created = app.put(&mine(SKU), Some(&customer), &review).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["rating"], 4);
    assert_eq!(created.body["title"], "Sweet");
    assert_eq!(created.body["text"], "Ripe and fragrant.");
    assert_eq!(created.body["author_name"], "Meera");
    assert_eq!(created.body["helpful"], 0);

    let listed = app.get(&format!("/v1/products/{SKU}/reviews"), None).await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    assert_eq!(ids_of(&listed.body), [created.body["id"].as_str().unwrap()]);
    assert_eq!(
        product_rating(&app, SKU).await,
        json!({"average": 4.0, "count": 1})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_who_has_not_received_the_product_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    app.stock_product("KIWI-3PACK", 12_000, 10).await;
    let (_, _) = customer_who_received(&app, "Asha", &[SKU]).await;
    let (other_product, _) = customer_who_received(&app, "Ravi", &["KIWI-3PACK"]).await;
    let stranger = app.customer("Kabir").await;
    let admin = app.admin().await;
    let review = json!({"rating": 1});

    for token in [&other_product, &stranger, &admin] {
        let refused = app.put(&mine(SKU), Some(token), &review).await;
        refused.assert_complete_problem(403);
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("received"),
            "{:#}",
            refused.body
        );
    }
    app.put(&mine(SKU), None, &review)
        .await
        .assert_complete_problem(401);

    let listed = app.get(&format!("/v1/products/{SKU}/reviews"), None).await;
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(
        product_rating(&app, SKU).await,
        json!({"average": null, "count": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_is_edited_in_place_and_the_average_on_product_pages_follows() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let (asha, _) = customer_who_received(&app, "Asha", &[SKU]).await;
    let (ravi, _) = customer_who_received(&app, "Ravi", &[SKU]).await;

    let first = app
        .put(&mine(SKU), Some(&asha), &json!({"rating": 5}))
        .await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    assert_eq!(first.body["title"], Value::Null);
    let edited = app
        .put(
            &mine(SKU),
            Some(&asha),
            &json!({"rating": 2, "title": "Went off fast", "text": "Two were bruised."}),
        )
        .await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["id"], first.body["id"]);
    assert_eq!(edited.body["rating"], 2);
    assert_eq!(edited.body["title"], "Went off fast");
    assert_eq!(edited.body["created_at"], first.body["created_at"]);

    let own = app.get(&mine(SKU), Some(&asha)).await;
    assert_eq!(own.status, 200, "{:#}", own.body);
    assert_eq!(own.body["rating"], 2);
    app.get(&mine(SKU), Some(&ravi))
        .await
        .assert_complete_problem(404);

    let second = app
        .put(&mine(SKU), Some(&ravi), &json!({"rating": 5}))
        .await;
    assert_eq!(second.status, 201, "{:#}", second.body);

    let listed = app.get(&format!("/v1/products/{SKU}/reviews"), None).await;
    assert_eq!(ids_of(&listed.body).len(), 2, "one review per customer");
    assert_eq!(
        product_rating(&app, SKU).await,
        json!({"average": 3.5, "count": 2})
    );
    let catalogue = app.get("/v1/products", None).await;
    assert_eq!(catalogue.status, 200, "{:#}", catalogue.body);
    assert_eq!(
        catalogue.body["items"][0]["rating"],
        json!({"average": 3.5, "count": 2})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_review_is_refused_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let (asha, _) = customer_who_received(&app, "Asha", &[SKU]).await;

    let cases = [
        (json!({"rating": 0}), "rating"),
        (json!({"rating": 6}), "rating"),
        (json!({"rating": 4.5}), "rating"),
        (json!({"rating": "5"}), "rating"),
        (json!({"title": "No stars"}), "rating"),
        (json!({"rating": 4, "title": "t".repeat(121)}), "title"),
        (json!({"rating": 4, "text": "x".repeat(4001)}), "text"),
        (json!({"rating": 4, "stars": 4}), "stars"),
    ];
    for (body, field) in cases {
        let refused = app.put(&mine(SKU), Some(&asha), &body).await;
        refused.assert_complete_problem(422);
        assert_eq!(refused.fields(), [field], "{body}");
    }
    let unknown = app
        .put(&mine("DRAGONFRUIT"), Some(&asha), &json!({"rating": 4}))
        .await;
    unknown.assert_complete_problem(404);
    let malformed = app
        .put(&mine("not%20a%20sku"), Some(&asha), &json!({"rating": 4}))
        .await;
    malformed.assert_complete_problem(422);

    app.get(&mine(SKU), Some(&asha))
        .await
        .assert_complete_problem(404);
    assert_eq!(
        product_rating(&app, SKU).await,
        json!({"average": null, "count": 0})
    );

    let longest = app
        .put(
            &mine(SKU),
            Some(&asha),
            &json!({"rating": 4, "title": "t".repeat(120), "text": "é".repeat(4000)}),
        )
        .await;
    assert_eq!(longest.status, 201, "limits count characters, not bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpful_votes_count_once_per_voter_never_for_the_author_and_sort_the_list() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    app.stock_product("KIWI-3PACK", 12_000, 10).await;
    let mut authors = Vec::new();
    let mut reviews = Vec::new();
    for name in ["Asha", "Ravi", "Meera"] {
        let (token, _) = customer_who_received(&app, name, &[SKU]).await;
        let created = app
            .put(&mine(SKU), Some(&token), &json!({"rating": 4}))
            .await;
        assert_eq!(created.status, 201, "{:#}", created.body);
        reviews.push(created.body["id"].as_str().expect("an id").to_owned());
        authors.push(token);
    }
    let (first, second, third) = (&reviews[0], &reviews[1], &reviews[2]);
    let vote = |review: &str| format!("/v1/products/{SKU}/reviews/{review}/helpful");
    let reader = app.customer("Kabir").await;

    let counted = app.post(&vote(first), Some(&reader), &json!({})).await;
    assert_eq!(counted.status, 200, "{:#}", counted.body);
    assert_eq!(counted.body["helpful"], 1);
    assert_eq!(counted.body["counted"], true);
    let again = app.post(&vote(first), Some(&reader), &json!({})).await;
    assert_eq!(again.status, 200, "{:#}", again.body);
    assert_eq!(again.body["helpful"], 1, "a second vote changes nothing");
    assert_eq!(again.body["counted"], false);
    app.post(&vote(first), Some(&authors[0]), &json!({}))
        .await
        .assert_complete_problem(403);
    let fellow_author = app.post(&vote(first), Some(&authors[2]), &json!({})).await;
    assert_eq!(fellow_author.status, 200, "{:#}", fellow_author.body);
    assert_eq!(fellow_author.body["helpful"], 2);
    let on_third = app.post(&vote(third), Some(&reader), &json!({})).await;
    assert_eq!(on_third.body["helpful"], 1);
    app.post(&vote(third), Some(&authors[2]), &json!({}))
        .await
        .assert_complete_problem(403);

    let wrong_product = app
        .post(
            &format!("/v1/products/KIWI-3PACK/reviews/{first}/helpful"),
            Some(&reader),
            &json!({}),
        )
        .await;
    wrong_product.assert_complete_problem(404);
    app.post(&vote("not-a-uuid"), Some(&reader), &json!({}))
        .await
        .assert_complete_problem(422);
    app.post(&vote(first), None, &json!({}))
        .await
        .assert_complete_problem(401);

    let newest = app.get(&format!("/v1/products/{SKU}/reviews"), None).await;
    assert_eq!(ids_of(&newest.body), [third.as_str(), second, first]);
    let helpful = app
        .get(&format!("/v1/products/{SKU}/reviews?sort=helpful"), None)
        .await;
    assert_eq!(helpful.status, 200, "{:#}", helpful.body);
    // first: 2 votes; third: 1 (its author's vote was refused); second: 0.
    assert_eq!(ids_of(&helpful.body), [first.as_str(), third, second]);
    assert_eq!(helpful.body["items"][0]["helpful"], 2);
    let bad_sort = app
        .get(&format!("/v1/products/{SKU}/reviews?sort=stars"), None)
        .await;
    bad_sort.assert_complete_problem(422);
    assert_eq!(bad_sort.fields(), ["sort"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_are_listed_twenty_a_page_with_a_cursor_in_either_order() {
    let app = spawn_app().await;
    app.stock_product(SKU, PRICE, 10).await;
    let sku = Sku::parse(SKU).expect("SKU");
    let mut authors = Vec::new();
    for n in 0..23 {
        let user = app
            .store
            .accounts()
            .insert_user(&NewUser {
                email: format!("reviewer{n}@example.test"),
                name: format!("Reviewer {n}"),
                password_hash: "not-a-login".into(),
                role: Role::Customer,
            })
            .await
            .expect("a reviewer");
        app.store
            .reviews()
            .upsert_review(&ReviewDraft {
                sku: sku.clone(),
                author_id: user.id,
                rating: Rating::parse(1 + n % 5).expect("a rating"),
                title: None,
                text: Some(format!("review {n}")),
            })
            .await
            .expect("a review");
        authors.push(user.id);
    }
    let all = app
        .store
        .reviews()
        .reviews_for_product(
            &sku,
            orderly_store::ReviewOrder::Newest { before: None },
            100,
        )
        .await
        .expect("all reviews");
    // Votes on every third review, so the helpful order has ties to break.
    for (i, review) in all.iter().enumerate() {
        for voter in authors.iter().take(i % 3) {
            if *voter != review.author_id {
                app.store
                    .reviews()
                    .vote_helpful(review.id, *voter)
                    .await
                    .expect("a vote");
            }
        }
    }

    for sort in ["newest", "helpful"] {
        let first = app
            .get(&format!("/v1/products/{SKU}/reviews?sort={sort}"), None)
            .await;
        assert_eq!(first.status, 200, "{:#}", first.body);
        let mut seen = ids_of(&first.body);
        assert_eq!(seen.len(), 20, "{sort}: twenty per page by default");
        let cursor = first.body["next_cursor"].as_str().expect("a next page");
        let second = app
            .get(
                &format!("/v1/products/{SKU}/reviews?sort={sort}&cursor={cursor}"),
                None,
            )
            .await;
        assert_eq!(second.status, 200, "{:#}", second.body);
        assert_eq!(ids_of(&second.body).len(), 3, "{sort}");
        assert_eq!(second.body["next_cursor"], Value::Null);
        seen.extend(ids_of(&second.body));
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 23, "{sort}: every review exactly once");

        let items: Vec<Value> = [&first.body, &second.body]
            .iter()
            .flat_map(|page| page["items"].as_array().cloned().unwrap_or_default())
            .collect();
        let keys: Vec<(i64, String)> = items
            .iter()
            .map(|r| {
                let helpful = if sort == "helpful" {
                    r["helpful"].as_i64().expect("helpful")
                } else {
                    0
                };
                (helpful, r["id"].as_str().expect("id").to_owned())
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(keys, sorted, "{sort}: ordered across pages");
    }

    let wrong_cursor = app
        .get(
            &format!(
                "/v1/products/{SKU}/reviews?sort=helpful&cursor={}",
                all[0].id
            ),
            None,
        )
        .await;
    wrong_cursor.assert_complete_problem(422);
    assert_eq!(wrong_cursor.fields(), ["cursor"]);
    let small = app
        .get(&format!("/v1/products/{SKU}/reviews?limit=5"), None)
        .await;
    assert_eq!(ids_of(&small.body).len(), 5);
}
