//! Replicas: two API processes and two worker processes on one database and
//! one Temporal server, sharing rate limits through Redis. 200 orders are
//! placed over both APIs; halfway, one API and one worker are killed with
//! SIGKILL. A client whose request died with its API retries it on the
//! other with the same `Idempotency-Key`, as a load balancer would. Every
//! order still ends in a final status, with exactly one capture per paid
//! order, the stock conserved and no notification sent twice.
//!
//! The surviving API and worker are this test process's own (the
//! [`TestApp`]); the killed ones are children (see `children`).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::join_all;
use serde_json::{Value, json};
use tokio::sync::Notify;

use orderly_domain::{LedgerKind, NotificationKind};
use orderly_providers::sandbox_values::{CARD_APPROVED, CARD_DECLINED};
use orderly_store::LedgerStatus;
use orderly_tests::app::{ApiSpec, TestApp, TestOptions, spawn_app_with};
use orderly_tests::shopper::{Answer, card, delivery_order, pickup_order};

use orderly_tests::children::{spawn_api_process, spawn_worker_process};

const SKU: &str = "DAL-1KG";
const PRICE: i64 = 14_000;
const ON_HAND: i64 = 1_000;
const CUSTOMERS: usize = 20;
/// Placements in flight at once.
const PARALLEL: usize = 16;
/// The children are killed once this many orders are placed.
const KILL_AFTER: usize = 100;
/// Recovery waits out the dead worker's sticky queue and task timeouts.
const RECOVERY: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Plan {
    /// Declined card: payment failed, stock released.
    Declined,
    /// Paid, then cancelled by the customer: refunded, stock released.
    Cancelled,
    /// Paid, packed, collected at the store.
    Collected,
    /// Paid, shipped, delivered by the carrier.
    Delivered,
}

const PLANS: [(Plan, usize); 4] = [
    (Plan::Declined, 40),
    (Plan::Cancelled, 50),
    (Plan::Collected, 50),
    (Plan::Delivered, 60),
];

impl Plan {
    fn order(self) -> Value {
        let items = json!([{"sku": SKU, "quantity": 1}]);
        match self {
            Plan::Declined => delivery_order(items, card(CARD_DECLINED)),
            Plan::Collected => pickup_order(items, card(CARD_APPROVED)),
            Plan::Cancelled | Plan::Delivered => delivery_order(items, card(CARD_APPROVED)),
        }
    }

    fn end_status(self) -> &'static str {
        match self {
            Plan::Declined => "payment_failed",
            Plan::Cancelled => "cancelled",
            Plan::Collected => "picked_up",
            Plan::Delivered => "delivered",
        }
    }

    fn notifications(self) -> &'static [NotificationKind] {
        use NotificationKind::*;
        match self {
            Plan::Declined => &[OrderConfirmed, PaymentFailed],
            Plan::Cancelled => &[OrderConfirmed, PaymentReceipt, Cancelled],
            Plan::Collected => &[OrderConfirmed, PaymentReceipt, ReadyForPickup],
            Plan::Delivered => &[
                OrderConfirmed,
                PaymentReceipt,
                Shipped,
                OutForDelivery,
                Delivered,
            ],
        }
    }

    fn paid(self) -> bool {
        self != Plan::Declined
    }

    fn takes_stock(self) -> bool {
        matches!(self, Plan::Collected | Plan::Delivered)
    }
}

struct Order {
    plan: Plan,
    customer: String,
    id: String,
}

/// Places `body` with `key` on `api`; a request that dies with its API, or
/// is told to retry, goes to `fallback` with the same key. Returns the
/// answer and whether it came from the fallback.
async fn place_with_failover(
    app: &TestApp,
    api: SocketAddr,
    fallback: SocketAddr,
    token: &str,
    key: &str,
    body: &Value,
) -> (Answer, bool) {
    let deadline = Instant::now() + RECOVERY;
    let mut target = api;
    loop {
        let sent = app
            .http
            .post(format!("http://{target}/v1/orders"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        match sent {
            Ok(response) => {
                let answer = Answer::read(response).await;
                if matches!(answer.status, 201 | 200) {
                    return (answer, target != api);
                }
                assert!(
                    matches!(answer.status, 409 | 503),
                    "placing {key} on {target}: {} {:#}",
                    answer.status,
                    answer.body
                );
            }
            Err(error) => assert_ne!(
                target, fallback,
                "placing {key} on the surviving API: {error}"
            ),
        }
        assert!(Instant::now() < deadline, "placing {key} never succeeded");
        target = fallback;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Posts an order action until it is accepted. A 503 means the workflow's
/// worker was killed mid-task and another has not taken it over yet: the
/// warehouse (or the customer) tries again. A 409 on a retry means the
/// first try went through though its answer was lost; the caller then
/// checks where the order got to.
async fn act(app: &TestApp, token: &str, order_id: &str, action: &str) {
    let deadline = Instant::now() + RECOVERY;
    let mut retried = false;
    loop {
        let answer = app
            .post(
                &format!("/v1/orders/{order_id}/{action}"),
                Some(token),
                &json!({}),
            )
            .await;
        if answer.status == 200 || (retried && answer.status == 409) {
            return;
        }
        assert_eq!(answer.status, 503, "{action} {order_id}: {:#}", answer.body);
        assert!(
            Instant::now() < deadline,
            "{action} {order_id} never went through"
        );
        retried = true;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn finish(app: &TestApp, admin: &str, order: &Order) {
    let until = |status: &'static str| {
        app.wait_for(&order.customer, &order.id, RECOVERY, move |o| {
            o["status"] == status
        })
    };
    match order.plan {
        Plan::Declined => {}
        Plan::Cancelled => {
            until("paid").await;
            act(app, &order.customer, &order.id, "cancel").await;
        }
        Plan::Collected => {
            until("paid").await;
            act(app, admin, &order.id, "pack").await;
            until("packed").await;
            act(app, admin, &order.id, "ready-for-pickup").await;
            until("ready_for_pickup").await;
            act(app, admin, &order.id, "picked-up").await;
        }
        Plan::Delivered => {
            until("paid").await;
            act(app, admin, &order.id, "pack").await;
            let shipped = until("shipped").await;
            app.wait_for_shipment_workflow(&order.id, RECOVERY).await;
            let tracking = shipped["shipment"]["tracking_id"]
                .as_str()
                .expect("a tracking id");
            app.carrier_delivers(tracking).await;
        }
    }
    until(order.plan.end_status()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_apis_and_two_workers_lose_nothing_when_one_of_each_is_killed() {
    let prefix = format!("orderly-test-{}", uuid::Uuid::now_v7().simple());
    let app = spawn_app_with(TestOptions {
        smtp: true,
        redis_prefix: Some(prefix.clone()),
        ..TestOptions::default()
    })
    .await;
    let (mut doomed_api, doomed_address) = spawn_api_process(&ApiSpec {
        database_url: app.database_url.clone(),
        temporal_address: orderly_tests::temporal::address().to_owned(),
        task_queue: app.task_queue.clone(),
        timings: orderly_tests::app::fast_timings(),
        temporal_timeout: Duration::from_secs(10),
        redis_prefix: Some(prefix),
    })
    .await;
    let mut doomed_worker = spawn_worker_process(&app.worker_spec()).await;

    app.stock_product(SKU, PRICE, ON_HAND).await;
    let admin = app.admin().await;
    let names: Vec<String> = (0..CUSTOMERS).map(|n| format!("Shopper{n}")).collect();
    let customers = join_all(names.iter().map(|name| app.customer(name))).await;
    let plans: Vec<Plan> = PLANS
        .iter()
        .flat_map(|&(plan, n)| std::iter::repeat_n(plan, n))
        .collect();

    let placed = Arc::new(AtomicUsize::new(0));
    let failed_over = Arc::new(AtomicUsize::new(0));
    let halfway = Arc::new(Notify::new());
    let app = &app;
    let placing = futures::stream::iter(plans.iter().enumerate().map(|(n, &plan)| {
        let customer = customers[n % CUSTOMERS].clone();
        let (api, fallback) = if n % 2 == 0 {
            (doomed_address, app.address)
        } else {
            (app.address, app.address)
        };
        let placed = Arc::clone(&placed);
        let failed_over = Arc::clone(&failed_over);
        let halfway = Arc::clone(&halfway);
        async move {
            let key = format!("replicas-{n}");
            let (answer, by_fallback) =
                place_with_failover(app, api, fallback, &customer, &key, &plan.order()).await;
            if by_fallback {
                failed_over.fetch_add(1, Ordering::SeqCst);
            }
            if placed.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                halfway.notify_one();
            }
            Order {
                plan,
                customer,
                id: answer.body["id"].as_str().expect("an order id").to_owned(),
            }
        }
    }))
    .buffer_unordered(PARALLEL)
    .collect::<Vec<Order>>();
    let kill = async {
        halfway.notified().await;
        doomed_api.start_kill().expect("killing the API");
        doomed_worker.start_kill().expect("killing the worker");
        for child in [&mut doomed_api, &mut doomed_worker] {
            let exit = child.wait().await.expect("reaping a child");
            assert_eq!(exit.signal(), Some(9), "died of SIGKILL");
        }
    };
    let (orders, ()) = tokio::join!(placing, kill);

    // One order per request, whichever API answered it.
    let ids: BTreeSet<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        plans.len(),
        "a retried placement made a second order"
    );
    eprintln!(
        "{} placements meant for the killed API were answered by the other",
        failed_over.load(Ordering::SeqCst)
    );

    join_all(orders.iter().map(|order| finish(app, &admin, order))).await;

    // Money: one capture per paid order, a refund for each cancelled one,
    // nothing left pending, nothing moved for a declined card.
    for order in &orders {
        let settled = app.ledger(&order.id).await;
        let of = |kind: LedgerKind| settled.iter().filter(|e| e.kind == kind).count();
        assert_eq!(
            of(LedgerKind::Capture),
            usize::from(order.plan.paid()),
            "{}",
            order.id
        );
        assert_eq!(
            of(LedgerKind::Refund),
            usize::from(order.plan == Plan::Cancelled),
            "{}: {settled:?}",
            order.id
        );
        let entries = app.ledger_entries(&order.id).await;
        assert!(
            entries.iter().all(|e| e.status != LedgerStatus::Pending),
            "an intent of {} was never resolved: {entries:?}",
            order.id
        );
    }
    let paid = i64::try_from(orders.iter().filter(|o| o.plan.paid()).count()).unwrap();
    assert_eq!(
        app.store
            .ledger()
            .count_ledger_entries(LedgerKind::Capture)
            .await
            .unwrap(),
        paid
    );

    // Stock: what left the shelf is exactly what was collected or delivered.
    let taken = i64::try_from(orders.iter().filter(|o| o.plan.takes_stock()).count()).unwrap();
    assert_eq!(app.stock_levels(SKU).await, (ON_HAND - taken, 0));

    // Notifications: each exactly once per channel, none that does not belong.
    let mut expected_message_ids = BTreeSet::new();
    for order in &orders {
        expected_message_ids.extend(
            app.assert_notified_exactly(&order.id, order.plan.notifications())
                .await,
        );
    }
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    let deadline = Instant::now() + RECOVERY;
    let received = loop {
        let received = sink.message_id_counts();
        if received.len() >= expected_message_ids.len() || Instant::now() > deadline {
            break received;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let ids: BTreeSet<String> = received.keys().cloned().collect();
    assert_eq!(ids, expected_message_ids);
    // Email is at-least-once: the killed worker may have handed one message
    // to the server and died before recording it; its resend carries the
    // same Message-ID. More than that would be a real duplicate.
    let resent = received.values().filter(|n| **n > 1).count();
    assert!(resent <= 1, "{resent} emails were sent more than once");
}
