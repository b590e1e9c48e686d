//! The generic cell rate algorithm, as one pure step.
//!
//! A counter is a single number: the theoretical arrival time (TAT) of the
//! next request were the client to keep exactly to the sustained rate. A
//! request is allowed while that time stays within one period ahead of now.
//! `scripts/gcra.lua` is this function for Redis; the two are kept alike by
//! a test that runs both on the same requests.

use std::time::Duration;

use crate::limiter::{Allowance, Refusal, Verdict};
use crate::quota::Quota;

/// What to store after a step: the new TAT, kept for `ttl_millis` (after
/// which the counter is as good as new and may be forgotten).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Update {
    pub tat: i64,
    pub ttl_millis: i64,
}

/// Decides one request at `now` against the stored TAT, if any.
pub(crate) fn step(stored_tat: Option<i64>, now: i64, quota: Quota) -> (Verdict, Option<Update>) {
    let interval = quota.interval_millis();
    let period = quota.period_millis();
    let tat = stored_tat.map_or(now, |tat| tat.max(now));
    let new_tat = tat.saturating_add(interval);
    let ahead = new_tat - now;
    if ahead > period {
        let refusal = Refusal {
            limit: quota.count(),
            retry_after: millis(ahead - period),
            reset_after: millis(tat - now),
        };
        return (Err(refusal), None);
    }
    let remaining = u32::try_from((period - ahead) / interval).unwrap_or(u32::MAX);
    let allowance = Allowance {
        limit: quota.count(),
        remaining: remaining.min(quota.count()),
        reset_after: millis(ahead),
    };
    let update = Update {
        tat: new_tat,
        ttl_millis: ahead,
    };
    (Ok(allowance), Some(update))
}

pub(crate) fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `at` (request times in ms) through one counter.
    fn run(quota: Quota, at: &[i64]) -> Vec<Verdict> {
        let mut tat = None;
        at.iter()
            .map(|&now| {
                let (verdict, update) = step(tat, now, quota);
                if let Some(update) = update {
                    tat = Some(update.tat);
                }
                verdict
            })
            .collect()
    }

    #[test]
    fn the_whole_quota_may_come_at_once_and_not_one_more() {
        let quota = Quota::new(3, Duration::from_secs(3)).unwrap();
        let verdicts = run(quota, &[0, 0, 0, 0]);
        let remaining: Vec<_> = verdicts[..3].iter().map(|v| v.unwrap().remaining).collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refusal = verdicts[3].unwrap_err();
        assert_eq!(refusal.retry_after, Duration::from_secs(1));
        assert_eq!(refusal.reset_after, Duration::from_secs(3));
        assert_eq!(refusal.limit, 3);
    }

    #[test]
    fn after_a_burst_one_more_is_allowed_per_interval() {
        let quota = Quota::new(3, Duration::from_secs(3)).unwrap();
        let verdicts = run(quota, &[0, 0, 0, 999, 1000, 1001, 2000]);
        let allowed: Vec<bool> = verdicts.iter().map(Result::is_ok).collect();
        assert_eq!(allowed, [true, true, true, false, true, false, true]);
    }

    #[test]
    fn an_idle_counter_is_full_again_after_one_period() {
        let quota = Quota::new(2, Duration::from_secs(10)).unwrap();
        let verdicts = run(quota, &[0, 0, 10_000, 10_000, 10_000]);
        assert!(verdicts[2].is_ok() && verdicts[3].is_ok() && verdicts[4].is_err());
        assert_eq!(verdicts[2].unwrap().remaining, 1);
    }

    #[test]
    fn the_counter_may_be_forgotten_once_its_ttl_passes() {
        let quota = Quota::new(4, Duration::from_secs(4)).unwrap();
        let (_, update) = step(None, 0, quota);
        let update = update.unwrap();
        assert_eq!(update.ttl_millis, 1000);
        // At TTL the stored TAT is in the past: the same as no counter.
        assert_eq!(step(Some(update.tat), 1000, quota), step(None, 1000, quota));
    }
}
