//! Who may do what: accounts and sessions (register, login, refresh-token
//! rotation and its theft detection, logout), and the visibility rules of
//! orders (customers see only their own; warehouse steps are staff-only).

use orderly_providers::sandbox_values::CARD_APPROVED;
use std::collections::BTreeSet;

use futures::future::join_all;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, spawn_app};
use orderly_tests::shopper::{Answer, card, delivery_order, pickup_order, upi};

const PASSWORD: &str = "correct horse battery";

async fn register(app: &TestApp, email: &str, password: &str, name: &str) -> Answer {
    app.post(
        "/v1/auth/register",
        None,
        &json!({"email": email, "password": password, "name": name}),
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    app.post(
        "/v1/auth/login",
        None,
        &json!({"email": email, "password": password}),
    )
    .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Answer {
    app.post(
        "/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh_token}),
    )
    .await
}

fn token<'a>(answer: &'a Answer, which: &str) -> &'a str {
    answer.body[which]
        .as_str()
        .unwrap_or_else(|| panic!("no {which} in {:#}", answer.body))
}

/// Asserts the access token works by reading `/v1/me` with it.
async fn assert_access_works(app: &TestApp, access_token: &str, email: &str) {
    let me = app.get("/v1/me", Some(access_token)).await;
    assert_eq!(me.status, 200, "{:#}", me.body);
    assert_eq!(me.body["email"], email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_creates_a_logged_in_customer_whose_password_is_stored_as_argon2id() {
    let app = spawn_app().await;

    let registered = register(&app, " Asha.Rao@Example.TEST ", PASSWORD, "Asha Rao").await;

    assert_eq!(registered.status, 201, "{:#}", registered.body);
    assert_eq!(registered.body["token_type"], "Bearer");
    assert_eq!(registered.body["user"]["role"], "customer");
    assert_eq!(registered.body["user"]["email"], "asha.rao@example.test");
    assert_eq!(registered.body["user"]["name"], "Asha Rao");
    assert!(registered.body["user"].get("password_hash").is_none());
    assert!(registered.body["expires_in"].as_u64().unwrap_or_default() > 0);
    assert_ne!(token(&registered, "refresh_token"), "");
    assert_access_works(
        &app,
        token(&registered, "access_token"),
        "asha.rao@example.test",
    )
    .await;

    let stored = app
        .store
        .accounts()
        .user_by_email("asha.rao@example.test")
        .await
        .expect("reading the user")
        .expect("the user was stored");
    assert!(
        stored.password_hash.starts_with("$argon2id$"),
        "{}",
        stored.password_hash
    );
    assert!(!stored.password_hash.contains(PASSWORD));
    assert_eq!(stored.user.id.to_string(), registered.body["user"]["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_can_be_registered_only_once_whatever_its_case() {
    let app = spawn_app().await;
    let first = register(&app, "asha@example.test", PASSWORD, "Asha").await;
    assert_eq!(first.status, 201, "{:#}", first.body);

    let again = register(&app, "ASHA@example.test", "another password", "Impostor").await;

    again.assert_complete_problem(409);
    assert_eq!(again.body["type"], "https://orderly.dev/problems/conflict");
    let stored = app
        .store
        .accounts()
        .user_by_email("asha@example.test")
        .await
        .expect("reading the user")
        .expect("the first account");
    assert_eq!(stored.user.name, "Asha");
    assert_eq!(login(&app, "asha@example.test", PASSWORD).await.status, 200);
    assert_eq!(
        login(&app, "asha@example.test", "another password")
            .await
            .status,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_registration_is_422_naming_each_field_and_creates_no_account() {
    let app = spawn_app().await;

    for (email, password, name, field) in [
        ("weak@example.test", "short", "Weak", "password"),
        ("weak@example.test", "", "Weak", "password"),
        ("not-an-email", PASSWORD, "Nobody", "email"),
        ("blank@example.test", PASSWORD, "   ", "name"),
    ] {
        let refused = register(&app, email, password, name).await;
        refused.assert_complete_problem(422);
        assert_eq!(refused.fields(), [field], "{:#}", refused.body);
        assert!(
            app.store
                .accounts()
                .user_by_email(email)
                .await
                .expect("reading users")
                .is_none(),
            "{email} was stored"
        );
    }

    let everything_wrong = register(&app, "nope", "x", "").await;
    everything_wrong.assert_complete_problem(422);
    let fields: BTreeSet<String> = everything_wrong.fields().into_iter().collect();
    assert_eq!(
        fields,
        ["email", "name", "password"].map(String::from).into()
    );

    let missing = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": "x@example.test"}),
        )
        .await;
    missing.assert_complete_problem(422);
    assert_eq!(missing.fields(), ["password"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_needs_the_right_password_and_says_nothing_about_which_part_was_wrong() {
    let app = spawn_app().await;
    register(&app, "asha@example.test", PASSWORD, "Asha").await;

    let ok = login(&app, "Asha@Example.test", PASSWORD).await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    assert_eq!(ok.body["user"]["role"], "customer");
    assert_access_works(&app, token(&ok, "access_token"), "asha@example.test").await;
    assert_eq!(refresh(&app, token(&ok, "refresh_token")).await.status, 200);

    let wrong_password = login(&app, "asha@example.test", "correct horse battery!").await;
    wrong_password.assert_complete_problem(401);
    assert!(wrong_password.body.get("access_token").is_none());
    let unknown_email = login(&app, "nobody@example.test", PASSWORD).await;
    unknown_email.assert_complete_problem(401);
    assert_eq!(wrong_password.body, unknown_email.body);

    let admin = login(
        &app,
        orderly_tests::app::ADMIN_EMAIL,
        orderly_tests::app::ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(admin.body["user"]["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_rotates_the_pair_and_the_used_refresh_token_stops_working() {
    let app = spawn_app().await;
    let registered = register(&app, "asha@example.test", PASSWORD, "Asha").await;
    let first = token(&registered, "refresh_token").to_owned();

    let rotated = refresh(&app, &first).await;

    assert_eq!(rotated.status, 200, "{:#}", rotated.body);
    assert_eq!(rotated.body["user"]["email"], "asha@example.test");
    let second = token(&rotated, "refresh_token").to_owned();
    assert_ne!(second, first);
    assert_ne!(
        token(&rotated, "access_token"),
        token(&registered, "access_token")
    );
    assert_access_works(&app, token(&rotated, "access_token"), "asha@example.test").await;

    // The new refresh token is itself good for exactly one more rotation.
    let third = refresh(&app, &second).await;
    assert_eq!(third.status, 200, "{:#}", third.body);
    refresh(&app, &second).await.assert_complete_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_rotated_refresh_token_revokes_its_whole_family_but_not_other_sessions() {
    let app = spawn_app().await;
    let registered = register(&app, "asha@example.test", PASSWORD, "Asha").await;
    let stolen = token(&registered, "refresh_token").to_owned();
    let other_device = login(&app, "asha@example.test", PASSWORD).await;
    let other_session = token(&other_device, "refresh_token").to_owned();

    let rotated = refresh(&app, &stolen).await;
    assert_eq!(rotated.status, 200, "{:#}", rotated.body);
    let current = token(&rotated, "refresh_token").to_owned();

    // The thief replays the old token: refused, and the legitimate
    // holder's newer token from the same family dies with it.
    refresh(&app, &stolen).await.assert_complete_problem(401);
    refresh(&app, &current).await.assert_complete_problem(401);

    let elsewhere = refresh(&app, &other_session).await;
    assert_eq!(elsewhere.status, 200, "{:#}", elsewhere.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_simultaneous_refreshes_with_one_token_cannot_both_succeed() {
    let app = spawn_app().await;
    let registered = register(&app, "asha@example.test", PASSWORD, "Asha").await;
    let presented = token(&registered, "refresh_token").to_owned();

    let answers = join_all((0..4).map(|_| refresh(&app, &presented))).await;

    let winners = answers.iter().filter(|a| a.status == 200).count();
    assert!(winners <= 1, "{winners} refreshes succeeded with one token");
    for answer in answers.iter().filter(|a| a.status != 200) {
        answer.assert_complete_problem(401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let registered = register(&app, "asha@example.test", PASSWORD, "Asha").await;
    let refresh_token = token(&registered, "refresh_token").to_owned();
    let rotated = refresh(&app, &refresh_token).await;
    let current = token(&rotated, "refresh_token").to_owned();

    let out = app
        .post("/v1/auth/logout", None, &json!({"refresh_token": current}))
        .await;

    assert_eq!(out.status, 204, "{:#}", out.body);
    refresh(&app, &current).await.assert_complete_problem(401);
    // Logging out twice, or with a token never issued, is not an error.
    for again in [current.as_str(), "never-issued"] {
        let answer = app
            .post("/v1/auth/logout", None, &json!({"refresh_token": again}))
            .await;
        assert_eq!(answer.status, 204, "{:#}", answer.body);
    }
    // Logging in again starts a fresh session.
    let back = login(&app, "asha@example.test", PASSWORD).await;
    assert_eq!(
        refresh(&app, token(&back, "refresh_token")).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_ends_the_access_tokens_of_that_session_at_once_and_no_other() {
    let app = spawn_app().await;
    register(&app, "asha@example.test", PASSWORD, "Asha").await;
    let phone = login(&app, "asha@example.test", PASSWORD).await;
    let laptop = login(&app, "asha@example.test", PASSWORD).await;
    let tablet = login(&app, "asha@example.test", PASSWORD).await;
    for session in [&phone, &laptop, &tablet] {
        assert_access_works(&app, token(session, "access_token"), "asha@example.test").await;
    }

    let out = app
        .post(
            "/v1/auth/logout",
            None,
            &json!({"refresh_token": token(&phone, "refresh_token")}),
        )
        .await;
    assert_eq!(out.status, 204, "{:#}", out.body);
    app.get("/v1/me", Some(token(&phone, "access_token")))
        .await
        .assert_complete_problem(401);
    assert_access_works(&app, token(&laptop, "access_token"), "asha@example.test").await;

    // Logging out with the access token ends its session even when the
    // refresh token sent is not one of ours.
    let out = app
        .post(
            "/v1/auth/logout",
            Some(token(&laptop, "access_token")),
            &json!({"refresh_token": "lost"}),
        )
        .await;
    assert_eq!(out.status, 204, "{:#}", out.body);
    app.get("/v1/me", Some(token(&laptop, "access_token")))
        .await
        .assert_complete_problem(401);
    refresh(&app, token(&laptop, "refresh_token"))
        .await
        .assert_complete_problem(401);
    assert_access_works(&app, token(&tablet, "access_token"), "asha@example.test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_shows_the_callers_own_account() {
    let app = spawn_app().await;
    let registered = register(&app, "asha@example.test", PASSWORD, "Asha Rao").await;
    let access = token(&registered, "access_token");

    let me = app.get("/v1/me", Some(access)).await;

    assert_eq!(me.status, 200, "{:#}", me.body);
    assert_eq!(me.body["id"], registered.body["user"]["id"]);
    assert_eq!(me.body["name"], "Asha Rao");
    assert_eq!(me.body["role"], "customer");
    assert!(me.body["created_at"].is_string());
    assert!(me.body.get("password_hash").is_none());
    let admin = app.admin().await;
    assert_eq!(app.get("/v1/me", Some(&admin)).await.body["role"], "admin");
    app.get("/v1/me", None).await.assert_complete_problem(401);
}

fn apples(quantity: u32) -> Value {
    delivery_order(
        json!([{"sku": "APPLE-1KG", "quantity": quantity}]),
        card(CARD_APPROVED),
    )
}

async fn placed_id(answer: Answer) -> String {
    assert_eq!(answer.status, 201, "{:#}", answer.body);
    answer.body["id"].as_str().expect("order id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_see_track_or_cancel_another_customers_order() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    let admin = app.admin().await;
    let id = placed_id(app.place(&asha, &apples(2)).await).await;
    app.wait_for_status(&asha, &id, "paid").await;

    let missing = app
        .get(&format!("/v1/orders/{}", uuid::Uuid::now_v7()), Some(&ravi))
        .await;
    missing.assert_complete_problem(404);
    let seen = app.get(&format!("/v1/orders/{id}"), Some(&ravi)).await;
    seen.assert_complete_problem(404);
    assert_eq!(
        seen.body, missing.body,
        "a 404 must not reveal the order exists"
    );
    app.get(&format!("/v1/orders/{id}/tracking"), Some(&ravi))
        .await
        .assert_complete_problem(404);
    app.cancel(&ravi, &id).await.assert_complete_problem(404);

    let still = app.get(&format!("/v1/orders/{id}"), Some(&asha)).await;
    assert_eq!(still.body["status"], "paid");
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 2));
    let tracking = app
        .get(&format!("/v1/orders/{id}/tracking"), Some(&asha))
        .await;
    assert_eq!(tracking.status, 200, "{:#}", tracking.body);
    assert_eq!(tracking.body["order_id"], id.as_str());
    let by_admin = app.get(&format!("/v1/orders/{id}"), Some(&admin)).await;
    assert_eq!(by_admin.status, 200, "{:#}", by_admin.body);
}

fn ids_of(page: &Answer) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {:#}", page.body))
        .iter()
        .map(|order| order["id"].as_str().expect("order id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_list_shows_customers_their_own_orders_and_admins_every_order() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 100).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    let admin = app.admin().await;
    let hers = [
        placed_id(app.place(&asha, &apples(1)).await).await,
        placed_id(app.place(&asha, &apples(2)).await).await,
    ];
    let his = placed_id(app.place(&ravi, &apples(3)).await).await;

    let her_list = app.get("/v1/orders", Some(&asha)).await;
    assert_eq!(her_list.status, 200, "{:#}", her_list.body);
    // Newest first.
    assert_eq!(ids_of(&her_list), [hers[1].clone(), hers[0].clone()]);
    assert_eq!(her_list.body["next_cursor"], Value::Null);
    let his_list = app.get("/v1/orders", Some(&ravi)).await;
    assert_eq!(ids_of(&his_list), [his.as_str()]);
    let all = app.get("/v1/orders", Some(&admin)).await;
    assert_eq!(
        ids_of(&all),
        [his.clone(), hers[1].clone(), hers[0].clone()]
    );
    let newcomer = app.customer("Meera").await;
    assert!(ids_of(&app.get("/v1/orders", Some(&newcomer)).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_list_can_be_filtered_by_status() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 100).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    let admin = app.admin().await;
    let paid = placed_id(app.place(&asha, &apples(1)).await).await;
    let waiting = placed_id(
        app.place(
            &asha,
            &delivery_order(
                json!([{"sku": "APPLE-1KG", "quantity": 1}]),
                upi("pending@upi"),
            ),
        )
        .await,
    )
    .await;
    let his_waiting = placed_id(
        app.place(
            &ravi,
            &pickup_order(
                json!([{"sku": "APPLE-1KG", "quantity": 1}]),
                upi("pending@upi"),
            ),
        )
        .await,
    )
    .await;
    app.wait_for_status(&asha, &paid, "paid").await;
    app.wait_for_status(&asha, &waiting, "awaiting_payment")
        .await;
    app.wait_for_status(&ravi, &his_waiting, "awaiting_payment")
        .await;

    let awaiting = app
        .get("/v1/orders?status=awaiting_payment", Some(&asha))
        .await;
    assert_eq!(ids_of(&awaiting), [waiting.as_str()]);
    let paid_list = app.get("/v1/orders?status=paid", Some(&asha)).await;
    assert_eq!(ids_of(&paid_list), [paid.as_str()]);
    assert!(ids_of(&app.get("/v1/orders?status=delivered", Some(&asha)).await).is_empty());
    let all_waiting = app
        .get("/v1/orders?status=awaiting_payment", Some(&admin))
        .await;
    assert_eq!(ids_of(&all_waiting), [his_waiting, waiting]);

    let bogus = app.get("/v1/orders?status=lost", Some(&asha)).await;
    bogus.assert_complete_problem(422);
    assert_eq!(bogus.fields(), ["status"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_list_pages_20_orders_at_a_time_by_cursor() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 1_000).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    placed_id(app.place(&ravi, &apples(1)).await).await;
    let mut placed = Vec::new();
    for _ in 0..23 {
        placed.push(placed_id(app.place(&asha, &apples(1)).await).await);
    }
    let newest_first: Vec<String> = placed.iter().rev().cloned().collect();

    let first = app.get("/v1/orders", Some(&asha)).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    assert_eq!(ids_of(&first), newest_first[..20]);
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a cursor after a full page")
        .to_owned();
    assert_eq!(cursor, newest_first[19]);

    let second = app
        .get(&format!("/v1/orders?cursor={cursor}"), Some(&asha))
        .await;
    assert_eq!(second.status, 200, "{:#}", second.body);
    assert_eq!(ids_of(&second), newest_first[20..]);
    assert_eq!(second.body["next_cursor"], Value::Null);

    let small = app.get("/v1/orders?limit=5", Some(&asha)).await;
    assert_eq!(ids_of(&small), newest_first[..5]);
    assert_eq!(small.body["next_cursor"], newest_first[4].as_str());

    let bad_cursor = app.get("/v1/orders?cursor=page-2", Some(&asha)).await;
    bad_cursor.assert_complete_problem(422);
    assert_eq!(bad_cursor.fields(), ["cursor"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warehouse_steps_are_refused_to_customers_with_403() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let asha = app.customer("Asha").await;
    let delivery = placed_id(app.place(&asha, &apples(1)).await).await;
    let pickup = placed_id(
        app.place(
            &asha,
            &pickup_order(
                json!([{"sku": "APPLE-1KG", "quantity": 1}]),
                card(CARD_APPROVED),
            ),
        )
        .await,
    )
    .await;
    app.wait_for_status(&asha, &delivery, "paid").await;
    app.wait_for_status(&asha, &pickup, "paid").await;

    for (id, step) in [
        (&delivery, "pack"),
        (&pickup, "pack"),
        (&pickup, "ready-for-pickup"),
        (&pickup, "picked-up"),
    ] {
        let refused = app
            .post(&format!("/v1/orders/{id}/{step}"), Some(&asha), &json!({}))
            .await;
        refused.assert_complete_problem(403);
        assert_eq!(
            refused.body["type"],
            "https://orderly.dev/problems/forbidden"
        );
    }
    for id in [&delivery, &pickup] {
        let order = app.get(&format!("/v1/orders/{id}"), Some(&asha)).await;
        assert_eq!(order.body["status"], "paid", "{:#}", order.body);
    }
    app.post(&format!("/v1/orders/{delivery}/pack"), None, &json!({}))
        .await
        .assert_complete_problem(401);
}
