//! Whether the session an access token belongs to is still live.
//!
//! An access token names its session (`sid`, the refresh-token family it
//! was issued with). Logging out, a password reset and a replayed refresh
//! token each revoke sessions in the database; a token of a revoked session
//! is refused from then on, not merely when it expires. Reading the
//! database on every request would put a read in front of every handler,
//! so each process remembers what it read for [`FRESH_FOR`]: the process
//! that ended a session forgets it at once, any other API process honours
//! the end within that second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use orderly_domain::UserId;
use orderly_store::{Store, StoreError};
use uuid::Uuid;

/// How long a read liveness is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Past this many remembered sessions, stale entries are dropped, so memory
/// stays bounded however many sessions call.
const MAX_REMEMBERED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Read {
    user: UserId,
    live: bool,
    at: Instant,
}

#[derive(Debug, Default)]
pub struct LiveSessions {
    read: Mutex<HashMap<Uuid, Read>>,
}

impl LiveSessions {
    /// Whether `session` of `user` is live.
    pub async fn is_live(
        &self,
        store: &Store,
        user: UserId,
        session: Uuid,
    ) -> Result<bool, StoreError> {
        if let Some(live) = self.remembered(session) {
            return Ok(live);
        }
        let live = store.accounts().session_is_live(user, session).await?;
        self.remember(
            session,
            Read {
                user,
                live,
                at: Instant::now(),
            },
        );
        Ok(live)
    }

    /// Drops what this process knows of `session`, after it ended it.
    pub fn forget(&self, session: Uuid) {
        self.entries().remove(&session);
    }

    /// Drops what this process knows of every session of `user`.
    pub fn forget_user(&self, user: UserId) {
        self.entries().retain(|_, read| read.user != user);
    }

    fn remembered(&self, session: Uuid) -> Option<bool> {
        self.entries()
            .get(&session)
            .filter(|read| read.at.elapsed() < FRESH_FOR)
            .map(|read| read.live)
    }

    fn remember(&self, session: Uuid, read: Read) {
        let mut entries = self.entries();
        if entries.len() >= MAX_REMEMBERED {
            entries.retain(|_, read| read.at.elapsed() < FRESH_FOR);
        }
        entries.insert(session, read);
    }

    /// A poisoned lock only means another request panicked mid-insert; the
    /// map itself is still a valid cache.
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Read>> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
