//! The HTTP transport shared by the hand-written providers (Tencent,
//! Alibaba, Huawei, OpenStack, Azure).
//!
//! A provider holds one [`Transport`] per account (it is cheap to clone)
//! and makes every call through [`Transport::send`] (buffered body, for
//! JSON/XML APIs) or [`Transport::send_streaming`] (object downloads), with:
//!
//! - a [`CallMeta`] saying what the call is (provider, service, action,
//!   region, whether it mutates, whether it is safe to retry);
//! - a closure that builds — and signs — the request for each attempt
//!   (signatures carry timestamps, so every retry is signed afresh);
//! - a [`Classifier`] that turns a response (status, headers, body) into
//!   success or an [`Error`](crate::Error) of the right kind.
//!
//! For each call the transport:
//!
//! 1. refuses mutating calls when the account is read-only
//!    ([`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied)),
//!    before anything is built or sent;
//! 2. waits for the [`RateLimiter`] (token bucket per provider, account,
//!    region and action);
//! 3. sends with a per-attempt timeout of `min(read timeout, time left)`,
//!    inside a `request` tracing span (provider, service, action, region,
//!    account, attempt, host, status);
//! 4. retries retryable failures ([`ErrorKind::is_retryable`](crate::ErrorKind::is_retryable))
//!    with exponential backoff and full jitter ([`Backoff`]) or the
//!    server's `Retry-After`, at most `max_attempts` times, while the shared
//!    [`RetryBudget`] lasts, and never past the call's deadline; calls not
//!    marked `retry_safe` are retried only when the failure proves the
//!    request was not processed (connect errors, throttling);
//!
//!    The deadline covers limiter waits, request building, every attempt
//!    and every backoff sleep (for streaming calls: until the response
//!    headers); a wait that would end past it is not started, the call
//!    fails at once with the last error (or [`ErrorKind::Timeout`](crate::ErrorKind::Timeout));
//! 5. returns errors carrying the call's provider, service, action, region,
//!    HTTP status, request id and attempt count — never URLs, headers or
//!    bodies, so never secrets.
//!
//! Defaults (see [`settings`]): connect timeout 5 s, read timeout 30 s,
//! deadline 120 s, 5 attempts, backoff 200 ms base / 20 s cap, retry budget
//! 500 tokens, buffered bodies up to 64 MiB. Plain `http://` only with
//! `allow_http` (the account's `endpoints.allow_http`).
//!
//! ```no_run
//! # async fn demo() -> multicloud::Result<()> {
//! use multicloud::model::ProviderKind;
//! use multicloud::transport::{CallMeta, HttpStatusClassifier, Transport};
//!
//! let transport = Transport::builder().account("prod").build()?;
//! let meta = CallMeta::read(ProviderKind::Openstack, "compute", "ListServers")
//!     .with_region("RegionOne");
//! let client = transport.client().clone();
//! let response = transport
//!     .send(
//!         &meta,
//!         |_attempt| {
//!             client
//!                 .get("https://nova.example.com/v2.1/servers")
//!                 .header("X-Auth-Token", "…")
//!                 .build()
//!                 .map_err(|e| multicloud::Error::invalid_argument(e.to_string()))
//!         },
//!         &HttpStatusClassifier,
//!     )
//!     .await?;
//! let _servers: serde_json::Value = response.json()?;
//! # Ok(()) }
//! ```

mod call;
pub mod classify;
pub mod client;
pub mod limiter;
pub mod meta;
pub mod resolve;
pub mod retry;
pub mod settings;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use call::{ByteStream, Response, StreamingResponse};
pub use classify::{
    Classifier, Failure, HttpStatusClassifier, Outcome, ResponseView, kind_for_status,
    request_id_from_headers,
};
pub use client::{HttpSend, ReqwestSender, SendError, SendErrorKind, build_client};
pub use limiter::{LimiterStats, RateLimit, RateLimiter};
pub use meta::CallMeta;
pub use resolve::ResolveOverride;
pub use retry::{Backoff, RetryBudget, retry_after};
pub use settings::{RetryBudgetConfig, TransportSettings};

use crate::config::{AccountConfig, TransportConfig};
use crate::error::Result;

/// The shared transport of one account. Cloning is cheap (an `Arc`); clones
/// share the client, the limiter, the retry budget and the counters.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("settings", &self.inner.settings)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

struct Inner {
    settings: TransportSettings,
    client: reqwest::Client,
    sender: Arc<dyn HttpSend>,
    limiter: Arc<RateLimiter>,
    budget: RetryBudget,
    backoff: Backoff,
    counters: Counters,
}

#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    budget_exhausted: AtomicU64,
}

/// Counters of a transport, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Requests sent (every attempt).
    pub attempts: u64,
    /// Retries made.
    pub retries: u64,
    /// Responses classified as [`Throttled`](crate::ErrorKind::Throttled).
    pub throttled: u64,
    /// Failures returned without retry because the retry budget was empty.
    pub budget_exhausted: u64,
    /// Tokens left in the retry budget.
    pub retry_budget_available: u32,
    /// The rate limiter's counters (throttle waits).
    pub limiter: LimiterStats,
}

impl Transport {
    /// A builder with the documented defaults.
    pub fn builder() -> TransportBuilder {
        TransportBuilder::new()
    }

    /// A transport for `config` (defaults for what it leaves unset).
    pub fn new(config: &TransportConfig) -> Result<Self> {
        TransportBuilder::from_config(config)?.build()
    }

    /// A transport for an account: its `transport` settings, its name as
    /// the limiter's account label, its `read_only` switch and its
    /// `endpoints.allow_http`.
    pub fn from_account(account: &AccountConfig) -> Result<Self> {
        TransportBuilder::from_account(account)?.build()
    }

    /// The settings in force.
    pub fn settings(&self) -> &TransportSettings {
        &self.inner.settings
    }

    /// The reqwest client, to build requests with (`client.get(url)…build()`).
    pub fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// Whether mutating calls are refused.
    pub fn is_read_only(&self) -> bool {
        self.inner.settings.read_only
    }

    /// The rate limiter.
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.inner.limiter
    }

    /// The counters so far.
    pub fn stats(&self) -> TransportStats {
        let c = &self.inner.counters;
        TransportStats {
            attempts: c.attempts.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            budget_exhausted: c.budget_exhausted.load(Ordering::Relaxed),
            retry_budget_available: self.inner.budget.available(),
            limiter: self.inner.limiter.stats(),
        }
    }
}

/// Builds a [`Transport`]. Start from [`Transport::builder`],
/// [`TransportBuilder::from_config`] or [`TransportBuilder::from_account`].
#[derive(Debug, Default)]
pub struct TransportBuilder {
    settings: TransportSettings,
    sender: Option<Arc<dyn HttpSend>>,
    limiter: Option<Arc<RateLimiter>>,
}

impl TransportBuilder {
    /// The documented defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The defaults overridden by `config`.
    pub fn from_config(config: &TransportConfig) -> Result<Self> {
        Ok(TransportBuilder {
            settings: TransportSettings::from_config(config)?,
            ..Self::default()
        })
    }

    /// The settings of an account (see [`Transport::from_account`]).
    pub fn from_account(account: &AccountConfig) -> Result<Self> {
        Ok(Self::from_config(&account.transport)?
            .account(account.name.clone())
            .read_only(account.read_only)
            .allow_http(account.endpoints.allow_http))
    }

    /// Replace all settings.
    pub fn settings(mut self, settings: TransportSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Mutable access to the settings.
    pub fn settings_mut(&mut self) -> &mut TransportSettings {
        &mut self.settings
    }

    /// The account label (rate-limiter key).
    pub fn account(mut self, label: impl Into<String>) -> Self {
        self.settings.account = label.into();
        self
    }

    /// Refuse mutating calls.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.settings.read_only = read_only;
        self
    }

    /// Allow plain `http://` URLs.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.settings.allow_http = allow;
        self
    }

    /// Connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Per-attempt read timeout.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.read_timeout = timeout;
        self
    }

    /// Total deadline per call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.settings.deadline = deadline;
        self
    }

    /// Most attempts per call, the first included.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.settings.max_attempts = attempts;
        self
    }

    /// Backoff base and cap.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.settings.backoff_base = base;
        self.settings.backoff_cap = cap;
        self
    }

    /// Retry budget.
    pub fn retry_budget(mut self, budget: RetryBudgetConfig) -> Self {
        self.settings.retry_budget = budget;
        self
    }

    /// Largest buffered body.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_body_bytes = bytes;
        self
    }

    /// Proxy URL.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.settings.proxy = Some(url.into());
        self
    }

    /// Extra PEM CA bundle.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.settings.ca_file = Some(path.into());
        self
    }

    /// Send hosts matching `pattern` to `addr` (see [`ResolveOverride`]).
    pub fn resolve(mut self, pattern: impl Into<String>, addr: impl Into<String>) -> Self {
        self.settings.resolve.insert(pattern.into(), addr.into());
        self
    }

    /// Rate-limit override for `action` (or `*`), requests per second.
    pub fn rate_limit(mut self, action: impl Into<String>, per_second: f64) -> Self {
        self.settings.rate_limits.insert(action.into(), per_second);
        self
    }

    /// Send through `sender` instead of the reqwest client (tests, recorders).
    pub fn sender(mut self, sender: Arc<dyn HttpSend>) -> Self {
        self.sender = Some(sender);
        self
    }

    /// Share `limiter` (e.g. between transports of one account) instead of
    /// building one from the settings' rate limits.
    pub fn limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Build the transport. Fails with [`ErrorKind::Config`](crate::ErrorKind::Config)
    /// on bad settings (zero timeouts, bad proxy, unreadable CA file, bad
    /// resolve pattern, non-positive rate).
    pub fn build(self) -> Result<Transport> {
        let settings = self.settings;
        settings.validate()?;
        let client = build_client(&settings)?;
        let sender = match self.sender {
            Some(s) => s,
            None => Arc::new(ReqwestSender::new(client.clone())),
        };
        let limiter = match self.limiter {
            Some(l) => l,
            None => Arc::new(RateLimiter::new(&settings.rate_limits)?),
        };
        Ok(Transport {
            inner: Arc::new(Inner {
                budget: RetryBudget::new(settings.retry_budget),
                backoff: Backoff::new(settings.backoff_base, settings.backoff_cap),
                settings,
                client,
                sender,
                limiter,
                counters: Counters::default(),
            }),
        })
    }
}

#[cfg(test)]
mod call_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderKind;

    #[test]
    fn from_account_maps_switches_and_limits() {
        let account: AccountConfig = toml::from_str(
            r#"
            name = "prod-gz"
            provider = "tencent"
            read_only = true
            [endpoints]
            allow_http = true
            [transport]
            deadline_ms = 1500
            max_attempts = 2
            resolve = { "*.tencentcloudapi.com" = "127.0.0.1:9000" }
            rate_limits = { DescribeInstances = 40 }
            "#,
        )
        .unwrap();
        let t = Transport::from_account(&account).unwrap();
        let s = t.settings();
        assert!(t.is_read_only());
        assert!(s.allow_http);
        assert_eq!(s.account, "prod-gz");
        assert_eq!(s.deadline, Duration::from_millis(1500));
        assert_eq!(s.max_attempts, 2);
        let meta = CallMeta::read(ProviderKind::Tencent, "cvm", "DescribeInstances");
        assert_eq!(t.limiter().limit_for(&meta).per_second, 40.0);
        let other = CallMeta::read(ProviderKind::Tencent, "cvm", "DescribeVpcs");
        assert_eq!(t.limiter().limit_for(&other).per_second, 20.0);
    }

    #[test]
    fn bad_settings_fail_the_build() {
        let e = Transport::builder()
            .resolve("*.x.example", "not-an-address")
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        let e = Transport::builder()
            .rate_limit("X", -1.0)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        let e = Transport::builder().max_attempts(0).build().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
    }
}
