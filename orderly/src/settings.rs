//! Every setting of orderly, read from the environment once at start-up.
//! Each has a default that works on a developer's machine; secrets have no
//! default outside `orderly dev`, which generates them once and keeps them in
//! the data directory so that tokens and signatures survive a restart.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub http_addr: SocketAddr,
    pub database_url: String,
    /// `None`: `orderly dev` starts its own Temporal dev server.
    pub temporal_address: Option<String>,
    pub temporal_namespace: String,
    pub data_dir: PathBuf,
    pub admin_email: String,
    pub admin_password: Option<String>,
    pub jwt_secret: Option<String>,
    pub carrier_secret: Option<String>,
    pub payment_webhook_secret: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub payment_timeout: Duration,
    pub pickup_window: Duration,
    pub carrier_silence_alert: Duration,
    /// How long a cart stays untouched before its reminder (`ORDERLY_CART_REMINDER`).
    pub cart_reminder: Duration,
    /// Seconds between the carrier simulator's events; `None` when `off`.
    pub carrier_simulator: Option<Duration>,
    /// Where the worker exposes its Temporal metrics (`ORDERLY_WORKER_METRICS_ADDR`).
    pub worker_metrics_addr: Option<SocketAddr>,
    /// Base URL the simulators post webhooks to (`ORDERLY_PUBLIC_URL`).
    pub public_url: String,
    pub log_format: LogFormat,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `90`, `90s`, `15m`, `2h` or `3d`.
pub fn parse_duration(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let (number, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => raw.split_at(i),
        None => (raw, "s"),
    };
    let n: u64 = number
        .parse()
        .with_context(|| format!("{raw:?} is not a duration such as 90s, 15m or 2h"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("{raw:?} has an unknown unit; use ms, s, m, h or d"),
    };
    Ok(Duration::from_secs(seconds))
}

fn duration_var(name: &str, default: &str) -> anyhow::Result<Duration> {
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    parse_duration(&raw).with_context(|| name.to_owned())
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(var("ORDERLY_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let http_addr: SocketAddr = var("ORDERLY_HTTP_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("ORDERLY_HTTP_ADDR must be host:port, e.g. 127.0.0.1:8080")?;
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("orderly.db").display()));
        let carrier_simulator = match var("ORDERLY_CARRIER_SIMULATOR").as_deref() {
            Some("off") => None,
            Some(raw) => Some(parse_duration(raw).context("ORDERLY_CARRIER_SIMULATOR")?),
            None => Some(Duration::from_secs(10)),
        };
        let worker_metrics_addr = match var("ORDERLY_WORKER_METRICS_ADDR").as_deref() {
            Some("off") => None,
            Some(raw) => Some(
                raw.parse()
                    .context("ORDERLY_WORKER_METRICS_ADDR must be host:port or off")?,
            ),
            None => Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
        };
        let log_format = match var("LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("text") | None => LogFormat::Text,
            Some(other) => bail!("LOG_FORMAT must be json or text, not {other:?}"),
        };
        let public_url = var("ORDERLY_PUBLIC_URL").unwrap_or_else(|| {
            let host = if http_addr.ip().is_unspecified() {
                "127.0.0.1".to_owned()
            } else {
                http_addr.ip().to_string()
            };
            format!("http://{host}:{}", http_addr.port())
        });
        Ok(Self {
            http_addr,
            database_url,
            temporal_address: var("TEMPORAL_ADDRESS"),
            temporal_namespace: var("TEMPORAL_NAMESPACE").unwrap_or_else(|| "default".into()),
            data_dir,
            admin_email: var("ORDERLY_ADMIN_EMAIL").unwrap_or_else(|| "admin@orderly.local".into()),
            admin_password: var("ORDERLY_ADMIN_PASSWORD"),
            jwt_secret: var("ORDERLY_JWT_SECRET"),
            carrier_secret: var("ORDERLY_CARRIER_SECRET"),
            payment_webhook_secret: var("ORDERLY_PAYMENT_WEBHOOK_SECRET"),
            smtp_url: var("SMTP_URL"),
            mail_from: var("ORDERLY_MAIL_FROM").unwrap_or_else(|| "orderly@localhost".into()),
            payment_timeout: duration_var("ORDERLY_PAYMENT_TIMEOUT", "15m")?,
            pickup_window: duration_var("ORDERLY_PICKUP_WINDOW", "3d")?,
            carrier_silence_alert: duration_var("ORDERLY_CARRIER_SILENCE_ALERT", "48h")?,
            cart_reminder: duration_var("ORDERLY_CART_REMINDER", "24h")?,
            carrier_simulator,
            worker_metrics_addr,
            public_url,
            log_format,
        })
    }

    /// Fills every missing secret with one kept in `data_dir/secrets/`, made
    /// on first use. Only `orderly dev` does this; production processes must
    /// be given their secrets.
    pub fn with_dev_secrets(mut self) -> anyhow::Result<Self> {
        let dir = self.data_dir.join("secrets");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let fill = |slot: &mut Option<String>, name: &str| -> anyhow::Result<()> {
            if slot.is_none() {
                *slot = Some(kept_secret(&dir, name)?);
            }
            Ok(())
        };
        fill(&mut self.admin_password, "admin-password")?;
        fill(&mut self.jwt_secret, "jwt-secret")?;
        fill(&mut self.carrier_secret, "carrier-secret")?;
        fill(&mut self.payment_webhook_secret, "payment-webhook-secret")?;
        Ok(self)
    }

    pub fn require(value: &Option<String>, name: &str) -> anyhow::Result<String> {
        value.clone().with_context(|| {
            format!("{name} must be set (orderly dev generates it; api and worker need it)")
        })
    }
}

fn kept_secret(dir: &Path, name: &str) -> anyhow::Result<String> {
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let mut bytes = [0u8; 18];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    std::fs::write(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_the_documented_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5w").is_err());
    }
}
