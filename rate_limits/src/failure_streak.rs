//! Failure streaks: slowing down guesses exponentially.
//!
//! Every attempt is counted when it begins, before the guess is checked, so
//! a hundred guesses sent at once are counted as a hundred and not waved
//! through together. The first `free` attempts of a streak go through at
//! once; from then on each attempt must wait before the next may begin,
//! `first_delay` doubling every time up to `max_delay`. A success clears the
//! streak; otherwise it is forgotten `forget_after` its last attempt. A
//! streak shared by many clients (an address's) is not cleared by one
//! success but refunded: the attempt is uncounted, and if that brings the
//! streak back under its free attempts, its wait is lifted.
//! `scripts/streak.lua` and `scripts/refund.lua` are [`begin`] and
//! [`refund`] for Redis.

use std::time::Duration;

use crate::gcra::millis;
use crate::limiter::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    /// Attempts a streak may make before the first wait.
    pub free: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub forget_after: Duration,
}

impl FailurePolicy {
    /// How long the attempt after the `count`th of a streak must wait.
    pub fn delay_after(&self, count: u32) -> Duration {
        if count < self.free {
            return Duration::ZERO;
        }
        let doublings = (count - self.free).min(31);
        self.first_delay
            .saturating_mul(1_u32 << doublings)
            .min(self.max_delay)
    }

    pub(crate) fn millis(duration: Duration) -> i64 {
        i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A streak as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Streak {
    pub count: u32,
    /// When the next attempt may begin, ms since the epoch.
    pub next_at: i64,
}

/// What to store after an attempt begins, for `ttl_millis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Update {
    pub streak: Streak,
    pub ttl_millis: i64,
}

/// Begins an attempt at `now`: refused while the streak must wait, else
/// counted. `Ok` carries how many attempts the streak had before this one.
pub(crate) fn begin(
    stored: Option<Streak>,
    now: i64,
    policy: &FailurePolicy,
) -> (Result<u32, Refusal>, Option<Update>) {
    let streak = stored.unwrap_or(Streak {
        count: 0,
        next_at: 0,
    });
    if now < streak.next_at {
        let wait = millis(streak.next_at - now);
        let refusal = Refusal {
            limit: policy.free,
            retry_after: wait,
            reset_after: wait,
        };
        return (Err(refusal), None);
    }
    let count = streak.count.saturating_add(1);
    let delay = FailurePolicy::millis(policy.delay_after(count));
    // A free attempt leaves the wait as it was. Were it to set "not before
    // now", a concurrent attempt whose clock was read a moment earlier but
    // which reached the counter a moment later would be refused.
    let next_at = if delay > 0 {
        now.saturating_add(delay)
    } else {
        streak.next_at
    };
    let update = Update {
        streak: Streak { count, next_at },
        ttl_millis: FailurePolicy::millis(policy.forget_after).saturating_add(delay),
    };
    (Ok(streak.count), Some(update))
}

/// Uncounts one attempt that turned out to be a success.
pub(crate) fn refund(stored: Option<Streak>, policy: &FailurePolicy) -> Option<Streak> {
    let streak = stored?;
    let count = streak.count.saturating_sub(1);
    let next_at = if count < policy.free {
        0
    } else {
        streak.next_at
    };
    Some(Streak { count, next_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> FailurePolicy {
        FailurePolicy {
            free: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            forget_after: Duration::from_secs(3600),
        }
    }

    #[test]
    fn the_free_attempts_pass_at_once_then_each_waits_twice_as_long() {
        let policy = policy();
        let delays: Vec<u64> = (1..=8).map(|n| policy.delay_after(n).as_secs()).collect();
        assert_eq!(delays, [0, 0, 1, 2, 4, 8, 10, 10]);
        assert_eq!(policy.delay_after(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn attempts_arriving_together_are_counted_one_by_one() {
        let policy = policy();
        let mut stored = None;
        let mut passed = Vec::new();
        for _ in 0..10 {
            let (outcome, update) = begin(stored, 0, &policy);
            if let Some(update) = update {
                stored = Some(update.streak);
            }
            passed.push(outcome.is_ok());
        }
        assert_eq!(passed.iter().filter(|ok| **ok).count(), 3);
        let (refused, _) = begin(stored, 500, &policy);
        assert_eq!(refused.unwrap_err().retry_after, Duration::from_millis(500));
        let (fourth, _) = begin(stored, 1000, &policy);
        assert_eq!(fourth.unwrap(), 3);
    }

    #[test]
    fn a_refunded_success_lifts_the_wait_it_caused_under_the_free_attempts() {
        let policy = policy();
        let mut stored = None;
        for _ in 0..3 {
            stored = begin(stored, 0, &policy).1.map(|update| update.streak);
        }
        assert!(
            begin(stored, 10, &policy).0.is_err(),
            "the third attempt set a wait"
        );
        let refunded = refund(stored, &policy);
        assert_eq!(
            refunded,
            Some(Streak {
                count: 2,
                next_at: 0
            })
        );
        assert_eq!(begin(refunded, 10, &policy).0, Ok(2));

        let slow = Some(Streak {
            count: 6,
            next_at: 5000,
        });
        assert_eq!(
            refund(slow, &policy),
            Some(Streak {
                count: 5,
                next_at: 5000
            })
        );
        assert_eq!(refund(None, &policy), None);
    }

    #[test]
    fn free_attempts_reaching_the_counter_out_of_clock_order_all_pass() {
        let policy = policy();
        let (_, later) = begin(None, 1000, &policy);
        let (earlier, _) = begin(later.map(|u| u.streak), 990, &policy);
        assert_eq!(earlier, Ok(1));
    }

    #[test]
    fn a_streak_is_kept_for_its_forget_time_after_the_last_attempt() {
        let (_, update) = begin(None, 0, &policy());
        assert_eq!(update.unwrap().ttl_millis, 3_600_000);
    }
}
