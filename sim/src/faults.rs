//! Fault injection and rate limits, per provider and action.
//!
//! Rules match a provider and an action by name, with `*` wildcards
//! (`Describe*`). For each request every matching rule is applied in order
//! and a later rule's set fields override an earlier one's, so a catch-all
//! `* / *` rule can be refined by specific ones. Random faults draw from one
//! ChaCha8 generator seeded from the sim seed: the same seed and the same
//! request sequence give the same faults.
//!
//! Rate limits are token buckets keyed by (provider, action): a rule for
//! `*` gives every action its own bucket of that size, as clouds limit per API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One fault rule. Unset fields leave earlier rules' values in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    /// Provider (frontend) name, or a pattern with `*`.
    pub provider: String,
    /// Action name, or a pattern with `*`.
    pub action: String,
    /// Added latency, milliseconds (the minimum when `latency_max_ms` is set).
    pub latency_ms: Option<u64>,
    /// Maximum latency: each request waits a random time in `latency_ms..=latency_max_ms`.
    pub latency_max_ms: Option<u64>,
    /// Token-bucket refill rate, requests per second; excess requests get
    /// the cloud's throttle response.
    pub rate_limit: Option<f64>,
    /// Token-bucket size (defaults to the rate, at least 1).
    pub burst: Option<u32>,
    /// Share of requests answered with the cloud's generic 5xx response.
    pub error_rate: Option<f64>,
    /// Share of requests whose connection is closed without a response.
    pub reset_rate: Option<f64>,
    /// Share of responses cut short (Content-Length larger than the bytes sent).
    pub truncate_rate: Option<f64>,
    /// Share of responses whose body is replaced by garbage.
    pub malformed_rate: Option<f64>,
    /// Share of mutating requests that are applied to the estate but whose
    /// response is lost (the connection is closed).
    pub lost_response_rate: Option<f64>,
    /// Reject requests whose signed time is more than this many seconds from
    /// the sim's clock with the cloud's expired-signature error.
    pub max_clock_skew_secs: Option<u64>,
}

impl Default for FaultRule {
    fn default() -> Self {
        FaultRule {
            provider: "*".into(),
            action: "*".into(),
            latency_ms: None,
            latency_max_ms: None,
            rate_limit: None,
            burst: None,
            error_rate: None,
            reset_rate: None,
            truncate_rate: None,
            malformed_rate: None,
            lost_response_rate: None,
            max_clock_skew_secs: None,
        }
    }
}

impl FaultRule {
    /// A rule with no effect for `provider` and `action` (patterns allowed);
    /// set fields with the builder methods.
    pub fn new(provider: &str, action: &str) -> Self {
        FaultRule {
            provider: provider.into(),
            action: action.into(),
            ..FaultRule::default()
        }
    }

    /// Fixed latency.
    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = Some(ms);
        self
    }

    /// Random latency in `min..=max`.
    pub fn latency_range_ms(mut self, min: u64, max: u64) -> Self {
        self.latency_ms = Some(min);
        self.latency_max_ms = Some(max.max(min));
        self
    }

    /// Token bucket: `rate` per second, `burst` tokens.
    pub fn rate_limit(mut self, rate: f64, burst: u32) -> Self {
        self.rate_limit = Some(rate);
        self.burst = Some(burst);
        self
    }

    /// 5xx share.
    pub fn error_rate(mut self, r: f64) -> Self {
        self.error_rate = Some(r);
        self
    }

    /// Connection-reset share.
    pub fn reset_rate(mut self, r: f64) -> Self {
        self.reset_rate = Some(r);
        self
    }

    /// Truncated-body share.
    pub fn truncate_rate(mut self, r: f64) -> Self {
        self.truncate_rate = Some(r);
        self
    }

    /// Malformed-body share.
    pub fn malformed_rate(mut self, r: f64) -> Self {
        self.malformed_rate = Some(r);
        self
    }

    /// Lost-response share (mutating requests).
    pub fn lost_response_rate(mut self, r: f64) -> Self {
        self.lost_response_rate = Some(r);
        self
    }

    /// Clock-skew limit.
    pub fn max_clock_skew_secs(mut self, s: u64) -> Self {
        self.max_clock_skew_secs = Some(s);
        self
    }

    fn matches(&self, provider: &str, action: &str) -> bool {
        glob(&self.provider, provider) && glob(&self.action, action)
    }
}

/// A faults file: `[[fault]]` tables, and optionally `[timings]`
/// (transition delays, see [`crate::estate::Timings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// The rules, in order.
    #[serde(rename = "fault")]
    pub rules: Vec<FaultRule>,
    /// Transition delays.
    pub timings: Option<crate::estate::Timings>,
}

impl FaultConfig {
    /// Parse a faults TOML file's text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

/// `*` matches any run of characters; everything else literally (ASCII case-insensitive).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// Wait this long first.
    pub latency: Duration,
    /// Answer with the throttle response.
    pub throttle: bool,
    /// Answer with the 5xx response.
    pub server_error: bool,
    /// Close the connection without answering.
    pub reset: bool,
    /// Cut the body short.
    pub truncate: bool,
    /// Replace the body with garbage.
    pub malformed: bool,
    /// Apply, then drop the response (mutating requests only).
    pub lost_response: bool,
    /// Clock-skew limit, seconds.
    pub max_clock_skew_secs: Option<u64>,
}

struct TokenBucket {
    tokens: f64,
    last: Instant,
}

struct FaultsInner {
    rules: Vec<FaultRule>,
    buckets: HashMap<(String, String), TokenBucket>,
    rng: ChaCha8Rng,
}

/// Shared, runtime-changeable fault configuration.
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Mutex<FaultsInner>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("rules", &self.inner.lock().rules)
            .finish_non_exhaustive()
    }
}

impl Faults {
    /// Faults with these rules; randomness seeded from `seed`.
    pub fn new(seed: u64, rules: Vec<FaultRule>) -> Self {
        Faults {
            inner: Arc::new(Mutex::new(FaultsInner {
                rules,
                buckets: HashMap::new(),
                rng: ChaCha8Rng::seed_from_u64(seed ^ 0xFA_017),
            })),
        }
    }

    /// Replace every rule (and reset rate-limit buckets).
    pub fn set(&self, rules: Vec<FaultRule>) {
        let mut g = self.inner.lock();
        g.rules = rules;
        g.buckets.clear();
    }

    /// Add one rule after the others.
    pub fn add(&self, rule: FaultRule) {
        self.inner.lock().rules.push(rule);
    }

    /// Remove every rule.
    pub fn clear(&self) {
        self.set(Vec::new());
    }

    /// The current rules.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.inner.lock().rules.clone()
    }

    /// Reseed the fault generator (replays the same fault sequence).
    pub fn reseed(&self, seed: u64) {
        self.inner.lock().rng = ChaCha8Rng::seed_from_u64(seed ^ 0xFA_017);
    }

    /// Decide the faults of one request (consumes rate-limit tokens and randomness).
    pub fn decide(&self, provider: &str, action: &str, mutating: bool) -> Decision {
        let mut g = self.inner.lock();
        let mut m = FaultRule::default();
        let mut any = false;
        for r in g.rules.iter().filter(|r| r.matches(provider, action)) {
            any = true;
            macro_rules! take {
                ($($f:ident),*) => { $( if r.$f.is_some() { m.$f = r.$f.clone(); } )* };
            }
            take!(
                latency_ms,
                latency_max_ms,
                rate_limit,
                burst,
                error_rate,
                reset_rate,
                truncate_rate,
                malformed_rate,
                lost_response_rate,
                max_clock_skew_secs
            );
        }
        let mut d = Decision {
            max_clock_skew_secs: m.max_clock_skew_secs,
            ..Decision::default()
        };
        if !any {
            return d;
        }
        let g = &mut *g;
        let lo = m.latency_ms.unwrap_or(0);
        let ms = match m.latency_max_ms {
            Some(hi) if hi > lo => g.rng.random_range(lo..=hi),
            _ => lo,
        };
        d.latency = Duration::from_millis(ms);
        if let Some(rate) = m.rate_limit.filter(|r| *r >= 0.0) {
            let burst = f64::from(m.burst.unwrap_or(rate.ceil() as u32).max(1));
            let now = Instant::now();
            let b = g
                .buckets
                .entry((provider.to_string(), action.to_string()))
                .or_insert(TokenBucket {
                    tokens: burst,
                    last: now,
                });
            let elapsed = now.duration_since(b.last).as_secs_f64();
            b.tokens = (b.tokens + elapsed * rate).min(burst);
            b.last = now;
            if b.tokens >= 1.0 {
                b.tokens -= 1.0;
            } else {
                d.throttle = true;
            }
        }
        let mut roll = |p: Option<f64>| -> bool {
            match p {
                Some(p) if p > 0.0 => g.rng.random_bool(p.min(1.0)),
                _ => false,
            }
        };
        d.server_error = roll(m.error_rate);
        d.reset = roll(m.reset_rate);
        d.truncate = roll(m.truncate_rate);
        d.malformed = roll(m.malformed_rate);
        d.lost_response = mutating && roll(m.lost_response_rate);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        assert!(glob("*", "anything"));
        assert!(glob("Describe*", "DescribeInstances"));
        assert!(glob("describe*s", "DescribeInstances"));
        assert!(!glob("Describe*", "RunInstances"));
        assert!(glob("*Instances", "RunInstances"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("exact", "EXACT"));
    }

    #[test]
    fn later_rules_override_and_rates_are_deterministic() {
        let rules = vec![
            FaultRule::new("*", "*").latency_ms(5).error_rate(0.5),
            FaultRule::new("tencent", "Describe*").latency_ms(7),
        ];
        let f = Faults::new(1, rules.clone());
        let d = f.decide("tencent", "DescribeInstances", false);
        assert_eq!(d.latency, Duration::from_millis(7));
        let d = f.decide("aws", "RunInstances", true);
        assert_eq!(d.latency, Duration::from_millis(5));
        let seq = |f: &Faults| {
            (0..64)
                .map(|_| f.decide("x", "y", false).server_error)
                .collect::<Vec<_>>()
        };
        let a = seq(&Faults::new(9, rules.clone()));
        let b = seq(&Faults::new(9, rules.clone()));
        let c = seq(&Faults::new(10, rules));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let hits = a.iter().filter(|x| **x).count();
        assert!((16..=48).contains(&hits), "{hits}");
    }

    #[test]
    fn token_bucket_throttles_after_burst() {
        let f = Faults::new(1, vec![FaultRule::new("p", "A").rate_limit(0.5, 2)]);
        assert!(!f.decide("p", "A", false).throttle);
        assert!(!f.decide("p", "A", false).throttle);
        assert!(f.decide("p", "A", false).throttle);
        // Other actions are not limited by this rule.
        assert!(!f.decide("p", "B", false).throttle);
        let cfg = FaultConfig::from_toml(
            "[[fault]]\nprovider = \"tencent\"\naction = \"*\"\nrate_limit = 5.0\nburst = 3\n",
        )
        .unwrap();
        assert_eq!(cfg.rules[0].burst, Some(3));
        assert!(FaultConfig::from_toml("[[fault]]\nbogus = 1\n").is_err());
    }
}
