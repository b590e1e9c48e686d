//! Single-use password reset tokens.
//!
//! Only the token's SHA-256 is stored. Redeeming one sets the new password,
//! burns every outstanding reset token of the user and revokes every
//! refresh token, all in one transaction: after a reset, nobody who held
//! the old password or an old session is still logged in.

use chrono::{DateTime, Utc};
use orderly_domain::UserId;
use sqlx::Row;

use super::Accounts;
use crate::StoreError;
use crate::columns::{millis, now_millis, parsed};

/// What a presented reset code is: [`Accounts::check_reset_code`] says
/// whether it could be redeemed now, [`Accounts::reset_password`] whether
/// it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetCode {
    /// Usable (checking) or redeemed (resetting) for this user.
    Valid(UserId),
    Unknown,
    AlreadyUsed,
    Expired,
}

impl Accounts {
    pub async fn insert_password_reset(
        &self,
        token_hash: &str,
        user_id: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO password_reset_tokens (token_hash, user_id, expires_at, created_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(millis(expires_at))
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Whether `token_hash` could be redeemed at `now`, changing nothing:
    /// the API checks before it spends an argon2 hash on the new password.
    pub async fn check_reset_code(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ResetCode, StoreError> {
        let found = sqlx::query(
            "SELECT user_id, used_at, expires_at FROM password_reset_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = found else {
            return Ok(ResetCode::Unknown);
        };
        if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
            return Ok(ResetCode::AlreadyUsed);
        }
        if row.try_get::<i64, _>("expires_at")? <= millis(now) {
            return Ok(ResetCode::Expired);
        }
        let user: String = row.try_get("user_id")?;
        Ok(ResetCode::Valid(parsed(
            "password_reset_tokens.user_id",
            &user,
            str::parse,
        )?))
    }

    /// Redeems the token `token_hash`: sets `new_password_hash`, marks the
    /// user's reset tokens used and revokes all their refresh tokens.
    pub async fn reset_password(
        &self,
        token_hash: &str,
        new_password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ResetCode, StoreError> {
        let now = millis(now);
        let mut tx = self.db.begin_write().await?;
        // Claiming and checking in one statement: of two concurrent
        // redemptions of the same token, exactly one wins.
        let claimed = sqlx::query(
            "UPDATE password_reset_tokens SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else {
            let found =
                sqlx::query("SELECT used_at FROM password_reset_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.commit().await?;
            return Ok(match found {
                None => ResetCode::Unknown,
                Some(row) if row.try_get::<Option<i64>, _>("used_at")?.is_some() => {
                    ResetCode::AlreadyUsed
                }
                Some(_) => ResetCode::Expired,
            });
        };
        let user: String = claimed.try_get("user_id")?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(new_password_hash)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE password_reset_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(&user)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ResetCode::Valid(parsed(
            "password_reset_tokens.user_id",
            &user,
            str::parse,
        )?))
    }
}
