//! The limiter the API holds: keys hashed, decisions taken in Redis when
//! it is configured and answering, in this process otherwise.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::failure_streak::FailurePolicy;
use crate::memory::MemoryStore;
use crate::now_millis;
use crate::quota::Quota;
use crate::redis_store::RedisStore;

/// A request allowed, and what is left of its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub limit: u32,
    pub remaining: u32,
    /// Until the whole quota is available again.
    pub reset_after: Duration,
}

/// A request refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: u32,
    /// Until a request like this one would be allowed.
    pub retry_after: Duration,
    /// Until the whole quota is available again.
    pub reset_after: Duration,
}

pub type Verdict = Result<Allowance, Refusal>;

#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    memory: MemoryStore,
    redis: Option<RedisStore>,
    key_secret: Vec<u8>,
}

impl RateLimiter {
    /// Counters in this process only. `key_secret` keys the hashes that
    /// stand for the caller's keys.
    pub fn in_process(key_secret: &[u8]) -> Self {
        Self::with(None, key_secret)
    }

    /// Counters in the Redis at `url`, under `prefix`, shared with every
    /// process using the same ones. Fails when Redis does not answer now;
    /// later outages fall back to this process's counters.
    pub async fn shared(url: &str, prefix: &str, key_secret: &[u8]) -> anyhow::Result<Self> {
        let redis = RedisStore::connect(url, prefix).await?;
        Ok(Self::with(Some(redis), key_secret))
    }

    fn with(redis: Option<RedisStore>, key_secret: &[u8]) -> Self {
        Self {
            inner: Arc::new(Inner {
                memory: MemoryStore::default(),
                redis,
                key_secret: key_secret.to_vec(),
            }),
        }
    }

    /// Whether the counters are shared through Redis.
    pub fn is_shared(&self) -> bool {
        self.inner.redis.is_some()
    }

    /// Takes one request from `key`'s `quota`.
    pub async fn acquire(&self, key: &str, quota: Quota) -> Verdict {
        let key = self.hashed(key);
        if let Some(redis) = &self.inner.redis {
            match redis.acquire(&key, quota, None).await {
                Ok(verdict) => return verdict,
                Err(error) => unreachable_redis(&error),
            }
        }
        self.inner.memory.acquire(&key, quota, now_millis())
    }

    /// Begins an attempt of `key`'s failure streak; `Ok` carries how many
    /// attempts the streak had made before.
    pub async fn begin_attempt(&self, key: &str, policy: &FailurePolicy) -> Result<u32, Refusal> {
        let key = self.hashed(key);
        if let Some(redis) = &self.inner.redis {
            match redis.begin_attempt(&key, policy, None).await {
                Ok(outcome) => return outcome,
                Err(error) => unreachable_redis(&error),
            }
        }
        self.inner.memory.begin_attempt(&key, policy, now_millis())
    }

    /// Uncounts one attempt of `key`'s streak that succeeded (a streak many
    /// clients share, which one success must not clear).
    pub async fn refund_attempt(&self, key: &str, policy: &FailurePolicy) {
        let key = self.hashed(key);
        if let Some(redis) = &self.inner.redis
            && let Err(error) = redis.refund_attempt(&key, policy).await
        {
            unreachable_redis(&error);
        }
        self.inner.memory.refund_attempt(&key, policy, now_millis());
    }

    /// Clears `key`'s counter (a streak ended by a success).
    pub async fn forget(&self, key: &str) {
        let key = self.hashed(key);
        if let Some(redis) = &self.inner.redis
            && let Err(error) = redis.forget(&key).await
        {
            unreachable_redis(&error);
        }
        self.inner.memory.forget(&key);
    }

    /// The stored name of a key: a keyed hash, so the emails and addresses
    /// in keys are not readable where counters are kept.
    fn hashed(&self, key: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.inner.key_secret)
            .expect("HMAC accepts keys of any length");
        mac.update(key.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

fn unreachable_redis(error: &redis::RedisError) {
    tracing::warn!(%error, "Redis did not answer a rate limit; this process decides alone");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_stored_as_keyed_hashes() {
        let one = RateLimiter::in_process(b"one secret");
        let other = RateLimiter::in_process(b"another secret");
        let key = "login:asha@example.com";
        assert_eq!(one.hashed(key).len(), 32);
        assert!(!one.hashed(key).contains("asha"));
        assert_ne!(one.hashed(key), other.hashed(key));
        assert_eq!(one.hashed(key), one.hashed(key));
    }

    #[tokio::test]
    async fn an_in_process_limiter_refuses_past_its_quota() {
        let limiter = RateLimiter::in_process(b"secret");
        let quota = Quota::per_minute(2).unwrap();
        assert_eq!(limiter.acquire("a", quota).await.unwrap().remaining, 1);
        assert_eq!(limiter.acquire("a", quota).await.unwrap().remaining, 0);
        let refusal = limiter.acquire("a", quota).await.unwrap_err();
        assert!(refusal.retry_after > Duration::from_secs(29), "{refusal:?}");
        assert!(limiter.acquire("b", quota).await.is_ok());
        assert!(!limiter.is_shared());
    }
}
