use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use super::*;
use crate::error::{Error, ErrorKind};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn mins(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn temp(id: &str, expires_at: DateTime<Utc>) -> Credentials {
    Credentials::new(id, "sk-VALUE")
        .with_session_token("token-VALUE")
        .with_expiry(expires_at)
}

/// Returns scripted results in order (the last one repeats), counting calls,
/// optionally pausing inside each call.
#[derive(Debug)]
struct Scripted {
    calls: AtomicUsize,
    script: Mutex<VecDeque<std::result::Result<Credentials, String>>>,
    delay: Option<Duration>,
    gate: Option<Arc<tokio::sync::Semaphore>>,
}

impl Scripted {
    fn new(script: Vec<std::result::Result<Credentials, String>>) -> Self {
        Scripted {
            calls: AtomicUsize::new(0),
            script: Mutex::new(script.into()),
            delay: None,
            gate: None,
        }
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CredentialProvider for Scripted {
    async fn credentials(&self) -> Result<Credentials> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        if let Some(g) = &self.gate {
            let permit = g.acquire().await.map_err(|_| Error::config("closed"))?;
            permit.forget();
        }
        let next = {
            let mut s = self.script.lock().unwrap();
            if s.len() > 1 {
                s.pop_front()
            } else {
                s.front().cloned()
            }
        };
        match next {
            Some(Ok(c)) => Ok(c),
            Some(Err(m)) => Err(Error::new(ErrorKind::Unavailable, m)),
            None => Err(Error::config("empty script")),
        }
    }
}

fn caching(inner: Scripted, clock: &Arc<ManualClock>) -> CachingProvider<Scripted> {
    CachingProvider::new(inner).with_clock(clock.clone())
}

#[tokio::test]
async fn static_provider_returns_its_credentials() {
    let p = StaticCredentials::new(Credentials::new("AK", "SK"));
    let c = p.credentials().await.unwrap();
    assert_eq!(c.access_key_id, "AK");
    assert_eq!(c.secret.expose(), "SK");
    let dynp: Arc<dyn CredentialProvider> = Arc::new(p);
    assert_eq!(dynp.credentials().await.unwrap().access_key_id, "AK");
}

#[tokio::test]
async fn cache_hit() {
    let clock = Arc::new(ManualClock::new(t0()));
    let p = caching(Scripted::new(vec![Ok(temp("A", t0() + mins(60)))]), &clock);
    for _ in 0..5 {
        assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    }
    assert_eq!(p.inner().calls(), 1);
}

#[tokio::test]
async fn long_lived_credentials_are_cached_for_good() {
    let clock = Arc::new(ManualClock::new(t0()));
    let p = caching(Scripted::new(vec![Ok(Credentials::new("A", "s"))]), &clock);
    p.credentials().await.unwrap();
    clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    p.credentials().await.unwrap();
    assert_eq!(p.inner().calls(), 1);
    p.invalidate();
    p.credentials().await.unwrap();
    assert_eq!(p.inner().calls(), 2);
}

#[tokio::test]
async fn refreshes_before_expiry_with_default_margin() {
    let clock = Arc::new(ManualClock::new(t0()));
    let p = caching(
        Scripted::new(vec![
            Ok(temp("A", t0() + mins(60))),
            Ok(temp("B", t0() + mins(120))),
        ]),
        &clock,
    );
    assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    clock.advance(mins(54)); // 6 minutes left: outside the 5-minute margin
    assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    assert_eq!(p.inner().calls(), 1);
    clock.advance(Duration::from_secs(61)); // 4m59s left: inside the margin
    let c = p.credentials().await.unwrap();
    assert_eq!(c.access_key_id, "B");
    assert!(clock.now() < t0() + mins(60), "refreshed before expiry");
    assert_eq!(p.inner().calls(), 2);
    assert_eq!(p.credentials().await.unwrap().access_key_id, "B");
    assert_eq!(p.inner().calls(), 2);
}

#[tokio::test]
async fn custom_margin() {
    let clock = Arc::new(ManualClock::new(t0()));
    let p = caching(
        Scripted::new(vec![
            Ok(temp("A", t0() + mins(60))),
            Ok(temp("B", t0() + mins(120))),
        ]),
        &clock,
    )
    .with_margin(mins(15));
    p.credentials().await.unwrap();
    clock.advance(mins(44));
    assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    clock.advance(mins(2)); // 14 minutes left
    assert_eq!(p.credentials().await.unwrap().access_key_id, "B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_flight_under_concurrency() {
    let clock = Arc::new(ManualClock::new(t0()));
    let mut inner = Scripted::new(vec![Ok(temp("A", t0() + mins(60)))]);
    inner.delay = Some(Duration::from_millis(100));
    let p = Arc::new(caching(inner, &clock));
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let p = p.clone();
            let b = barrier.clone();
            tokio::spawn(async move {
                b.wait().await;
                p.credentials().await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().access_key_id, "A");
    }
    assert_eq!(p.inner().calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_flight_refresh_and_valid_creds_do_not_wait() {
    let clock = Arc::new(ManualClock::new(t0()));
    let gate = Arc::new(tokio::sync::Semaphore::new(1)); // first fetch passes
    let mut inner = Scripted::new(vec![
        Ok(temp("A", t0() + mins(60))),
        Ok(temp("B", t0() + mins(120))),
    ]);
    inner.gate = Some(gate.clone());
    let p = Arc::new(caching(inner, &clock));
    assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    clock.advance(mins(57)); // inside the margin, still valid
    let refreshing = {
        let p = p.clone();
        tokio::spawn(async move { p.credentials().await })
    };
    // Wait until the refresh is in flight (blocked on the gate).
    while p.inner().calls() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Ten more callers: served the still-valid "A" at once, no new fetch.
    for _ in 0..10 {
        let c = tokio::time::timeout(Duration::from_secs(2), p.credentials())
            .await
            .expect("must not wait for the refresh")
            .unwrap();
        assert_eq!(c.access_key_id, "A");
    }
    assert_eq!(p.inner().calls(), 2);
    gate.add_permits(1);
    assert_eq!(refreshing.await.unwrap().unwrap().access_key_id, "B");
    assert_eq!(p.credentials().await.unwrap().access_key_id, "B");
    assert_eq!(p.inner().calls(), 2);
}

#[tokio::test]
async fn refresh_failure_serves_valid_cache_then_fails_after_expiry() {
    let clock = Arc::new(ManualClock::new(t0()));
    let p = caching(
        Scripted::new(vec![
            Ok(temp("A", t0() + mins(60))),
            Err("sts down".to_string()),
        ]),
        &clock,
    );
    p.credentials().await.unwrap();
    clock.advance(mins(58)); // refresh due, cached still valid
    assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    assert_eq!(p.inner().calls(), 2);
    // The next call tries again (and fails again, still serving the cache).
    assert_eq!(p.credentials().await.unwrap().access_key_id, "A");
    assert_eq!(p.inner().calls(), 3);
    clock.advance(mins(3)); // expired
    let err = p.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.message(), "sts down");
}

#[tokio::test]
async fn first_fetch_failure_is_returned() {
    let clock = Arc::new(ManualClock::new(t0()));
    let p = caching(Scripted::new(vec![Err("nope".into())]), &clock);
    assert!(p.credentials().await.is_err());
}

#[test]
fn expiry_arithmetic() {
    let c = temp("A", t0() + mins(10));
    assert!(!c.is_expired_at(t0()));
    assert!(c.is_expired_at(t0() + mins(10)));
    assert!(!c.expires_within(t0(), mins(9)));
    assert!(c.expires_within(t0(), mins(10)));
    assert!(c.expires_within(t0(), Duration::MAX));
    let forever = Credentials::new("A", "s");
    assert!(!forever.is_expired_at(t0()));
    assert!(!forever.expires_within(t0(), Duration::MAX));
}

#[test]
fn credentials_never_print_secrets() {
    let c = temp("AKIDVISIBLE", t0());
    for text in [format!("{c:?}"), format!("{c:#?}"), format!("{c}")] {
        assert!(text.contains("AKIDVISIBLE"), "{text}");
        assert!(!text.contains("sk-VALUE"), "{text}");
        assert!(!text.contains("token-VALUE"), "{text}");
    }
    assert_eq!(
        format!("{c}"),
        format!("AKIDVISIBLE (temporary, expires {})", t0().to_rfc3339())
    );
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?}"), "***");
    assert_eq!(format!("{s}"), "***");
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"***\"");
    assert_eq!(s.expose(), "hunter2");
}

#[test]
fn secret_deserialize_hides_wrong_values() {
    let ok: Secret = serde_json::from_str("\"abc\"").unwrap();
    assert_eq!(ok.expose(), "abc");
    for bad in ["123456789", "true", "[\"x9y8\"]", "{\"a\":\"q7w6\"}", "1.5"] {
        let e = serde_json::from_str::<Secret>(bad).unwrap_err().to_string();
        for needle in ["123456789", "true", "x9y8", "q7w6", "1.5"] {
            assert!(!e.contains(needle), "{bad}: {e}");
        }
    }
}
