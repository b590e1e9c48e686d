//! The sandbox card vault's tokens: what the sandbox remembers of a card
//! it tokenized, as a provider's vault does on its side, minus the number.

use sqlx::Row;

use super::Sandbox;
use crate::StoreError;
use crate::columns::now_millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCard {
    pub token: String,
    pub brand: String,
    pub last4: String,
    /// The test behaviour the number stood for, e.g. `approve`, `decline`.
    pub behaviour: String,
}

impl Sandbox {
    pub async fn insert_sandbox_card(&self, card: &SandboxCard) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sandbox_card_tokens (token, brand, last4, behaviour, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&card.token)
        .bind(&card.brand)
        .bind(&card.last4)
        .bind(&card.behaviour)
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    pub async fn sandbox_card(&self, token: &str) -> Result<Option<SandboxCard>, StoreError> {
        let row = sqlx::query(
            "SELECT token, brand, last4, behaviour FROM sandbox_card_tokens WHERE token = $1",
        )
        .bind(token)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            Ok(SandboxCard {
                token: row.try_get("token")?,
                brand: row.try_get("brand")?,
                last4: row.try_get("last4")?,
                behaviour: row.try_get("behaviour")?,
            })
        })
        .transpose()
    }
}
