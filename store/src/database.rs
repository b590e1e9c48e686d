//! The connection pool behind every aggregate of the store, and the one
//! piece of backend-specific logic: how a write transaction starts.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Transaction};

use crate::StoreError;

/// SQLite serialises writers on the file lock anyway; a handful of
/// connections lets readers proceed (WAL) while one of them writes.
const SQLITE_POOL_SIZE: u32 = 8;
const POSTGRES_POOL_SIZE: u32 = 16;
/// How long a SQLite connection waits for the write lock before failing
/// with SQLITE_BUSY. Write transactions are short, so this is only reached
/// when something is badly wrong.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The shared pool every aggregate of the store works through, and which
/// backend is behind it.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens a pool on `sqlite://path` (the file and its directory are
    /// created when missing; `sqlite::memory:` keeps everything in one
    /// connection) or `postgres://...`.
    pub(crate) async fn connect(url: &str) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            connect_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(POSTGRES_POOL_SIZE)
                .connect(url)
                .await?;
            Ok(Db {
                pool,
                backend: Backend::Postgres,
            })
        } else {
            Err(StoreError::Invalid(
                "database URL must start with sqlite: or postgres://".into(),
            ))
        }
    }

    /// Proves the database answers (readiness probes).
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(crate) fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Waits for borrowed connections to come back, then closes them all.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction that will write. On SQLite a plain `BEGIN`
    /// takes the write lock only at the first write, and a transaction that
    /// read before that fails at once with SQLITE_BUSY (busy_timeout does not
    /// apply) when another writer committed in between. `BEGIN IMMEDIATE`
    /// takes the lock up front, where busy_timeout does wait. PostgreSQL
    /// needs nothing special: its row locks queue writers.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }
}

async fn connect_sqlite(url: &str) -> Result<Db, StoreError> {
    let target = SqliteTarget::parse(url);
    let options = AnyPoolOptions::new().after_connect(|conn, _meta| {
        Box::pin(async move {
            sqlx::query(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
                .execute(&mut *conn)
                .await?;
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await?;
            // Durable at every checkpoint, and what WAL is designed for.
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    });
    let pool = match &target {
        SqliteTarget::Memory => {
            // Every connection to `:memory:` is a database of its own, so
            // the pool must hold exactly one and never recycle it.
            options
                .min_connections(1)
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect(url)
                .await?
        }
        SqliteTarget::File { path, url } => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|source| StoreError::CreateDir {
                        path: dir.display().to_string(),
                        source,
                    })?;
            }
            enable_wal(url).await?;
            options
                .max_connections(SQLITE_POOL_SIZE)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?
        }
    };
    Ok(Db {
        pool,
        backend: Backend::Sqlite,
    })
}

/// Switches the file to WAL on a lone connection before the pool exists:
/// changing the journal mode needs an exclusive lock that busy_timeout does
/// not wait for, so doing it from every pooled connection could fail. The
/// mode is stored in the file and every later connection inherits it.
async fn enable_wal(url: &str) -> Result<(), StoreError> {
    let mut conn = AnyConnection::connect(url).await?;
    sqlx::query(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
        .execute(&mut conn)
        .await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Where a `sqlite:` URL points, with `mode=rwc` added so a missing file is
/// created instead of refused.
enum SqliteTarget {
    Memory,
    File {
        path: std::path::PathBuf,
        url: String,
    },
}

impl SqliteTarget {
    fn parse(url: &str) -> SqliteTarget {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
            return SqliteTarget::Memory;
        }
        let url = if query.split('&').any(|p| p.starts_with("mode=")) {
            url.to_owned()
        } else if query.is_empty() {
            format!("{url}?mode=rwc")
        } else {
            format!("{url}&mode=rwc")
        };
        SqliteTarget::File {
            path: Path::new(path).to_path_buf(),
            url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_file_url_is_opened_in_create_mode() {
        let SqliteTarget::File { path, url } = SqliteTarget::parse("sqlite://data/orderly.db")
        else {
            panic!("a file path was taken for memory");
        };
        assert_eq!(path, Path::new("data/orderly.db"));
        assert_eq!(url, "sqlite://data/orderly.db?mode=rwc");
    }

    #[test]
    fn an_explicit_sqlite_mode_is_kept() {
        let SqliteTarget::File { url, .. } = SqliteTarget::parse("sqlite:/tmp/x.db?mode=rw") else {
            panic!("a file path was taken for memory");
        };
        assert_eq!(url, "sqlite:/tmp/x.db?mode=rw");
    }

    #[test]
    fn sqlite_memory_urls_are_recognised() {
        assert!(matches!(
            SqliteTarget::parse("sqlite::memory:"),
            SqliteTarget::Memory
        ));
        assert!(matches!(
            SqliteTarget::parse("sqlite://?mode=memory"),
            SqliteTarget::Memory
        ));
    }
}
