//! Every setting of orderly, read from the environment once at start-up.
//! Each has a default that works on a developer's machine; secrets have no
//! default outside `orderly dev`, which generates them once and keeps them in
//! the data directory so that tokens and signatures survive a restart.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use orderly_api::rate_limits::{LoginLimits, RateLimitSettings};
use orderly_api::state::AccountSettings;
use orderly_domain::{DEFAULT_EXPIRY_WARNING, DEFAULT_POINTS_PER_100, Freshness, ReturnWindows};
use orderly_notifications::TEMPLATES_DIR_ENV;
use orderly_rate_limits::{FailurePolicy, Quota};
use orderly_workers::payload_codec::{PAYLOAD_KEY_ENV, RETIRED_KEYS_ENV};
use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which provider a notification channel goes through
/// (`ORDERLY_SMS_GATEWAY`, `ORDERLY_PUSH_GATEWAY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    /// The built-in sandbox, which records messages instead of sending them.
    Sandbox,
    /// The channel is not offered: customers who chose it are not reached on it.
    Off,
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
    /// The key sealing Temporal payloads (`ORDERLY_PAYLOAD_KEY`, 32 bytes
    /// in base64) and retired keys still opened (`ORDERLY_PAYLOAD_RETIRED_KEYS`).
    pub payload_key: Option<String>,
    pub payload_retired_keys: String,
    /// Browser origins allowed to call the codec server
    /// (`ORDERLY_CODEC_CORS_ORIGINS`, comma-separated).
    pub codec_cors_origins: Vec<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// A folder of replacement message templates (`ORDERLY_TEMPLATES_DIR`).
    pub templates_dir: Option<PathBuf>,
    pub sms_gateway: Gateway,
    pub push_gateway: Gateway,
    pub payment_timeout: Duration,
    pub pickup_window: Duration,
    /// How long a delivered or collected order can still be refunded
    /// (`ORDERLY_REFUND_WINDOW`).
    pub refund_window: Duration,
    /// How long after delivery lines may be returned
    /// (`ORDERLY_RETURN_WINDOW`), and the categories with a window of
    /// their own (`ORDERLY_CATEGORY_RETURN_WINDOWS`, e.g. `fruit=48h`).
    pub return_windows: ReturnWindows,
    /// Loyalty points a received order earns per ₹100 paid
    /// (`ORDERLY_LOYALTY_POINTS_PER_100`).
    pub loyalty_points_per_100: u32,
    /// How fresh reserved stock must be (`ORDERLY_DELIVERY_TIME`,
    /// `ORDERLY_MIN_SHELF_LIFE`).
    pub freshness: Freshness,
    /// How long before its end a batch's seller and ops are alerted
    /// (`ORDERLY_EXPIRY_WARNING`).
    pub expiry_warning: Duration,
    /// How often the worker's schedule runs the expiry sweep
    /// (`ORDERLY_EXPIRY_SWEEP_INTERVAL`).
    pub expiry_sweep_interval: Duration,
    pub carrier_silence_alert: Duration,
    /// How long a cart stays untouched before its reminder (`ORDERLY_CART_REMINDER`).
    pub cart_reminder: Duration,
    /// How long an API request waits for Temporal (`ORDERLY_TEMPORAL_TIMEOUT`).
    pub temporal_timeout: Duration,
    /// Seconds between the carrier simulator's events; `None` when `off`.
    pub carrier_simulator: Option<Duration>,
    /// How often the API's search index catches up with products changed
    /// through other API processes (`ORDERLY_SEARCH_SYNC`); `None` when `off`.
    pub search_sync: Option<Duration>,
    /// Where the worker exposes its Temporal metrics (`ORDERLY_WORKER_METRICS_ADDR`).
    pub worker_metrics_addr: Option<SocketAddr>,
    /// Base URL the simulators post webhooks to (`ORDERLY_PUBLIC_URL`).
    pub public_url: String,
    pub log_format: LogFormat,
    /// Password resets, client addresses and hashing
    /// (`ORDERLY_PASSWORD_RESET_TTL`, `ORDERLY_TRUST_FORWARDED_FOR`,
    /// `ORDERLY_PASSWORD_HASHES_AT_ONCE`).
    pub accounts: AccountSettings,
    /// Rate limits (`ORDERLY_RATE_LIMIT_*`) and login failure streaks
    /// (`ORDERLY_LOGIN_*`).
    pub rate_limits: RateLimitSettings,
    /// Where the API keeps its rate limit counters when replicas share them
    /// (`ORDERLY_REDIS_URL`); `None`: in each process.
    pub redis_url: Option<String>,
    /// The prefix of those counters' keys (`ORDERLY_REDIS_PREFIX`).
    pub redis_prefix: String,
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

/// A duration that must not be zero (a schedule's interval).
fn positive(duration: Duration) -> anyhow::Result<Duration> {
    if duration.is_zero() {
        bail!("must be longer than 0, e.g. 24h");
    }
    Ok(duration)
}

/// `sandbox` (also when unset) or `off`; `name` is the variable, for errors.
fn gateway(name: &str, raw: Option<&str>) -> anyhow::Result<Gateway> {
    match raw.map(str::trim) {
        None | Some("sandbox") => Ok(Gateway::Sandbox),
        Some("off") => Ok(Gateway::Off),
        Some(other) => bail!("{name} must be sandbox or off, not {other:?}"),
    }
}

fn duration_var(name: &str, default: &str) -> anyhow::Result<Duration> {
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    parse_duration(&raw).with_context(|| name.to_owned())
}

/// `fruit=48h,vegetables=2d`: categories (by name, any case) with a
/// return window of their own.
pub fn category_windows(raw: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (category, window) = entry
                .split_once('=')
                .with_context(|| format!("{entry:?} is not category=duration"))?;
            let category = category.trim().to_lowercase();
            anyhow::ensure!(!category.is_empty(), "{entry:?} names no category");
            Ok((category, parse_duration(window)?.as_secs()))
        })
        .collect()
}

/// A duration that `off` turns off (`None`).
fn duration_or_off_var(name: &str, default: &str) -> anyhow::Result<Option<Duration>> {
    match var(name).as_deref() {
        Some("off") => Ok(None),
        _ => duration_var(name, default).map(Some),
    }
}

/// Settings that were replaced, and what replaced them: a deployment
/// still setting one is told at start rather than silently ignored.
const REPLACED: &[(&str, &str)] = &[
    (
        "ORDERLY_RESET_EMAILS_PER_WINDOW",
        "ORDERLY_RATE_LIMIT_RESET_EMAILS (a rate such as 3/15m)",
    ),
    (
        "ORDERLY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
        "ORDERLY_LOGIN_FREE_FAILURES_PER_ACCOUNT",
    ),
    (
        "ORDERLY_LOGIN_MAX_FAILURES_PER_ADDRESS",
        "ORDERLY_LOGIN_FREE_FAILURES_PER_ADDRESS",
    ),
];

/// The account settings from `lookup` (the environment, or a test's map);
/// anything not given keeps [`AccountSettings::default`].
fn account_settings(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<AccountSettings> {
    if let Some((old, new)) = REPLACED.iter().find(|(old, _)| lookup(old).is_some()) {
        bail!("{old} is no longer read; use {new}");
    }
    let defaults = AccountSettings::default();
    let trust_forwarded_for = match lookup("ORDERLY_TRUST_FORWARDED_FOR")
        .as_deref()
        .map(str::trim)
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => bail!("ORDERLY_TRUST_FORWARDED_FOR must be true or false, not {other:?}"),
    };
    Ok(AccountSettings {
        password_reset_ttl: duration_in(
            &lookup,
            "ORDERLY_PASSWORD_RESET_TTL",
            defaults.password_reset_ttl,
        )?,
        trust_forwarded_for,
        password_hashes_at_once: usize::try_from(count_in(
            &lookup,
            "ORDERLY_PASSWORD_HASHES_AT_ONCE",
            u32::try_from(defaults.password_hashes_at_once).unwrap_or(u32::MAX),
        )?)?,
    })
}

/// The rate limits from `lookup`; anything not given keeps
/// [`RateLimitSettings::default`].
fn rate_limit_settings(
    lookup: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<RateLimitSettings> {
    let defaults = RateLimitSettings::default();
    let quota = |name: &str, default: Option<Quota>| -> anyhow::Result<Option<Quota>> {
        match lookup(name).as_deref().map(str::trim) {
            None => Ok(default),
            Some("off") => Ok(None),
            Some(raw) => raw
                .parse()
                .map(Some)
                .with_context(|| format!("{name} must be a rate such as 30/min, or off")),
        }
    };
    let login = defaults.login;
    let per_client = FailurePolicy {
        free: count_in(
            &lookup,
            "ORDERLY_LOGIN_FREE_FAILURES",
            login.per_client.free,
        )?,
        first_delay: duration_in(
            &lookup,
            "ORDERLY_LOGIN_FAILURE_DELAY",
            login.per_client.first_delay,
        )?,
        max_delay: duration_in(
            &lookup,
            "ORDERLY_LOGIN_MAX_FAILURE_DELAY",
            login.per_client.max_delay,
        )?,
        forget_after: duration_in(
            &lookup,
            "ORDERLY_LOGIN_FAILURE_WINDOW",
            login.per_client.forget_after,
        )?,
    };
    Ok(RateLimitSettings {
        auth_per_address: quota("ORDERLY_RATE_LIMIT_AUTH", defaults.auth_per_address)?,
        auth_per_account: quota(
            "ORDERLY_RATE_LIMIT_AUTH_PER_ACCOUNT",
            defaults.auth_per_account,
        )?,
        reset_emails_per_account: quota(
            "ORDERLY_RATE_LIMIT_RESET_EMAILS",
            defaults.reset_emails_per_account,
        )?,
        writes_per_account: quota("ORDERLY_RATE_LIMIT_WRITES", defaults.writes_per_account)?,
        webhooks_per_address: quota("ORDERLY_RATE_LIMIT_WEBHOOKS", defaults.webhooks_per_address)?,
        login: LoginLimits {
            per_client,
            free_per_account: count_in(
                &lookup,
                "ORDERLY_LOGIN_FREE_FAILURES_PER_ACCOUNT",
                login.free_per_account,
            )?,
            free_per_address: count_in(
                &lookup,
                "ORDERLY_LOGIN_FREE_FAILURES_PER_ADDRESS",
                login.free_per_address,
            )?,
        },
    })
}

fn duration_in(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: Duration,
) -> anyhow::Result<Duration> {
    lookup(name).map_or(Ok(default), |raw| {
        parse_duration(&raw).with_context(|| name.to_owned())
    })
}

/// A whole number of at least 1.
fn count_in(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u32,
) -> anyhow::Result<u32> {
    let Some(raw) = lookup(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => bail!("{name} must be a whole number of at least 1, not {raw:?}"),
    }
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
        let carrier_simulator = duration_or_off_var("ORDERLY_CARRIER_SIMULATOR", "10s")?;
        let search_sync = duration_or_off_var("ORDERLY_SEARCH_SYNC", "10s")?;
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
            payload_key: var(PAYLOAD_KEY_ENV),
            payload_retired_keys: var(RETIRED_KEYS_ENV).unwrap_or_default(),
            codec_cors_origins: var("ORDERLY_CODEC_CORS_ORIGINS")
                .unwrap_or_else(|| "http://127.0.0.1:8233,http://localhost:8233".into())
                .split(',')
                .map(|origin| origin.trim().to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            smtp_url: var("SMTP_URL"),
            mail_from: var("ORDERLY_MAIL_FROM").unwrap_or_else(|| "orderly@localhost".into()),
            templates_dir: var(TEMPLATES_DIR_ENV).map(PathBuf::from),
            sms_gateway: gateway("ORDERLY_SMS_GATEWAY", var("ORDERLY_SMS_GATEWAY").as_deref())?,
            push_gateway: gateway(
                "ORDERLY_PUSH_GATEWAY",
                var("ORDERLY_PUSH_GATEWAY").as_deref(),
            )?,
            payment_timeout: duration_var("ORDERLY_PAYMENT_TIMEOUT", "15m")?,
            pickup_window: duration_var("ORDERLY_PICKUP_WINDOW", "3d")?,
            refund_window: duration_var("ORDERLY_REFUND_WINDOW", "30d")?,
            return_windows: ReturnWindows {
                default_secs: duration_var("ORDERLY_RETURN_WINDOW", "7d")?.as_secs(),
                by_category: category_windows(
                    var("ORDERLY_CATEGORY_RETURN_WINDOWS")
                        .as_deref()
                        .unwrap_or(""),
                )
                .context("ORDERLY_CATEGORY_RETURN_WINDOWS")?,
            },
            loyalty_points_per_100: count_in(
                &var,
                "ORDERLY_LOYALTY_POINTS_PER_100",
                DEFAULT_POINTS_PER_100,
            )?,
            freshness: Freshness {
                delivery_time: duration_var("ORDERLY_DELIVERY_TIME", "1d")?,
                min_shelf_life: duration_var("ORDERLY_MIN_SHELF_LIFE", "2d")?,
            },
            expiry_warning: duration_in(&var, "ORDERLY_EXPIRY_WARNING", DEFAULT_EXPIRY_WARNING)?,
            expiry_sweep_interval: positive(duration_var("ORDERLY_EXPIRY_SWEEP_INTERVAL", "24h")?)
                .context("ORDERLY_EXPIRY_SWEEP_INTERVAL")?,
            carrier_silence_alert: duration_var("ORDERLY_CARRIER_SILENCE_ALERT", "48h")?,
            cart_reminder: duration_var("ORDERLY_CART_REMINDER", "24h")?,
            temporal_timeout: duration_var("ORDERLY_TEMPORAL_TIMEOUT", "10s")?,
            carrier_simulator,
            search_sync,
            worker_metrics_addr,
            public_url,
            log_format,
            accounts: account_settings(var)?,
            rate_limits: rate_limit_settings(var)?,
            redis_url: var("ORDERLY_REDIS_URL"),
            redis_prefix: var("ORDERLY_REDIS_PREFIX").unwrap_or_else(|| "orderly".into()),
        })
    }

    /// The demo seller's password, made on first use and kept in
    /// `data_dir/secrets/` like the other dev secrets.
    pub fn demo_seller_password(&self) -> anyhow::Result<String> {
        let dir = self.data_dir.join("secrets");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        kept_secret(&dir, "demo-seller-password")
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
        if self.payload_key.is_none() {
            self.payload_key = Some(kept_key(&dir, "payload-key")?);
        }
        Ok(self)
    }

    pub fn require(value: &Option<String>, name: &str) -> anyhow::Result<String> {
        value.clone().with_context(|| {
            format!("{name} must be set (orderly dev generates it; api and worker need it)")
        })
    }
}

fn kept_secret(dir: &Path, name: &str) -> anyhow::Result<String> {
    kept(dir, name, || {
        let mut bytes = [0u8; 18];
        rand::thread_rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    })
}

/// A 32-byte key in base64, as `ORDERLY_PAYLOAD_KEY` takes it.
fn kept_key(dir: &Path, name: &str) -> anyhow::Result<String> {
    kept(dir, name, || {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    })
}

/// The secret kept in `dir/name`, generated and written there the first
/// time (readable by its owner only).
fn kept(dir: &Path, name: &str, generate: impl FnOnce() -> String) -> anyhow::Result<String> {
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let secret = generate();
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

    #[test]
    fn category_return_windows_are_read_by_name_in_any_case() {
        let windows = category_windows(" Fruit=48h, vegetables = 2d ,").unwrap();
        assert_eq!(windows.get("fruit"), Some(&(48 * 3600)));
        assert_eq!(windows.get("vegetables"), Some(&(2 * 86_400)));
        assert!(category_windows("fruit").is_err());
        assert!(category_windows("=48h").is_err());
        assert!(category_windows("fruit=soon").is_err());
    }

    #[test]
    fn a_schedule_interval_of_nothing_is_refused() {
        assert_eq!(
            positive(Duration::from_secs(60)).unwrap(),
            Duration::from_secs(60)
        );
        assert!(positive(Duration::ZERO).is_err());
    }

    #[test]
    fn a_gateway_is_the_sandbox_unless_turned_off() {
        let name = "ORDERLY_SMS_GATEWAY";
        assert_eq!(gateway(name, None).unwrap(), Gateway::Sandbox);
        assert_eq!(gateway(name, Some("sandbox")).unwrap(), Gateway::Sandbox);
        assert_eq!(gateway(name, Some(" off ")).unwrap(), Gateway::Off);
        let error = gateway(name, Some("twilio")).unwrap_err();
        assert!(format!("{error:#}").contains(name), "{error:#}");
    }

    fn lookup<'a>(pairs: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn account_settings_come_from_the_environment_and_default_when_unset() {
        let defaults = AccountSettings::default();
        let unset = account_settings(lookup(&[])).unwrap();
        assert_eq!(unset.password_reset_ttl, defaults.password_reset_ttl);
        assert!(!unset.trust_forwarded_for);

        let set = account_settings(lookup(&[
            ("ORDERLY_PASSWORD_RESET_TTL", "10m"),
            ("ORDERLY_TRUST_FORWARDED_FOR", "true"),
            ("ORDERLY_PASSWORD_HASHES_AT_ONCE", "3"),
        ]))
        .unwrap();
        assert_eq!(set.password_reset_ttl, Duration::from_secs(600));
        assert!(set.trust_forwarded_for);
        assert_eq!(set.password_hashes_at_once, 3);
    }

    #[test]
    fn rate_limits_come_from_the_environment_and_off_turns_one_off() {
        let defaults = RateLimitSettings::default();
        let unset = rate_limit_settings(lookup(&[])).unwrap();
        assert_eq!(unset.auth_per_address, defaults.auth_per_address);
        assert_eq!(unset.login.per_client, defaults.login.per_client);

        let set = rate_limit_settings(lookup(&[
            ("ORDERLY_RATE_LIMIT_AUTH", "30/min"),
            ("ORDERLY_RATE_LIMIT_AUTH_PER_ACCOUNT", "5/min"),
            ("ORDERLY_RATE_LIMIT_RESET_EMAILS", "2/h"),
            ("ORDERLY_RATE_LIMIT_WRITES", "off"),
            ("ORDERLY_RATE_LIMIT_WEBHOOKS", "100/s"),
            ("ORDERLY_LOGIN_FREE_FAILURES", "3"),
            ("ORDERLY_LOGIN_FREE_FAILURES_PER_ACCOUNT", "50"),
            ("ORDERLY_LOGIN_FREE_FAILURES_PER_ADDRESS", "70"),
            ("ORDERLY_LOGIN_FAILURE_DELAY", "250ms"),
            ("ORDERLY_LOGIN_MAX_FAILURE_DELAY", "5m"),
            ("ORDERLY_LOGIN_FAILURE_WINDOW", "2h"),
        ]))
        .unwrap();
        assert_eq!(set.auth_per_address, Quota::per_minute(30));
        assert_eq!(set.auth_per_account, Quota::per_minute(5));
        assert_eq!(set.reset_emails_per_account, "2/h".parse().ok());
        assert_eq!(set.writes_per_account, None);
        assert_eq!(set.webhooks_per_address, "100/s".parse().ok());
        assert_eq!(
            set.login.per_client,
            FailurePolicy {
                free: 3,
                first_delay: Duration::from_millis(250),
                max_delay: Duration::from_secs(300),
                forget_after: Duration::from_secs(7200),
            }
        );
        assert_eq!(set.login.free_per_account, 50);
        assert_eq!(set.login.free_per_address, 70);
    }

    #[test]
    fn a_bad_limit_is_an_error_naming_the_variable() {
        for (name, value) in [
            ("ORDERLY_LOGIN_FREE_FAILURES", "0"),
            ("ORDERLY_LOGIN_FREE_FAILURES_PER_ADDRESS", "many"),
            ("ORDERLY_RATE_LIMIT_AUTH", "lots"),
            ("ORDERLY_RATE_LIMIT_WRITES", "0/min"),
            ("ORDERLY_LOGIN_FAILURE_DELAY", "soon"),
        ] {
            let error = rate_limit_settings(lookup(&[(name, value)])).unwrap_err();
            assert!(format!("{error:#}").contains(name), "{name}: {error:#}");
        }
        for (name, value) in [
            ("ORDERLY_TRUST_FORWARDED_FOR", "yes"),
            ("ORDERLY_PASSWORD_RESET_TTL", "soon"),
            ("ORDERLY_PASSWORD_HASHES_AT_ONCE", "0"),
        ] {
            let error = account_settings(lookup(&[(name, value)])).unwrap_err();
            assert!(format!("{error:#}").contains(name), "{name}: {error:#}");
        }
    }

    #[test]
    fn a_replaced_setting_is_refused_naming_its_replacement() {
        let error = account_settings(lookup(&[("ORDERLY_LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("ORDERLY_LOGIN_FREE_FAILURES_PER_ACCOUNT"),
            "{error}"
        );
    }
}
