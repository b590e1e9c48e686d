//! Drives real orders through the REST API, as a shop would: place, wait for
//! payment, pack, then the carrier's three webhooks, until delivered.

use orderly_providers::sandbox_values::CARD_APPROVED;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use orderly_providers::signature::{SIGNATURE_HEADER, sign};

use super::stats::Latencies;

pub const BENCH_SKU: &str = "BENCH-APPLE-1KG";

/// How often an order left open is sent before the bench gives up on it.
const PLACING_ATTEMPTS: u32 = 8;

/// The one-box card order every bench order is.
fn order_body() -> Value {
    json!({
        "items": [{"sku": BENCH_SKU, "quantity": 1}],
        "payment": {"method": "card", "card_number": CARD_APPROVED},
        "fulfillment": {"type": "delivery", "address": {
            "name": "Bench", "line1": "1 Load St", "city": "Pune", "postal_code": "411001", "country": "IN"}}
    })
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub carrier_secret: String,
}

impl Api {
    pub fn new(addr: SocketAddr, carrier_secret: String) -> Self {
        Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap_or_default(),
            base: format!("http://{addr}"),
            carrier_secret,
        }
    }

    pub async fn register(&self, n: usize) -> anyhow::Result<String> {
        let email = format!("bench-{n}-{}@bench.test", uuid::Uuid::now_v7().simple());
        let answer: Value = self
            .http
            .post(format!("{}/v1/auth/register", self.base))
            .json(&json!({"email": email, "password": "bench-password-1", "name": format!("Bench {n}")}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        token(&answer)
    }

    /// The body of `GET path` as the customer with `token` reads it.
    pub async fn order_body(&self, path: &str, token: &str) -> anyhow::Result<Vec<u8>> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?
            .to_vec())
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let answer: Value = self
            .http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        token(&answer)
    }

    /// Places a card order; returns its id and how long the POST took.
    pub async fn place(&self, token: &str) -> anyhow::Result<(String, Duration)> {
        let sent = Instant::now();
        let response = self
            .http
            .post(format!("{}/v1/orders", self.base))
            .bearer_auth(token)
            .json(&order_body())
            .send()
            .await?;
        let took = sent.elapsed();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.as_u16() != 201 {
            bail!("POST /v1/orders answered {status}: {answer}");
        }
        let id = answer["id"].as_str().context("order id")?.to_owned();
        Ok((id, took))
    }

    /// Places a card order as a patient client does: an answer of 503
    /// (Temporal did not answer within the API's deadline) is sent again
    /// under the same `Idempotency-Key`, so the order is placed once
    /// however often it is sent.
    async fn place_patiently(&self, token: &str, key: &str) -> anyhow::Result<()> {
        for attempt in 0..PLACING_ATTEMPTS {
            let response = self
                .http
                .post(format!("{}/v1/orders", self.base))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&order_body())
                .send()
                .await?;
            let status = response.status();
            match status.as_u16() {
                200 | 201 => return Ok(()),
                503 => tokio::time::sleep(Duration::from_secs(1 << attempt.min(4))).await,
                _ => {
                    let answer: Value = response.json().await.unwrap_or(Value::Null);
                    bail!("POST /v1/orders answered {status}: {answer}");
                }
            }
        }
        bail!("POST /v1/orders was still unavailable after {PLACING_ATTEMPTS} attempts")
    }

    async fn order(&self, token: &str, id: &str) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}/v1/orders/{id}", self.base))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    pub async fn wait_for(&self, token: &str, id: &str, status: &str) -> anyhow::Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let order = self.order(token, id).await?;
            if order["status"] == status {
                return Ok(order);
            }
            if Instant::now() > deadline {
                bail!("order {id} stuck at {}", order["status"]);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn pack(&self, admin: &str, id: &str) -> anyhow::Result<()> {
        self.http
            .post(format!("{}/v1/orders/{id}/pack", self.base))
            .bearer_auth(admin)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn carrier(&self, tracking: &str, status: &str) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&json!({
            "event_id": format!("{tracking}-{status}"),
            "tracking_id": tracking,
            "status": status,
            "occurred_at": Utc::now().to_rfc3339(),
        }))?;
        let signature = sign(
            self.carrier_secret.as_bytes(),
            Utc::now().timestamp(),
            &body,
        );
        self.http
            .post(format!("{}/v1/webhooks/carriers/sandbox", self.base))
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// One whole delivery order; returns the POST latency.
    pub async fn lifecycle(&self, token: &str, admin: &str) -> anyhow::Result<(String, Duration)> {
        let (id, took) = self.place(token).await?;
        self.wait_for(token, &id, "paid").await?;
        self.pack(admin, &id).await?;
        let shipped = self.wait_for(token, &id, "shipped").await?;
        let tracking = shipped["shipment"]["tracking_id"]
            .as_str()
            .context("tracking id")?
            .to_owned();
        for status in ["in_transit", "out_for_delivery", "delivered"] {
            self.carrier(&tracking, status).await?;
        }
        self.wait_for(token, &id, "delivered").await?;
        Ok((id, took))
    }
}

fn token(answer: &Value) -> anyhow::Result<String> {
    Ok(answer["access_token"]
        .as_str()
        .context("access_token")?
        .to_owned())
}

pub struct LifecycleRun {
    pub orders_per_second: f64,
    pub post_latency: Latencies,
    pub last_order: String,
    pub last_token: String,
}

/// `count` full lifecycles, `tokens.len()` at a time (one customer each).
pub async fn run(
    api: &Api,
    tokens: &[String],
    admin: &str,
    count: usize,
) -> anyhow::Result<LifecycleRun> {
    let permits = Arc::new(Semaphore::new(tokens.len().max(1)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = permits.clone().acquire_owned().await.context("semaphore")?;
        let api = api.clone();
        let token = tokens[i % tokens.len()].clone();
        let admin = admin.to_owned();
        tasks.push(tokio::spawn(async move {
            let result = api
                .lifecycle(&token, &admin)
                .await
                .map(|(id, took)| (id, took, token));
            drop(permit);
            result
        }));
    }
    let mut post_latency = Latencies::default();
    let mut last = (String::new(), String::new());
    for task in tasks {
        let (id, took, token) = task.await.context("lifecycle task")??;
        post_latency.push(took);
        last = (id, token);
    }
    Ok(LifecycleRun {
        orders_per_second: count as f64 / started.elapsed().as_secs_f64(),
        post_latency,
        last_order: last.0,
        last_token: last.1,
    })
}

/// Orders arriving at a steady `rate` per second (open loop, not waiting
/// for earlier ones): the POST latency a shop sees below saturation.
pub async fn paced(
    api: &Api,
    tokens: &[String],
    rate: f64,
    count: usize,
) -> anyhow::Result<Latencies> {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        ticker.tick().await;
        let api = api.clone();
        let token = tokens[i % tokens.len()].clone();
        tasks.push(tokio::spawn(async move { api.place(&token).await }));
    }
    let mut latencies = Latencies::default();
    for task in tasks {
        let (_, took) = task.await.context("paced task")??;
        latencies.push(took);
    }
    Ok(latencies)
}

/// Places `count` orders, each sent again while the API is too busy to
/// answer in time, and leaves them waiting to be packed.
pub async fn open_orders(api: &Api, tokens: &[String], count: usize) -> anyhow::Result<()> {
    let permits = Arc::new(Semaphore::new(tokens.len().max(1)));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = permits.clone().acquire_owned().await.context("semaphore")?;
        let api = api.clone();
        let token = tokens[i % tokens.len()].clone();
        tasks.push(tokio::spawn(async move {
            let result = api
                .place_patiently(&token, &format!("bench-open-{i}"))
                .await;
            drop(permit);
            result
        }));
    }
    for task in tasks {
        task.await.context("open order task")??;
    }
    Ok(())
}
