//! A real HTTP endpoint on loopback that records the webhooks posted to it,
//! standing in for orderly's API so the sandboxes' HTTP calls, signatures
//! and retries are observed on the wire.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use orderly_providers::signature::{SIGNATURE_HEADER, verify};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use url::Url;

pub const SECRET: &str = "whsec_sandbox_test";

/// One accepted request.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub body: Vec<u8>,
}

impl Received {
    /// Whether the request was signed with [`SECRET`] within five minutes.
    pub fn is_signed_with(&self, secret: &str) -> bool {
        verify(
            secret.as_bytes(),
            self.signature.as_deref(),
            &self.body,
            chrono::Utc::now().timestamp(),
            300,
        )
        .is_ok()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the webhook body is JSON")
    }
}

#[derive(Default)]
struct Shared {
    accepted: Mutex<Vec<Received>>,
    arrived: Notify,
    /// Requests still to be answered 503 before accepting any.
    refusals_left: AtomicUsize,
    attempts: AtomicUsize,
}

pub struct Listener {
    url: Url,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Listener {
    pub async fn start() -> Listener {
        Self::refusing_first(0).await
    }

    /// Answers the first `refusals` requests with 503, like an API that is
    /// still starting.
    pub async fn refusing_first(refusals: usize) -> Listener {
        let shared = Arc::new(Shared {
            refusals_left: AtomicUsize::new(refusals),
            ..Shared::default()
        });
        let app = Router::new()
            .route("/webhook", post(receive))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the webhook listener");
        let addr = listener.local_addr().expect("the listener's address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serving webhooks");
        });
        Listener {
            url: Url::parse(&format!("http://{addr}/webhook")).expect("a valid URL"),
            shared,
            server,
        }
    }

    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// Requests answered so far, refused ones included.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.shared.accepted.lock().expect("listener lock").clone()
    }

    /// Waits until `n` requests were accepted or `timeout` passed; returns
    /// what was accepted by then.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let accepted = self.accepted();
            if accepted.len() >= n {
                return accepted;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.accepted();
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    shared.attempts.fetch_add(1, Ordering::SeqCst);
    let refuse = shared
        .refusals_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    if refuse {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    shared
        .accepted
        .lock()
        .expect("listener lock")
        .push(Received {
            signature,
            body: body.to_vec(),
        });
    shared.arrived.notify_waiters();
    StatusCode::NO_CONTENT
}
