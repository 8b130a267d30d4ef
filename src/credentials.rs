//! Secrets and credential providers.
//!
//! - [`Secret`]: a string whose `Debug`, `Display` and `Serialize` print `***`.
//! - [`Credentials`]: an access key id, a secret, an optional session token
//!   and expiry; its `Debug`/`Display` hide the secret parts.
//! - [`CredentialProvider`]: where credentials come from;
//!   [`StaticCredentials`] for fixed keys and [`CachingProvider`] to cache
//!   another provider's temporary credentials and refresh them before they
//!   expire, one refresh at a time.
//! - [`Ini`], [`read_ini`], [`home_dir`], [`expand_home`]: helpers for the
//!   vendors' CLI files (`~/.aws/credentials`, `~/.tencentcloud/credentials`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::error::Result;

mod ini;

pub use ini::{Ini, expand_home, expand_home_with, home_dir, read_ini};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret string (secret key, password, token). Its `Debug` and `Display`
/// print `***`; read it with [`Secret::expose`] only where it is used.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Call only to sign or send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

/// Secrets deserialize from a plain string (accounts files), and serialize
/// as `***` so that a config dumped to a log or file never leaks them.
///
/// A value of the wrong type is rejected without echoing it: serde's usual
/// "invalid type: integer `123`" would put the secret into the error. It
/// asks for any value (`deserialize_any`) because a self-describing format
/// such as JSON would otherwise build that message itself.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl SecretVisitor {
    fn reject<E: de::Error>(&self, what: &str) -> std::result::Result<Secret, E> {
        Err(E::invalid_type(de::Unexpected::Other(what), self))
    }
}

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Secret, E> {
        Ok(Secret(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Secret, E> {
        Ok(Secret(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Secret, E> {
        self.reject("a boolean (value hidden)")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Secret, E> {
        self.reject("a number (value hidden)")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Secret, E> {
        self.reject("a number (value hidden)")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Secret, E> {
        self.reject("a number (value hidden)")
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> std::result::Result<Secret, E> {
        self.reject("bytes (value hidden)")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> std::result::Result<Secret, A::Error> {
        self.reject("an array (value hidden)")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> std::result::Result<Secret, A::Error> {
        self.reject("a table (value hidden)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// A set of credentials: an access key id (secret id, user name, client id)
/// with its secret, and for temporary credentials a session token and an
/// expiry. `Debug` and `Display` show the access key id only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id / secret id / user name / client id.
    pub access_key_id: String,
    /// Secret key / password / client secret.
    pub secret: Secret,
    /// Session / security token of temporary credentials.
    pub session_token: Option<Secret>,
    /// When temporary credentials expire; `None` for long-lived keys.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Credentials {
    /// Long-lived credentials.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            session_token: None,
            expires_at: None,
        }
    }

    /// With a session token.
    pub fn with_session_token(mut self, token: impl Into<Secret>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// With an expiry.
    pub fn with_expiry(mut self, expires_at: DateTime<Utc>) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Whether the credentials are expired at `now` (never, without expiry).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// Whether the credentials expire within `margin` of `now`.
    pub fn expires_within(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        let margin = TimeDelta::from_std(margin).unwrap_or(TimeDelta::MAX);
        self.expires_at
            .is_some_and(|t| now.checked_add_signed(margin).is_none_or(|m| t <= m))
    }
}

/// `AKID... (temporary, expires 2026-01-01T00:00:00Z)`; never the secret.
impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.access_key_id)?;
        match (&self.session_token, self.expires_at) {
            (_, Some(t)) => write!(f, " (temporary, expires {})", t.to_rfc3339()),
            (Some(_), None) => f.write_str(" (temporary)"),
            (None, None) => Ok(()),
        }
    }
}

/// A source of credentials. Implementations fetch or read them; wrap a
/// fetching one in [`CachingProvider`] so that it is asked only when the
/// cached credentials are about to expire.
#[async_trait]
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// Current credentials.
    async fn credentials(&self) -> Result<Credentials>;
}

#[async_trait]
impl<P: CredentialProvider + ?Sized> CredentialProvider for Arc<P> {
    async fn credentials(&self) -> Result<Credentials> {
        (**self).credentials().await
    }
}

#[async_trait]
impl<P: CredentialProvider + ?Sized> CredentialProvider for Box<P> {
    async fn credentials(&self) -> Result<Credentials> {
        (**self).credentials().await
    }
}

/// Fixed credentials.
#[derive(Debug, Clone)]
pub struct StaticCredentials(Credentials);

impl StaticCredentials {
    /// Always return `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        StaticCredentials(credentials)
    }
}

#[async_trait]
impl CredentialProvider for StaticCredentials {
    async fn credentials(&self) -> Result<Credentials> {
        Ok(self.0.clone())
    }
}

/// The time, for expiry decisions. Inject a [`ManualClock`] in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock {
    millis: std::sync::atomic::AtomicI64,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            millis: std::sync::atomic::AtomicI64::new(start.timestamp_millis()),
        }
    }

    /// Move the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Set the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        self.millis.store(to.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// Default refresh margin of [`CachingProvider`]: five minutes.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Caches another provider's credentials.
///
/// - Credentials without expiry are cached for good (until
///   [`invalidate`](Self::invalidate)).
/// - Temporary credentials are refreshed once they are within the margin
///   (default [`DEFAULT_REFRESH_MARGIN`]) of expiring, i.e. before they expire.
/// - Single flight: concurrent callers share one refresh. While a refresh is
///   running, callers holding still-valid credentials get them at once;
///   callers with nothing valid wait for the refresh.
/// - If a refresh fails while the cached credentials are still valid, those
///   are returned (and the failure logged at `warn`); the next call tries
///   again. Once they have expired, the refresh error is returned.
#[derive(Debug)]
pub struct CachingProvider<P> {
    inner: P,
    margin: Duration,
    clock: Arc<dyn Clock>,
    cached: std::sync::Mutex<Option<Credentials>>,
    generation: AtomicU64,
    refresh: tokio::sync::Mutex<()>,
}

impl<P: CredentialProvider> CachingProvider<P> {
    /// Cache `inner` with the default margin and the system clock.
    pub fn new(inner: P) -> Self {
        CachingProvider {
            inner,
            margin: DEFAULT_REFRESH_MARGIN,
            clock: Arc::new(SystemClock),
            cached: std::sync::Mutex::new(None),
            generation: AtomicU64::new(0),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// Refresh when the credentials expire within `margin`.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Use `clock` for expiry decisions.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// Forget the cached credentials (e.g. after the cloud rejected them);
    /// the next call refreshes.
    pub fn invalidate(&self) {
        *self.lock_cache() = None;
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Option<Credentials>> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached_if(&self, keep: impl Fn(&Credentials) -> bool) -> Option<Credentials> {
        self.lock_cache().as_ref().filter(|c| keep(c)).cloned()
    }

    fn fresh(&self, c: &Credentials) -> bool {
        !c.expires_within(self.clock.now(), self.margin)
    }

    fn valid(&self, c: &Credentials) -> bool {
        !c.is_expired_at(self.clock.now())
    }
}

#[async_trait]
impl<P: CredentialProvider> CredentialProvider for CachingProvider<P> {
    async fn credentials(&self) -> Result<Credentials> {
        if let Some(c) = self.cached_if(|c| self.fresh(c)) {
            return Ok(c);
        }
        let seen = self.generation.load(Ordering::SeqCst);
        let _guard = match self.refresh.try_lock() {
            Ok(g) => g,
            Err(_) => {
                if let Some(c) = self.cached_if(|c| self.valid(c)) {
                    return Ok(c);
                }
                self.refresh.lock().await
            }
        };
        // Someone else refreshed while we waited: take theirs if usable.
        if self.generation.load(Ordering::SeqCst) != seen {
            if let Some(c) = self.cached_if(|c| self.valid(c)) {
                return Ok(c);
            }
        }
        if let Some(c) = self.cached_if(|c| self.fresh(c)) {
            return Ok(c);
        }
        match self.inner.credentials().await {
            Ok(c) => {
                *self.lock_cache() = Some(c.clone());
                self.generation.fetch_add(1, Ordering::SeqCst);
                Ok(c)
            }
            Err(e) => match self.cached_if(|c| self.valid(c)) {
                Some(c) => {
                    tracing::warn!(
                        error = %e,
                        access_key_id = %c.access_key_id,
                        "credential refresh failed; using cached credentials until they expire"
                    );
                    Ok(c)
                }
                None => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests;
