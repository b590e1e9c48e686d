//! The SQL migrations, compiled into the binary.
//!
//! The files under `migrations/` are embedded with `include_str!` and run by
//! sqlx's own `Migrator` (its `_sqlx_migrations` table, checksums and, on
//! PostgreSQL, an advisory lock against concurrent runs). This replaces the
//! `sqlx::migrate!` macro only to keep sqlx's `macros` feature out of the
//! build: that feature compiles a second, host-side copy of SQLite.
//! A new migration file must be added to `MIGRATIONS`; a test checks that
//! the list and the folder agree.
//!
//! Migrations are written in the common subset of SQLite and PostgreSQL.
//! Where none exists (SQLite cannot alter a constraint, only rebuild the
//! table), `migrations/sqlite/` holds the SQLite version of that one
//! migration, listed in `SQLITE_VERSIONS`; each database only ever runs
//! its own, so the checksums sqlx keeps stay stable.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::AnyPool;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::StoreError;

/// (version, description, SQL), in the order they must run.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "schema", include_str!("../migrations/0001_schema.sql")),
    (
        2,
        "accounts",
        include_str!("../migrations/0002_accounts.sql"),
    ),
    (3, "catalog", include_str!("../migrations/0003_catalog.sql")),
    (4, "carts", include_str!("../migrations/0004_carts.sql")),
    (5, "reviews", include_str!("../migrations/0005_reviews.sql")),
    (
        6,
        "cart_requests_and_session_epochs",
        include_str!("../migrations/0006_cart_requests_and_session_epochs.sql"),
    ),
    (
        7,
        "notification_channels",
        include_str!("../migrations/0007_notification_channels.sql"),
    ),
    (
        8,
        "hardening",
        include_str!("../migrations/0008_hardening.sql"),
    ),
    (
        9,
        "sessions_and_rate_limits",
        include_str!("../migrations/0009_sessions_and_rate_limits.sql"),
    ),
    (
        10,
        "warehouses_and_batches",
        include_str!("../migrations/0010_warehouses_and_batches.sql"),
    ),
    (
        11,
        "staff_accounts",
        include_str!("../migrations/0011_staff_accounts.sql"),
    ),
    (
        12,
        "split_shipments",
        include_str!("../migrations/0012_split_shipments.sql"),
    ),
    (
        13,
        "expiry_sweep",
        include_str!("../migrations/0013_expiry_sweep.sql"),
    ),
    (
        14,
        "coupons",
        include_str!("../migrations/0014_coupons.sql"),
    ),
    (
        15,
        "price_rules",
        include_str!("../migrations/0015_price_rules.sql"),
    ),
    (
        16,
        "loyalty",
        include_str!("../migrations/0016_loyalty.sql"),
    ),
    (
        17,
        "returns",
        include_str!("../migrations/0017_returns.sql"),
    ),
    (
        18,
        "order_edits",
        include_str!("../migrations/0018_order_edits.sql"),
    ),
    (
        19,
        "exchanges",
        include_str!("../migrations/0019_exchanges.sql"),
    ),
];

/// (version, SQL) of the migrations SQLite runs in place of the shared one.
const SQLITE_VERSIONS: &[(i64, &str)] = &[
    (
        11,
        include_str!("../migrations/sqlite/0011_staff_accounts.sql"),
    ),
    (
        12,
        include_str!("../migrations/sqlite/0012_split_shipments.sql"),
    ),
    (
        13,
        include_str!("../migrations/sqlite/0013_expiry_sweep.sql"),
    ),
    (19, include_str!("../migrations/sqlite/0019_exchanges.sql")),
];

#[derive(Debug)]
struct Embedded {
    sqlite: bool,
}

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, shared)| {
                    let sql = SQLITE_VERSIONS
                        .iter()
                        .find(|(v, _)| self.sqlite && *v == version)
                        .map_or(shared, |(_, sqlite)| sqlite);
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

pub(crate) async fn migrate(pool: &AnyPool, sqlite: bool) -> Result<(), StoreError> {
    Migrator::new(Embedded { sqlite }).await?.run(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("the migrations folder exists")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(version, description, _)| format!("{version:04}_{description}.sql"))
            .collect();
        assert_eq!(files, embedded);
        let mut sqlite_files: Vec<String> = std::fs::read_dir(dir.join("sqlite"))
            .expect("the sqlite migrations folder exists")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        sqlite_files.sort();
        let sqlite_versions: Vec<String> = SQLITE_VERSIONS
            .iter()
            .map(|(version, _)| {
                embedded
                    .iter()
                    .find(|name| name.starts_with(&format!("{version:04}_")))
                    .expect("a SQLite version replaces a shared migration")
                    .clone()
            })
            .collect();
        assert_eq!(sqlite_files, sqlite_versions);
    }
}
