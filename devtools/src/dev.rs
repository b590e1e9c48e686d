//! `orderly dev`: the whole platform in one process for a developer's
//! machine. A Temporal dev server runs as a child process (its state in
//! `data/temporal.db`, so orders survive a restart) unless `TEMPORAL_ADDRESS`
//! points at a cluster; then migrations, demo data, the worker (with the
//! expiry sweep's schedule), the API and the carrier simulator. Ctrl-C stops
//! everything, child server included.

use anyhow::Context;
use tokio::sync::watch;

use orderly_notifications::RELAY_EVERY;

use crate::dev_server::{DevServer, DevServerOptions, LogLevel, locate_temporal_bin};
use orderly_workers::order_worker::{self, OrderWorker};
use orderly_workflows::SEARCH_ATTRIBUTES;

use orderly_platform::components::{self, shutdown};
use orderly_platform::settings::Settings;

/// Ports of the Temporal dev server `orderly dev` starts.
pub const DEV_TEMPORAL_PORT: u16 = 7233;
pub const DEV_UI_PORT: u16 = 8233;

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let settings = settings.with_dev_secrets()?;

    let server = match &settings.temporal_address {
        Some(_) => None,
        None => Some(start_temporal(&settings).await?),
    };
    let address = match &server {
        Some(server) => server.address().to_owned(),
        None => settings
            .temporal_address
            .clone()
            .context("TEMPORAL_ADDRESS")?,
    };
    let outcome = run_platform(
        &settings,
        &address,
        server.as_ref().and_then(|s| s.ui_url()),
    )
    .await;
    if let Some(server) = server {
        tracing::info!("stopping the Temporal dev server");
        server
            .shutdown()
            .await
            .context("stopping the Temporal dev server")?;
    }
    outcome
}

async fn start_temporal(settings: &Settings) -> anyhow::Result<DevServer> {
    tracing::info!("starting the Temporal dev server");
    DevServer::start(DevServerOptions {
        temporal_bin: locate_temporal_bin(),
        port: DEV_TEMPORAL_PORT,
        ui_port: Some(DEV_UI_PORT),
        // The API's codec server: after signing in at /codec/login, the UI
        // shows decoded payloads (with "Include cross-origin credentials").
        ui_codec_endpoint: Some(format!("{}/codec", settings.public_url)),
        db_file: Some(settings.data_dir.join("temporal.db")),
        namespace: settings.temporal_namespace.clone(),
        search_attributes: SEARCH_ATTRIBUTES
            .iter()
            .map(|(name, kind)| ((*name).to_owned(), (*kind).to_owned()))
            .collect(),
        log_level: LogLevel::Warn,
    })
    .await
    .context("starting the Temporal dev server (run scripts/bootstrap to install it)")
}

async fn run_platform(
    settings: &Settings,
    address: &str,
    ui_url: Option<&str>,
) -> anyhow::Result<()> {
    let store = components::open_store(settings).await?;
    store.migrate().await.context("applying migrations")?;
    let admin_password = Settings::require(&settings.admin_password, "ORDERLY_ADMIN_PASSWORD")?;
    let seller_password = settings.demo_seller_password()?;
    crate::demo_data::seed(
        &store,
        &settings.admin_email,
        &admin_password,
        &seller_password,
    )
    .await?;

    let client = components::connect_temporal(settings, address).await?;
    let (runtime, metrics_addr) = order_worker::runtime(settings.worker_metrics_addr)?;
    let notifier = components::notifier(settings, &store)?;
    tokio::spawn(notifier.clone().relay(RELAY_EVERY));
    components::expiry_schedule(settings, &client).await?;
    let mut worker = OrderWorker::on_order_queue(
        &runtime,
        client.clone(),
        components::order_activities(settings, &store, notifier)?,
    )?;
    let state = components::api_state(settings, store.clone(), client).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("binding {}", settings.http_addr))?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let api = tokio::spawn(orderly_api::serve(listener, state, stopped()));
    if let Some(simulator) = components::carrier_simulator(settings, &store)? {
        tokio::spawn(simulator.run(stopped()));
    }
    let stop_worker = worker.shutdown_handle();
    tokio::spawn(async move {
        shutdown().await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
        stop_worker();
    });

    print_banner(
        settings,
        address,
        ui_url,
        metrics_addr,
        &admin_password,
        &seller_password,
    );
    worker.run().await?;
    api.await.context("the API task")??;
    Ok(())
}

fn print_banner(
    settings: &Settings,
    address: &str,
    ui_url: Option<&str>,
    metrics: Option<std::net::SocketAddr>,
    admin_password: &str,
    seller_password: &str,
) {
    let api = &settings.public_url;
    println!();
    println!("orderly is running. Ctrl-C stops everything.");
    println!("  API              {api}/v1   (OpenAPI: {api}/openapi.json)");
    println!(
        "  Temporal         {address}  namespace {}",
        settings.temporal_namespace
    );
    if let Some(ui) = ui_url {
        println!(
            "  Temporal Web UI  {ui}/namespaces/{}/workflows",
            settings.temporal_namespace
        );
        println!(
            "  Decoded payloads sign in at {api}/codec/login (admin), then in the UI's codec settings turn on \"Include cross-origin credentials\""
        );
    }
    if let Some(metrics) = metrics {
        println!("  Worker metrics   http://{metrics}/metrics");
    }
    match settings.carrier_simulator {
        Some(every) => println!(
            "  Carrier sim.     one event every {}s",
            every.as_secs_f32()
        ),
        None => println!("  Carrier sim.     off (shipments advance only by webhooks)"),
    }
    println!(
        "  Admin            {} / {}",
        settings.admin_email, admin_password
    );
    println!(
        "  Demo seller      {} / {seller_password}",
        crate::demo_data::SELLER_EMAIL
    );
    println!("  Data             {}", settings.data_dir.display());
    println!();
}
