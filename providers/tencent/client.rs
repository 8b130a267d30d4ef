//! Response envelopes, error parsing and error classification.
//!
//! API 3.0 answers every processed request with HTTP 200 and a JSON body
//! `{"Response": {...}}`; a failure carries `Response.Error.Code` and
//! `.Message` beside `Response.RequestId`. [`parse_response`] turns such a
//! body into either the typed response or an [`Error`] whose kind comes from
//! [`classify`]. COS answers with an HTTP status and an XML `<Error>` body,
//! parsed by [`parse_cos_error`] and classified by [`classify_cos`].

use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::config::{Credentials, Endpoints, host_of};
use super::sign::{
    CosSignRequest, Tc3Common, build_api_request, cos_encode, cos_encode_path, cos_sign,
    cos_sign_window, cos_signable_headers,
};
use crate::credentials::CredentialProvider;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ProviderKind;
use crate::transport::{
    CallMeta, Classifier, Failure, Outcome, Response, ResponseView, StreamingResponse, Transport,
    kind_for_status, request_id_from_headers,
};

/// The provider name written into every error's context.
pub const PROVIDER: &str = "tencent";

/// Map an API 3.0 error code to its normalized kind.
///
/// The code families are those of the API 3.0 common error codes
/// ("公共错误码") and the service codes named by the provider issue. Rules,
/// first match wins:
///
/// * `AuthFailure.UnauthorizedOperation` → `PermissionDenied`; every other
///   `AuthFailure*` (signature, expired signature, unknown or invalid
///   SecretId, token, MFA) → `Unauthenticated`;
/// * `RequestLimitExceeded` and `RequestLimitExceeded.*` → `Throttled`
///   (`RequestSizeLimitExceeded` and `ResponseSizeLimitExceeded` are not
///   throttles: `InvalidArgument`);
/// * `UnauthorizedOperation*`, `IpInBlacklist`, `IpNotInWhitelist` →
///   `PermissionDenied`;
/// * `ResourceNotFound*` and any code containing `NotFound` or `NotExist`
///   (`InvalidInstanceId.NotFound`, `InvalidParameterValue.SubnetNotFound`,
///   `ResourceNotFound.UserNotExist`) → `NotFound`, except
///   `InvalidRegion.*` and `InvalidProjectId.*` (a region or project that
///   does not exist: `InvalidArgument`);
/// * codes ending in `NameInUse` (CAM's `InvalidParameter.SubUserNameInUse`,
///   `.GroupNameInUse`, `.RoleNameInUse`, `FailedOperation.PolicyNameInUse`)
///   → `AlreadyExists`;
/// * `InvalidAddressIdStatus.NotPermit` (the EIP's state forbids the
///   operation) and `OperationDenied.HaveKeys` (the CAM user still has API
///   keys) → `Conflict`;
/// * codes containing `AlreadyExist`, `Duplicate` or ending in `Exist`/`Exists`
///   (`InvalidParameterValue.Duplicate`, `...AlreadyExist`) → `AlreadyExists`;
/// * `LimitExceeded*`, `ResourceInsufficient*`, `ResourcesSoldOut*` →
///   `QuotaExceeded`;
/// * `OperationDenied.*InProgress*` (`OperationDenied.InstanceOperationInProgress`),
///   `ResourceInUse*`, `ResourceBusy*`, `ResourceUnavailable*`,
///   `UnsupportedOperation.*State*`/`*Status*`, `FailedOperation.*InProgress*`
///   → `Conflict`; other `OperationDenied*` → `PermissionDenied`;
/// * `InvalidParameter*`, `InvalidParameterValue*`, `MissingParameter*`,
///   `UnknownParameter*`, `InvalidAction`, `InvalidRequest`, `Invalid*`,
///   `NoSuchVersion`, `UnsupportedProtocol` → `InvalidArgument`;
/// * `UnsupportedOperation*`, `UnsupportedRegion`, `ActionOffline`,
///   `NoSuchProduct` → `Unsupported`;
/// * `InternalError*`, `ServiceUnavailable*` → `Unavailable`;
/// * anything else (`FailedOperation*`, `DryRunOperation`) → `Other`.
pub fn classify(code: &str) -> ErrorKind {
    let head = code.split('.').next().unwrap_or(code);
    let contains = |s: &str| code.contains(s);
    if code == "AuthFailure.UnauthorizedOperation" {
        return ErrorKind::PermissionDenied;
    }
    if head == "AuthFailure" {
        return ErrorKind::Unauthenticated;
    }
    if head == "RequestLimitExceeded" {
        return ErrorKind::Throttled;
    }
    if head == "RequestSizeLimitExceeded" || head == "ResponseSizeLimitExceeded" {
        return ErrorKind::InvalidArgument;
    }
    if head == "UnauthorizedOperation" || head == "IpInBlacklist" || head == "IpNotInWhitelist" {
        return ErrorKind::PermissionDenied;
    }
    // A region or project that does not exist is a wrong argument, not a
    // missing resource (a delete must not take it for "already gone").
    if head == "InvalidRegion" || head == "InvalidProjectId" {
        return ErrorKind::InvalidArgument;
    }
    // CAM's "name already used" codes (`InvalidParameter.SubUserNameInUse`,
    // `.GroupNameInUse`, `.RoleNameInUse`, `FailedOperation.PolicyNameInUse`).
    if code.ends_with("NameInUse") {
        return ErrorKind::AlreadyExists;
    }
    // An EIP whose state forbids the operation (bound, binding, ...) and a
    // CAM user that still has API keys: retry after the state changes.
    if code == "InvalidAddressIdStatus.NotPermit" || code == "OperationDenied.HaveKeys" {
        return ErrorKind::Conflict;
    }
    if head == "ResourceNotFound" || contains("NotFound") || contains("NotExist") {
        return ErrorKind::NotFound;
    }
    if contains("AlreadyExist")
        || contains("Duplicate")
        || code.ends_with("Exist")
        || code.ends_with("Exists")
    {
        return ErrorKind::AlreadyExists;
    }
    if head == "LimitExceeded" || head == "ResourceInsufficient" || head == "ResourcesSoldOut" {
        return ErrorKind::QuotaExceeded;
    }
    let busy =
        contains("InProgress") || contains("Busy") || contains("Mutex") || contains("Running");
    if head == "OperationDenied" {
        return if busy {
            ErrorKind::Conflict
        } else {
            ErrorKind::PermissionDenied
        };
    }
    if head == "ResourceInUse" || head == "ResourceBusy" || head == "ResourceUnavailable" {
        return ErrorKind::Conflict;
    }
    if head == "UnsupportedOperation" && (contains("State") || contains("Status") || busy) {
        return ErrorKind::Conflict;
    }
    if head == "FailedOperation" && busy {
        return ErrorKind::Conflict;
    }
    if head.starts_with("Invalid")
        || head == "MissingParameter"
        || head == "UnknownParameter"
        || head == "NoSuchVersion"
        || head == "UnsupportedProtocol"
    {
        return ErrorKind::InvalidArgument;
    }
    if head == "UnsupportedOperation"
        || head == "UnsupportedRegion"
        || head == "ActionOffline"
        || head == "NoSuchProduct"
    {
        return ErrorKind::Unsupported;
    }
    if head == "InternalError" || head == "ServiceUnavailable" {
        return ErrorKind::Unavailable;
    }
    ErrorKind::Other
}

/// The `Response.Error` object of a failed API 3.0 call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiErrorBody {
    /// The error code (`InvalidInstanceId.NotFound`).
    #[serde(rename = "Code", default)]
    pub code: String,
    /// The human-readable message.
    #[serde(rename = "Message", default)]
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorProbe {
    #[serde(rename = "Error", default)]
    error: Option<ApiErrorBody>,
    #[serde(rename = "RequestId", default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: T,
}

/// Build the SDK error for an API error code, message and request id.
///
/// `AuthFailure.SignatureExpire` gets a message that names the cause: the
/// local clock differs from the server's by more than five minutes.
pub fn api_error(code: &str, message: &str, request_id: Option<&str>) -> Error {
    let kind = classify(code);
    let text = if code == "AuthFailure.SignatureExpire" {
        format!(
            "request signature expired: the local clock differs from Tencent Cloud's by more than \
             5 minutes (sync the clock with NTP); server said: {message}"
        )
    } else {
        message.to_string()
    };
    let mut e = Error::new(kind, text)
        .with_provider(PROVIDER)
        .with_code(code)
        .with_http_status(200);
    if let Some(id) = request_id.filter(|s| !s.is_empty()) {
        e = e.with_request_id(id);
    }
    e
}

/// If `body` is an API 3.0 error envelope, the error it carries.
///
/// Returns `None` for a success body; a body that is not the envelope at
/// all is a `Decode` error.
pub fn parse_api_error(body: &[u8]) -> Result<Option<Error>> {
    let env: Envelope<ErrorProbe> = serde_json::from_slice(body).map_err(|e| {
        Error::decode(format!("response is not a Tencent Cloud API envelope: {e}"))
            .with_provider(PROVIDER)
    })?;
    Ok(env
        .response
        .error
        .map(|err| api_error(&err.code, &err.message, env.response.request_id.as_deref())))
}

/// Parse an API 3.0 response body: the typed `Response` object on success,
/// the classified [`Error`] (code, message, request id) on failure, a
/// `Decode` error (with the request id when one can be read) if the body has
/// neither shape.
pub fn parse_response<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Error::decode(format!("invalid JSON in Tencent Cloud response: {e}"))
            .with_provider(PROVIDER)
    })?;
    let Some(response) = value.get("Response") else {
        return Err(
            Error::decode("Tencent Cloud response has no `Response` object")
                .with_provider(PROVIDER),
        );
    };
    let request_id = response
        .get("RequestId")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    if let Some(err) = response.get("Error") {
        let err: ApiErrorBody = serde_json::from_value(err.clone()).map_err(|e| {
            Error::decode(format!("malformed Response.Error: {e}")).with_provider(PROVIDER)
        })?;
        return Err(api_error(&err.code, &err.message, request_id.as_deref()));
    }
    T::deserialize(response).map_err(|e| {
        let mut err = Error::decode(format!("unexpected Tencent Cloud response shape: {e}"))
            .with_provider(PROVIDER);
        if let Some(id) = request_id {
            err = err.with_request_id(id);
        }
        err
    })
}

// ---------------------------------------------------------------------------
// COS
// ---------------------------------------------------------------------------

/// The `<Error>` body of a failed COS request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename = "Error")]
pub struct CosErrorBody {
    /// The error code (`NoSuchKey`).
    #[serde(rename = "Code", default)]
    pub code: String,
    /// The message.
    #[serde(rename = "Message", default)]
    pub message: String,
    /// The resource the request addressed.
    #[serde(rename = "Resource", default)]
    pub resource: Option<String>,
    /// COS request id.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
    /// COS trace id.
    #[serde(rename = "TraceId", default)]
    pub trace_id: Option<String>,
}

/// Map a COS error code (falling back on the HTTP status) to its kind.
///
/// COS uses the S3-style codes: `NoSuchKey`, `NoSuchBucket`, `NoSuchUpload`
/// … → `NotFound`; `BucketAlreadyExists`, `BucketAlreadyOwnedByYou` →
/// `AlreadyExists`; `AccessDenied` → `PermissionDenied`;
/// `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`,
/// `ExpiredToken`, `InvalidToken`, `MissingSecurityHeader` →
/// `Unauthenticated`; `SlowDown` and HTTP 429 → `Throttled`; `BucketNotEmpty`,
/// `OperationAborted`, `PreconditionFailed`, `InvalidBucketState`,
/// `InvalidObjectState`, `PathConflict` → `Conflict`; `TooManyBuckets` →
/// `QuotaExceeded`; `MethodNotAllowed`, `NotImplemented` → `Unsupported`;
/// `InternalError`, `ServiceUnavailable` → `Unavailable`; other `Invalid*`,
/// `Malformed*`, `EntityTooLarge`/`Small`, `KeyTooLong`, `MissingContentLength`,
/// `BadDigest`, `IncompleteBody` → `InvalidArgument`. Unknown codes go by the
/// status: 400 invalid argument, 401 unauthenticated, 403 permission denied,
/// 404 not found, 409/412 conflict, 5xx unavailable.
pub fn classify_cos(status: u16, code: &str) -> ErrorKind {
    match code {
        c if c.starts_with("NoSuch") => ErrorKind::NotFound,
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => ErrorKind::AlreadyExists,
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => ErrorKind::PermissionDenied,
        "SignatureDoesNotMatch"
        | "InvalidAccessKeyId"
        | "RequestTimeTooSkewed"
        | "ExpiredToken"
        | "InvalidToken"
        | "TokenRefreshRequired"
        | "MissingSecurityHeader"
        | "AuthorizationHeaderMalformed" => ErrorKind::Unauthenticated,
        "SlowDown" | "TooManyRequests" => ErrorKind::Throttled,
        "BucketNotEmpty"
        | "OperationAborted"
        | "PreconditionFailed"
        | "InvalidBucketState"
        | "InvalidObjectState"
        | "PathConflict"
        | "RestoreAlreadyInProgress" => ErrorKind::Conflict,
        "TooManyBuckets" => ErrorKind::QuotaExceeded,
        "MethodNotAllowed" | "NotImplemented" => ErrorKind::Unsupported,
        "InternalError" | "ServiceUnavailable" => ErrorKind::Unavailable,
        "RequestTimeout" => ErrorKind::Timeout,
        c if c.starts_with("Invalid")
            || c.starts_with("Malformed")
            || c.starts_with("EntityToo")
            || c == "KeyTooLong"
            || c == "MissingContentLength"
            || c == "BadDigest"
            || c == "IncompleteBody"
            || c == "MetadataTooLarge" =>
        {
            ErrorKind::InvalidArgument
        }
        _ => match status {
            400 => ErrorKind::InvalidArgument,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            429 => ErrorKind::Throttled,
            500..=599 => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        },
    }
}

/// Turn a failed COS response (status, optional `x-cos-request-id` header,
/// body) into an [`Error`]. The body may be empty (HEAD requests): the kind
/// then comes from the status alone.
pub fn parse_cos_error(status: u16, header_request_id: Option<&str>, body: &[u8]) -> Error {
    let parsed: Option<CosErrorBody> = std::str::from_utf8(body)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| quick_xml::de::from_str(s).ok());
    let body = parsed.unwrap_or_default();
    let kind = classify_cos(status, &body.code);
    let message = if body.message.is_empty() {
        format!("COS request failed with HTTP {status}")
    } else if body.code == "RequestTimeTooSkewed" {
        format!(
            "the local clock differs too much from COS's (sync the clock with NTP); server said: {}",
            body.message
        )
    } else {
        body.message.clone()
    };
    let mut e = Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_service("cos")
        .with_http_status(status);
    if !body.code.is_empty() {
        e = e.with_code(body.code);
    }
    if let Some(id) = body
        .request_id
        .filter(|s| !s.is_empty())
        .or_else(|| header_request_id.map(str::to_string))
    {
        e = e.with_request_id(id);
    }
    e
}

// ---------------------------------------------------------------------------
// The HTTP client: signing, sending, classifying, decoding
// ---------------------------------------------------------------------------

/// How a call may be retried, and whether read-only mode refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A read: safe to retry.
    Read,
    /// A mutation safe to repeat: a create carrying a `ClientToken`, a
    /// delete, a PUT by name.
    Idempotent,
    /// A mutation retried only when the failure proves it was not processed.
    Write,
}

impl CallKind {
    fn meta(self, service: &'static str, action: &'static str, region: Option<&str>) -> CallMeta {
        let mut meta = match self {
            CallKind::Read => CallMeta::read(ProviderKind::Tencent, service, action),
            CallKind::Idempotent => {
                CallMeta::write(ProviderKind::Tencent, service, action).idempotent()
            }
            CallKind::Write => CallMeta::write(ProviderKind::Tencent, service, action),
        };
        if let Some(r) = region.filter(|r| !r.is_empty()) {
            meta = meta.with_region(r);
        }
        meta
    }
}

/// The API 3.0 classifier: an HTTP 200 carrying `Response.Error` is a
/// failure of the kind [`classify`] gives (throttles retried, with
/// `not_processed` set); a non-2xx status or a body that is not the JSON
/// envelope is `Unavailable` for 5xx and non-JSON bodies (gateways answer
/// with HTML), else the status's kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiClassifier;

impl Classifier for ApiClassifier {
    fn classify(&self, r: &ResponseView<'_>) -> Outcome {
        let header_id = request_id_from_headers(r.headers);
        let with_id = |mut e: Error| {
            if let Some(id) = &header_id {
                if e.request_id().is_none() {
                    e = e.with_request_id(id.clone());
                }
            }
            e
        };
        if !r.status.is_success() {
            let kind = if r.status.is_server_error() {
                ErrorKind::Unavailable
            } else {
                kind_for_status(r.status).unwrap_or(ErrorKind::Other)
            };
            let e = Error::new(
                kind,
                format!("Tencent Cloud API answered HTTP {}", r.status.as_u16()),
            )
            .with_http_status(r.status.as_u16());
            let not_processed = kind == ErrorKind::Throttled;
            return Outcome::Failure(Failure::new(with_id(e)).with_not_processed(not_processed));
        }
        let Some(body) = r.body else {
            return Outcome::Success;
        };
        match parse_api_error(body) {
            Ok(None) => Outcome::Success,
            Ok(Some(e)) => Outcome::Failure(Failure::new(e)),
            Err(_) => Outcome::failure(with_id(
                Error::new(
                    ErrorKind::Unavailable,
                    "Tencent Cloud API answered with a body that is not its JSON envelope",
                )
                .with_provider(PROVIDER)
                .with_http_status(r.status.as_u16()),
            )),
        }
    }
}

/// The COS classifier: 2xx (and 304) succeed; anything else is parsed by
/// [`parse_cos_error`] (XML `<Error>` body, or the status alone for HEAD).
/// Throttles (`SlowDown`, 429) are marked not processed.
#[derive(Debug, Clone, Copy, Default)]
pub struct CosClassifier;

impl Classifier for CosClassifier {
    fn classify(&self, r: &ResponseView<'_>) -> Outcome {
        if r.status.is_success() || r.status == http::StatusCode::NOT_MODIFIED {
            return Outcome::Success;
        }
        let header_id = request_id_from_headers(r.headers);
        let e = parse_cos_error(
            r.status.as_u16(),
            header_id.as_deref(),
            r.body.unwrap_or_default(),
        );
        Outcome::Failure(Failure::new(e))
    }
}

/// A fresh client token: 32 random hex digits behind `mc-` (the APIs take
/// at most 64 ASCII characters).
pub fn new_client_token() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("mc-{}", hex::encode(bytes))
}

/// The client token of a spec, or a new one.
pub fn client_token(spec_token: Option<&str>) -> String {
    spec_token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .unwrap_or_else(new_client_token)
}

/// Core credentials as the signer's credentials.
pub fn signer_credentials(c: crate::credentials::Credentials) -> Credentials {
    Credentials {
        secret_id: c.access_key_id,
        secret_key: c.secret,
        token: c.session_token.filter(|t| !t.is_empty()),
        expires_at: c.expires_at,
        source: "provider".into(),
    }
}

/// One COS request (before signing).
#[derive(Debug, Clone)]
pub struct CosRequest {
    /// HTTP method.
    pub method: http::Method,
    /// Base URL without trailing slash (`https://b-125.cos.ap-x.myqcloud.com`).
    pub base_url: String,
    /// Object key (empty for bucket and service requests).
    pub key: String,
    /// Query parameters (decoded; all signed).
    pub query: Vec<(String, String)>,
    /// Extra headers (decoded; the COS-signable ones are signed).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: bytes::Bytes,
    /// The region, for the error context and the limiter.
    pub region: Option<String>,
}

impl CosRequest {
    /// A request with no query, headers or body.
    pub fn new(method: http::Method, base_url: String, key: &str) -> Self {
        CosRequest {
            method,
            base_url,
            key: key.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
            region: None,
        }
    }
}

/// The Tencent Cloud HTTP client of one account: the shared transport,
/// the credential provider and the endpoints. Every API 3.0 call is signed
/// with TC3-HMAC-SHA256 on each attempt (fresh `X-TC-Timestamp`); every
/// COS call with the `q-sign-algorithm=sha1` signature.
#[derive(Clone)]
pub struct TencentClient {
    transport: Transport,
    credentials: Arc<dyn CredentialProvider>,
    endpoints: Arc<Endpoints>,
    language: Option<String>,
}

impl std::fmt::Debug for TencentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TencentClient")
            .field("transport", &self.transport)
            .field("credentials", &self.credentials)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl TencentClient {
    /// A client over `transport`, signing with `credentials`.
    pub fn new(
        transport: Transport,
        credentials: Arc<dyn CredentialProvider>,
        endpoints: Endpoints,
    ) -> Self {
        TencentClient {
            transport,
            credentials,
            endpoints: Arc::new(endpoints),
            language: None,
        }
    }

    /// Ask for messages in `language` (`en-US`, `zh-CN`: `X-TC-Language`).
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The current credentials (refreshed by the provider when needed).
    pub async fn credentials(&self) -> Result<Credentials> {
        Ok(signer_credentials(self.credentials.credentials().await?))
    }

    /// Call an API 3.0 action and decode its `Response` object.
    ///
    /// `service` is the host's product (`cvm`, `vpc`, `cam`, ...) and names
    /// the API version (pinnable per account). `region` is sent as
    /// `X-TC-Region` (omitted for global services). The parameters are the
    /// JSON body; every attempt is signed afresh, so a `ClientToken` in them
    /// is the same on every attempt.
    pub async fn call<T: DeserializeOwned>(
        &self,
        service: &'static str,
        action: &'static str,
        region: Option<&str>,
        params: serde_json::Value,
        kind: CallKind,
    ) -> Result<T> {
        let meta = kind.meta(service, action, region);
        let version = self.endpoints.api_version(service).ok_or_else(|| {
            Error::config(format!(
                "no API version known for Tencent Cloud service `{service}`"
            ))
        })?;
        let base = self.endpoints.api_base_url(service, region);
        let host = host_of(&base);
        if base.starts_with("http://") && !self.transport.settings().allow_http {
            return Err(Error::config(format!(
                "endpoint {base} is plain http; set endpoints.allow_http to use it"
            )));
        }
        let params = Arc::new(params);
        let client = self.transport.client().clone();
        let region_owned = region.map(str::to_string);
        let response = self
            .transport
            .send_with(
                &meta,
                |_attempt| {
                    let params = params.clone();
                    let client = client.clone();
                    let base = base.clone();
                    let host = host.clone();
                    let version = version.clone();
                    let region = region_owned.clone();
                    let language = self.language.clone();
                    let creds = self.credentials.clone();
                    async move {
                        let c = signer_credentials(creds.credentials().await?);
                        let common = Tc3Common {
                            action,
                            version: &version,
                            region: region.as_deref(),
                            language: language.as_deref(),
                        };
                        let signed = build_api_request(
                            &base,
                            &host,
                            service,
                            &common,
                            &params,
                            false,
                            chrono::Utc::now().timestamp(),
                            &c.secret_id,
                            &c.secret_key,
                            c.token.as_ref(),
                        )?;
                        let mut b = client.post(&signed.url);
                        for (k, v) in &signed.headers {
                            if k.eq_ignore_ascii_case("host") {
                                continue;
                            }
                            b = b.header(k.as_str(), v.as_str());
                        }
                        b.body(signed.body).build().map_err(|e| {
                            Error::invalid_argument(format!("cannot build request: {e}"))
                        })
                    }
                },
                &ApiClassifier,
            )
            .await?;
        parse_response::<T>(&response.body).map_err(|e| e.with_context_defaults(response.context()))
    }

    fn cos_build(&self, req: &CosRequest, creds: &Credentials) -> Result<reqwest::Request> {
        let path = format!("/{}", req.key);
        let url_path = format!("/{}", cos_encode_path(&req.key));
        let host = host_of(&req.base_url);
        let mut headers: Vec<(String, String)> = req.headers.clone();
        headers.push(("Host".to_string(), host));
        let mut query = req.query.clone();
        if let Some(t) = &creds.token {
            headers.push(("x-cos-security-token".to_string(), t.expose().to_string()));
        }
        let signable = cos_signable_headers(&headers);
        let now = chrono::Utc::now().timestamp();
        let (start, end) = cos_sign_window(now, 3600);
        let sig = cos_sign(
            &CosSignRequest {
                method: req.method.as_str(),
                path: &path,
                params: &query,
                headers: &signable,
            },
            &creds.secret_id,
            &creds.secret_key,
            start,
            end,
        );
        query.sort();
        let mut url = format!("{}{}", req.base_url.trim_end_matches('/'), url_path);
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| {
                    if v.is_empty() && !k.contains('=') {
                        cos_encode(k)
                    } else {
                        format!("{}={}", cos_encode(k), cos_encode(v))
                    }
                })
                .collect();
            url.push('?');
            url.push_str(&q.join("&"));
        }
        let mut b = self
            .transport
            .client()
            .request(req.method.clone(), &url)
            .header("Authorization", sig.authorization);
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("host") {
                continue;
            }
            b = b.header(k.as_str(), v.as_str());
        }
        if !req.body.is_empty() || matches!(req.method, http::Method::PUT | http::Method::POST) {
            b = b.body(req.body.clone());
        }
        b.build()
            .map_err(|e| Error::invalid_argument(format!("cannot build COS request: {e}")))
    }

    fn cos_meta(&self, action: &'static str, req: &CosRequest, kind: CallKind) -> CallMeta {
        kind.meta("cos", action, req.region.as_deref())
    }

    /// Send a COS request with a buffered response.
    pub async fn cos(
        &self,
        action: &'static str,
        req: CosRequest,
        kind: CallKind,
    ) -> Result<Response> {
        let meta = self.cos_meta(action, &req, kind);
        self.transport
            .send_with(
                &meta,
                |_attempt| async {
                    let c = self.credentials().await?;
                    self.cos_build(&req, &c)
                },
                &CosClassifier,
            )
            .await
    }

    /// Send a COS request whose successful body is streamed (GET Object).
    pub async fn cos_streaming(
        &self,
        action: &'static str,
        req: CosRequest,
    ) -> Result<StreamingResponse> {
        let meta = self.cos_meta(action, &req, CallKind::Read);
        self.transport
            .send_streaming_with(
                &meta,
                |_attempt| async {
                    let c = self.credentials().await?;
                    self.cos_build(&req, &c)
                },
                &CosClassifier,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    /// Every common error code of the API 3.0 "公共错误码" list, plus the
    /// service codes the provider issue names, with the kind it maps to.
    const TABLE: &[(&str, ErrorKind)] = &[
        // Common error codes.
        ("ActionOffline", Unsupported),
        ("AuthFailure.InvalidAuthorization", Unauthenticated),
        ("AuthFailure.InvalidSecretId", Unauthenticated),
        ("AuthFailure.MFAFailure", Unauthenticated),
        ("AuthFailure.SecretIdNotFound", Unauthenticated),
        ("AuthFailure.SignatureExpire", Unauthenticated),
        ("AuthFailure.SignatureFailure", Unauthenticated),
        ("AuthFailure.TokenFailure", Unauthenticated),
        ("AuthFailure.UnauthorizedOperation", PermissionDenied),
        ("DryRunOperation", Other),
        ("FailedOperation", Other),
        ("InternalError", Unavailable),
        ("InvalidAction", InvalidArgument),
        ("InvalidParameter", InvalidArgument),
        ("InvalidParameterValue", InvalidArgument),
        ("InvalidRequest", InvalidArgument),
        ("IpInBlacklist", PermissionDenied),
        ("IpNotInWhitelist", PermissionDenied),
        ("LimitExceeded", QuotaExceeded),
        ("MissingParameter", InvalidArgument),
        ("NoSuchProduct", Unsupported),
        ("NoSuchVersion", InvalidArgument),
        ("RequestLimitExceeded", Throttled),
        (
            "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
            Throttled,
        ),
        ("RequestLimitExceeded.IPLimitExceeded", Throttled),
        ("RequestLimitExceeded.UinLimitExceeded", Throttled),
        ("RequestSizeLimitExceeded", InvalidArgument),
        ("ResourceInUse", Conflict),
        ("ResourceInsufficient", QuotaExceeded),
        ("ResourceNotFound", NotFound),
        ("ResourceUnavailable", Conflict),
        ("ResponseSizeLimitExceeded", InvalidArgument),
        ("ServiceUnavailable", Unavailable),
        ("UnauthorizedOperation", PermissionDenied),
        ("UnknownParameter", InvalidArgument),
        ("UnsupportedOperation", Unsupported),
        ("UnsupportedProtocol", InvalidArgument),
        ("UnsupportedRegion", Unsupported),
        // Service codes named in the provider issue and common in CVM/CBS/VPC/CAM.
        ("InvalidInstanceId.NotFound", NotFound),
        ("InvalidInstanceId.Malformed", InvalidArgument),
        ("InvalidParameterValue.SubnetNotFound", NotFound),
        ("InvalidParameterValue.VpcIdNotFound", NotFound),
        ("InvalidParameterValue.NotFound", NotFound),
        ("InvalidDisk.NotFound", NotFound),
        ("InvalidSecurityGroupId.NotFound", NotFound),
        ("ResourceNotFound.NoDefaultVpc", NotFound),
        ("ResourceNotFound.UserNotExist", NotFound),
        ("ResourceNotFound.GroupNotExist", NotFound),
        ("InvalidParameter.UserNotExist", NotFound),
        ("InvalidParameterValue.Duplicate", AlreadyExists),
        ("InvalidParameter.SubUserNameInUse", AlreadyExists),
        ("InvalidParameter.GroupNameInUse", AlreadyExists),
        ("InvalidParameter.RoleNameInUse", AlreadyExists),
        ("FailedOperation.PolicyNameInUse", AlreadyExists),
        ("InvalidAddressIdStatus.NotPermit", Conflict),
        ("OperationDenied.HaveKeys", Conflict),
        ("InvalidRegion.NotFound", InvalidArgument),
        ("InvalidProjectId.NotFound", InvalidArgument),
        ("InvalidParameterValue.AddressIpAlreadyExist", AlreadyExists),
        ("OperationDenied.InstanceOperationInProgress", Conflict),
        ("OperationDenied.MutexOperationTaskRunning", Conflict),
        ("OperationDenied", PermissionDenied),
        ("OperationDenied.AccountNotSupported", PermissionDenied),
        ("UnauthorizedOperation.PermissionDenied", PermissionDenied),
        ("UnauthorizedOperation.MFAExpired", PermissionDenied),
        ("LimitExceeded.InstanceQuota", QuotaExceeded),
        ("LimitExceeded.AddressQuotaLimitExceeded", QuotaExceeded),
        (
            "ResourceInsufficient.ZoneSoldOutForSpecifiedInstance",
            QuotaExceeded,
        ),
        ("ResourcesSoldOut.SpecifiedInstanceType", QuotaExceeded),
        ("ResourceInUse.Disk", Conflict),
        ("ResourceBusy", Conflict),
        ("ResourceUnavailable.InstanceType", Conflict),
        ("UnsupportedOperation.InstanceStateRunning", Conflict),
        ("UnsupportedOperation.InvalidDiskState", Conflict),
        (
            "UnsupportedOperation.NotSupportImportInstancesActionTimer",
            Unsupported,
        ),
        ("InternalError.TradeUnknownError", Unavailable),
        ("FailedOperation.TaskInProgress", Conflict),
        ("FailedOperation.InvalidRegion", Other),
        ("SomethingNew.Entirely", Other),
    ];

    #[test]
    fn classify_table() {
        for (code, kind) in TABLE {
            assert_eq!(classify(code), *kind, "code {code}");
        }
        // Retry policy follows: only throttles and unavailability retry.
        assert!(classify("RequestLimitExceeded.UinLimitExceeded").is_retryable());
        assert!(!classify("AuthFailure.SignatureFailure").is_retryable());
    }

    #[test]
    fn error_envelope_is_parsed_with_request_id() {
        let body = br#"{"Response":{"Error":{"Code":"InvalidInstanceId.NotFound","Message":"The instance `ins-1` is not found."},"RequestId":"b5b41468-520d-4192-b42f-595cc34b6c1c"}}"#;
        let err = parse_response::<serde_json::Value>(body).unwrap_err();
        assert_eq!(err.kind(), NotFound);
        assert_eq!(err.code(), Some("InvalidInstanceId.NotFound"));
        assert_eq!(
            err.request_id(),
            Some("b5b41468-520d-4192-b42f-595cc34b6c1c")
        );
        assert_eq!(err.http_status(), Some(200));
        assert_eq!(err.provider(), Some("tencent"));
        assert!(err.message().contains("ins-1"));
        let probe = parse_api_error(body).unwrap().unwrap();
        assert_eq!(probe.kind(), NotFound);
        assert!(
            parse_api_error(br#"{"Response":{"RequestId":"x"}}"#)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn signature_expire_says_clock() {
        let body = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureExpire","Message":"签名过期"},"RequestId":"r1"}}"#.as_bytes();
        let err = parse_response::<serde_json::Value>(body).unwrap_err();
        assert_eq!(err.kind(), Unauthenticated);
        assert!(err.message().contains("clock"), "{}", err.message());
        assert!(err.message().contains("5 minutes"));
        assert!(err.to_string().contains("request-id=r1"));
    }

    #[test]
    fn throttle_in_a_200_body() {
        let body = br#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow"},"RequestId":"r"}}"#;
        let err = parse_response::<serde_json::Value>(body).unwrap_err();
        assert_eq!(err.kind(), Throttled);
        assert!(err.is_retryable());
    }

    #[test]
    fn success_and_malformed_bodies() {
        #[derive(Deserialize, Debug)]
        struct R {
            #[serde(rename = "TotalCount")]
            total: u64,
        }
        let ok: R = parse_response(br#"{"Response":{"TotalCount":3,"RequestId":"x"}}"#).unwrap();
        assert_eq!(ok.total, 3);
        let e = parse_response::<R>(b"not json").unwrap_err();
        assert_eq!(e.kind(), Decode);
        let e = parse_response::<R>(br#"{"Other":{}}"#).unwrap_err();
        assert_eq!(e.kind(), Decode);
        let e = parse_response::<R>(br#"{"Response":{"TotalCount":"x","RequestId":"rid"}}"#)
            .unwrap_err();
        assert_eq!(e.kind(), Decode);
        assert_eq!(e.request_id(), Some("rid"));
        assert!(parse_api_error(b"[]").is_err());
    }

    #[test]
    fn cos_error_xml() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <Resource>examplebucket-1250000000.cos.ap-beijing.myqcloud.com/a.txt</Resource>
  <RequestId>NjQzZTA2NjhfNjI3NTFlMGFfMjQ0ZF8x****</RequestId>
  <TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTBjYzE2MjAxN2M1MzJiOTdkZjMxMDVlYTZjN2FiMmI0****</TraceId>
</Error>"#;
        let e = parse_cos_error(404, None, body);
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), Some("NoSuchKey"));
        assert_eq!(e.request_id(), Some("NjQzZTA2NjhfNjI3NTFlMGFfMjQ0ZF8x****"));
        assert_eq!(e.http_status(), Some(404));
        assert_eq!(e.message(), "The specified key does not exist.");
        // HEAD: no body, request id from the header.
        let e = parse_cos_error(404, Some("hdr-id"), b"");
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.request_id(), Some("hdr-id"));
        assert_eq!(e.code(), None);
        let e = parse_cos_error(
            403,
            None,
            b"<Error><Code>RequestTimeTooSkewed</Code><Message>skew</Message></Error>",
        );
        assert_eq!(e.kind(), Unauthenticated);
        assert!(e.message().contains("clock"));
        let e = parse_cos_error(502, None, b"<html>bad gateway</html>");
        assert_eq!(e.kind(), Unavailable);
    }

    #[test]
    fn cos_classify_table() {
        let table: &[(u16, &str, ErrorKind)] = &[
            (404, "NoSuchKey", NotFound),
            (404, "NoSuchBucket", NotFound),
            (404, "NoSuchUpload", NotFound),
            (409, "BucketAlreadyExists", AlreadyExists),
            (409, "BucketAlreadyOwnedByYou", AlreadyExists),
            (403, "AccessDenied", PermissionDenied),
            (403, "SignatureDoesNotMatch", Unauthenticated),
            (403, "InvalidAccessKeyId", Unauthenticated),
            (403, "RequestTimeTooSkewed", Unauthenticated),
            (400, "ExpiredToken", Unauthenticated),
            (503, "SlowDown", Throttled),
            (409, "BucketNotEmpty", Conflict),
            (412, "PreconditionFailed", Conflict),
            (400, "TooManyBuckets", QuotaExceeded),
            (405, "MethodNotAllowed", Unsupported),
            (500, "InternalError", Unavailable),
            (503, "ServiceUnavailable", Unavailable),
            (400, "InvalidBucketName", InvalidArgument),
            (400, "EntityTooLarge", InvalidArgument),
            (400, "MalformedXML", InvalidArgument),
            (400, "RequestTimeout", Timeout),
            (429, "", Throttled),
            (404, "", NotFound),
            (403, "", PermissionDenied),
            (409, "Whatever", Conflict),
            (504, "", Unavailable),
        ];
        for (status, code, kind) in table {
            assert_eq!(classify_cos(*status, code), *kind, "{status} {code}");
        }
    }
}

#[cfg(test)]
mod http_tests {
    use super::*;
    use http::{HeaderMap, StatusCode};

    fn view<'a>(status: u16, headers: &'a HeaderMap, body: Option<&'a [u8]>) -> ResponseView<'a> {
        ResponseView {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body,
        }
    }

    #[test]
    fn api_classifier() {
        let h = HeaderMap::new();
        let ok = br#"{"Response":{"TotalCount":0,"RequestId":"r"}}"#;
        assert!(matches!(
            ApiClassifier.classify(&view(200, &h, Some(ok))),
            Outcome::Success
        ));
        let throttle = br#"{"Response":{"Error":{"Code":"RequestLimitExceeded.UinLimitExceeded","Message":"m"},"RequestId":"r1"}}"#;
        let Outcome::Failure(f) = ApiClassifier.classify(&view(200, &h, Some(throttle))) else {
            panic!("throttle is a failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Throttled);
        assert!(f.not_processed, "a throttled request was not processed");
        assert_eq!(f.error.request_id(), Some("r1"));
        let nf = br#"{"Response":{"Error":{"Code":"InvalidInstanceId.NotFound","Message":"m"},"RequestId":"r2"}}"#;
        let Outcome::Failure(f) = ApiClassifier.classify(&view(200, &h, Some(nf))) else {
            panic!("not found is a failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::NotFound);
        assert!(!f.not_processed);
        let Outcome::Failure(f) = ApiClassifier.classify(&view(200, &h, Some(b"<html>"))) else {
            panic!("non-JSON is a failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Unavailable);
        assert!(f.error.is_retryable());
        let Outcome::Failure(f) = ApiClassifier.classify(&view(502, &h, Some(b"bad gateway")))
        else {
            panic!("5xx is a failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Unavailable);
        assert_eq!(f.error.http_status(), Some(502));
        let Outcome::Failure(f) = ApiClassifier.classify(&view(429, &h, Some(b""))) else {
            panic!("429 is a failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Throttled);
        assert!(f.not_processed);
        let expired = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureExpire","Message":"m"},"RequestId":"r3"}}"#;
        let Outcome::Failure(f) = ApiClassifier.classify(&view(200, &h, Some(expired))) else {
            panic!("expired signature is a failure");
        };
        assert_eq!(f.error.kind(), ErrorKind::Unauthenticated);
        assert!(f.error.message().contains("clock"));
    }

    #[test]
    fn cos_classifier() {
        let mut h = HeaderMap::new();
        h.insert("x-cos-request-id", "hdr".parse().unwrap());
        assert!(matches!(
            CosClassifier.classify(&view(200, &h, None)),
            Outcome::Success
        ));
        assert!(matches!(
            CosClassifier.classify(&view(206, &h, Some(b"x"))),
            Outcome::Success
        ));
        let Outcome::Failure(f) = CosClassifier.classify(&view(404, &h, Some(b""))) else {
            panic!("404");
        };
        assert_eq!(f.error.kind(), ErrorKind::NotFound);
        assert_eq!(f.error.request_id(), Some("hdr"));
        let Outcome::Failure(f) = CosClassifier.classify(&view(
            503,
            &h,
            Some(b"<Error><Code>SlowDown</Code><Message>m</Message></Error>"),
        )) else {
            panic!("503");
        };
        assert_eq!(f.error.kind(), ErrorKind::Throttled);
        assert!(f.not_processed);
    }

    #[test]
    fn client_tokens() {
        let a = new_client_token();
        let b = new_client_token();
        assert_ne!(a, b);
        assert!(a.len() <= 64 && a.is_ascii());
        assert_eq!(client_token(Some("mine")), "mine");
        assert!(client_token(Some("  ")).starts_with("mc-"));
        assert!(client_token(None).starts_with("mc-"));
    }

    #[test]
    fn call_kinds() {
        let r = CallKind::Read.meta("cvm", "DescribeInstances", Some("ap-guangzhou"));
        assert!(!r.mutating && r.retry_safe);
        assert_eq!(r.region.as_deref(), Some("ap-guangzhou"));
        let c = CallKind::Idempotent.meta("cvm", "RunInstances", Some("ap-guangzhou"));
        assert!(c.mutating && c.retry_safe);
        let w = CallKind::Write.meta("cvm", "StopInstances", None);
        assert!(w.mutating && !w.retry_safe);
        assert_eq!(w.region, None);
    }
}
