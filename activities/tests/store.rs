//! The store's behaviour, checked on both backends it promises to support.
//!
//! Every scenario runs once on a fresh SQLite file and once on a fresh
//! PostgreSQL database (admin URL from `ORDERLY_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), because the store's
//! guarantees (no overselling, idempotent writes) rest on locking behaviour
//! that differs between the two.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use futures::FutureExt;
use orderly_activities::store::{
    IdempotencyClaim, LedgerEntry, NewNotification, NewUser, OrderFilter, Product, ReserveOutcome,
    ShipmentRecord, Store, StoreError,
};
use orderly_domain::{
    Currency, Fulfillment, LedgerKind, Money, NotificationKind, OrderId, OrderStatus, OrderView,
    PaymentMethod, PaymentStatus, PaymentView, Quantity, Receipt, Role, ShipmentStatus, Sku,
    TrackingId, UserId,
};
use sqlx::{AnyConnection, Connection};
use uuid::Uuid;

const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A throwaway database, removed after its scenario.
enum Scratch {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Scratch {
    async fn create(backend: Backend) -> (Store, Scratch) {
        let (url, scratch) = match backend {
            Backend::Sqlite => {
                let path =
                    std::env::temp_dir().join(format!("orderly-store-{}.db", Uuid::new_v4()));
                (
                    format!("sqlite://{}", path.display()),
                    Scratch::Sqlite(path),
                )
            }
            Backend::Postgres => {
                let admin_url = std::env::var("ORDERLY_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
                let name = format!("orderly_test_{}", Uuid::new_v4().simple());
                admin(&admin_url, &format!("CREATE DATABASE {name}")).await;
                let mut url = url::Url::parse(&admin_url).expect("admin URL parses");
                url.set_path(&format!("/{name}"));
                (url.to_string(), Scratch::Postgres { admin_url, name })
            }
        };
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        (store, scratch)
    }

    async fn remove(self) {
        match self {
            Scratch::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Scratch::Postgres { admin_url, name } => {
                admin(
                    &admin_url,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await;
            }
        }
    }
}

async fn admin(admin_url: &str, statement: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(admin_url)
        .await
        .expect("PostgreSQL admin connection (set ORDERLY_TEST_POSTGRES_URL)");
    sqlx::query(statement)
        .execute(&mut conn)
        .await
        .expect(statement);
    conn.close().await.expect("closing admin connection");
}

/// Runs `scenario` on SQLite, then on PostgreSQL, each on a new database
/// that is removed afterwards even when the scenario fails.
async fn on_both<F, Fut>(scenario: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (store, scratch) = Scratch::create(backend).await;
        let outcome = AssertUnwindSafe(scenario(store.clone()))
            .catch_unwind()
            .await;
        store.close().await;
        scratch.remove().await;
        if let Err(panic) = outcome {
            eprintln!("scenario failed on {backend:?}");
            std::panic::resume_unwind(panic);
        }
    }
}

fn sku(raw: &str) -> Sku {
    Sku::parse(raw).expect("test sku")
}

fn qty(n: i64) -> Quantity {
    Quantity::parse(n).expect("test quantity")
}

fn inr(amount: i64) -> Money {
    Money::new(amount, Currency::INR)
}

fn order_view(id: OrderId, customer: UserId, status: OrderStatus, version: u64) -> OrderView {
    let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    OrderView {
        id,
        customer_id: customer,
        status,
        items: Vec::new(),
        total: inr(0),
        payment: PaymentView {
            method: PaymentMethod::Card,
            status: PaymentStatus::Pending,
            instrument: None,
            receipt: Receipt {
                authorized: inr(0),
                captured: inr(0),
                refunded: inr(0),
                entries: Vec::new(),
            },
        },
        fulfillment: Fulfillment::Pickup,
        shipment: None,
        timeline: Vec::new(),
        created_at: at,
        updated_at: at,
        version,
    }
}

async fn new_user(store: &Store, email: &str) -> UserId {
    store
        .insert_user(&NewUser {
            email: email.to_owned(),
            name: "Asha".into(),
            password_hash: "argon2-hash".into(),
            role: Role::Customer,
        })
        .await
        .expect("insert user")
        .id
}

async fn stock_of(store: &Store, raw: &str) -> (i64, i64) {
    let level = store
        .stock(&sku(raw))
        .await
        .expect("stock")
        .expect("stock row");
    (level.on_hand, level.reserved)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_can_run_again_without_error() {
    on_both(|store| async move {
        store.migrate().await.expect("second migration run");
        store.ping().await.expect("ping");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_backend_is_reported() {
    let (sqlite, scratch) = Scratch::create(Backend::Sqlite).await;
    assert!(!sqlite.is_postgres());
    sqlite.close().await;
    scratch.remove().await;
    let (postgres, scratch) = Scratch::create(Backend::Postgres).await;
    assert!(postgres.is_postgres());
    postgres.close().await;
    scratch.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reservation_holds_every_line_or_none() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 5).await.unwrap();
        store.set_on_hand(&sku("BANANA"), 1).await.unwrap();
        let order = OrderId::new();

        let outcome = store
            .reserve(order, &[(sku("APPLE"), qty(2)), (sku("BANANA"), qty(3))])
            .await
            .unwrap();

        assert_eq!(
            outcome,
            ReserveOutcome::OutOfStock {
                sku: sku("BANANA"),
                requested: 3,
                available: 1
            }
        );
        assert_eq!(stock_of(&store, "APPLE").await, (5, 0));
        assert_eq!(stock_of(&store, "BANANA").await, (1, 0));
        assert_eq!(store.release_reservation(order).await.unwrap(), 0);

        let fits = store
            .reserve(order, &[(sku("APPLE"), qty(2)), (sku("BANANA"), qty(1))])
            .await
            .unwrap();
        assert_eq!(fits, ReserveOutcome::Reserved);
        assert_eq!(stock_of(&store, "APPLE").await, (5, 2));
        assert_eq!(stock_of(&store, "BANANA").await, (1, 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reserving_a_sku_without_stock_reports_nothing_available() {
    on_both(|store| async move {
        let outcome = store
            .reserve(OrderId::new(), &[(sku("GHOST"), qty(1))])
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReserveOutcome::OutOfStock {
                sku: sku("GHOST"),
                requested: 1,
                available: 0
            }
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reserving_again_for_the_same_order_holds_stock_once() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 3).await.unwrap();
        let order = OrderId::new();
        let lines = [(sku("APPLE"), qty(1)), (sku("APPLE"), qty(1))];

        assert_eq!(
            store.reserve(order, &lines).await.unwrap(),
            ReserveOutcome::Reserved
        );
        assert_eq!(
            stock_of(&store, "APPLE").await,
            (3, 2),
            "lines of one sku add up"
        );
        // Someone else takes the rest; a retry of the first order must
        // still succeed without taking more.
        store
            .reserve(OrderId::new(), &[(sku("APPLE"), qty(1))])
            .await
            .unwrap();
        assert_eq!(
            store.reserve(order, &lines).await.unwrap(),
            ReserveOutcome::Reserved
        );
        assert_eq!(stock_of(&store, "APPLE").await, (3, 3));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_orders_never_oversell() {
    on_both(|store| async move {
        store.set_on_hand(&sku("HOT-ITEM"), 30).await.unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .reserve(OrderId::new(), &[(sku("HOT-ITEM"), qty(1))])
                        .await
                })
            })
            .collect();
        let mut reserved = 0;
        let mut refused = 0;
        for task in tasks {
            match task.await.expect("task").expect("reserve must not fail") {
                ReserveOutcome::Reserved => reserved += 1,
                ReserveOutcome::OutOfStock { available, .. } => {
                    assert_eq!(available, 0);
                    refused += 1;
                }
            }
        }
        assert_eq!((reserved, refused), (30, 70));
        assert_eq!(stock_of(&store, "HOT-ITEM").await, (30, 30));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn releasing_twice_gives_stock_back_once() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 10).await.unwrap();
        store.set_on_hand(&sku("PEAR"), 10).await.unwrap();
        let order = OrderId::new();
        store
            .reserve(order, &[(sku("APPLE"), qty(4)), (sku("PEAR"), qty(2))])
            .await
            .unwrap();

        assert_eq!(store.release_reservation(order).await.unwrap(), 2);
        assert_eq!(store.release_reservation(order).await.unwrap(), 0);
        assert_eq!(stock_of(&store, "APPLE").await, (10, 0));
        assert_eq!(stock_of(&store, "PEAR").await, (10, 0));
        assert_eq!(
            store.commit_reservation(order).await.unwrap(),
            0,
            "released stock cannot be committed"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committing_and_restocking_twice_move_stock_once() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 10).await.unwrap();
        let order = OrderId::new();
        store
            .reserve(order, &[(sku("APPLE"), qty(4))])
            .await
            .unwrap();

        assert_eq!(store.commit_reservation(order).await.unwrap(), 1);
        assert_eq!(store.commit_reservation(order).await.unwrap(), 0);
        assert_eq!(stock_of(&store, "APPLE").await, (6, 0));
        assert_eq!(
            store.release_reservation(order).await.unwrap(),
            0,
            "committed stock cannot be released"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (6, 0));

        assert_eq!(store.restock_reservation(order).await.unwrap(), 1);
        assert_eq!(store.restock_reservation(order).await.unwrap(), 0);
        assert_eq!(stock_of(&store, "APPLE").await, (10, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restocking_an_uncommitted_order_changes_nothing() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 10).await.unwrap();
        let order = OrderId::new();
        store
            .reserve(order, &[(sku("APPLE"), qty(4))])
            .await
            .unwrap();
        assert_eq!(store.restock_reservation(order).await.unwrap(), 0);
        assert_eq!(stock_of(&store, "APPLE").await, (10, 4));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setting_on_hand_below_reserved_is_a_conflict() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 10).await.unwrap();
        store
            .reserve(OrderId::new(), &[(sku("APPLE"), qty(6))])
            .await
            .unwrap();

        let below = store.set_on_hand(&sku("APPLE"), 5).await;
        assert!(matches!(below, Err(StoreError::Conflict(_))), "{below:?}");
        let negative = store.set_on_hand(&sku("PEAR"), -1).await;
        assert!(
            matches!(negative, Err(StoreError::Conflict(_))),
            "{negative:?}"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 6));
        assert!(store.stock(&sku("PEAR")).await.unwrap().is_none());

        let level = store.set_on_hand(&sku("APPLE"), 6).await.unwrap();
        assert_eq!(
            (level.on_hand, level.reserved, level.available()),
            (6, 6, 0)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_older_order_version_never_overwrites_a_newer_one() {
    on_both(|store| async move {
        let id = OrderId::new();
        let customer = UserId::new();
        store
            .upsert_order(&order_view(id, customer, OrderStatus::Paid, 3))
            .await
            .unwrap();
        store
            .upsert_order(&order_view(id, customer, OrderStatus::Placed, 1))
            .await
            .unwrap();
        store
            .upsert_order(&order_view(id, customer, OrderStatus::Cancelled, 3))
            .await
            .unwrap();
        let stored = store.order(id).await.unwrap().expect("stored order");
        assert_eq!((stored.status, stored.version), (OrderStatus::Paid, 3));

        store
            .upsert_order(&order_view(id, customer, OrderStatus::Packed, 4))
            .await
            .unwrap();
        let stored = store.order(id).await.unwrap().expect("stored order");
        assert_eq!(stored, order_view(id, customer, OrderStatus::Packed, 4));
        let by_status = store
            .list_orders(&OrderFilter {
                status: Some(OrderStatus::Packed),
                limit: 10,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_status.len(), 1, "the status column follows the body");
        assert!(store.order(OrderId::new()).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_are_listed_newest_first_page_by_page_and_filtered() {
    on_both(|store| async move {
        let alice = UserId::new();
        let bob = UserId::new();
        let mut alices = Vec::new();
        for i in 0..5 {
            let id = OrderId::new();
            let status = if i % 2 == 0 {
                OrderStatus::Paid
            } else {
                OrderStatus::Delivered
            };
            store
                .upsert_order(&order_view(id, alice, status, 1))
                .await
                .unwrap();
            alices.push(id);
            store
                .upsert_order(&order_view(OrderId::new(), bob, OrderStatus::Paid, 1))
                .await
                .unwrap();
        }
        let newest_first: Vec<OrderId> = alices.iter().rev().copied().collect();

        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = store
                .list_orders(&OrderFilter {
                    customer: Some(alice),
                    status: None,
                    before,
                    limit: 2,
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2);
            assert!(page.iter().all(|o| o.customer_id == alice));
            before = page.last().map(|o| o.id);
            seen.extend(page.iter().map(|o| o.id));
        }
        assert_eq!(seen, newest_first);

        let delivered = store
            .list_orders(&OrderFilter {
                customer: Some(alice),
                status: Some(OrderStatus::Delivered),
                before: None,
                limit: 10,
            })
            .await
            .unwrap();
        let delivered: Vec<OrderId> = delivered.iter().map(|o| o.id).collect();
        assert_eq!(delivered, vec![alices[3], alices[1]]);

        let everyone = store
            .list_orders(&OrderFilter {
                limit: 100,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(everyone.len(), 10);
        let paid = store
            .list_orders(&OrderFilter {
                status: Some(OrderStatus::Paid),
                limit: 100,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(paid.len(), 8);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_is_claimed_once_and_then_names_the_first_order() {
    on_both(|store| async move {
        let user = UserId::new();
        let first = OrderId::new();
        assert_eq!(
            store
                .claim_idempotency_key(user, "key-1", "hash-a", first)
                .await
                .unwrap(),
            IdempotencyClaim::Claimed
        );
        assert_eq!(
            store
                .claim_idempotency_key(user, "key-1", "hash-b", OrderId::new())
                .await
                .unwrap(),
            IdempotencyClaim::Existing {
                request_hash: "hash-a".into(),
                order_id: first
            }
        );
        assert_eq!(
            store
                .claim_idempotency_key(UserId::new(), "key-1", "hash-c", OrderId::new())
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "keys are per user"
        );

        store.forget_idempotency_key(user, "key-1").await.unwrap();
        assert_eq!(
            store
                .claim_idempotency_key(user, "key-1", "hash-d", OrderId::new())
                .await
                .unwrap(),
            IdempotencyClaim::Claimed
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ledger_entry_recorded_twice_returns_the_first() {
    on_both(|store| async move {
        let order = OrderId::new();
        let at = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        let authorize = LedgerEntry {
            order_id: order,
            kind: LedgerKind::Authorize,
            amount: inr(50_000),
            provider: "sandbox-card".into(),
            reference: "ref-1".into(),
            idempotency_key: "order:x:authorize".into(),
            at,
        };
        assert_eq!(
            store.record_ledger_entry(&authorize).await.unwrap(),
            authorize
        );
        let retry = LedgerEntry {
            reference: "ref-2".into(),
            amount: inr(1),
            at: at + Duration::seconds(5),
            ..authorize.clone()
        };
        assert_eq!(store.record_ledger_entry(&retry).await.unwrap(), authorize);

        let capture = LedgerEntry {
            kind: LedgerKind::Capture,
            idempotency_key: "order:x:capture".into(),
            at: at + Duration::seconds(1),
            ..authorize.clone()
        };
        store.record_ledger_entry(&capture).await.unwrap();

        assert_eq!(
            store.ledger_for_order(order).await.unwrap(),
            vec![authorize, capture]
        );
        assert_eq!(
            store
                .count_ledger_entries(LedgerKind::Authorize)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .count_ledger_entries(LedgerKind::Refund)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sandbox_key_counts_attempts_and_keeps_its_first_outcome() {
    on_both(|store| async move {
        let first = store.sandbox_attempt("k").await.unwrap();
        assert_eq!((first.attempts, first.outcome), (1, None));
        assert_eq!(store.sandbox_attempt("k").await.unwrap().attempts, 2);

        assert_eq!(
            store.sandbox_settle("k", r#"{"ok":1}"#).await.unwrap(),
            r#"{"ok":1}"#
        );
        assert_eq!(
            store.sandbox_settle("k", r#"{"ok":2}"#).await.unwrap(),
            r#"{"ok":1}"#
        );
        let third = store.sandbox_attempt("k").await.unwrap();
        assert_eq!(
            (third.attempts, third.outcome.as_deref()),
            (3, Some(r#"{"ok":1}"#))
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_token_rotates_into_the_next_one_of_its_family() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        store
            .insert_refresh_token("t1", user, Uuid::now_v7(), later)
            .await
            .unwrap();

        assert_eq!(
            store
                .rotate_refresh_token("t1", "t2", later, now)
                .await
                .unwrap(),
            Some(user)
        );
        assert_eq!(
            store
                .rotate_refresh_token("t2", "t3", later, now)
                .await
                .unwrap(),
            Some(user)
        );
        assert_eq!(
            store
                .rotate_refresh_token("unknown", "t9", later, now)
                .await
                .unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replaying_a_rotated_refresh_token_revokes_its_family() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        store
            .insert_refresh_token("t1", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .insert_refresh_token("other-device", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .rotate_refresh_token("t1", "t2", later, now)
            .await
            .unwrap();

        assert_eq!(
            store
                .rotate_refresh_token("t1", "stolen", later, now)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .rotate_refresh_token("t2", "t3", later, now)
                .await
                .unwrap(),
            None,
            "the live token of the family is revoked too"
        );
        assert_eq!(
            store
                .rotate_refresh_token("other-device", "od2", later, now)
                .await
                .unwrap(),
            Some(user),
            "other families are untouched"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_and_revoked_refresh_tokens_do_not_rotate() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        store
            .insert_refresh_token("old", user, Uuid::now_v7(), now - Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(
            store
                .rotate_refresh_token("old", "new", later, now)
                .await
                .unwrap(),
            None
        );

        store
            .insert_refresh_token("a1", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .rotate_refresh_token("a1", "a2", later, now)
            .await
            .unwrap();
        store.revoke_refresh_token("a1").await.unwrap();
        store.revoke_refresh_token("a1").await.unwrap();
        assert_eq!(
            store
                .rotate_refresh_token("a2", "a3", later, now)
                .await
                .unwrap(),
            None,
            "logging out with any token of a family ends the family"
        );

        store
            .insert_refresh_token("b1", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store.revoke_all_refresh_tokens(user).await.unwrap();
        assert_eq!(
            store
                .rotate_refresh_token("b1", "b2", later, now)
                .await
                .unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registered_email_is_unique_in_any_case() {
    on_both(|store| async move {
        let created = store
            .insert_user(&NewUser {
                email: "Asha@Example.com".into(),
                name: "Asha".into(),
                password_hash: "h1".into(),
                role: Role::Seller,
            })
            .await
            .unwrap();
        assert_eq!(created.email, "asha@example.com");

        let again = store
            .insert_user(&NewUser {
                email: "ASHA@example.COM".into(),
                name: "Impostor".into(),
                password_hash: "h2".into(),
                role: Role::Admin,
            })
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        let found = store
            .user_by_email("asha@EXAMPLE.com")
            .await
            .unwrap()
            .expect("found by email");
        assert_eq!(found.user, created);
        assert_eq!(found.password_hash, "h1");
        assert_eq!(
            store.user_by_id(created.id).await.unwrap(),
            Some(created.clone())
        );
        assert!(store.user_by_id(UserId::new()).await.unwrap().is_none());
        assert!(
            store
                .user_by_email("nobody@example.com")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn products_are_upserted_and_listed_in_sku_order() {
    on_both(|store| async move {
        let product = |raw: &str, price: i64| Product {
            sku: sku(raw),
            name: format!("{raw} name"),
            description: "fresh".into(),
            unit: "kg".into(),
            price: inr(price),
            category: "fruit".into(),
            active: true,
            ..Default::default()
        };
        for raw in ["C-1", "A-1", "B-1", "D-1"] {
            store.upsert_product(&product(raw, 100)).await.unwrap();
        }
        let repriced = Product {
            active: false,
            ..product("B-1", 250)
        };
        store.upsert_product(&repriced).await.unwrap();
        assert_eq!(
            store.product(&sku("B-1")).await.unwrap(),
            Some(repriced.clone())
        );
        assert!(store.product(&sku("Z-9")).await.unwrap().is_none());

        let first: Vec<Sku> = store
            .list_products(None, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert_eq!(first, vec![sku("A-1"), sku("B-1")]);
        let second: Vec<Sku> = store
            .list_products(Some(&sku("B-1")), 2)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert_eq!(second, vec![sku("C-1"), sku("D-1")]);

        let some = store
            .products_by_skus(&[sku("D-1"), sku("B-1"), sku("Z-9")])
            .await
            .unwrap();
        assert_eq!(some, vec![repriced, product("D-1", 100)]);
        assert!(store.products_by_skus(&[]).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_is_booked_onto_one_shipment_only() {
    on_both(|store| async move {
        let order = OrderId::new();
        let first_tracking = TrackingId::new();
        let booked = store
            .book_shipment(order, "sandbox", first_tracking)
            .await
            .unwrap();
        let expected = ShipmentRecord {
            tracking_id: first_tracking,
            order_id: order,
            carrier: "sandbox".into(),
            status: ShipmentStatus::Booked,
        };
        assert_eq!(booked, expected);
        assert_eq!(
            store
                .book_shipment(order, "sandbox", TrackingId::new())
                .await
                .unwrap(),
            expected
        );
        assert_eq!(
            store.shipment_by_tracking(first_tracking).await.unwrap(),
            Some(expected.clone())
        );
        assert_eq!(
            store.shipment_for_order(order).await.unwrap(),
            Some(expected)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn open_shipments_leave_out_delivered_and_returned_ones() {
    on_both(|store| async move {
        let mut tracking = Vec::new();
        for _ in 0..3 {
            let booked = store
                .book_shipment(OrderId::new(), "sandbox", TrackingId::new())
                .await
                .unwrap();
            tracking.push(booked.tracking_id);
        }
        store
            .book_shipment(OrderId::new(), "other-carrier", TrackingId::new())
            .await
            .unwrap();
        store
            .set_shipment_status(tracking[0], ShipmentStatus::Delivered)
            .await
            .unwrap();
        store
            .set_shipment_status(tracking[1], ShipmentStatus::InTransit)
            .await
            .unwrap();
        store
            .set_shipment_status(tracking[2], ShipmentStatus::Returned)
            .await
            .unwrap();

        let open = store.open_shipments("sandbox").await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].tracking_id, open[0].status),
            (tracking[1], ShipmentStatus::InTransit)
        );
        let unknown = store
            .set_shipment_status(TrackingId::new(), ShipmentStatus::Delivered)
            .await;
        assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_notification_exists_once_per_dedupe_key() {
    on_both(|store| async move {
        let user = UserId::new();
        let order = OrderId::new();
        let note = |channel: &str, key: &str| NewNotification {
            user_id: user,
            order_id: Some(order),
            kind: NotificationKind::Shipped,
            channel: channel.into(),
            subject: "Your order has shipped".into(),
            body: "It is on its way.".into(),
            dedupe_key: key.into(),
        };
        assert!(
            store
                .insert_notification(&note("in_app", "k1"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .insert_notification(&note("in_app", "k1"))
                .await
                .unwrap()
        );
        assert!(
            store
                .insert_notification(&note("email", "k2"))
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .count_notifications(order, NotificationKind::Shipped, "in_app")
                .await
                .unwrap(),
            1
        );

        assert!(!store.notification_delivered("k1").await.unwrap());
        store.mark_notification_delivered("k1").await.unwrap();
        assert!(store.notification_delivered("k1").await.unwrap());
        assert!(!store.notification_delivered("missing").await.unwrap());

        let inbox = store
            .notifications_for_user(user, "in_app", None, 10)
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].kind, NotificationKind::Shipped);
        assert_eq!(inbox[0].order_id, Some(order));
        assert!(inbox[0].delivered_at.is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_inbox_is_paged_newest_first() {
    on_both(|store| async move {
        let user = UserId::new();
        for i in 0..5 {
            store
                .insert_notification(&NewNotification {
                    user_id: user,
                    order_id: None,
                    kind: NotificationKind::OrderConfirmed,
                    channel: "in_app".into(),
                    subject: format!("note {i}"),
                    body: String::new(),
                    dedupe_key: format!("inbox-{i}"),
                })
                .await
                .unwrap();
        }
        let first = store
            .notifications_for_user(user, "in_app", None, 3)
            .await
            .unwrap();
        let second = store
            .notifications_for_user(user, "in_app", first.last().map(|n| n.id), 3)
            .await
            .unwrap();
        let subjects: Vec<String> = first
            .iter()
            .chain(&second)
            .map(|n| n.subject.clone())
            .collect();
        assert_eq!(subjects, ["note 4", "note 3", "note 2", "note 1", "note 0"]);
        assert!(
            store
                .notifications_for_user(user, "email", None, 3)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ops_alert_is_raised_once_per_dedupe_key() {
    on_both(|store| async move {
        let order = OrderId::new();
        assert!(
            store
                .insert_ops_alert(order, "refund_failed", "gateway down", "a1")
                .await
                .unwrap()
        );
        assert!(
            !store
                .insert_ops_alert(order, "refund_failed", "gateway still down", "a1")
                .await
                .unwrap()
        );
        let alerts = store.ops_alerts_for_order(order).await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (alerts[0].kind.as_str(), alerts[0].detail.as_str()),
            ("refund_failed", "gateway down")
        );
    })
    .await;
}

/// Writers of every kind at once: on SQLite they share one write lock, and
/// none may fail with SQLITE_BUSY; on both, counters must not lose updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed_and_lose_nothing() {
    on_both(|store| async move {
        store.set_on_hand(&sku("APPLE"), 1000).await.unwrap();
        let order = OrderId::new();
        let customer = UserId::new();
        let tasks: Vec<_> = (1..=100u64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.sandbox_attempt("shared").await?;
                    store
                        .upsert_order(&order_view(order, customer, OrderStatus::Paid, i))
                        .await?;
                    let own = OrderId::new();
                    store.reserve(own, &[(sku("APPLE"), qty(2))]).await?;
                    store.commit_reservation(own).await?;
                    store
                        .record_ledger_entry(&LedgerEntry {
                            order_id: own,
                            kind: LedgerKind::Capture,
                            amount: inr(100),
                            provider: "sandbox-card".into(),
                            reference: format!("ref-{i}"),
                            idempotency_key: format!("capture-{i}"),
                            at: Utc::now(),
                        })
                        .await?;
                    store
                        .insert_notification(&NewNotification {
                            user_id: customer,
                            order_id: Some(own),
                            kind: NotificationKind::PaymentReceipt,
                            channel: "in_app".into(),
                            subject: String::new(),
                            body: String::new(),
                            dedupe_key: format!("receipt-{i}"),
                        })
                        .await?;
                    Ok::<(), StoreError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("concurrent write");
        }
        assert_eq!(store.sandbox_attempt("shared").await.unwrap().attempts, 101);
        assert_eq!(store.order(order).await.unwrap().unwrap().version, 100);
        assert_eq!(stock_of(&store, "APPLE").await, (800, 0));
        assert_eq!(
            store
                .count_ledger_entries(LedgerKind::Capture)
                .await
                .unwrap(),
            100
        );
        assert_eq!(
            store
                .notifications_for_user(customer, "in_app", None, 1000)
                .await
                .unwrap()
                .len(),
            100
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_in_memory_sqlite_store_keeps_its_data_across_calls() {
    let store = Store::connect("sqlite::memory:").await.expect("connect");
    store.migrate().await.expect("migrate");
    store.set_on_hand(&sku("APPLE"), 3).await.unwrap();
    let order = OrderId::new();
    store
        .reserve(order, &[(sku("APPLE"), qty(2))])
        .await
        .unwrap();
    assert_eq!(stock_of(&store, "APPLE").await, (3, 2));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_review_writes_keep_one_review_per_author_and_exact_rating_totals() {
    use orderly_activities::store::{ReviewDraft, ReviewOrder};
    use orderly_domain::Rating;
    on_both(|store| async move {
        let product = sku("MANGO-1KG");
        let mut authors = Vec::new();
        for n in 0..8 {
            authors.push(new_user(&store, &format!("reviewer{n}@example.test")).await);
        }
        // Every author writes three times at once: one create, two edits,
        // racing each other and the other authors.
        let writes = authors.iter().flat_map(|author| {
            let store = store.clone();
            let product = product.clone();
            (1..=3).map(move |stars| {
                let store = store.clone();
                let draft = ReviewDraft {
                    sku: product.clone(),
                    author_id: *author,
                    rating: Rating::parse(stars).expect("a rating"),
                    title: None,
                    text: None,
                };
                async move { store.upsert_review(&draft).await.expect("a review write") }
            })
        });
        futures::future::join_all(writes).await;

        let reviews = store
            .reviews_for_product(&product, ReviewOrder::Newest { before: None }, 100)
            .await
            .unwrap();
        assert_eq!(reviews.len(), authors.len(), "one review per author");
        let stored_sum: i64 = reviews.iter().map(|r| i64::from(r.rating.get())).sum();
        let ratings = store
            .product_ratings(std::slice::from_ref(&product))
            .await
            .unwrap();
        assert_eq!(ratings.len(), 1);
        let (_, average, count) = &ratings[0];
        assert_eq!(*count, authors.len() as i64);
        assert_eq!(*average, stored_sum as f64 / authors.len() as f64);
    })
    .await;
}
