//! Crash: the worker process is killed with SIGKILL while fifty orders are
//! in flight, and a fresh worker on the same task queue and database takes
//! over. Temporal hands the dead worker's workflow tasks to the new one
//! (after the sticky timeout) and replays each order to where it was;
//! because every activity is idempotent, nothing is charged, moved or sent
//! twice.
//!
//! An order split over two warehouses goes through the same: its worker
//! dies while a shipment is handed over, and the shipment is booked and
//! its stock taken once.
//!
//! The first worker is a real process (see `children`).

use orderly_providers::sandbox_values::{CARD_APPROVED, CARD_DECLINED, CARD_FLAKY};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;

use orderly_domain::{LedgerKind, NotificationKind, OrderId};
use orderly_tests::app::{TestApp, TestOptions, fast_timings, spawn_app_with, start_worker};
use orderly_tests::shopper::{Answer, card, delivery_order, placed_id};
use orderly_tests::split_order::{MANGO, OKRA, OKRA_PRICE, pack_route, tracking};
use orderly_workflows::OrderTimings;

use orderly_tests::children::spawn_worker_process;

const SKU: &str = "RICE-5KG";
const PRICE: i64 = 45_000;
const ON_HAND: i64 = 100;
/// Recovery waits out the dead worker's sticky queue and task timeouts.
const RECOVERY: Duration = Duration::from_secs(120);

/// Where each order is meant to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Shipped before the crash; the carrier delivers it while no worker runs.
    Deliver,
    /// Packed as the worker dies; ends with the carrier.
    Ship,
    /// A card that fails twice before it goes through: paid, waiting to be packed.
    SlowCard,
    /// Paid, waiting to be packed.
    AwaitPacking,
    /// Declined card: payment failed, stock released.
    Declined,
}

impl Plan {
    fn card(self) -> &'static str {
        match self {
            Plan::SlowCard => CARD_FLAKY,
            Plan::Declined => CARD_DECLINED,
            _ => CARD_APPROVED,
        }
    }

    fn end_status(self) -> &'static str {
        match self {
            Plan::Deliver => "delivered",
            Plan::Ship => "shipped",
            Plan::SlowCard | Plan::AwaitPacking => "paid",
            Plan::Declined => "payment_failed",
        }
    }

    fn notifications(self) -> &'static [NotificationKind] {
        use NotificationKind::*;
        match self {
            Plan::Deliver => &[
                OrderConfirmed,
                PaymentReceipt,
                Shipped,
                OutForDelivery,
                Delivered,
            ],
            Plan::Ship => &[OrderConfirmed, PaymentReceipt, Shipped],
            Plan::SlowCard | Plan::AwaitPacking => &[OrderConfirmed, PaymentReceipt],
            Plan::Declined => &[OrderConfirmed, PaymentFailed],
        }
    }

    fn captures(self) -> usize {
        usize::from(self != Plan::Declined)
    }
}

const PLANS: [(Plan, usize); 5] = [
    (Plan::Deliver, 15),
    (Plan::Ship, 10),
    (Plan::SlowCard, 10),
    (Plan::AwaitPacking, 10),
    (Plan::Declined, 5),
];

struct Order {
    plan: Plan,
    customer: String,
    id: String,
}

async fn pack(app: &TestApp, admin: &str, order_id: &str) -> Answer {
    app.post(
        &format!("/v1/orders/{order_id}/pack"),
        Some(admin),
        &json!({}),
    )
    .await
}

async fn wait_for_status(app: &TestApp, order: &Order, status: &str) {
    app.wait_for(&order.customer, &order.id, RECOVERY, |o| {
        o["status"] == status
    })
    .await;
}

/// Waits until the order's expected notifications are all marked delivered
/// on both channels (an order that waits keeps running, and its
/// last notification may trail its last status by a moment).
async fn wait_for_notifications(app: &TestApp, order: &Order) {
    let deadline = Instant::now() + RECOVERY;
    for &kind in order.plan.notifications() {
        for channel in ["in_app", "email"] {
            let key = format!("{}:{}:{channel}", order.id, kind.as_str());
            while !app
                .store
                .notifications()
                .notification_delivered(&key)
                .await
                .expect("reading a notification")
            {
                assert!(
                    Instant::now() < deadline,
                    "order {} ({:?}) never sent {kind:?} by {channel}",
                    order.id,
                    order.plan
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_in_flight_survive_a_killed_worker() {
    // Slow retries keep the flaky cards' payments in flight across the crash.
    let timings = OrderTimings {
        retry_initial_millis: 4_000,
        ..fast_timings()
    };
    let app = spawn_app_with(TestOptions {
        timings,
        smtp: true,
        worker: false,
        // The worker is a process still starting while the first orders
        // arrive; on a loaded machine their first task waits for it.
        temporal_timeout: Duration::from_secs(30),
        ..TestOptions::default()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = spawn_worker_process(&spec).await;

    app.stock_product(SKU, PRICE, ON_HAND).await;
    let admin = app.admin().await;
    let names = ["Asha", "Ravi", "Meena", "Kiran", "Dev"];
    let customers = join_all(names.iter().map(|name| app.customer(name))).await;
    let plans: Vec<Plan> = PLANS
        .iter()
        .flat_map(|&(plan, n)| std::iter::repeat_n(plan, n))
        .collect();
    let app = &app;
    let answers = join_all(plans.iter().enumerate().map(|(n, plan)| {
        let customer = &customers[n % customers.len()];
        let order = delivery_order(json!([{"sku": SKU, "quantity": 1}]), card(plan.card()));
        async move { app.place(customer, &order).await }
    }))
    .await;
    let orders: Vec<Order> = plans
        .iter()
        .zip(answers)
        .enumerate()
        .map(|(n, (&plan, answer))| Order {
            plan,
            customer: customers[n % customers.len()].clone(),
            id: placed_id(&answer),
        })
        .collect();
    let with_plan = |plan: Plan| orders.iter().filter(move |o| o.plan == plan);

    // The first worker ships some orders to the carrier.
    join_all(
        with_plan(Plan::Deliver)
            .chain(with_plan(Plan::Ship))
            .map(|o| wait_for_status(app, o, "paid")),
    )
    .await;
    let trackings =
        join_all(with_plan(Plan::Deliver).map(|o| app.ship(&admin, &o.customer, &o.id))).await;

    // More orders are being packed when the worker is killed; while no
    // worker runs, the carrier reports the first parcels delivered.
    let packing = join_all(with_plan(Plan::Ship).map(|o| pack(app, &admin, &o.id)));
    let crash_and_recover = async {
        let packing_started = Instant::now();
        loop {
            let mut moved = false;
            for order in with_plan(Plan::Ship) {
                let view = app
                    .store
                    .orders()
                    .order(order.id.parse().expect("an order id"))
                    .await
                    .expect("reading an order");
                moved |= view.is_some_and(|v| v.status.as_str() != "paid");
            }
            if moved || packing_started.elapsed() > Duration::from_secs(30) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first_worker.start_kill().expect("killing the worker");
        let exit = first_worker.wait().await.expect("reaping the worker");
        assert_eq!(exit.signal(), Some(9), "the worker died of SIGKILL");

        for (n, tracking) in trackings.iter().enumerate() {
            for (step, status) in ["in_transit", "out_for_delivery", "delivered", "delivered"]
                .iter()
                .enumerate()
            {
                // The last event is a resend of the one before.
                let event_id = format!("evt-{n}-{}", step.min(2));
                let answer = app.carrier_event(tracking, &event_id, status).await;
                assert_eq!(answer.status, 200, "{:#}", answer.body);
            }
        }
        start_worker(spec.clone())
    };
    let (packed, stop_second_worker) = tokio::join!(packing, crash_and_recover);
    for (order, answer) in with_plan(Plan::Ship).zip(packed) {
        if answer.status != 200 {
            // The request died with the worker; the warehouse tries again.
            let again = pack(app, &admin, &order.id).await;
            assert!(
                matches!(again.status, 200 | 409),
                "packing {} again: {:#}",
                order.id,
                again.body
            );
        }
    }

    // Every order gets where it was going.
    join_all(
        orders
            .iter()
            .map(|o| wait_for_status(app, o, o.plan.end_status())),
    )
    .await;
    join_all(orders.iter().map(|o| wait_for_notifications(app, o))).await;
    for order in with_plan(Plan::Ship) {
        app.wait_for_shipment_workflow(&order.id, RECOVERY).await;
    }

    // One capture per paid order, and no money moved for the declined ones.
    let mut paid = 0;
    for order in &orders {
        let ledger = app.ledger(&order.id).await;
        let captures = ledger
            .iter()
            .filter(|e| e.kind == LedgerKind::Capture)
            .count();
        assert_eq!(captures, order.plan.captures(), "captures of {}", order.id);
        assert!(
            ledger.iter().all(|e| e.kind == LedgerKind::Capture),
            "{ledger:?}"
        );
        paid += captures;
    }
    assert_eq!(
        app.store
            .ledger()
            .count_ledger_entries(LedgerKind::Capture)
            .await
            .expect("counting captures"),
        i64::try_from(paid).expect("a small count")
    );

    // Stock: shipped parcels left the shelf, paid orders hold theirs, the
    // declined ones gave theirs back.
    let count = |plans: &[Plan]| {
        i64::try_from(orders.iter().filter(|o| plans.contains(&o.plan)).count())
            .expect("a small count")
    };
    assert_eq!(
        app.stock_levels(SKU).await,
        (
            ON_HAND - count(&[Plan::Deliver, Plan::Ship]),
            count(&[Plan::SlowCard, Plan::AwaitPacking])
        )
    );

    // Every notification exactly once per channel, none that does not belong.
    let mut expected_message_ids = BTreeSet::new();
    for order in &orders {
        expected_message_ids.extend(
            app.assert_notified_exactly(&order.id, order.plan.notifications())
                .await,
        );
    }
    // Email is at-least-once (a worker may die between handing a message to
    // the server and recording it); a resend carries the same Message-ID,
    // so what the customer sees is exactly the expected set.
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    let received: BTreeSet<String> = sink.message_id_counts().into_keys().collect();
    assert_eq!(received, expected_message_ids);

    stop_second_worker();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_order_whose_worker_dies_while_a_shipment_is_handed_over_books_and_moves_it_once() {
    let app = spawn_app_with(TestOptions {
        worker: false,
        temporal_timeout: Duration::from_secs(30),
        ..TestOptions::default()
    })
    .await;
    let spec = app.worker_spec();
    let mut first_worker = spawn_worker_process(&spec).await;
    let split = app.split_shop(5, 5).await;
    let id = app.place_split_order(&split).await;
    let order_id: OrderId = id.parse().expect("an order id");
    let admin = Some(split.admin.as_str());

    // The worker dies as soon as the first shipment is packed: somewhere
    // between its booking with the carrier and its stock leaving the shelf.
    let route = pack_route(&id, 1);
    let nothing = json!({});
    let packing = app.post(&route, admin, &nothing);
    let crash = async {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let view = app.store.orders().order(order_id).await.expect("an order");
            if view.is_some_and(|v| v.status.as_str() != "paid") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first_worker.start_kill().expect("killing the worker");
        let exit = first_worker.wait().await.expect("reaping the worker");
        assert_eq!(exit.signal(), Some(9), "the worker died of SIGKILL");
        start_worker(spec.clone())
    };
    let (packed, stop_second_worker) = tokio::join!(packing, crash);
    if packed.status != 200 {
        let again = app.post(&pack_route(&id, 1), admin, &json!({})).await;
        assert!(
            matches!(again.status, 200 | 409),
            "packing again: {:#}",
            again.body
        );
    }

    let order = app
        .wait_for(&split.customer, &id, RECOVERY, |o| {
            o["shipments"][0]["status"] == "booked"
        })
        .await;
    let booked = app
        .store
        .orders()
        .shipments_for_order(order_id)
        .await
        .expect("reading shipments");
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(
        Some(booked[0].tracking_id.to_string()),
        order["shipments"][0]["tracking_id"]
            .as_str()
            .map(str::to_owned),
        "the order follows the one booking"
    );
    assert_eq!(app.stock_levels(MANGO).await, (3, 0), "committed once");
    assert_eq!(app.stock_levels(OKRA).await, (5, 1));
    app.assert_stock_ledger_adds_up(&split.admin, MANGO).await;

    // The rest of the order goes on under the new worker: the okra comes
    // back, the mangoes arrive.
    let second = app.post(&pack_route(&id, 2), admin, &json!({})).await;
    assert_eq!(second.status, 200, "{:#}", second.body);
    let both = app
        .wait_for(&split.customer, &id, RECOVERY, |o| {
            o["shipments"][1]["status"] == "booked"
        })
        .await;
    app.wait_for_shipment_workflow(&id, RECOVERY).await;
    let returned = app
        .carrier_event(&tracking(&both, 1), "okra-back", "returned")
        .await;
    assert_eq!(returned.status, 200, "{:#}", returned.body);
    app.wait_for(&split.customer, &id, RECOVERY, |o| {
        o["shipments"][1]["refunded"]["amount"] == OKRA_PRICE
    })
    .await;
    app.carrier_delivers(&tracking(&both, 0)).await;
    let delivered = app
        .wait_for(&split.customer, &id, RECOVERY, |o| {
            o["status"] == "delivered"
        })
        .await;

    let ledger = app.ledger(&id).await;
    let count = |kind: LedgerKind| ledger.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count(LedgerKind::Capture), 1, "{ledger:?}");
    assert_eq!(count(LedgerKind::Refund), 1, "{ledger:?}");
    assert_eq!(
        delivered["payment"]["receipt"]["refunded"]["amount"],
        OKRA_PRICE
    );
    assert_eq!(app.stock_levels(MANGO).await, (3, 0));
    assert_eq!(app.stock_levels(OKRA).await, (5, 0), "the okra is back");
    app.assert_stock_ledger_adds_up(&split.admin, OKRA).await;
    stop_second_worker();
}
