//! Transport settings: the account's [`TransportConfig`] with the SDK
//! defaults filled in.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::TransportConfig;
use crate::error::{Error, Result};

/// Default TCP (and TLS) connect timeout: 5 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default per-attempt read timeout: 30 seconds. For buffered calls it bounds
/// the whole attempt (headers and body); for streaming calls it bounds the
/// wait for the headers and then each read of the body.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default total deadline of one call, retries and waits included: 120 seconds.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Default most attempts per call, the first included: 5.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Default backoff base: the first retry waits up to 200 milliseconds.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Default backoff cap: no retry waits more than 20 seconds (unless the
/// server's `Retry-After` says so).
pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(20);
/// Default largest buffered response body: 64 MiB. Larger bodies fail with
/// [`ErrorKind::Decode`](crate::ErrorKind::Decode); use the streaming call
/// for object downloads.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The retry budget (a client-wide retry quota, as in the AWS SDKs): a token
/// bucket shared by every call of one [`Transport`](super::Transport).
/// Each retry costs tokens, each success gives some back; when the bucket
/// is empty, failures are returned without retrying, so that an outage does
/// not turn into a retry storm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudgetConfig {
    /// Tokens in a full bucket. Default 500.
    pub capacity: u32,
    /// Cost of retrying after a throttle or an unavailable error. Default 5.
    pub retry_cost: u32,
    /// Cost of retrying after a timeout. Default 10.
    pub timeout_cost: u32,
    /// Tokens a first-attempt success gives back. Default 1. A success after
    /// retries gives back the cost of its last retry instead.
    pub success_refund: u32,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        RetryBudgetConfig {
            capacity: 500,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        }
    }
}

/// Everything the transport needs, resolved. Build it with
/// [`TransportSettings::from_config`] or start from `Default` (which holds the
/// documented defaults) and change fields. Its `Debug` hides the proxy's
/// user name and password.
#[derive(Clone, PartialEq)]
pub struct TransportSettings {
    /// Label of the account, part of the rate-limiter key. Default empty.
    pub account: String,
    /// TCP/TLS connect timeout. Default [`DEFAULT_CONNECT_TIMEOUT`] (5 s).
    pub connect_timeout: Duration,
    /// Per-attempt read timeout. Default [`DEFAULT_READ_TIMEOUT`] (30 s).
    pub read_timeout: Duration,
    /// Total deadline of one call. Default [`DEFAULT_DEADLINE`] (120 s).
    pub deadline: Duration,
    /// Most attempts per call, the first included. Default
    /// [`DEFAULT_MAX_ATTEMPTS`] (5).
    pub max_attempts: u32,
    /// Backoff base (first retry waits uniformly in `[0, base]`). Default
    /// [`DEFAULT_BACKOFF_BASE`] (200 ms).
    pub backoff_base: Duration,
    /// Backoff cap. Default [`DEFAULT_BACKOFF_CAP`] (20 s).
    pub backoff_cap: Duration,
    /// The retry budget. Default [`RetryBudgetConfig::default`].
    pub retry_budget: RetryBudgetConfig,
    /// Largest buffered body. Default [`DEFAULT_MAX_BODY_BYTES`] (64 MiB).
    pub max_body_bytes: usize,
    /// Allow plain `http://` URLs. Default `false`: an `http://` request
    /// fails with [`ErrorKind::Config`](crate::ErrorKind::Config) before it is sent.
    pub allow_http: bool,
    /// Refuse every mutating call before it is sent. Default `false`.
    pub read_only: bool,
    /// Proxy URL for all requests. Default none (the `HTTP(S)_PROXY`
    /// environment variables apply, except when `resolve` is set).
    pub proxy: Option<String>,
    /// Extra PEM bundle of CA certificates to trust, besides the built-in
    /// web PKI roots. Default none.
    pub ca_file: Option<PathBuf>,
    /// Host pattern → socket address overrides (see
    /// [`ResolveOverride`](super::ResolveOverride)). Default empty.
    pub resolve: BTreeMap<String, String>,
    /// Rate-limit overrides, API action (or `*` for every action) → requests
    /// per second (see [`RateLimiter`](super::RateLimiter)). Default empty.
    pub rate_limits: BTreeMap<String, f64>,
}

impl Default for TransportSettings {
    fn default() -> Self {
        TransportSettings {
            account: String::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_cap: DEFAULT_BACKOFF_CAP,
            retry_budget: RetryBudgetConfig::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_http: false,
            read_only: false,
            proxy: None,
            ca_file: None,
            resolve: BTreeMap::new(),
            rate_limits: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for TransportSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportSettings")
            .field("account", &self.account)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("deadline", &self.deadline)
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("retry_budget", &self.retry_budget)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("allow_http", &self.allow_http)
            .field("read_only", &self.read_only)
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .field("ca_file", &self.ca_file)
            .field("resolve", &self.resolve)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}

/// `scheme://***@host:port/...` for URLs with credentials; unparsable
/// values are hidden entirely.
fn redact_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                let _ = u.set_username("***");
                let _ = u.set_password(None);
            }
            u.to_string()
        }
        Err(_) => "***".to_string(),
    }
}

impl TransportSettings {
    /// The defaults overridden by whatever `config` sets.
    pub fn from_config(config: &TransportConfig) -> Result<Self> {
        let mut s = TransportSettings::default();
        if let Some(ms) = config.connect_timeout_ms {
            s.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = config.read_timeout_ms {
            s.read_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = config.deadline_ms {
            s.deadline = Duration::from_millis(ms);
        }
        if let Some(n) = config.max_attempts {
            s.max_attempts = n;
        }
        s.proxy.clone_from(&config.proxy);
        s.ca_file = config.ca_file.as_ref().map(PathBuf::from);
        s.resolve.clone_from(&config.resolve);
        s.rate_limits.clone_from(&config.rate_limits);
        s.validate()?;
        Ok(s)
    }

    /// Check that the values make sense (non-zero timeouts and attempts).
    pub fn validate(&self) -> Result<()> {
        let zero = |what: &str| Err(Error::config(format!("transport {what} must be > 0")));
        if self.connect_timeout.is_zero() {
            return zero("connect_timeout_ms");
        }
        if self.read_timeout.is_zero() {
            return zero("read_timeout_ms");
        }
        if self.deadline.is_zero() {
            return zero("deadline_ms");
        }
        if self.max_attempts == 0 {
            return zero("max_attempts");
        }
        if self.backoff_cap < self.backoff_base {
            return Err(Error::config("transport backoff cap is below its base"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn defaults_and_overrides() {
        let s = TransportSettings::from_config(&TransportConfig::default()).unwrap();
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.read_timeout, Duration::from_secs(30));
        assert_eq!(s.deadline, Duration::from_secs(120));
        assert_eq!(s.max_attempts, 5);
        let cfg = TransportConfig {
            connect_timeout_ms: Some(100),
            read_timeout_ms: Some(200),
            deadline_ms: Some(300),
            max_attempts: Some(2),
            proxy: Some("http://proxy:3128".into()),
            ..Default::default()
        };
        let s = TransportSettings::from_config(&cfg).unwrap();
        assert_eq!(s.connect_timeout, Duration::from_millis(100));
        assert_eq!(s.read_timeout, Duration::from_millis(200));
        assert_eq!(s.deadline, Duration::from_millis(300));
        assert_eq!(s.max_attempts, 2);
        assert_eq!(s.proxy.as_deref(), Some("http://proxy:3128"));
    }

    #[test]
    fn debug_hides_proxy_credentials() {
        let s = TransportSettings {
            proxy: Some("http://alice:hunter2@proxy.example:3128".into()),
            ..Default::default()
        };
        let d = format!("{s:?}");
        assert!(!d.contains("hunter2") && !d.contains("alice"), "{d}");
        assert!(d.contains("proxy.example:3128"), "{d}");
        let s = TransportSettings {
            proxy: Some("not a url hunter2".into()),
            ..Default::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn zero_values_are_config_errors() {
        let cfg = TransportConfig {
            max_attempts: Some(0),
            ..Default::default()
        };
        let e = TransportSettings::from_config(&cfg).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        let cfg = TransportConfig {
            deadline_ms: Some(0),
            ..Default::default()
        };
        assert!(TransportSettings::from_config(&cfg).is_err());
    }
}
