//! Tencent Cloud request signatures.
//!
//! Two schemes:
//!
//! * **TC3-HMAC-SHA256** ("API 3.0 签名方法 v3") for every JSON API (CVM,
//!   CBS, VPC, CAM, Billing, STS): a canonical request over the method, path,
//!   query string, the signed headers (at least `content-type` and `host`) and
//!   the SHA-256 of the body; a string to sign carrying the `X-TC-Timestamp`
//!   and the credential scope `date/service/tc3_request`; a signing key derived
//!   by HMAC-SHA256 from `"TC3" + SecretKey`, the UTC date and the service; and
//!   the `Authorization` header. The `X-TC-Action`, `X-TC-Version`,
//!   `X-TC-Timestamp`, `X-TC-Region`, `X-TC-Token` (temporary credentials) and
//!   `X-TC-Language` headers travel beside it ([`sign_tc3_request`]).
//! * **COS XML API** (`q-sign-algorithm=sha1`): HMAC-SHA1 over the method,
//!   the object path, the sorted, percent-encoded parameters and headers,
//!   valid between two Unix times; carried in the `Authorization` header
//!   ([`cos_sign`]) or in the query string of a presigned URL
//!   ([`cos_presigned_url`]).
//!
//! Both are pure functions of their inputs (the time is a parameter), tested
//! against the vendor's published examples and against the vendor's own
//! Python SDK (`tests/tencent_sign_conformance.rs`).

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::credentials::Secret;

/// The TC3 algorithm name, first word of the `Authorization` header.
pub const TC3_ALGORITHM: &str = "TC3-HMAC-SHA256";
/// Content type of POST requests with a JSON body, as the vendor SDKs send it.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// Content type of GET requests (the only one the API allows for GET).
pub const CONTENT_TYPE_FORM: &str = "application/x-www-form-urlencoded";
/// The payload hash placeholder of `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

type HmacSha256 = Hmac<Sha256>;
type HmacSha1 = Hmac<Sha1>;

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

fn hmac_sha1_hex(key: &[u8], msg: &[u8]) -> String {
    let mut mac = match HmacSha1::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

#[cold]
fn unreachable_hmac() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-key-size MACs; HMAC takes
    // keys of any length. Kept as a panic-free-by-construction guard.
    panic!("HMAC rejected a key, which HMAC never does")
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Lower-case hex SHA-1 of `data`.
pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp, as the TC3 credential
/// scope needs it. The date must be UTC: a local date fails every request
/// made around local midnight.
pub fn utc_date(timestamp: i64) -> String {
    match chrono::DateTime::from_timestamp(timestamp, 0) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        // Out of chrono's range (±262,000 years): no request is signed then.
        None => "1970-01-01".to_string(),
    }
}

// ---------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------

/// Characters that `application/x-www-form-urlencoded` encoding (Python's
/// `urllib.parse.urlencode`, used by the vendor SDKs) leaves as they are:
/// ASCII letters, digits and `_ . - ~`.
const FORM_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// Form-encode one key or value: UTF-8, `%XX` with upper-case hex, space as
/// `+`, unreserved characters kept (the vendor SDKs' `urlencode`).
pub fn form_encode(s: &str) -> String {
    // Encode spaces as %20 first, then turn them into '+': a literal '+' in
    // the input was already encoded as %2B, so the swap is unambiguous.
    utf8_percent_encode(s, FORM_KEEP)
        .to_string()
        .replace("%20", "+")
}

/// A form-encoded query string from pairs, in the order given
/// (`k1=v1&k2=v2`). TC3 signs the query string exactly as it is sent, so
/// order does not matter to the signature as long as the same string is sent.
pub fn form_urlencode(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&form_encode(k));
        out.push('=');
        out.push_str(&form_encode(v));
    }
    out
}

/// Flatten JSON request parameters into the dotted form that GET requests
/// (and the old v1 signature) use: `Filters.0.Name`, `Filters.0.Values.1`,
/// `InstanceIds.0`. Strings are kept as they are, numbers printed in JSON
/// form, booleans as `true`/`false`; `null` values are left out. Object keys
/// come out in the map's (sorted) order.
pub fn flatten_params(params: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(prefix: Option<String>, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        use serde_json::Value;
        let key = |k: String| match &prefix {
            Some(p) => format!("{p}.{k}"),
            None => k,
        };
        match v {
            Value::Null => {}
            Value::Bool(b) => {
                if let Some(p) = prefix {
                    out.push((p, b.to_string()));
                }
            }
            Value::Number(n) => {
                if let Some(p) = prefix {
                    out.push((p, n.to_string()));
                }
            }
            Value::String(s) => {
                if let Some(p) = prefix {
                    out.push((p, s.clone()));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(Some(key(i.to_string())), item, out);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    walk(Some(key(k.clone())), item, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(None, params, &mut out);
    out
}

// ---------------------------------------------------------------------------
// TC3-HMAC-SHA256
// ---------------------------------------------------------------------------

/// The parts of an HTTP request that TC3 signs.
#[derive(Debug, Clone, Copy)]
pub struct Tc3Request<'a> {
    /// HTTP method, upper case (`POST`, `GET`).
    pub method: &'a str,
    /// The `Host` header (`cvm.tencentcloudapi.com`).
    pub host: &'a str,
    /// The URI path; always `/` for API 3.0.
    pub path: &'a str,
    /// The query string exactly as sent, without `?` (empty for POST).
    pub query: &'a str,
    /// The `Content-Type` header exactly as sent.
    pub content_type: &'a str,
    /// The body bytes (empty for GET).
    pub payload: &'a [u8],
    /// Extra headers to sign besides `content-type` and `host` (for example
    /// `("X-TC-Action", "DescribeInstances")`). The vendor SDKs sign none.
    pub extra_signed_headers: &'a [(&'a str, &'a str)],
    /// Sign `UNSIGNED-PAYLOAD` instead of the body hash (the request must
    /// then carry `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`).
    pub unsigned_payload: bool,
}

/// Every intermediate value of a TC3 signature, for tests and debugging.
/// The signing key is not kept, but `signature` and `authorization` let
/// anyone replay the signed request within its validity window: `Debug`
/// masks both.
#[derive(Clone, PartialEq, Eq)]
pub struct Tc3Signature {
    /// The canonical request (`CanonicalRequest`).
    pub canonical_request: String,
    /// `content-type;host[;...]`.
    pub signed_headers: String,
    /// `date/service/tc3_request`.
    pub credential_scope: String,
    /// The string to sign (`StringToSign`).
    pub string_to_sign: String,
    /// The lower-case hex signature.
    pub signature: String,
    /// The full `Authorization` header value.
    pub authorization: String,
}

/// Build the canonical request and the signed-header list.
///
/// Headers are lower-cased and trimmed (keys and values, as the vendor
/// document says), sorted by key, and always include `content-type` and
/// `host`.
pub fn tc3_canonical_request(req: &Tc3Request<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = vec![
        (
            "content-type".into(),
            req.content_type.trim().to_lowercase(),
        ),
        ("host".into(), req.host.trim().to_lowercase()),
    ];
    for (k, v) in req.extra_signed_headers {
        let k = k.trim().to_lowercase();
        if k == "content-type" || k == "host" {
            continue;
        }
        headers.push((k, v.trim().to_lowercase()));
    }
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    headers.dedup_by(|a, b| a.0 == b.0);
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let payload_hash = if req.unsigned_payload {
        sha256_hex(UNSIGNED_PAYLOAD.as_bytes())
    } else {
        sha256_hex(req.payload)
    };
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method, req.path, req.query, canonical_headers, signed_headers, payload_hash
    );
    (canonical, signed_headers)
}

/// The credential scope `date/service/tc3_request`.
pub fn tc3_credential_scope(timestamp: i64, service: &str) -> String {
    format!("{}/{}/tc3_request", utc_date(timestamp), service)
}

/// The string to sign for a canonical request.
pub fn tc3_string_to_sign(timestamp: i64, service: &str, canonical_request: &str) -> String {
    format!(
        "{TC3_ALGORITHM}\n{timestamp}\n{}\n{}",
        tc3_credential_scope(timestamp, service),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The derived signing key: `HMAC(HMAC(HMAC("TC3"+key, date), service), "tc3_request")`.
pub fn tc3_signing_key(secret_key: &Secret, date: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(
        format!("TC3{}", secret_key.expose()).as_bytes(),
        date.as_bytes(),
    );
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, b"tc3_request")
}

/// Sign a request with TC3-HMAC-SHA256.
///
/// `service` is the product name that starts the host (`cvm`, `vpc`, ...);
/// `timestamp` is the `X-TC-Timestamp` value (Unix seconds). The server
/// rejects a timestamp more than five minutes away from its clock with
/// `AuthFailure.SignatureExpire`.
pub fn tc3_sign(
    req: &Tc3Request<'_>,
    service: &str,
    timestamp: i64,
    secret_id: &str,
    secret_key: &Secret,
) -> Tc3Signature {
    let (canonical_request, signed_headers) = tc3_canonical_request(req);
    let credential_scope = tc3_credential_scope(timestamp, service);
    let string_to_sign = tc3_string_to_sign(timestamp, service, &canonical_request);
    let key = tc3_signing_key(secret_key, &utc_date(timestamp), service);
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{TC3_ALGORITHM} Credential={secret_id}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}"
    );
    Tc3Signature {
        canonical_request,
        signed_headers,
        credential_scope,
        string_to_sign,
        signature,
        authorization,
    }
}

/// The common parameters of an API 3.0 call, sent as `X-TC-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct Tc3Common<'a> {
    /// `X-TC-Action`, the API name (`DescribeInstances`).
    pub action: &'a str,
    /// `X-TC-Version`, the API version (`2017-03-12`).
    pub version: &'a str,
    /// `X-TC-Region`; `None` for global APIs (CAM, Billing).
    pub region: Option<&'a str>,
    /// `X-TC-Language` (`zh-CN`, `en-US`); `None` for the server default.
    pub language: Option<&'a str>,
}

/// Sign a request and return every header it must carry, in this order:
/// `Authorization`, `Content-Type`, `Host`, `X-TC-Action`, `X-TC-Timestamp`,
/// `X-TC-Version`, then `X-TC-Region`, `X-TC-Token`, `X-TC-Language` and
/// `X-TC-Content-SHA256` when they apply.
///
/// The action is sent with its first letter upper-cased, as the vendor SDKs
/// do. `token` is the session token of temporary credentials.
pub fn sign_tc3_request(
    req: &Tc3Request<'_>,
    common: &Tc3Common<'_>,
    service: &str,
    timestamp: i64,
    secret_id: &str,
    secret_key: &Secret,
    token: Option<&Secret>,
) -> Vec<(String, String)> {
    let sig = tc3_sign(req, service, timestamp, secret_id, secret_key);
    let mut action = common.action.to_string();
    if let Some(first) = action.get(0..1) {
        let upper = first.to_uppercase();
        action.replace_range(0..1, &upper);
    }
    let mut headers = vec![
        ("Authorization".to_string(), sig.authorization),
        ("Content-Type".to_string(), req.content_type.to_string()),
        ("Host".to_string(), req.host.to_string()),
        ("X-TC-Action".to_string(), action),
        ("X-TC-Timestamp".to_string(), timestamp.to_string()),
        ("X-TC-Version".to_string(), common.version.to_string()),
    ];
    if let Some(r) = common.region.filter(|r| !r.is_empty()) {
        headers.push(("X-TC-Region".to_string(), r.to_string()));
    }
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        headers.push(("X-TC-Token".to_string(), t.expose().to_string()));
    }
    if let Some(l) = common.language.filter(|l| !l.is_empty()) {
        headers.push(("X-TC-Language".to_string(), l.to_string()));
    }
    if req.unsigned_payload {
        headers.push((
            "X-TC-Content-SHA256".to_string(),
            UNSIGNED_PAYLOAD.to_string(),
        ));
    }
    headers
}

/// A ready-to-send API 3.0 request: method, URL, headers and body.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedApiRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// `https://{host}/` plus the query string for GET.
    pub url: String,
    /// Every header, `Authorization` included.
    pub headers: Vec<(String, String)>,
    /// The body (JSON for POST, empty for GET).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Authorization and X-TC-Token are credentials: never print them.
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let hidden = is_credential_name(k);
                (k.as_str(), if hidden { "***" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("SignedApiRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Build and sign an API 3.0 call from its JSON parameters.
///
/// `get = false` sends a POST with the parameters as a JSON body (the
/// vendor's recommended form); `get = true` flattens them into the query
/// string ([`flatten_params`], [`form_urlencode`]), limited by the API to
/// 32 KB. `scheme_host` is the base URL without a trailing slash
/// (`https://cvm.tencentcloudapi.com`), `host` its host name.
#[allow(clippy::too_many_arguments)]
pub fn build_api_request(
    scheme_host: &str,
    host: &str,
    service: &str,
    common: &Tc3Common<'_>,
    params: &serde_json::Value,
    get: bool,
    timestamp: i64,
    secret_id: &str,
    secret_key: &Secret,
    token: Option<&Secret>,
) -> Result<SignedApiRequest, crate::Error> {
    let (method, query, content_type, body) = if get {
        let q = form_urlencode(&flatten_params(params));
        ("GET", q, CONTENT_TYPE_FORM, Vec::new())
    } else {
        let body = serde_json::to_vec(params)?;
        ("POST", String::new(), CONTENT_TYPE_JSON, body)
    };
    let req = Tc3Request {
        method,
        host,
        path: "/",
        query: &query,
        content_type,
        payload: &body,
        extra_signed_headers: &[],
        unsigned_payload: false,
    };
    let headers = sign_tc3_request(
        &req, common, service, timestamp, secret_id, secret_key, token,
    );
    let url = if query.is_empty() {
        format!("{scheme_host}/")
    } else {
        format!("{scheme_host}/?{query}")
    };
    Ok(SignedApiRequest {
        method,
        url,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------
// COS (q-sign-algorithm=sha1)
// ---------------------------------------------------------------------------

/// Characters COS signing keeps unencoded: letters, digits and `- _ . ~`.
const COS_KEEP: &AsciiSet = FORM_KEEP;

/// Percent-encode for COS signing (`UrlEncode` of the COS document): UTF-8,
/// upper-case hex, everything but letters, digits and `-_.~` encoded, space
/// as `%20`.
pub fn cos_encode(s: &str) -> String {
    utf8_percent_encode(s, COS_KEEP).to_string()
}

/// Characters kept in an object key's URL path: `COS_KEEP` plus `/`.
const COS_PATH_KEEP: &AsciiSet = &FORM_KEEP.remove(b'/');

/// The URL path of an object key (without the leading `/`), encoded as the
/// vendor SDK does: every byte but letters, digits, `/-_.~` is `%XX`, and
/// `./` becomes `.%2F` so that path normalization cannot drop a segment.
pub fn cos_encode_path(key: &str) -> String {
    let key = key.strip_prefix('/').unwrap_or(key);
    utf8_percent_encode(key, COS_PATH_KEEP)
        .to_string()
        .replace("./", ".%2F")
}

/// Headers the COS SDK signs: `host`, `content-type`, `content-md5`,
/// `content-length`, the conditional and cache headers, and every
/// `x-cos-*` / `x-ci-*` header. Others (`date`, `user-agent`,
/// `authorization`) are left out so that proxies cannot break a signature.
pub fn cos_is_signable_header(name: &str) -> bool {
    const SIGNED: [&str; 17] = [
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-type",
        "content-md5",
        "content-length",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
        "pic-operations",
    ];
    let n = name.to_ascii_lowercase();
    SIGNED.contains(&n.as_str()) || n.starts_with("x-cos-") || n.starts_with("x-ci-")
}

/// Keep only the headers [`cos_is_signable_header`] accepts.
pub fn cos_signable_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| cos_is_signable_header(k))
        .cloned()
        .collect()
}

/// The signature window the COS SDK uses: from 60 s before `now` (to absorb
/// clock skew) to `expires_secs` after it.
pub fn cos_sign_window(now: i64, expires_secs: i64) -> (i64, i64) {
    (now - 60, now + expires_secs)
}

/// The parts of a COS request that its signature covers. `Debug` masks
/// credential values (`x-cos-security-token`, `authorization`).
#[derive(Clone, Copy)]
pub struct CosSignRequest<'a> {
    /// HTTP method (any case; signed in lower case).
    pub method: &'a str,
    /// The object path as a decoded string starting with `/`
    /// (`/exampleobject(腾讯云)`), `/` for bucket and service requests.
    pub path: &'a str,
    /// Query parameters to sign (decoded names and values).
    pub params: &'a [(String, String)],
    /// Headers to sign (decoded). Pass them through
    /// [`cos_signable_headers`] to sign what the vendor SDK signs.
    pub headers: &'a [(String, String)],
}

/// Every intermediate value of a COS signature. The secret key and sign key
/// are not kept; `http_string` may hold the `x-cos-security-token` and
/// `signature`/`authorization` replay the request, so `Debug` masks them.
#[derive(Clone, PartialEq, Eq)]
pub struct CosSignature {
    /// `start;end`.
    pub key_time: String,
    /// `HttpString`: method, path, parameters and headers, each line ended by `\n`.
    pub http_string: String,
    /// `StringToSign`: `sha1\n{key_time}\n{sha1(http_string)}\n`.
    pub string_to_sign: String,
    /// `q-header-list`: sorted, encoded, lower-case header names joined by `;`.
    pub header_list: String,
    /// `q-url-param-list`: sorted, encoded, lower-case parameter names.
    pub url_param_list: String,
    /// Lower-case hex HMAC-SHA1 signature.
    pub signature: String,
    /// The full `Authorization` value (`q-sign-algorithm=sha1&q-ak=...`).
    pub authorization: String,
}

use crate::redact::{MASK, is_credential_name, masked_pairs, masked_query};

impl std::fmt::Debug for Tc3Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signature replays the request: never print it.
        f.debug_struct("Tc3Signature")
            .field("canonical_request", &self.canonical_request)
            .field("signed_headers", &self.signed_headers)
            .field("credential_scope", &self.credential_scope)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &MASK)
            .field("authorization", &MASK)
            .finish()
    }
}

impl std::fmt::Debug for CosSignRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `x-cos-security-token` (and any signature) in the headers or
        // parameters is a credential: never print it.
        f.debug_struct("CosSignRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "params",
                &masked_pairs(self.params.iter().map(|(k, v)| (k, v))),
            )
            .field(
                "headers",
                &masked_pairs(self.headers.iter().map(|(k, v)| (k, v))),
            )
            .finish()
    }
}

impl std::fmt::Debug for CosSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosSignature")
            .field("key_time", &self.key_time)
            .field("http_string", &masked_query(&self.http_string))
            .field("string_to_sign", &self.string_to_sign)
            .field("header_list", &self.header_list)
            .field("url_param_list", &self.url_param_list)
            .field("signature", &MASK)
            .field("authorization", &MASK)
            .finish()
    }
}

fn cos_canonical_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (cos_encode(k).to_lowercase(), cos_encode(v)))
        .collect();
    out.sort();
    // The SDK keeps pairs in a dict: a repeated name keeps its last value.
    let mut dedup: Vec<(String, String)> = Vec::with_capacity(out.len());
    for (k, v) in out {
        if let Some(last) = dedup.last_mut() {
            if last.0 == k {
                last.1 = v;
                continue;
            }
        }
        dedup.push((k, v));
    }
    dedup
}

fn join_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sign a COS request valid from `start` to `end` (Unix seconds).
pub fn cos_sign(
    req: &CosSignRequest<'_>,
    secret_id: &str,
    secret_key: &Secret,
    start: i64,
    end: i64,
) -> CosSignature {
    let key_time = format!("{start};{end}");
    let params = cos_canonical_pairs(req.params);
    let headers = cos_canonical_pairs(req.headers);
    let http_string = format!(
        "{}\n{}\n{}\n{}\n",
        req.method.to_lowercase(),
        req.path,
        join_pairs(&params),
        join_pairs(&headers)
    );
    let string_to_sign = format!("sha1\n{key_time}\n{}\n", sha1_hex(http_string.as_bytes()));
    let sign_key = hmac_sha1_hex(secret_key.expose().as_bytes(), key_time.as_bytes());
    let signature = hmac_sha1_hex(sign_key.as_bytes(), string_to_sign.as_bytes());
    let header_list = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let url_param_list = params
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let authorization = format!(
        "q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}&q-header-list={header_list}&q-url-param-list={url_param_list}&q-signature={signature}"
    );
    CosSignature {
        key_time,
        http_string,
        string_to_sign,
        header_list,
        url_param_list,
        signature,
        authorization,
    }
}

/// A presigned COS URL: `{object_url}?{signature fields}&{params}`, built as
/// the vendor SDK builds it (fields and parameters form-encoded).
///
/// `object_url` is `https://{bucket}-{appid}.cos.{region}.myqcloud.com/{cos_encode_path(key)}`.
/// With temporary credentials, put `("x-cos-security-token", token)` in the
/// signed parameters so that it is signed and sent in the URL.
pub fn cos_presigned_url(
    object_url: &str,
    sig: &CosSignature,
    params: &[(String, String)],
) -> String {
    let fields: Vec<(String, String)> = sig
        .authorization
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut url = format!("{object_url}?{}", form_urlencode(&fields));
    if !params.is_empty() {
        url.push('&');
        url.push_str(&form_urlencode(params));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Debug` of the signing values shows neither the temporary token nor
    /// the (replayable) signature or `Authorization` value.
    #[test]
    fn signature_debug_hides_tokens_and_signatures() {
        let token = "TOKEN-secret-value-123";
        let params = vec![("x-cos-security-token".to_string(), token.to_string())];
        let headers = vec![
            (
                "Host".to_string(),
                "b-1250000000.cos.ap-guangzhou.myqcloud.com".to_string(),
            ),
            ("x-cos-security-token".to_string(), token.to_string()),
        ];
        let req = CosSignRequest {
            method: "GET",
            path: "/k",
            params: &params,
            headers: &headers,
        };
        let sig = cos_sign(&req, "AKIDexample", &Secret::new("key"), 1, 100);
        assert!(sig.http_string.contains(token), "the test token is signed");
        for dbg in [format!("{req:?}"), format!("{sig:?}")] {
            assert!(!dbg.contains(token), "{dbg}");
            assert!(!dbg.contains(&sig.signature), "{dbg}");
            assert!(!dbg.contains(&sig.authorization), "{dbg}");
            assert!(dbg.contains("***"), "{dbg}");
        }
        assert!(format!("{sig:?}").contains("x-cos-security-token=***"));
        let tc3 = tc3_sign(
            &Tc3Request {
                method: "POST",
                host: "cvm.tencentcloudapi.com",
                path: "/",
                query: "",
                content_type: "application/json",
                payload: b"{}",
                extra_signed_headers: &[],
                unsigned_payload: false,
            },
            "cvm",
            1551113065,
            "AKIDexample",
            &Secret::new("key"),
        );
        let dbg = format!("{tc3:?}");
        assert!(!dbg.contains(&tc3.signature), "{dbg}");
        assert!(!dbg.contains("Signature="), "{dbg}");
        assert!(dbg.contains("cvm/tc3_request"), "{dbg}");
    }

    const DOC_SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
    const DOC_SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
    /// The body of the documented example, with Python `json.dumps` escapes.
    const DOC_PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    /// Tencent Cloud API 3.0, "签名方法 v3" (Signature v3), CVM API reference
    /// (cloud.tencent.com/document/api/213/30654), worked example: POST
    /// DescribeInstances to cvm.tencentcloudapi.com at timestamp 1551113065,
    /// signed headers `content-type;host`. The document prints the payload
    /// hash, the canonical request, its hash `5ffe6a04...` and the signature
    /// `72e494ea809ad7a8c8f7a450***...f516e8da2f66e2c5a96525168`; its current
    /// edition masks the middle of the key (`Gu5t9xGARN**********QYCN3EXAMPLE`)
    /// and of the signature, earlier editions print the key
    /// `Gu5t9xGARNpq86cd98joQYCN3EXAMPLE` used here. The full signature below
    /// agrees with every published character.
    #[test]
    fn tc3_matches_the_published_example() {
        let req = Tc3Request {
            method: "POST",
            host: "cvm.tencentcloudapi.com",
            path: "/",
            query: "",
            content_type: "application/json; charset=utf-8",
            payload: DOC_PAYLOAD.as_bytes(),
            extra_signed_headers: &[],
            unsigned_payload: false,
        };
        assert_eq!(
            sha256_hex(DOC_PAYLOAD.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let sig = tc3_sign(
            &req,
            "cvm",
            1551113065,
            DOC_SECRET_ID,
            &Secret::new(DOC_SECRET_KEY),
        );
        assert_eq!(
            sig.canonical_request,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            sig.string_to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert!(sig.signature.starts_with("72e494ea809ad7a8c8f7a450"));
        assert!(sig.signature.ends_with("f516e8da2f66e2c5a96525168"));
        assert_eq!(
            sig.signature,
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(
            sig.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    /// The later edition of the same document signs `x-tc-action` too and
    /// prints the canonical-request hash `7019a55b...`.
    #[test]
    fn tc3_extra_signed_header_matches_the_later_edition() {
        let req = Tc3Request {
            method: "POST",
            host: "cvm.tencentcloudapi.com",
            path: "/",
            query: "",
            content_type: "application/json; charset=utf-8",
            payload: DOC_PAYLOAD.as_bytes(),
            extra_signed_headers: &[("X-TC-Action", "DescribeInstances")],
            unsigned_payload: false,
        };
        let (canonical, signed) = tc3_canonical_request(&req);
        assert_eq!(signed, "content-type;host;x-tc-action");
        assert!(canonical.contains("\nx-tc-action:describeinstances\n"));
        assert_eq!(
            tc3_string_to_sign(1551113065, "cvm", &canonical),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
    }

    #[test]
    fn utc_date_is_utc() {
        // 2019-02-26 00:44:25 in UTC+8 is still the 25th in UTC.
        assert_eq!(utc_date(1551113065), "2019-02-25");
        assert_eq!(utc_date(0), "1970-01-01");
    }

    #[test]
    fn headers_carry_common_parameters() {
        let req = Tc3Request {
            method: "POST",
            host: "cvm.tencentcloudapi.com",
            path: "/",
            query: "",
            content_type: CONTENT_TYPE_JSON,
            payload: b"{}",
            extra_signed_headers: &[],
            unsigned_payload: false,
        };
        let common = Tc3Common {
            action: "describeInstances",
            version: "2017-03-12",
            region: Some("ap-guangzhou"),
            language: Some("en-US"),
        };
        let h = sign_tc3_request(
            &req,
            &common,
            "cvm",
            1551113065,
            "AKID",
            &Secret::new("key"),
            Some(&Secret::new("tok")),
        );
        let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("X-TC-Action"), Some("DescribeInstances"));
        assert_eq!(get("X-TC-Version"), Some("2017-03-12"));
        assert_eq!(get("X-TC-Timestamp"), Some("1551113065"));
        assert_eq!(get("X-TC-Region"), Some("ap-guangzhou"));
        assert_eq!(get("X-TC-Token"), Some("tok"));
        assert_eq!(get("X-TC-Language"), Some("en-US"));
        assert!(get("Authorization").is_some_and(|a| {
            a.starts_with("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request")
        }));
        let no_region = Tc3Common {
            region: None,
            language: None,
            ..common
        };
        let h = sign_tc3_request(&req, &no_region, "cam", 1, "AKID", &Secret::new("k"), None);
        assert!(
            !h.iter()
                .any(|(k, _)| k == "X-TC-Region" || k == "X-TC-Token" || k == "X-TC-Language")
        );
    }

    #[test]
    fn form_encoding_matches_urlencode() {
        assert_eq!(
            form_encode("a b+c/d?e=f&g~h_i.j-k"),
            "a+b%2Bc%2Fd%3Fe%3Df%26g~h_i.j-k"
        );
        assert_eq!(form_encode("未命名"), "%E6%9C%AA%E5%91%BD%E5%90%8D");
        let q = form_urlencode(&[("Limit".into(), "1".into()), ("Name".into(), "a b".into())]);
        assert_eq!(q, "Limit=1&Name=a+b");
    }

    #[test]
    fn flatten_nested_params() {
        let v = serde_json::json!({
            "Limit": 20,
            "Filters": [{"Name": "zone", "Values": ["ap-1", "ap-2"]}],
            "DryRun": false,
            "Skip": null
        });
        let flat = flatten_params(&v);
        assert_eq!(
            flat,
            vec![
                ("DryRun".to_string(), "false".to_string()),
                ("Filters.0.Name".to_string(), "zone".to_string()),
                ("Filters.0.Values.0".to_string(), "ap-1".to_string()),
                ("Filters.0.Values.1".to_string(), "ap-2".to_string()),
                ("Limit".to_string(), "20".to_string()),
            ]
        );
    }

    #[test]
    fn signed_request_debug_hides_credentials() {
        let r = build_api_request(
            "https://cvm.tencentcloudapi.com",
            "cvm.tencentcloudapi.com",
            "cvm",
            &Tc3Common {
                action: "DescribeRegions",
                version: "2017-03-12",
                region: None,
                language: None,
            },
            &serde_json::json!({}),
            false,
            1,
            "AKID",
            &Secret::new("key"),
            Some(&Secret::new("SESSIONTOKEN")),
        )
        .unwrap();
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("SESSIONTOKEN"));
        assert!(!dbg.contains("Signature="));
        assert_eq!(r.url, "https://cvm.tencentcloudapi.com/");
        assert_eq!(r.body, b"{}");
    }

    const COS_SECRET_ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    const COS_SECRET_KEY: &str = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";

    /// COS API reference, "请求签名" (Request Signature,
    /// cloud.tencent.com/document/product/436/7778), example "上传对象"
    /// (upload an object): PUT /exampleobject(腾讯云) with KeyTime
    /// 1557989151;1557996351. The document signs `date` too (its example
    /// chooses the headers by hand).
    #[test]
    fn cos_matches_the_published_put_example() {
        let headers: Vec<(String, String)> = [
            ("Date", "Thu, 16 May 2019 06:45:51 GMT"),
            (
                "Host",
                "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
            ),
            ("Content-Type", "text/plain"),
            ("Content-Length", "13"),
            ("Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="),
            ("x-cos-acl", "private"),
            ("x-cos-grant-read", "uin=\"100000000011\""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let req = CosSignRequest {
            method: "PUT",
            path: "/exampleobject(腾讯云)",
            params: &[],
            headers: &headers,
        };
        let sig = cos_sign(
            &req,
            COS_SECRET_ID,
            &Secret::new(COS_SECRET_KEY),
            1557989151,
            1557996351,
        );
        assert_eq!(
            sig.header_list,
            "content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read"
        );
        assert_eq!(
            sig.http_string,
            "put\n/exampleobject(腾讯云)\n\ncontent-length=13&content-md5=mQ%2FfVh815F3k6TAUm8m0eg%3D%3D&content-type=text%2Fplain&date=Thu%2C%2016%20May%202019%2006%3A45%3A51%20GMT&host=examplebucket-1250000000.cos.ap-beijing.myqcloud.com&x-cos-acl=private&x-cos-grant-read=uin%3D%22100000000011%22\n"
        );
        assert_eq!(
            sig.string_to_sign,
            "sha1\n1557989151;1557996351\n8b2751e77f43a0995d6e9eb9477f4b685cca4172\n"
        );
        assert_eq!(
            hmac_sha1_hex(COS_SECRET_KEY.as_bytes(), b"1557989151;1557996351"),
            "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f"
        );
        assert_eq!(sig.signature, "3b8851a11a569213c17ba8fa7dcf2abec6935172");
        assert_eq!(
            sig.authorization,
            "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151;1557996351&q-key-time=1557989151;1557996351&q-header-list=content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read&q-url-param-list=&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172"
        );
    }

    /// Same document, example "下载对象" (download an object) with two
    /// response-* query parameters.
    #[test]
    fn cos_matches_the_published_get_example() {
        let headers: Vec<(String, String)> = vec![
            ("Date".into(), "Thu, 16 May 2019 06:55:53 GMT".into()),
            (
                "Host".into(),
                "examplebucket-1250000000.cos.ap-beijing.myqcloud.com".into(),
            ),
        ];
        let params: Vec<(String, String)> = vec![
            (
                "response-content-type".into(),
                "application/octet-stream".into(),
            ),
            ("response-cache-control".into(), "max-age=600".into()),
        ];
        let req = CosSignRequest {
            method: "GET",
            path: "/exampleobject(腾讯云)",
            params: &params,
            headers: &headers,
        };
        let sig = cos_sign(
            &req,
            COS_SECRET_ID,
            &Secret::new(COS_SECRET_KEY),
            1557989753,
            1557996953,
        );
        assert_eq!(
            sig.url_param_list,
            "response-cache-control;response-content-type"
        );
        assert_eq!(sig.header_list, "date;host");
        assert_eq!(
            sig.string_to_sign,
            "sha1\n1557989753;1557996953\n54ecfe22f59d3514fdc764b87a32d8133ea611e6\n"
        );
        assert_eq!(sig.signature, "01681b8c9d798a678e43b685a9f1bba0f6c0e012");
    }

    #[test]
    fn cos_header_filter_and_paths() {
        assert!(cos_is_signable_header("Host"));
        assert!(cos_is_signable_header("x-cos-meta-a"));
        assert!(cos_is_signable_header("X-CI-foo"));
        assert!(!cos_is_signable_header("Date"));
        assert!(!cos_is_signable_header("User-Agent"));
        assert_eq!(
            cos_encode_path("/a b/腾讯云(1).txt"),
            "a%20b/%E8%85%BE%E8%AE%AF%E4%BA%91%281%29.txt"
        );
        assert_eq!(cos_encode_path("dir/./x"), "dir/.%2Fx");
        assert_eq!(cos_encode("a b/c"), "a%20b%2Fc");
        assert_eq!(cos_sign_window(1000, 300), (940, 1300));
    }

    #[test]
    fn cos_presigned_url_has_signature_then_params() {
        let params: Vec<(String, String)> = vec![("x-cos-security-token".into(), "tok en".into())];
        let req = CosSignRequest {
            method: "GET",
            path: "/a.txt",
            params: &params,
            headers: &[(
                "host".into(),
                "b-1250000000.cos.ap-beijing.myqcloud.com".into(),
            )],
        };
        let sig = cos_sign(&req, "AKID", &Secret::new("k"), 1, 2);
        let url = cos_presigned_url(
            "https://b-1250000000.cos.ap-beijing.myqcloud.com/a.txt",
            &sig,
            &params,
        );
        assert!(url.starts_with("https://b-1250000000.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1%3B2&q-key-time=1%3B2&q-header-list=host&q-url-param-list=x-cos-security-token&q-signature="));
        assert!(url.ends_with("&x-cos-security-token=tok+en"));
    }
}
