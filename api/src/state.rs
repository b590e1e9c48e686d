//! What every handler can reach: the store, the Temporal client and the
//! settings. Cheap to clone (everything inside is shared).

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use metrics_exporter_prometheus::PrometheusHandle;
use sha2::Sha256;
use temporalio_client::Client;

use orderly_domain::ReturnWindows;
use orderly_notifications::Templates;
use orderly_providers::EmailSender;
use orderly_providers::payments::CardVault;
use orderly_rate_limits::RateLimiter;
use orderly_search::ProductIndex;
use orderly_store::Store;
use orderly_workers::payload_codec::PayloadCipher;
use orderly_workflows::OrderTimings;

use crate::auth::live_sessions::LiveSessions;
use crate::auth::password::PasswordHashing;
use crate::rate_limits::RateLimitSettings;

/// Settings of the API process, read from the environment by the binary.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// HMAC key of access tokens (`ORDERLY_JWT_SECRET`).
    pub jwt_secret: String,
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_token_ttl: Duration,
    /// Shared secret of carrier webhooks (`ORDERLY_CARRIER_SECRET`).
    pub carrier_secret: String,
    /// Shared secret of payment webhooks (`ORDERLY_PAYMENT_WEBHOOK_SECRET`).
    pub payment_webhook_secret: String,
    /// Oldest webhook timestamp accepted.
    pub webhook_tolerance: Duration,
    /// Timings every new order starts with.
    pub order_timings: OrderTimings,
    /// How long after delivery lines may be returned, by category.
    pub return_windows: ReturnWindows,
    /// Temporal namespace of the order workflows.
    pub namespace: String,
    /// Task queue new orders are started on (`ORDER_TASK_QUEUE` in production;
    /// tests give each app its own).
    pub task_queue: String,
    /// The worker's Prometheus endpoint, appended to `/metrics` when set.
    pub worker_metrics_url: Option<String>,
    /// Password resets, client addresses and password hashing.
    pub accounts: AccountSettings,
    /// Rate limits and login failure streaks.
    pub rate_limits: RateLimitSettings,
    /// How long a cart stays untouched before its one reminder
    /// (`ORDERLY_CART_REMINDER`).
    pub cart_reminder: Duration,
    /// How long a request waits for Temporal before answering 503
    /// (`ORDERLY_TEMPORAL_TIMEOUT`).
    pub temporal_timeout: Duration,
    /// The HMAC key of stored request fingerprints (derived from the JWT
    /// secret).
    pub fingerprint_key: Vec<u8>,
    /// The HMAC key of device tokens (derived from the JWT secret).
    pub device_key: Vec<u8>,
    /// Origins (the Temporal Web UI's) allowed to call the codec server
    /// from a browser (`ORDERLY_CODEC_CORS_ORIGINS`).
    pub codec_cors_origins: Vec<String>,
}

/// The HMAC key of stored request fingerprints, derived from the JWT
/// secret so that it needs no setting of its own.
pub fn fingerprint_key(jwt_secret: &str) -> Vec<u8> {
    derived_key(jwt_secret, "orderly request fingerprints")
}

/// The HMAC key of device tokens, derived like [`fingerprint_key`].
pub fn device_key(jwt_secret: &str) -> Vec<u8> {
    derived_key(jwt_secret, "orderly device tokens")
}

/// The key the rate limiter hashes its counters' names with.
pub fn rate_limit_key(jwt_secret: &str) -> Vec<u8> {
    derived_key(jwt_secret, "orderly rate limit keys")
}

/// A key for one `purpose`, so that no two uses share a key.
fn derived_key(jwt_secret: &str, purpose: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(jwt_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub temporal: Client,
    pub settings: Arc<ApiSettings>,
    /// Renders `/metrics`; `None` when another part of the process owns the recorder.
    pub metrics: Option<PrometheusHandle>,
    /// Sends account emails (password resets); `None` without SMTP.
    pub mailer: Option<EmailSender>,
    /// The wording of those emails.
    pub templates: Arc<Templates>,
    /// The product search index; `None` where search is not served.
    pub search: Option<Arc<ProductIndex>>,
    /// Whether sessions are live, as this process last read it.
    pub sessions: Arc<LiveSessions>,
    /// The counters behind rate limits and login throttling.
    pub limiter: RateLimiter,
    /// Where requests hash and check passwords, a few at a time.
    pub passwords: PasswordHashing,
    /// Seals and opens Temporal payloads, for the codec server.
    pub payload_cipher: PayloadCipher,
    /// Where card numbers are exchanged for tokens.
    pub card_vault: Arc<dyn CardVault>,
}

/// Settings of the account endpoints. The defaults suit production; tests
/// shorten them.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// How long an emailed password reset token works.
    pub password_reset_ttl: Duration,
    /// Take the client address from the last `X-Forwarded-For` entry (set
    /// only behind a proxy that appends it; otherwise clients could choose
    /// their own address).
    pub trust_forwarded_for: bool,
    /// Password hashes (argon2, about 19 MiB each) run at once; further
    /// requests wait for a turn (`ORDERLY_PASSWORD_HASHES_AT_ONCE`).
    pub password_hashes_at_once: usize,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            password_reset_ttl: Duration::from_secs(30 * 60),
            trust_forwarded_for: false,
            password_hashes_at_once: std::thread::available_parallelism().map_or(2, usize::from),
        }
    }
}
