//! Staff accounts: sellers, admins, delivery and warehouse staff, created
//! by an admin (never by registration), moved between roles and
//! warehouses, and deactivated. Deactivating revokes every session in the
//! same transaction, so the account's tokens stop working at once.

use orderly_domain::{Role, UserId, WarehouseId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Accounts;
use super::users::user_from;
use crate::StoreError;
use crate::columns::{now_millis, parsed};
use crate::{NewUser, User};

/// A staff account as admins manage it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub user: User,
    /// The warehouse of warehouse staff.
    pub warehouse_id: Option<WarehouseId>,
    pub active: bool,
}

/// What an account's staff record becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffChange {
    pub role: Role,
    pub warehouse_id: Option<WarehouseId>,
    pub active: bool,
}

const STAFF_COLUMNS: &str =
    "id, email, name, role, created_at, password_hash, warehouse_id, deactivated_at";

impl Accounts {
    /// Creates a staff account; `Conflict` when the email is taken.
    pub async fn insert_staff(
        &self,
        new: &NewUser,
        warehouse_id: Option<WarehouseId>,
    ) -> Result<StaffMember, StoreError> {
        let user = self.insert_user(new).await?;
        if let Some(warehouse) = warehouse_id {
            sqlx::query("UPDATE users SET warehouse_id = $1 WHERE id = $2")
                .bind(warehouse.to_string())
                .bind(user.id.to_string())
                .execute(&self.db.pool)
                .await?;
        }
        self.staff_member(user.id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn staff_member(&self, id: UserId) -> Result<Option<StaffMember>, StoreError> {
        let row = sqlx::query(&format!("SELECT {STAFF_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(staff_from).transpose()
    }

    /// Every account that is not a customer's, by email.
    pub async fn list_staff(&self) -> Result<Vec<StaffMember>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM users WHERE role <> $1 ORDER BY email"
        ))
        .bind(Role::Customer.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(staff_from).collect()
    }

    /// Sets an account's role, warehouse and whether it may log in; a
    /// deactivation also revokes every session. `NotFound` for an unknown
    /// id.
    pub async fn change_staff(
        &self,
        id: UserId,
        change: StaffChange,
    ) -> Result<StaffMember, StoreError> {
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE users SET role = $1, warehouse_id = $2,
                 deactivated_at = CASE WHEN $3 = 1 THEN NULL ELSE COALESCE(deactivated_at, $4) END
             WHERE id = $5",
        )
        .bind(change.role.as_str())
        .bind(change.warehouse_id.map(|w| w.to_string()))
        .bind(i64::from(change.active))
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        if !change.active {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.staff_member(id).await?.ok_or(StoreError::NotFound)
    }
}

fn staff_from(row: &AnyRow) -> Result<StaffMember, StoreError> {
    let warehouse: Option<String> = row.try_get("warehouse_id")?;
    Ok(StaffMember {
        user: user_from(row)?,
        warehouse_id: warehouse
            .map(|id| parsed("users.warehouse_id", &id, str::parse))
            .transpose()?,
        active: row.try_get::<Option<i64>, _>("deactivated_at")?.is_none(),
    })
}
