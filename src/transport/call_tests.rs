//! Tests of the retry loop through a scripted [`HttpSend`], under tokio's
//! paused clock (virtual time: a 100 s deadline runs in microseconds).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use http::StatusCode;
use tokio::time::Instant;

use super::*;
use crate::error::{Error, ErrorKind};
use crate::model::ProviderKind;

/// One scripted answer.
#[derive(Clone, Debug)]
enum Step {
    /// Respond after `delay` with status, headers and body.
    Reply {
        delay: Duration,
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Fail to connect.
    Refuse,
    /// Never answer.
    Hang,
}

fn reply(status: u16) -> Step {
    Step::Reply {
        delay: Duration::from_millis(10),
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn reply_body(status: u16, body: &str) -> Step {
    Step::Reply {
        delay: Duration::from_millis(10),
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

fn reply_headers(status: u16, headers: Vec<(&'static str, String)>) -> Step {
    Step::Reply {
        delay: Duration::from_millis(10),
        status,
        headers,
        body: Vec::new(),
    }
}

/// Plays the script; the last step repeats forever. Records the
/// `x-attempt` header of each request and the time it arrived.
#[derive(Debug)]
struct Script {
    steps: Mutex<VecDeque<Step>>,
    seen: Mutex<Vec<(String, Instant)>>,
}

impl Script {
    fn new(steps: Vec<Step>) -> Arc<Self> {
        Arc::new(Script {
            steps: Mutex::new(steps.into()),
            seen: Mutex::new(Vec::new()),
        })
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn attempts_seen(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.0.clone())
            .collect()
    }

    fn times(&self) -> Vec<Instant> {
        self.seen.lock().unwrap().iter().map(|s| s.1).collect()
    }
}

#[async_trait]
impl HttpSend for Script {
    async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        let attempt = request
            .headers()
            .get("x-attempt")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        self.seen.lock().unwrap().push((attempt, Instant::now()));
        let step = {
            let mut steps = self.steps.lock().unwrap();
            if steps.len() > 1 {
                steps.pop_front().unwrap()
            } else {
                steps.front().cloned().unwrap()
            }
        };
        match step {
            Step::Reply {
                delay,
                status,
                headers,
                body,
            } => {
                tokio::time::sleep(delay).await;
                let mut b = http::Response::builder().status(status);
                for (k, v) in headers {
                    b = b.header(k, v);
                }
                Ok(reqwest::Response::from(b.body(body).unwrap()))
            }
            Step::Refuse => Err(SendError::new(
                SendErrorKind::Connect,
                std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused"),
            )),
            Step::Hang => {
                std::future::pending::<()>().await;
                unreachable!()
            }
        }
    }
}

fn transport(
    script: &Arc<Script>,
    f: impl FnOnce(TransportBuilder) -> TransportBuilder,
) -> Transport {
    let b = Transport::builder()
        .account("test")
        .rate_limit("*", 1000.0)
        .sender(script.clone());
    f(b).build().unwrap()
}

fn build(attempt: u32) -> crate::Result<reqwest::Request> {
    let mut r = reqwest::Request::new(
        reqwest::Method::POST,
        "https://cvm.tencentcloudapi.com/".parse().unwrap(),
    );
    r.headers_mut()
        .insert("x-attempt", attempt.to_string().parse().unwrap());
    Ok(r)
}

fn read() -> CallMeta {
    CallMeta::read(ProviderKind::Tencent, "cvm", "DescribeInstances").with_region("ap-guangzhou")
}

fn write() -> CallMeta {
    CallMeta::write(ProviderKind::Tencent, "cvm", "RunInstances").with_region("ap-guangzhou")
}

#[tokio::test(start_paused = true)]
async fn success_first_try() {
    let s = Script::new(vec![reply_body(200, "{\"a\":1}")]);
    let t = transport(&s, |b| b);
    let r = t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.attempts, 1);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["a"], 1);
    assert_eq!(t.stats().attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn retries_resign_each_attempt() {
    let s = Script::new(vec![reply(503), reply(502), reply(200)]);
    let t = transport(&s, |b| b);
    let r = t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    assert_eq!(r.attempts, 3);
    assert_eq!(s.attempts_seen(), vec!["1", "2", "3"]);
    assert_eq!(t.stats().retries, 2);
}

#[tokio::test(start_paused = true)]
async fn non_retryable_error_is_returned_at_once_with_context() {
    let s = Script::new(vec![reply_headers(
        404,
        vec![("x-request-id", "rid-1".to_string())],
    )]);
    let t = transport(&s, |b| b);
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(s.count(), 1);
    let c = e.context();
    assert_eq!(c.provider.as_deref(), Some("tencent"));
    assert_eq!(c.service.as_deref(), Some("cvm"));
    assert_eq!(c.action.as_deref(), Some("DescribeInstances"));
    assert_eq!(c.region.as_deref(), Some("ap-guangzhou"));
    assert_eq!(c.http_status, Some(404));
    assert_eq!(c.request_id.as_deref(), Some("rid-1"));
    assert_eq!(c.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn max_attempts_bounds_retries() {
    let s = Script::new(vec![reply(503)]);
    let t = transport(&s, |b| b.max_attempts(3));
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(e.attempts(), 3);
    assert_eq!(s.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn backoff_delays_are_within_bounds() {
    let s = Script::new(vec![reply(503)]);
    let base = Duration::from_millis(400);
    let t = transport(&s, |b| {
        b.max_attempts(6).backoff(base, Duration::from_secs(2))
    });
    let _ = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    let times = s.times();
    assert_eq!(times.len(), 6);
    for (i, w) in times.windows(2).enumerate() {
        // Gap = response delay (10 ms) + backoff in [0, min(cap, base*2^i)].
        let gap = w[1] - w[0] - Duration::from_millis(10);
        let bound = base.saturating_mul(1 << i).min(Duration::from_secs(2));
        assert!(
            gap <= bound + Duration::from_millis(2),
            "retry {i}: {gap:?} > {bound:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_honoured() {
    let s = Script::new(vec![
        reply_headers(429, vec![("retry-after", "7".to_string())]),
        reply(200),
    ]);
    let t = transport(&s, |b| b);
    let start = Instant::now();
    let r = t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    assert_eq!(r.attempts, 2);
    let times = s.times();
    let gap = times[1] - times[0];
    assert!(
        gap >= Duration::from_millis(7010) && gap < Duration::from_millis(7100),
        "{gap:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(8));
    assert_eq!(t.stats().throttled, 1);
}

#[tokio::test(start_paused = true)]
async fn classifier_hint_wins_over_header() {
    let s = Script::new(vec![
        reply_headers(429, vec![("retry-after", "30".to_string())]),
        reply(200),
    ]);
    let t = transport(&s, |b| b);
    let c = |v: &ResponseView<'_>| match HttpStatusClassifier.classify(v) {
        Outcome::Failure(f) => Outcome::Failure(f.with_retry_after(Duration::from_secs(3))),
        ok => ok,
    };
    t.send(&read(), build, &c).await.unwrap();
    let times = s.times();
    let gap = times[1] - times[0];
    assert!(
        gap >= Duration::from_secs(3) && gap < Duration::from_secs(4),
        "{gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_deadline_gives_up_now() {
    let s = Script::new(vec![reply_headers(
        429,
        vec![("retry-after", "3600".to_string())],
    )]);
    let t = transport(&s, |b| b.deadline(Duration::from_secs(60)));
    let start = Instant::now();
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(s.count(), 1);
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn deadline_is_never_exceeded_with_slow_failures() {
    for deadline_ms in [1_000u64, 2_500, 9_999, 30_000] {
        let deadline = Duration::from_millis(deadline_ms);
        let s = Script::new(vec![Step::Reply {
            delay: Duration::from_millis(700),
            status: 503,
            headers: Vec::new(),
            body: Vec::new(),
        }]);
        let t = transport(&s, |b| {
            b.deadline(deadline)
                .max_attempts(1000)
                .backoff(Duration::from_millis(300), Duration::from_secs(5))
                .retry_budget(RetryBudgetConfig {
                    capacity: 1_000_000,
                    ..Default::default()
                })
        });
        let start = Instant::now();
        let e = t
            .send(&read(), build, &HttpStatusClassifier)
            .await
            .unwrap_err();
        let took = start.elapsed();
        assert!(took <= deadline, "{deadline:?}: took {took:?}");
        assert!(e.is_retryable());
        assert!(s.count() >= 2, "{deadline:?}: only {} attempts", s.count());
    }
}

#[tokio::test(start_paused = true)]
async fn deadline_cuts_a_hanging_attempt() {
    let s = Script::new(vec![Step::Hang]);
    let t = transport(&s, |b| {
        b.deadline(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(4))
    });
    let start = Instant::now();
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(took <= Duration::from_secs(10), "took {took:?}");
    // Two full 4 s attempts fit; the third is clipped to what is left.
    assert!(s.count() >= 3, "{}", s.count());
    assert!(took >= Duration::from_secs(8), "took {took:?}");
}

#[tokio::test(start_paused = true)]
async fn retry_budget_exhaustion_stops_retries() {
    let s = Script::new(vec![reply(503)]);
    let t = transport(&s, |b| {
        b.max_attempts(10).retry_budget(RetryBudgetConfig {
            capacity: 10,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        })
    });
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.attempts(), 3, "two retries of cost 5 fit in 10");
    assert_eq!(s.count(), 3);
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.attempts(), 1, "budget empty: no retry");
    assert_eq!(s.count(), 4);
    let st = t.stats();
    assert_eq!(st.budget_exhausted, 2);
    assert_eq!(st.retry_budget_available, 0);
}

#[tokio::test(start_paused = true)]
async fn successes_refill_the_budget() {
    let s = Script::new(vec![reply(503), reply(200)]);
    let t = transport(&s, |b| {
        b.retry_budget(RetryBudgetConfig {
            capacity: 10,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        })
    });
    t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    // The retry cost 5, the success after it gave the 5 back.
    assert_eq!(t.stats().retry_budget_available, 10);
}

#[tokio::test(start_paused = true)]
async fn non_idempotent_not_retried_after_5xx() {
    let s = Script::new(vec![reply(500), reply(200)]);
    let t = transport(&s, |b| b);
    let e = t
        .send(&write(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(s.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn non_idempotent_not_retried_after_timeout() {
    let s = Script::new(vec![Step::Hang]);
    let t = transport(&s, |b| b.read_timeout(Duration::from_secs(2)));
    let e = t
        .send(&write(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(s.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn non_idempotent_retried_after_connect_error_and_throttle() {
    let s = Script::new(vec![Step::Refuse, reply(429), reply(200)]);
    let t = transport(&s, |b| b);
    let r = t
        .send(&write(), build, &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(r.attempts, 3);
    assert_eq!(s.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn idempotent_write_retried_after_5xx() {
    let s = Script::new(vec![reply(500), reply(200)]);
    let t = transport(&s, |b| b);
    let r = t
        .send(&write().idempotent(), build, &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
}

/// Tencent's throttle: HTTP 200 with `Response.Error.Code`.
fn tencent_like(v: &ResponseView<'_>) -> Outcome {
    let body: serde_json::Value = match v.body.map(serde_json::from_slice) {
        Some(Ok(b)) => b,
        _ => return HttpStatusClassifier.classify(v),
    };
    match body["Response"]["Error"]["Code"].as_str() {
        Some("RequestLimitExceeded") => Outcome::failure(
            Error::new(ErrorKind::Throttled, "slow down")
                .with_code("RequestLimitExceeded")
                .with_request_id(body["Response"]["RequestId"].as_str().unwrap_or("")),
        ),
        Some(code) => Outcome::failure(Error::new(ErrorKind::Other, "error").with_code(code)),
        None => HttpStatusClassifier.classify(v),
    }
}

#[tokio::test(start_paused = true)]
async fn http_200_throttle_body_is_retried() {
    let throttle =
        r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"x"},"RequestId":"r-1"}}"#;
    let ok = r#"{"Response":{"TotalCount":0,"RequestId":"r-2"}}"#;
    let s = Script::new(vec![reply_body(200, throttle), reply_body(200, ok)]);
    let t = transport(&s, |b| b);
    let r = t.send(&write(), build, &tencent_like).await.unwrap();
    assert_eq!(r.attempts, 2);
    assert_eq!(r.text().unwrap(), ok);
    assert_eq!(t.stats().throttled, 1);

    // Throttled to the end: the error says so, with code and attempts.
    let s = Script::new(vec![reply_body(200, throttle)]);
    let t = transport(&s, |b| b.max_attempts(2));
    let e = t.send(&read(), build, &tencent_like).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.code(), Some("RequestLimitExceeded"));
    assert_eq!(e.request_id(), Some("r-1"));
    assert_eq!(e.http_status(), Some(200));
    assert_eq!(e.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn read_only_refuses_before_building() {
    let s = Script::new(vec![reply(200)]);
    let t = transport(&s, |b| b.read_only(true));
    let mut built = 0;
    let e = t
        .send(
            &write(),
            |a| {
                built += 1;
                build(a)
            },
            &HttpStatusClassifier,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.message().contains("read-only"), "{e}");
    assert_eq!(e.attempts(), 0);
    assert_eq!(built, 0);
    assert_eq!(s.count(), 0);
    // Reads still go through.
    t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    assert_eq!(s.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn plain_http_needs_allow_http() {
    let s = Script::new(vec![reply(200)]);
    let http_req = |_| {
        Ok(reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1:1/".parse().unwrap(),
        ))
    };
    let t = transport(&s, |b| b);
    let e = t
        .send(&read(), http_req, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(s.count(), 0);
    let t = transport(&s, |b| b.allow_http(true));
    t.send(&read(), http_req, &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(s.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn oversized_body_is_a_decode_error() {
    let s = Script::new(vec![reply_body(200, &"x".repeat(2000))]);
    let t = transport(&s, |b| b.max_body_bytes(1000));
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(s.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn limiter_wait_past_deadline_is_timeout() {
    let s = Script::new(vec![reply(200)]);
    let t = Transport::builder()
        .rate_limit("*", 0.1)
        .deadline(Duration::from_secs(5))
        .sender(s.clone())
        .build()
        .unwrap();
    t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    let e = t
        .send(&read(), build, &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(e.attempts(), 0);
    assert_eq!(s.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn limiter_paces_calls() {
    let s = Script::new(vec![Step::Reply {
        delay: Duration::ZERO,
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    }]);
    let t = Transport::builder().sender(s.clone()).build().unwrap();
    let start = Instant::now();
    // Tencent default: burst 20, 20 per second → 60 calls take 2 s.
    for _ in 0..60 {
        t.send(&read(), build, &HttpStatusClassifier).await.unwrap();
    }
    let took = start.elapsed().as_secs_f64();
    assert!((took - 2.0).abs() < 0.05, "took {took}");
    let st = t.stats().limiter;
    assert_eq!(st.waits, 40);
}

#[tokio::test(start_paused = true)]
async fn streaming_success_is_not_buffered_and_errors_are() {
    let s = Script::new(vec![reply_body(200, "object-bytes")]);
    let t = transport(&s, |b| b);
    let saw_body = Arc::new(Mutex::new(Vec::new()));
    let seen = saw_body.clone();
    let c = move |v: &ResponseView<'_>| {
        seen.lock().unwrap().push(v.body.map(<[u8]>::to_vec));
        HttpStatusClassifier.classify(v)
    };
    let mut r = t.send_streaming(&read(), build, &c).await.unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = r.body.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, b"object-bytes");
    assert_eq!(saw_body.lock().unwrap().as_slice(), &[None]);

    let s = Script::new(vec![reply_body(503, "busy"), reply_body(404, "nope")]);
    let t = transport(&s, |b| b);
    saw_body.lock().unwrap().clear();
    let e = t.send_streaming(&read(), build, &c).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.attempts(), 2);
    assert_eq!(
        saw_body.lock().unwrap().as_slice(),
        &[Some(b"busy".to_vec()), Some(b"nope".to_vec())]
    );
}

#[test]
fn call_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let s = Script::new(vec![reply(200)]);
    let t = transport(&s, |b| b);
    let meta = read();
    let f = t.send(&meta, build, &HttpStatusClassifier);
    assert_send(&f);
    let f = t.send_streaming(&meta, build, &HttpStatusClassifier);
    assert_send(&f);
    let f = t.send_with(&meta, |a| async move { build(a) }, &HttpStatusClassifier);
    assert_send(&f);
}

#[tokio::test(start_paused = true)]
async fn slow_request_building_counts_against_the_deadline() {
    let s = Script::new(vec![reply(200)]);
    let t = transport(&s, |b| b.deadline(Duration::from_secs(5)));
    let start = Instant::now();
    let e = t
        .send_with(
            &read(),
            |a| async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                build(a)
            },
            &HttpStatusClassifier,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert_eq!(s.count(), 0);
}
