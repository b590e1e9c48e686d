//! Accounts beyond logging in: the profile, the address book, password
//! reset by email (through a real SMTP server) and login throttling.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use orderly_api::state::AccountSettings;
use orderly_tests::app::{TestApp, TestOptions, spawn_app, spawn_app_with};
use orderly_tests::shopper::Answer;
use orderly_tests::smtp_sink::ReceivedMail;

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Registers `email` and returns the registration answer (tokens, user).
async fn register(app: &TestApp, email: &str, name: &str) -> Answer {
    let answer = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": email, "password": PASSWORD, "name": name}),
        )
        .await;
    assert_eq!(answer.status, 201, "register: {:#}", answer.body);
    answer
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    app.post(
        "/v1/auth/login",
        None,
        &json!({"email": email, "password": password}),
    )
    .await
}

async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> Answer {
    app.request_with(Method::PATCH, path, Some(token), Some(body), &[])
        .await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Answer {
    app.request_with(Method::DELETE, path, Some(token), None, &[])
        .await
}

fn home() -> Value {
    json!({"label": "Home", "name": "Asha Rao", "line1": "12 MG Road",
           "city": "Pune", "postal_code": "411001", "country": "IN"})
}

fn office() -> Value {
    json!({"label": "Office", "name": "Asha Rao", "line1": "4 Residency Road",
           "line2": "Floor 3", "city": "Bengaluru", "postal_code": "560025", "country": "IN"})
}

fn parents() -> Value {
    json!({"name": "R. Rao", "line1": "7 Park Street", "city": "Kolkata",
           "postal_code": "700016", "country": "in"})
}

async fn save(app: &TestApp, token: &str, address: &Value) -> String {
    let saved = app.post("/v1/me/addresses", Some(token), address).await;
    assert_eq!(saved.status, 201, "{:#}", saved.body);
    saved.body["id"].as_str().expect("an address id").to_owned()
}

async fn book(app: &TestApp, token: &str) -> Vec<Value> {
    let listed = app.get("/v1/me/addresses", Some(token)).await;
    assert_eq!(listed.status, 200, "{:#}", listed.body);
    listed.body["items"].as_array().expect("items").clone()
}

/// The ids of the default addresses in the book (there must be one).
fn defaults(book: &[Value]) -> Vec<String> {
    book.iter()
        .filter(|address| address["is_default"] == true)
        .map(|address| address["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_profile_has_defaults_and_a_partial_update_keeps_every_field_not_sent() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;

    let fresh = app.get("/v1/me", Some(&token)).await;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.body["phone"], Value::Null);
    assert_eq!(
        fresh.body["preferences"],
        json!({"organic": false, "seasonal": false, "local": false})
    );
    assert_eq!(
        fresh.body["notification_channels"],
        json!(["email", "in_app"])
    );

    let phoned = patch(
        &app,
        "/v1/me",
        &token,
        &json!({"phone": "+91 98765-43210", "preferences": {"organic": true}}),
    )
    .await;
    assert_eq!(phoned.status, 200, "{:#}", phoned.body);
    assert_eq!(phoned.body["phone"], "+919876543210");
    assert_eq!(
        phoned.body["preferences"],
        json!({"organic": true, "seasonal": false, "local": false})
    );

    let renamed = patch(
        &app,
        "/v1/me",
        &token,
        &json!({"name": "  Asha R.  ", "preferences": {"local": true},
                "notification_channels": ["sms", "push", "sms"]}),
    )
    .await;
    assert_eq!(renamed.status, 200, "{:#}", renamed.body);
    let now = app.get("/v1/me", Some(&token)).await.body;
    assert_eq!(now["name"], "Asha R.");
    assert_eq!(now["phone"], "+919876543210");
    assert_eq!(
        now["preferences"],
        json!({"organic": true, "seasonal": false, "local": true})
    );
    // The inbox cannot be switched off.
    assert_eq!(
        now["notification_channels"],
        json!(["sms", "push", "in_app"])
    );
    assert_eq!(now["email"], fresh.body["email"]);

    let unphoned = patch(&app, "/v1/me", &token, &json!({"phone": null})).await;
    assert_eq!(unphoned.status, 200);
    let now = app.get("/v1/me", Some(&token)).await.body;
    assert_eq!(now["phone"], Value::Null);
    assert_eq!(now["name"], "Asha R.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_profile_update_is_422_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;
    let before = app.get("/v1/me", Some(&token)).await.body;

    let bad_phone = patch(
        &app,
        "/v1/me",
        &token,
        &json!({"name": "Someone Else", "phone": "98765 43210"}),
    )
    .await;
    bad_phone.assert_problem(422);
    assert_eq!(bad_phone.fields(), ["phone"]);

    let bad_channel = patch(
        &app,
        "/v1/me",
        &token,
        &json!({"notification_channels": ["email", "fax"]}),
    )
    .await;
    bad_channel.assert_problem(422);
    assert_eq!(bad_channel.fields(), ["notification_channels[1]"]);

    let blank_name = patch(&app, "/v1/me", &token, &json!({"name": "   "})).await;
    blank_name.assert_problem(422);
    assert_eq!(blank_name.fields(), ["name"]);

    let unknown = patch(
        &app,
        "/v1/me",
        &token,
        &json!({"email": "new@example.test"}),
    )
    .await;
    unknown.assert_problem(422);
    assert_eq!(unknown.fields(), ["email"]);

    let not_a_flag = patch(
        &app,
        "/v1/me",
        &token,
        &json!({"preferences": {"organic": "yes"}}),
    )
    .await;
    not_a_flag.assert_problem(422);
    assert_eq!(not_a_flag.fields(), ["preferences.organic"]);

    assert_eq!(app.get("/v1/me", Some(&token)).await.body, before);
    app.request_with(Method::PATCH, "/v1/me", None, Some(&json!({})), &[])
        .await
        .assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_address_becomes_the_default_and_choosing_another_moves_the_mark() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;

    let first = app.post("/v1/me/addresses", Some(&token), &home()).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    assert_eq!(first.body["is_default"], true);
    assert_eq!(first.body["label"], "Home");
    let home_id = first.body["id"].as_str().unwrap().to_owned();
    let office_id = save(&app, &token, &office()).await;

    let listed = book(&app, &token).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(defaults(&listed), [home_id.as_str()]);
    assert_eq!(listed[1]["line2"], "Floor 3");

    let chosen = app
        .post(
            &format!("/v1/me/addresses/{office_id}/default"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(chosen.status, 200, "{:#}", chosen.body);
    assert_eq!(chosen.body["is_default"], true);
    assert_eq!(defaults(&book(&app, &token).await), [office_id.as_str()]);

    let mut third = parents();
    third["is_default"] = json!(true);
    let parents_id = save(&app, &token, &third).await;
    let listed = book(&app, &token).await;
    assert_eq!(defaults(&listed), [parents_id.as_str()]);
    // The country code is kept upper-case whatever the client sent.
    assert_eq!(listed[2]["country"], "IN");

    let one = app
        .get(&format!("/v1/me/addresses/{home_id}"), Some(&token))
        .await;
    assert_eq!(one.body["city"], "Pune");
    assert_eq!(one.body["is_default"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_address_changes_only_the_fields_sent_and_bad_fields_are_named() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;
    let id = save(&app, &token, &office()).await;
    let path = format!("/v1/me/addresses/{id}");

    let moved = patch(
        &app,
        &path,
        &token,
        &json!({"line1": "9 Brigade Road", "line2": null}),
    )
    .await;
    assert_eq!(moved.status, 200, "{:#}", moved.body);
    assert_eq!(moved.body["line1"], "9 Brigade Road");
    assert_eq!(moved.body["line2"], Value::Null);
    assert_eq!(moved.body["city"], "Bengaluru");
    assert_eq!(moved.body["label"], "Office");
    assert_eq!(moved.body["is_default"], true);

    let bad = patch(
        &app,
        &path,
        &token,
        &json!({"city": "Mysuru", "postal_code": " ", "country": "India"}),
    )
    .await;
    bad.assert_problem(422);
    assert_eq!(bad.fields(), ["postal_code", "country"]);
    let unchanged = app.get(&path, Some(&token)).await;
    assert_eq!(unchanged.body, moved.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_new_address_is_422_naming_every_field_and_saves_nothing() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;

    let blank = app
        .post(
            "/v1/me/addresses",
            Some(&token),
            &json!({"name": " ", "line1": "12 MG Road", "city": "", "postal_code": "411001",
                    "country": "IN"}),
        )
        .await;
    blank.assert_problem(422);
    assert_eq!(blank.fields(), ["name", "city"]);

    let missing = app
        .post(
            "/v1/me/addresses",
            Some(&token),
            &json!({"name": "Asha", "city": "Pune", "postal_code": "411001", "country": "IN"}),
        )
        .await;
    missing.assert_problem(422);
    assert_eq!(missing.fields(), ["line1"]);

    assert!(book(&app, &token).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_default_address_makes_the_newest_remaining_one_the_default() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;
    let home_id = save(&app, &token, &home()).await;
    let office_id = save(&app, &token, &office()).await;
    let parents_id = save(&app, &token, &parents()).await;

    let deleted = delete(&app, &format!("/v1/me/addresses/{home_id}"), &token).await;
    assert_eq!(deleted.status, 204);
    let listed = book(&app, &token).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(defaults(&listed), [parents_id.as_str()]);

    // Deleting an address that is not the default leaves the mark alone.
    assert_eq!(
        delete(&app, &format!("/v1/me/addresses/{office_id}"), &token)
            .await
            .status,
        204
    );
    assert_eq!(defaults(&book(&app, &token).await), [parents_id.as_str()]);

    assert_eq!(
        delete(&app, &format!("/v1/me/addresses/{parents_id}"), &token)
            .await
            .status,
        204
    );
    assert!(book(&app, &token).await.is_empty());
    delete(&app, &format!("/v1/me/addresses/{parents_id}"), &token)
        .await
        .assert_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_address_is_404_to_every_verb_and_left_untouched() {
    let app = spawn_app().await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    let id = save(&app, &asha, &home()).await;
    let path = format!("/v1/me/addresses/{id}");
    let before = app.get(&path, Some(&asha)).await.body;

    app.get(&path, Some(&ravi)).await.assert_problem(404);
    patch(&app, &path, &ravi, &json!({"city": "Goa"}))
        .await
        .assert_problem(404);
    delete(&app, &path, &ravi).await.assert_problem(404);
    app.post(&format!("{path}/default"), Some(&ravi), &json!({}))
        .await
        .assert_problem(404);
    assert!(book(&app, &ravi).await.is_empty());
    assert_eq!(app.get(&path, Some(&asha)).await.body, before);

    // Checkout reads saved addresses through the store with the same rule.
    let asha_id = app.account_id(&asha).await;
    let ravi_id = app.account_id(&ravi).await;
    let address_id = id.parse().expect("a UUID");
    let found = app
        .store
        .accounts()
        .address_for_user(asha_id, address_id)
        .await
        .unwrap()
        .expect("Asha's address");
    assert_eq!(found.city, "Pune");
    assert_eq!(
        app.store
            .accounts()
            .address_for_user(ravi_id, address_id)
            .await
            .unwrap(),
        None
    );
    app.get("/v1/me/addresses", None).await.assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_an_address_creation_with_the_same_key_saves_it_once() {
    let app = spawn_app().await;
    let token = app.customer("Asha").await;
    let key = [("Idempotency-Key", "new-home-1")];

    let first = app
        .request_with(
            Method::POST,
            "/v1/me/addresses",
            Some(&token),
            Some(&home()),
            &key,
        )
        .await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let again = app
        .request_with(
            Method::POST,
            "/v1/me/addresses",
            Some(&token),
            Some(&home()),
            &key,
        )
        .await;
    assert_eq!(again.status, 200, "{:#}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(book(&app, &token).await.len(), 1);

    let other_body = app
        .request_with(
            Method::POST,
            "/v1/me/addresses",
            Some(&token),
            Some(&office()),
            &key,
        )
        .await;
    other_body.assert_problem(422);
    assert_eq!(
        other_body.body["type"],
        "https://orderly.dev/problems/idempotency-key-reused"
    );
    assert_eq!(book(&app, &token).await.len(), 1);
}

/// The reset code in an email, with quoted-printable soft breaks undone.
pub(crate) fn reset_code(mail: &ReceivedMail) -> String {
    let body = mail.body().replace("=\r\n", "").replace("=\n", "");
    body.lines()
        .find_map(|line| line.trim().strip_prefix("reset-code: "))
        .unwrap_or_else(|| panic!("no reset code in {mail:#?}"))
        .trim()
        .to_owned()
}

pub(crate) fn with_smtp(accounts: AccountSettings) -> TestOptions {
    TestOptions {
        smtp: true,
        accounts,
        ..TestOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_code_from_the_email_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app_with(with_smtp(AccountSettings::default())).await;
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    let registered = register(&app, "asha@example.test", "Asha Rao").await;
    let old_refresh = registered.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_device = login(&app, "asha@example.test", PASSWORD).await;
    let other_refresh = other_device.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_access = registered.body["access_token"].as_str().unwrap().to_owned();
    let other_access = other_device.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/v1/me", Some(&old_access)).await.status, 200);

    let asked = app
        .post(
            "/v1/auth/password-reset",
            None,
            &json!({"email": "Asha@Example.test"}),
        )
        .await;
    assert_eq!(asked.status, 202, "{:#}", asked.body);
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipients, ["asha@example.test"]);
    let code = reset_code(&mails[0]);
    assert_eq!(code.len(), 43, "32 random bytes in base64url: {code}");

    let reset = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": code, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(reset.status, 204, "{:#}", reset.body);

    for refresh in [&old_refresh, &other_refresh] {
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
            .await
            .assert_problem(401);
    }
    // Access tokens end with their sessions, not only when they expire.
    for access in [&old_access, &other_access] {
        app.get("/v1/me", Some(access)).await.assert_problem(401);
        app.get("/v1/orders", Some(access))
            .await
            .assert_problem(401);
    }
    login(&app, "asha@example.test", PASSWORD)
        .await
        .assert_problem(401);
    let fresh = login(&app, "asha@example.test", NEW_PASSWORD).await;
    assert_eq!(fresh.status, 200);
    let fresh_access = fresh.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", Some(fresh_access)).await.status, 200);

    let reused = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": code, "password": "yet another password"}),
        )
        .await;
    reused.assert_problem(422);
    assert_eq!(reused.fields(), ["token"]);
    assert!(
        reused.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already used"),
        "{:#}",
        reused.body
    );
    assert_eq!(
        login(&app, "asha@example.test", NEW_PASSWORD).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_email_gets_the_same_202_and_no_email_is_sent() {
    let app = spawn_app_with(with_smtp(AccountSettings::default())).await;
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    register(&app, "asha@example.test", "Asha Rao").await;

    let unknown = app
        .post(
            "/v1/auth/password-reset",
            None,
            &json!({"email": "nobody@example.test"}),
        )
        .await;
    let known = app
        .post(
            "/v1/auth/password-reset",
            None,
            &json!({"email": "asha@example.test"}),
        )
        .await;
    assert_eq!(unknown.status, 202);
    assert_eq!(known.status, 202);
    assert_eq!(unknown.body, known.body);

    // The registered address's email arrives; give a stray second one
    // time to arrive too before counting.
    let mails = sink.wait_for(2, Duration::from_secs(3)).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0].recipients, ["asha@example.test"]);

    let not_an_email = app
        .post("/v1/auth/password-reset", None, &json!({"email": "nobody"}))
        .await;
    not_an_email.assert_problem(422);
    assert_eq!(not_an_email.fields(), ["email"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_unknown_reset_code_is_refused_and_the_password_stays() {
    let app = spawn_app_with(with_smtp(AccountSettings {
        password_reset_ttl: Duration::from_secs(1),
        ..AccountSettings::default()
    }))
    .await;
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    register(&app, "asha@example.test", "Asha Rao").await;

    app.post(
        "/v1/auth/password-reset",
        None,
        &json!({"email": "asha@example.test"}),
    )
    .await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    let code = reset_code(&mails[0]);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let expired = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": code, "password": NEW_PASSWORD}),
        )
        .await;
    expired.assert_problem(422);
    assert_eq!(expired.fields(), ["token"]);
    assert!(
        expired.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{:#}",
        expired.body
    );

    let unknown = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": "bm90LWEtcmVhbC1jb2Rl", "password": NEW_PASSWORD}),
        )
        .await;
    unknown.assert_problem(422);
    assert_eq!(unknown.fields(), ["token"]);

    let short = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": "", "password": "short"}),
        )
        .await;
    short.assert_problem(422);
    assert_eq!(short.fields(), ["token", "password"]);

    assert_eq!(login(&app, "asha@example.test", PASSWORD).await.status, 200);
    login(&app, "asha@example.test", NEW_PASSWORD)
        .await
        .assert_problem(401);
}
