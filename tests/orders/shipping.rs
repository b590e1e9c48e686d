//! Shipping: the carrier's signed webhooks (deduplicated, never moving a
//! parcel backwards), a carrier that refuses, cannot book, goes quiet or
//! sends the parcel back, and the ways a shipment is followed: the tracking
//! endpoint, the workflow query and the operators' search attributes.

use orderly_providers::sandbox_values::{
    CARD_APPROVED, POSTAL_CODE_OUTAGE, POSTAL_CODE_UNDELIVERABLE,
};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde_json::{Value, json};
use temporalio_client::{WorkflowListOptions, WorkflowQueryOptions};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use orderly_domain::{LedgerKind, NotificationKind, OrderId, ShipmentStatus, TrackingId};
use orderly_providers::signature::{SIGNATURE_HEADER, sign};
use orderly_tests::app::{CARRIER_SECRET, TestApp, TestOptions, fast_timings, spawn_app_with};
use orderly_tests::histories::record_history;
use orderly_tests::shopper::{card, delivery_order, placed_id};
use orderly_workflows::{OrderWorkflow, order_workflow_id, shipment_workflow_id};

const SKU: &str = "APPLE-1KG";
const PRICE: i64 = 18_000;
const ON_HAND: i64 = 10;
const CARRIER_WEBHOOK: &str = "/v1/webhooks/carriers/sandbox";
const WAIT: Duration = Duration::from_secs(30);

/// A shop with one product, a customer whose card order is paid, and an admin.
struct PaidOrder {
    app: TestApp,
    customer: String,
    admin: String,
    id: String,
}

async fn paid_order_to(postal_code: &str, options: TestOptions) -> PaidOrder {
    let app = spawn_app_with(options).await;
    app.stock_product(SKU, PRICE, ON_HAND).await;
    let customer = app.customer("Asha").await;
    let admin = app.admin().await;
    let mut order = delivery_order(json!([{"sku": SKU, "quantity": 1}]), card(CARD_APPROVED));
    order["fulfillment"]["address"]["postal_code"] = json!(postal_code);
    let id = placed_id(&app.place(&customer, &order).await);
    app.wait_for_status(&customer, &id, "paid").await;
    PaidOrder {
        app,
        customer,
        admin,
        id,
    }
}

async fn paid_order() -> PaidOrder {
    paid_order_to("411001", TestOptions::default()).await
}

/// A paid order handed to the carrier; returns it with its tracking id.
async fn shipped_order() -> (PaidOrder, String) {
    let order = paid_order().await;
    let tracking = order
        .app
        .ship(&order.admin, &order.customer, &order.id)
        .await;
    (order, tracking)
}

async fn post_event(app: &TestApp, tracking: &str, event_id: &str, status: &str) {
    let answer = app.carrier_event(tracking, event_id, status).await;
    assert_eq!(
        answer.status, 200,
        "carrier event {event_id} ({status}): {:#}",
        answer.body
    );
    assert_eq!(answer.body["status"], "accepted");
}

/// `(status, detail)` of every timeline entry.
fn timeline(order: &Value) -> Vec<(String, String)> {
    order["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|e| {
            (
                e["status"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn statuses(order: &Value) -> Vec<String> {
    timeline(order).into_iter().map(|(s, _)| s).collect()
}

fn mentions(order: &Value, detail: &str) -> bool {
    timeline(order).iter().any(|(_, d)| d.contains(detail))
}

fn order_id(id: &str) -> OrderId {
    id.parse().expect("an order id")
}

/// How many times the carrier was asked to book the order's parcel, as the
/// local activity's marker in the workflow history records it.
async fn booking_attempts(app: &TestApp, id: &str) -> u64 {
    let events = app
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(order_id(id)))
        .fetch_history(Default::default())
        .into_events()
        .await
        .expect("fetching the order's history");
    events
        .iter()
        .filter_map(|event| match &event.attributes {
            Some(Attributes::MarkerRecordedEventAttributes(marker)) => marker.details.get("data"),
            _ => None,
        })
        .flat_map(|payloads| payloads.payloads.iter())
        .filter_map(|payload| serde_json::from_slice::<Value>(&payload.data).ok())
        .find(|data| data["activity_type"] == "OrderActivities::book_shipment")
        .and_then(|data| data["attempt"].as_u64())
        .expect("a booking marker in the history")
}

/// A cancelled paid order gave everything back: the capture refunded in
/// full, the stock back on the shelf, and the customer told once.
async fn assert_cancelled_with_refund(order: &PaidOrder, cancelled: &Value) {
    assert_eq!(cancelled["payment"]["status"], "refunded", "{cancelled:#}");
    assert_eq!(cancelled["payment"]["receipt"]["captured"]["amount"], PRICE);
    assert_eq!(cancelled["payment"]["receipt"]["refunded"]["amount"], PRICE);
    let ledger = order.app.ledger(&order.id).await;
    let kinds: Vec<LedgerKind> = ledger.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [LedgerKind::Capture, LedgerKind::Refund]);
    assert!(ledger.iter().all(|e| e.amount.amount == PRICE));
    assert_eq!(order.app.stock_levels(SKU).await, (ON_HAND, 0));
    assert_eq!(
        order
            .app
            .notification_count(&order.id, NotificationKind::Cancelled, "in_app")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_event_sent_twice_is_acknowledged_and_changes_nothing() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    post_event(app, &tracking, "evt-1", "in_transit").await;
    let in_transit = app
        .wait_for(&order.customer, &order.id, WAIT, |o| {
            mentions(o, "in transit")
        })
        .await;
    let before = timeline(&in_transit);

    // The carrier resends the event, then reuses its id for a different
    // status: both are acknowledged so it stops resending, and ignored.
    post_event(app, &tracking, "evt-1", "in_transit").await;
    post_event(app, &tracking, "evt-1", "delivered").await;
    // Events are applied in the order they arrive; this one shows the two
    // above have been handled.
    post_event(app, &tracking, "evt-2", "out_for_delivery").await;
    let after = app
        .wait_for(&order.customer, &order.id, WAIT, |o| {
            o["status"] == "out_for_delivery" || o["status"] == "delivered"
        })
        .await;

    assert_eq!(after["status"], "out_for_delivery", "{after:#}");
    let after = timeline(&after);
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(
        app.notification_count(&order.id, NotificationKind::Delivered, "in_app")
            .await,
        0
    );
    let shipment = app
        .store
        .orders()
        .shipment_by_tracking(tracking.parse::<TrackingId>().expect("a tracking id"))
        .await
        .expect("reading the shipment")
        .expect("the shipment");
    assert_eq!(shipment.status, ShipmentStatus::OutForDelivery);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_would_move_the_parcel_backwards_is_ignored() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    post_event(app, &tracking, "evt-1", "in_transit").await;
    post_event(app, &tracking, "evt-2", "out_for_delivery").await;
    // A late in-transit event, delivered after the parcel left the hub.
    post_event(app, &tracking, "evt-3", "in_transit").await;
    post_event(app, &tracking, "evt-4", "delivered").await;
    let delivered = app
        .wait_for_status(&order.customer, &order.id, "delivered")
        .await;

    let expected: Vec<(String, String)> = [
        (
            "shipped",
            format!("handed to sandbox with tracking id {tracking}"),
        ),
        ("shipped", "in transit at Pune hub".to_owned()),
        (
            "out_for_delivery",
            "out for delivery at Pune hub".to_owned(),
        ),
        ("delivered", "delivered at Pune hub".to_owned()),
    ]
    .into_iter()
    .map(|(status, detail)| (status.to_owned(), detail))
    .collect();
    assert_eq!(timeline(&delivered)[3..], expected[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_attempt_is_followed_by_another_attempt_and_delivery() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    for (event_id, status) in [
        ("evt-1", "out_for_delivery"),
        ("evt-2", "failed_attempt"),
        ("evt-3", "out_for_delivery"),
        ("evt-4", "delivered"),
    ] {
        post_event(app, &tracking, event_id, status).await;
    }
    let delivered = app
        .wait_for_status(&order.customer, &order.id, "delivered")
        .await;

    assert_eq!(
        statuses(&delivered),
        [
            "placed",
            "paid",
            "packed",
            "shipped",
            "out_for_delivery",
            "out_for_delivery",
            "out_for_delivery",
            "delivered"
        ]
    );
    assert_eq!(
        timeline(&delivered)[5].1,
        "delivery attempt failed at Pune hub"
    );
    // The second time out for delivery does not tell the customer again.
    for kind in [
        NotificationKind::OutForDelivery,
        NotificationKind::Delivered,
    ] {
        assert_eq!(app.notification_count(&order.id, kind, "in_app").await, 1);
    }
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 1, 0));

    let id = order_id(&order.id);
    record_history(app, &order_workflow_id(id), "delivery_card").await;
    record_history(app, &shipment_workflow_id(id, 1), "shipment_child").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_webhooks_without_a_valid_signature_are_refused() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    let forged = |event_id: &str| {
        json!({
            "event_id": event_id,
            "tracking_id": tracking,
            "status": "delivered",
            "occurred_at": Utc::now().to_rfc3339(),
        })
    };
    let now = Utc::now().timestamp();

    let wrong_secret = app
        .signed_webhook(CARRIER_WEBHOOK, "not-the-secret", &forged("evt-a"), now)
        .await;
    wrong_secret.assert_problem(401);
    let unsigned = app.post(CARRIER_WEBHOOK, None, &forged("evt-b")).await;
    unsigned.assert_problem(401);
    // Signed correctly, but six minutes ago: a replayed capture.
    let stale = app
        .signed_webhook(CARRIER_WEBHOOK, CARRIER_SECRET, &forged("evt-c"), now - 360)
        .await;
    stale.assert_problem(401);
    // A good signature over a different body than the one sent.
    let raw = serde_json::to_vec(&forged("evt-d")).expect("JSON");
    let signature = sign(CARRIER_SECRET.as_bytes(), now, b"{}");
    let swapped = app
        .post_raw(
            CARRIER_WEBHOOK,
            None,
            "application/json",
            raw,
            &[(SIGNATURE_HEADER, &signature)],
        )
        .await;
    swapped.assert_problem(401);

    // None of the refused "delivered" events reached the parcel.
    post_event(app, &tracking, "evt-1", "in_transit").await;
    let after = app
        .wait_for(&order.customer, &order.id, WAIT, |o| {
            mentions(o, "in transit") || o["status"] == "delivered"
        })
        .await;
    assert_eq!(after["status"], "shipped", "{after:#}");
    assert_eq!(
        app.notification_count(&order.id, NotificationKind::Delivered, "in_app")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_webhook_for_an_unknown_parcel_is_not_found() {
    let app = spawn_app_with(TestOptions::default()).await;
    let answer = app
        .carrier_event(&TrackingId::new().to_string(), "evt-1", "delivered")
        .await;
    answer.assert_problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_carrier_webhook_is_rejected_with_the_reason() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    let now = Utc::now().timestamp();
    let post_signed = |body: Vec<u8>| {
        let signature = sign(CARRIER_SECRET.as_bytes(), now, &body);
        async move {
            app.post_raw(
                CARRIER_WEBHOOK,
                None,
                "application/json",
                body,
                &[(SIGNATURE_HEADER, &signature)],
            )
            .await
        }
    };

    let not_json = post_signed(b"{\"event_id\": \"evt-1\", ".to_vec()).await;
    not_json.assert_problem(400);

    let unknown_status = post_signed(
        serde_json::to_vec(&json!({
            "event_id": "evt-2",
            "tracking_id": tracking,
            "status": "teleported",
            "occurred_at": Utc::now().to_rfc3339(),
        }))
        .expect("JSON"),
    )
    .await;
    unknown_status.assert_problem(422);
    assert_eq!(unknown_status.fields(), ["status"]);

    let missing_tracking = post_signed(
        serde_json::to_vec(&json!({
            "event_id": "evt-3",
            "status": "delivered",
            "occurred_at": Utc::now().to_rfc3339(),
        }))
        .expect("JSON"),
    )
    .await;
    missing_tracking.assert_problem(422);
    assert_eq!(missing_tracking.fields(), ["tracking_id"]);

    let shipped = app
        .get(&format!("/v1/orders/{}", order.id), Some(&order.customer))
        .await;
    assert_eq!(shipped.body["status"], "shipped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_the_carrier_refuses_cancels_the_order_with_a_refund() {
    let order = paid_order_to(POSTAL_CODE_UNDELIVERABLE, TestOptions::default()).await;
    let app = &order.app;
    let packed = app
        .post(
            &format!("/v1/orders/{}/pack", order.id),
            Some(&order.admin),
            &json!({}),
        )
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let cancelled = app
        .wait_for_status(&order.customer, &order.id, "cancelled")
        .await;

    assert!(
        mentions(
            &cancelled,
            "the carrier refused the shipment: undeliverable address"
        ),
        "{cancelled:#}"
    );
    assert!(cancelled["shipment"].is_null());
    app.finished_order(&order.id).await;
    // A refusal is final: the carrier is not asked again.
    assert_eq!(booking_attempts(app, &order.id).await, 1);
    assert_cancelled_with_refund(&order, &cancelled).await;
    record_history(
        app,
        &order_workflow_id(order_id(&order.id)),
        "booking_rejected",
    )
    .await;
}

/// Attempts at booking during an outage before the order gives up.
const BOOKING_ATTEMPTS: u32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_outage_that_outlasts_the_retries_cancels_the_order_with_a_refund() {
    let options = TestOptions {
        timings: orderly_workflows::OrderTimings {
            booking_attempts: BOOKING_ATTEMPTS,
            ..fast_timings()
        },
        ..TestOptions::default()
    };
    let order = paid_order_to(POSTAL_CODE_OUTAGE, options).await;
    let app = &order.app;
    let packed = app
        .post(
            &format!("/v1/orders/{}/pack", order.id),
            Some(&order.admin),
            &json!({}),
        )
        .await;
    assert_eq!(packed.status, 200, "{:#}", packed.body);
    let cancelled = app
        .wait_for(&order.customer, &order.id, Duration::from_secs(60), |o| {
            o["status"] == "cancelled"
        })
        .await;

    assert!(
        mentions(&cancelled, "the shipment could not be booked"),
        "{cancelled:#}"
    );
    app.finished_order(&order.id).await;
    assert_eq!(
        booking_attempts(app, &order.id).await,
        u64::from(BOOKING_ATTEMPTS)
    );
    assert_cancelled_with_refund(&order, &cancelled).await;
    record_history(
        app,
        &order_workflow_id(order_id(&order.id)),
        "booking_outage",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_that_goes_quiet_raises_an_ops_alert() {
    let options = TestOptions {
        timings: orderly_workflows::OrderTimings {
            carrier_silence_secs: 2,
            ..fast_timings()
        },
        ..TestOptions::default()
    };
    let order = paid_order_to("411001", options).await;
    let app = &order.app;
    let tracking = app.ship(&order.admin, &order.customer, &order.id).await;

    let alerts = app
        .wait_for_ops_alert(&order.id, "carrier_silent", Duration::from_secs(30))
        .await;
    assert!(alerts[0].detail.contains(&tracking), "{alerts:?}");
    // Silence is only reported: the order waits for the carrier.
    let current = app
        .get(&format!("/v1/orders/{}", order.id), Some(&order.customer))
        .await;
    assert_eq!(current.body["status"], "shipped");

    // The carrier speaks up at last; the parcel goes on and the workflow ends.
    post_event(app, &tracking, "evt-1", "delivered").await;
    app.wait_for_status(&order.customer, &order.id, "delivered")
        .await;
    app.finished_order(&order.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_parcel_cancels_the_order_refunds_it_and_restocks() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    // Shipping took the item off the shelf.
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - 1, 0));

    post_event(app, &tracking, "evt-1", "in_transit").await;
    post_event(app, &tracking, "evt-2", "returned").await;
    let cancelled = app
        .wait_for_status(&order.customer, &order.id, "cancelled")
        .await;

    assert!(
        mentions(&cancelled, "the parcel was returned by the carrier"),
        "{cancelled:#}"
    );
    assert_eq!(cancelled["shipment"]["status"], "returned");
    app.finished_order(&order.id).await;
    assert_cancelled_with_refund(&order, &cancelled).await;
    record_history(app, &order_workflow_id(order_id(&order.id)), "returned").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_shows_the_carrier_and_where_the_parcel_is() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    post_event(app, &tracking, "evt-1", "in_transit").await;
    app.wait_for(&order.customer, &order.id, WAIT, |o| {
        o["shipment"]["status"] == "in_transit"
    })
    .await;

    let path = format!("/v1/orders/{}/tracking", order.id);
    let answer = app.get(&path, Some(&order.customer)).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body["order_id"], order.id.as_str());
    assert_eq!(answer.body["status"], "shipped");
    assert_eq!(answer.body["shipment"]["tracking_id"], tracking.as_str());
    assert_eq!(answer.body["shipment"]["carrier"], "sandbox");
    assert_eq!(answer.body["shipment"]["status"], "in_transit");
    assert_eq!(answer.body["shipment"]["last_location"], "Pune hub");
    assert_eq!(
        statuses(&answer.body),
        ["placed", "paid", "packed", "shipped", "shipped"]
    );

    // Another customer cannot tell the order exists; a stranger must log in.
    let stranger = app.customer("Ravi").await;
    app.get(&path, Some(&stranger)).await.assert_problem(404);
    app.get(&path, None).await.assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_query_returns_the_status_and_the_whole_timeline() {
    let (order, tracking) = shipped_order().await;
    let app = &order.app;
    post_event(app, &tracking, "evt-1", "in_transit").await;
    let read_model = app
        .wait_for(&order.customer, &order.id, WAIT, |o| {
            mentions(o, "in transit")
        })
        .await;

    let view = app
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(order_id(&order.id)))
        .query(OrderWorkflow::order, (), WorkflowQueryOptions::default())
        .await
        .expect("querying the order workflow");

    assert_eq!(view.id.to_string(), order.id);
    assert_eq!(view.status.as_str(), "shipped");
    assert_eq!(view.timeline.len(), 5);
    assert_eq!(
        serde_json::to_value(&view.timeline).expect("timeline JSON"),
        read_model["timeline"]
    );
    assert_eq!(
        view.shipment.map(|s| s.tracking_id.to_string()),
        Some(tracking)
    );
}

/// Workflow ids the visibility store lists for `query`.
async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    app.temporal
        .list_workflows(query, WorkflowListOptions::default())
        .filter_map(|found| async move { found.ok().map(|w| w.id().to_owned()) })
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_find_a_customers_paid_orders_by_search_attributes() {
    let order = paid_order().await;
    let app = &order.app;
    let other = app.customer("Ravi").await;
    let others_order = placed_id(
        &app.place(
            &other,
            &delivery_order(json!([{"sku": SKU, "quantity": 1}]), card(CARD_APPROVED)),
        )
        .await,
    );
    app.wait_for_status(&other, &others_order, "paid").await;
    let current = app
        .get(&format!("/v1/orders/{}", order.id), Some(&order.customer))
        .await;
    let customer_id = current.body["customer_id"]
        .as_str()
        .expect("a customer id")
        .to_owned();

    // Visibility is eventually consistent: poll until the order shows up.
    let query = format!("OrderStatus = 'paid' AND CustomerId = '{customer_id}'");
    let expected = vec![order_workflow_id(order_id(&order.id))];
    let deadline = Instant::now() + WAIT;
    let mut found = listed(app, &query).await;
    while found != expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        found = listed(app, &query).await;
    }
    assert_eq!(found, expected, "{query}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_turned_away_for_lack_of_stock_is_listed_as_rejected_not_placed() {
    let order = paid_order().await;
    let app = &order.app;
    let customer_id = app.account_id(&order.customer).await;
    let too_many = app
        .place(
            &order.customer,
            &delivery_order(
                json!([{"sku": SKU, "quantity": ON_HAND}]),
                card(CARD_APPROVED),
            ),
        )
        .await;
    too_many.assert_problem(409);

    let rejected = format!("OrderStatus = 'rejected' AND CustomerId = '{customer_id}'");
    let deadline = Instant::now() + WAIT;
    let mut found = listed(app, &rejected).await;
    while found.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        found = listed(app, &rejected).await;
    }
    assert_eq!(found.len(), 1, "{rejected}: {found:?}");
    assert_ne!(found[0], order_workflow_id(order_id(&order.id)));
    let placed = format!("OrderStatus = 'placed' AND CustomerId = '{customer_id}'");
    assert_eq!(listed(app, &placed).await, Vec::<String>::new(), "{placed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spammed_shipment_continues_as_new_runs_and_still_delivers() {
    let options = TestOptions {
        timings: orderly_workflows::OrderTimings {
            shipment_history_limit: 40,
            ..fast_timings()
        },
        ..TestOptions::default()
    };
    let order = paid_order_to("411001", options).await;
    let app = &order.app;
    let tracking = app.ship(&order.admin, &order.customer, &order.id).await;

    let spam = 60;
    assert_eq!(
        app.carrier_event(&tracking, "evt-transit", "in_transit")
            .await
            .status,
        200
    );
    for n in 0..spam {
        // Resends under new ids: ignored, but each one is history.
        let answer = app
            .carrier_event(&tracking, &format!("evt-spam-{n}"), "in_transit")
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    // The spam alone takes the run past its limit: it continues as new.
    let handle = app
        .temporal
        .get_workflow_handle::<temporalio_client::UntypedWorkflow>(shipment_workflow_id(
            order_id(&order.id),
            1,
        ));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let json = handle
            .fetch_history(Default::default())
            .to_json()
            .await
            .expect("the shipment's history");
        let history: Value = serde_json::from_slice(&json).expect("JSON");
        let started =
            &history["events"][0]["attributes"]["WorkflowExecutionStartedEventAttributes"];
        if started["continued_execution_run_id"]
            .as_str()
            .is_some_and(|run| !run.is_empty())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the shipment never continued as new"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for (event, status) in [("evt-out", "out_for_delivery"), ("evt-done", "delivered")] {
        let answer = app.carrier_event(&tracking, event, status).await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
    }
    let delivered = app
        .wait_for_status(&order.customer, &order.id, "delivered")
        .await;
    assert_eq!(delivered["shipment"]["status"], "delivered");
    assert_eq!(
        delivered["timeline"]
            .as_array()
            .expect("a timeline")
            .iter()
            .filter(|entry| entry["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with("in transit"))
            .count(),
        1,
        "the spam added nothing to the order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_event_with_an_oversized_location_is_refused() {
    let (order, tracking) = shipped_order().await;
    let body = json!({
        "event_id": "evt-huge",
        "tracking_id": tracking,
        "status": "in_transit",
        "occurred_at": chrono::Utc::now().to_rfc3339(),
        "location": "x".repeat(5000),
    });
    let answer = order
        .app
        .signed_webhook(
            "/v1/webhooks/carriers/sandbox",
            orderly_tests::app::CARRIER_SECRET,
            &body,
            chrono::Utc::now().timestamp(),
        )
        .await;
    assert_eq!(answer.status, 422, "{:#}", answer.body);
    assert_eq!(answer.body["errors"][0]["field"], "location");
}
