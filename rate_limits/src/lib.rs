//! Rate limits and failure streaks, for the API's throttles.
//!
//! Two kinds of counter, both keyed by a string the caller builds (an
//! address, an account, a pair of them):
//!
//! - a [`Quota`] ("30 per minute") enforced with the generic cell rate
//!   algorithm, which spreads the allowance evenly instead of resetting a
//!   window, so a client cannot spend two windows' worth at a boundary;
//! - a [`FailurePolicy`] streak, for guesses: each attempt is counted before
//!   it is checked, a few are free, and after them every attempt must wait
//!   twice as long as the one before, until a success clears the streak.
//!
//! The counters live in this process by default. With Redis (the API's
//! `ORDERLY_REDIS_URL`) every replica shares them: each decision is one Lua
//! script, so concurrent requests on any replica see each other's counts.
//! When Redis does not answer, the process falls back to its own counters
//! rather than letting requests through unlimited or refusing them all.
//! Keys are stored only as keyed hashes, so emails and addresses never reach
//! Redis in the clear.

mod failure_streak;
mod gcra;
mod limiter;
mod memory;
mod quota;
mod redis_store;

pub use failure_streak::FailurePolicy;
pub use limiter::{Allowance, RateLimiter, Refusal, Verdict};
pub use quota::{Quota, QuotaError};

/// Milliseconds since the Unix epoch, the clock every counter uses. A wall
/// clock, not a monotonic one, because replicas share counters in Redis.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}
