//! Talking to a [`TestApp`] the way clients, admins, carriers and payment
//! providers do: over HTTP, with tokens and signed webhooks.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use orderly_providers::signature::{SIGNATURE_HEADER, sign};

use crate::app::{ADMIN_EMAIL, ADMIN_PASSWORD, CARRIER_SECRET, PAYMENT_SECRET, TestApp};

/// A response read whole: status, headers and JSON body (Null if none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// A header as a number (`Retry-After`, `RateLimit-Remaining`).
    pub fn number_header(&self, name: &str) -> Option<u64> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok())
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

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self.http.patch(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Answer::read(request.send().await.expect("PATCH")).await
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
        use orderly_domain::{Currency, Money, Sku};
        use orderly_store::Product;
        let sku = Sku::parse(sku).expect("test SKU");
        self.store
            .catalog()
            .upsert_product(&Product {
                sku: sku.clone(),
                name: format!("Product {sku}"),
                description: "test product".into(),
                unit: "each".into(),
                price: Money::new(price_paise, Currency::INR),
                category: "Fruit".into(),
                active: true,
                ..Default::default()
            })
            .await
            .expect("creating a product");
        self.store
            .inventory()
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

    /// Polls the order until it has `status`. A final status is shown
    /// before the workflow's last steps (the notifications about it) ran, so
    /// for one this also waits for the workflow to close: afterwards what
    /// it did can be counted exactly.
    pub async fn wait_for_status(&self, token: &str, order_id: &str, status: &str) -> Value {
        let order = self
            .wait_for(token, order_id, Duration::from_secs(30), |o| {
                o["status"] == status
            })
            .await;
        let is_final = serde_json::from_value::<orderly_domain::OrderStatus>(json!(status))
            .is_ok_and(|status| status.is_final());
        if is_final {
            let _ = self.workflow_outcome(order_id).await;
        }
        order
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

    /// The carrier takes a parcel the whole way: in transit, out for
    /// delivery, delivered (each event accepted).
    pub async fn carrier_delivers(&self, tracking_id: &str) {
        for status in ["in_transit", "out_for_delivery", "delivered"] {
            let event_id = format!("{tracking_id}-{status}");
            let answer = self.carrier_event(tracking_id, &event_id, status).await;
            assert_eq!(answer.status, 200, "{status}: {:#}", answer.body);
        }
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

/// A pickup order (collected at the store) for `items` paid with `payment`.
pub fn pickup_order(items: Value, payment: Value) -> Value {
    json!({"items": items, "payment": payment, "fulfillment": {"type": "pickup"}})
}

pub fn upi(vpa: &str) -> Value {
    json!({"method": "upi", "vpa": vpa})
}

pub fn netbanking(bank_code: &str) -> Value {
    json!({"method": "netbanking", "bank_code": bank_code})
}

pub fn cash_on_delivery() -> Value {
    json!({"method": "cod"})
}

/// The `id` of a 201 answer to placing an order.
pub fn placed_id(answer: &Answer) -> String {
    assert_eq!(answer.status, 201, "placing the order: {:#}", answer.body);
    answer.body["id"].as_str().expect("order id").to_owned()
}

impl TestApp {
    /// Waits until the order's workflow has closed and returns how it ended.
    /// Everything the workflow does (ledger rows, notifications, stock moves)
    /// happens before it closes, so afterwards those can be counted exactly.
    pub async fn workflow_outcome(
        &self,
        order_id: &str,
    ) -> Result<orderly_workflows::OrderOutcome, temporalio_client::errors::WorkflowGetResultError>
    {
        let id: orderly_domain::OrderId = order_id.parse().expect("an order id");
        let handle = self
            .temporal
            .get_workflow_handle::<orderly_workflows::OrderWorkflow>(
                orderly_workflows::order_workflow_id(id),
            );
        tokio::time::timeout(
            Duration::from_secs(60),
            handle.get_result(temporalio_client::WorkflowGetResultOptions::default()),
        )
        .await
        .unwrap_or_else(|_| panic!("the workflow of order {order_id} did not close in 60 s"))
    }

    /// Waits for the order's workflow to close and returns the order as it
    /// ended.
    pub async fn finished_order(&self, order_id: &str) -> orderly_domain::OrderView {
        match self.workflow_outcome(order_id).await {
            Ok(orderly_workflows::OrderOutcome::Completed(view)) => *view,
            other => panic!("order {order_id} ended unexpectedly: {other:?}"),
        }
    }

    /// `(on_hand, reserved)` of a SKU.
    pub async fn stock_levels(&self, sku: &str) -> (i64, i64) {
        let sku = orderly_domain::Sku::parse(sku).expect("test SKU");
        let level = self
            .store
            .inventory()
            .stock(&sku)
            .await
            .expect("reading stock")
            .expect("a stocked SKU");
        (level.on_hand, level.reserved)
    }

    /// The order's payment ledger rows, oldest first.
    /// The money that moved for the order: its settled ledger entries.
    pub async fn ledger(&self, order_id: &str) -> Vec<orderly_store::LedgerEntry> {
        self.ledger_entries(order_id)
            .await
            .into_iter()
            .filter(|entry| entry.status == orderly_store::LedgerStatus::Settled)
            .collect()
    }

    /// Every ledger entry of the order, pending and failed ones included.
    pub async fn ledger_entries(&self, order_id: &str) -> Vec<orderly_store::LedgerEntry> {
        self.store
            .ledger()
            .ledger_for_order(order_id.parse().expect("an order id"))
            .await
            .expect("reading the ledger")
    }

    /// How many notifications of `kind` on `channel` the order produced.
    /// Asserts that the order queued each of `kinds` exactly once on each
    /// channel (in-app and email) and nothing else; returns the Message-IDs
    /// its emails carry.
    pub async fn assert_notified_exactly(
        &self,
        order_id: &str,
        kinds: &[orderly_domain::NotificationKind],
    ) -> Vec<String> {
        let mut message_ids = Vec::new();
        for kind in orderly_domain::NotificationKind::ALL {
            let expected = i64::from(kinds.contains(&kind));
            for channel in ["in_app", "email"] {
                assert_eq!(
                    self.notification_count(order_id, kind, channel).await,
                    expected,
                    "{kind:?} by {channel} for {order_id}"
                );
            }
            if expected == 1 {
                message_ids.push(format!("<{order_id}.{}.email@orderly>", kind.as_str()));
            }
        }
        message_ids
    }

    pub async fn notification_count(
        &self,
        order_id: &str,
        kind: orderly_domain::NotificationKind,
        channel: &str,
    ) -> i64 {
        self.store
            .notifications()
            .count_notifications(order_id.parse().expect("an order id"), kind, channel)
            .await
            .expect("counting notifications")
    }
}

impl Answer {
    /// Asserts an RFC 9457 problem with this status that a client can show:
    /// a `type` URI, a `title` and a `detail`, served as problem+json.
    pub fn assert_complete_problem(&self, status: u16) -> &Self {
        self.assert_problem(status);
        for member in ["type", "title", "detail"] {
            let text = self.body[member].as_str().unwrap_or_default();
            assert!(
                !text.is_empty(),
                "problem without {member}: {:#}",
                self.body
            );
        }
        self
    }
}

/// Everything that placing an order writes: the read model, the ledger,
/// stock counts and the customers' notifications. Two equal footprints
/// around a refused request show it wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    pub order_ids: Vec<String>,
    pub ledger_entries: i64,
    /// `(sku, on_hand, reserved)`.
    pub stock: Vec<(String, i64, i64)>,
    pub notifications: usize,
}

impl TestApp {
    /// The id of the account `token` was issued to.
    pub async fn account_id(&self, token: &str) -> orderly_domain::UserId {
        let me = self.get("/v1/me", Some(token)).await;
        assert_eq!(me.status, 200, "GET /v1/me: {:#}", me.body);
        me.body["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a user id")
    }

    /// Places an order with an `Idempotency-Key` header.
    pub async fn place_with_key(&self, token: &str, key: &str, order: &Value) -> Answer {
        let body = serde_json::to_vec(order).expect("order JSON");
        self.post_raw(
            "/v1/orders",
            Some(token),
            "application/json",
            body,
            &[("Idempotency-Key", key)],
        )
        .await
    }

    /// What placing orders has written so far, for these SKUs and the
    /// customers holding these tokens.
    pub async fn footprint(&self, skus: &[&str], customers: &[&str]) -> Footprint {
        use orderly_domain::LedgerKind;
        use orderly_store::OrderFilter;
        let order_ids = self
            .store
            .orders()
            .list_orders(&OrderFilter {
                limit: 1000,
                open_returns: false,
                ..OrderFilter::default()
            })
            .await
            .expect("listing orders")
            .into_iter()
            .map(|order| order.id.to_string())
            .collect();
        let mut ledger_entries = 0;
        for kind in [
            LedgerKind::Authorize,
            LedgerKind::Capture,
            LedgerKind::Void,
            LedgerKind::Refund,
        ] {
            ledger_entries += self
                .store
                .ledger()
                .count_ledger_entries(kind)
                .await
                .expect("counting ledger entries");
        }
        let mut stock = Vec::new();
        for sku in skus {
            let (on_hand, reserved) = self.stock_levels(sku).await;
            stock.push(((*sku).to_owned(), on_hand, reserved));
        }
        let mut notifications = 0;
        for token in customers {
            let user = self.account_id(token).await;
            for channel in ["in_app", "email"] {
                notifications += self
                    .store
                    .notifications()
                    .notifications_for_user(user, channel, None, 1000)
                    .await
                    .expect("reading notifications")
                    .len();
            }
        }
        Footprint {
            order_ids,
            ledger_entries,
            stock,
            notifications,
        }
    }
}

impl TestApp {
    /// Polls the caller's in-app inbox until it holds at least `n`
    /// notifications; returns the first page, newest first.
    pub async fn wait_for_inbox(&self, token: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = self.get("/v1/me/notifications", Some(token)).await;
            assert_eq!(answer.status, 200, "inbox: {:#}", answer.body);
            let items = answer.body["items"].as_array().cloned().unwrap_or_default();
            if items.len() >= n {
                return items;
            }
            if Instant::now() > deadline {
                panic!("the inbox did not reach {n} notifications in 30 s: {items:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl TestApp {
    /// Asks to cancel the order, as the holder of `token`.
    pub async fn cancel(&self, token: &str, order_id: &str) -> Answer {
        self.post(
            &format!("/v1/orders/{order_id}/cancel"),
            Some(token),
            &serde_json::json!({}),
        )
        .await
    }

    /// Packs a paid delivery order and waits until the parcel is with the
    /// carrier and its shipment workflow runs, so that carrier webhooks
    /// reach it. Returns the tracking id.
    pub async fn ship(&self, admin: &str, customer: &str, order_id: &str) -> String {
        let packed = self
            .post(
                &format!("/v1/orders/{order_id}/pack"),
                Some(admin),
                &json!({}),
            )
            .await;
        assert_eq!(packed.status, 200, "packing: {:#}", packed.body);
        let shipped = self.wait_for_status(customer, order_id, "shipped").await;
        self.wait_for_shipment_workflow(order_id, Duration::from_secs(30))
            .await;
        shipped["shipment"]["tracking_id"]
            .as_str()
            .expect("a tracking id")
            .to_owned()
    }

    /// Waits until the workflow of the order's first shipment exists. The order shows as
    /// shipped a moment before its child workflow starts, and a carrier
    /// webhook in between is answered 503 (the carrier retries).
    pub async fn wait_for_shipment_workflow(&self, order_id: &str, timeout: Duration) {
        let id: orderly_domain::OrderId = order_id.parse().expect("an order id");
        let handle = self
            .temporal
            .get_workflow_handle::<orderly_workflows::ShipmentWorkflow>(
                orderly_workflows::shipment_workflow_id(id, 1),
            );
        let deadline = Instant::now() + timeout;
        while let Err(err) = handle.describe(Default::default()).await {
            assert!(
                Instant::now() < deadline,
                "the shipment workflow of order {order_id} did not start in {timeout:?}: {err}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls the order's ops alerts until one of `kind` appears; returns them all.
    pub async fn wait_for_ops_alert(
        &self,
        order_id: &str,
        kind: &str,
        timeout: Duration,
    ) -> Vec<orderly_store::OpsAlert> {
        let id: orderly_domain::OrderId = order_id.parse().expect("an order id");
        let deadline = Instant::now() + timeout;
        loop {
            let alerts = self
                .store
                .ops_alerts()
                .ops_alerts_for_order(id)
                .await
                .expect("reading ops alerts");
            if alerts.iter().any(|a| a.kind == kind) {
                return alerts;
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} alert for order {order_id} in {timeout:?}; alerts: {alerts:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl TestApp {
    /// Any method with an optional JSON body and extra headers, for the
    /// verbs the helpers above do not cover (PATCH, DELETE).
    pub async fn request_with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::read(request.send().await.expect("request")).await
    }
}

impl TestApp {
    /// Writes a delivered order of one unit of each of `skus` for
    /// `customer` straight into the read model, as the order workflow does
    /// at its last transition, without running the workflow: for tests that
    /// need an order history (reviews, recommendations). Returns its id.
    pub async fn deliver_directly(
        &self,
        customer: orderly_domain::UserId,
        skus: &[&str],
    ) -> orderly_domain::OrderId {
        use orderly_domain::{
            Currency, Fulfillment, Money, OrderId, OrderLine, OrderStatus, OrderView,
            PaymentMethod, PaymentStatus, PaymentView, Quantity, Receipt, Sku,
        };
        let price = Money::new(1_000, Currency::INR);
        let items: Vec<OrderLine> = skus
            .iter()
            .map(|sku| OrderLine {
                sku: Sku::parse(sku).expect("test SKU"),
                name: format!("Product {sku}"),
                quantity: Quantity::parse(1).expect("one unit"),
                unit_price: price,
                subtotal: price,
            })
            .collect();
        let total = Money::new(price.amount * items.len() as i64, Currency::INR);
        let now = Utc::now();
        let view = OrderView {
            id: OrderId::new(),
            customer_id: customer,
            status: OrderStatus::Delivered,
            items,
            total,
            payment: PaymentView {
                method: PaymentMethod::Card,
                status: PaymentStatus::Captured,
                instrument: Some("card ending 4242".into()),
                receipt: Receipt {
                    authorized: total,
                    captured: total,
                    refunded: Money::zero(Currency::INR),
                    entries: Vec::new(),
                },
            },
            fulfillment: Fulfillment::Pickup { warehouse_id: None },
            shipment: None,
            shipments: Vec::new(),
            timeline: Vec::new(),
            discounts: Vec::new(),
            refunds: Vec::new(),
            returns: Vec::new(),
            versions: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 7,
        };
        self.store
            .orders()
            .upsert_order(&view)
            .await
            .expect("writing a delivered order");
        view.id
    }
}
