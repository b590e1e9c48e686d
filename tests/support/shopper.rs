//! Talking to a [`TestApp`] the way clients, admins, carriers and payment
//! providers do: over HTTP, with tokens and signed webhooks.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use orderly_activities::signature::{SIGNATURE_HEADER, sign};

use crate::app::{ADMIN_EMAIL, ADMIN_PASSWORD, CARRIER_SECRET, PAYMENT_SECRET, TestApp};

/// A response read whole: status, content type and JSON body (Null if none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            content_type,
            body,
        }
    }

    /// Asserts a problem+json answer with this status.
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected answer: {:#}", self.body);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "content type {} for {:#}",
            self.content_type,
            self.body
        );
        assert_eq!(self.body["status"], status);
        self
    }

    /// The `field` names of a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::read(request.send().await.expect("GET")).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::read(request.send().await.expect("POST")).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self.http.put(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::read(request.send().await.expect("PUT")).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::read(request.send().await.expect("POST")).await
    }

    /// Registers a new customer and returns their access token.
    pub async fn customer(&self, name: &str) -> String {
        let email = format!(
            "{}-{}@example.test",
            name.to_lowercase(),
            uuid::Uuid::now_v7().simple()
        );
        let answer = self
            .post(
                "/v1/auth/register",
                None,
                &json!({"email": email, "password": "correct horse battery", "name": name}),
            )
            .await;
        assert_eq!(answer.status, 201, "register: {:#}", answer.body);
        answer.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub async fn admin(&self) -> String {
        let answer = self
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(answer.status, 200, "admin login: {:#}", answer.body);
        answer.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Creates a product with this much stock, through the store (catalog
    /// management has no API yet).
    pub async fn stock_product(&self, sku: &str, price_paise: i64, on_hand: i64) {
        use orderly_activities::store::Product;
        use orderly_domain::{Currency, Money, Sku};
        let sku = Sku::parse(sku).expect("test SKU");
        self.store
            .upsert_product(&Product {
                sku: sku.clone(),
                name: format!("Product {sku}"),
                description: "test product".into(),
                unit: "each".into(),
                price: Money::new(price_paise, Currency::INR),
                category: "Fruit".into(),
                active: true,
            })
            .await
            .expect("creating a product");
        self.store
            .set_on_hand(&sku, on_hand)
            .await
            .expect("stocking it");
    }

    pub async fn place(&self, token: &str, order: &Value) -> Answer {
        self.post("/v1/orders", Some(token), order).await
    }

    /// Polls the order until `done` holds or `timeout` passes; returns the
    /// last order seen.
    pub async fn wait_for(
        &self,
        token: &str,
        order_id: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self
                .get(&format!("/v1/orders/{order_id}"), Some(token))
                .await;
            if answer.status == 200 && done(&answer.body) {
                return answer.body;
            }
            if Instant::now() > deadline {
                panic!(
                    "order {order_id} did not get there in {timeout:?}; last: {:#}",
                    answer.body
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_for_status(&self, token: &str, order_id: &str, status: &str) -> Value {
        self.wait_for(token, order_id, Duration::from_secs(30), |o| {
            o["status"] == status
        })
        .await
    }

    /// Posts a signed webhook body with the given timestamp.
    pub async fn signed_webhook(
        &self,
        path: &str,
        secret: &str,
        body: &Value,
        timestamp: i64,
    ) -> Answer {
        let raw = serde_json::to_vec(body).expect("webhook JSON");
        let signature = sign(secret.as_bytes(), timestamp, &raw);
        self.post_raw(
            path,
            None,
            "application/json",
            raw,
            &[(SIGNATURE_HEADER, &signature)],
        )
        .await
    }

    pub async fn carrier_event(&self, tracking_id: &str, event_id: &str, status: &str) -> Answer {
        let body = json!({
            "event_id": event_id,
            "tracking_id": tracking_id,
            "status": status,
            "occurred_at": Utc::now().to_rfc3339(),
            "location": "Pune hub",
        });
        self.signed_webhook(
            "/v1/webhooks/carriers/sandbox",
            CARRIER_SECRET,
            &body,
            Utc::now().timestamp(),
        )
        .await
    }

    pub async fn payment_event(&self, order_id: &str, event_id: &str, status: &str) -> Answer {
        let body = json!({"event_id": event_id, "order_id": order_id, "status": status});
        self.signed_webhook(
            "/v1/webhooks/payments/sandbox",
            PAYMENT_SECRET,
            &body,
            Utc::now().timestamp(),
        )
        .await
    }
}

/// A delivery order for `items` paid with `payment`.
pub fn delivery_order(items: Value, payment: Value) -> Value {
    json!({
        "items": items,
        "payment": payment,
        "fulfillment": {"type": "delivery", "address": {
            "name": "Asha Rao", "line1": "12 MG Road", "city": "Pune",
            "postal_code": "411001", "country": "IN"
        }}
    })
}

pub fn card(number: &str) -> Value {
    json!({"method": "card", "card_number": number})
}
