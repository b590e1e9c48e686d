//! Subcommands of `orderly`.

use clap::{Parser, Subcommand};

use crate::settings::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "orderly",
    version,
    about = "A durable order platform on Temporal"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything on one machine: a Temporal dev server (unless TEMPORAL_ADDRESS is set),
    /// migrations, demo data, the worker, the API and the carrier simulator.
    Dev,
    /// The REST API only.
    Api,
    /// The Temporal worker only.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Drive full order lifecycles through the API and compare with the server's bare ceiling.
    Bench(crate::bench::BenchArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Index a generated catalogue and measure search latency.
    BenchSearch(crate::bench_search::BenchSearchArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            println!("{}", orderly_api::openapi::document().to_pretty_json()?);
            Ok(())
        }
        Command::Bench(args) => {
            crate::telemetry::init("warn");
            crate::bench::run(args).await
        }
        Command::BenchSearch(args) => {
            crate::telemetry::init("warn");
            tokio::task::spawn_blocking(move || crate::bench_search::run(args)).await?
        }
        command => {
            let settings = Settings::from_env()?;
            crate::telemetry::init_from(&settings);
            match command {
                Command::Dev => crate::dev::run(settings).await,
                Command::Api => crate::components::run_api(settings).await,
                Command::Worker => crate::components::run_worker(settings).await,
                Command::Migrate => crate::components::migrate(&settings).await,
                Command::Openapi | Command::Bench(_) | Command::BenchSearch(_) => Ok(()),
            }
        }
    }
}
