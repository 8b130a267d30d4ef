//! Shared helpers of the transport integration tests: a local HTTP/1.1
//! server (hand-written over a tokio listener on 127.0.0.1:0, optionally
//! TLS) that records what it sees and answers from a script.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use multicloud::model::ProviderKind;
use multicloud::transport::{CallMeta, Transport, TransportBuilder};
use multicloud::{Error, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub at: std::time::Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A canned answer.
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub fn canned(status: u16) -> Canned {
    Canned {
        status,
        headers: Vec::new(),
        body: String::new(),
    }
}

pub type Responder = Arc<dyn Fn(usize) -> Canned + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers request `n` (0-based) with `respond(n)`.
    pub async fn start(respond: impl Fn(usize) -> Canned + Send + Sync + 'static) -> Server {
        Self::start_with_tls(respond, None).await
    }

    /// As [`Server::start`], over TLS when `tls` is given; the SNI name of
    /// each TLS connection is recorded as an `x-sni` pseudo-header.
    pub async fn start_with_tls(
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

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
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

pub fn base() -> TransportBuilder {
    Transport::builder()
        .account("it")
        .allow_http(true)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
}

pub fn get(url: String) -> impl FnMut(u32) -> Result<reqwest::Request> + Send {
    move |_| {
        reqwest::Client::new()
            .get(&url)
            .build()
            .map_err(|e| Error::invalid_argument(e.to_string()))
    }
}

pub fn read_meta() -> CallMeta {
    CallMeta::read(ProviderKind::Tencent, "cvm", "DescribeInstances").with_region("ap-guangzhou")
}

pub fn write_meta() -> CallMeta {
    CallMeta::write(ProviderKind::Tencent, "cvm", "RunInstances").with_region("ap-guangzhou")
}

/// A port with nothing listening: port 1 is privileged, so no test server
/// can take it (a freed ephemeral port could be reused by a parallel test).
pub async fn dead_port() -> u16 {
    1
}

/// A TLS acceptor with a fresh self-signed certificate for `names`, and
/// that certificate in PEM (to trust as an extra CA).
pub fn tls_acceptor(names: &[&str]) -> (tokio_rustls::TlsAcceptor, String) {
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
