//! Limiters of several processes sharing Redis, and a Redis that goes away.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use orderly_rate_limits::{FailurePolicy, Quota, RateLimiter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

const SECRET: &[u8] = b"shared-counters-test-secret";

fn redis_url() -> String {
    std::env::var("ORDERLY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn prefix() -> String {
    format!("orderly-test-{}", uuid::Uuid::new_v4())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_redis_enforce_one_quota_under_parallel_requests() {
    let prefix = prefix();
    let one = RateLimiter::shared(&redis_url(), &prefix, SECRET)
        .await
        .unwrap();
    let other = RateLimiter::shared(&redis_url(), &prefix, SECRET)
        .await
        .unwrap();
    assert!(one.is_shared());
    let quota = Quota::per_minute(20).unwrap();
    let verdicts = join_all((0..60).map(|n| {
        let limiter = if n % 2 == 0 {
            one.clone()
        } else {
            other.clone()
        };
        async move { limiter.acquire("login:address:203.0.113.7", quota).await }
    }))
    .await;
    assert_eq!(verdicts.iter().filter(|v| v.is_ok()).count(), 20);
    let refusal = verdicts.iter().find_map(|v| v.err()).unwrap();
    assert!(refusal.retry_after > Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_attempts_of_one_streak_on_two_replicas_let_only_the_free_ones_through() {
    let prefix = prefix();
    let one = RateLimiter::shared(&redis_url(), &prefix, SECRET)
        .await
        .unwrap();
    let other = RateLimiter::shared(&redis_url(), &prefix, SECRET)
        .await
        .unwrap();
    let policy = FailurePolicy {
        free: 5,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        forget_after: Duration::from_secs(60),
    };
    let outcomes = join_all((0..60).map(|n| {
        let limiter = if n % 2 == 0 {
            one.clone()
        } else {
            other.clone()
        };
        async move { limiter.begin_attempt("login:pair", &policy).await }
    }))
    .await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 5);
    other.forget("login:pair").await;
    assert_eq!(one.begin_attempt("login:pair", &policy).await, Ok(0));
}

#[tokio::test]
async fn a_limiter_refuses_when_redis_is_not_there_at_start() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let result = RateLimiter::shared(&format!("redis://{address}"), &prefix(), SECRET).await;
    assert!(result.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_stops_answering_each_process_keeps_limiting_on_its_own() {
    let proxy = Proxy::start(redis_url_address()).await;
    let limiter = RateLimiter::shared(&format!("redis://{}", proxy.address), &prefix(), SECRET)
        .await
        .unwrap();
    let quota = Quota::per_minute(3).unwrap();
    assert!(limiter.acquire("writes:someone", quota).await.is_ok());
    proxy.cut();
    let verdicts = join_all((0..10).map(|_| limiter.acquire("writes:someone", quota))).await;
    // Redis's count is out of reach: this process counts afresh, still
    // holding the quota rather than letting everything through.
    assert_eq!(verdicts.iter().filter(|v| v.is_ok()).count(), 3);
}

fn redis_url_address() -> SocketAddr {
    let url = redis_url();
    let rest = url.trim_start_matches("redis://");
    let host_port = rest.split('/').next().unwrap_or(rest);
    std::net::ToSocketAddrs::to_socket_addrs(host_port)
        .ok()
        .and_then(|mut found| found.next())
        .expect("ORDERLY_TEST_REDIS_URL names a reachable host")
}

/// A TCP proxy in front of Redis that can be cut, as a network partition is.
struct Proxy {
    address: SocketAddr,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let cut = Arc::new(Notify::new());
        let stop = Arc::clone(&cut);
        tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    () = stop.notified() => break,
                    Ok((client, _)) = listener.accept() => {
                        connections.spawn(forward(client, upstream));
                    }
                }
            }
            connections.abort_all();
        });
        Self { address, cut }
    }

    fn cut(&self) {
        self.cut.notify_one();
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
