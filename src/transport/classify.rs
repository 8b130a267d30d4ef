//! Response classification: a provider tells the transport whether a
//! response is a success or an error, and what kind of error.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::error::{Error, ErrorKind};

/// What a classifier sees of a response.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: &'a HeaderMap,
    /// The whole body, or `None` for a 2xx response of a streaming call
    /// (whose body is handed to the caller unread).
    pub body: Option<&'a [u8]>,
}

/// A classified failure: the error plus what the transport needs to decide
/// on a retry. Whether to retry follows
/// [`ErrorKind::is_retryable`](crate::ErrorKind::is_retryable) of the error.
#[derive(Debug)]
pub struct Failure {
    /// The error (kind, message, code, request id). The transport adds the
    /// call's provider, service, action, region, HTTP status and attempts.
    pub error: Error,
    /// The provider's requested delay before a retry. When `None`, the
    /// transport reads `Retry-After` (and Azure's `*retry-after-ms`) itself.
    pub retry_after: Option<Duration>,
    /// The error proves the request was not processed, so even a
    /// non-idempotent call may be sent again. [`Failure::new`] sets it for
    /// [`ErrorKind::Throttled`] (throttling rejects a request before work).
    pub not_processed: bool,
}

impl Failure {
    /// A failure carrying `error`; `not_processed` is set for throttling.
    pub fn new(error: Error) -> Self {
        let not_processed = error.kind() == ErrorKind::Throttled;
        Failure {
            error,
            retry_after: None,
            not_processed,
        }
    }

    /// Set the provider's retry delay hint.
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Say whether the request is known not to have been processed.
    pub fn with_not_processed(mut self, not_processed: bool) -> Self {
        self.not_processed = not_processed;
        self
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::new(error)
    }
}

/// The verdict on one response.
#[derive(Debug)]
pub enum Outcome {
    /// The call succeeded; the response goes to the caller.
    Success,
    /// The call failed.
    Failure(Failure),
}

impl Outcome {
    /// A failure outcome for `error` (see [`Failure::new`]).
    pub fn failure(error: Error) -> Self {
        Outcome::Failure(Failure::new(error))
    }
}

/// Decides success or failure from a response. Each provider implements it
/// (reading its error bodies, e.g. Tencent's HTTP 200 with
/// `Response.Error.Code = RequestLimitExceeded`) and may fall back to
/// [`HttpStatusClassifier`]. Closures `Fn(&ResponseView) -> Outcome` are
/// classifiers too.
pub trait Classifier: Send + Sync {
    /// Classify one response.
    fn classify(&self, response: &ResponseView<'_>) -> Outcome;
}

impl<F> Classifier for F
where
    F: Fn(&ResponseView<'_>) -> Outcome + Send + Sync,
{
    fn classify(&self, response: &ResponseView<'_>) -> Outcome {
        self(response)
    }
}

/// The HTTP-status-only classifier: 2xx and 304 succeed; otherwise
/// [`kind_for_status`] gives the kind, the message is the status line, and
/// the request id comes from [`request_id_from_headers`]. It never copies
/// the body into the error (some error bodies echo signed headers).
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpStatusClassifier;

impl Classifier for HttpStatusClassifier {
    fn classify(&self, response: &ResponseView<'_>) -> Outcome {
        let Some(kind) = kind_for_status(response.status) else {
            return Outcome::Success;
        };
        let mut error = Error::new(kind, status_line(response.status))
            .with_http_status(response.status.as_u16());
        if let Some(id) = request_id_from_headers(response.headers) {
            error = error.with_request_id(id);
        }
        // 408: the server gave up waiting for the request, so it did no work.
        let not_processed =
            kind == ErrorKind::Throttled || response.status == StatusCode::REQUEST_TIMEOUT;
        Outcome::Failure(Failure::new(error).with_not_processed(not_processed))
    }
}

/// The error kind of an HTTP status, `None` for success (2xx, 304):
/// 429 → Throttled, 408 → Timeout, 501 → Unsupported, other 5xx →
/// Unavailable, 404 → NotFound, 401 → Unauthenticated, 403 →
/// PermissionDenied, 409 → Conflict, other 4xx → InvalidArgument, anything
/// else (1xx, other 3xx) → Other.
pub fn kind_for_status(status: StatusCode) -> Option<ErrorKind> {
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return None;
    }
    Some(match status {
        StatusCode::TOO_MANY_REQUESTS => ErrorKind::Throttled,
        StatusCode::REQUEST_TIMEOUT => ErrorKind::Timeout,
        StatusCode::NOT_IMPLEMENTED => ErrorKind::Unsupported,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::UNAUTHORIZED => ErrorKind::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorKind::PermissionDenied,
        StatusCode::CONFLICT => ErrorKind::Conflict,
        s if s.is_server_error() => ErrorKind::Unavailable,
        s if s.is_client_error() => ErrorKind::InvalidArgument,
        _ => ErrorKind::Other,
    })
}

/// Header names clouds use for their request id, checked in this order.
pub const REQUEST_ID_HEADERS: &[&str] = &[
    "x-acs-request-id",
    "x-amz-request-id",
    "x-amzn-requestid",
    "x-ms-request-id",
    "x-openstack-request-id",
    "x-compute-request-id",
    "x-cos-request-id",
    "x-obs-request-id",
    "x-oss-request-id",
    "x-request-id",
];

/// The first request-id header of [`REQUEST_ID_HEADERS`] present.
pub fn request_id_from_headers(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn status_line(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn status_table() {
        let cases = [
            (200, None),
            (204, None),
            (304, None),
            (429, Some(ErrorKind::Throttled)),
            (408, Some(ErrorKind::Timeout)),
            (500, Some(ErrorKind::Unavailable)),
            (502, Some(ErrorKind::Unavailable)),
            (503, Some(ErrorKind::Unavailable)),
            (501, Some(ErrorKind::Unsupported)),
            (404, Some(ErrorKind::NotFound)),
            (401, Some(ErrorKind::Unauthenticated)),
            (403, Some(ErrorKind::PermissionDenied)),
            (409, Some(ErrorKind::Conflict)),
            (400, Some(ErrorKind::InvalidArgument)),
            (413, Some(ErrorKind::InvalidArgument)),
            (301, Some(ErrorKind::Other)),
        ];
        for (code, kind) in cases {
            let s = StatusCode::from_u16(code).unwrap();
            assert_eq!(kind_for_status(s), kind, "{code}");
        }
    }

    #[test]
    fn default_classifier_fills_error() {
        let mut h = HeaderMap::new();
        h.insert("x-ms-request-id", HeaderValue::from_static("req-9"));
        let body = b"secret-echo";
        let view = ResponseView {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: &h,
            body: Some(body),
        };
        let Outcome::Failure(f) = HttpStatusClassifier.classify(&view) else {
            panic!("expected failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Throttled);
        assert_eq!(f.error.request_id(), Some("req-9"));
        assert_eq!(f.error.http_status(), Some(429));
        assert!(f.not_processed);
        assert!(!format!("{:?}", f.error).contains("secret-echo"));
        let view = ResponseView {
            status: StatusCode::BAD_GATEWAY,
            ..view
        };
        let Outcome::Failure(f) = HttpStatusClassifier.classify(&view) else {
            panic!("expected failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Unavailable);
        assert!(!f.not_processed);
        let ok = ResponseView {
            status: StatusCode::OK,
            ..view
        };
        assert!(matches!(
            HttpStatusClassifier.classify(&ok),
            Outcome::Success
        ));
    }

    #[test]
    fn closures_classify() {
        let c = |v: &ResponseView<'_>| {
            if v.body == Some(b"bad".as_slice()) {
                Outcome::failure(Error::new(ErrorKind::Throttled, "x"))
            } else {
                Outcome::Success
            }
        };
        let h = HeaderMap::new();
        let v = ResponseView {
            status: StatusCode::OK,
            headers: &h,
            body: Some(b"bad"),
        };
        assert!(matches!(c.classify(&v), Outcome::Failure(_)));
    }
}
