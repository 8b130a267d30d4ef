//! Error parsing and classification for Alibaba Cloud responses.
//!
//! RPC-style APIs (ECS, VPC, RAM, BSS, STS) answer errors with a JSON body
//! `{"RequestId", "HostId", "Code", "Message", "Recommend"}`; OSS answers
//! with XML `<Error><Code/><Message/><RequestId/><HostId/></Error>` (and with
//! no body at all to `HEAD`, where only the `x-oss-request-id` header
//! remains). [`classify`] maps a code and HTTP status to an [`ErrorKind`];
//! [`parse_rpc_error`] and [`parse_oss_error`] build the SDK's [`Error`] with
//! the code, message, request id and status.

use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::config::{Endpoints, Service};
use super::sign::{
    Acs3Request, Credentials as SignCredentials, OssRequest, canonical_query, http_date,
    percent_encode, percent_encode_path, sign_acs3, sign_oss_v1_header, sign_oss_v4_header,
};
use super::wire::{self, Params};
use crate::credentials::CredentialProvider;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ProviderKind;
use crate::transport::{
    CallMeta, Classifier, Failure, Outcome, ResponseView, Transport, request_id_from_headers,
};

/// The provider name put into every error's context.
pub const PROVIDER: &str = "alibaba";

/// Map an Alibaba error code (RPC or OSS) and the HTTP status to a kind.
///
/// Codes win over statuses; the status decides only for codes the table
/// does not know. The order of the rules matters: specific codes first
/// (`InvalidAccessKeyId.NotFound` is an authentication failure, not a
/// missing resource), then families by prefix or suffix.
pub fn classify(code: &str, http_status: u16) -> ErrorKind {
    use ErrorKind::*;
    let c = code.trim();
    // Exact codes whose family rule below would be wrong.
    match c {
        // Authentication (credentials, signature, clock, STS token).
        "InvalidAccessKeyId"
        | "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeyId.Inactive"
        | "InvalidAccessKeySecret"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidSignature"
        | "SignatureNonceUsed"
        | "InvalidTimeStamp.Expired"
        | "InvalidTimeStamp.Format"
        | "RequestTimeTooSkewed"
        | "RequestExpired"
        | "InvalidSecurityToken"
        | "InvalidSecurityToken.Expired"
        | "InvalidSecurityToken.Malformed"
        | "InvalidSecurityToken.MismatchWithAccessKey"
        | "SecurityTokenExpired"
        | "MissingSecurityToken"
        | "InvalidAuthorization"
        | "MissingAuthorization"
        | "AccessKeyDisabled" => return Unauthenticated,
        // Permission.
        "Forbidden.RAM"
        | "NoPermission"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "NotAuthorized"
        | "Unauthorized"
        | "InvalidUser.Unauthorized" => return PermissionDenied,
        // Throttling and availability.
        "Throttling"
        | "Throttling.User"
        | "Throttling.Api"
        | "Throttling.Concurrent"
        | "Throttling.Resource"
        | "RequestLimitExceeded"
        | "ConcurrentLimitExceeded"
        | "SlowDown"
        | "QpsLimitExceeded" => return Throttled,
        "ServiceUnavailable"
        | "ServiceUnavailable.Upgrading"
        | "InternalError"
        | "InternalServerError"
        | "UnknownError"
        | "Undefined"
        | "ServiceBusy" => return Unavailable,
        "ServiceTimeout" | "RequestTimeout" | "Timeout" => return Timeout,
        // Conflicts: wrong state, busy, in use, token reuse.
        "IdempotentParameterMismatch"
        | "IdempotentProcessing"
        | "LastTokenProcessing"
        | "OperationConflict"
        | "TaskConflict"
        | "BucketNotEmpty"
        | "ObjectNotAppendable"
        | "PositionNotEqualToLength"
        | "DeleteConflict.User.AccessKey"
        | "DeleteConflict.User.Group"
        | "DeleteConflict.User.Policy"
        // Deletion protection is on: the resource's setting, not the
        // request, stands in the way (ReleaseEipAddress, DeleteVpc, ...).
        | "InvalidOperation.DeletionProtection"
        | "IncorrectStatus" => return Conflict,
        // Not found (OSS).
        "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchUpload"
        | "NoSuchVersion"
        | "NoSuchCORSConfiguration"
        | "NoSuchLifecycle"
        | "NoSuchTagSet"
        | "NoSuchWebsiteConfiguration"
        | "NoSuchBucketPolicy" => return NotFound,
        // Already exists (OSS and others).
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" | "EntityAlreadyExists" => {
            return AlreadyExists;
        }
        // Quotas and capacity.
        "TooManyBuckets" | "OperationDenied.NoStock" => return QuotaExceeded,
        // Invalid requests (OSS and common).
        "MalformedXML"
        | "MalformedJson"
        | "InvalidArgument"
        | "InvalidBucketName"
        | "InvalidObjectName"
        | "InvalidDigest"
        | "InvalidPart"
        | "InvalidPartOrder"
        | "EntityTooLarge"
        | "EntityTooSmall"
        | "InvalidTargetBucketForLogging"
        | "InvalidEncryptionAlgorithmError"
        | "MissingContentLength"
        | "InvalidRange"
        // A policy document the service cannot accept (STS AssumeRole's
        // `Policy`, RAM policies): the request is wrong, not the caller's
        // identity.
        | "InvalidPolicyDocument" => {
            return InvalidArgument;
        }
        // The API itself is unknown (at that version).
        "InvalidAction.NotFound"
        | "InvalidApi.NotFound"
        | "InvalidVersion"
        | "UnsupportedHTTPAction" => {
            return Unsupported;
        }
        _ => {}
    }
    // Families.
    if c.starts_with("Throttling") {
        return Throttled;
    }
    if c.starts_with("InvalidAccessKeyId") || c.starts_with("InvalidSecurityToken") {
        return Unauthenticated;
    }
    if c.starts_with("Forbidden") || c.starts_with("Forbbiden") || c.starts_with("NoPermission") {
        return PermissionDenied;
    }
    if c.starts_with("EntityNotExist")
        || c.ends_with(".NotFound")
        || c.ends_with(".NotExist")
        || c.ends_with(".NotExists")
        || c.starts_with("NoSuch")
        || c.contains("NotFound")
    {
        return NotFound;
    }
    if c.starts_with("EntityAlreadyExists")
        || c.ends_with(".AlreadyExists")
        || c.ends_with(".AlreadyExist")
        || c.ends_with(".Duplicate")
        || c.contains("AlreadyExists")
    {
        return AlreadyExists;
    }
    if c.starts_with("QuotaExceed")
        || c.contains("QuotaExceed")
        || c.contains("LimitExceed")
        || c.starts_with("Quota.")
    {
        return QuotaExceeded;
    }
    if (c.starts_with("Incorrect") && c.contains("Status"))
        || c.starts_with("IncorrectInstanceStatus")
        || c.starts_with("IncorrectDiskStatus")
        || c.starts_with("DependencyViolation")
        || c.starts_with("DeleteConflict")
        || c.starts_with("OperationConflict")
        || c.starts_with("TaskConflict")
        || c.starts_with("InvalidStatus")
        || c.ends_with(".InUse")
        || c.ends_with(".InProgress")
    {
        return Conflict;
    }
    if c.starts_with("Unsupported")
        || c.starts_with("OperationUnsupported")
        || c.ends_with(".NotSupported")
        || c.starts_with("NotSupported")
    {
        return Unsupported;
    }
    if c.starts_with("InvalidParameter")
        || c.starts_with("MissingParameter")
        || c.starts_with("Missing")
        || c.starts_with("Invalid")
        || c.starts_with("Malformed")
        || c.starts_with("IllegalParameter")
        || c.starts_with("Illegal")
    {
        return InvalidArgument;
    }
    if c.starts_with("InternalError") || c.starts_with("ServiceUnavailable") {
        return Unavailable;
    }
    by_status(http_status)
}

/// Whether `code` is ECS's answer to a `DryRun=true` request that would
/// have been allowed (`DryRunOperation`). Used to tell "no resources" from
/// "no permission": `DescribeInstances` answers an empty list, not an
/// error, to a RAM user without permission, but a dry run answers
/// `DryRunOperation` only when the caller is allowed.
pub fn is_dry_run_allowed(code: &str) -> bool {
    code == "DryRunOperation"
}

/// The kind an HTTP status implies when the code says nothing more.
pub fn by_status(http_status: u16) -> ErrorKind {
    match http_status {
        400 | 405 | 411 | 413 | 414 | 416 => ErrorKind::InvalidArgument,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        408 | 504 => ErrorKind::Timeout,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    }
}

/// The error body of RPC-style APIs. Field names as the vendor returns them
/// (the ROA style and some gateways use lower-case names, accepted too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RpcErrorBody {
    /// Request id.
    #[serde(rename = "RequestId", alias = "requestId", default)]
    pub request_id: Option<String>,
    /// Host that answered.
    #[serde(rename = "HostId", alias = "hostId", default)]
    pub host_id: Option<String>,
    /// Error code (`Throttling.User`, `InvalidInstanceId.NotFound`).
    #[serde(rename = "Code", alias = "code", default)]
    pub code: Option<String>,
    /// Error message.
    #[serde(rename = "Message", alias = "message", default)]
    pub message: Option<String>,
    /// Link to the vendor's diagnosis page.
    #[serde(rename = "Recommend", alias = "recommend", default)]
    pub recommend: Option<String>,
}

/// The `<Error>` body of OSS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OssErrorBody {
    /// Error code (`NoSuchKey`, `AccessDenied`).
    #[serde(rename = "Code", default)]
    pub code: Option<String>,
    /// Error message.
    #[serde(rename = "Message", default)]
    pub message: Option<String>,
    /// Request id.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
    /// Host that answered.
    #[serde(rename = "HostId", default)]
    pub host_id: Option<String>,
    /// OSS's detailed error number (`0026-00000001`).
    #[serde(rename = "EC", default)]
    pub ec: Option<String>,
    /// Link to the vendor's diagnosis page.
    #[serde(rename = "RecommendDoc", default)]
    pub recommend_doc: Option<String>,
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let t: String = s.chars().take(200).collect();
    t.trim().to_string()
}

fn build(
    service: &str,
    status: u16,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    body: &[u8],
) -> Error {
    let code = code.filter(|c| !c.is_empty());
    let kind = match &code {
        Some(c) => classify(c, status),
        None => by_status(status),
    };
    let message = message.filter(|m| !m.is_empty()).unwrap_or_else(|| {
        let s = snippet(body);
        if s.is_empty() {
            format!("HTTP {status} without an error body")
        } else {
            s
        }
    });
    let mut e = Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_service(service)
        .with_http_status(status);
    if let Some(c) = code {
        e = e.with_code(c);
    }
    if let Some(r) = request_id.filter(|r| !r.is_empty()) {
        e = e.with_request_id(r);
    }
    e
}

/// Parse the error answer of an RPC-style API (`service` is `ecs`, `vpc`,
/// `ram`, `bss` or `sts`). A body that is not the documented JSON still
/// yields an error, classified by status, with the start of the body as its
/// message.
pub fn parse_rpc_error(service: &str, status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<RpcErrorBody>(body) {
        Ok(b) => {
            let message = match (b.message, b.recommend) {
                (Some(m), Some(r)) if !r.is_empty() => Some(format!("{m} (see {r})")),
                (m, _) => m,
            };
            build(service, status, b.code, message, b.request_id, body)
        }
        Err(_) => build(service, status, None, None, None, body),
    }
}

/// Parse an OSS error answer. `request_id_header` is the response's
/// `x-oss-request-id`, used when the body has none (HEAD requests).
pub fn parse_oss_error(status: u16, body: &[u8], request_id_header: Option<&str>) -> Error {
    let parsed = std::str::from_utf8(body)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| quick_xml::de::from_str::<OssErrorBody>(s).ok());
    let header_id = request_id_header.map(str::to_string);
    match parsed {
        Some(b) => {
            let message = match (b.message, b.ec) {
                (Some(m), Some(ec)) if !ec.is_empty() => Some(format!("{m} (EC {ec})")),
                (m, _) => m,
            };
            build(
                "oss",
                status,
                b.code,
                message,
                b.request_id.or(header_id),
                body,
            )
        }
        // HEAD and some gateways answer without a body: the code is
        // unknown (a bodiless 404 may be the bucket or the key).
        None => build("oss", status, None, None, header_id, body),
    }
}

// ---------------------------------------------------------------- the client

/// How a call may be retried, which decides its [`CallMeta`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A read: never refused in read-only mode, always safe to retry.
    Read,
    /// A mutation that is safe to send again: deletes, PUT by name, and
    /// creates carrying a `ClientToken` that stays the same on every attempt.
    Idempotent,
    /// A mutation that must not be sent twice: retried only after failures
    /// proving it was not processed (connect errors, throttling).
    Mutation,
}

impl CallKind {
    /// The transport's call description for `service` / `action`.
    pub fn meta(self, service: &str, action: &str, region: Option<&str>) -> CallMeta {
        let service = service.to_string();
        let action = action.to_string();
        let meta = match self {
            CallKind::Read => CallMeta::read(ProviderKind::Alibaba, service, action),
            CallKind::Idempotent => {
                CallMeta::write(ProviderKind::Alibaba, service, action).idempotent()
            }
            CallKind::Mutation => CallMeta::write(ProviderKind::Alibaba, service, action),
        };
        match region {
            Some(r) if !r.is_empty() => meta.with_region(r),
            _ => meta,
        }
    }
}

/// The [`Classifier`] of the RPC-style APIs: 2xx succeeds; anything else is
/// parsed with [`parse_rpc_error`] (so `Throttling*` is
/// [`ErrorKind::Throttled`] and retried by the transport, 5xx is
/// [`ErrorKind::Unavailable`]). The request id falls back to the
/// `x-acs-request-id` header.
#[derive(Debug, Clone, Copy)]
pub struct RpcClassifier {
    /// Service key put into errors (`ecs`, `vpc`, `ram`, `bss`, `sts`).
    pub service: &'static str,
}

impl Classifier for RpcClassifier {
    fn classify(&self, r: &ResponseView<'_>) -> Outcome {
        if r.status.is_success() {
            return Outcome::Success;
        }
        let mut e = parse_rpc_error(self.service, r.status.as_u16(), r.body.unwrap_or_default());
        if e.request_id().is_none() {
            if let Some(id) = request_id_from_headers(r.headers) {
                e = e.with_request_id(id);
            }
        }
        Outcome::Failure(Failure::new(e))
    }
}

/// The [`Classifier`] of OSS: 2xx (and 304) succeed; anything else is
/// parsed with [`parse_oss_error`] (bodiless `HEAD` errors by status).
#[derive(Debug, Clone, Copy, Default)]
pub struct OssClassifier;

impl Classifier for OssClassifier {
    fn classify(&self, r: &ResponseView<'_>) -> Outcome {
        if r.status.is_success() || r.status == http::StatusCode::NOT_MODIFIED {
            return Outcome::Success;
        }
        let header_id = r
            .headers
            .get("x-oss-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| request_id_from_headers(r.headers));
        let e = parse_oss_error(
            r.status.as_u16(),
            r.body.unwrap_or_default(),
            header_id.as_deref(),
        );
        Outcome::Failure(Failure::new(e))
    }
}

/// The OSS signature to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OssSignature {
    /// `OSS4-HMAC-SHA256` (default).
    #[default]
    V4,
    /// `OSS AccessKeyId:Signature` (HMAC-SHA1), for OSS-compatible private
    /// deployments without V4 (account option `oss_signature = "v1"`).
    V1,
}

/// One OSS request. Its `Debug` masks secret header and query values
/// ([`crate::redact::is_credential_name`]) and shows the body's length only.
#[derive(Clone)]
pub struct OssCall<'a> {
    /// The action name (for the limiter, the logs and errors).
    pub action: &'static str,
    /// HTTP method.
    pub method: http::Method,
    /// Bucket, `None` for ListBuckets.
    pub bucket: Option<&'a str>,
    /// Object key, unencoded.
    pub key: Option<&'a str>,
    /// The bucket's region (endpoint and V4 scope).
    pub region: &'a str,
    /// Query parameters, unencoded; an empty value is a bare key (`?uploads`).
    pub query: Params,
    /// Request headers.
    pub headers: Params,
    /// Request body.
    pub body: Bytes,
    /// Retry semantics.
    pub kind: CallKind,
}

impl std::fmt::Debug for OssCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::sign::Masked;
        f.debug_struct("OssCall")
            .field("action", &self.action)
            .field("method", &self.method)
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("region", &self.region)
            .field("query", &Masked(&self.query))
            .field("headers", &Masked(&self.headers))
            .field("body_len", &self.body.len())
            .field("kind", &self.kind)
            .finish()
    }
}

impl<'a> OssCall<'a> {
    /// A call without query, headers or body.
    pub fn new(
        action: &'static str,
        method: http::Method,
        bucket: Option<&'a str>,
        key: Option<&'a str>,
        region: &'a str,
        kind: CallKind,
    ) -> Self {
        OssCall {
            action,
            method,
            bucket,
            key,
            region,
            query: Params::new(),
            headers: Params::new(),
            body: Bytes::new(),
            kind,
        }
    }
}

/// Convert the SDK's credentials into the signer's.
pub fn signing_credentials(c: &crate::credentials::Credentials) -> SignCredentials {
    let mut s = SignCredentials::new(c.access_key_id.clone(), c.secret.clone());
    if let Some(t) = c.session_token.clone().filter(|t| !t.is_empty()) {
        s = s.with_security_token(t);
    }
    s
}

/// A fresh random nonce (32 hex digits) for `x-acs-signature-nonce`.
pub fn nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A fresh idempotency token for `ClientToken` (at most 64 ASCII
/// characters, as the vendor requires).
pub fn client_token() -> String {
    format!("mc-{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// The RFC 3986-encoded query string of `params`, in the given order; an
/// empty value is written as a bare key.
pub fn encode_query(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                percent_encode(k)
            } else {
                format!("{}={}", percent_encode(k), percent_encode(v))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The HTTP client of the Alibaba provider: one [`Transport`] (limiter,
/// retries, deadline, read-only switch), the credentials and the endpoints.
/// Cloning is cheap.
#[derive(Clone)]
pub struct AlibabaClient {
    transport: Transport,
    credentials: Arc<dyn CredentialProvider>,
    endpoints: Arc<Endpoints>,
    default_region: Arc<str>,
    oss_signature: OssSignature,
}

impl std::fmt::Debug for AlibabaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential provider's own Debug never shows secrets either,
        // but there is nothing useful in it for a client's Debug.
        f.debug_struct("AlibabaClient")
            .field("transport", &self.transport)
            .field("endpoints", &self.endpoints)
            .field("default_region", &self.default_region)
            .field("oss_signature", &self.oss_signature)
            .finish_non_exhaustive()
    }
}

impl AlibabaClient {
    /// A client over `transport`, signing with `credentials`.
    pub fn new(
        transport: Transport,
        credentials: Arc<dyn CredentialProvider>,
        endpoints: Endpoints,
        default_region: impl Into<String>,
    ) -> Self {
        let r: String = default_region.into();
        AlibabaClient {
            transport,
            credentials,
            endpoints: Arc::new(endpoints),
            default_region: Arc::from(r.as_str()),
            oss_signature: OssSignature::V4,
        }
    }

    /// Use `sig` for OSS requests.
    pub fn with_oss_signature(mut self, sig: OssSignature) -> Self {
        self.oss_signature = sig;
        self
    }

    /// The same transport and endpoints, signing with other credentials
    /// (STS AssumeRole signs with the base credentials).
    pub fn with_credentials(&self, credentials: Arc<dyn CredentialProvider>) -> Self {
        AlibabaClient {
            credentials,
            ..self.clone()
        }
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The region used for calls that name none (global services, OSS
    /// ListBuckets).
    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    /// The OSS signature in use.
    pub fn oss_signature(&self) -> OssSignature {
        self.oss_signature
    }

    /// The current signing credentials (refreshed by the provider chain).
    pub async fn signing_credentials(&self) -> Result<SignCredentials> {
        let c = self.credentials.credentials().await?;
        Ok(signing_credentials(&c))
    }

    /// Build and sign one RPC request (a fresh `x-acs-date` and nonce).
    async fn rpc_request(
        &self,
        service: Service,
        action: &str,
        region: &str,
        params: &[(String, String)],
    ) -> Result<reqwest::Request> {
        let mut url = self.endpoints.base_url(service, region)?;
        let host = self.endpoints.host(service, region)?;
        let cred = self.signing_credentials().await?;
        let path = url.path().to_string();
        let nonce = nonce();
        let signed = sign_acs3(
            &Acs3Request {
                method: "POST",
                host: &host,
                path: &path,
                query: params,
                headers: &[],
                body: b"",
                action,
                version: self.endpoints.version(service),
                date: Utc::now(),
                nonce: &nonce,
            },
            &cred,
        );
        let q = canonical_query(params);
        url.set_query(if q.is_empty() { None } else { Some(&q) });
        let mut rb = self.transport.client().post(url);
        for (k, v) in &signed.headers {
            if k.eq_ignore_ascii_case("host") {
                continue;
            }
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb.build().map_err(|e| {
            Error::invalid_argument(format!(
                "cannot build the {action} request: {}",
                e.without_url()
            ))
        })
    }

    /// Call an RPC-style API (`ACS3-HMAC-SHA256`, parameters in the query
    /// of a `POST`) and decode its JSON answer. Every attempt is signed
    /// afresh; `params` (with any `ClientToken`) are the same on every attempt.
    pub async fn call<T: DeserializeOwned>(
        &self,
        service: Service,
        action: &str,
        region: Option<&str>,
        params: &Params,
        kind: CallKind,
    ) -> Result<T> {
        let r = self.call_raw(service, action, region, params, kind).await?;
        wire::decode(action, &r.body).map_err(|e| e.with_context_defaults(r.context()))
    }

    /// [`call`](Self::call) without decoding.
    pub async fn call_raw(
        &self,
        service: Service,
        action: &str,
        region: Option<&str>,
        params: &Params,
        kind: CallKind,
    ) -> Result<crate::transport::Response> {
        let endpoint_region = self
            .endpoints
            .endpoint_region(service, region, &self.default_region)
            .to_string();
        let meta = kind.meta(service.key(), action, region);
        let classifier = RpcClassifier {
            service: service.key(),
        };
        self.transport
            .send_with(
                &meta,
                |_attempt| self.rpc_request(service, action, &endpoint_region, params),
                &classifier,
            )
            .await
    }

    /// The URL of an OSS call (virtual-hosted bucket, encoded key and query).
    pub fn oss_url(
        &self,
        bucket: Option<&str>,
        key: Option<&str>,
        region: &str,
        query: &str,
    ) -> Result<url::Url> {
        let mut url = match bucket {
            Some(b) => self.endpoints.oss_bucket_url(b, region)?,
            None => self.endpoints.base_url(Service::Oss, region)?,
        };
        if let Some(k) = key {
            let base = url.path().trim_end_matches('/').to_string();
            url.set_path(&format!("{base}/{}", percent_encode_path(k)));
        }
        url.set_query(if query.is_empty() { None } else { Some(query) });
        Ok(url)
    }

    async fn oss_request(&self, c: &OssCall<'_>) -> Result<reqwest::Request> {
        let cred = self.signing_credentials().await?;
        let req = OssRequest {
            method: c.method.as_str(),
            bucket: c.bucket,
            key: c.key,
            query: &c.query,
            headers: &c.headers,
        };
        let signed = match self.oss_signature {
            OssSignature::V4 => sign_oss_v4_header(&req, &cred, c.region, Utc::now(), &[]),
            OssSignature::V1 => {
                let date = http_date(Utc::now());
                let mut s = sign_oss_v1_header(&req, &cred, &date);
                if !s
                    .headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("date"))
                {
                    s.headers.push(("Date".into(), date));
                }
                s
            }
        };
        let url = self.oss_url(c.bucket, c.key, c.region, &encode_query(&c.query))?;
        let mut rb = self
            .transport
            .client()
            .request(c.method.clone(), url)
            .body(c.body.clone());
        for (k, v) in c.headers.iter().chain(signed.headers.iter()) {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb.build().map_err(|e| {
            Error::invalid_argument(format!(
                "cannot build the {} request: {}",
                c.action,
                e.without_url()
            ))
        })
    }

    /// Send an OSS request with a buffered answer.
    pub async fn oss(&self, c: &OssCall<'_>) -> Result<crate::transport::Response> {
        let meta = c.kind.meta("oss", c.action, Some(c.region));
        self.transport
            .send_with(&meta, |_a| self.oss_request(c), &OssClassifier)
            .await
    }

    /// Send an OSS request whose successful body is streamed (GetObject).
    pub async fn oss_streaming(
        &self,
        c: &OssCall<'_>,
    ) -> Result<crate::transport::StreamingResponse> {
        let meta = c.kind.meta("oss", c.action, Some(c.region));
        self.transport
            .send_streaming_with(&meta, |_a| self.oss_request(c), &OssClassifier)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    /// Every code named in the provider issue and the vendor's common
    /// codes, with the kind each must map to.
    const TABLE: &[(&str, u16, ErrorKind)] = &[
        // Throttling (ECS/VPC/RAM/BSS/STS common codes).
        ("Throttling", 400, Throttled),
        ("Throttling.User", 400, Throttled),
        ("Throttling.Api", 400, Throttled),
        ("Throttling.Concurrent", 400, Throttled),
        ("Throttling.Resource", 400, Throttled),
        ("Throttling.ThrottlingCheck", 400, Throttled),
        ("ServiceUnavailable", 503, Unavailable),
        ("InternalError", 500, Unavailable),
        ("UnknownError", 500, Unavailable),
        ("ServiceTimeout", 504, Timeout),
        // Not found.
        ("InvalidInstanceId.NotFound", 404, NotFound),
        ("InvalidDiskId.NotFound", 404, NotFound),
        ("InvalidImageId.NotFound", 404, NotFound),
        ("InvalidSecurityGroupId.NotFound", 404, NotFound),
        ("InvalidRegionId.NotFound", 404, NotFound),
        ("InvalidVpcId.NotFound", 404, NotFound),
        ("InvalidVSwitchId.NotFound", 404, NotFound),
        ("InvalidAllocationId.NotFound", 404, NotFound),
        ("InvalidZoneId.NotFound", 404, NotFound),
        ("InvalidKeyPairName.NotFound", 404, NotFound),
        ("DependencyViolation.NotFound", 404, NotFound),
        ("EntityNotExist.User", 404, NotFound),
        ("EntityNotExist.Group", 404, NotFound),
        ("EntityNotExist.Role", 404, NotFound),
        ("EntityNotExist.Policy", 404, NotFound),
        ("EntityNotExist.User.AccessKey", 404, NotFound),
        ("EntityNotExist.User.Group", 404, NotFound),
        ("NoSuchBucket", 404, NotFound),
        ("NoSuchKey", 404, NotFound),
        ("NoSuchUpload", 404, NotFound),
        ("NoSuchVersion", 404, NotFound),
        ("ResourceNotFound", 404, NotFound),
        // Authentication.
        ("InvalidAccessKeyId.NotFound", 404, Unauthenticated),
        ("InvalidAccessKeyId.Inactive", 400, Unauthenticated),
        ("InvalidAccessKeyId", 403, Unauthenticated),
        ("SignatureDoesNotMatch", 400, Unauthenticated),
        ("SignatureDoesNotMatch", 403, Unauthenticated),
        ("IncompleteSignature", 400, Unauthenticated),
        ("InvalidTimeStamp.Expired", 400, Unauthenticated),
        ("InvalidTimeStamp.Format", 400, Unauthenticated),
        ("SignatureNonceUsed", 400, Unauthenticated),
        ("InvalidSecurityToken.Expired", 400, Unauthenticated),
        (
            "InvalidSecurityToken.MismatchWithAccessKey",
            400,
            Unauthenticated,
        ),
        ("InvalidSecurityToken.Malformed", 400, Unauthenticated),
        ("RequestTimeTooSkewed", 403, Unauthenticated),
        // Permission.
        ("Forbidden.RAM", 403, PermissionDenied),
        ("Forbidden", 403, PermissionDenied),
        ("Forbidden.SubUser", 403, PermissionDenied),
        ("Forbidden.NotSupportRAM", 403, PermissionDenied),
        ("Forbidden.Unauthorized", 403, PermissionDenied),
        ("NoPermission", 403, PermissionDenied),
        ("NoPermission.Policy", 403, PermissionDenied),
        ("AccessDenied", 403, PermissionDenied),
        ("UnauthorizedOperation", 403, PermissionDenied),
        ("NotAuthorized", 400, PermissionDenied),
        // Conflict (wrong state, busy, in use).
        ("IncorrectInstanceStatus", 403, Conflict),
        ("IncorrectInstanceStatus.Initializing", 403, Conflict),
        ("IncorrectDiskStatus", 403, Conflict),
        ("IncorrectDiskStatus.Initializing", 403, Conflict),
        ("IncorrectVpcStatus", 400, Conflict),
        ("IncorrectEipStatus", 400, Conflict),
        ("IncorrectStatus", 400, Conflict),
        ("IncorrectStatus.Vpc", 400, Conflict),
        ("DependencyViolation", 403, Conflict),
        ("DependencyViolation.VSwitch", 400, Conflict),
        ("DependencyViolation.SecurityGroup", 403, Conflict),
        ("DeleteConflict.User.AccessKey", 409, Conflict),
        ("DeleteConflict.User.Policy", 409, Conflict),
        ("DeleteConflict.Role.Policy", 409, Conflict),
        ("IdempotentParameterMismatch", 400, Conflict),
        ("IdempotentProcessing", 400, Conflict),
        ("LastTokenProcessing", 400, Conflict),
        ("OperationConflict", 400, Conflict),
        ("TaskConflict", 400, Conflict),
        ("BucketNotEmpty", 409, Conflict),
        // ReleaseEipAddress's documented codes.
        (
            "TaskConflict.AssociateGlobalAccelerationInstance",
            400,
            Conflict,
        ),
        ("InvalidOperation.DeletionProtection", 400, Conflict),
        ("IncorrectEipStatus", 400, Conflict),
        ("Forbbiden", 400, PermissionDenied),
        // Already exists.
        ("EntityAlreadyExists.User", 409, AlreadyExists),
        ("EntityAlreadyExists.Group", 409, AlreadyExists),
        ("EntityAlreadyExists.Role", 409, AlreadyExists),
        ("EntityAlreadyExists.Policy", 409, AlreadyExists),
        ("EntityAlreadyExists.User.Group", 409, AlreadyExists),
        ("InvalidSecurityGroupName.AlreadyExists", 400, AlreadyExists),
        ("BucketAlreadyExists", 409, AlreadyExists),
        // Quota.
        ("QuotaExceed", 400, QuotaExceeded),
        ("QuotaExceed.SecurityGroup", 400, QuotaExceeded),
        ("QuotaExceed.SecurityGroupRule", 400, QuotaExceeded),
        ("QuotaExceed.PostPaidInstance", 400, QuotaExceeded),
        ("QuotaExceeded.Eip", 400, QuotaExceeded),
        ("QuotaExceeded.Vpc", 400, QuotaExceeded),
        ("InstanceDiskNumber.LimitExceed", 400, QuotaExceeded),
        ("LimitExceeded.User", 409, QuotaExceeded),
        ("LimitExceeded.Policy.Version", 409, QuotaExceeded),
        ("TooManyBuckets", 400, QuotaExceeded),
        ("OperationDenied.NoStock", 403, QuotaExceeded),
        // Invalid argument.
        ("InvalidParameter", 400, InvalidArgument),
        ("InvalidParameter.Conflict", 400, InvalidArgument),
        (
            "InvalidParameter.Encryption.KmsNotEnabled",
            400,
            InvalidArgument,
        ),
        ("MissingParameter", 400, InvalidArgument),
        ("MissingParameter.RegionId", 400, InvalidArgument),
        (
            "InvalidInstanceType.ValueUnauthorized",
            400,
            InvalidArgument,
        ),
        (
            "InvalidInstanceType.ValueNotSupported",
            400,
            InvalidArgument,
        ),
        ("InvalidCidrBlock.Malformed", 400, InvalidArgument),
        ("IllegalParameter", 400, InvalidArgument),
        ("InvalidArgument", 400, InvalidArgument),
        ("MalformedXML", 400, InvalidArgument),
        ("InvalidBucketName", 400, InvalidArgument),
        ("InvalidObjectName", 400, InvalidArgument),
        ("EntityTooLarge", 400, InvalidArgument),
        ("InvalidDigest", 400, InvalidArgument),
        ("InvalidPolicyDocument", 400, InvalidArgument),
        ("InvalidPolicyDocument", 403, InvalidArgument),
        // Unsupported.
        ("InvalidAction.NotFound", 404, Unsupported),
        ("InvalidApi.NotFound", 404, Unsupported),
        ("UnsupportedOperation", 400, Unsupported),
        ("Unsupported.IoOptimized", 400, Unsupported),
        ("OperationDenied.NotSupported", 403, Unsupported),
        ("OperationUnsupported.ServiceManaged", 400, Unsupported),
        // Unknown codes fall back to the status.
        ("SomethingNew", 400, InvalidArgument),
        ("SomethingNew", 401, Unauthenticated),
        ("SomethingNew", 403, PermissionDenied),
        ("SomethingNew", 404, NotFound),
        ("SomethingNew", 409, Conflict),
        ("SomethingNew", 429, Throttled),
        ("SomethingNew", 500, Unavailable),
        ("SomethingNew", 502, Unavailable),
        ("SomethingNew", 503, Unavailable),
        ("SomethingNew", 504, Timeout),
        ("SomethingNew", 302, Other),
    ];

    #[test]
    fn classification_table() {
        let mut wrong = Vec::new();
        for (code, status, kind) in TABLE {
            let got = classify(code, *status);
            if got != *kind {
                wrong.push(format!("{code} ({status}): {got} != {kind}"));
            }
        }
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
    }

    #[test]
    fn oss_call_debug_masks_secrets() {
        let mut c = OssCall::new(
            "GetObject",
            http::Method::GET,
            Some("b"),
            Some("k"),
            "cn-hangzhou",
            CallKind::Read,
        );
        c.headers
            .push(("x-oss-security-token".into(), "tok-9f3a".into()));
        c.query.push(("Signature".into(), "sig-77c1".into()));
        c.query.push(("versionId".into(), "v1".into()));
        let d = format!("{c:?}");
        assert!(!d.contains("tok-9f3a") && !d.contains("sig-77c1"), "{d}");
        assert!(d.contains("versionId") && d.contains("v1"), "{d}");
    }

    #[test]
    fn dry_run_answer() {
        assert!(is_dry_run_allowed("DryRunOperation"));
        assert!(!is_dry_run_allowed("Forbidden.RAM"));
    }

    #[test]
    fn throttles_are_retryable() {
        for code in [
            "Throttling",
            "Throttling.User",
            "Throttling.Api",
            "ServiceUnavailable",
        ] {
            assert!(classify(code, 400).is_retryable(), "{code}");
        }
        assert!(!classify("IncorrectInstanceStatus", 403).is_retryable());
    }

    #[test]
    fn rpc_error_body() {
        let body = br#"{"RequestId":"473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E","HostId":"ecs.aliyuncs.com","Code":"InvalidInstanceId.NotFound","Message":"The specified InstanceId does not exist.","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidInstanceId.NotFound"}"#;
        let e = parse_rpc_error("ecs", 404, body);
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), Some("InvalidInstanceId.NotFound"));
        assert_eq!(e.request_id(), Some("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"));
        assert_eq!(e.http_status(), Some(404));
        assert_eq!(e.provider(), Some("alibaba"));
        assert!(
            e.message()
                .starts_with("The specified InstanceId does not exist.")
        );
        assert!(e.message().contains("troubleshoot"));

        let e = parse_rpc_error(
            "ecs",
            400,
            br#"{"RequestId":"r1","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#,
        );
        assert_eq!(e.kind(), Throttled);
        assert!(e.is_retryable());

        let e = parse_rpc_error("ram", 403, b"<html>gateway</html>");
        assert_eq!(e.kind(), PermissionDenied);
        assert_eq!(e.code(), None);
        assert_eq!(e.message(), "<html>gateway</html>");

        let e = parse_rpc_error("vpc", 503, b"");
        assert_eq!(e.kind(), Unavailable);
        assert_eq!(e.message(), "HTTP 503 without an error body");
    }

    #[test]
    fn oss_error_body() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <RequestId>5C3D9175B6FC201293AD****</RequestId>
  <HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <Key>example.txt</Key>
  <EC>0026-00000001</EC>
</Error>"#;
        let e = parse_oss_error(404, body, Some("header-id"));
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), Some("NoSuchKey"));
        assert_eq!(e.request_id(), Some("5C3D9175B6FC201293AD****"));
        assert_eq!(e.context().service.as_deref(), Some("oss"));
        assert!(e.message().contains("0026-00000001"));

        let e = parse_oss_error(
            403,
            b"<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>",
            Some("hdr"),
        );
        assert_eq!(e.kind(), Unauthenticated);
        assert_eq!(e.request_id(), Some("hdr"));

        let e = parse_oss_error(404, b"", Some("5C3D"));
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), None);
        assert_eq!(e.request_id(), Some("5C3D"));

        let e = parse_oss_error(409, b"<Error><Code>BucketNotEmpty</Code></Error>", None);
        assert_eq!(e.kind(), Conflict);
    }

    #[test]
    fn call_kinds_and_helpers() {
        let m = CallKind::Read.meta("ecs", "DescribeInstances", Some("cn-hangzhou"));
        assert!(!m.mutating && m.retry_safe);
        assert_eq!(m.region.as_deref(), Some("cn-hangzhou"));
        let m = CallKind::Idempotent.meta("ecs", "RunInstances", None);
        assert!(m.mutating && m.retry_safe);
        assert_eq!(m.region, None);
        let m = CallKind::Mutation.meta("ecs", "StopInstance", Some(""));
        assert!(m.mutating && !m.retry_safe);
        assert_eq!(m.region, None);

        let q = vec![
            ("uploads".to_string(), String::new()),
            ("prefix".to_string(), "a b/ü".to_string()),
        ];
        assert_eq!(encode_query(&q), "uploads&prefix=a%20b%2F%C3%BC");

        let (a, b) = (client_token(), client_token());
        assert_ne!(a, b);
        assert!(a.len() <= 64 && a.is_ascii());
        assert_eq!(nonce().len(), 32);
    }

    #[test]
    fn classifiers() {
        use http::{HeaderMap, HeaderValue, StatusCode};
        let mut h = HeaderMap::new();
        h.insert("x-acs-request-id", HeaderValue::from_static("hdr-id"));
        let c = RpcClassifier { service: "ecs" };
        let ok = ResponseView {
            status: StatusCode::OK,
            headers: &h,
            body: Some(b"{}"),
        };
        assert!(matches!(c.classify(&ok), Outcome::Success));
        let throttled = ResponseView {
            status: StatusCode::BAD_REQUEST,
            headers: &h,
            body: Some(br#"{"Code":"Throttling.User","Message":"flow control"}"#),
        };
        let Outcome::Failure(f) = c.classify(&throttled) else {
            panic!("throttle must fail");
        };
        assert_eq!(f.error.kind(), ErrorKind::Throttled);
        assert!(f.not_processed && f.error.is_retryable());
        assert_eq!(f.error.request_id(), Some("hdr-id"));
        let down = ResponseView {
            status: StatusCode::BAD_GATEWAY,
            headers: &h,
            body: Some(b"<html>bad gateway</html>"),
        };
        let Outcome::Failure(f) = c.classify(&down) else {
            panic!("5xx must fail");
        };
        assert_eq!(f.error.kind(), ErrorKind::Unavailable);
        assert!(!f.not_processed);

        let mut oh = HeaderMap::new();
        oh.insert("x-oss-request-id", HeaderValue::from_static("oss-id"));
        let head404 = ResponseView {
            status: StatusCode::NOT_FOUND,
            headers: &oh,
            body: Some(b""),
        };
        let Outcome::Failure(f) = OssClassifier.classify(&head404) else {
            panic!("404 must fail");
        };
        assert_eq!(f.error.kind(), ErrorKind::NotFound);
        assert_eq!(f.error.request_id(), Some("oss-id"));
        let streaming_ok = ResponseView {
            status: StatusCode::PARTIAL_CONTENT,
            headers: &oh,
            body: None,
        };
        assert!(matches!(
            OssClassifier.classify(&streaming_ok),
            Outcome::Success
        ));
    }
}
