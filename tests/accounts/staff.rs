//! Staff accounts over HTTP: admins invite sellers, admins, delivery and
//! warehouse staff, who set their password from the emailed code; roles
//! and warehouses change; a deactivated account is locked out at once;
//! warehouse staff pack only orders stocked in their warehouse.

use std::time::Duration;

use orderly_api::state::AccountSettings;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};

use orderly_tests::app::{TestApp, spawn_app_with};
use orderly_tests::shopper::{card, delivery_order, placed_id};
use orderly_tests::stockroom::MAIN_WAREHOUSE;

use crate::accounts::{reset_code, with_smtp};

const STAFF_PASSWORD: &str = "a-long-staff-password";

async fn login(app: &TestApp, email: &str, password: &str) -> orderly_tests::shopper::Answer {
    app.post(
        "/v1/auth/login",
        None,
        &json!({"email": email, "password": password}),
    )
    .await
}

/// Invites `email` as `role` and sets the password from the emailed code;
/// the account's id and a fresh login.
async fn onboard(app: &TestApp, admin: &str, email: &str, invite: Value) -> (String, Value) {
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    let before = sink.messages().len();
    let invited = app.post("/v1/admin/users", Some(admin), &invite).await;
    assert_eq!(invited.status, 201, "{:#}", invited.body);
    assert_eq!(invited.body["invitation_sent"], true);
    let mails = sink.wait_for(before + 1, Duration::from_secs(10)).await;
    let mail = mails.last().expect("the invitation");
    assert_eq!(mail.recipients, [email]);
    let confirmed = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": reset_code(mail), "password": STAFF_PASSWORD}),
        )
        .await;
    assert_eq!(confirmed.status, 204, "{:#}", confirmed.body);
    let session = login(app, email, STAFF_PASSWORD).await;
    assert_eq!(session.status, 200, "{:#}", session.body);
    (
        invited.body["id"].as_str().expect("id").to_owned(),
        session.body,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_staff_who_set_their_password_from_the_emailed_code() {
    let app = spawn_app_with(with_smtp(AccountSettings::default())).await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    let invite = json!({"email": "Ravi@Farm.test", "name": "Ravi Kumar", "role": "seller"});

    let by_customer = app.post("/v1/admin/users", Some(&customer), &invite).await;
    let guessed_before = login(&app, "ravi@farm.test", STAFF_PASSWORD).await;
    let (id, session) = onboard(&app, &admin, "ravi@farm.test", invite.clone()).await;
    let twice = app.post("/v1/admin/users", Some(&admin), &invite).await;
    let as_customer = app
        .post(
            "/v1/admin/users",
            Some(&admin),
            &json!({"email": "c@x.test", "name": "C", "role": "customer"}),
        )
        .await;
    let without_warehouse = app
        .post(
            "/v1/admin/users",
            Some(&admin),
            &json!({"email": "w@x.test", "name": "W", "role": "warehouse"}),
        )
        .await;
    let listed = app.get("/v1/admin/users", Some(&admin)).await;

    by_customer.assert_problem(403);
    guessed_before.assert_problem(401);
    assert_eq!(session["user"]["role"], "seller");
    twice.assert_problem(409);
    as_customer.assert_problem(422);
    assert_eq!(as_customer.fields(), vec!["role"]);
    without_warehouse.assert_problem(422);
    assert_eq!(without_warehouse.fields(), vec!["warehouse_id"]);
    let emails: Vec<&str> = listed
        .body
        .as_array()
        .expect("staff")
        .iter()
        .filter_map(|s| s["email"].as_str())
        .collect();
    assert!(emails.contains(&"ravi@farm.test"), "{emails:?}");
    assert!(
        !emails.iter().any(|e| e.contains("asha")),
        "customers are not staff: {emails:?}"
    );
    let shown = app
        .get(&format!("/v1/admin/users/{id}"), Some(&admin))
        .await;
    assert_eq!(shown.body["active"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_account_is_locked_out_at_once_and_can_be_let_back_in() {
    let app = spawn_app_with(with_smtp(AccountSettings::default())).await;
    let admin = app.admin().await;
    let (id, session) = onboard(
        &app,
        &admin,
        "meena@shop.test",
        json!({"email": "meena@shop.test", "name": "Meena", "role": "delivery"}),
    )
    .await;
    let access = session["access_token"].as_str().unwrap().to_owned();
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/me", Some(&access)).await.status, 200);

    let deactivated = app
        .patch(
            &format!("/v1/admin/users/{id}"),
            Some(&admin),
            &json!({"active": false}),
        )
        .await;
    let with_old_token = app.get("/v1/me", Some(&access)).await;
    let refreshed = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    let logged_in = login(&app, "meena@shop.test", STAFF_PASSWORD).await;
    let reactivated = app
        .patch(
            &format!("/v1/admin/users/{id}"),
            Some(&admin),
            &json!({"active": true}),
        )
        .await;
    let back = login(&app, "meena@shop.test", STAFF_PASSWORD).await;
    let admin_id = app.account_id(&admin).await;
    let self_lockout = app
        .patch(
            &format!("/v1/admin/users/{admin_id}"),
            Some(&admin),
            &json!({"active": false}),
        )
        .await;

    assert_eq!(deactivated.status, 200, "{:#}", deactivated.body);
    assert_eq!(deactivated.body["active"], false);
    with_old_token.assert_problem(401);
    refreshed.assert_problem(401);
    logged_in.assert_problem(401);
    assert_eq!(reactivated.body["active"], true);
    assert_eq!(back.status, 200, "{:#}", back.body);
    self_lockout.assert_problem(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warehouse_staff_pack_only_orders_stocked_in_their_warehouse() {
    let app = spawn_app_with(with_smtp(AccountSettings::default())).await;
    let admin = app.admin().await;
    let customer = app.customer("Kiran").await;
    let pune = app.open_warehouse(&admin, "Pune hub", "Pune").await;
    app.stock_product("PUNE-ONLY", 10_000, 0).await;
    app.stock_product("MAIN-ONLY", 10_000, 0).await;
    app.receive_batch(&admin, &pune, "PUNE-ONLY", "P1", 5, 20)
        .await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "MAIN-ONLY", "M1", 5, 20)
        .await;
    let (_, session) = onboard(
        &app,
        &admin,
        "packer@shop.test",
        json!({"email": "packer@shop.test", "name": "Packer", "role": "warehouse",
               "warehouse_id": pune}),
    )
    .await;
    let packer = session["access_token"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for sku in ["PUNE-ONLY", "MAIN-ONLY"] {
        let placed = app
            .place(
                &customer,
                &delivery_order(json!([{"sku": sku, "quantity": 1}]), card(CARD_APPROVED)),
            )
            .await;
        let id = placed_id(&placed);
        app.wait_for(&customer, &id, Duration::from_secs(60), |o| {
            o["status"] == "paid"
        })
        .await;
        ids.push(id);
    }

    let ours = app
        .post(
            &format!("/v1/orders/{}/pack", ids[0]),
            Some(&packer),
            &json!({}),
        )
        .await;
    let theirs = app
        .post(
            &format!("/v1/orders/{}/pack", ids[1]),
            Some(&packer),
            &json!({}),
        )
        .await;
    let by_customer = app
        .post(
            &format!("/v1/orders/{}/pack", ids[1]),
            Some(&customer),
            &json!({}),
        )
        .await;

    assert_eq!(ours.status, 200, "{:#}", ours.body);
    theirs.assert_problem(404);
    by_customer.assert_problem(403);
    app.wait_for(&customer, &ids[0], Duration::from_secs(60), |o| {
        o["status"] == "shipped"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warehouse_staff_list_and_pack_only_the_shipments_leaving_their_warehouse() {
    let app = spawn_app_with(with_smtp(AccountSettings::default())).await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    app.stock_product("OKRA-500G", 6_000, 5).await;
    app.stock_product("MANGO-1KG", 24_000, 0).await;
    let pune = app.open_warehouse(&admin, "Pune hub", "Pune").await;
    app.receive_batch(&admin, &pune, "MANGO-1KG", "M1", 5, 9)
        .await;
    let (_, session) = onboard(
        &app,
        &admin,
        "priya@shop.test",
        json!({"email": "priya@shop.test", "name": "Priya", "role": "warehouse",
               "warehouse_id": pune}),
    )
    .await;
    let packer = session["access_token"].as_str().unwrap().to_owned();
    let order = delivery_order(
        json!([{"sku": "MANGO-1KG", "quantity": 1}, {"sku": "OKRA-500G", "quantity": 1}]),
        card(CARD_APPROVED),
    );
    let id = placed_id(&app.place(&customer, &order).await);
    app.wait_for_status(&customer, &id, "paid").await;
    let number_of = |warehouse: &str, order: &Value| -> String {
        order["shipments"]
            .as_array()
            .expect("shipments")
            .iter()
            .find(|s| s["warehouse_id"] == warehouse)
            .map(|s| s["id"].to_string())
            .expect("a shipment from that warehouse")
    };
    let placed = app.get(&format!("/v1/orders/{id}"), Some(&customer)).await;
    let theirs = number_of(&pune, &placed.body);
    let main = number_of(MAIN_WAREHOUSE, &placed.body);

    let listed = app
        .get(&format!("/v1/warehouses/{pune}/shipments"), Some(&packer))
        .await;
    let other_list = app
        .get(
            &format!("/v1/warehouses/{MAIN_WAREHOUSE}/shipments"),
            Some(&packer),
        )
        .await;
    let bad_status = app
        .get(
            &format!("/v1/warehouses/{pune}/shipments?status=lost"),
            Some(&packer),
        )
        .await;
    let by_customer = app
        .get(&format!("/v1/warehouses/{pune}/shipments"), Some(&customer))
        .await;
    let not_theirs = app
        .post(
            &format!("/v1/orders/{id}/shipments/{main}/pack"),
            Some(&packer),
            &json!({}),
        )
        .await;
    let whole_order = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&packer), &json!({}))
        .await;
    let packed = app
        .post(
            &format!("/v1/orders/{id}/shipments/{theirs}/pack"),
            Some(&packer),
            &json!({}),
        )
        .await;
    let waiting = app
        .get(
            &format!("/v1/warehouses/{pune}/shipments?status=awaiting_packing"),
            Some(&packer),
        )
        .await;
    let orders = app.get("/v1/orders", Some(&packer)).await;

    assert_eq!(listed.status, 200, "{:#}", listed.body);
    let items = listed.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{:#}", listed.body);
    assert_eq!(items[0]["order_id"], id.as_str());
    assert_eq!(items[0]["shipment"]["warehouse_id"], pune.as_str());
    assert_eq!(
        items[0]["shipment"]["items"],
        json!([{"sku": "MANGO-1KG", "quantity": 1}])
    );
    other_list.assert_problem(404);
    bad_status.assert_problem(422);
    by_customer.assert_problem(403);
    not_theirs.assert_problem(404);
    whole_order.assert_problem(404);
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    assert_eq!(
        waiting.body["items"],
        json!([]),
        "packed shipments leave the packing list"
    );
    let listed_orders = orders.body["items"].as_array().expect("orders");
    assert_eq!(listed_orders.len(), 1, "{:#}", orders.body);
    assert_eq!(listed_orders[0]["id"], id.as_str());
}
