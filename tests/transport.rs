//! Transport tests against a real local HTTP server (hand-written HTTP/1.1
//! over a tokio listener on 127.0.0.1:0).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use multicloud::ErrorKind;
use multicloud::model::ProviderKind;
use multicloud::transport::{
    CallMeta, HttpStatusClassifier, Outcome, ResponseView, Transport, TransportBuilder,
};
use multicloud::{Error, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
    at: std::time::Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A canned answer.
struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn canned(status: u16) -> Canned {
    Canned {
        status,
        headers: Vec::new(),
        body: String::new(),
    }
}

type Responder = Arc<dyn Fn(usize) -> Canned + Send + Sync>;

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers request `n` (0-based) with `respond(n)`.
    async fn start(respond: impl Fn(usize) -> Canned + Send + Sync + 'static) -> Server {
        Self::start_with_tls(respond, None).await
    }

    /// As [`Server::start`], over TLS when `tls` is given; the SNI name of
    /// each TLS connection is recorded as an `x-sni` pseudo-header.
    async fn start_with_tls(
        respond: impl Fn(usize) -> Canned + Send + Sync + 'static,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let respond: Responder = Arc::new(respond);
        let seen2 = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen2.clone();
                let respond = respond.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => {
                            let _ = handle(stream, seen, respond, None).await;
                        }
                        Some(acceptor) => {
                            let Ok(conn) = acceptor.accept(stream).await else {
                                return;
                            };
                            let sni = conn.get_ref().1.server_name().map(String::from);
                            let _ = handle(conn, seen, respond, sni).await;
                        }
                    }
                });
            }
        });
        Server { addr, seen }
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    seen: Arc<Mutex<Vec<Seen>>>,
    respond: Responder,
    sni: Option<String>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let target = request_line.split(' ').nth(1).unwrap_or("").to_string();
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if let Some(sni) = sni {
        headers.push(("x-sni".into(), sni));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let n = {
        let mut s = seen.lock().unwrap();
        s.push(Seen {
            target,
            headers,
            at: std::time::Instant::now(),
        });
        s.len() - 1
    };
    let c = respond(n);
    let mut out = format!(
        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        c.status,
        c.body.len()
    );
    for (k, v) in &c.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&c.body);
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

fn base() -> TransportBuilder {
    Transport::builder()
        .account("it")
        .allow_http(true)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
}

fn get(url: String) -> impl FnMut(u32) -> Result<reqwest::Request> + Send {
    move |_| {
        reqwest::Client::new()
            .get(&url)
            .build()
            .map_err(|e| Error::invalid_argument(e.to_string()))
    }
}

fn read_meta() -> CallMeta {
    CallMeta::read(ProviderKind::Tencent, "cvm", "DescribeInstances").with_region("ap-guangzhou")
}

fn write_meta() -> CallMeta {
    CallMeta::write(ProviderKind::Tencent, "cvm", "RunInstances").with_region("ap-guangzhou")
}

/// A port with nothing listening.
async fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

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

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_errors_and_logs() {
    const AUTH: &str = "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-27/cvm/tc3_request, SignedHeaders=host, Signature=SECRETSIGNATURE0123";
    const TOKEN: &str = "SECRETSESSIONTOKEN4567";
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The server echoes the credentials in its error body (as some clouds'
    // signature-mismatch errors do).
    let server = Server::start(|n| Canned {
        body: format!("<Error><Echo>{AUTH} {TOKEN}</Echo></Error>"),
        ..canned(if n == 0 { 503 } else { 403 })
    })
    .await;
    let dead = dead_port().await;
    let t = base().max_attempts(2).build().unwrap();
    let build = |host: String| {
        move |_attempt: u32| {
            reqwest::Client::new()
                .post(format!("http://{host}/?Action=X&SecurityToken={TOKEN}"))
                .header("Authorization", AUTH)
                .header("X-TC-Token", TOKEN)
                .body(format!("{{\"Token\":\"{TOKEN}\"}}"))
                .build()
                .map_err(|e| Error::invalid_argument(e.to_string()))
        }
    };
    let e1 = t
        .send(
            &read_meta(),
            build(server.addr.to_string()),
            &HttpStatusClassifier,
        )
        .await
        .unwrap_err();
    assert_eq!(e1.kind(), ErrorKind::PermissionDenied);
    assert_eq!(e1.attempts(), 2);
    let e2 = t
        .send(
            &read_meta(),
            build(format!("127.0.0.1:{dead}")),
            &HttpStatusClassifier,
        )
        .await
        .unwrap_err();
    assert_eq!(e2.kind(), ErrorKind::Unavailable);
    assert!(server.requests()[0].header("authorization").is_some());

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture works: the request span and the retry were logged.
    assert!(logs.contains("DescribeInstances"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    let mut texts = vec![logs];
    for e in [&e1, &e2] {
        texts.push(format!("{e}"));
        texts.push(format!("{e:?}"));
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            texts.push(format!("{s} {s:?}"));
            src = s.source();
        }
    }
    for text in &texts {
        for secret in ["SECRETSIGNATURE0123", TOKEN, "AKIDEXAMPLE"] {
            assert!(!text.contains(secret), "{secret} leaked in: {text}");
        }
    }
}

fn tls_acceptor(names: &[&str]) -> (tokio_rustls::TlsAcceptor, String) {
    let ck =
        rcgen::generate_simple_self_signed(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let cert_pem = ck.cert.pem();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), cert_pem)
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
