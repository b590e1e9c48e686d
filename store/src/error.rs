//! The store's error type: the one thing callers of the store match on.
//!
//! `Conflict` and `NotFound` are answers about the data that callers turn
//! into HTTP statuses or workflow decisions; `Database` is the backend
//! failing and worth a retry; `Corrupt` means a stored row no longer parses
//! into a domain type, which no retry will fix.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// A value the schema cannot hold (a version beyond `i64`, an unknown
    /// database URL scheme).
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("running migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("creating database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
}
