//! Logging: human-readable by default, JSON lines with `LOG_FORMAT=json`.
//! `RUST_LOG` filters as usual.

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, Settings};

pub fn init_from(settings: &Settings) {
    install(settings.log_format, "info");
}

pub fn init(default_filter: &str) {
    install(LogFormat::Text, default_filter);
}

fn install(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_filter},temporalio_sdk_core=warn")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second initialisation (tests, bench) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
