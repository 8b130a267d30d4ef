//! Secrets never reach errors or logs. Alone in its test binary: tracing
//! caches callsite interest process-wide, so a thread-local subscriber only
//! sees every span reliably when no other test runs in the process.

mod transport_support;

use std::sync::{Arc, Mutex};

use multicloud::Error;
use multicloud::ErrorKind;
use multicloud::transport::HttpStatusClassifier;
use transport_support::*;

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
    assert!(logs.contains("request{"), "{logs}");
    assert!(logs.contains("action=DescribeInstances"), "{logs}");
    assert!(logs.contains("attempt=2"), "{logs}");
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
