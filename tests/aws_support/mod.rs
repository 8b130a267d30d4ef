//! Shared helpers of the AWS tests that need no emulator: a tiny local
//! HTTP/1.1 server on 127.0.0.1 that answers from a function of the request
//! and keeps every request it read, and an account pointing every AWS
//! service at it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use multicloud::config::{AccountConfig, CredentialConfig, CredentialSourceKind};
use multicloud::credentials::Secret;
use multicloud::model::ProviderKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The server's answer to one request.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Head and body, as text.
    pub raw: String,
    /// The body alone (as many bytes as `Content-Length` said).
    pub body: String,
}

/// Every request a [`serve`] server received, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Received(Arc<Mutex<Vec<Request>>>);

impl Received {
    fn push(&self, r: Request) {
        self.0.lock().unwrap().push(r);
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Each request's head and body.
    pub fn raw(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.raw.clone())
            .collect()
    }

    /// Each request's body.
    pub fn bodies(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    /// Forget what arrived so far.
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// Start a server whose answer to each request is `answer(raw request)`.
/// Returns its base URL and what it receives.
pub async fn serve<F>(answer: F) -> (String, Received)
where
    F: Fn(&str) -> Answer + Send + Sync + 'static,
{
    let received = Received::default();
    let keep = received.clone();
    let answer = Arc::new(answer);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            let keep = keep.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut sock).await else {
                    return;
                };
                let Answer {
                    status,
                    content_type,
                    body,
                } = answer(&request.raw);
                keep.push(request);
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), received)
}

/// Read the head, then as many body bytes as `Content-Length` says.
/// `None` when the peer closed before a whole head arrived.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut tmp).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut tmp).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let end = buf.len().min(head_end + len);
    Some(Request {
        raw: String::from_utf8_lossy(&buf).to_string(),
        body: String::from_utf8_lossy(&buf[head_end..end]).to_string(),
    })
}

/// An AWS account named `name` whose every service (EC2, S3, IAM, STS, Cost
/// Explorer) is `url`, with the documentation's example keys, region
/// `us-east-1`, one attempt per call and a 10 s deadline.
pub fn account(name: &str, url: &str, read_only: bool) -> AccountConfig {
    let mut a = AccountConfig {
        name: name.into(),
        provider: ProviderKind::Aws,
        credentials: CredentialConfig {
            source: CredentialSourceKind::Static,
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
            ..Default::default()
        },
        regions: Default::default(),
        read_only,
        endpoints: Default::default(),
        transport: Default::default(),
        options: Default::default(),
    };
    for s in ["ec2", "s3", "iam", "sts", "ce"] {
        a.endpoints.services.insert(s.into(), url.into());
    }
    a.endpoints.allow_http = true;
    a.options.insert("region".into(), "us-east-1".into());
    a.transport.max_attempts = Some(1);
    a.transport.deadline_ms = Some(10_000);
    a
}
