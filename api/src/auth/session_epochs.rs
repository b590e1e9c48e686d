//! Which session epoch each user is in, as the access-token check needs it.
//!
//! A password reset bumps the user's epoch in the database; an access token
//! from an earlier epoch is then refused. Reading the epoch on every request
//! would put a database read in front of every handler, so each process
//! remembers what it read for [`FRESH_FOR`]: the process that handled the
//! reset forgets its entry at once, any other API process honours the reset
//! within that second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use orderly_domain::UserId;
use orderly_store::{Store, StoreError};

/// How long a read epoch is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Past this many remembered users, stale entries are dropped, so memory
/// stays bounded however many users call.
const MAX_REMEMBERED: usize = 100_000;

#[derive(Debug, Default)]
pub struct SessionEpochs {
    read: Mutex<HashMap<UserId, (i64, Instant)>>,
}

impl SessionEpochs {
    /// The user's current epoch; `None` when the user no longer exists.
    pub async fn current(&self, store: &Store, user: UserId) -> Result<Option<i64>, StoreError> {
        if let Some(epoch) = self.remembered(user) {
            return Ok(Some(epoch));
        }
        let epoch = store.accounts().session_epoch(user).await?;
        if let Some(epoch) = epoch {
            self.remember(user, epoch);
        }
        Ok(epoch)
    }

    /// Drops what this process knows of `user`, after it changed their epoch.
    pub fn forget(&self, user: UserId) {
        self.entries().remove(&user);
    }

    fn remembered(&self, user: UserId) -> Option<i64> {
        self.entries()
            .get(&user)
            .filter(|(_, read_at)| read_at.elapsed() < FRESH_FOR)
            .map(|(epoch, _)| *epoch)
    }

    fn remember(&self, user: UserId, epoch: i64) {
        let mut entries = self.entries();
        if entries.len() >= MAX_REMEMBERED {
            entries.retain(|_, (_, read_at)| read_at.elapsed() < FRESH_FOR);
        }
        entries.insert(user, (epoch, Instant::now()));
    }

    /// A poisoned lock only means another request panicked mid-insert; the
    /// map itself is still a valid cache.
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (i64, Instant)>> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
