//! Refresh tokens with rotation and replay detection.
//!
//! Each refresh hands out a new token of the same family and marks the old
//! one used. A used token presented again means it was copied: whoever holds
//! the family's live token may be the thief, so the whole family is revoked
//! and both parties have to log in again. A family is a session: access
//! tokens name theirs and are refused once it is revoked.

use chrono::{DateTime, Utc};
use orderly_domain::UserId;
use sqlx::Row;
use uuid::Uuid;

use super::Accounts;
use crate::StoreError;
use crate::columns::{millis, now_millis, parsed};

/// The session a refresh continued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshedSession {
    pub user_id: UserId,
    pub session_id: Uuid,
}

impl Accounts {
    pub async fn insert_refresh_token(
        &self,
        token_hash: &str,
        user_id: UserId,
        family_id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(family_id.to_string())
        .bind(millis(expires_at))
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Exchanges a live token for `new_hash` and returns its session. Returns
    /// `None` for unknown, expired or revoked tokens, and for a replayed
    /// (already rotated) token, whose whole family is revoked on the way.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<RefreshedSession>, StoreError> {
        let now = millis(now);
        let mut tx = self.db.begin_write().await?;
        // Claiming the token and checking it are one statement, so two
        // concurrent refreshes with the same token cannot both win.
        let claimed = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
             RETURNING user_id, family_id",
        )
        .bind(now)
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = claimed {
            let user_id: String = row.try_get("user_id")?;
            let family_id: String = row.try_get("family_id")?;
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_hash)
            .bind(&user_id)
            .bind(&family_id)
            .bind(millis(new_expires_at))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Some(RefreshedSession {
                user_id: parsed("refresh_tokens.user_id", &user_id, str::parse)?,
                session_id: parsed("refresh_tokens.family_id", &family_id, str::parse)?,
            }));
        }
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1
             WHERE revoked_at IS NULL AND family_id IN (
                 SELECT family_id FROM refresh_tokens WHERE token_hash = $2 AND used_at IS NOT NULL
             )",
        )
        .bind(now)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(None)
    }

    /// The user a refresh token was issued to, whatever its state.
    pub async fn refresh_token_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let row = sqlx::query("SELECT user_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|row| {
            let user: String = row.try_get("user_id")?;
            parsed("refresh_tokens.user_id", &user, str::parse)
        })
        .transpose()
    }

    /// Logs out: revokes the token's whole family and returns it (`None`
    /// for an unknown token; logging out twice is fine).
    pub async fn revoke_refresh_token(&self, token_hash: &str) -> Result<Option<Uuid>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let family = sqlx::query("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(family) = family else {
            tx.commit().await?;
            return Ok(None);
        };
        let family: String = family.try_get("family_id")?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id = $2",
        )
        .bind(now_millis())
        .bind(&family)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(parsed(
            "refresh_tokens.family_id",
            &family,
            str::parse,
        )?))
    }

    /// Ends one session of `user` (a logout by its access token).
    pub async fn revoke_session(
        &self,
        user_id: UserId,
        session_id: Uuid,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1
             WHERE revoked_at IS NULL AND family_id = $2 AND user_id = $3",
        )
        .bind(now_millis())
        .bind(session_id.to_string())
        .bind(user_id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Whether `session_id` of `user_id` still has an unrevoked token: an
    /// access token of the session may still be used.
    pub async fn session_is_live(
        &self,
        user_id: UserId,
        session_id: Uuid,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS live FROM refresh_tokens r JOIN users u ON u.id = r.user_id
             WHERE r.family_id = $1 AND r.user_id = $2 AND r.revoked_at IS NULL
               AND u.deactivated_at IS NULL
             LIMIT 1",
        )
        .bind(session_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Logs a user out everywhere (password change, suspected theft).
    pub async fn revoke_all_refresh_tokens(&self, user_id: UserId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_millis())
        .bind(user_id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }
}
