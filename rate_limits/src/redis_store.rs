//! Counters shared by every replica through Redis: each decision is one Lua
//! script (`scripts/`), so two replicas deciding for the same key at the same
//! moment are serialized by Redis itself.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};

use crate::failure_streak::FailurePolicy;
use crate::gcra::millis;
use crate::limiter::{Allowance, Refusal, Verdict};
use crate::quota::Quota;

/// A decision waits this long for Redis before the process decides alone.
const ANSWER_WITHIN: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub(crate) struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    gcra: Script,
    streak: Script,
    refund: Script,
}

impl RedisStore {
    /// Connects to `url` and checks that Redis answers.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(ANSWER_WITHIN))
            .set_number_of_retries(1);
        let mut connection = client.get_connection_manager_with_config(config).await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await?;
        Ok(Self {
            connection,
            prefix: format!("{prefix}:rate:"),
            gcra: Script::new(include_str!("scripts/gcra.lua")),
            streak: Script::new(include_str!("scripts/streak.lua")),
            refund: Script::new(include_str!("scripts/refund.lua")),
        })
    }

    /// Decides at `now`, or at Redis's own time when `None`.
    pub async fn acquire(&self, key: &str, quota: Quota, now: Option<i64>) -> RedisResult<Verdict> {
        let mut connection = self.connection.clone();
        let (allowed, first, second): (i64, i64, i64) = self
            .gcra
            .key(self.key(key))
            .arg(now.map(|now| now.to_string()).unwrap_or_default())
            .arg(quota.interval_millis())
            .arg(quota.period_millis())
            .invoke_async(&mut connection)
            .await?;
        Ok(if allowed == 1 {
            let remaining = (quota.period_millis() - first) / quota.interval_millis();
            Ok(Allowance {
                limit: quota.count(),
                remaining: u32::try_from(remaining.max(0))
                    .unwrap_or(u32::MAX)
                    .min(quota.count()),
                reset_after: millis(second),
            })
        } else {
            Err(Refusal {
                limit: quota.count(),
                retry_after: millis(first),
                reset_after: millis(second),
            })
        })
    }

    pub async fn begin_attempt(
        &self,
        key: &str,
        policy: &FailurePolicy,
        now: Option<i64>,
    ) -> RedisResult<Result<u32, Refusal>> {
        let mut connection = self.connection.clone();
        let (began, prior, wait): (i64, i64, i64) = self
            .streak
            .key(self.key(key))
            .arg(now.map(|now| now.to_string()).unwrap_or_default())
            .arg(policy.free)
            .arg(FailurePolicy::millis(policy.first_delay))
            .arg(FailurePolicy::millis(policy.max_delay))
            .arg(FailurePolicy::millis(policy.forget_after))
            .invoke_async(&mut connection)
            .await?;
        Ok(if began == 1 {
            Ok(u32::try_from(prior).unwrap_or(u32::MAX))
        } else {
            Err(Refusal {
                limit: policy.free,
                retry_after: millis(wait),
                reset_after: millis(wait),
            })
        })
    }

    pub async fn refund_attempt(&self, key: &str, policy: &FailurePolicy) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        self.refund
            .key(self.key(key))
            .arg(policy.free)
            .invoke_async::<()>(&mut connection)
            .await
    }

    pub async fn forget(&self, key: &str) -> RedisResult<()> {
        let mut connection = self.connection.clone();
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut connection)
            .await
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    //! Against the Redis on loopback (`ORDERLY_TEST_REDIS_URL`), each test
    //! under a prefix of its own.

    use super::*;
    use crate::{failure_streak, gcra};

    fn url() -> String {
        std::env::var("ORDERLY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    async fn store() -> RedisStore {
        let prefix = format!("orderly-test-{}", uuid::Uuid::new_v4());
        RedisStore::connect(&url(), &prefix)
            .await
            .expect("the test Redis on loopback")
    }

    #[tokio::test]
    async fn the_gcra_script_decides_as_the_rust_step_does() {
        let store = store().await;
        let quota = Quota::new(3, Duration::from_secs(3)).unwrap();
        let start = 1_764_600_000_000;
        let mut tat = None;
        for offset in [0, 0, 0, 0, 999, 1000, 1001, 2500, 9000, 9000] {
            let now = start + offset;
            let (expected, update) = gcra::step(tat, now, quota);
            if let Some(update) = update {
                tat = Some(update.tat);
            }
            let decided = store.acquire("client", quota, Some(now)).await.unwrap();
            assert_eq!(decided, expected, "at +{offset} ms");
        }
    }

    #[tokio::test]
    async fn the_streak_script_decides_as_the_rust_step_does() {
        let store = store().await;
        let policy = FailurePolicy {
            free: 2,
            first_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(2),
            forget_after: Duration::from_secs(60),
        };
        let start = 1_764_600_000_000;
        let mut stored = None;
        for offset in [0, 0, 0, 399, 400, 401, 1200, 2000, 5000, 9000, 9001] {
            let now = start + offset;
            let (expected, update) = failure_streak::begin(stored, now, &policy);
            if let Some(update) = update {
                stored = Some(update.streak);
            }
            let decided = store
                .begin_attempt("client", &policy, Some(now))
                .await
                .unwrap();
            assert_eq!(decided, expected, "at +{offset} ms");
        }
        store.forget("client").await.unwrap();
        assert_eq!(
            store
                .begin_attempt("client", &policy, Some(start + 9002))
                .await
                .unwrap(),
            Ok(0)
        );
    }

    #[tokio::test]
    async fn the_refund_script_uncounts_as_the_rust_refund_does() {
        let store = store().await;
        let policy = FailurePolicy {
            free: 2,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
            forget_after: Duration::from_secs(60),
        };
        let now = 1_764_600_000_000;
        store
            .begin_attempt("shared", &policy, Some(now))
            .await
            .unwrap()
            .unwrap();
        store
            .begin_attempt("shared", &policy, Some(now))
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .begin_attempt("shared", &policy, Some(now))
                .await
                .unwrap()
                .is_err()
        );
        store.refund_attempt("shared", &policy).await.unwrap();
        assert_eq!(
            store
                .begin_attempt("shared", &policy, Some(now))
                .await
                .unwrap(),
            Ok(1)
        );
        store.refund_attempt("never-seen", &policy).await.unwrap();
        assert_eq!(
            store
                .begin_attempt("never-seen", &policy, Some(now))
                .await
                .unwrap(),
            Ok(0)
        );
    }

    #[tokio::test]
    async fn counters_expire_in_redis_with_their_ttl() {
        let store = store().await;
        let quota = Quota::new(1, Duration::from_millis(300)).unwrap();
        let now = crate::now_millis();
        store
            .acquire("client", quota, Some(now))
            .await
            .unwrap()
            .unwrap();
        let mut connection = store.connection.clone();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(store.key("client"))
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!((1..=300).contains(&ttl), "{ttl}");
    }

    #[tokio::test]
    async fn without_a_time_given_the_scripts_decide_on_redis_s_clock() {
        let store = store().await;
        let quota = Quota::new(2, Duration::from_secs(60)).unwrap();
        assert!(store.acquire("clock", quota, None).await.unwrap().is_ok());
        assert!(store.acquire("clock", quota, None).await.unwrap().is_ok());
        let refusal = store
            .acquire("clock", quota, None)
            .await
            .unwrap()
            .unwrap_err();
        // A counter read against a time of 0 would be decades in the future.
        assert!(refusal.retry_after <= Duration::from_secs(30));
        let policy = FailurePolicy {
            free: 1,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
            forget_after: Duration::from_secs(60),
        };
        assert_eq!(
            store.begin_attempt("streak", &policy, None).await.unwrap(),
            Ok(0)
        );
        let wait = store
            .begin_attempt("streak", &policy, None)
            .await
            .unwrap()
            .unwrap_err();
        assert!(wait.retry_after <= Duration::from_secs(60));
    }
}
