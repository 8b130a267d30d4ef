//! The HTTP(S) server: routing, faults, logging.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, stream};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::faults::Faults;
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse};
use crate::log::{FaultKind, LoggedRequest, RequestLog};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type Body = BoxBody<Bytes, BoxError>;

/// Garbage sent instead of a body by the malformed-body fault.
pub const MALFORMED_BODY: &[u8] = b"\x00\x7f}{<<< multicloud-sim: malformed body ]]>&&";

#[derive(Debug)]
pub(crate) struct Dropped(&'static str);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection dropped: {}", self.0)
    }
}

impl std::error::Error for Dropped {}

pub(crate) struct Shared {
    pub ctx: Ctx,
    pub faults: Faults,
    pub log: RequestLog,
    pub frontends: Vec<Arc<dyn Frontend>>,
}

fn full(b: Bytes) -> Body {
    Full::new(b).map_err(|never| match never {}).boxed()
}

fn host_of(req: &Request<Incoming>) -> String {
    let raw = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().host().map(str::to_string))
        .unwrap_or_default();
    let h = if let Some(rest) = raw.strip_prefix('[') {
        rest.split(']').next().unwrap_or("").to_string()
    } else {
        raw.rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map(|(h, _)| h.to_string())
            .unwrap_or(raw)
    };
    h.to_ascii_lowercase()
}

async fn handle(
    shared: Arc<Shared>,
    fixed: Option<usize>,
    scheme: &'static str,
    local: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let host = host_of(&req);
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|_| Dropped("request body"))?
        .to_bytes();
    let sreq = SimRequest {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        host,
        via_frontend_port: fixed.is_some(),
        scheme,
        local_addr: local,
    };
    let fe = match fixed {
        Some(i) => shared.frontends.get(i).cloned(),
        None => shared
            .frontends
            .iter()
            .find(|f| f.matches_host(&sreq.host))
            .cloned(),
    };
    let mut entry = LoggedRequest {
        seq: 0,
        at: shared.ctx.now(),
        method: sreq.method.to_string(),
        host: sreq.host.clone(),
        path: sreq
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        headers: sreq
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: sreq.body.clone(),
        frontend: None,
        action: String::new(),
        mutating: false,
        status: None,
        fault: None,
    };
    let Some(fe) = fe else {
        let resp = SimResponse::text(
            StatusCode::NOT_FOUND,
            format!("multicloud-sim: no frontend serves host {:?}\n", sreq.host),
        );
        entry.status = Some(404);
        shared.log.push(entry);
        return Ok(to_response(resp, false, false));
    };
    let action = fe.action(&sreq);
    let mutating = fe.is_mutating(&sreq, &action);
    entry.frontend = Some(fe.name().to_string());
    entry.action = action.clone();
    entry.mutating = mutating;
    let d = shared.faults.decide(fe.name(), &action, mutating);
    if !d.latency.is_zero() {
        tokio::time::sleep(d.latency).await;
    }
    if d.reset {
        entry.fault = Some(FaultKind::Reset);
        shared.log.push(entry);
        return Err(Dropped("reset fault"));
    }
    let ctx = &shared.ctx;
    let resp = if d.throttle {
        entry.fault = Some(FaultKind::Throttled);
        fe.throttle_response(ctx, &sreq, &action)
    } else if d.server_error {
        entry.fault = Some(FaultKind::ServerError);
        fe.server_error_response(ctx, &sreq, &action)
    } else if d.max_clock_skew_secs.is_some_and(|max| {
        fe.request_time(&sreq)
            .is_some_and(|t| (t - ctx.now()).num_seconds().unsigned_abs() > max)
    }) {
        entry.fault = Some(FaultKind::ClockSkew);
        fe.expired_response(ctx, &sreq, &action)
    } else {
        match fe.verify(ctx, &sreq) {
            Err(r) => r,
            Ok(id) => {
                let r = fe.handle(ctx, &sreq, &id);
                if d.lost_response && mutating {
                    entry.fault = Some(FaultKind::LostResponse);
                    entry.status = None;
                    shared.log.push(entry);
                    return Err(Dropped("lost response fault"));
                }
                r
            }
        }
    };
    if entry.fault.is_none() {
        if d.malformed {
            entry.fault = Some(FaultKind::Malformed);
        } else if d.truncate {
            entry.fault = Some(FaultKind::Truncated);
        }
    }
    entry.status = Some(resp.status.as_u16());
    shared.log.push(entry);
    Ok(to_response(resp, d.malformed, d.truncate && !d.malformed))
}

fn to_response(r: SimResponse, malformed: bool, truncate: bool) -> Response<Body> {
    let body = if malformed {
        Bytes::from_static(MALFORMED_BODY)
    } else {
        r.body
    };
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = r.status;
    *resp.headers_mut() = r.headers;
    resp.headers_mut()
        .insert("server", HeaderValue::from_static("multicloud-sim"));
    if truncate {
        let declared = body.len().max(16);
        let partial = body.slice(..body.len() / 2);
        resp.headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(declared));
        // Send the partial body, give the connection time to flush it, then
        // fail the body so hyper closes the connection mid-message.
        let first = stream::iter([Ok::<_, BoxError>(Frame::data(partial))]);
        let fail = stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Err::<Frame<Bytes>, BoxError>(Box::new(Dropped("truncated body fault")))
        });
        *resp.body_mut() = BodyExt::boxed(StreamBody::new(first.chain(fail)));
    } else {
        // A frontend's Content-Length stays only on an empty body (HEAD
        // answers carry the length of the entity they describe).
        if !body.is_empty() {
            resp.headers_mut().remove(http::header::CONTENT_LENGTH);
        }
        *resp.body_mut() = full(body);
    }
    resp
}

async fn serve_conn<I>(
    io: I,
    shared: Arc<Shared>,
    fixed: Option<usize>,
    scheme: &'static str,
    local: SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| handle(shared.clone(), fixed, scheme, local, req));
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc)
        .await;
}

/// Accept connections until `stop` changes (or its sender is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    fixed: Option<usize>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    let scheme = if tls.is_some() { "https" } else { "http" };
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            acc = listener.accept() => {
                let Ok((stream, _peer)) = acc else { continue };
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
                let shared = shared.clone();
                let tls = tls.clone();
                conns.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(s) = acceptor.accept(stream).await {
                                serve_conn(s, shared, fixed, scheme, local).await;
                            }
                        }
                        None => serve_conn(stream, shared, fixed, scheme, local).await,
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}
