//! The expiry sweep and organic certification over HTTP, against the real
//! worker and Temporal: one spoilage alert per batch however often (and
//! however concurrently) the sweep runs, to the seller and to ops, in-app
//! and by email; expired stock written off through the ledger and never
//! reserved; holds on batches that would spoil before delivery moved to a
//! fresher batch or reported to ops once; the schedule the worker keeps;
//! and what an organic product's page says about its certificate.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use futures::future::join_all;
use orderly_providers::sandbox_values::CARD_APPROVED;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection};

use orderly_domain::expiry_end;
use orderly_tests::app::{ADMIN_EMAIL, TestApp, TestOptions, spawn_app, spawn_app_with};
use orderly_tests::shopper::{Answer, card, delivery_order, placed_id};
use orderly_tests::stockroom::{MAIN_WAREHOUSE, in_days};
use orderly_workers::expiry_schedule::keep_expiry_schedule;
use orderly_workflows::expiry_sweep_schedule_id;

use crate::sellers::{apples, seller};

/// Long enough for a message on a loaded machine; also how long a test
/// waits to be sure no second message arrives.
const PATIENCE: Duration = Duration::from_secs(2);

fn days_ago(days: u64) -> String {
    Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(days))
        .expect("a date")
        .format("%Y-%m-%d")
        .to_string()
}

async fn sweep(app: &TestApp, token: &str) -> Answer {
    app.post("/v1/admin/expiry-sweep", Some(token), &json!({}))
        .await
}

/// Runs the sweep as the admin; what it did.
async fn swept(app: &TestApp, admin: &str) -> Value {
    let answer = sweep(app, admin).await;
    assert_eq!(answer.status, 200, "the sweep: {:#}", answer.body);
    answer.body
}

/// Books in a batch that was received `received_days_ago` and ended
/// yesterday.
async fn receive_expired(app: &TestApp, admin: &str, sku: &str, code: &str, quantity: i64) {
    let answer = app
        .post(
            &format!("/v1/warehouses/{MAIN_WAREHOUSE}/receipts"),
            Some(admin),
            &json!({"sku": sku, "quantity": quantity, "batch_code": code,
                    "received_on": days_ago(6), "expires_on": days_ago(1),
                    "unit_cost": {"amount": 2_500, "currency": "INR"}}),
        )
        .await;
    assert_eq!(answer.status, 201, "receiving {code}: {:#}", answer.body);
}

/// What only time does to a batch: it comes to the last day of its life,
/// `expires_on`. A batch's dates are set once at receipt, so a test that
/// cannot wait days moves them in the database.
async fn age_batch(app: &TestApp, sku: &str, code: &str, expires_on: NaiveDate) {
    let mut conn = AnyConnection::connect(&app.database_url)
        .await
        .expect("a direct connection");
    let changed = sqlx::query(
        "UPDATE stock_batches SET expires_on = $1, good_until = $2
         WHERE sku = $3 AND batch_code = $4",
    )
    .bind(expires_on.format("%Y-%m-%d").to_string())
    .bind(expiry_end(expires_on).timestamp_millis())
    .bind(sku)
    .bind(code)
    .execute(&mut conn)
    .await
    .expect("ageing the batch")
    .rows_affected();
    conn.close().await.expect("closing");
    assert_eq!(changed, 1, "batch {code} of {sku}");
}

fn tomorrow() -> NaiveDate {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(1))
        .expect("a date")
}

/// The caller's in-app notifications of `kind`.
async fn inbox_of_kind(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let answer = app.get("/v1/me/notifications", Some(token)).await;
    assert_eq!(answer.status, 200, "inbox: {:#}", answer.body);
    answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

/// Open ops alerts of `kind`.
async fn ops_alerts(app: &TestApp, admin: &str, kind: &str) -> Vec<Value> {
    let answer = app.get("/v1/ops/alerts", Some(admin)).await;
    assert_eq!(answer.status, 200, "alerts: {:#}", answer.body);
    answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["kind"] == kind)
        .cloned()
        .collect()
}

/// Orders `quantity` of `sku` for delivery by card and waits until it is
/// paid; its id.
async fn paid_order(app: &TestApp, customer: &str, sku: &str, quantity: u32) -> String {
    let placed = app
        .place(
            customer,
            &delivery_order(
                json!([{"sku": sku, "quantity": quantity}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    let id = placed_id(&placed);
    app.wait_for(customer, &id, Duration::from_secs(60), |o| {
        o["status"] == "paid"
    })
    .await;
    id
}

/// The order's ledger entries as (reason, batch, units), sorted.
fn order_movements(movements: &[Value], order_id: &str) -> Vec<(String, String, i64)> {
    let mut mine: Vec<(String, String, i64)> = movements
        .iter()
        .filter(|m| m["order_id"] == order_id)
        .map(|m| {
            (
                m["reason"].as_str().unwrap().to_owned(),
                m["batch_code"].as_str().unwrap().to_owned(),
                m["reserved_change"].as_i64().unwrap() + m["on_hand_change"].as_i64().unwrap(),
            )
        })
        .collect();
    mine.sort();
    mine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seller_and_ops_are_alerted_once_per_batch_in_app_and_by_email_however_often_the_sweep_runs()
 {
    let app = spawn_app_with(TestOptions {
        smtp: true,
        ..TestOptions::default()
    })
    .await;
    let admin = app.admin().await;
    let (owner, _) = seller(&app, "Sunil").await;
    let mut listing = apples("APPLE-1KG");
    listing["stock"] = json!(0);
    let created = app.post("/v1/products", Some(&owner), &listing).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    app.receive_batch(&owner, MAIN_WAREHOUSE, "APPLE-1KG", "SOON", 8, 1)
        .await;
    app.receive_batch(&owner, MAIN_WAREHOUSE, "APPLE-1KG", "LATER", 8, 20)
        .await;

    let together = join_all([sweep(&app, &admin), sweep(&app, &admin)]).await;
    let again = swept(&app, &admin).await;

    let mut raised = 0;
    for answer in &together {
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        raised += answer.body["alerts_raised"].as_u64().expect("a count");
    }
    assert_eq!(raised, 1, "two sweeps at once raise the one alert once");
    assert_eq!(again["alerts_raised"], 0, "{again:#}");
    let to_seller = inbox_of_kind(&app, &owner, "spoilage_alert").await;
    let to_ops = inbox_of_kind(&app, &admin, "spoilage_alert").await;
    assert_eq!(to_seller.len(), 1, "{to_seller:#?}");
    assert_eq!(to_ops.len(), 1, "{to_ops:#?}");
    assert_eq!(
        to_seller[0]["subject"],
        "Expiring soon: Shimla apples, batch SOON"
    );
    let body = to_seller[0]["body"].as_str().unwrap();
    assert!(
        body.contains(&format!(
            "Batch SOON of Shimla apples (APPLE-1KG) at Main warehouse is good only until {}.",
            in_days(1)
        )),
        "{body}"
    );
    let alerts = ops_alerts(&app, &admin, "spoilage").await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["order_id"], Value::Null);
    assert!(
        alerts[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("batch SOON of APPLE-1KG at Main warehouse expires on"),
        "{:#}",
        alerts[0]
    );

    let sink = app.smtp.as_ref().expect("the SMTP sink");
    sink.wait_for(2, Duration::from_secs(15)).await;
    tokio::time::sleep(PATIENCE).await;
    let mails = sink.messages();
    let mut recipients: Vec<String> = mails.iter().flat_map(|m| m.recipients.clone()).collect();
    recipients.sort();
    assert_eq!(mails.len(), 2, "one email each: {recipients:?}");
    assert!(
        recipients.contains(&ADMIN_EMAIL.to_owned()),
        "{recipients:?}"
    );
    assert!(
        recipients.iter().any(|r| r.starts_with("sunil-")),
        "{recipients:?}"
    );
    for mail in &mails {
        assert!(
            mail.subject
                .as_deref()
                .is_some_and(|s| s.contains("Expiring soon")),
            "{:?}",
            mail.subject
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_writes_off_expired_stock_through_the_ledger_and_expired_stock_is_never_reserved()
{
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Meera").await;
    app.stock_product("PAPAYA-1KG", 6_000, 0).await;
    receive_expired(&app, &admin, "PAPAYA-1KG", "GONE", 5).await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "PAPAYA-1KG", "FRESH", 3, 10)
        .await;

    let before_sweep = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "PAPAYA-1KG", "quantity": 4}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    let first = swept(&app, &admin).await;
    let again = swept(&app, &admin).await;
    let after_sweep = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "PAPAYA-1KG", "quantity": 4}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    let stock = app.get("/v1/inventory/PAPAYA-1KG", Some(&admin)).await;
    let spoilage = app.get("/v1/reports/spoilage", Some(&admin)).await;

    before_sweep.assert_problem(409);
    assert_eq!(before_sweep.body["available"], 3, "{:#}", before_sweep.body);
    assert_eq!(
        (
            &first["batches_written_off"],
            &first["units_written_off"],
            &first["alerts_raised"]
        ),
        (&json!(1), &json!(5), &json!(1)),
        "{first:#}"
    );
    assert_eq!(
        (&again["batches_written_off"], &again["units_written_off"]),
        (&json!(0), &json!(0)),
        "{again:#}"
    );
    after_sweep.assert_problem(409);
    assert_eq!(after_sweep.body["available"], 3, "{:#}", after_sweep.body);
    assert_eq!(stock.status, 200, "{:#}", stock.body);
    assert_eq!(
        (&stock.body["on_hand"], &stock.body["available"]),
        (&json!(3), &json!(3))
    );
    assert_eq!(spoilage.body["written_off_units"], 5, "{:#}", spoilage.body);
    let movements = app.assert_stock_ledger_adds_up(&admin, "PAPAYA-1KG").await;
    let write_offs: Vec<(&str, i64)> = movements
        .iter()
        .filter(|m| m["reason"] == "written_off")
        .map(|m| {
            (
                m["key"].as_str().unwrap(),
                m["on_hand_change"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        write_offs,
        vec![(
            format!("expiry:PAPAYA-1KG:{MAIN_WAREHOUSE}:GONE").as_str(),
            -5
        )]
    );

    // What is left fresh can still be ordered, from the fresh batch only.
    let id = paid_order(&app, &customer, "PAPAYA-1KG", 3).await;
    let movements = app.assert_stock_ledger_adds_up(&admin, "PAPAYA-1KG").await;
    assert_eq!(
        order_movements(&movements, &id),
        vec![("reserved".to_owned(), "FRESH".to_owned(), 3)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reservation_on_a_batch_that_would_spoil_before_delivery_moves_to_a_fresher_batch() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Asha").await;
    app.stock_product("MANGO-1KG", 40_000, 0).await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "MANGO-1KG", "EARLY", 5, 6)
        .await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "MANGO-1KG", "LATE", 5, 20)
        .await;
    let id = paid_order(&app, &customer, "MANGO-1KG", 2).await;
    age_batch(&app, "MANGO-1KG", "EARLY", tomorrow()).await;

    let first = swept(&app, &admin).await;
    let again = swept(&app, &admin).await;

    assert_eq!(first["reservations_moved"], 1, "{first:#}");
    assert_eq!(first["reservations_alerted"], 0, "{first:#}");
    assert_eq!(again["reservations_moved"], 0, "{again:#}");
    let movements = app.assert_stock_ledger_adds_up(&admin, "MANGO-1KG").await;
    assert_eq!(
        order_movements(&movements, &id),
        vec![
            ("released".to_owned(), "EARLY".to_owned(), -2),
            ("reserved".to_owned(), "EARLY".to_owned(), 2),
            ("reserved".to_owned(), "LATE".to_owned(), 2),
        ]
    );
    let moved_key = format!("order:{id}:moved:MANGO-1KG:{MAIN_WAREHOUSE}:EARLY");
    assert!(
        movements.iter().any(|m| m["key"] == moved_key.as_str()),
        "{movements:#?}"
    );
    assert!(
        ops_alerts(&app, &admin, "expiring_reservation")
            .await
            .is_empty()
    );

    // The parcel leaves with the fresher stock.
    app.ship(&admin, &customer, &id).await;
    let movements = app.assert_stock_ledger_adds_up(&admin, "MANGO-1KG").await;
    let committed: Vec<_> = order_movements(&movements, &id)
        .into_iter()
        .filter(|(reason, _, _)| reason == "committed")
        .collect();
    assert_eq!(
        committed,
        vec![("committed".to_owned(), "LATE".to_owned(), -4)]
    );
    let stock = app.get("/v1/inventory/MANGO-1KG", Some(&admin)).await;
    assert_eq!(
        (&stock.body["on_hand"], &stock.body["reserved"]),
        (&json!(8), &json!(0)),
        "{:#}",
        stock.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reservation_with_no_fresher_batch_to_move_to_is_reported_to_ops_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("Ravi").await;
    app.stock_product("OKRA-500G", 3_000, 0).await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "OKRA-500G", "ONLY", 4, 6)
        .await;
    let id = paid_order(&app, &customer, "OKRA-500G", 3).await;
    age_batch(&app, "OKRA-500G", "ONLY", tomorrow()).await;

    let first = swept(&app, &admin).await;
    let again = swept(&app, &admin).await;

    assert_eq!(
        (&first["reservations_moved"], &first["reservations_alerted"]),
        (&json!(0), &json!(1)),
        "{first:#}"
    );
    assert_eq!(again["reservations_alerted"], 0, "{again:#}");
    let alerts = ops_alerts(&app, &admin, "expiring_reservation").await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["order_id"], id.as_str());
    assert!(
        alerts[0]["detail"]
            .as_str()
            .unwrap()
            .contains("holds 3 of OKRA-500G from batch ONLY"),
        "{:#}",
        alerts[0]
    );
    let movements = app.assert_stock_ledger_adds_up(&admin, "OKRA-500G").await;
    assert_eq!(
        order_movements(&movements, &id),
        vec![("reserved".to_owned(), "ONLY".to_owned(), 3)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_may_run_the_sweep() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;
    let (owner, _) = seller(&app, "Sunil").await;

    let by_customer = sweep(&app, &customer).await;
    let by_seller = sweep(&app, &owner).await;
    let anonymous = app.post("/v1/admin/expiry-sweep", None, &json!({})).await;

    by_customer.assert_problem(403);
    by_seller.assert_problem(403);
    anonymous.assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_keeps_one_schedule_whose_runs_sweep() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.stock_product("FIG-250G", 9_000, 0).await;
    app.receive_batch(&admin, MAIN_WAREHOUSE, "FIG-250G", "RIPE", 4, 1)
        .await;

    // A worker starting again (or a second one) changes the interval
    // instead of failing on the schedule that exists.
    keep_expiry_schedule(&app.temporal, &app.task_queue, Duration::from_secs(86_400))
        .await
        .expect("creating the schedule");
    keep_expiry_schedule(&app.temporal, &app.task_queue, Duration::from_secs(3_600))
        .await
        .expect("keeping the schedule");
    let schedule = app
        .temporal
        .get_schedule_handle(expiry_sweep_schedule_id(&app.task_queue));
    let described = schedule
        .describe(Default::default())
        .await
        .expect("the schedule");
    let spec = described
        .raw()
        .schedule
        .as_ref()
        .and_then(|s| s.spec.as_ref())
        .expect("a spec");
    let every: Vec<i64> = spec
        .interval
        .iter()
        .filter_map(|i| i.interval.as_ref().map(|d| d.seconds))
        .collect();
    assert_eq!(every, vec![3_600]);
    let temporalio_client::schedules::ScheduleDescriptionAction::StartWorkflow(action) =
        described.action()
    else {
        panic!("the schedule starts a workflow");
    };
    assert_eq!(action.workflow_type(), "ExpirySweepWorkflow");
    assert_eq!(action.task_queue(), app.task_queue);

    schedule
        .trigger(Default::default(), Default::default())
        .await
        .expect("triggering the schedule");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ops_alerts(&app, &admin, "spoilage").await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the scheduled sweep did not alert in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    schedule
        .delete(Default::default())
        .await
        .expect("deleting the schedule");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organic_product_page_says_whether_its_certificate_is_verified_missing_or_expired() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (owner, _) = seller(&app, "Sunil").await;
    let supplier = |name: &str, valid_until: String| {
        json!({"name": name, "contact_email": "farm@example.test", "region": "Nashik",
               "certifications": [{"kind": "organic", "certificate_number": format!("NPOP-{name}"),
                                   "valid_until": valid_until}]})
    };
    let certified = app
        .post(
            "/v1/suppliers",
            Some(&admin),
            &supplier("Sahyadri", in_days(90)),
        )
        .await;
    let lapsed = app
        .post(
            "/v1/suppliers",
            Some(&admin),
            &supplier("Lapsed", days_ago(3)),
        )
        .await;
    assert_eq!(certified.status, 201, "{:#}", certified.body);
    assert_eq!(lapsed.status, 201, "{:#}", lapsed.body);
    let receipt = |sku: &str, supplier: &Value| {
        json!({"sku": sku, "quantity": 5, "batch_code": "B1", "supplier_id": supplier["id"],
               "expires_on": in_days(10), "unit_cost": {"amount": 2_000, "currency": "INR"}})
    };
    for (sku, from) in [
        ("KALE-250G", Some(&certified.body)),
        ("CHARD-250G", Some(&lapsed.body)),
        ("BEET-500G", None),
    ] {
        let mut listing = apples(sku);
        listing["stock"] = json!(if from.is_some() { 0 } else { 5 });
        let created = app.post("/v1/products", Some(&owner), &listing).await;
        assert_eq!(created.status, 201, "{:#}", created.body);
        if let Some(from) = from {
            let received = app
                .post(
                    &format!("/v1/warehouses/{MAIN_WAREHOUSE}/receipts"),
                    Some(&admin),
                    &receipt(sku, from),
                )
                .await;
            assert_eq!(received.status, 201, "{:#}", received.body);
        }
    }
    let mut plain = apples("PEAR-1KG");
    plain["attributes"]["organic"] = json!(false);
    assert_eq!(
        app.post("/v1/products", Some(&owner), &plain).await.status,
        201
    );

    let kale = app.get("/v1/products/KALE-250G", None).await;
    let chard = app.get("/v1/products/CHARD-250G", None).await;
    let beet = app.get("/v1/products/BEET-500G", None).await;
    let pear = app.get("/v1/products/PEAR-1KG", None).await;

    assert_eq!(kale.status, 200, "{:#}", kale.body);
    assert_eq!(
        kale.body["certification"],
        json!({"organic": "verified",
               "supplier": {"id": certified.body["id"], "name": "Sahyadri"},
               "certificate_number": "NPOP-Sahyadri", "valid_until": in_days(90)})
    );
    assert_eq!(
        chard.body["certification"],
        json!({"organic": "expired",
               "supplier": {"id": lapsed.body["id"], "name": "Lapsed"},
               "certificate_number": "NPOP-Lapsed", "valid_until": days_ago(3)})
    );
    assert_eq!(beet.body["certification"], json!({"organic": "missing"}));
    assert_eq!(pear.status, 200, "{:#}", pear.body);
    assert!(pear.body.get("certification").is_none(), "{:#}", pear.body);
}
