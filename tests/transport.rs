//! Transport tests against a real local HTTP server (see `transport_support`).

mod transport_support;

use std::time::{Duration, SystemTime};

use multicloud::Error;
use multicloud::ErrorKind;
use multicloud::transport::{HttpStatusClassifier, Outcome, ResponseView, Transport};
use transport_support::*;

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let server = Server::start(|n| {
        if n == 0 {
            Canned {
                headers: vec![("Retry-After".into(), "1".into())],
                ..canned(429)
            }
        } else {
            canned(200)
        }
    })
    .await;
    let t = base().build().unwrap();
    let r = t
        .send(&read_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
    let seen = server.requests();
    let gap = seen[1].at - seen[0].at;
    // Backoff alone would be at most 10 ms.
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert!(gap < Duration::from_secs(3), "{gap:?}");
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let server = Server::start(|n| {
        if n == 0 {
            let at = SystemTime::now() + Duration::from_secs(2);
            Canned {
                headers: vec![("Retry-After".into(), httpdate::fmt_http_date(at))],
                ..canned(503)
            }
        } else {
            canned(200)
        }
    })
    .await;
    let t = base().build().unwrap();
    let r = t
        .send(&read_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
    let seen = server.requests();
    let gap = seen[1].at - seen[0].at;
    // The date has one-second resolution: the wait is in (1 s, 2 s].
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert!(gap < Duration::from_secs(4), "{gap:?}");
}

#[tokio::test]
async fn read_only_sends_nothing() {
    let server = Server::start(|_| canned(200)).await;
    let t = base().read_only(true).build().unwrap();
    let e = t
        .send(&write_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("read-only"), "{e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.count(), 0);
    t.send(&read_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn resolve_override_keeps_the_host_header() {
    let server = Server::start(|_| canned(200)).await;
    let port = server.addr.port();
    let t = base()
        .resolve("some.fake.host.example", server.addr.to_string())
        .resolve("*.myqcloud.com", server.addr.to_string())
        .build()
        .unwrap();
    let url = format!("http://some.fake.host.example:{port}/x?y=1");
    t.send(&read_meta(), get(url), &HttpStatusClassifier)
        .await
        .unwrap();
    // No port in the URL: the override's port is used, Host has no port.
    let url = "http://bkt-123.cos.ap-guangzhou.myqcloud.com/key.txt".to_string();
    t.send(&read_meta(), get(url), &HttpStatusClassifier)
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("host"),
        Some(format!("some.fake.host.example:{port}").as_str())
    );
    assert_eq!(seen[0].target, "/x?y=1");
    assert_eq!(
        seen[1].header("host"),
        Some("bkt-123.cos.ap-guangzhou.myqcloud.com")
    );
    assert_eq!(seen[1].target, "/key.txt");
}

#[tokio::test]
async fn unmatched_hosts_are_not_overridden() {
    let server = Server::start(|_| canned(200)).await;
    let t = base()
        .resolve("*.myqcloud.com", server.addr.to_string())
        .max_attempts(1)
        .deadline(Duration::from_secs(10))
        .build()
        .unwrap();
    let e = t
        .send(
            &read_meta(),
            get("http://myqcloud.com.invalid/".to_string()),
            &HttpStatusClassifier,
        )
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let server = Server::start(|_| canned(200)).await;
    let t = Transport::builder().build().unwrap();
    let e = t
        .send(&read_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn non_idempotent_not_retried_after_5xx() {
    let server = Server::start(|_| canned(500)).await;
    let t = base().build().unwrap();
    let e = t
        .send(&write_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(e.http_status(), Some(500));
    assert_eq!(server.count(), 1);
    // The same call as a read is retried up to max_attempts.
    let t = base().max_attempts(3).build().unwrap();
    let e = t
        .send(&read_meta(), get(server.url("/")), &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.attempts(), 3);
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn non_idempotent_retried_after_connect_error() {
    let server = Server::start(|_| canned(200)).await;
    let dead = format!("http://127.0.0.1:{}/", dead_port().await);
    let live = server.url("/");
    let t = base().build().unwrap();
    let r = t
        .send(
            &write_meta(),
            move |attempt| {
                let url = if attempt == 1 { &dead } else { &live };
                reqwest::Client::new()
                    .post(url)
                    .body("{}")
                    .build()
                    .map_err(|e| Error::invalid_argument(e.to_string()))
            },
            &HttpStatusClassifier,
        )
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn tencent_style_throttle_in_200_is_retried() {
    let server = Server::start(|n| Canned {
        body: if n == 0 {
            r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow"},"RequestId":"a"}}"#.into()
        } else {
            r#"{"Response":{"TotalCount":0,"RequestId":"b"}}"#.into()
        },
        ..canned(200)
    })
    .await;
    let classifier = |v: &ResponseView<'_>| {
        let code = v
            .body
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .and_then(|j| j["Response"]["Error"]["Code"].as_str().map(String::from));
        match code.as_deref() {
            Some("RequestLimitExceeded") => Outcome::failure(
                Error::new(ErrorKind::Throttled, "throttled").with_code("RequestLimitExceeded"),
            ),
            Some(c) => Outcome::failure(Error::new(ErrorKind::Other, "error").with_code(c)),
            None => HttpStatusClassifier.classify(v),
        }
    };
    use multicloud::transport::Classifier;
    let t = base().build().unwrap();
    // A create without a client token: throttling proves it was not processed.
    let r = t
        .send(&write_meta(), get(server.url("/")), &classifier)
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
    assert_eq!(server.count(), 2);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["Response"]["RequestId"], "b");
}

#[tokio::test]
async fn https_with_extra_ca_and_resolve_override_keeps_sni() {
    let (acceptor, ca_pem) = tls_acceptor(&["cvm.tencentcloudapi.com"]);
    let server = Server::start_with_tls(|_| canned(200), Some(acceptor)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let url = "https://cvm.tencentcloudapi.com/".to_string();

    let t = Transport::builder()
        .ca_file(&ca)
        .resolve("*.tencentcloudapi.com", server.addr.to_string())
        .build()
        .unwrap();
    let r = t
        .send(&read_meta(), get(url.clone()), &HttpStatusClassifier)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-sni"), Some("cvm.tencentcloudapi.com"));
    assert_eq!(seen[0].header("host"), Some("cvm.tencentcloudapi.com"));

    // Without the CA, the handshake fails: nothing is served.
    let t = Transport::builder()
        .resolve("*.tencentcloudapi.com", server.addr.to_string())
        .max_attempts(1)
        .build()
        .unwrap();
    let e = t
        .send(&read_meta(), get(url), &HttpStatusClassifier)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");

    // A name the certificate does not cover fails too.
    let t = Transport::builder()
        .ca_file(&ca)
        .resolve("*", server.addr.to_string())
        .max_attempts(1)
        .build()
        .unwrap();
    let e = t
        .send(
            &read_meta(),
            get("https://cvm.other.example/".to_string()),
            &HttpStatusClassifier,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert_eq!(server.count(), 1);
}
