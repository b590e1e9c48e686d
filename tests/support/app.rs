//! `spawn_app`: the whole platform for one test, on port 0, against its own
//! database and its own task queue on the shared Temporal dev server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use temporalio_client::Client;
use url::Url;

use orderly_activities::{Activities, StockPolicy};
use orderly_api::auth::PasswordHashing;
use orderly_api::rate_limits::RateLimitSettings;
use orderly_api::state::{
    AccountSettings, ApiSettings, AppState, device_key, fingerprint_key, rate_limit_key,
};
use orderly_domain::{Freshness, ReturnWindows};
use orderly_notifications::{Notifier, Templates};
use orderly_providers::EmailSender;
use orderly_providers::carriers::SandboxCarrier;
use orderly_providers::payments::{PaymentProviders, SandboxVault, WebhookTarget};
use orderly_providers::push::SandboxPush;
use orderly_providers::sms::SandboxSms;
use orderly_rate_limits::RateLimiter;
use orderly_search::ProductIndex;
use orderly_store::Store;
use orderly_workers::order_worker::{self, OrderWorker};
use orderly_workers::payload_codec::PayloadCipher;
use orderly_workflows::OrderTimings;

use crate::database::TestDatabase;
use crate::faults::{FaultyProvider, PaymentFault};
use crate::smtp_sink::SmtpSink;
use crate::temporal;

pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef";
pub const CARRIER_SECRET: &str = "test-carrier-secret";
pub const PAYMENT_SECRET: &str = "test-payment-secret";
pub const ADMIN_EMAIL: &str = "admin@orderly.test";
pub const ADMIN_PASSWORD: &str = "admin-password-123";
/// The key the tests' Temporal payloads (and recorded histories) are
/// sealed with.
pub const PAYLOAD_KEY: [u8; 32] = *b"orderly-tests-payload-key-32byte";

/// The Redis tests share counters through.
pub fn redis_url() -> String {
    std::env::var("ORDERLY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub fn payload_cipher() -> PayloadCipher {
    PayloadCipher::new(&PAYLOAD_KEY, &[]).expect("the tests' payload key")
}

/// How often a test worker's notification relay looks for due messages.
pub const TEST_RELAY_EVERY: Duration = Duration::from_millis(100);

/// Short waits so that timeouts can be tested in seconds.
pub fn fast_timings() -> OrderTimings {
    OrderTimings {
        payment_timeout_secs: 30,
        pickup_window_secs: 30,
        carrier_silence_secs: 30,
        retry_initial_millis: 50,
        booking_attempts: 3,
        settle_pause_secs: 1,
        shipment_history_limit: orderly_workflows::DEFAULT_SHIPMENT_HISTORY_LIMIT,
        refund_window_secs: 0,
        return_window_secs: 0,
    }
}

pub struct TestOptions {
    pub timings: OrderTimings,
    /// Deliver email to a real SMTP server on loopback.
    pub smtp: bool,
    /// Deliver email to an SMTP address where nothing listens: the mail
    /// server is down for the whole test.
    pub smtp_down: bool,
    /// Run a worker in this process (the crash test runs its own).
    pub worker: bool,
    /// Password resets, client addresses and hashing.
    pub accounts: AccountSettings,
    /// Rate limits and login failure streaks.
    pub rate_limits: RateLimitSettings,
    /// Keep the rate limit counters in the loopback Redis, under this
    /// prefix (apps given the same one share counters, as replicas do);
    /// `None`: in the API process.
    pub redis_prefix: Option<String>,
    /// How long a cart stays untouched before its reminder.
    pub cart_reminder: Duration,
    /// How long the API waits for Temporal before answering 503.
    pub temporal_timeout: Duration,
    /// A fault of the card provider the worker uses.
    pub payment_fault: Option<PaymentFault>,
    /// How long delivered lines may be returned; none by default, so
    /// delivered orders close at once.
    pub return_windows: ReturnWindows,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            timings: fast_timings(),
            smtp: false,
            smtp_down: false,
            worker: true,
            accounts: AccountSettings::default(),
            rate_limits: RateLimitSettings::default(),
            redis_prefix: None,
            cart_reminder: Duration::from_secs(3600),
            temporal_timeout: Duration::from_secs(10),
            payment_fault: None,
            return_windows: ReturnWindows::default(),
        }
    }
}

pub struct TestApp {
    pub address: SocketAddr,
    pub http: reqwest::Client,
    pub store: Store,
    pub temporal: Client,
    pub task_queue: String,
    pub smtp: Option<SmtpSink>,
    pub database_url: String,
    /// The API's search index, in `search_dir` (removed with the app).
    pub search: Arc<ProductIndex>,
    pub search_dir: PathBuf,
    /// The API's password hasher, which tests can keep busy.
    pub passwords: PasswordHashing,
    payment_fault: Option<PaymentFault>,
    worker_stop: Option<Box<dyn Fn() + Send + Sync>>,
    _database: TestDatabase,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// What a worker for this app needs.
    pub fn worker_spec(&self) -> WorkerSpec {
        WorkerSpec {
            database_url: self.database_url.clone(),
            temporal_address: temporal::address().to_owned(),
            task_queue: self.task_queue.clone(),
            api: self.address,
            smtp_url: self.smtp.as_ref().map(|s| s.url()),
            payment_fault: self.payment_fault,
        }
    }

    /// Starts the app's worker (an app spawned with `worker: false`, or
    /// one whose worker was stopped).
    pub fn start_worker(&mut self) {
        if self.worker_stop.is_none() {
            self.worker_stop = Some(start_worker(self.worker_spec()));
        }
    }

    /// Stops the app's worker; workflows wait for the next one.
    pub fn stop_worker(&mut self) {
        if let Some(stop) = self.worker_stop.take() {
            stop();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.worker_stop.take() {
            stop();
        }
        let _ = std::fs::remove_dir_all(&self.search_dir);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let database = TestDatabase::create().await;
    let store = Store::connect(&database.url)
        .await
        .expect("opening the test database");
    store.migrate().await.expect("migrating the test database");
    orderly_api::auth::ensure_admin(&store, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect("creating the admin");

    let temporal_address = temporal::address();
    let task_queue = format!("orders-test-{}", uuid::Uuid::now_v7().simple());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding port 0");
    let address = listener.local_addr().expect("the bound address");
    let smtp = if options.smtp {
        Some(SmtpSink::start().await)
    } else {
        None
    };
    let api = ApiSpec {
        database_url: database.url.clone(),
        temporal_address: temporal_address.to_owned(),
        task_queue: task_queue.clone(),
        timings: options.timings.clone(),
        temporal_timeout: options.temporal_timeout,
        redis_prefix: options.redis_prefix.clone(),
    }
    .serve(
        store.clone(),
        listener,
        &options,
        smtp.as_ref().map(SmtpSink::url),
    )
    .await;

    let spec = WorkerSpec {
        database_url: database.url.clone(),
        temporal_address: temporal_address.to_owned(),
        task_queue: task_queue.clone(),
        api: address,
        smtp_url: if options.smtp_down {
            Some(unreachable_smtp_url().await)
        } else {
            smtp.as_ref().map(|s| s.url())
        },
        payment_fault: options.payment_fault,
    };
    let worker_stop = options.worker.then(|| start_worker(spec));

    TestApp {
        address,
        http: reqwest::Client::new(),
        store,
        temporal: api.temporal,
        task_queue,
        smtp,
        database_url: database.url.clone(),
        search: api.search,
        search_dir: api.search_dir,
        passwords: api.passwords,
        payment_fault: options.payment_fault,
        worker_stop,
        _database: database,
    }
}

/// Everything an API process of a test app needs, as plain data so that a
/// second replica can run in a child process (serialized into an
/// environment variable). Settings not here are the defaults.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ApiSpec {
    pub database_url: String,
    pub temporal_address: String,
    pub task_queue: String,
    pub timings: OrderTimings,
    pub temporal_timeout: Duration,
    pub redis_prefix: Option<String>,
}

/// An API being served, and what tests read back from it.
pub struct ServedApi {
    pub temporal: Client,
    /// Its search index, in `search_dir` (which the caller removes).
    pub search: Arc<ProductIndex>,
    pub search_dir: PathBuf,
    pub passwords: PasswordHashing,
}

impl ApiSpec {
    /// Serves the API on `listener` over `store` (a pool of the spec's
    /// database: a test that closes it takes the API's database away), with
    /// the limits and accounts settings of `options` and email through
    /// `smtp_url`, until the process ends.
    pub async fn serve(
        &self,
        store: Store,
        listener: tokio::net::TcpListener,
        options: &TestOptions,
        smtp_url: Option<String>,
    ) -> ServedApi {
        let temporal = order_worker::connect(&self.temporal_address, "default", &payload_cipher())
            .await
            .expect("connecting to the test Temporal server");
        let search_dir = std::env::temp_dir().join(format!(
            "orderly-test-search-{}",
            uuid::Uuid::now_v7().simple()
        ));
        let search = ProductIndex::open(&search_dir, &store)
            .await
            .expect("opening the search index");
        let passwords = PasswordHashing::new(options.accounts.password_hashes_at_once);
        let limiter_key = rate_limit_key(JWT_SECRET);
        let limiter = match &self.redis_prefix {
            Some(prefix) => RateLimiter::shared(&redis_url(), prefix, &limiter_key)
                .await
                .expect("the test Redis on loopback (ORDERLY_TEST_REDIS_URL)"),
            None => RateLimiter::in_process(&limiter_key),
        };
        let state = AppState {
            store: store.clone(),
            temporal: temporal.clone(),
            settings: Arc::new(ApiSettings {
                jwt_secret: JWT_SECRET.into(),
                access_token_ttl: Duration::from_secs(900),
                refresh_token_ttl: Duration::from_secs(3600),
                carrier_secret: CARRIER_SECRET.into(),
                payment_webhook_secret: PAYMENT_SECRET.into(),
                webhook_tolerance: Duration::from_secs(300),
                order_timings: self.timings.clone(),
                return_windows: options.return_windows.clone(),
                namespace: "default".into(),
                task_queue: self.task_queue.clone(),
                worker_metrics_url: None,
                cart_reminder: options.cart_reminder,
                temporal_timeout: self.temporal_timeout,
                fingerprint_key: fingerprint_key(JWT_SECRET),
                device_key: device_key(JWT_SECRET),
                codec_cors_origins: Vec::new(),
                accounts: options.accounts.clone(),
                rate_limits: options.rate_limits.clone(),
            }),
            metrics: Some(orderly_api::http_metrics::handle()),
            mailer: smtp_url.map(|url| EmailSender::from_url(&url).expect("the sink's SMTP URL")),
            templates: Arc::new(Templates::built_in()),
            search: Some(search.clone()),
            sessions: Default::default(),
            limiter,
            passwords: passwords.clone(),
            payload_cipher: payload_cipher(),
            card_vault: Arc::new(SandboxVault::new(store)),
        };
        tokio::spawn(orderly_api::serve(listener, state, std::future::pending()));
        ServedApi {
            temporal,
            search,
            search_dir,
            passwords,
        }
    }
}

/// An SMTP URL of a loopback port that was free a moment ago: connections
/// to it fail.
pub async fn unreachable_smtp_url() -> String {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("smtp://{}", closed.local_addr().expect("its address"));
    drop(closed);
    url
}

/// Everything a worker needs, as plain data so it can cross into another
/// thread or process (serialized into an environment variable).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WorkerSpec {
    pub database_url: String,
    pub temporal_address: String,
    pub task_queue: String,
    pub api: SocketAddr,
    pub smtp_url: Option<String>,
    #[serde(default)]
    pub payment_fault: Option<PaymentFault>,
}

impl WorkerSpec {
    pub async fn activities(&self) -> Activities {
        let store = Store::connect(&self.database_url)
            .await
            .expect("worker database");
        let webhooks = WebhookTarget {
            url: Url::parse(&format!("http://{}/v1/webhooks/payments/sandbox", self.api))
                .expect("webhook URL"),
            secret: PAYMENT_SECRET.into(),
            delay: Duration::from_millis(300),
        };
        let mut payments = PaymentProviders::sandbox(store.clone(), Some(webhooks));
        if let Some(fault) = self.payment_fault {
            let inner = payments.for_method(fault.method());
            payments = payments.with(fault.method(), Arc::new(FaultyProvider { inner, fault }));
        }
        Activities::new(
            store.clone(),
            payments,
            Arc::new(SandboxCarrier::new(store.clone())),
            self.notifier(store).await,
            StockPolicy::new(Freshness::default()),
        )
    }

    /// The notifier of this worker, on every channel.
    pub async fn notifier(&self, store: Store) -> Notifier {
        let email = self
            .smtp_url
            .as_ref()
            .map(|url| EmailSender::from_url(url).expect("the sink's SMTP URL"));
        Notifier::new(store.clone(), email)
            .with_sms(Arc::new(SandboxSms::new(store.clone())))
            .with_push(Arc::new(SandboxPush::new(store)))
    }

    /// Runs a worker until it is stopped; for a thread or a child process.
    pub async fn run(self, on_started: impl FnOnce(Box<dyn Fn() + Send + Sync>)) {
        let client = order_worker::connect(&self.temporal_address, "default", &payload_cipher())
            .await
            .expect("worker client");
        let (runtime, _) = order_worker::runtime(None).expect("worker runtime");
        let store = Store::connect(&self.database_url)
            .await
            .expect("worker database");
        let relay = tokio::spawn(self.notifier(store).await.relay(TEST_RELAY_EVERY));
        let mut worker =
            OrderWorker::new(&runtime, client, &self.task_queue, self.activities().await)
                .expect("worker");
        on_started(Box::new(worker.shutdown_handle()));
        worker.run().await.expect("worker run");
        relay.abort();
    }
}

/// A worker on its own thread (its `run` is not `Send`).
pub fn start_worker(spec: WorkerSpec) -> Box<dyn Fn() + Send + Sync> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("order-worker".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("worker runtime");
            runtime.block_on(spec.run(move |stop| {
                let _ = tx.send(stop);
            }));
        })
        .expect("spawning the worker thread");
    rx.recv().expect("the worker started")
}
