//! The expiry sweep's activities: spoilage alerts to sellers and ops,
//! moving orders' holds off batches that would spoil before the order
//! arrives, and writing off expired stock, one page at a time.
//!
//! A retried page repeats nothing: an alert is recorded per batch only
//! after its messages were queued (each under its own dedupe key, so a
//! retry queues none twice), holds and write-offs are conditional changes
//! in the store that find nothing left to do the second time, and ops
//! alerts carry dedupe keys.

use std::sync::Arc;
use std::time::Duration;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use orderly_domain::{Freshness, Role, expiry_end, spoils_before};
use orderly_notifications::{Notifier, Recipient};
use orderly_store::{BatchKey, HoldKey, HoldMove, SpoilingBatch, StaleHold, Store};
use orderly_workflows::contract::expiry_definitions::{
    AlertSpoilingBatches, MoveStaleHolds, WriteOffExpiredBatches,
};
use orderly_workflows::contract::{
    AlertsRaised, BatchPage, BatchRef, HoldPage, HoldRef, HoldsMoved, WrittenOff,
};

use crate::retryable;

/// Rows one page works through: small enough for a local activity's
/// timeout, large enough that a day's batches take a page or two.
const PAGE: i64 = 100;

pub struct ExpiryActivities {
    store: Store,
    notifier: Notifier,
    freshness: Freshness,
    pub(crate) warning: Duration,
}

impl ExpiryActivities {
    /// `freshness` decides which holds are stale (the rule reservations
    /// follow), `warning` how long before its end a batch is alerted.
    pub fn new(store: Store, notifier: Notifier, freshness: Freshness, warning: Duration) -> Self {
        Self {
            store,
            notifier,
            freshness,
            warning,
        }
    }

    /// Ops: every admin whose account is active.
    async fn ops(&self) -> Result<Vec<Recipient>, ActivityError> {
        let staff = self
            .store
            .accounts()
            .list_staff()
            .await
            .map_err(retryable)?;
        Ok(staff
            .into_iter()
            .filter(|member| member.user.role == Role::Admin && member.active)
            .map(|member| recipient(member.user))
            .collect())
    }

    /// The product's seller, unless the product is the shop's own or the
    /// account was deactivated.
    async fn seller(&self, batch: &SpoilingBatch) -> Result<Option<Recipient>, ActivityError> {
        let Some(seller_id) = batch.seller_id else {
            return Ok(None);
        };
        let member = self
            .store
            .accounts()
            .staff_member(seller_id)
            .await
            .map_err(retryable)?;
        Ok(member
            .filter(|member| member.active)
            .map(|member| recipient(member.user)))
    }
}

#[activities]
impl ExpiryActivities {
    #[activity(definition = AlertSpoilingBatches)]
    pub async fn alert_spoiling_batches(
        self: Arc<Self>,
        _ctx: ActivityContext,
        page: BatchPage,
    ) -> Result<AlertsRaised, ActivityError> {
        let after = page.after.map(batch_key);
        let batches = self
            .store
            .inventory()
            .spoiling_batches(
                spoils_before(page.as_of, self.warning),
                after.as_ref(),
                PAGE,
            )
            .await
            .map_err(retryable)?;
        let ops = self.ops().await?;
        let mut raised = 0;
        for batch in &batches {
            let expired = expiry_end(batch.expires_on) <= page.as_of;
            let key = &batch.key;
            let detail = format!(
                "batch {} of {} at {} {} {}: {} on hand, {} held for orders",
                key.batch_code,
                key.sku,
                batch.warehouse,
                if expired { "expired on" } else { "expires on" },
                batch.expires_on,
                batch.on_hand,
                batch.reserved
            );
            let dedupe_key = format!(
                "spoilage:{}:{}:{}",
                key.sku, key.warehouse_id, key.batch_code
            );
            tracing::warn!(sku = %key.sku, warehouse_id = %key.warehouse_id,
                batch_code = %key.batch_code, expires_on = %batch.expires_on, "spoilage alert");
            self.store
                .ops_alerts()
                .insert_stock_alert("spoilage", &detail, &dedupe_key)
                .await
                .map_err(retryable)?;
            let seller = self.seller(batch).await?;
            for to in seller.iter().chain(&ops) {
                self.notifier
                    .notify_spoilage(batch, expired, to)
                    .await
                    .map_err(retryable)?;
            }
            // Last, so that a crash before it leaves the batch listed and
            // the retry completes the messages (their keys keep them single).
            if self
                .store
                .inventory()
                .record_spoilage_alert(key, batch.expires_on)
                .await
                .map_err(retryable)?
            {
                raised += 1;
            }
        }
        Ok(AlertsRaised {
            raised,
            next: next_page(&batches, |batch| batch_ref(&batch.key)),
        })
    }

    #[activity(definition = MoveStaleHolds)]
    pub async fn move_stale_holds(
        self: Arc<Self>,
        _ctx: ActivityContext,
        page: HoldPage,
    ) -> Result<HoldsMoved, ActivityError> {
        let fresh_until = self.freshness.good_until(page.as_of);
        let after = page.after.map(|hold| HoldKey {
            order_id: hold.order_id,
            batch: batch_key(hold.batch),
        });
        let holds = self
            .store
            .inventory()
            .stale_holds(fresh_until, after.as_ref(), PAGE)
            .await
            .map_err(retryable)?;
        let (mut moved, mut alerted) = (0, 0);
        for hold in &holds {
            let outcome = self
                .store
                .inventory()
                .move_stale_hold(&hold.key, fresh_until)
                .await
                .map_err(retryable)?;
            match outcome {
                HoldMove::Moved(_) => moved += 1,
                HoldMove::NoFresherStock => {
                    if self.alert_stale_hold(hold).await? {
                        alerted += 1;
                    }
                }
                HoldMove::Settled => {}
            }
        }
        Ok(HoldsMoved {
            moved,
            alerted,
            next: next_page(&holds, |hold| HoldRef {
                order_id: hold.key.order_id,
                batch: batch_ref(&hold.key.batch),
            }),
        })
    }

    #[activity(definition = WriteOffExpiredBatches)]
    pub async fn write_off_expired_batches(
        self: Arc<Self>,
        _ctx: ActivityContext,
        page: BatchPage,
    ) -> Result<WrittenOff, ActivityError> {
        let after = page.after.map(batch_key);
        let expired = self
            .store
            .inventory()
            .expired_batches(page.as_of, after.as_ref(), PAGE)
            .await
            .map_err(retryable)?;
        let (mut batches, mut units) = (0, 0);
        for key in &expired {
            let taken = self
                .store
                .inventory()
                .write_off_expired(key, page.as_of)
                .await
                .map_err(retryable)?;
            if taken > 0 {
                batches += 1;
                units += taken;
            }
        }
        Ok(WrittenOff {
            batches,
            units,
            next: next_page(&expired, batch_ref),
        })
    }
}

impl ExpiryActivities {
    /// Reports a hold that cannot move, once per (order, batch); whether
    /// this was the first time.
    async fn alert_stale_hold(&self, hold: &StaleHold) -> Result<bool, ActivityError> {
        let HoldKey { order_id, batch } = &hold.key;
        let detail = format!(
            "order {order_id} holds {} of {} from batch {}, which ends on {} before the order \
             can arrive; the warehouse has no fresher stock of it to move the hold to",
            hold.quantity, batch.sku, batch.batch_code, hold.expires_on
        );
        let dedupe_key = format!(
            "expiry:{order_id}:{}:{}:{}",
            batch.sku, batch.warehouse_id, batch.batch_code
        );
        tracing::warn!(%order_id, sku = %batch.sku, batch_code = %batch.batch_code,
            kind = "expiring_reservation", "ops alert");
        self.store
            .ops_alerts()
            .insert_ops_alert(*order_id, "expiring_reservation", &detail, &dedupe_key)
            .await
            .map_err(retryable)
    }
}

/// Where the page after `rows` starts: after its last row when the page
/// was full (more may follow), nowhere when it was not.
fn next_page<T, R>(rows: &[T], cursor: impl Fn(&T) -> R) -> Option<R> {
    if rows.len() as i64 == PAGE {
        rows.last().map(cursor)
    } else {
        None
    }
}

fn batch_key(batch: BatchRef) -> BatchKey {
    BatchKey {
        sku: batch.sku,
        warehouse_id: batch.warehouse_id,
        batch_code: batch.batch_code,
    }
}

fn batch_ref(key: &BatchKey) -> BatchRef {
    BatchRef {
        sku: key.sku.clone(),
        warehouse_id: key.warehouse_id,
        batch_code: key.batch_code.clone(),
    }
}

fn recipient(user: orderly_store::User) -> Recipient {
    Recipient {
        user_id: user.id,
        name: user.name,
        email: user.email,
    }
}
