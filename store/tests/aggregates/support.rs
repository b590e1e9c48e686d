//! Throwaway databases on both backends, and the values scenarios share.

pub use std::future::Future;
pub use std::panic::AssertUnwindSafe;
pub use std::path::PathBuf;

pub use chrono::{Duration, TimeZone, Utc};
pub use futures::FutureExt;
pub use orderly_domain::{
    Currency, Fulfillment, LedgerKind, Money, NotificationKind, OrderId, OrderStatus, OrderView,
    PaymentMethod, PaymentStatus, PaymentView, Quantity, Receipt, Role, ShipmentStatus, Sku,
    TrackingId, UserId,
};
pub use orderly_domain::{ReserveOutcome, Shortage};
pub use orderly_store::{
    IdempotencyClaim, LedgerEntry, LedgerStatus, NewNotification, NewUser, OrderFilter,
    ParcelBooking, Product, RefreshedSession, ResetCode, ShipmentRecord, Sourcing, Store,
    StoreError,
};
pub use sqlx::{AnyConnection, Connection};
pub use uuid::Uuid;

pub const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A throwaway database, removed after its scenario.
pub enum Scratch {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Scratch {
    pub async fn create(backend: Backend) -> (Store, Scratch) {
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

    pub async fn remove(self) {
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

pub async fn admin(admin_url: &str, statement: &str) {
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
pub async fn on_both<F, Fut>(scenario: F)
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

pub fn sku(raw: &str) -> Sku {
    Sku::parse(raw).expect("test sku")
}

pub fn qty(n: i64) -> Quantity {
    Quantity::parse(n).expect("test quantity")
}

pub fn inr(amount: i64) -> Money {
    Money::new(amount, Currency::INR)
}

pub fn order_view(id: OrderId, customer: UserId, status: OrderStatus, version: u64) -> OrderView {
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
        fulfillment: Fulfillment::Pickup { warehouse_id: None },
        shipment: None,
        shipments: Vec::new(),
        timeline: Vec::new(),
        discounts: Vec::new(),
        refunds: Vec::new(),
        returns: Vec::new(),
        versions: Vec::new(),
        created_at: at,
        updated_at: at,
        version,
    }
}

pub async fn new_user(store: &Store, email: &str) -> UserId {
    store
        .accounts()
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

pub async fn stock_of(store: &Store, raw: &str) -> (i64, i64) {
    let level = store
        .inventory()
        .stock(&sku(raw))
        .await
        .expect("stock")
        .expect("stock row");
    (level.on_hand, level.reserved)
}
