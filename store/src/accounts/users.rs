//! Accounts. Emails are stored lower-cased so uniqueness and lookup ignore
//! case the way people expect of an address.

use chrono::{DateTime, Utc};
use orderly_domain::{Role, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Accounts;
use crate::StoreError;
use crate::columns::{known, now_millis, parsed, timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A user with the password hash, for the one caller that checks it (login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
    /// False once an admin deactivated the account: it may not log in.
    pub active: bool,
}

pub(super) const COLUMNS: &str = "id, email, name, role, created_at, password_hash, deactivated_at";

impl Accounts {
    /// Registers a user; `Conflict` when the email (in any case) is taken.
    pub async fn insert_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let user = User {
            id: UserId::new(),
            email: new.email.to_lowercase(),
            name: new.name.clone(),
            role: new.role,
            created_at: timestamp("created_at", now_millis())?,
        };
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, role, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(user.id.to_string())
        .bind(&user.email)
        .bind(&user.name)
        .bind(&new.password_hash)
        .bind(user.role.as_str())
        .bind(user.created_at.timestamp_millis())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "email {} is already registered",
                user.email
            )));
        }
        Ok(user)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserWithHash>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(email.to_lowercase())
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|row| {
            Ok(UserWithHash {
                user: user_from(&row)?,
                password_hash: row.try_get("password_hash")?,
                active: row.try_get::<Option<i64>, _>("deactivated_at")?.is_none(),
            })
        })
        .transpose()
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }
}

pub(super) fn user_from(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: parsed("users.id", &row.try_get::<String, _>("id")?, str::parse)?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: known(
            "users.role",
            &row.try_get::<String, _>("role")?,
            Role::parse,
        )?,
        created_at: timestamp("users.created_at", row.try_get("created_at")?)?,
    })
}
