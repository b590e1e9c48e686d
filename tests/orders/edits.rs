//! Edits of an order before packing through `POST /v1/orders/{id}/edits`:
//! a line's quantity changed, a line taken off or added, a new delivery
//! address; stock re-reserved all or nothing, the difference charged or
//! refunded once, each edit a version of the order; refused once packed,
//! and never leaving stock or money behind when sent with a cancel.

use std::time::Duration;

use futures::future::join_all;
use orderly_providers::sandbox_values::{CARD_APPROVED, POSTAL_CODE_UNDELIVERABLE};
use serde_json::{Value, json};

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_tests::app::{TestApp, TestOptions, spawn_app, spawn_app_with};
use orderly_tests::faults::PaymentFault;
use orderly_tests::histories::record_history;
use orderly_tests::money::{captured_total, refunded_total, settled_total};
use orderly_tests::shopper::{Answer, card, cash_on_delivery, delivery_order, placed_id, upi};

const MANGO: &str = "ALPHONSO-1KG";
/// ₹899.00 a box.
const MANGO_PRICE: i64 = 89_900;
const OKRA: &str = "OKRA-500G";
/// ₹40.00 a bag.
const OKRA_PRICE: i64 = 4_000;
const ON_HAND: i64 = 50;
/// Recovery from a dead worker waits out its sticky queue and task timeouts.
const RECOVERY: Duration = Duration::from_secs(120);

/// A shop with mangoes and okra, an admin and a customer.
async fn shop(app: &TestApp, okra_on_hand: i64) -> (String, String) {
    app.stock_product(MANGO, MANGO_PRICE, ON_HAND).await;
    app.stock_product(OKRA, OKRA_PRICE, okra_on_hand).await;
    (app.admin().await, app.customer("Meera").await)
}

/// A paid order of three boxes of mangoes (and `okra` bags of okra).
async fn paid_order(app: &TestApp, customer: &str, okra: u32, payment: Value) -> String {
    let mut items = vec![json!({"sku": MANGO, "quantity": 3})];
    if okra > 0 {
        items.push(json!({"sku": OKRA, "quantity": okra}));
    }
    let id = placed_id(
        &app.place(customer, &delivery_order(Value::Array(items), payment))
            .await,
    );
    app.wait_for_status(customer, &id, "paid").await;
    id
}

async fn edit(app: &TestApp, token: &str, id: &str, key: Option<&str>, body: &Value) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    app.request_with(
        reqwest::Method::POST,
        &format!("/v1/orders/{id}/edits"),
        Some(token),
        Some(body),
        &headers,
    )
    .await
}

fn workflow_of(id: &str) -> String {
    orderly_workflows::order_workflow_id(id.parse().expect("an order id"))
}

fn set(sku: &str, quantity: u32) -> Value {
    json!({"lines": [{"sku": sku, "quantity": quantity}]})
}

async fn order(app: &TestApp, token: &str, id: &str) -> Value {
    let answer = app.get(&format!("/v1/orders/{id}"), Some(token)).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_adds_a_box_before_packing_and_is_charged_the_difference_once() {
    let app = spawn_app().await;
    let (admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;

    let edited = edit(&app, &customer, &id, Some("more-mangoes"), &set(MANGO, 4)).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["total"]["amount"], 4 * MANGO_PRICE);
    assert_eq!(edited.body["items"][0]["quantity"], 4);
    assert_eq!(edited.body["status"], "paid");
    let versions = edited.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{versions:#?}");
    assert_eq!(versions[0]["number"], 1);
    assert_eq!(versions[0]["total"]["amount"], 3 * MANGO_PRICE);
    assert_eq!(versions[1]["number"], 2);
    assert_eq!(versions[1]["difference"]["amount"], MANGO_PRICE);
    assert_eq!(versions[1]["settlement"], "charged");
    assert_eq!(versions[1]["change"], format!("{MANGO} 3 → 4"));
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 4));

    let retried = edit(&app, &customer, &id, Some("more-mangoes"), &set(MANGO, 4)).await;
    assert_eq!(retried.status, 200, "{:#}", retried.body);
    assert_eq!(retried.body["versions"].as_array().unwrap().len(), 2);
    let ledger = app.ledger(&id).await;
    assert_eq!(captured_total(&ledger), 4 * MANGO_PRICE, "{ledger:?}");
    assert_eq!(
        app.notification_count(&id, NotificationKind::OrderEdited, "in_app")
            .await,
        1
    );

    let tracking = app.ship(&admin, &customer, &id).await;
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND - 4, 0));
    app.assert_stock_ledger_adds_up(&admin, MANGO).await;
    app.carrier_delivers(&tracking).await;
    let delivered = app.wait_for_status(&customer, &id, "delivered").await;
    assert_eq!(delivered["shipments"][0]["items"][0]["quantity"], 4);
    record_history(&app, &workflow_of(&id), "edited_before_packing").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taking_a_line_off_refunds_what_it_cost_and_gives_its_stock_back() {
    let app = spawn_app().await;
    let (admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 2, card(CARD_APPROVED)).await;
    assert_eq!(app.stock_levels(OKRA).await, (ON_HAND, 2));

    let edited = edit(&app, &customer, &id, None, &set(OKRA, 0)).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(edited.body["total"]["amount"], 3 * MANGO_PRICE);
    assert_eq!(edited.body["versions"][1]["settlement"], "refunded");
    assert_eq!(
        edited.body["versions"][1]["difference"]["amount"],
        -2 * OKRA_PRICE
    );
    assert_eq!(app.stock_levels(OKRA).await, (ON_HAND, 0));
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 3));
    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), 2 * OKRA_PRICE, "{ledger:?}");
    app.assert_stock_ledger_adds_up(&admin, OKRA).await;
    let cancelled = app.cancel(&customer, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), captured_total(&ledger));
    record_history(&app, &workflow_of(&id), "line_removed_by_edit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_line_out_of_stock_is_a_409_naming_it_and_changes_nothing() {
    let app = spawn_app().await;
    let (_admin, customer) = shop(&app, 1).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    let before = order(&app, &customer, &id).await;
    let ledger_before = app.ledger_entries(&id).await.len();

    let refused = edit(
        &app,
        &customer,
        &id,
        None,
        &json!({"lines": [{"sku": MANGO, "quantity": 5}, {"sku": OKRA, "quantity": 3}]}),
    )
    .await;
    refused.assert_complete_problem(409);
    assert!(
        refused.body.to_string().contains(OKRA),
        "{:#}",
        refused.body
    );
    let after = order(&app, &customer, &id).await;
    assert_eq!(after["items"], before["items"]);
    assert_eq!(after["total"], before["total"]);
    assert_eq!(after["versions"], json!([]), "never edited");
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 3));
    assert_eq!(app.stock_levels(OKRA).await, (1, 0));
    assert_eq!(app.ledger_entries(&id).await.len(), ledger_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_edited_only_between_payment_and_packing() {
    let app = spawn_app().await;
    let (admin, customer) = shop(&app, ON_HAND).await;
    let awaiting = placed_id(
        &app.place(
            &customer,
            &delivery_order(json!([{"sku": MANGO, "quantity": 1}]), upi("meera@okbank")),
        )
        .await,
    );
    app.wait_for_status(&customer, &awaiting, "awaiting_payment")
        .await;
    let unpaid = edit(&app, &customer, &awaiting, None, &set(MANGO, 2)).await;
    unpaid.assert_complete_problem(409);
    assert!(
        unpaid.body["detail"]
            .as_str()
            .unwrap()
            .contains("payment has settled"),
        "{:#}",
        unpaid.body
    );

    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    app.ship(&admin, &customer, &id).await;
    let shipped = edit(&app, &customer, &id, None, &set(MANGO, 4)).await;
    shipped.assert_complete_problem(409);
    assert_eq!(
        order(&app, &customer, &id).await["total"]["amount"],
        3 * MANGO_PRICE
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_edits_are_422s_and_other_customers_cannot_edit() {
    let app = spawn_app().await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    for body in [
        json!({}),
        set(MANGO, 0),
        set("NO-SUCH-SKU", 1),
        set(MANGO, 3),
        json!({"lines": [{"sku": OKRA, "quantity": 1}, {"sku": OKRA, "quantity": 2}]}),
        json!({"address": {"name": "", "line1": "1 Lane", "city": "Pune", "postal_code": "411001", "country": "IN"}}),
        json!({"lines": [{"sku": MANGO, "quantity": 1}], "colour": "red"}),
    ] {
        let answer = edit(&app, &customer, &id, None, &body).await;
        assert!(
            answer.status == 422 || answer.status == 400,
            "{body}: {} {:#}",
            answer.status,
            answer.body
        );
        assert!(
            answer.content_type.starts_with("application/problem+json"),
            "{body}"
        );
    }
    let stranger = app.customer("Ravi").await;
    assert_eq!(
        edit(&app, &stranger, &id, None, &set(MANGO, 1))
            .await
            .status,
        404
    );
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_delivery_address_is_a_version_of_its_own_and_costs_nothing() {
    let app = spawn_app().await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    let address = json!({
        "name": "Meera Iyer", "line1": "4 Park Street", "city": "Pune",
        "postal_code": "411002", "country": "IN"
    });
    let edited = edit(&app, &customer, &id, None, &json!({"address": address})).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(
        edited.body["fulfillment"]["address"]["line1"],
        "4 Park Street"
    );
    assert_eq!(edited.body["versions"][1]["settlement"], "unchanged");
    assert_eq!(
        edited.body["versions"][1]["change"],
        "delivery address changed"
    );
    assert_eq!(
        edited.body["versions"][0]["fulfillment"]["address"]["line1"],
        "12 MG Road"
    );
    assert_eq!(captured_total(&app.ledger(&id).await), 3 * MANGO_PRICE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edits_sent_together_apply_one_and_refuse_the_other() {
    let app = spawn_app().await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    let bodies: Vec<Value> = (4..=7).map(|n| set(MANGO, n)).collect();
    let answers = join_all(
        bodies
            .iter()
            .map(|body| edit(&app, &customer, &id, None, body)),
    )
    .await;
    let applied: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    assert_eq!(applied.len(), 1, "{answers:#?}");
    for refused in answers.iter().filter(|a| a.status != 200) {
        refused.assert_complete_problem(409);
    }
    let quantity = applied[0].body["items"][0]["quantity"].as_i64().unwrap();
    let now = order(&app, &customer, &id).await;
    assert_eq!(now["items"][0]["quantity"], quantity);
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, quantity));
    assert_eq!(
        captured_total(&app.ledger(&id).await),
        quantity * MANGO_PRICE
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_cancels_sent_together_leave_no_stock_held_and_no_money_kept() {
    let app = spawn_app().await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(paid_order(&app, &customer, 1, card(CARD_APPROVED)).await);
    }
    let cancel = json!({});
    let more = json!({"lines": [{"sku": MANGO, "quantity": 6}, {"sku": OKRA, "quantity": 0}]});
    // An order whose edit went through before its cancel, for the history.
    let mut edited_then_cancelled = None;
    // The cancel leaves a little later each time, so that it meets the
    // edit before, while and after the workflow applies it.
    for (id, delay) in ids.iter().zip([0, 20, 60]) {
        let path = format!("/v1/orders/{id}/cancel");
        let late_cancel = async {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            app.post(&path, Some(&customer), &cancel).await
        };
        let (edited, cancelled) = tokio::join!(edit(&app, &customer, id, None, &more), late_cancel);
        assert!(
            [200, 409].contains(&edited.status),
            "{} {:#}",
            edited.status,
            edited.body
        );
        assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
        if edited.status == 200 {
            edited_then_cancelled.get_or_insert(id);
        }
        let ended = app.wait_for_status(&customer, id, "cancelled").await;
        let ledger = app.ledger(id).await;
        assert_eq!(
            captured_total(&ledger),
            refunded_total(&ledger),
            "{ended:#}\n{ledger:?}"
        );
    }
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 0));
    assert_eq!(app.stock_levels(OKRA).await, (ON_HAND, 0));
    let recorded = edited_then_cancelled.unwrap_or(&ids[0]);
    record_history(&app, &workflow_of(recorded), "edit_raced_with_cancel").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_difference_leaves_the_order_as_it_was() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(PaymentFault::DeclineAddedCharges),
        ..TestOptions::default()
    })
    .await;
    let (admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    let refused = edit(&app, &customer, &id, None, &set(MANGO, 5)).await;
    refused.assert_complete_problem(409);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("could not be charged"),
        "{:#}",
        refused.body
    );
    let now = order(&app, &customer, &id).await;
    assert_eq!(now["items"][0]["quantity"], 3);
    assert_eq!(now["versions"], json!([]), "never edited");
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 3));
    assert_eq!(captured_total(&app.ledger(&id).await), 3 * MANGO_PRICE);
    app.assert_stock_ledger_adds_up(&admin, MANGO).await;
    let cancelled = app.cancel(&customer, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    record_history(&app, &workflow_of(&id), "edit_declined_then_cancelled").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_of_the_difference_the_provider_keeps_failing_alerts_ops() {
    let app = spawn_app_with(TestOptions {
        payment_fault: Some(PaymentFault::FailRefunds),
        ..TestOptions::default()
    })
    .await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    let edited = edit(&app, &customer, &id, None, &set(MANGO, 1)).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["versions"][1]["settlement"], "refund_failed");
    app.wait_for_ops_alert(&id, "edit_refund_failed", Duration::from_secs(10))
        .await;
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_on_delivery_collects_the_edited_total_at_the_door() {
    let app = spawn_app().await;
    let (admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, cash_on_delivery()).await;
    let edited = edit(&app, &customer, &id, None, &set(MANGO, 2)).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["versions"][1]["settlement"], "on_delivery");
    let ledger = app.ledger(&id).await;
    let voided: Vec<_> = ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Void)
        .collect();
    assert_eq!(voided.len(), 1, "{ledger:?}");
    assert_eq!(voided[0].amount.amount, MANGO_PRICE);
    assert_eq!(voided[0].idempotency_key, format!("order:{id}:void:edit-2"));
    let tracking = app.ship(&admin, &customer, &id).await;
    app.carrier_delivers(&tracking).await;
    app.wait_for_status(&customer, &id, "delivered").await;
    let ledger = app.ledger(&id).await;
    assert_eq!(captured_total(&ledger), 2 * MANGO_PRICE);
    assert_eq!(
        settled_total(&ledger, LedgerKind::Authorize) - settled_total(&ledger, LedgerKind::Void),
        2 * MANGO_PRICE,
        "{ledger:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_on_delivery_order_that_grows_is_authorized_for_the_new_total_and_a_cancel_voids_all_of_it()
 {
    let app = spawn_app().await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, cash_on_delivery()).await;
    let edited = edit(&app, &customer, &id, Some("a-fourth-box"), &set(MANGO, 4)).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(edited.body["versions"][1]["settlement"], "on_delivery");
    assert_eq!(
        edited.body["payment"]["receipt"]["authorized"]["amount"],
        4 * MANGO_PRICE
    );
    let retried = edit(&app, &customer, &id, Some("a-fourth-box"), &set(MANGO, 4)).await;
    assert_eq!(retried.status, 200, "{:#}", retried.body);
    let ledger = app.ledger(&id).await;
    assert_eq!(
        settled_total(&ledger, LedgerKind::Authorize),
        4 * MANGO_PRICE,
        "{ledger:?}"
    );

    let cancelled = app.cancel(&customer, &id).await;
    assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
    app.wait_for_status(&customer, &id, "cancelled").await;
    let ledger = app.ledger(&id).await;
    assert_eq!(
        settled_total(&ledger, LedgerKind::Void),
        4 * MANGO_PRICE,
        "{ledger:?}"
    );
    assert_eq!(captured_total(&ledger), 0);
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 0));
    record_history(&app, &workflow_of(&id), "cod_edit_then_cancelled").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_whose_worker_is_killed_is_charged_once_when_retried() {
    let app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(30),
        ..TestOptions::default()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = orderly_tests::children::spawn_worker_process(&spec).await;
    let (_admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;

    let body = set(MANGO, 5);
    let sent = edit(&app, &customer, &id, Some("five-boxes"), &body);
    let kill = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        first_worker.start_kill().expect("killing the worker");
        first_worker.wait().await.expect("reaping the worker");
    };
    let (first, ()) = tokio::join!(sent, kill);
    let stop_second_worker = orderly_tests::app::start_worker(spec.clone());
    let deadline = std::time::Instant::now() + RECOVERY;
    let mut answer = first;
    while answer.status != 200 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        answer = edit(&app, &customer, &id, Some("five-boxes"), &body).await;
    }
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body["versions"].as_array().unwrap().len(), 2);
    assert_eq!(captured_total(&app.ledger(&id).await), 5 * MANGO_PRICE);
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 5));
    stop_second_worker();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parcel_is_booked_to_the_address_the_edit_gave() {
    let app = spawn_app().await;
    let (admin, customer) = shop(&app, ON_HAND).await;
    let id = paid_order(&app, &customer, 0, card(CARD_APPROVED)).await;
    // The sandbox carrier refuses this postal code: only a booking to the
    // new address is refused.
    let address = json!({
        "name": "Meera Iyer", "line1": "1 Nowhere Lane", "city": "Pune",
        "postal_code": POSTAL_CODE_UNDELIVERABLE, "country": "IN"
    });
    let edited = edit(&app, &customer, &id, None, &json!({"address": address})).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    let packed = app
        .post(&format!("/v1/orders/{id}/pack"), Some(&admin), &json!({}))
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let ended = app.wait_for_status(&customer, &id, "cancelled").await;
    assert!(
        ended["timeline"].to_string().contains("undeliverable"),
        "{ended:#}"
    );
    let ledger = app.ledger(&id).await;
    assert_eq!(refunded_total(&ledger), captured_total(&ledger));
    assert_eq!(app.stock_levels(MANGO).await, (ON_HAND, 0));
}
