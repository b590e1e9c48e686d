//! The API through its real router and a real (in-memory SQLite) store, for
//! everything that does not start or talk to a workflow: accounts and
//! sessions, the catalogue and stock, the inbox, and the ops endpoints.
//!
//! Temporal is replaced by a client whose every call fails as if the server
//! were down, which is also how readiness is tested. Orders need a real
//! Temporal server and are tested in the workspace's `tests` crate.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use orderly_api::state::AccountSettings;
use orderly_api::{ApiSettings, AppState, ensure_admin, router};
use orderly_domain::{Currency, Money, NotificationKind, OrderId, Quantity, Sku, UserId};
use orderly_notifications::Templates;
use orderly_store::{NewNotification, Product, Sourcing, Store};
use orderly_workflows::OrderTimings;
use serde_json::{Value, json};
use temporalio_client::callback_based::CallbackBasedGrpcService;
use temporalio_client::tonic::Status;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};
use tower::ServiceExt;

const ADMIN_EMAIL: &str = "admin@orderly.test";
const ADMIN_PASSWORD: &str = "admin-password-1";

struct Api {
    app: Router,
    store: Store,
}

/// A Temporal client with no server behind it: connecting succeeds, every
/// call answers `UNAVAILABLE`.
async fn temporal_that_is_down() -> Client {
    let service = CallbackBasedGrpcService {
        callback: Arc::new(|request| {
            Box::pin(async move {
                if request.rpc == "GetSystemInfo" {
                    Err(Status::unimplemented("unknown method GetSystemInfo"))
                } else {
                    Err(Status::unavailable("no Temporal server in these tests"))
                }
            })
        }),
    };
    let options = ConnectionOptions::new(Url::parse("http://127.0.0.1:7233").unwrap())
        .service_override(service)
        .dns_load_balancing(None)
        .build();
    let connection = Connection::connect(options).await.unwrap();
    Client::new(connection, ClientOptions::new("default").build()).unwrap()
}

async fn api() -> Api {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let settings = ApiSettings {
        jwt_secret: "a-test-secret-that-is-long-enough-0123456789".to_owned(),
        access_token_ttl: Duration::from_secs(900),
        refresh_token_ttl: Duration::from_secs(3600),
        carrier_secret: "carrier-secret".to_owned(),
        payment_webhook_secret: "payment-secret".to_owned(),
        webhook_tolerance: Duration::from_secs(300),
        order_timings: OrderTimings::default(),
        return_windows: Default::default(),
        namespace: "default".to_owned(),
        task_queue: "orders-without-temporal".to_owned(),
        worker_metrics_url: None,
        cart_reminder: Duration::from_secs(24 * 3600),
        temporal_timeout: std::time::Duration::from_secs(10),
        fingerprint_key: orderly_api::state::fingerprint_key(
            "a-test-secret-that-is-long-enough-0123456789",
        ),
        device_key: orderly_api::state::device_key("a-test-secret-that-is-long-enough-0123456789"),
        codec_cors_origins: Vec::new(),
        accounts: AccountSettings::default(),
        rate_limits: orderly_api::rate_limits::RateLimitSettings::default(),
    };
    let state = AppState {
        store: store.clone(),
        temporal: temporal_that_is_down().await,
        settings: Arc::new(settings),
        metrics: Some(orderly_api::http_metrics::handle()),
        mailer: None,
        templates: Arc::new(Templates::built_in()),
        search: None,
        sessions: Default::default(),
        limiter: orderly_rate_limits::RateLimiter::in_process(b"without-temporal"),
        passwords: orderly_api::auth::PasswordHashing::new(2),
        payload_cipher: orderly_workers::payload_codec::PayloadCipher::new(&[9; 32], &[])
            .expect("a key"),
        card_vault: std::sync::Arc::new(orderly_providers::payments::SandboxVault::new(
            store.clone(),
        )),
    };
    Api {
        app: router(state),
        store,
    }
}

impl Api {
    async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let (status, bytes) = self.send(request.body(body).unwrap()).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, bytes.to_vec())
    }

    async fn register(&self, email: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/auth/register",
                None,
                Some(json!({"email": email, "password": "a long password", "name": "Asha Rao"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh_token})),
        )
        .await
    }

    async fn admin_token(&self) -> String {
        ensure_admin(&self.store, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap();
        let (status, body) = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        token_of(&body)
    }

    async fn add_product(&self, sku: &str, active: bool, on_hand: i64) {
        self.store
            .catalog()
            .upsert_product(&Product {
                sku: sku_of(sku),
                name: format!("Product {sku}"),
                description: "A test product".to_owned(),
                unit: "each".to_owned(),
                price: Money::new(1250, Currency::INR),
                category: "test".to_owned(),
                active,
                ..Default::default()
            })
            .await
            .unwrap();
        self.store
            .inventory()
            .set_on_hand(&sku_of(sku), on_hand)
            .await
            .unwrap();
    }
}

fn sku_of(raw: &str) -> Sku {
    Sku::parse(raw).unwrap()
}

fn token_of(body: &Value) -> String {
    body["access_token"].as_str().unwrap().to_owned()
}

fn refresh_token_of(body: &Value) -> String {
    body["refresh_token"].as_str().unwrap().to_owned()
}

fn error_fields(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn registering_creates_a_logged_in_customer() {
    let api = api().await;
    let body = api.register("Asha@Example.com").await;
    assert_eq!(body["user"]["role"], "customer");
    assert_eq!(body["user"]["email"], "asha@example.com");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);

    let (status, me) = api
        .call(Method::GET, "/v1/me", Some(&token_of(&body)), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], body["user"]["id"]);
}

#[tokio::test]
async fn registration_ignores_a_requested_role() {
    let api = api().await;
    let (status, body) = api
        .call(
            Method::POST,
            "/v1/auth/register",
            None,
            Some(json!({"email": "eve@example.com", "password": "a long password", "name": "Eve", "role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["user"]["role"], "customer");
}

#[tokio::test]
async fn registering_an_email_twice_in_any_case_is_409() {
    let api = api().await;
    api.register("asha@example.com").await;
    let (status, body) = api
        .call(
            Method::POST,
            "/v1/auth/register",
            None,
            Some(json!({"email": "ASHA@example.com", "password": "another password", "name": "Asha"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "https://orderly.dev/problems/conflict");
}

#[tokio::test]
async fn registering_with_bad_fields_is_422_naming_each_field() {
    let api = api().await;
    let (status, body) = api
        .call(
            Method::POST,
            "/v1/auth/register",
            None,
            Some(json!({"email": "not-an-email", "password": "short", "name": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), vec!["email", "password", "name"]);
}

#[tokio::test]
async fn a_missing_field_is_422_naming_it() {
    let api = api().await;
    let (status, body) = api
        .call(
            Method::POST,
            "/v1/auth/register",
            None,
            Some(json!({"email": "a@example.com", "name": "A"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), vec!["password"]);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let api = api().await;
    api.register("asha@example.com").await;
    let (wrong_password, first) = api.login("asha@example.com", "not the password").await;
    let (unknown_email, second) = api.login("nobody@example.com", "a long password").await;
    assert_eq!(wrong_password, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email, StatusCode::UNAUTHORIZED);
    assert_eq!(first, second);

    let (status, body) = api.login("ASHA@example.com", "a long password").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_replay_ends_the_session() {
    let api = api().await;
    let registered = api.register("asha@example.com").await;
    let first = refresh_token_of(&registered);

    let (status, refreshed) = api.refresh(&first).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let second = refresh_token_of(&refreshed);
    assert_ne!(first, second);
    let (status, _) = api
        .call(Method::GET, "/v1/me", Some(&token_of(&refreshed)), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    // Someone replays the rotated token: the whole family is revoked, so
    // the legitimate holder of `second` has to log in again too.
    let (status, _) = api.refresh(&first).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api.refresh(&second).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logging_out_ends_the_refresh_token() {
    let api = api().await;
    let registered = api.register("asha@example.com").await;
    let refresh_token = refresh_token_of(&registered);
    let (status, _) = api
        .call(
            Method::POST,
            "/v1/auth/logout",
            None,
            Some(json!({"refresh_token": refresh_token})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.refresh(&refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401() {
    let api = api().await;
    let (status, body) = api.refresh("made-up").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "https://orderly.dev/problems/unauthorized");
}

#[tokio::test]
async fn me_without_a_valid_token_is_401() {
    let api = api().await;
    let (status, _) = api.call(Method::GET, "/v1/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(Method::GET, "/v1/me", Some("not.a.jwt"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ensuring_the_admin_twice_keeps_one_admin() {
    let api = api().await;
    let first = ensure_admin(&api.store, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    let second = ensure_admin(&api.store, ADMIN_EMAIL, "a different password")
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    let (status, body) = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["role"], "admin");
}

#[tokio::test]
async fn the_admin_email_of_a_customer_is_refused() {
    let api = api().await;
    api.register("asha@example.com").await;
    assert!(
        ensure_admin(&api.store, "asha@example.com", ADMIN_PASSWORD)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn products_are_listed_in_sku_pages_without_inactive_ones() {
    let api = api().await;
    api.add_product("APPLE", true, 5).await;
    api.add_product("BANANA", false, 5).await;
    api.add_product("CHERRY", true, 7).await;
    api.add_product("DATE", true, 0).await;

    let (status, first) = api
        .call(Method::GET, "/v1/products?limit=2", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let skus: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, vec!["APPLE"], "BANANA is inactive");
    assert_eq!(
        first["items"][0]["price"],
        json!({"amount": 1250, "currency": "INR"})
    );
    assert_eq!(first["items"][0]["available"], 5);
    assert_eq!(first["next_cursor"], "BANANA");

    let (_, second) = api
        .call(
            Method::GET,
            "/v1/products?limit=2&cursor=BANANA",
            None,
            None,
        )
        .await;
    let skus: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, vec!["CHERRY", "DATE"]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_product_is_found_by_sku_and_unknown_or_malformed_skus_are_refused() {
    let api = api().await;
    api.add_product("APPLE-1KG", true, 3).await;
    let (status, body) = api
        .call(Method::GET, "/v1/products/APPLE-1KG", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["available"], 3);
    let (status, _) = api.call(Method::GET, "/v1/products/PEAR", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api
        .call(Method::GET, "/v1/products/pear%20x", None, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), vec!["sku"]);
}

#[tokio::test]
async fn stock_is_read_by_staff_and_corrected_by_admins_only() {
    let api = api().await;
    api.add_product("APPLE", true, 10).await;
    let customer = token_of(&api.register("asha@example.com").await);
    let admin = api.admin_token().await;

    let (status, _) = api
        .call(Method::GET, "/v1/inventory/APPLE", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(Method::GET, "/v1/inventory/APPLE", Some(&customer), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .call(
            Method::PUT,
            "/v1/inventory/APPLE",
            Some(&customer),
            Some(json!({"on_hand": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = api
        .call(
            Method::PUT,
            "/v1/inventory/APPLE",
            Some(&admin),
            Some(json!({"on_hand": 25})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            &body["sku"],
            &body["on_hand"],
            &body["reserved"],
            &body["available"]
        ),
        (&json!("APPLE"), &json!(25), &json!(0), &json!(25))
    );
    let (status, body) = api
        .call(Method::GET, "/v1/inventory/APPLE", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["on_hand"], 25);
}

#[tokio::test]
async fn stock_cannot_be_set_below_what_is_reserved_or_below_zero() {
    let api = api().await;
    api.add_product("APPLE", true, 10).await;
    api.store
        .inventory()
        .reserve(
            OrderId::new(),
            &[(sku_of("APPLE"), Quantity::parse(4).unwrap())],
            chrono::Utc::now(),
            &Sourcing::anywhere(),
        )
        .await
        .unwrap();
    let admin = api.admin_token().await;

    let (status, body) = api
        .call(
            Method::PUT,
            "/v1/inventory/APPLE",
            Some(&admin),
            Some(json!({"on_hand": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = api
        .call(
            Method::PUT,
            "/v1/inventory/APPLE",
            Some(&admin),
            Some(json!({"on_hand": -1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), vec!["on_hand"]);
    let (status, _) = api
        .call(
            Method::PUT,
            "/v1/inventory/UNKNOWN",
            Some(&admin),
            Some(json!({"on_hand": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_inbox_shows_only_my_in_app_notifications_newest_first() {
    let api = api().await;
    let registered = api.register("asha@example.com").await;
    let me: UserId = registered["user"]["id"].as_str().unwrap().parse().unwrap();
    let someone_else = UserId::new();
    for (user, kind, channel, key) in [
        (me, NotificationKind::OrderConfirmed, "in_app", "a"),
        (me, NotificationKind::Shipped, "in_app", "b"),
        (me, NotificationKind::Shipped, "email", "c"),
        (someone_else, NotificationKind::Delivered, "in_app", "d"),
        (me, NotificationKind::Delivered, "in_app", "e"),
    ] {
        api.store
            .notifications()
            .insert_notification(&NewNotification {
                user_id: user,
                order_id: None,
                kind,
                channel: channel.to_owned(),
                subject: format!("subject {key}"),
                body: format!("body {key}"),
                dedupe_key: key.to_owned(),
                recipient: None,
                recipient_name: None,
            })
            .await
            .unwrap();
    }
    let token = token_of(&registered);
    let (status, first) = api
        .call(
            Method::GET,
            "/v1/me/notifications?limit=2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let subjects: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["subject e", "subject b"]);
    let cursor = first["next_cursor"].as_str().unwrap();

    let (_, second) = api
        .call(
            Method::GET,
            &format!("/v1/me/notifications?limit=2&cursor={cursor}"),
            Some(&token),
            None,
        )
        .await;
    let subjects: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["subject a"]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test]
async fn health_is_ok_while_readiness_names_temporal_as_down() {
    let api = api().await;
    let (status, body) = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));

    let (status, body) = api.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("temporal"), "{detail}");
    assert!(!detail.contains("database"), "{detail}");
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let api = api().await;
    let (status, body) = api.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["paths"]["/v1/auth/login"]["post"].is_object());
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let api = api().await;
    api.add_product("APPLE", true, 1).await;
    let (status, _) = api
        .call(Method::GET, "/v1/products/APPLE", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, text) = api
        .send(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/v1/products/{sku}",status="200"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
}
