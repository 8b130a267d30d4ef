//! Calling the AWS SDK: the error classifier, the read-only guard, lazy
//! paging and small conversions shared by the service files.
//!
//! Requests themselves are built, signed, retried and timed out by the
//! official `aws-sdk-*` crates (configured in `config.rs`); this file turns
//! their errors into the SDK's [`Error`] with one classifier,
//! [`classify`], table-tested code by code below.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::operation::RequestId;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;

use futures::{StreamExt, TryStreamExt, stream};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Tags, Timestamp};
use crate::traits::ResultStream;

/// Response header the [`AttemptCounter`] interceptor writes the number of
/// attempts into, so that errors can report it.
pub(crate) const ATTEMPTS_HEADER: &str = "x-multicloud-attempts";

/// Counters shared by every SDK client of one provider, read through
/// [`Provider::transport_stats`](crate::Provider::transport_stats).
#[derive(Debug, Default)]
pub struct CallCounters {
    attempts: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
}

impl CallCounters {
    /// (attempts, retries, throttled) so far.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.attempts.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
            self.throttled.load(Ordering::Relaxed),
        )
    }
}

/// An SDK interceptor counting attempts, retries and throttled answers into
/// the provider's [`CallCounters`], and recording how many attempts (retries
/// included) a call took on its final response. Errors without a response
/// (timeouts, connection failures) carry no count in the header.
#[derive(Debug, Clone, Default)]
pub struct AttemptCounter {
    counters: Arc<CallCounters>,
}

impl AttemptCounter {
    /// An interceptor counting into `counters`.
    pub fn new(counters: Arc<CallCounters>) -> Self {
        AttemptCounter { counters }
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "multicloud-attempt-counter"
    }

    fn read_after_attempt(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> std::result::Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.counters.attempts.fetch_add(1, Ordering::Relaxed);
        if let Some(resp) = context.response() {
            let status = resp.status().as_u16();
            if status >= 400 && is_throttle_answer(status, resp.body().bytes()) {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> std::result::Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let n = cfg
            .load::<aws_smithy_runtime_api::client::retries::RequestAttempts>()
            .map(|a| a.attempts());
        if let Some(n) = n {
            self.counters
                .retries
                .fetch_add(n.saturating_sub(1) as u64, Ordering::Relaxed);
        }
        if let (Some(n), Some(resp)) = (n, context.response_mut()) {
            resp.headers_mut().insert(ATTEMPTS_HEADER, n.to_string());
        }
        Ok(())
    }
}

/// Whether an error answer is the cloud throttling us: its error code (XML
/// `<Code>` of the query and REST protocols, JSON `__type` of the JSON
/// protocol) classifies as [`ErrorKind::Throttled`], or, without a readable
/// code, the status is 429. Bodies not held in memory count by status only.
pub(crate) fn is_throttle_answer(status: u16, body: Option<&[u8]>) -> bool {
    let code = body.and_then(error_code_of);
    classify(code.as_deref(), Some(status)) == ErrorKind::Throttled
}

/// The error code of an AWS error body, if one can be read.
fn error_code_of(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        let end = rest.find("</Code>")?;
        return Some(rest[..end].trim().to_string());
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let t = v
        .get("__type")
        .or_else(|| v.get("code"))
        .and_then(|t| t.as_str())?;
    // `com.amazonaws.ce#LimitExceededException` or `...:http://...` forms.
    let t = t.rsplit('#').next().unwrap_or(t);
    Some(t.split(':').next().unwrap_or(t).to_string())
}

/// Provider name used in error contexts.
pub(crate) const PROVIDER: &str = "aws";

/// Map an AWS error code (and, when the code is unknown or absent, the HTTP
/// status) to an [`ErrorKind`].
///
/// Codes come from the EC2, S3, IAM, STS and Cost Explorer API references
/// ("Common client error codes", "Error codes for the Amazon EC2 API",
/// "Error Responses" of S3, IAM's and CE's per-action `Errors` lists).
pub fn classify(code: Option<&str>, http_status: Option<u16>) -> ErrorKind {
    if let Some(code) = code.filter(|c| !c.is_empty())
        && let Some(kind) = classify_code(code)
    {
        return kind;
    }
    match http_status {
        Some(400) => ErrorKind::InvalidArgument,
        Some(401) => ErrorKind::Unauthenticated,
        Some(403) => ErrorKind::PermissionDenied,
        Some(404) => ErrorKind::NotFound,
        Some(409) => ErrorKind::Conflict,
        Some(412) => ErrorKind::Conflict,
        Some(416) => ErrorKind::InvalidArgument,
        Some(429) => ErrorKind::Throttled,
        Some(501) => ErrorKind::Unsupported,
        Some(503) => ErrorKind::Unavailable,
        Some(s) if s >= 500 => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    }
}

fn classify_code(code: &str) -> Option<ErrorKind> {
    use ErrorKind::*;
    let exact = match code {
        // Throttling (checked before the `*LimitExceeded` quota rule).
        "RequestLimitExceeded"
        | "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "TooManyRequestsException"
        | "SlowDown"
        | "BandwidthLimitExceeded"
        | "PriorRequestNotComplete"
        | "EC2ThrottledException"
        | "ProvisionedThroughputExceededException"
        // Cost Explorer: "You made too many calls in a short period of time".
        | "LimitExceededException" => Throttled,
        // Authentication.
        "AuthFailure"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "MissingAuthenticationTokenException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidAccessKeyId"
        | "InvalidToken"
        | "RequestExpired"
        | "RequestTimeTooSkewed"
        | "UnrecognizedClientException"
        | "InvalidSecurity" => Unauthenticated,
        // Permission.
        "UnauthorizedOperation"
        | "AccessDenied"
        | "AccessDeniedException"
        | "OptInRequired"
        | "Blocked"
        | "AllAccessDisabled"
        | "AccountProblem"
        | "PendingVerification"
        // EC2: "The provided credentials do not have permission to create
        // the service-linked role" (signed fine, not allowed).
        | "AuthFailure.ServiceLinkedRoleCreationNotPermitted"
        | "UnauthorizedAccess" => PermissionDenied,
        // Not found without the usual suffix/prefix.
        "NotFound"
        | "ResourceNotFoundException"
        | "InvalidAMIID.Unavailable"
        | "InvalidInstanceID"
        | "BillingViewNotFound" => NotFound,
        // Wrong state, busy, dependency.
        "IncorrectState"
        | "IncorrectInstanceState"
        | "IncorrectSpotRequestState"
        | "InvalidState"
        | "DependencyViolation"
        | "DeleteConflict"
        | "VolumeInUse"
        | "InvalidGroup.InUse"
        | "InvalidIPAddress.InUse"
        | "Resource.AlreadyAssociated"
        | "InvalidAddress.Locked"
        | "BucketNotEmpty"
        | "OperationAborted"
        | "ConcurrentModification"
        | "ConcurrentModificationException"
        | "EntityTemporarilyUnmodifiable"
        | "UnmodifiableEntity"
        | "IdempotentParameterMismatch"
        // EC2: "The specified operation is not allowed" in the resource's
        // current configuration (termination protection, a primary network
        // interface...): the resource's state, not the caller's rights.
        | "OperationNotPermitted"
        | "InvalidSubnet.Conflict"
        | "InvalidVpcState"
        | "InvalidObjectState"
        | "PreconditionFailed"
        | "RequestChangedException" => Conflict,
        // Already exists.
        "EntityAlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "BucketAlreadyExists"
        | "AlreadyExists"
        | "ResourceAlreadyExistsException"
        | "InvalidPermission.Duplicate"
        | "InvalidGroup.Duplicate" => AlreadyExists,
        // Quotas that do not end in `LimitExceeded`.
        "TooManyBuckets"
        | "InsufficientInstanceCapacity"
        | "InsufficientAddressCapacity"
        | "InsufficientFreeAddressesInSubnet"
        | "InsufficientVolumeCapacity"
        | "InsufficientCapacity"
        | "InsufficientReservedInstanceCapacity"
        | "MaxSpotInstanceCountExceeded"
        | "ServiceQuotaExceededException"
        | "QuotaExceeded" => QuotaExceeded,
        // Invalid argument.
        "MissingParameter"
        | "MissingAction"
        | "UnknownParameter"
        | "ValidationError"
        | "ValidationException"
        | "MalformedPolicyDocument"
        | "MalformedQueryString"
        | "MalformedXML"
        | "InvalidInput"
        | "InvalidRequest"
        | "InvalidArgument"
        | "InvalidBucketName"
        | "InvalidRange"
        | "InvalidPart"
        | "InvalidPartOrder"
        | "EntityTooSmall"
        | "EntityTooLarge"
        | "KeyTooLongError"
        | "InvalidNextTokenException"
        | "BillExpirationException"
        | "InvalidLocationConstraint"
        | "IllegalLocationConstraintException"
        | "AuthorizationHeaderMalformed"
        | "InvalidBlockDeviceMapping"
        | "InvalidSubnet.Range"
        | "InvalidVpc.Range"
        | "InvalidInstanceType"
        | "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "InvalidParameter"
        | "InvalidQueryParameter"
        | "InvalidPaginationToken"
        | "InvalidFilter"
        | "InvalidID"
        | "PasswordPolicyViolation" => InvalidArgument,
        // The API or feature does not exist here.
        "InvalidAction"
        | "UnsupportedOperation"
        | "Unsupported"
        | "NotImplemented"
        | "UnsupportedOperationException"
        | "UnsupportedProtocol"
        | "UnsupportedHyperplaneFeature" => Unsupported,
        // Service side.
        "InternalError"
        | "InternalFailure"
        | "InternalServerError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "Unavailable"
        | "ServiceFailure"
        | "DataUnavailableException" => Unavailable,
        "RequestTimeout" | "RequestTimeoutException" => Timeout,
        // EC2's answer to a request with DryRun=true that would have
        // succeeded. This SDK never sets DryRun, so seeing it is unexpected.
        "DryRunOperation" => Other,
        _ => return classify_pattern(code),
    };
    Some(exact)
}

fn classify_pattern(code: &str) -> Option<ErrorKind> {
    use ErrorKind::*;
    if code.starts_with("Throttling") {
        return Some(Throttled);
    }
    if code.ends_with(".NotFound") || code.ends_with("NotFound") || code.starts_with("NoSuch") {
        return Some(NotFound);
    }
    if code.ends_with("LimitExceeded") || code.ends_with("QuotaExceeded") {
        return Some(QuotaExceeded);
    }
    if code.ends_with(".Duplicate") {
        return Some(AlreadyExists);
    }
    if code.ends_with(".InUse") {
        return Some(Conflict);
    }
    if code.ends_with(".Malformed")
        || code.starts_with("InvalidParameter")
        || code.ends_with(".Range")
        || code.ends_with(".Invalid")
    {
        return Some(InvalidArgument);
    }
    None
}

/// Turn an SDK error into the SDK's [`Error`], with the service, action,
/// region, HTTP status, code and request id in its context.
pub(crate) fn sdk_error<E>(
    service: &str,
    action: &str,
    region: Option<&str>,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let attempts = err
        .raw_response()
        .and_then(|r| r.headers().get(ATTEMPTS_HEADER))
        .and_then(|v| v.parse::<u32>().ok());
    let code = err.code().map(str::to_string);
    let request_id = err
        .request_id()
        .map(str::to_string)
        .or_else(|| s3_request_id(err.raw_response()))
        .or_else(|| body_request_id(err.raw_response()));
    let (kind, message) = match &err {
        SdkError::TimeoutError(_) => (
            ErrorKind::Timeout,
            "the call's deadline or a network timeout ran out".to_string(),
        ),
        SdkError::DispatchFailure(d) => {
            let kind = if d.is_timeout() {
                ErrorKind::Timeout
            } else if d.is_user() {
                ErrorKind::Config
            } else {
                ErrorKind::Unavailable
            };
            (kind, format!("request could not be sent: {}", chain(&err)))
        }
        SdkError::ConstructionFailure(_) => (
            ErrorKind::Config,
            format!("request could not be built: {}", chain(&err)),
        ),
        SdkError::ResponseError(_) => (
            if status.is_some_and(|s| s >= 500) {
                ErrorKind::Unavailable
            } else {
                ErrorKind::Decode
            },
            format!("response could not be read: {}", chain(&err)),
        ),
        _ => (
            classify(code.as_deref(), status),
            err.message()
                .map(str::to_string)
                .unwrap_or_else(|| chain(&err)),
        ),
    };
    let mut e = Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_service(service)
        .with_action(action);
    if let Some(r) = region {
        e = e.with_region(r);
    }
    if let Some(s) = status {
        e = e.with_http_status(s);
    }
    if let Some(c) = code {
        e = e.with_code(c);
    }
    if let Some(id) = request_id {
        e = e.with_request_id(id);
    }
    if let Some(n) = attempts {
        e = e.with_attempts(n);
    }
    e.with_source(err)
}

fn s3_request_id(resp: Option<&HttpResponse>) -> Option<String> {
    resp?.headers().get("x-amz-request-id").map(str::to_string)
}

/// The request id in an XML error body (`<RequestID>` in EC2's,
/// `<RequestId>` in IAM/STS/S3 ones) when no header carried it.
fn body_request_id(resp: Option<&HttpResponse>) -> Option<String> {
    let body = std::str::from_utf8(resp?.body().bytes()?).ok()?;
    request_id_in_xml(body)
}

pub(crate) fn request_id_in_xml(body: &str) -> Option<String> {
    for tag in ["RequestID", "RequestId"] {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        if let Some(start) = body.find(&open) {
            let rest = &body[start + open.len()..];
            if let Some(end) = rest.find(&close) {
                let id = rest[..end].trim();
                if !id.is_empty() {
                    return Some(id.to_string());
                }
            }
        }
    }
    None
}

/// The error and its sources, as one line (the SDK's top-level messages are
/// terse: "dispatch failure", "service error").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// Refuse a mutating call on a read-only account, before anything is sent.
pub(crate) fn read_only_refusal(account: &str, service: &str, action: &str) -> Error {
    Error::new(
        ErrorKind::PermissionDenied,
        format!("account `{account}` is read-only: {action} refused before sending"),
    )
    .with_provider(PROVIDER)
    .with_service(service)
    .with_action(action)
}

/// Default EC2 request limits (AWS "Request throttling for the Amazon EC2
/// API": non-mutating actions 100-token bucket refilling 20/s, mutating
/// actions 50 refilling 5/s), per region.
pub const EC2_DESCRIBE_LIMIT: (f64, f64) = (100.0, 20.0);
/// See [`EC2_DESCRIBE_LIMIT`].
pub const EC2_MUTATE_LIMIT: (f64, f64) = (50.0, 5.0);

/// A client-side token bucket per (region, class or action), so that a
/// large inventory stays under the cloud's own throttling instead of
/// bouncing off it. `transport.rate_limits` overrides a single action
/// (`DescribeInstances = 40`: 40 per second, burst 40) or a class
/// (`ec2.describe`, `ec2.mutate`: rate per second, burst 5 x rate); a rate
/// of 0 disables limiting for that key.
#[derive(Debug, Default)]
pub struct RateLimiter {
    overrides: std::collections::BTreeMap<String, f64>,
    buckets: std::sync::Mutex<std::collections::HashMap<String, Bucket>>,
    acquires: AtomicU64,
    waits: AtomicU64,
    wait_nanos: AtomicU64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    burst: f64,
    rate: f64,
    last: tokio::time::Instant,
}

impl RateLimiter {
    /// A limiter with the account's overrides.
    pub fn new(overrides: &std::collections::BTreeMap<String, f64>) -> Self {
        RateLimiter {
            overrides: overrides.clone(),
            ..Default::default()
        }
    }

    /// The counters so far (permits, permits that waited, time waited).
    pub fn stats(&self) -> crate::transport::LimiterStats {
        crate::transport::LimiterStats {
            acquires: self.acquires.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            wait_time: std::time::Duration::from_nanos(self.wait_nanos.load(Ordering::Relaxed)),
        }
    }

    /// (key, burst, rate) for one call; `None` when unlimited.
    fn limits(&self, region: &str, action: &str, mutating: bool) -> Option<(String, f64, f64)> {
        if let Some(r) = self.overrides.get(action) {
            return (*r > 0.0).then(|| (format!("{region}/{action}"), r.max(1.0), *r));
        }
        let (class, (burst, rate)) = if mutating {
            ("ec2.mutate", EC2_MUTATE_LIMIT)
        } else {
            ("ec2.describe", EC2_DESCRIBE_LIMIT)
        };
        match self.overrides.get(class) {
            Some(r) if *r <= 0.0 => None,
            Some(r) => Some((format!("{region}/{class}"), (r * 5.0).max(1.0), *r)),
            None => Some((format!("{region}/{class}"), burst, rate)),
        }
    }

    /// Wait for a token.
    pub async fn acquire(&self, region: &str, action: &str, mutating: bool) {
        self.acquires.fetch_add(1, Ordering::Relaxed);
        let Some((key, burst, rate)) = self.limits(region, action, mutating) else {
            return;
        };
        let mut waited = std::time::Duration::ZERO;
        loop {
            let wait = {
                let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                let now = tokio::time::Instant::now();
                let b = map.entry(key.clone()).or_insert(Bucket {
                    tokens: burst,
                    burst,
                    rate,
                    last: now,
                });
                let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
                b.tokens = (b.tokens + elapsed * b.rate).min(b.burst);
                b.last = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    None
                } else {
                    Some(std::time::Duration::from_secs_f64(
                        (1.0 - b.tokens) / b.rate,
                    ))
                }
            };
            match wait {
                None => break,
                Some(d) => {
                    tokio::time::sleep(d).await;
                    waited += d;
                }
            }
        }
        if !waited.is_zero() {
            self.waits.fetch_add(1, Ordering::Relaxed);
            let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
            self.wait_nanos.fetch_add(nanos, Ordering::Relaxed);
        }
    }
}

/// A lazy list over a NextToken-style API: `fetch(token)` returns one page
/// and the next token. Only one page is held in memory at a time; a token
/// that repeats ends the stream with a `Decode` error instead of looping.
pub(crate) fn paged<'a, T, F, Fut>(fetch: F) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<(Vec<T>, Option<String>)>> + Send + 'a,
{
    enum Cursor {
        Start,
        Next(String),
        Done,
    }
    stream::try_unfold((fetch, Cursor::Start), |(mut fetch, cursor)| async move {
        let token = match cursor {
            Cursor::Done => return Ok(None),
            Cursor::Start => None,
            Cursor::Next(t) => Some(t),
        };
        let (items, next) = fetch(token.clone()).await?;
        let next = match next.filter(|t| !t.is_empty()) {
            None => Cursor::Done,
            Some(n) if Some(&n) == token.as_ref() => {
                return Err(Error::decode(
                    "the API returned the same page token twice; stopping instead of looping",
                )
                .with_provider(PROVIDER));
            }
            Some(n) => Cursor::Next(n),
        };
        Ok(Some((items, (fetch, next))))
    })
    .map_ok(|items: Vec<T>| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

pub(crate) use crate::error::ok_if_gone;

/// A stream that fails at once with `err` (for list calls refused up front).
pub(crate) fn failed<'a, T: Send + 'a>(err: Error) -> ResultStream<'a, T> {
    stream::once(async move { Err(err) }).boxed()
}

/// SDK time to `chrono`.
pub(crate) fn ts(t: Option<&aws_smithy_types::DateTime>) -> Option<Timestamp> {
    let t = t?;
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// An RFC 3339 / ISO 8601 string (EC2 image `CreationDate`) to `chrono`.
pub(crate) fn parse_ts(s: Option<&str>) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// EC2 tags to the model's map.
/// The create marker ([`MARKER_TAG`](super::create::MARKER_TAG)) is left out.
pub(crate) fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter()
        .filter(|t| t.key() != Some(super::create::MARKER_TAG))
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// An idempotency token in UUID v4 form, for creates whose caller gave none.
pub(crate) fn new_client_token() -> String {
    let v: u128 = rand::random();
    let v = (v & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Percent-decode (`%XX`) a string, as IAM returns policy documents.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encode an S3 key for `x-amz-copy-source` (unreserved and `/` kept).
pub(crate) fn encode_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    /// Every code the provider documents, with its kind. Sources: the EC2 API
    /// reference "Error codes for the Amazon EC2 API", the S3 "Error
    /// responses" list, IAM/STS/CE "Common errors" and per-action errors.
    const TABLE: &[(&str, ErrorKind)] = &[
        // throttling
        ("RequestLimitExceeded", Throttled),
        ("Throttling", Throttled),
        ("ThrottlingException", Throttled),
        ("Throttling.User", Throttled),
        ("RequestThrottled", Throttled),
        ("TooManyRequestsException", Throttled),
        ("SlowDown", Throttled),
        ("BandwidthLimitExceeded", Throttled),
        ("PriorRequestNotComplete", Throttled),
        ("LimitExceededException", Throttled),
        ("EC2ThrottledException", Throttled),
        ("RequestThrottledException", Throttled),
        // not found
        ("InvalidInstanceID.NotFound", NotFound),
        ("InvalidVolume.NotFound", NotFound),
        ("InvalidVpcID.NotFound", NotFound),
        ("InvalidSubnetID.NotFound", NotFound),
        ("InvalidGroup.NotFound", NotFound),
        ("InvalidAllocationID.NotFound", NotFound),
        ("InvalidAssociationID.NotFound", NotFound),
        ("InvalidAMIID.NotFound", NotFound),
        ("InvalidAMIID.Unavailable", NotFound),
        ("InvalidAttachment.NotFound", NotFound),
        ("InvalidPermission.NotFound", NotFound),
        ("InvalidSecurityGroupRuleId.NotFound", NotFound),
        ("InvalidKeyPair.NotFound", NotFound),
        ("InvalidAddress.NotFound", NotFound),
        ("NoSuchBucket", NotFound),
        ("NoSuchKey", NotFound),
        ("NoSuchUpload", NotFound),
        ("NoSuchEntity", NotFound),
        ("NotFound", NotFound),
        ("ResourceNotFoundException", NotFound),
        // authentication
        ("AuthFailure", Unauthenticated),
        ("InvalidClientTokenId", Unauthenticated),
        ("SignatureDoesNotMatch", Unauthenticated),
        ("IncompleteSignature", Unauthenticated),
        ("MissingAuthenticationToken", Unauthenticated),
        ("ExpiredToken", Unauthenticated),
        ("InvalidAccessKeyId", Unauthenticated),
        ("RequestExpired", Unauthenticated),
        ("RequestTimeTooSkewed", Unauthenticated),
        ("UnrecognizedClientException", Unauthenticated),
        ("ExpiredTokenException", Unauthenticated),
        ("InvalidToken", Unauthenticated),
        // permission
        ("UnauthorizedOperation", PermissionDenied),
        ("AccessDenied", PermissionDenied),
        ("AccessDeniedException", PermissionDenied),
        ("OptInRequired", PermissionDenied),
        ("Blocked", PermissionDenied),
        ("AllAccessDisabled", PermissionDenied),
        (
            "AuthFailure.ServiceLinkedRoleCreationNotPermitted",
            PermissionDenied,
        ),
        ("AccountProblem", PermissionDenied),
        ("PendingVerification", PermissionDenied),
        // quota
        ("InstanceLimitExceeded", QuotaExceeded),
        ("VcpuLimitExceeded", QuotaExceeded),
        ("VolumeLimitExceeded", QuotaExceeded),
        ("VpcLimitExceeded", QuotaExceeded),
        ("AddressLimitExceeded", QuotaExceeded),
        ("SecurityGroupLimitExceeded", QuotaExceeded),
        ("RulesPerSecurityGroupLimitExceeded", QuotaExceeded),
        ("LimitExceeded", QuotaExceeded),
        ("TooManyBuckets", QuotaExceeded),
        ("InsufficientInstanceCapacity", QuotaExceeded),
        ("InsufficientAddressCapacity", QuotaExceeded),
        ("InsufficientFreeAddressesInSubnet", QuotaExceeded),
        ("MaxSpotInstanceCountExceeded", QuotaExceeded),
        ("InsufficientVolumeCapacity", QuotaExceeded),
        ("ServiceQuotaExceededException", QuotaExceeded),
        // conflict
        ("IncorrectState", Conflict),
        ("IncorrectInstanceState", Conflict),
        ("DependencyViolation", Conflict),
        ("DeleteConflict", Conflict),
        ("VolumeInUse", Conflict),
        ("InvalidGroup.InUse", Conflict),
        ("InvalidIPAddress.InUse", Conflict),
        ("Resource.AlreadyAssociated", Conflict),
        ("BucketNotEmpty", Conflict),
        ("OperationAborted", Conflict),
        ("ConcurrentModification", Conflict),
        ("EntityTemporarilyUnmodifiable", Conflict),
        ("IdempotentParameterMismatch", Conflict),
        ("InvalidSubnet.Conflict", Conflict),
        ("OperationNotPermitted", Conflict),
        ("ConcurrentModificationException", Conflict),
        // already exists
        ("EntityAlreadyExists", AlreadyExists),
        ("BucketAlreadyOwnedByYou", AlreadyExists),
        ("BucketAlreadyExists", AlreadyExists),
        ("InvalidGroup.Duplicate", AlreadyExists),
        ("InvalidPermission.Duplicate", AlreadyExists),
        ("InvalidKeyPair.Duplicate", AlreadyExists),
        // invalid argument
        ("InvalidParameterValue", InvalidArgument),
        ("InvalidParameterCombination", InvalidArgument),
        ("InvalidParameter", InvalidArgument),
        ("MissingParameter", InvalidArgument),
        ("UnknownParameter", InvalidArgument),
        ("ValidationError", InvalidArgument),
        ("ValidationException", InvalidArgument),
        ("MalformedPolicyDocument", InvalidArgument),
        ("InvalidInput", InvalidArgument),
        ("InvalidInstanceID.Malformed", InvalidArgument),
        ("InvalidVolumeID.Malformed", InvalidArgument),
        ("InvalidAMIID.Malformed", InvalidArgument),
        ("InvalidSubnet.Range", InvalidArgument),
        ("InvalidVpc.Range", InvalidArgument),
        ("InvalidBucketName", InvalidArgument),
        ("InvalidRange", InvalidArgument),
        ("EntityTooSmall", InvalidArgument),
        ("InvalidPart", InvalidArgument),
        ("InvalidNextTokenException", InvalidArgument),
        ("InvalidLocationConstraint", InvalidArgument),
        // unsupported
        ("InvalidAction", Unsupported),
        ("UnsupportedOperation", Unsupported),
        ("NotImplemented", Unsupported),
        // service side
        ("InternalError", Unavailable),
        ("InternalFailure", Unavailable),
        ("ServiceUnavailable", Unavailable),
        ("ServiceUnavailableException", Unavailable),
        ("Unavailable", Unavailable),
        ("ServiceFailure", Unavailable),
        ("RequestTimeout", Timeout),
        // dry run success marker
        ("DryRunOperation", Other),
    ];

    #[test]
    fn codes_map_to_kinds() {
        for (code, kind) in TABLE {
            assert_eq!(classify(Some(code), Some(400)), *kind, "{code}");
        }
    }

    #[test]
    fn status_fallback_when_code_unknown() {
        assert_eq!(classify(None, Some(404)), NotFound);
        assert_eq!(classify(Some(""), Some(403)), PermissionDenied);
        assert_eq!(classify(Some("SomethingNew"), Some(429)), Throttled);
        assert_eq!(classify(Some("SomethingNew"), Some(503)), Unavailable);
        assert_eq!(classify(Some("SomethingNew"), Some(500)), Unavailable);
        assert_eq!(classify(Some("SomethingNew"), Some(400)), InvalidArgument);
        assert_eq!(classify(Some("SomethingNew"), None), Other);
        assert_eq!(classify(None, Some(401)), Unauthenticated);
        assert_eq!(classify(None, Some(409)), Conflict);
    }

    #[test]
    fn client_tokens_are_uuid_shaped_and_unique() {
        let a = new_client_token();
        let b = new_client_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert!(
            a.len() <= 64,
            "EC2 ClientToken is at most 64 ASCII characters"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_calls_after_the_burst() {
        let mut o = std::collections::BTreeMap::new();
        o.insert("DescribeInstances".to_string(), 2.0);
        o.insert("ec2.mutate".to_string(), 0.0);
        let l = RateLimiter::new(&o);
        let t0 = tokio::time::Instant::now();
        for _ in 0..4 {
            l.acquire("r1", "DescribeInstances", false).await;
        }
        // burst 2, then 2 more at 2/s
        let took = t0.elapsed().as_secs_f64();
        assert!((0.99..1.2).contains(&took), "{took}");
        // another region has its own bucket; mutate is unlimited here
        let t1 = tokio::time::Instant::now();
        l.acquire("r2", "DescribeInstances", false).await;
        for _ in 0..500 {
            l.acquire("r1", "RunInstances", true).await;
        }
        assert_eq!(t1.elapsed().as_secs_f64(), 0.0);
        // counted: 4 + 1 + 500 permits, 2 of them waited (the 3rd and 4th)
        let st = l.stats();
        assert_eq!((st.acquires, st.waits), (505, 2));
        assert!(st.wait_time >= std::time::Duration::from_millis(990));
        // defaults: 100 describe calls pass at once, the 101st waits 50 ms
        let d = RateLimiter::default();
        let t2 = tokio::time::Instant::now();
        for _ in 0..101 {
            d.acquire("r", "DescribeVolumes", false).await;
        }
        let took = t2.elapsed().as_secs_f64();
        assert!((0.04..0.06).contains(&took), "{took}");
    }

    #[test]
    fn throttle_answers_are_recognized_by_code_then_status() {
        let ec2 = b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>\
                    <Message>Request limit exceeded.</Message></Error></Errors></Response>";
        assert!(is_throttle_answer(503, Some(ec2)));
        let iam = b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                    </Error></ErrorResponse>";
        assert!(is_throttle_answer(400, Some(iam)));
        let ce = br#"{"__type":"com.amazonaws.ce#LimitExceededException","Message":"x"}"#;
        assert!(is_throttle_answer(400, Some(ce)));
        let s3 = b"<Error><Code>SlowDown</Code></Error>";
        assert!(is_throttle_answer(503, Some(s3)));
        // other errors are not throttles
        let missing = b"<Error><Code>NoSuchBucket</Code></Error>";
        assert!(!is_throttle_answer(404, Some(missing)));
        let unavailable = b"<Error><Code>ServiceUnavailable</Code></Error>";
        assert!(!is_throttle_answer(503, Some(unavailable)));
        // no readable body: the status decides
        assert!(is_throttle_answer(429, None));
        assert!(!is_throttle_answer(500, Some(b"\xff\xfe")));
    }

    #[test]
    fn request_ids_from_bodies() {
        assert_eq!(
            request_id_in_xml("<Response><RequestID>abc</RequestID></Response>").as_deref(),
            Some("abc")
        );
        assert_eq!(
            request_id_in_xml("<ErrorResponse><RequestId> x-1 </RequestId></ErrorResponse>")
                .as_deref(),
            Some("x-1")
        );
        assert_eq!(request_id_in_xml("<a/>"), None);
    }

    #[test]
    fn percent_coding() {
        assert_eq!(
            percent_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            "{\"Version\":\"2012-10-17\"}"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(encode_key("a b/ü+c"), "a%20b/%C3%BC%2Bc");
    }

    #[tokio::test]
    async fn paged_follows_tokens_and_stops() {
        let pages: ResultStream<'_, u32> = paged(|tok: Option<String>| async move {
            Ok(match tok.as_deref() {
                None => (vec![1, 2], Some("a".to_string())),
                Some("a") => (vec![3], Some("b".to_string())),
                _ => (vec![], Some(String::new())),
            })
        });
        let all: Vec<u32> = pages.try_collect().await.unwrap();
        assert_eq!(all, vec![1, 2, 3]);

        let looping: ResultStream<'_, u32> =
            paged(|_tok| async move { Ok((vec![1], Some("same".to_string()))) });
        let r: Result<Vec<u32>> = looping.try_collect().await;
        assert_eq!(r.unwrap_err().kind(), Decode);
    }
}
