//! Building the parts of the platform from [`Settings`] and running them
//! one at a time (`orderly api`, `orderly worker`, `orderly migrate`). `orderly
//! dev` and the benchmark assemble the same parts in one process.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use temporalio_client::Client;
use url::Url;

use orderly_activities::{Activities, StockPolicy};
use orderly_api::auth::PasswordHashing;
use orderly_api::state::{ApiSettings, AppState, device_key, fingerprint_key, rate_limit_key};
use orderly_notifications::{Notifier, RELAY_EVERY, Templates};
use orderly_providers::EmailSender;
use orderly_providers::carriers::{CarrierSimulator, SandboxCarrier};
use orderly_providers::payments::{PaymentProviders, SandboxVault, WebhookTarget};
use orderly_providers::push::SandboxPush;
use orderly_providers::sms::SandboxSms;
use orderly_rate_limits::RateLimiter;
use orderly_search::{INDEX_FOLDER, ProductIndex};
use orderly_store::Store;
use orderly_workers::expiry_schedule::keep_expiry_schedule;
use orderly_workers::order_worker::{self, OrderWorker};
use orderly_workers::payload_codec::{PAYLOAD_KEY_ENV, PayloadCipher};
use orderly_workflows::{ORDER_TASK_QUEUE, OrderTimings};

use crate::settings::{Gateway, Settings};

/// How long the sandbox gateway's simulated customer takes to approve a
/// UPI or netbanking payment.
const SANDBOX_APPROVAL_DELAY: Duration = Duration::from_secs(2);

pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    }
    Store::connect(&settings.database_url)
        .await
        .with_context(|| format!("opening the database {}", redact(&settings.database_url)))
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    store.migrate().await.context("applying migrations")?;
    if let Some(password) = &settings.admin_password {
        orderly_api::auth::ensure_admin(&store, &settings.admin_email, password)
            .await
            .context("creating the admin account")?;
    }
    tracing::info!("migrations applied");
    Ok(())
}

pub fn order_timings(settings: &Settings) -> OrderTimings {
    OrderTimings {
        payment_timeout_secs: settings.payment_timeout.as_secs().max(1),
        pickup_window_secs: settings.pickup_window.as_secs().max(1),
        carrier_silence_secs: settings.carrier_silence_alert.as_secs().max(1),
        refund_window_secs: settings.refund_window.as_secs(),
        ..OrderTimings::default()
    }
}

fn webhook_url(settings: &Settings, path: &str) -> anyhow::Result<Url> {
    Url::parse(&settings.public_url)
        .and_then(|base| base.join(path))
        .with_context(|| format!("ORDERLY_PUBLIC_URL {:?} is not a URL", settings.public_url))
}

/// The activities with their real dependencies: the store, the sandbox
/// payment gateway (posting its webhooks to our API), the sandbox carrier,
/// the notifier (email when `SMTP_URL` is set, SMS and push as
/// `ORDERLY_SMS_GATEWAY` and `ORDERLY_PUSH_GATEWAY` say) and the expiry
/// sweep's warning period.
pub fn order_activities(
    settings: &Settings,
    store: &Store,
    notifier: Notifier,
) -> anyhow::Result<Activities> {
    let payment_secret = Settings::require(
        &settings.payment_webhook_secret,
        "ORDERLY_PAYMENT_WEBHOOK_SECRET",
    )?;
    let webhooks = WebhookTarget {
        url: webhook_url(settings, "/v1/webhooks/payments/sandbox")?,
        secret: payment_secret,
        delay: SANDBOX_APPROVAL_DELAY,
    };
    Ok(Activities::new(
        store.clone(),
        PaymentProviders::sandbox(store.clone(), Some(webhooks)),
        Arc::new(SandboxCarrier::new(store.clone())),
        notifier,
        StockPolicy::new(settings.freshness),
    )
    .with_expiry_warning(settings.expiry_warning)
    .with_loyalty_rate(settings.loyalty_points_per_100))
}

/// Keeps the expiry sweep's schedule on the order task queue at
/// `ORDERLY_EXPIRY_SWEEP_INTERVAL`. Every process that runs the worker
/// does this as it starts (it owns the queue the sweeps run on), before it
/// polls.
pub async fn expiry_schedule(settings: &Settings, client: &Client) -> anyhow::Result<()> {
    keep_expiry_schedule(client, ORDER_TASK_QUEUE, settings.expiry_sweep_interval).await?;
    Ok(())
}

/// The notifier the activities queue messages with, and whose delivery
/// relay ([`Notifier::relay`]) a worker process runs beside them.
pub fn notifier(settings: &Settings, store: &Store) -> anyhow::Result<Notifier> {
    let mut notifier =
        Notifier::new(store.clone(), email_sender(settings)?).with_templates(templates(settings)?);
    if settings.sms_gateway == Gateway::Sandbox {
        notifier = notifier.with_sms(Arc::new(SandboxSms::new(store.clone())));
    }
    if settings.push_gateway == Gateway::Sandbox {
        notifier = notifier.with_push(Arc::new(SandboxPush::new(store.clone())));
    }
    Ok(notifier)
}

/// The message templates: the built-in ones, or an operator's
/// replacements from `ORDERLY_TEMPLATES_DIR`, checked before anything runs.
pub fn templates(settings: &Settings) -> anyhow::Result<Arc<Templates>> {
    let templates = match &settings.templates_dir {
        Some(dir) => Templates::with_overrides(dir)
            .with_context(|| format!("ORDERLY_TEMPLATES_DIR {}", dir.display()))?,
        None => Templates::built_in(),
    };
    Ok(Arc::new(templates))
}

pub fn carrier_simulator(
    settings: &Settings,
    store: &Store,
) -> anyhow::Result<Option<CarrierSimulator>> {
    let Some(interval) = settings.carrier_simulator else {
        return Ok(None);
    };
    Ok(Some(CarrierSimulator {
        store: store.clone(),
        webhook_url: webhook_url(settings, "/v1/webhooks/carriers/sandbox")?,
        secret: Settings::require(&settings.carrier_secret, "ORDERLY_CARRIER_SECRET")?,
        interval,
    }))
}

/// The API's state. Opens the product search index under the data
/// directory, building it from the database first when it is missing.
pub async fn api_state(
    settings: &Settings,
    store: Store,
    temporal: Client,
) -> anyhow::Result<AppState> {
    let search_dir = settings.data_dir.join(INDEX_FOLDER);
    let search = ProductIndex::open(&search_dir, &store)
        .await
        .with_context(|| format!("opening the search index in {}", search_dir.display()))?;
    if let Some(every) = settings.search_sync {
        tokio::spawn(search.clone().follow(store.clone(), search_dir, every));
    }
    let jwt_secret = Settings::require(&settings.jwt_secret, "ORDERLY_JWT_SECRET")?;
    let api = ApiSettings {
        jwt_secret: jwt_secret.clone(),
        access_token_ttl: Duration::from_secs(15 * 60),
        refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
        carrier_secret: Settings::require(&settings.carrier_secret, "ORDERLY_CARRIER_SECRET")?,
        payment_webhook_secret: Settings::require(
            &settings.payment_webhook_secret,
            "ORDERLY_PAYMENT_WEBHOOK_SECRET",
        )?,
        webhook_tolerance: Duration::from_secs(300),
        order_timings: order_timings(settings),
        return_windows: settings.return_windows.clone(),
        namespace: settings.temporal_namespace.clone(),
        task_queue: orderly_workflows::ORDER_TASK_QUEUE.to_owned(),
        worker_metrics_url: settings
            .worker_metrics_addr
            .map(|addr| format!("http://{addr}/metrics")),
        cart_reminder: settings.cart_reminder,
        temporal_timeout: settings.temporal_timeout,
        fingerprint_key: fingerprint_key(&jwt_secret),
        device_key: device_key(&jwt_secret),
        codec_cors_origins: settings.codec_cors_origins.clone(),
        accounts: settings.accounts.clone(),
        rate_limits: settings.rate_limits.clone(),
    };
    Ok(AppState {
        card_vault: Arc::new(SandboxVault::new(store.clone())),
        store,
        temporal,
        settings: Arc::new(api),
        metrics: Some(orderly_api::http_metrics::handle()),
        mailer: email_sender(settings)?,
        templates: templates(settings)?,
        search: Some(search),
        sessions: Default::default(),
        limiter: rate_limiter(settings, &jwt_secret).await?,
        passwords: PasswordHashing::new(settings.accounts.password_hashes_at_once),
        payload_cipher: payload_cipher(settings)?,
    })
}

/// The rate limiter: shared through Redis when `ORDERLY_REDIS_URL` is set
/// (and then Redis must answer at start), in this process otherwise.
async fn rate_limiter(settings: &Settings, jwt_secret: &str) -> anyhow::Result<RateLimiter> {
    let key = rate_limit_key(jwt_secret);
    match &settings.redis_url {
        Some(url) => {
            let limiter = RateLimiter::shared(url, &settings.redis_prefix, &key)
                .await
                .context("ORDERLY_REDIS_URL: Redis did not answer")?;
            tracing::info!("rate limits shared through Redis");
            Ok(limiter)
        }
        None => Ok(RateLimiter::in_process(&key)),
    }
}

/// The SMTP sender of `SMTP_URL`, from `ORDERLY_MAIL_FROM`; `None` when
/// email is not configured.
fn email_sender(settings: &Settings) -> anyhow::Result<Option<EmailSender>> {
    settings
        .smtp_url
        .as_deref()
        .map(|url| {
            EmailSender::from_url(url)
                .and_then(|sender| sender.with_from(&settings.mail_from))
                .context("SMTP_URL")
        })
        .transpose()
}

fn temporal_address(settings: &Settings) -> String {
    settings
        .temporal_address
        .clone()
        .unwrap_or_else(|| "127.0.0.1:7233".to_owned())
}

/// A Temporal client sealing every payload with the payload key; the
/// worker built on it seals the same way.
pub async fn connect_temporal(settings: &Settings, address: &str) -> anyhow::Result<Client> {
    Ok(order_worker::connect(
        address,
        &settings.temporal_namespace,
        &payload_cipher(settings)?,
    )
    .await?)
}

pub fn payload_cipher(settings: &Settings) -> anyhow::Result<PayloadCipher> {
    let key = Settings::require(&settings.payload_key, PAYLOAD_KEY_ENV)?;
    PayloadCipher::from_base64(&key, &settings.payload_retired_keys)
        .context("the Temporal payload keys")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub fn shutdown() -> impl std::future::Future<Output = ()> + Send + 'static {
    shutdown_signal()
}

pub async fn run_api(settings: Settings) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let client = connect_temporal(&settings, &temporal_address(&settings)).await?;
    let state = api_state(&settings, store, client).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("binding {}", settings.http_addr))?;
    tracing::info!(addr = %settings.http_addr, "API listening");
    orderly_api::serve(listener, state, shutdown()).await?;
    Ok(())
}

pub async fn run_worker(settings: Settings) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let client = connect_temporal(&settings, &temporal_address(&settings)).await?;
    let (runtime, metrics) = order_worker::runtime(settings.worker_metrics_addr)?;
    if let Some(addr) = metrics {
        tracing::info!(%addr, "worker metrics at /metrics");
    }
    let notifier = notifier(&settings, &store)?;
    tokio::spawn(notifier.clone().relay(RELAY_EVERY));
    expiry_schedule(&settings, &client).await?;
    let mut worker = OrderWorker::on_order_queue(
        &runtime,
        client,
        order_activities(&settings, &store, notifier)?,
    )?;
    let stop = worker.shutdown_handle();
    tokio::spawn(async move {
        shutdown().await;
        tracing::info!("stopping the worker");
        stop();
    });
    if let Some(simulator) = carrier_simulator(&settings, &store)? {
        tokio::spawn(simulator.run(shutdown()));
    }
    worker.run().await?;
    Ok(())
}
