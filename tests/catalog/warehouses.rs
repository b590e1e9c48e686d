//! Warehouses, goods receipts, write-offs and suppliers over HTTP: who may
//! do what, what bad input is told, how stock shows per warehouse and
//! batch, and which batches an order takes.

use std::time::Duration;

use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::json;

use orderly_tests::app::spawn_app;
use orderly_tests::shopper::{card, delivery_order, placed_id};
use orderly_tests::stockroom::{MAIN_WAREHOUSE, in_days, warehouse};

use crate::sellers::{apples, category, seller};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_open_warehouses_and_everyone_else_reads_only_the_active_ones() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;

    let pune = app.open_warehouse(&admin, "Pune hub", "Pune").await;
    let by_customer = app
        .post(
            "/v1/warehouses",
            Some(&customer),
            &warehouse("Mine", "Goa", "403001"),
        )
        .await;
    let twin = app
        .post(
            "/v1/warehouses",
            Some(&admin),
            &warehouse("Pune hub", "Pune", "411001"),
        )
        .await;
    let blank = app
        .post(
            "/v1/warehouses",
            Some(&admin),
            &json!({"name": " ", "address": {"name": "x", "line1": "", "city": "Pune",
                                              "postal_code": "411001", "country": "india"}}),
        )
        .await;
    let mut closed = warehouse("Pune hub", "Pune", "411001");
    closed["active"] = json!(false);
    let deactivated = app
        .put(&format!("/v1/warehouses/{pune}"), Some(&admin), &closed)
        .await;
    let listed_to_customer = app.get("/v1/warehouses", Some(&customer)).await;
    let listed_to_admin = app.get("/v1/warehouses", Some(&admin)).await;
    let hidden = app
        .get(&format!("/v1/warehouses/{pune}"), Some(&customer))
        .await;
    let malformed = app.get("/v1/warehouses/not-an-id", Some(&admin)).await;

    by_customer.assert_problem(403);
    twin.assert_problem(409);
    blank.assert_problem(422);
    assert_eq!(
        blank.fields(),
        vec!["address.line1", "address.country", "name"],
        "{:#}",
        blank.body
    );
    assert_eq!(deactivated.status, 200, "{:#}", deactivated.body);
    assert_eq!(deactivated.body["active"], false);
    let names = |body: &serde_json::Value| -> Vec<String> {
        body.as_array()
            .expect("a list")
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&listed_to_customer.body), vec!["Main warehouse"]);
    assert_eq!(
        names(&listed_to_admin.body),
        vec!["Main warehouse", "Pune hub"]
    );
    hidden.assert_problem(404);
    malformed.assert_problem(422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_receives_batches_of_their_own_product_and_stock_shows_per_warehouse_and_batch() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (owner, _) = seller(&app, "Sunil").await;
    let (rival, _) = seller(&app, "Ravi").await;
    category(&app, &admin, "fruit", "Fruit", None).await;
    let mut listing = apples("APPLE-1KG");
    listing["category"] = json!("fruit");
    assert_eq!(
        app.post("/v1/products", Some(&owner), &listing)
            .await
            .status,
        201
    );
    let pune = app.open_warehouse(&admin, "Pune hub", "Pune").await;
    let receipts = format!("/v1/warehouses/{pune}/receipts");
    let receipt = json!({"sku": "APPLE-1KG", "quantity": 20, "batch_code": "SHIMLA-7",
                         "unit_cost": {"amount": 9_000, "currency": "INR"}});

    let received = app.post(&receipts, Some(&owner), &receipt).await;
    let twice = app.post(&receipts, Some(&owner), &receipt).await;
    let by_rival = app.post(&receipts, Some(&rival), &receipt).await;
    let mut bad = receipt.clone();
    bad["quantity"] = json!(0);
    bad["batch_code"] = json!("OTHER");
    bad["supplier_id"] = json!(uuid::Uuid::now_v7());
    bad["received_on"] = json!(in_days(3));
    let refused = app.post(&receipts, Some(&owner), &bad).await;
    let stock = app.get("/v1/inventory/APPLE-1KG", Some(&owner)).await;

    assert_eq!(received.status, 201, "{:#}", received.body);
    // Not given, the expiry date follows from the product's 30-day shelf life.
    assert_eq!(received.body["expires_on"], in_days(30));
    assert_eq!(received.body["available"], 20);
    twice.assert_problem(409);
    by_rival.assert_problem(403);
    refused.assert_problem(422);
    assert_eq!(
        refused.fields(),
        vec!["quantity", "received_on", "supplier_id"],
        "{:#}",
        refused.body
    );
    assert_eq!(stock.status, 200, "{:#}", stock.body);
    assert_eq!(
        (
            stock.body["on_hand"].as_i64(),
            stock.body["available"].as_i64()
        ),
        (Some(32), Some(32))
    );
    let warehouses = stock.body["warehouses"].as_array().expect("per warehouse");
    assert_eq!(warehouses.len(), 2, "{:#}", stock.body);
    assert_eq!(warehouses[0]["warehouse_id"], MAIN_WAREHOUSE);
    assert_eq!(warehouses[0]["on_hand"], 12);
    assert_eq!(warehouses[1]["name"], "Pune hub");
    assert_eq!(warehouses[1]["batches"][0]["batch_code"], "SHIMLA-7");
    assert_eq!(warehouses[1]["batches"][0]["unit_cost"]["amount"], 9_000);
    let movements = app.assert_stock_ledger_adds_up(&admin, "APPLE-1KG").await;
    let reasons: Vec<&str> = movements
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["received", "adjusted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppliers_are_kept_by_admins_with_their_certifications_batches_and_spoilage() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    app.stock_product("GRAPES-500G", 12_000, 0).await;
    let supplier = json!({
        "name": "Sahyadri Farms", "contact_email": "orders@sahyadri.example", "region": "Nashik",
        "certifications": [{"kind": "organic", "certificate_number": "NPOP-2291",
                            "valid_until": in_days(200)}]
    });

    let created = app.post("/v1/suppliers", Some(&admin), &supplier).await;
    let by_customer = app.post("/v1/suppliers", Some(&customer), &supplier).await;
    let bad = app
        .post(
            "/v1/suppliers",
            Some(&admin),
            &json!({"name": "", "contact_email": "nobody", "region": "Nashik",
                    "certifications": [{"kind": "Organic!", "certificate_number": "1",
                                        "valid_until": in_days(1)}]}),
        )
        .await;
    let id = created.body["id"].as_str().expect("supplier id").to_owned();
    let received = app
        .post(
            &format!("/v1/warehouses/{MAIN_WAREHOUSE}/receipts"),
            Some(&admin),
            &json!({"sku": "GRAPES-500G", "quantity": 10, "batch_code": "SF-1", "supplier_id": id,
                    "expires_on": in_days(8), "unit_cost": {"amount": 6_000, "currency": "INR"}}),
        )
        .await;
    let written_off = app
        .post(
            &format!("/v1/warehouses/{MAIN_WAREHOUSE}/write-offs"),
            Some(&admin),
            &json!({"sku": "GRAPES-500G", "batch_code": "SF-1", "quantity": 2}),
        )
        .await;
    let too_much = app
        .post(
            &format!("/v1/warehouses/{MAIN_WAREHOUSE}/write-offs"),
            Some(&admin),
            &json!({"sku": "GRAPES-500G", "batch_code": "SF-1", "quantity": 9}),
        )
        .await;
    let record = app.get(&format!("/v1/suppliers/{id}"), Some(&admin)).await;
    let recertified = app
        .put(
            &format!("/v1/suppliers/{id}/certifications"),
            Some(&admin),
            &json!([]),
        )
        .await;

    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["certifications"][0]["kind"], "organic");
    by_customer.assert_problem(403);
    bad.assert_problem(422);
    assert_eq!(
        bad.fields(),
        vec!["name", "contact_email", "certifications[0].kind"],
        "{:#}",
        bad.body
    );
    assert_eq!(received.status, 201, "{:#}", received.body);
    assert_eq!(written_off.status, 200, "{:#}", written_off.body);
    assert_eq!(written_off.body["on_hand"], 8);
    too_much.assert_problem(409);
    assert_eq!(record.status, 200, "{:#}", record.body);
    assert_eq!(record.body["received_units"], 10);
    assert_eq!(record.body["written_off_units"], 2);
    assert_eq!(record.body["spoilage_rate"], 0.2);
    assert_eq!(
        record.body["procurement_cost"],
        json!([{"amount": 60_000, "currency": "INR"}])
    );
    assert_eq!(record.body["batches"][0]["batch_code"], "SF-1");
    assert_eq!(recertified.body["certifications"], json!([]));
    let movements = app.assert_stock_ledger_adds_up(&admin, "GRAPES-500G").await;
    assert_eq!(movements[0]["reason"], "written_off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_takes_the_first_batch_to_expire_that_still_lasts_past_delivery_in_the_warehouse_that_fills_it()
 {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Meera").await;
    app.stock_product("MANGO-ALPHONSO", 40_000, 0).await;
    let pune = app.open_warehouse(&admin, "Pune hub", "Pune").await;
    // Delivery takes a day and the customer needs two more: a batch that
    // is good for one more day is never promised.
    app.receive_batch(&admin, MAIN_WAREHOUSE, "MANGO-ALPHONSO", "SOON", 10, 1)
        .await;
    app.receive_batch(&admin, &pune, "MANGO-ALPHONSO", "MID", 2, 5)
        .await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "MANGO-ALPHONSO", "LATE", 10, 20)
        .await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "MANGO-ALPHONSO", "NEXT", 2, 10)
        .await;

    let placed = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "MANGO-ALPHONSO", "quantity": 3}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    let id = placed_id(&placed);
    app.wait_for(&customer, &id, Duration::from_secs(60), |o| {
        o["status"] == "paid"
    })
    .await;
    let too_many = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "MANGO-ALPHONSO", "quantity": 12}]),
                card(CARD_APPROVED),
            ),
        )
        .await;

    let movements = app
        .assert_stock_ledger_adds_up(&admin, "MANGO-ALPHONSO")
        .await;
    let mut held: Vec<(String, i64)> = movements
        .iter()
        .filter(|m| m["reason"] == "reserved" && m["order_id"] == id.as_str())
        .map(|m| {
            (
                m["batch_code"].as_str().unwrap().to_owned(),
                m["reserved_change"].as_i64().unwrap(),
            )
        })
        .collect();
    held.sort();
    // Pune is nearer but holds only two: the main warehouse fills the
    // order, first to expire first among its fresh enough batches.
    assert_eq!(held, vec![("LATE".to_owned(), 1), ("NEXT".to_owned(), 2)]);
    too_many.assert_problem(409);
    assert_eq!(too_many.body["sku"], "MANGO-ALPHONSO");
    // Fresh and free: 9 of LATE in the main warehouse, 2 of MID in Pune.
    assert_eq!(too_many.body["available"], 11, "{:#}", too_many.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_show_spoilage_per_sku_and_week_and_stock_by_age() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    app.stock_product("TOMATO-1KG", 4_000, 0).await;
    let receipts = format!("/v1/warehouses/{MAIN_WAREHOUSE}/receipts");
    for (code, received_days_ago, expires_in, units) in [
        ("OLD", 12_i64, 3_u64, 5),
        ("MID", 4, 6, 7),
        ("NEW", 0, 9, 11),
    ] {
        let received_on = (chrono::Utc::now().date_naive()
            - chrono::Duration::days(received_days_ago))
        .format("%Y-%m-%d")
        .to_string();
        let answer = app
            .post(
                &receipts,
                Some(&admin),
                &json!({"sku": "TOMATO-1KG", "quantity": units, "batch_code": code,
                        "received_on": received_on, "expires_on": in_days(expires_in),
                        "unit_cost": {"amount": 2_000, "currency": "INR"}}),
            )
            .await;
        assert_eq!(answer.status, 201, "{:#}", answer.body);
    }
    let written_off = app
        .post(
            &format!("/v1/warehouses/{MAIN_WAREHOUSE}/write-offs"),
            Some(&admin),
            &json!({"sku": "TOMATO-1KG", "batch_code": "OLD", "quantity": 2}),
        )
        .await;
    assert_eq!(written_off.status, 200, "{:#}", written_off.body);
    let today = chrono::Utc::now().date_naive();
    let this_week = orderly_domain::week_start(today)
        .format("%Y-%m-%d")
        .to_string();

    let spoilage = app.get("/v1/reports/spoilage", Some(&admin)).await;
    let aging = app.get("/v1/reports/inventory-aging", Some(&admin)).await;
    let by_customer = app.get("/v1/reports/spoilage", Some(&customer)).await;
    let malformed = app
        .get(
            "/v1/reports/spoilage?from=yesterday&to=2026-13-01",
            Some(&admin),
        )
        .await;
    let reversed = app
        .get(
            "/v1/reports/spoilage?from=2026-12-02&to=2026-11-01",
            Some(&admin),
        )
        .await;

    assert_eq!(spoilage.status, 200, "{:#}", spoilage.body);
    assert_eq!(
        spoilage.body["lines"],
        json!([{"week": this_week, "sku": "TOMATO-1KG", "seller_id": null, "written_off_units": 2,
                "cost": [{"amount": 4_000, "currency": "INR"}], "units_of_unknown_cost": 0}])
    );
    assert_eq!(
        spoilage.body["cost"],
        json!([{"amount": 4_000, "currency": "INR"}])
    );
    assert_eq!(aging.status, 200, "{:#}", aging.body);
    let ages: Vec<(String, i64, i64)> = aging.body["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["age"].as_str().unwrap().to_owned(),
                l["on_hand"].as_i64().unwrap(),
                l["soonest_days_to_expiry"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ages,
        vec![
            ("0-2".into(), 11, 9),
            ("3-5".into(), 7, 6),
            ("11+".into(), 3, 3)
        ]
    );
    assert_eq!(
        aging.body["totals"],
        json!([{"age": "0-2", "on_hand": 11}, {"age": "3-5", "on_hand": 7},
               {"age": "6-10", "on_hand": 0}, {"age": "11+", "on_hand": 3}])
    );
    by_customer.assert_problem(403);
    malformed.assert_problem(422);
    assert_eq!(malformed.fields(), vec!["from", "to"]);
    reversed.assert_problem(422);
}
