//! The platform the benchmark measures, started from scratch in a temporary
//! folder and torn down afterwards.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::Context;
use temporalio_client::Client;
use tokio::process::{Child, Command};

use crate::ceiling::CeilingWorker;
use crate::dev_server::{DevServer, DevServerOptions, LogLevel, locate_temporal_bin};
use orderly_domain::{Currency, Money, Sku};
use orderly_store::{Product, Store};
use orderly_workers::order_worker;
use orderly_workers::payload_codec::PayloadCipher;
use orderly_workflows::SEARCH_ATTRIBUTES;

use super::lifecycle::BENCH_SKU;
use super::rss;
use orderly_platform::components;
use orderly_platform::settings::{Gateway, LogFormat, Settings};

pub const CEILING_QUEUE: &str = "orderly-bench-ceiling";
pub const ADMIN_EMAIL: &str = "admin@bench.test";

pub struct Stack {
    dir: PathBuf,
    server: DevServer,
    worker: Child,
    stop_ceiling: Box<dyn Fn() + Send + Sync>,
    pub client: Client,
    pub api_addr: SocketAddr,
    pub carrier_secret: String,
    pub admin_password: String,
}

impl Stack {
    pub async fn start() -> anyhow::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("orderly-bench-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let server = DevServer::start(DevServerOptions {
            temporal_bin: locate_temporal_bin(),
            port: 0,
            ui_port: None,
            ui_codec_endpoint: None,
            db_file: Some(dir.join("temporal.db")),
            namespace: "default".into(),
            search_attributes: SEARCH_ATTRIBUTES
                .iter()
                .map(|(n, k)| ((*n).to_owned(), (*k).to_owned()))
                .collect(),
            log_level: LogLevel::Error,
        })
        .await
        .context("starting the Temporal dev server")?;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let api_addr = listener.local_addr()?;
        let settings = Settings {
            http_addr: api_addr,
            database_url: format!("sqlite://{}", dir.join("orderly.db").display()),
            temporal_address: Some(server.address().to_owned()),
            temporal_namespace: "default".into(),
            data_dir: dir.clone(),
            admin_email: ADMIN_EMAIL.into(),
            admin_password: None,
            jwt_secret: None,
            carrier_secret: None,
            payment_webhook_secret: None,
            payload_key: None,
            payload_retired_keys: String::new(),
            codec_cors_origins: Vec::new(),
            smtp_url: None,
            mail_from: "orderly@localhost".into(),
            templates_dir: None,
            sms_gateway: Gateway::Sandbox,
            push_gateway: Gateway::Sandbox,
            payment_timeout: std::time::Duration::from_secs(900),
            pickup_window: std::time::Duration::from_secs(3 * 86_400),
            refund_window: std::time::Duration::from_secs(30 * 86_400),
            return_windows: orderly_domain::ReturnWindows {
                default_secs: 7 * 86_400,
                by_category: Default::default(),
            },
            loyalty_points_per_100: orderly_domain::DEFAULT_POINTS_PER_100,
            freshness: orderly_domain::Freshness::default(),
            expiry_warning: orderly_domain::DEFAULT_EXPIRY_WARNING,
            expiry_sweep_interval: std::time::Duration::from_secs(24 * 3600),
            carrier_silence_alert: std::time::Duration::from_secs(48 * 3600),
            cart_reminder: std::time::Duration::from_secs(24 * 3600),
            temporal_timeout: std::time::Duration::from_secs(10),
            carrier_simulator: None,
            search_sync: None,
            worker_metrics_addr: None,
            public_url: format!("http://{api_addr}"),
            log_format: LogFormat::Text,
            accounts: orderly_api::state::AccountSettings::default(),
            rate_limits: orderly_api::rate_limits::RateLimitSettings::default(),
            redis_url: None,
            redis_prefix: "orderly".into(),
        }
        .with_dev_secrets()?;

        let store = components::open_store(&settings).await?;
        store.migrate().await?;
        let admin_password = Settings::require(&settings.admin_password, "admin password")?;
        orderly_api::auth::ensure_admin(&store, ADMIN_EMAIL, &admin_password).await?;
        stock(&store).await?;

        let client = components::connect_temporal(&settings, server.address()).await?;
        let state = components::api_state(&settings, store, client.clone()).await?;
        tokio::spawn(orderly_api::serve(listener, state, std::future::pending()));

        let worker = spawn_worker(&settings)?;
        let stop_ceiling = start_ceiling_worker(
            server.address().to_owned(),
            components::payload_cipher(&settings)?,
        )?;
        Ok(Self {
            dir,
            server,
            worker,
            stop_ceiling,
            client,
            api_addr,
            carrier_secret: Settings::require(&settings.carrier_secret, "carrier secret")?,
            admin_password,
        })
    }

    /// (current, peak) RSS of the worker process in MiB.
    pub fn worker_rss(&self) -> Option<(f64, f64)> {
        self.worker.id().and_then(rss::rss_mib)
    }

    pub async fn stop(mut self) {
        (self.stop_ceiling)();
        let _ = self.worker.start_kill();
        let _ = self.worker.wait().await;
        let _ = self.server.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn stock(store: &Store) -> anyhow::Result<()> {
    let sku = Sku::parse(BENCH_SKU)?;
    store
        .catalog()
        .upsert_product(&Product {
            sku: sku.clone(),
            name: "Benchmark apples".into(),
            description: "stock for the benchmark".into(),
            unit: "kg".into(),
            price: Money::new(18_000, Currency::INR),
            category: "Fruit".into(),
            active: true,
            ..Default::default()
        })
        .await?;
    store.inventory().set_on_hand(&sku, 10_000_000).await?;
    Ok(())
}

/// `orderly worker` as a child process, configured like production.
fn spawn_worker(settings: &Settings) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("locating the orderly binary")?;
    let secret = |v: &Option<String>| v.clone().unwrap_or_default();
    Command::new(exe)
        .arg("worker")
        .env("DATABASE_URL", &settings.database_url)
        .env(
            "TEMPORAL_ADDRESS",
            settings.temporal_address.clone().unwrap_or_default(),
        )
        .env("ORDERLY_DATA_DIR", &settings.data_dir)
        .env(
            "ORDERLY_PAYMENT_WEBHOOK_SECRET",
            secret(&settings.payment_webhook_secret),
        )
        .env("ORDERLY_CARRIER_SECRET", secret(&settings.carrier_secret))
        .env("ORDERLY_JWT_SECRET", secret(&settings.jwt_secret))
        .env("ORDERLY_PAYLOAD_KEY", secret(&settings.payload_key))
        .env("ORDERLY_PUBLIC_URL", &settings.public_url)
        .env("ORDERLY_CARRIER_SIMULATOR", "off")
        .env("ORDERLY_WORKER_METRICS_ADDR", "off")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the worker process")
}

/// The ceiling workflows' worker, on its own thread (`run` is not `Send`).
fn start_ceiling_worker(
    address: String,
    cipher: PayloadCipher,
) -> anyhow::Result<Box<dyn Fn() + Send + Sync>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("ceiling-worker".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let started = async {
                    let client = order_worker::connect(&address, "default", &cipher).await?;
                    let (runtime, _) = order_worker::runtime(None)?;
                    let worker = CeilingWorker::new(&runtime, client, CEILING_QUEUE)?;
                    Ok::<_, order_worker::WorkerError>((runtime, worker))
                }
                .await;
                match started {
                    Ok((_runtime, mut worker)) => {
                        let stop: Box<dyn Fn() + Send + Sync> = Box::new(worker.shutdown_handle());
                        let _ = tx.send(Ok(stop));
                        let _ = worker.run().await;
                    }
                    Err(err) => {
                        let _ = tx.send(Err(err));
                    }
                }
            });
        })?;
    Ok(rx.recv().context("the ceiling worker thread")??)
}
