//! The only place in orderly that speaks SQL.
//!
//! One [`Store`] over an sqlx `AnyPool` serves SQLite (development, tests, a
//! single node) and PostgreSQL (production) with the same statements, so the
//! API and the activities never care which one is behind it. Every write is
//! idempotent or guarded by a unique key, because Temporal retries
//! activities and clients retry requests.
//!
//! The SQL is split by aggregate: each is a small type of its own over the
//! shared pool ([`Accounts`], [`Catalog`], [`Inventory`], [`Orders`],
//! [`Ledger`], [`Carts`], [`Reviews`], [`Notifications`], [`OpsAlerts`],
//! [`IdempotencyKeys`], and the sandbox providers' own records in
//! [`Sandbox`]), reached through the accessor of the same name on `Store`.
//! The migrations under `migrations/` are in the common subset of SQLite
//! and PostgreSQL, so both run the same schema.

mod accounts;
mod carts;
mod catalog;
mod columns;
mod coupons;
mod database;
mod error;
mod idempotency;
mod inventory;
mod ledger;
mod loyalty;
mod notifications;
mod ops_alerts;
mod orders;
mod price_rules;
mod reviews;
mod sandbox;
mod schema;
mod suppliers;
mod warehouses;

pub use accounts::{
    Accounts, AddressCreation, MAX_ADDRESSES, NewAddress, NewUser, Profile, ProfileChanges,
    RefreshedSession, ResetCode, SavedAddress, StaffChange, StaffMember, User, UserWithHash,
};
pub use carts::{
    Cart, CartAdd, CartChange, CartItem, CartRequestKey, Carts, CheckoutClaim, CheckoutClaimOutcome,
};
pub use catalog::{
    Catalog, Category, CreationKey, NewCategory, Product, ProductAttributes, ProductChanges,
    ProductCreation,
};
pub use coupons::{CouponRecord, Coupons, Redemption};
pub use error::StoreError;
pub use idempotency::{IdempotencyClaim, IdempotencyKeys};
pub use inventory::{
    Batch, BatchKey, GoodsReceipt, HoldKey, HoldMove, Holder, Inventory, LedgerTotals,
    LowStockAlert, ReturnedLine, Sourcing, SpoilingBatch, StaleHold, StockLevel, StockMovement,
    WriteOff,
};
pub use ledger::{Ledger, LedgerEntry, LedgerStatus};
pub use loyalty::{Loyalty, PointsEntry, PointsKind};
pub use notifications::{
    MAX_PUSH_DEVICES, NewNotification, Notification, Notifications, PushDevice,
    PushDeviceRegistration,
};
pub use ops_alerts::{OpsAlert, OpsAlerts};
pub use orders::{
    CoPurchase, OrderFilter, Orders, ParcelBooking, PickupBooking, ReturnPickupRecord,
    ShipmentRecord,
};
pub use price_rules::{OfferRecord, PriceRules};
pub use reviews::{HelpfulVote, Review, ReviewDraft, ReviewOrder, ReviewWrite, Reviews};
pub use sandbox::{NewSandboxMessage, Sandbox, SandboxAttempt, SandboxCard, SandboxMessage};
pub use suppliers::{
    Certification, OrganicCertificate, OrganicCertification, Supplier, SupplierRecord,
    SupplierSetup, Suppliers,
};
pub use warehouses::{Warehouse, WarehouseSetup, Warehouses};

use database::Db;

/// Every aggregate of the store over one connection pool. Cheap to clone:
/// the pool inside is shared.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    accounts: Accounts,
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    ledger: Ledger,
    carts: Carts,
    reviews: Reviews,
    notifications: Notifications,
    ops_alerts: OpsAlerts,
    idempotency: IdempotencyKeys,
    sandbox: Sandbox,
    warehouses: Warehouses,
    suppliers: Suppliers,
    coupons: Coupons,
    price_rules: PriceRules,
    loyalty: Loyalty,
}

impl Store {
    /// Opens a pool on `sqlite://path` (the file and its directory are
    /// created when missing; `sqlite::memory:` keeps everything in one
    /// connection) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let db = Db::connect(url).await?;
        Ok(Store {
            accounts: Accounts { db: db.clone() },
            catalog: Catalog { db: db.clone() },
            inventory: Inventory { db: db.clone() },
            orders: Orders { db: db.clone() },
            ledger: Ledger { db: db.clone() },
            carts: Carts { db: db.clone() },
            reviews: Reviews { db: db.clone() },
            notifications: Notifications { db: db.clone() },
            ops_alerts: OpsAlerts { db: db.clone() },
            idempotency: IdempotencyKeys { db: db.clone() },
            sandbox: Sandbox { db: db.clone() },
            warehouses: Warehouses { db: db.clone() },
            suppliers: Suppliers { db: db.clone() },
            coupons: Coupons { db: db.clone() },
            price_rules: PriceRules { db: db.clone() },
            loyalty: Loyalty { db: db.clone() },
            db,
        })
    }

    /// Brings the schema up to date, then indexes received orders older than
    /// `received_lines`; running it again is a no-op.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        schema::migrate(&self.db.pool, !self.db.is_postgres()).await?;
        self.orders.backfill_received_lines().await
    }

    /// Proves the database answers (readiness probes).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await
    }

    pub fn is_postgres(&self) -> bool {
        self.db.is_postgres()
    }

    /// Waits for borrowed connections to come back, then closes them all.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Users, their sessions, profiles, addresses and login throttling.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// Products, categories and what the search index reads.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Stock levels and per-order reservations.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The orders read model, shipments and what customers received.
    pub fn orders(&self) -> &Orders {
        &self.orders
    }

    /// The payments ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn carts(&self) -> &Carts {
        &self.carts
    }

    pub fn reviews(&self) -> &Reviews {
        &self.reviews
    }

    /// The in-app inbox and the devices to push to.
    pub fn notifications(&self) -> &Notifications {
        &self.notifications
    }

    /// Alerts raised for operators.
    pub fn ops_alerts(&self) -> &OpsAlerts {
        &self.ops_alerts
    }

    /// `Idempotency-Key`s of API requests.
    pub fn idempotency(&self) -> &IdempotencyKeys {
        &self.idempotency
    }

    /// What the sandbox providers remember, as a real provider would.
    pub fn warehouses(&self) -> &Warehouses {
        &self.warehouses
    }

    pub fn suppliers(&self) -> &Suppliers {
        &self.suppliers
    }

    pub fn coupons(&self) -> &Coupons {
        &self.coupons
    }

    pub fn price_rules(&self) -> &PriceRules {
        &self.price_rules
    }

    pub fn loyalty(&self) -> &Loyalty {
        &self.loyalty
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}
