//! A fresh database per test: a SQLite file in a temp folder, or a new
//! PostgreSQL database, after `ORDERLY_TEST_DATABASE` (`sqlite`, the
//! default, or `postgres`). PostgreSQL databases are dropped when the guard
//! is dropped.

use sqlx::Connection;

/// The admin connection used to create and drop test databases.
fn postgres_admin_url() -> String {
    std::env::var("ORDERLY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn uses_postgres() -> bool {
    std::env::var("ORDERLY_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

pub struct TestDatabase {
    pub url: String,
    postgres_name: Option<String>,
    sqlite_dir: Option<std::path::PathBuf>,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        if uses_postgres() {
            let admin = postgres_admin_url();
            let name = format!("orderly_test_{id}");
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connecting to PostgreSQL (ORDERLY_TEST_POSTGRES_URL)");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("creating the test database");
            let mut url = url::Url::parse(&admin).expect("a PostgreSQL URL");
            url.set_path(&name);
            Self {
                url: url.to_string(),
                postgres_name: Some(name),
                sqlite_dir: None,
            }
        } else {
            let dir = std::env::temp_dir().join(format!("orderly-test-{id}"));
            std::fs::create_dir_all(&dir).expect("creating the test folder");
            Self {
                url: format!("sqlite://{}", dir.join("orderly.db").display()),
                postgres_name: None,
                sqlite_dir: Some(dir),
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.postgres_name.take() {
            // Drop runs outside any runtime we may block; use a thread.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}
