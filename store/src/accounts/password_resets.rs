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

/// What became of a presented reset token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordReset {
    /// The password of this user was replaced.
    Done(UserId),
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

    /// Redeems the token `token_hash`: sets `new_password_hash`, marks the
    /// user's reset tokens used and revokes all their refresh tokens.
    pub async fn reset_password(
        &self,
        token_hash: &str,
        new_password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<PasswordReset, StoreError> {
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
                None => PasswordReset::Unknown,
                Some(row) if row.try_get::<Option<i64>, _>("used_at")?.is_some() => {
                    PasswordReset::AlreadyUsed
                }
                Some(_) => PasswordReset::Expired,
            });
        };
        let user: String = claimed.try_get("user_id")?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2",
        )
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
        Ok(PasswordReset::Done(parsed(
            "password_reset_tokens.user_id",
            &user,
            str::parse,
        )?))
    }
}
