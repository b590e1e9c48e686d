//! Counters kept in this process: the default, and the fallback when Redis
//! does not answer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::failure_streak::{self, FailurePolicy, Streak};
use crate::gcra;
use crate::limiter::{Refusal, Verdict};
use crate::quota::Quota;

/// Every this many decisions, expired counters are swept out, so memory
/// follows the clients active within their periods, however many came.
const SWEEP_EVERY: u64 = 4096;

#[derive(Debug, Clone, Copy)]
enum Counter {
    Tat(i64),
    Streak(Streak),
}

#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    counters: Mutex<Counters>,
    decisions: AtomicU64,
}

/// Each key's counter and when it expires, and the latest time a decision
/// was taken at.
#[derive(Debug, Default)]
struct Counters {
    map: HashMap<String, (Counter, i64)>,
    latest: i64,
}

impl MemoryStore {
    pub fn acquire(&self, key: &str, quota: Quota, now: i64) -> Verdict {
        let (mut guard, now) = self.counters(now);
        let counters = &mut guard.map;
        let stored = match counters.get(key) {
            Some((Counter::Tat(tat), expires)) if *expires > now => Some(*tat),
            _ => None,
        };
        let (verdict, update) = gcra::step(stored, now, quota);
        if let Some(update) = update {
            counters.insert(
                key.to_owned(),
                (Counter::Tat(update.tat), now + update.ttl_millis),
            );
        }
        verdict
    }

    pub fn begin_attempt(
        &self,
        key: &str,
        policy: &FailurePolicy,
        now: i64,
    ) -> Result<u32, Refusal> {
        let (mut guard, now) = self.counters(now);
        let counters = &mut guard.map;
        let stored = match counters.get(key) {
            Some((Counter::Streak(streak), expires)) if *expires > now => Some(*streak),
            _ => None,
        };
        let (outcome, update) = failure_streak::begin(stored, now, policy);
        if let Some(update) = update {
            counters.insert(
                key.to_owned(),
                (
                    Counter::Streak(update.streak),
                    now.saturating_add(update.ttl_millis),
                ),
            );
        }
        outcome
    }

    pub fn refund_attempt(&self, key: &str, policy: &FailurePolicy, now: i64) {
        let (mut guard, now) = self.counters(now);
        let counters = &mut guard.map;
        if let Some((Counter::Streak(streak), expires)) = counters.get(key).copied()
            && expires > now
            && let Some(refunded) = failure_streak::refund(Some(streak), policy)
        {
            counters.insert(key.to_owned(), (Counter::Streak(refunded), expires));
        }
    }

    pub fn forget(&self, key: &str) {
        self.lock().map.remove(key);
    }

    /// The counters, swept first when their turn has come, and the time to
    /// decide at: never before an earlier decision's, since callers read the
    /// clock before they take the lock and may take it out of that order.
    fn counters(&self, now: i64) -> (MutexGuard<'_, Counters>, i64) {
        let mut counters = self.lock();
        let now = now.max(counters.latest);
        counters.latest = now;
        if self.decisions.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            counters.map.retain(|_, (_, expires)| *expires > now);
        }
        (counters, now)
    }

    /// A poisoned lock means a thread panicked between two statements that
    /// each leave the map valid; the counters are still usable.
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_counters_are_swept_out() {
        let store = MemoryStore::default();
        let quota = Quota::per_minute(1).unwrap();
        for n in 0..SWEEP_EVERY - 1 {
            let _ = store.acquire(&format!("client-{n}"), quota, 0);
        }
        assert_eq!(store.len(), usize::try_from(SWEEP_EVERY - 1).unwrap());
        let _ = store.acquire("late", quota, 61_000);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn decisions_taken_out_of_the_order_their_clocks_were_read_keep_the_whole_quota() {
        let store = MemoryStore::default();
        let quota = Quota::per_minute(3).unwrap();
        let allowed = [5, 0, 3, 1]
            .into_iter()
            .filter(|&now| store.acquire("k", quota, now).is_ok())
            .count();
        assert_eq!(allowed, 3);
    }

    #[test]
    fn a_key_holds_one_kind_of_counter() {
        let store = MemoryStore::default();
        let policy = FailurePolicy {
            free: 1,
            first_delay: std::time::Duration::from_secs(60),
            max_delay: std::time::Duration::from_secs(60),
            forget_after: std::time::Duration::from_secs(60),
        };
        assert!(store.begin_attempt("k", &policy, 0).is_ok());
        assert!(store.begin_attempt("k", &policy, 0).is_err());
        store.forget("k");
        assert!(store.begin_attempt("k", &policy, 0).is_ok());
    }
}
