//! Subcommands of `orderly`.

use clap::{Parser, Subcommand};

use orderly_devtools::{bench, bench_search, dev};
use orderly_platform::settings::Settings;
use orderly_platform::{components, telemetry};

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
    Bench(bench::BenchArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Index a generated catalogue and measure search latency.
    BenchSearch(bench_search::BenchSearchArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            println!("{}", orderly_api::openapi::document().to_pretty_json()?);
            Ok(())
        }
        Command::Bench(args) => {
            telemetry::init("warn");
            bench::run(args).await
        }
        Command::BenchSearch(args) => {
            telemetry::init("warn");
            tokio::task::spawn_blocking(move || bench_search::run(args)).await?
        }
        command => {
            let settings = Settings::from_env()?;
            telemetry::init_from(&settings);
            match command {
                Command::Dev => dev::run(settings).await,
                Command::Api => components::run_api(settings).await,
                Command::Worker => components::run_worker(settings).await,
                Command::Migrate => components::migrate(&settings).await,
                Command::Openapi | Command::Bench(_) | Command::BenchSearch(_) => Ok(()),
            }
        }
    }
}
