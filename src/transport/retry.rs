//! Retry policy pieces: exponential backoff with full jitter, the retry
//! budget, and `Retry-After` parsing.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use http::HeaderMap;

use super::settings::RetryBudgetConfig;

/// Exponential backoff with *full jitter*: before retry `n` (0-based) the
/// transport sleeps a uniformly random time in `[0, min(cap, base * 2^n)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Bound of the first retry's delay.
    pub base: Duration,
    /// Largest bound of any retry's delay.
    pub cap: Duration,
}

impl Backoff {
    /// A backoff with this base and cap.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap }
    }

    /// The upper bound of the delay before retry `retry` (0-based):
    /// `min(cap, base * 2^retry)`, without overflow.
    pub fn bound(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A random delay in `[0, bound(retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_at(retry, rand::random::<f64>())
    }

    /// The delay for a given uniform sample `unit` in `[0, 1]` (clamped).
    pub fn delay_at(&self, retry: u32, unit: f64) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.bound(retry).mul_f64(unit)
    }
}

/// The retry budget: a token bucket shared by all calls of a transport.
/// Retries take tokens ([`try_take`](RetryBudget::try_take)); successes put
/// some back ([`refund`](RetryBudget::refund)). An empty budget means no
/// more retries until calls succeed again.
#[derive(Debug)]
pub struct RetryBudget {
    config: RetryBudgetConfig,
    available: AtomicU32,
}

impl RetryBudget {
    /// A full budget.
    pub fn new(config: RetryBudgetConfig) -> Self {
        RetryBudget {
            available: AtomicU32::new(config.capacity),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> RetryBudgetConfig {
        self.config
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.available.load(Ordering::Relaxed)
    }

    /// Take `cost` tokens if that many are left; `false` (and nothing taken)
    /// otherwise.
    pub fn try_take(&self, cost: u32) -> bool {
        self.available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| a.checked_sub(cost))
            .is_ok()
    }

    /// Give back `amount` tokens, never beyond the capacity.
    pub fn refund(&self, amount: u32) {
        let cap = self.config.capacity;
        let _ = self
            .available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                Some(a.saturating_add(amount).min(cap))
            });
    }
}

/// The server's requested delay, from (in order) `retry-after-ms`,
/// `x-ms-retry-after-ms` (milliseconds, Azure) or `Retry-After` (seconds or
/// an HTTP-date, RFC 9110 §10.2.3). A date in the past gives zero. `now` is
/// the wall clock used for HTTP-dates.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = header_str(headers, "retry-after")?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Duration::try_from_secs_f64(secs).ok();
        }
        return None;
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn backoff_bounds_grow_and_cap() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(b.bound(0), Duration::from_millis(100));
        assert_eq!(b.bound(1), Duration::from_millis(200));
        assert_eq!(b.bound(4), Duration::from_millis(1600));
        assert_eq!(b.bound(5), Duration::from_secs(2));
        assert_eq!(b.bound(40), Duration::from_secs(2));
        assert_eq!(b.delay_at(3, 0.0), Duration::ZERO);
        assert_eq!(b.delay_at(3, 1.0), Duration::from_millis(800));
        assert_eq!(b.delay_at(3, 0.5), Duration::from_millis(400));
    }

    #[test]
    fn backoff_delays_within_bounds() {
        let b = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
        for retry in 0..20 {
            let bound = Duration::from_millis(50)
                .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
                .min(Duration::from_secs(1));
            for _ in 0..200 {
                let d = b.delay(retry);
                assert!(d <= bound, "retry {retry}: {d:?} > {bound:?}");
            }
        }
    }

    #[test]
    fn backoff_jitter_spreads() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        let n = 4000;
        let samples: Vec<Duration> = (0..n).map(|_| b.delay(3)).collect();
        let first = samples[0];
        assert!(samples.iter().any(|d| *d != first), "all delays equal");
        let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / n as f64;
        // Uniform on [0, 0.8 s]: mean 0.4 s, standard error ~ 0.0037 s.
        assert!((mean - 0.4).abs() < 0.03, "mean {mean}");
        let low = samples.iter().filter(|d| d.as_secs_f64() < 0.2).count();
        let high = samples.iter().filter(|d| d.as_secs_f64() > 0.6).count();
        assert!(low > n / 8 && high > n / 8, "low {low} high {high}");
    }

    #[test]
    fn budget_takes_and_refunds() {
        let b = RetryBudget::new(RetryBudgetConfig {
            capacity: 12,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        });
        assert!(b.try_take(5));
        assert!(b.try_take(5));
        assert!(!b.try_take(5));
        assert_eq!(b.available(), 2);
        b.refund(100);
        assert_eq!(b.available(), 12);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(500)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(42));
        h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(42)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(42));
        h.insert("retry-after", HeaderValue::from_str(&past).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
        h.insert("x-ms-retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
    }
}
