//! Client-side rate limiter: token buckets keyed by (provider, account,
//! endpoint region, API action).
//!
//! Defaults per provider ([`RateLimit::default_for`]):
//!
//! | provider  | reads (burst / per s) | mutating (burst / per s) | source |
//! |-----------|-----------------------|--------------------------|--------|
//! | AWS       | 100 / 20              | 50 / 5                   | EC2 API request throttling (describe bucket 100, refill 20) |
//! | Azure     | 250 / 25              | 200 / 10                 | ARM regional token bucket (reads 250/25, writes 200/10) |
//! | Tencent   | 20 / 20               | 20 / 20                  | 20 requests per second per API (default) |
//! | Alibaba   | 20 / 20               | 20 / 20                  | per-API quotas vary; conservative default |
//! | Huawei    | 20 / 20               | 20 / 20                  | per-API quotas vary; conservative default |
//! | OpenStack | 10 / 10               | 10 / 10                  | deployment-specific; conservative default |
//!
//! `TransportConfig::rate_limits` overrides them per action
//! (`DescribeInstances = 40`) or for every action (`"*" = 5`), in requests
//! per second; the burst of an override is its rate rounded up (at least 1).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::meta::CallMeta;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ProviderKind;

/// A token-bucket limit: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Refill rate, requests per second (> 0).
    pub per_second: f64,
    /// Bucket size (>= 1).
    pub burst: f64,
}

impl RateLimit {
    /// A limit; `per_second` must be finite and > 0, `burst` >= 1.
    pub fn new(per_second: f64, burst: f64) -> Result<Self> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(Error::config(format!(
                "rate limit must be a positive number of requests per second, got {per_second}"
            )));
        }
        if !(burst.is_finite() && burst >= 1.0) {
            return Err(Error::config(format!(
                "rate-limit burst must be >= 1, got {burst}"
            )));
        }
        Ok(RateLimit { per_second, burst })
    }

    /// The documented default of `provider` for reads or mutating calls
    /// (see the module documentation).
    pub fn default_for(provider: ProviderKind, mutating: bool) -> Self {
        let (burst, per_second) = match (provider, mutating) {
            (ProviderKind::Aws, false) => (100.0, 20.0),
            (ProviderKind::Aws, true) => (50.0, 5.0),
            (ProviderKind::Azure, false) => (250.0, 25.0),
            (ProviderKind::Azure, true) => (200.0, 10.0),
            (ProviderKind::Tencent | ProviderKind::Alibaba | ProviderKind::Huawei, _) => {
                (20.0, 20.0)
            }
            (ProviderKind::Openstack, _) => (10.0, 10.0),
        };
        RateLimit { per_second, burst }
    }
}

/// Counters of the limiter, for reports ("throttle waits").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimiterStats {
    /// Permits handed out.
    pub acquires: u64,
    /// Permits that had to wait for the bucket to refill.
    pub waits: u64,
    /// Total time spent waiting.
    pub wait_time: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    provider: ProviderKind,
    account: String,
    region: String,
    action: String,
}

#[derive(Debug)]
struct Bucket {
    limit: RateLimit,
    /// May go negative: callers reserve future tokens and sleep until then,
    /// which keeps waiters in arrival order.
    tokens: f64,
    updated: Instant,
}

/// The limiter. One per [`Transport`](super::Transport) (or shared between
/// several through `Arc`).
#[derive(Debug, Default)]
pub struct RateLimiter {
    overrides: BTreeMap<String, RateLimit>,
    buckets: Mutex<HashMap<Key, Bucket>>,
    acquires: AtomicU64,
    waits: AtomicU64,
    wait_nanos: AtomicU64,
}

impl RateLimiter {
    /// A limiter with the provider defaults and these per-action overrides
    /// (action or `*` → requests per second).
    pub fn new(overrides: &BTreeMap<String, f64>) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (action, rate) in overrides {
            let limit = RateLimit::new(*rate, rate.ceil().max(1.0))
                .map_err(|e| Error::config(format!("rate_limits.{action}: {}", e.message())))?;
            map.insert(action.clone(), limit);
        }
        Ok(RateLimiter {
            overrides: map,
            ..RateLimiter::default()
        })
    }

    /// Set the limit of one action (or `*`), replacing defaults and config.
    pub fn set_limit(&mut self, action: impl Into<String>, limit: RateLimit) {
        self.overrides.insert(action.into(), limit);
    }

    /// The limit that applies to a call: its action's override, else the
    /// `*` override, else the provider default.
    pub fn limit_for(&self, meta: &CallMeta) -> RateLimit {
        self.overrides
            .get(meta.action.as_ref())
            .or_else(|| self.overrides.get("*"))
            .copied()
            .unwrap_or_else(|| RateLimit::default_for(meta.provider, meta.mutating))
    }

    /// Wait for a permit for `meta` (its account, or `default_account` when
    /// the meta has none). Returns the time waited. Fails with
    /// [`ErrorKind::Timeout`] at once, taking nothing, when the permit would
    /// come after `deadline`.
    pub async fn acquire(
        &self,
        meta: &CallMeta,
        default_account: &str,
        deadline: Instant,
    ) -> Result<Duration> {
        let wait = self.reserve(meta, default_account, deadline)?;
        self.acquires.fetch_add(1, Ordering::Relaxed);
        if wait.is_zero() {
            return Ok(wait);
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.wait_nanos.fetch_add(nanos, Ordering::Relaxed);
        tracing::debug!(wait_ms = wait.as_millis() as u64, "rate limiter wait");
        tokio::time::sleep(wait).await;
        Ok(wait)
    }

    fn reserve(
        &self,
        meta: &CallMeta,
        default_account: &str,
        deadline: Instant,
    ) -> Result<Duration> {
        let account = if meta.account.is_empty() {
            default_account
        } else {
            &meta.account
        };
        let key = Key {
            provider: meta.provider,
            account: account.to_string(),
            region: meta.region.clone().unwrap_or_default(),
            action: meta.action.to_string(),
        };
        let limit = self.limit_for(meta);
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key).or_insert_with(|| Bucket {
            limit,
            tokens: limit.burst,
            updated: now,
        });
        bucket.limit = limit;
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.per_second).min(limit.burst);
        bucket.updated = now;
        let wait = if bucket.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - bucket.tokens) / limit.per_second)
        };
        if now + wait > deadline {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "rate limiter wait of {} ms would pass the call deadline",
                    wait.as_millis()
                ),
            ));
        }
        bucket.tokens -= 1.0;
        Ok(wait)
    }

    /// The counters so far.
    pub fn stats(&self) -> LimiterStats {
        LimiterStats {
            acquires: self.acquires.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            wait_time: Duration::from_nanos(self.wait_nanos.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(action: &'static str) -> CallMeta {
        CallMeta::read(ProviderKind::Tencent, "cvm", action).with_region("ap-guangzhou")
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let limiter = RateLimiter::new(&BTreeMap::new()).unwrap();
        let m = meta("DescribeInstances");
        let start = Instant::now();
        // Tencent: burst 20, 20 per second. 20 at once, then 40 more take 2 s.
        for _ in 0..20 {
            limiter.acquire(&m, "acct", far()).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..40 {
            limiter.acquire(&m, "acct", far()).await.unwrap();
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.01, "took {took}");
        let s = limiter.stats();
        assert_eq!(s.acquires, 60);
        assert_eq!(s.waits, 40);
        assert!((s.wait_time.as_secs_f64() - 2.0).abs() < 0.01);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_acquires_share_the_bucket() {
        let limiter = std::sync::Arc::new(RateLimiter::new(&BTreeMap::new()).unwrap());
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let m = CallMeta::read(ProviderKind::Openstack, "compute", "ListServers");
                l.acquire(&m, "a", far()).await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // OpenStack: burst 10, 10 per second: 90 more take 9 s.
        let took = start.elapsed().as_secs_f64();
        assert!((took - 9.0).abs() < 0.02, "took {took}");
    }

    #[tokio::test(start_paused = true)]
    async fn keys_are_independent_and_overrides_apply() {
        let mut overrides = BTreeMap::new();
        overrides.insert("DescribeInstances".to_string(), 2.0);
        let limiter = RateLimiter::new(&overrides).unwrap();
        let start = Instant::now();
        // Override: burst 2, 2 per second → 6 acquires take 2 s.
        for _ in 0..6 {
            limiter
                .acquire(&meta("DescribeInstances"), "a", far())
                .await
                .unwrap();
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.01, "took {took}");
        // Another action, another account, another region: fresh buckets.
        let t1 = Instant::now();
        for _ in 0..20 {
            limiter
                .acquire(&meta("DescribeVpcs"), "a", far())
                .await
                .unwrap();
        }
        for _ in 0..2 {
            limiter
                .acquire(&meta("DescribeInstances").with_account("b"), "a", far())
                .await
                .unwrap();
            limiter
                .acquire(
                    &meta("DescribeInstances").with_region("ap-beijing"),
                    "a",
                    far(),
                )
                .await
                .unwrap();
        }
        assert_eq!(t1.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_past_deadline_is_timeout() {
        let mut overrides = BTreeMap::new();
        overrides.insert("*".to_string(), 1.0);
        let limiter = RateLimiter::new(&overrides).unwrap();
        let m = meta("DescribeInstances");
        limiter.acquire(&m, "a", far()).await.unwrap();
        let deadline = Instant::now() + Duration::from_millis(500);
        let e = limiter.acquire(&m, "a", deadline).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        // Nothing was reserved: the next permit is 1 s after the first.
        let start = Instant::now();
        limiter.acquire(&m, "a", far()).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn defaults_and_bad_overrides() {
        let aws = RateLimit::default_for(ProviderKind::Aws, false);
        assert_eq!((aws.burst, aws.per_second), (100.0, 20.0));
        let aws_w = RateLimit::default_for(ProviderKind::Aws, true);
        assert_eq!((aws_w.burst, aws_w.per_second), (50.0, 5.0));
        let az = RateLimit::default_for(ProviderKind::Azure, false);
        assert_eq!((az.burst, az.per_second), (250.0, 25.0));
        let mut bad = BTreeMap::new();
        bad.insert("X".to_string(), 0.0);
        assert_eq!(
            RateLimiter::new(&bad).unwrap_err().kind(),
            ErrorKind::Config
        );
        bad.insert("X".to_string(), f64::NAN);
        assert!(RateLimiter::new(&bad).is_err());
    }
}
