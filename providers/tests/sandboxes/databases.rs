//! Throwaway databases for scenarios that must hold on every backend.
//!
//! A scenario runs on a fresh SQLite file, then on a fresh PostgreSQL
//! database created through the admin URL in `ORDERLY_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). When the
//! variable is unset and nothing answers at the default address, the
//! PostgreSQL run is skipped with a note; when it is set, an unreachable
//! server fails the test.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Duration;

use futures::FutureExt;
use orderly_store::Store;
use sqlx::{AnyConnection, Connection};
use uuid::Uuid;

const POSTGRES_ENV: &str = "ORDERLY_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

enum Scratch {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// Runs `scenario` once per available backend, each on a new migrated
/// database that is removed afterwards, even when the scenario panics.
pub async fn on_every_backend<F, Fut>(scenario: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut scratches = vec![sqlite()];
    if let Some(postgres) = postgres().await {
        scratches.push(postgres);
    }
    for (url, scratch) in scratches {
        let store = Store::connect(&url)
            .await
            .expect("connecting to the scratch database");
        store
            .migrate()
            .await
            .expect("migrating the scratch database");
        let outcome = AssertUnwindSafe(scenario(store.clone()))
            .catch_unwind()
            .await;
        store.close().await;
        let backend = scratch.remove().await;
        if let Err(panic) = outcome {
            eprintln!("scenario failed on {backend}");
            std::panic::resume_unwind(panic);
        }
    }
}

fn sqlite() -> (String, Scratch) {
    let path = std::env::temp_dir().join(format!("orderly-sandboxes-{}.db", Uuid::now_v7()));
    (
        format!("sqlite://{}", path.display()),
        Scratch::Sqlite(path),
    )
}

async fn postgres() -> Option<(String, Scratch)> {
    let configured = std::env::var(POSTGRES_ENV).ok();
    let admin_url = configured
        .clone()
        .unwrap_or_else(|| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
    sqlx::any::install_default_drivers();
    let reachable =
        tokio::time::timeout(Duration::from_secs(3), AnyConnection::connect(&admin_url))
            .await
            .ok()
            .and_then(Result::ok);
    let Some(conn) = reachable else {
        assert!(
            configured.is_none(),
            "{POSTGRES_ENV} is set but PostgreSQL does not answer there"
        );
        eprintln!("PostgreSQL not reachable at the default address: SQLite only");
        return None;
    };
    conn.close().await.expect("closing the admin connection");
    let name = format!("orderly_test_{}", Uuid::now_v7().simple());
    admin(&admin_url, &format!("CREATE DATABASE {name}")).await;
    let mut url = url::Url::parse(&admin_url).expect("the admin URL parses");
    url.set_path(&format!("/{name}"));
    Some((url.to_string(), Scratch::Postgres { admin_url, name }))
}

impl Scratch {
    async fn remove(self) -> &'static str {
        match self {
            Scratch::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
                "SQLite"
            }
            Scratch::Postgres { admin_url, name } => {
                admin(
                    &admin_url,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await;
                "PostgreSQL"
            }
        }
    }
}

async fn admin(admin_url: &str, statement: &str) {
    let mut conn = AnyConnection::connect(admin_url)
        .await
        .expect("PostgreSQL admin connection");
    sqlx::query(statement)
        .execute(&mut conn)
        .await
        .expect(statement);
    conn.close().await.expect("closing the admin connection");
}
