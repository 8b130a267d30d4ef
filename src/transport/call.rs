//! The retry loop: one call, many attempts.

use std::fmt;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use super::Transport;
use super::classify::{Classifier, Failure, Outcome, ResponseView, request_id_from_headers};
use super::client::{SendError, SendErrorKind};
use super::meta::CallMeta;
use super::retry::retry_after;
use crate::error::{Error, ErrorContext, ErrorKind, Result};

/// A response with its whole body, classified as a success.
#[derive(Clone)]
pub struct Response {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// Attempts the call took.
    pub attempts: u32,
    context: ErrorContext,
}

impl Response {
    /// A response (for tests of code that consumes responses).
    pub fn new(status: StatusCode, headers: HeaderMap, body: impl Into<Bytes>) -> Self {
        let context = ErrorContext {
            http_status: Some(status.as_u16()),
            request_id: request_id_from_headers(&headers),
            attempts: 1,
            ..ErrorContext::default()
        };
        Response {
            status,
            headers,
            body: body.into(),
            attempts: 1,
            context,
        }
    }

    /// The body parsed as JSON; a [`ErrorKind::Decode`] error with the
    /// call's context otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|e| self.decode_error(format!("invalid JSON: {e}")))
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.body)
            .map_err(|e| self.decode_error(format!("body is not UTF-8: {e}")))
    }

    /// A [`ErrorKind::Decode`] error carrying this call's context (provider,
    /// action, region, status, request id, attempts), for providers that
    /// parse the body themselves (XML).
    pub fn decode_error(&self, message: impl Into<String>) -> Error {
        Error::decode(message).with_context_defaults(&self.context)
    }

    /// The call's context (provider, service, action, region, status,
    /// request id, attempts).
    pub fn context(&self) -> &ErrorContext {
        &self.context
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A stream of body chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A successful response whose body is still to be read.
pub struct StreamingResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body. Read errors come with the call's context; they are not
    /// retried (the caller resumes with a range request if it wants).
    pub body: ByteStream,
    /// Attempts the call took.
    pub attempts: u32,
}

impl fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

enum Body {
    Buffered(Bytes),
    Stream(reqwest::Response),
}

struct Done {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl Transport {
    /// Make a call with a buffered body. `build(attempt)` (attempt counts
    /// from 1) builds and signs the request afresh for each attempt; the
    /// classifier sees status, headers and the whole body.
    pub async fn send<F>(
        &self,
        meta: &CallMeta,
        mut build: F,
        classifier: &dyn Classifier,
    ) -> Result<Response>
    where
        F: FnMut(u32) -> Result<reqwest::Request> + Send,
    {
        self.send_with(meta, move |a| std::future::ready(build(a)), classifier)
            .await
    }

    /// [`send`](Transport::send) with an async request builder (for
    /// signers that may refresh credentials).
    pub async fn send_with<F, Fut>(
        &self,
        meta: &CallMeta,
        build: F,
        classifier: &dyn Classifier,
    ) -> Result<Response>
    where
        F: FnMut(u32) -> Fut + Send,
        Fut: Future<Output = Result<reqwest::Request>> + Send,
    {
        let (done, attempts, mut context) = self.execute(meta, build, classifier, false).await?;
        let body = match done.body {
            Body::Buffered(b) => b,
            Body::Stream(r) => read_body(r, self.inner.settings.max_body_bytes)
                .await
                .map_err(|f| f.error.with_context_defaults(&context))?,
        };
        context.http_status = Some(done.status.as_u16());
        context.request_id = request_id_from_headers(&done.headers);
        context.attempts = attempts;
        Ok(Response {
            status: done.status,
            headers: done.headers,
            body,
            attempts,
            context,
        })
    }

    /// Make a call whose successful body is streamed (object downloads).
    /// A 2xx response is classified on status and headers only
    /// ([`ResponseView::body`] is `None`) and its body returned unread;
    /// other responses are buffered and classified as in
    /// [`send`](Transport::send). The deadline and the per-attempt timeout
    /// cover the wait for the headers; body reads are bounded by the read
    /// timeout between chunks.
    pub async fn send_streaming<F>(
        &self,
        meta: &CallMeta,
        mut build: F,
        classifier: &dyn Classifier,
    ) -> Result<StreamingResponse>
    where
        F: FnMut(u32) -> Result<reqwest::Request> + Send,
    {
        self.send_streaming_with(meta, move |a| std::future::ready(build(a)), classifier)
            .await
    }

    /// [`send_streaming`](Transport::send_streaming) with an async request
    /// builder.
    pub async fn send_streaming_with<F, Fut>(
        &self,
        meta: &CallMeta,
        build: F,
        classifier: &dyn Classifier,
    ) -> Result<StreamingResponse>
    where
        F: FnMut(u32) -> Fut + Send,
        Fut: Future<Output = Result<reqwest::Request>> + Send,
    {
        let (done, attempts, mut context) = self.execute(meta, build, classifier, true).await?;
        context.http_status = Some(done.status.as_u16());
        context.request_id = request_id_from_headers(&done.headers);
        context.attempts = attempts;
        let body: ByteStream = match done.body {
            Body::Buffered(b) => futures::stream::once(std::future::ready(Ok(b))).boxed(),
            Body::Stream(r) => r
                .bytes_stream()
                .map(move |chunk| {
                    chunk.map_err(|e| {
                        let kind = if e.is_timeout() {
                            ErrorKind::Timeout
                        } else {
                            ErrorKind::Unavailable
                        };
                        let e = e.without_url();
                        Error::new(kind, format!("reading the response body failed: {e}"))
                            .with_source(e)
                            .with_context_defaults(&context)
                    })
                })
                .boxed(),
        };
        Ok(StreamingResponse {
            status: done.status,
            headers: done.headers,
            body,
            attempts,
        })
    }

    async fn execute<F, Fut>(
        &self,
        meta: &CallMeta,
        mut build: F,
        classifier: &dyn Classifier,
        streaming: bool,
    ) -> Result<(Done, u32, ErrorContext)>
    where
        F: FnMut(u32) -> Fut + Send,
        Fut: Future<Output = Result<reqwest::Request>> + Send,
    {
        let s = &self.inner.settings;
        let ctx = meta.error_context();
        if s.read_only && meta.mutating {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "refused {}: the account is in read-only mode and this call mutates",
                    meta.action
                ),
            )
            .with_context_defaults(&ctx));
        }
        let deadline = Instant::now() + s.deadline;
        let mut last_error: Option<Error> = None;
        let mut last_cost: Option<u32> = None;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let sent = attempt - 1;
            let before = |e: Error| e.with_context_defaults(&ctx).with_attempts(sent);
            if let Err(e) = self.inner.limiter.acquire(meta, &s.account, deadline).await {
                return Err(last_error.unwrap_or_else(|| before(e)));
            }
            let request = match tokio::time::timeout_at(deadline, build(attempt)).await {
                Ok(built) => built.map_err(before)?,
                Err(_) => {
                    return Err(last_error.unwrap_or_else(|| {
                        before(Error::new(
                            ErrorKind::Timeout,
                            "call deadline exceeded while building the request",
                        ))
                    }));
                }
            };
            check_scheme(request.url(), s.allow_http).map_err(before)?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(last_error.unwrap_or_else(|| {
                    before(Error::new(ErrorKind::Timeout, "call deadline exceeded"))
                }));
            }
            let per_attempt = s.read_timeout.min(remaining);
            let span = tracing::info_span!(
                "request",
                provider = meta.provider.as_str(),
                service = %meta.service,
                action = %meta.action,
                region = meta.region.as_deref().unwrap_or(""),
                account = if meta.account.is_empty() { s.account.as_str() } else { meta.account.as_str() },
                attempt,
                host = request.url().host_str().unwrap_or(""),
                status = tracing::field::Empty,
            );
            self.inner.counters.attempts.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = tokio::time::timeout(
                per_attempt,
                self.attempt_once(request, classifier, streaming),
            )
            .instrument(span.clone())
            .await;
            let failure = match outcome {
                Ok(Ok(done)) => {
                    let refund = last_cost.unwrap_or(s.retry_budget.success_refund);
                    self.inner.budget.refund(refund);
                    return Ok((done, attempt, ctx));
                }
                Ok(Err(failure)) => failure,
                Err(_) => {
                    let msg = if per_attempt < s.read_timeout {
                        format!(
                            "call deadline of {} ms reached while waiting for a response",
                            s.deadline.as_millis()
                        )
                    } else {
                        format!("no response within {} ms", per_attempt.as_millis())
                    };
                    Failure::new(Error::new(ErrorKind::Timeout, msg))
                }
            };
            let Failure {
                error,
                retry_after,
                not_processed,
            } = failure;
            let error = error.with_context_defaults(&ctx).with_attempts(attempt);
            if error.kind() == ErrorKind::Throttled {
                self.inner
                    .counters
                    .throttled
                    .fetch_add(1, Ordering::Relaxed);
            }
            let plan = span.in_scope(|| {
                tracing::debug!(
                    kind = %error.kind(),
                    code = error.code().unwrap_or(""),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "attempt failed"
                );
                let plan =
                    self.retry_plan(meta, &error, retry_after, not_processed, attempt, deadline);
                if let Some((delay, _)) = plan {
                    tracing::warn!(
                        kind = %error.kind(),
                        code = error.code().unwrap_or(""),
                        delay_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                }
                plan
            });
            match plan {
                Some((delay, cost)) => {
                    self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                    last_cost = Some(cost);
                    last_error = Some(error);
                    tokio::time::sleep(delay).await;
                }
                None => return Err(error),
            }
        }
    }

    /// Whether and when to retry: `Some((delay, budget cost))`, after taking
    /// the cost from the budget; `None` to give up.
    fn retry_plan(
        &self,
        meta: &CallMeta,
        error: &Error,
        retry_after: Option<Duration>,
        not_processed: bool,
        attempt: u32,
        deadline: Instant,
    ) -> Option<(Duration, u32)> {
        let s = &self.inner.settings;
        if !error.is_retryable() {
            return None;
        }
        if attempt >= s.max_attempts {
            tracing::debug!(attempt, "no retry: attempts exhausted");
            return None;
        }
        if !(meta.retry_safe || not_processed) {
            tracing::debug!("no retry: the call is not idempotent and may have been processed");
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| self.inner.backoff.delay(attempt - 1));
        let remaining = deadline.saturating_duration_since(Instant::now());
        if delay >= remaining {
            tracing::debug!(
                delay_ms = delay.as_millis() as u64,
                "no retry: the wait would pass the call deadline"
            );
            return None;
        }
        let budget = &s.retry_budget;
        let cost = if error.kind() == ErrorKind::Timeout {
            budget.timeout_cost
        } else {
            budget.retry_cost
        };
        if !self.inner.budget.try_take(cost) {
            self.inner
                .counters
                .budget_exhausted
                .fetch_add(1, Ordering::Relaxed);
            tracing::debug!("no retry: the retry budget is empty");
            return None;
        }
        Some((delay, cost))
    }

    async fn attempt_once(
        &self,
        request: reqwest::Request,
        classifier: &dyn Classifier,
        streaming: bool,
    ) -> std::result::Result<Done, Failure> {
        let response = self
            .inner
            .sender
            .send(request)
            .await
            .map_err(send_failure)?;
        let status = response.status();
        let headers = response.headers().clone();
        tracing::Span::current().record("status", status.as_u16());
        if streaming && status.is_success() {
            let view = ResponseView {
                status,
                headers: &headers,
                body: None,
            };
            return match classifier.classify(&view) {
                Outcome::Success => Ok(Done {
                    status,
                    headers,
                    body: Body::Stream(response),
                }),
                Outcome::Failure(f) => Err(complete_failure(f, status, &headers)),
            };
        }
        let body = read_body(response, self.inner.settings.max_body_bytes)
            .await
            .map_err(|f| complete_failure(f, status, &headers))?;
        let view = ResponseView {
            status,
            headers: &headers,
            body: Some(&body),
        };
        match classifier.classify(&view) {
            Outcome::Success => Ok(Done {
                status,
                headers,
                body: Body::Buffered(body),
            }),
            Outcome::Failure(f) => Err(complete_failure(f, status, &headers)),
        }
    }
}

/// Add the HTTP status, the request id and the `Retry-After` hint.
fn complete_failure(mut f: Failure, status: StatusCode, headers: &HeaderMap) -> Failure {
    if f.retry_after.is_none() {
        f.retry_after = retry_after(headers, SystemTime::now());
    }
    let ctx = ErrorContext {
        http_status: Some(status.as_u16()),
        request_id: request_id_from_headers(headers),
        ..ErrorContext::default()
    };
    f.error = f.error.with_context_defaults(&ctx);
    f
}

fn send_failure(e: SendError) -> Failure {
    let (kind, not_processed) = match e.kind() {
        SendErrorKind::Connect => (ErrorKind::Unavailable, true),
        SendErrorKind::Timeout => (ErrorKind::Timeout, false),
        SendErrorKind::Other => (ErrorKind::Unavailable, false),
    };
    let message = e.to_string();
    Failure::new(Error::new(kind, message).with_source(e)).with_not_processed(not_processed)
}

/// Read the whole body, refusing more than `max` bytes.
async fn read_body(
    mut response: reqwest::Response,
    max: usize,
) -> std::result::Result<Bytes, Failure> {
    let too_large = || {
        Failure::new(Error::decode(format!(
            "response body exceeds the {max}-byte limit"
        )))
    };
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(too_large());
    }
    let mut buf = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len().saturating_add(chunk.len()) > max {
                    return Err(too_large());
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(e) => {
                let kind = if e.is_timeout() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Unavailable
                };
                let e = e.without_url();
                let msg = format!("reading the response body failed: {e}");
                return Err(Failure::new(Error::new(kind, msg).with_source(e)));
            }
        }
    }
}

/// Only `https`, or `http` when allowed.
fn check_scheme(url: &reqwest::Url, allow_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http => Ok(()),
        "http" => Err(Error::config(format!(
            "plain http:// to {} is not allowed; set endpoints.allow_http for emulators and test rigs",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(Error::config(format!("unsupported URL scheme {other:?}"))),
    }
}
