//! COS (Cloud Object Storage) XML API: service, bucket and object
//! operations, multipart uploads, presigned URLs.

use chrono::{DateTime, TimeZone, Utc};
use http::{Method, StatusCode};

use super::errors::{cos_error, cos_from_estate};
use super::{NAME, TempCreds, sign};
use crate::estate::{AuthIdentity, Estate, EstateError, ListObjectsQuery, PutObject, Scope, Tags};
use crate::frontend::{
    Ctx, Frontend, SimRequest, SimResponse, Xml, percent_decode, percent_encode_strict,
};

/// The COS frontend (id `tencent-cos`).
#[derive(Debug, Default, Clone)]
pub struct TencentCos {
    temp: TempCreds,
}

impl TencentCos {
    /// A frontend with its own store of temporary credentials.
    pub fn new() -> Self {
        TencentCos::default()
    }

    pub(crate) fn with_temp(temp: TempCreds) -> Self {
        TencentCos { temp }
    }
}

/// What a COS request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// `name-appid` as on the wire, when a bucket is addressed.
    bucket: Option<String>,
    /// Region named by the host.
    region: Option<String>,
    /// Object key (decoded), empty for the bucket itself.
    key: String,
}

fn strip_domain(host: &str) -> Option<&str> {
    host.strip_suffix(".myqcloud.com")
        .or_else(|| host.strip_suffix(".tencentcos.cn"))
}

/// Parse the Host (and, off the COS domains, a path-style bucket).
fn target(req: &SimRequest) -> Target {
    let path = percent_decode(req.path(), false);
    let path = path.strip_prefix('/').unwrap_or(&path).to_string();
    if let Some(rest) = strip_domain(&req.host) {
        // {bucket}.cos.{region} | cos.{region} | service.cos
        if let Some((bucket, region)) = rest.split_once(".cos.") {
            if bucket != "service" {
                return Target {
                    bucket: Some(bucket.to_string()),
                    region: Some(region.to_string()),
                    key: path,
                };
            }
        }
        if let Some(region) = rest.strip_prefix("cos.") {
            return Target {
                bucket: None,
                region: Some(region.to_string()),
                key: path,
            };
        }
        return Target {
            bucket: None,
            region: None,
            key: path,
        };
    }
    // Own port with a bare address: path-style `/{bucket}-{appid}/{key}`.
    match path.split_once('/') {
        _ if path.is_empty() => Target {
            bucket: None,
            region: None,
            key: String::new(),
        },
        Some((b, k)) => Target {
            bucket: Some(b.to_string()),
            region: None,
            key: k.to_string(),
        },
        None => Target {
            bucket: Some(path.clone()),
            region: None,
            key: String::new(),
        },
    }
}

fn has_q(req: &SimRequest, name: &str) -> bool {
    req.query_pairs().iter().any(|(k, _)| k == name)
}

fn action_of(req: &SimRequest) -> &'static str {
    let t = target(req);
    let m = &req.method;
    if t.bucket.is_none() {
        return if *m == Method::GET {
            "ListBuckets"
        } else {
            "Unknown"
        };
    }
    if t.key.is_empty() {
        return match *m {
            Method::PUT => "PutBucket",
            Method::DELETE => "DeleteBucket",
            Method::HEAD => "HeadBucket",
            Method::GET if has_q(req, "uploads") => "ListMultipartUploads",
            Method::POST if has_q(req, "delete") => "DeleteMultipleObjects",
            Method::GET => "ListObjects",
            _ => "Unknown",
        };
    }
    match *m {
        Method::HEAD => "HeadObject",
        Method::GET if has_q(req, "uploadId") => "ListParts",
        Method::GET => "GetObject",
        Method::PUT if has_q(req, "partNumber") => "UploadPart",
        Method::PUT if req.headers.contains_key("x-cos-copy-source") => "CopyObject",
        Method::PUT => "PutObject",
        Method::POST if has_q(req, "uploads") => "InitiateMultipartUpload",
        Method::POST if has_q(req, "uploadId") => "CompleteMultipartUpload",
        Method::DELETE if has_q(req, "uploadId") => "AbortMultipartUpload",
        Method::DELETE => "DeleteObject",
        _ => "Unknown",
    }
}

fn gmt(t: &DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn iso_ms(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn app_id(estate: &Estate, account: &str) -> String {
    estate
        .accounts(NAME)
        .into_iter()
        .find(|a| a.id == account)
        .and_then(|a| a.extras.get("app_id").cloned())
        .unwrap_or_default()
}

struct Req<'a> {
    ctx: &'a Ctx,
    req: &'a SimRequest,
    auth: &'a AuthIdentity,
    t: Target,
    head: bool,
}

impl Req<'_> {
    fn err(&self, status: StatusCode, code: &str, msg: &str) -> SimResponse {
        cos_error(
            self.ctx,
            status,
            code,
            msg,
            &format!("{}{}", self.req.host, self.req.path()),
            self.head,
        )
    }

    fn estate_err(&self, e: &EstateError) -> SimResponse {
        let (s, code) = cos_from_estate(e);
        self.err(s, code, &e.to_string())
    }

    fn ok(&self, status: StatusCode) -> SimResponse {
        let rid = self.ctx.request_id();
        SimResponse::empty(status)
            .with_header("x-cos-request-id", &rid)
            .with_header("server", "tencent-cos")
    }

    fn xml(&self, body: String) -> SimResponse {
        let rid = self.ctx.request_id();
        SimResponse::xml(StatusCode::OK, body)
            .with_header("x-cos-request-id", &rid)
            .with_header("server", "tencent-cos")
    }

    fn estate(&self) -> &Estate {
        &self.ctx.estate
    }

    fn account(&self) -> &str {
        &self.auth.account
    }

    /// The estate name of the addressed bucket (`name-appid` minus `-appid`).
    #[allow(clippy::result_large_err)] // the error is the response itself
    fn bucket(&self) -> Result<String, SimResponse> {
        let Some(wire) = &self.t.bucket else {
            return Err(self.err(StatusCode::BAD_REQUEST, "InvalidURI", "no bucket"));
        };
        let appid = app_id(self.estate(), self.account());
        match wire.strip_suffix(&format!("-{appid}")) {
            Some(name) if !name.is_empty() && !appid.is_empty() => Ok(name.to_string()),
            _ => Err(self.err(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "The bucket name must end with the APPID of the account.",
            )),
        }
    }
}

fn meta_of(req: &SimRequest) -> Tags {
    req.headers
        .iter()
        .filter_map(|(k, v)| {
            let k = k.as_str().strip_prefix("x-cos-meta-")?;
            Some((k.to_string(), v.to_str().ok()?.to_string()))
        })
        .collect()
}

fn tag_text(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_string());
        rest = &after[j + close.len()..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Frontend for TencentCos {
    fn name(&self) -> &str {
        NAME
    }

    fn id(&self) -> &str {
        "tencent-cos"
    }

    fn matches_host(&self, host: &str) -> bool {
        strip_domain(host)
            .is_some_and(|r| r == "service.cos" || r.starts_with("cos.") || r.contains(".cos."))
    }

    fn cert_names(&self, regions: &[String]) -> Vec<String> {
        let mut v = vec!["service.cos.myqcloud.com".to_string()];
        for r in regions {
            v.push(format!("cos.{r}.myqcloud.com"));
            v.push(format!("*.cos.{r}.myqcloud.com"));
        }
        v
    }

    fn action(&self, req: &SimRequest) -> String {
        action_of(req).to_string()
    }

    fn is_mutating(&self, _req: &SimRequest, action: &str) -> bool {
        !matches!(
            action,
            "ListBuckets"
                | "HeadBucket"
                | "ListObjects"
                | "HeadObject"
                | "GetObject"
                | "ListParts"
                | "ListMultipartUploads"
        )
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        let (start, _) = sign::parse_cos(req)?.window()?;
        // SDKs start the window 60 s before "now".
        Utc.timestamp_opt(start + 60, 0).single()
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let head = req.method == Method::HEAD;
        let resource = format!("{}{}", req.host, req.path());
        let fail =
            |s: StatusCode, code: &str, msg: &str| cos_error(ctx, s, code, msg, &resource, head);
        let Some(auth) = sign::parse_cos(req) else {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access Denied.",
            ));
        };
        let token = req
            .header("x-cos-security-token")
            .map(str::to_string)
            .or_else(|| req.query("x-cos-security-token"));
        let identity = match self.temp.lookup(ctx, &auth.ak) {
            Some((id, want)) => {
                if token.as_deref() != Some(want.as_str()) {
                    return Err(fail(
                        StatusCode::FORBIDDEN,
                        "InvalidAccessKeyId",
                        "The security token is invalid.",
                    ));
                }
                id
            }
            None => ctx.auth(NAME, &auth.ak).ok_or_else(|| {
                fail(
                    StatusCode::FORBIDDEN,
                    "InvalidAccessKeyId",
                    "The access key Id format you provided is invalid.",
                )
            })?,
        };
        let Some((start, end)) = auth.window() else {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "q-sign-time is malformed.",
            ));
        };
        let now = ctx.now().timestamp();
        if now < start - crate::frontends::tencent::MAX_SKEW_SECS || now > end {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Request has expired",
            ));
        }
        if !sign::cos_headers_present(req, &auth) {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "A signed header is missing.",
            ));
        }
        let secret = identity.secret.expose();
        let matches = [false, true].into_iter().any(|strip| {
            sign::same(
                &sign::cos_signature(req, &auth, secret, strip),
                &auth.signature,
            )
        });
        if !matches {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "The Signature you specified does not match what we calculated.",
            ));
        }
        Ok(identity)
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        let r = Req {
            ctx,
            req,
            auth,
            t: target(req),
            head: req.method == Method::HEAD,
        };
        match action_of(req) {
            "ListBuckets" => list_buckets(&r),
            "PutBucket" => put_bucket(&r),
            "DeleteBucket" => delete_bucket(&r),
            "HeadBucket" => head_bucket(&r),
            "ListObjects" => list_objects(&r),
            "HeadObject" | "GetObject" => get_object(&r),
            "PutObject" => put_object(&r),
            "CopyObject" => copy_object(&r),
            "DeleteObject" => delete_object(&r),
            "DeleteMultipleObjects" => delete_objects(&r),
            "InitiateMultipartUpload" => initiate(&r),
            "UploadPart" => upload_part(&r),
            "CompleteMultipartUpload" => complete(&r),
            "AbortMultipartUpload" => abort(&r),
            _ => r.err(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "This operation is not simulated.",
            ),
        }
    }

    fn throttle_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        cos_error(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
            req.path(),
            req.method == Method::HEAD,
        )
    }

    fn server_error_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        cos_error(
            ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
            req.path(),
            req.method == Method::HEAD,
        )
    }

    fn expired_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        cos_error(
            ctx,
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
            req.path(),
            req.method == Method::HEAD,
        )
    }
}

fn list_buckets(r: &Req) -> SimResponse {
    let buckets = match r.estate().buckets(NAME, r.account()) {
        Ok(b) => b,
        Err(e) => return r.estate_err(&e),
    };
    let appid = app_id(r.estate(), r.account());
    let region = r.t.region.clone().or_else(|| r.req.query("region"));
    let owner = r.account();
    let x = Xml::new()
        .open("ListAllMyBucketsResult")
        .open("Owner")
        .elem("ID", &format!("qcs::cam::uin/{owner}:uin/{owner}"))
        .elem("DisplayName", owner)
        .close("Owner")
        .open("Buckets")
        .with(|mut x| {
            for b in buckets
                .iter()
                .filter(|b| region.as_ref().is_none_or(|rg| *rg == b.region))
            {
                x = x
                    .open("Bucket")
                    .elem("Name", &format!("{}-{appid}", b.name))
                    .elem("Location", &b.region)
                    .elem("CreationDate", &iso_ms(&b.created_at))
                    .elem("BucketType", "cos")
                    .close("Bucket");
            }
            x
        })
        .close("Buckets")
        .close("ListAllMyBucketsResult")
        .finish();
    r.xml(x)
}

fn put_bucket(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let Some(region) = r.t.region.clone() else {
        return r.err(
            StatusCode::BAD_REQUEST,
            "InvalidLocationConstraint",
            "The region is not given by the host.",
        );
    };
    let scope = Scope::new(NAME, r.account(), region);
    match r
        .estate()
        .create_bucket(&scope, &name, r.req.header("x-cos-storage-class"))
    {
        Ok(_) => r.ok(StatusCode::OK),
        Err(EstateError::AlreadyExists { .. }) => {
            let own = r
                .estate()
                .bucket_owner(NAME, &name)
                .is_some_and(|(a, _)| a == r.account());
            if own {
                r.err(StatusCode::CONFLICT, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
            } else {
                r.err(
                    StatusCode::CONFLICT,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available.",
                )
            }
        }
        Err(e) => r.estate_err(&e),
    }
}

fn delete_bucket(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    match r.estate().delete_bucket(NAME, r.account(), &name) {
        Ok(()) => r.ok(StatusCode::NO_CONTENT),
        Err(e) => r.estate_err(&e),
    }
}

fn head_bucket(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    match r.estate().bucket_location(NAME, r.account(), &name) {
        Ok(region) => r
            .ok(StatusCode::OK)
            .with_header("x-cos-bucket-region", &region),
        Err(e) => r.estate_err(&e),
    }
}

fn list_objects(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let q = |k: &str| r.req.query(k).filter(|s| !s.is_empty());
    let max_keys = match q("max-keys").map(|m| m.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if n <= 1000 => n,
        Some(_) => {
            return r.err(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "max-keys must be 0 to 1000.",
            );
        }
    };
    let url = q("encoding-type").as_deref() == Some("url");
    let enc = |s: &str| {
        if url {
            percent_encode_strict(s).replace("%2F", "/")
        } else {
            s.to_string()
        }
    };
    let lq = ListObjectsQuery {
        prefix: q("prefix"),
        delimiter: q("delimiter"),
        start_after: q("marker"),
        max_keys,
    };
    let listing = if max_keys == 0 {
        Ok(crate::estate::ObjectListing::default())
    } else {
        r.estate().list_objects(NAME, r.account(), &name, &lq)
    };
    let listing = match listing {
        Ok(l) => l,
        Err(e) => return r.estate_err(&e),
    };
    let owner = r.account().to_string();
    let x = Xml::new()
        .open("ListBucketResult")
        .elem("Name", r.t.bucket.as_deref().unwrap_or_default())
        .with(|x| {
            if url {
                x.elem("EncodingType", "url")
            } else {
                x
            }
        })
        .elem("Prefix", &enc(&lq.prefix.clone().unwrap_or_default()))
        .elem("Marker", &enc(&lq.start_after.clone().unwrap_or_default()))
        .elem("MaxKeys", &max_keys.to_string())
        .with(|x| match &lq.delimiter {
            Some(d) => x.elem("Delimiter", &enc(d)),
            None => x,
        })
        .elem(
            "IsTruncated",
            if listing.is_truncated {
                "true"
            } else {
                "false"
            },
        )
        .with(|x| match &listing.next_marker {
            Some(m) => x.elem("NextMarker", &enc(m)),
            None => x,
        })
        .with(|mut x| {
            for p in &listing.common_prefixes {
                x = x
                    .open("CommonPrefixes")
                    .elem("Prefix", &enc(p))
                    .close("CommonPrefixes");
            }
            for o in &listing.objects {
                x = x
                    .open("Contents")
                    .elem("Key", &enc(&o.key))
                    .elem("LastModified", &iso_ms(&o.last_modified))
                    .elem("ETag", &format!("\"{}\"", o.etag))
                    .elem("Size", &object_size(r, &name, &o.key).to_string())
                    .open("Owner")
                    .elem("ID", &owner)
                    .elem("DisplayName", &owner)
                    .close("Owner")
                    .elem("StorageClass", &o.storage_class)
                    .close("Contents");
            }
            x
        })
        .close("ListBucketResult")
        .finish();
    r.xml(x)
}

fn object_size(r: &Req, bucket: &str, key: &str) -> usize {
    r.estate()
        .get_object(NAME, r.account(), bucket, key)
        .map(|o| o.data.len())
        .unwrap_or(0)
}

fn parse_range(h: &str, len: usize) -> Option<(usize, usize)> {
    let spec = h.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    if len == 0 {
        return None;
    }
    let (start, end) = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        (len.saturating_sub(n), len - 1)
    } else {
        let s: usize = a.parse().ok()?;
        let e = if b.is_empty() {
            len - 1
        } else {
            b.parse::<usize>().ok()?.min(len - 1)
        };
        (s, e)
    };
    (start <= end && start < len).then_some((start, end))
}

fn get_object(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let o = match r.estate().get_object(NAME, r.account(), &name, &r.t.key) {
        Ok(o) => o,
        Err(e) => return r.estate_err(&e),
    };
    let len = o.data.len();
    let (status, body, range) = match r.req.header("range") {
        Some(h) => match parse_range(h, len) {
            Some((s, e)) => (
                StatusCode::PARTIAL_CONTENT,
                o.data[s..=e].to_vec(),
                Some((s, e)),
            ),
            None => {
                return r.err(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "InvalidRange",
                    "The requested range is not satisfiable.",
                );
            }
        },
        None => (StatusCode::OK, o.data.clone(), None),
    };
    let rid = r.ctx.request_id();
    let mut resp = if r.head {
        SimResponse::empty(status).with_header("content-length", &body.len().to_string())
    } else {
        SimResponse::new(status, body)
    };
    resp = resp
        .with_header("etag", &format!("\"{}\"", o.etag))
        .with_header("last-modified", &gmt(&o.last_modified))
        .with_header(
            "content-type",
            o.content_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
        )
        .with_header("accept-ranges", "bytes")
        .with_header("x-cos-request-id", &rid)
        .with_header("server", "tencent-cos");
    if let Some((s, e)) = range {
        resp = resp.with_header("content-range", &format!("bytes {s}-{e}/{len}"));
    }
    if o.storage_class != "STANDARD" {
        resp = resp.with_header("x-cos-storage-class", &o.storage_class);
    }
    for (k, v) in &o.metadata {
        resp = resp.with_header(&format!("x-cos-meta-{k}"), v);
    }
    resp
}

fn put_object(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let put = PutObject {
        key: r.t.key.clone(),
        data: r.req.body.to_vec(),
        content_type: r.req.header("content-type").map(str::to_string),
        metadata: meta_of(r.req),
        storage_class: r.req.header("x-cos-storage-class").map(str::to_string),
    };
    match r.estate().put_object(NAME, r.account(), &name, put) {
        Ok(o) => r
            .ok(StatusCode::OK)
            .with_header("etag", &format!("\"{}\"", o.etag)),
        Err(e) => r.estate_err(&e),
    }
}

fn copy_object(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let src = r.req.header("x-cos-copy-source").unwrap_or_default();
    // {bucket}-{appid}.cos.{region}.myqcloud.com/{key}
    let Some((host, key)) = src.trim_start_matches('/').split_once('/') else {
        return r.err(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "x-cos-copy-source is malformed.",
        );
    };
    let key = percent_decode(key.split('?').next().unwrap_or(key), false);
    let wire_bucket = host.split(".cos.").next().unwrap_or(host);
    let appid = app_id(r.estate(), r.account());
    let Some(src_bucket) = wire_bucket.strip_suffix(&format!("-{appid}")) else {
        return r.err(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "The source bucket is not the account's.",
        );
    };
    match r
        .estate()
        .copy_object(NAME, r.account(), (src_bucket, &key), (&name, &r.t.key))
    {
        Ok(o) => r.xml(
            Xml::new()
                .open("CopyObjectResult")
                .elem("ETag", &format!("\"{}\"", o.etag))
                .elem("LastModified", &iso_ms(&o.last_modified))
                .close("CopyObjectResult")
                .finish(),
        ),
        Err(e) => r.estate_err(&e),
    }
}

fn delete_object(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    match r.estate().delete_object(NAME, r.account(), &name, &r.t.key) {
        Ok(_) => r.ok(StatusCode::NO_CONTENT),
        Err(e) => r.estate_err(&e),
    }
}

fn delete_objects(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let body = r.req.body_text().unwrap_or_default();
    let objects = tag_text(body, "Object");
    if objects.is_empty() || objects.len() > 1000 {
        return r.err(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed.",
        );
    }
    let quiet = tag_text(body, "Quiet")
        .first()
        .is_some_and(|q| q.trim() == "true");
    let mut x = Xml::new().open("DeleteResult");
    for o in objects {
        let Some(key) = tag_text(&o, "Key").first().map(|k| unescape(k)) else {
            return r.err(
                StatusCode::BAD_REQUEST,
                "MalformedXML",
                "The XML you provided was not well-formed.",
            );
        };
        match r.estate().delete_object(NAME, r.account(), &name, &key) {
            Ok(_) if quiet => {}
            Ok(_) => x = x.open("Deleted").elem("Key", &key).close("Deleted"),
            Err(e) => {
                let (_, code) = cos_from_estate(&e);
                x = x
                    .open("Error")
                    .elem("Key", &key)
                    .elem("Code", code)
                    .elem("Message", &e.to_string())
                    .close("Error");
            }
        }
    }
    r.xml(x.close("DeleteResult").finish())
}

fn initiate(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let ct = r.req.header("content-type").map(str::to_string);
    match r
        .estate()
        .create_upload(NAME, r.account(), &name, &r.t.key, ct, meta_of(r.req))
    {
        Ok(id) => r.xml(
            Xml::new()
                .open("InitiateMultipartUploadResult")
                .elem("Bucket", r.t.bucket.as_deref().unwrap_or_default())
                .elem("Key", &r.t.key)
                .elem("UploadId", &id)
                .close("InitiateMultipartUploadResult")
                .finish(),
        ),
        Err(e) => r.estate_err(&e),
    }
}

fn upload_part(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let upload = r.req.query("uploadId").unwrap_or_default();
    let Some(n) = r
        .req
        .query("partNumber")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|n| (1..=10_000).contains(n))
    else {
        return r.err(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "partNumber must be 1 to 10000.",
        );
    };
    match r
        .estate()
        .upload_part(NAME, r.account(), &name, &upload, n, r.req.body.to_vec())
    {
        Ok(etag) => r
            .ok(StatusCode::OK)
            .with_header("etag", &format!("\"{etag}\"")),
        Err(e) => r.estate_err(&e),
    }
}

fn complete(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let upload = r.req.query("uploadId").unwrap_or_default();
    let body = r.req.body_text().unwrap_or_default();
    let mut parts = Vec::new();
    for p in tag_text(body, "Part") {
        let n = tag_text(&p, "PartNumber")
            .first()
            .and_then(|x| x.trim().parse::<u32>().ok());
        let e = tag_text(&p, "ETag")
            .first()
            .map(|x| unescape(x).trim().trim_matches('"').to_string());
        match (n, e) {
            (Some(n), Some(e)) => parts.push((n, e)),
            _ => {
                return r.err(
                    StatusCode::BAD_REQUEST,
                    "MalformedXML",
                    "The XML you provided was not well-formed.",
                );
            }
        }
    }
    if parts.is_empty() {
        return r.err(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed.",
        );
    }
    match r
        .estate()
        .complete_upload(NAME, r.account(), &name, &upload, &parts)
    {
        Ok(o) => r.xml(
            Xml::new()
                .open("CompleteMultipartUploadResult")
                .elem("Location", &format!("{}/{}", r.req.host, o.key))
                .elem("Bucket", r.t.bucket.as_deref().unwrap_or_default())
                .elem("Key", &o.key)
                .elem("ETag", &format!("\"{}\"", o.etag))
                .close("CompleteMultipartUploadResult")
                .finish(),
        ),
        Err(e) => r.estate_err(&e),
    }
}

fn abort(r: &Req) -> SimResponse {
    let name = match r.bucket() {
        Ok(n) => n,
        Err(e) => return e,
    };
    let upload = r.req.query("uploadId").unwrap_or_default();
    match r.estate().abort_upload(NAME, r.account(), &name, &upload) {
        Ok(()) => r.ok(StatusCode::NO_CONTENT),
        Err(e) => r.estate_err(&e),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;

    use super::*;

    #[test]
    fn hosts_and_actions() {
        let f = TencentCos::new();
        assert!(f.matches_host("b-1250000000.cos.ap-guangzhou.myqcloud.com"));
        assert!(f.matches_host("service.cos.myqcloud.com"));
        assert!(f.matches_host("cos.ap-shanghai.myqcloud.com"));
        assert!(!f.matches_host("cvm.tencentcloudapi.com"));
        let r = SimRequest::new(
            Method::PUT,
            "b-1250000000.cos.ap-guangzhou.myqcloud.com",
            "/a%20b?partNumber=1&uploadId=x",
            HeaderMap::new(),
            Bytes::new(),
        );
        let t = target(&r);
        assert_eq!(t.bucket.as_deref(), Some("b-1250000000"));
        assert_eq!(t.region.as_deref(), Some("ap-guangzhou"));
        assert_eq!(t.key, "a b");
        assert_eq!(action_of(&r), "UploadPart");
        let s = SimRequest::new(
            Method::GET,
            "service.cos.myqcloud.com",
            "/",
            HeaderMap::new(),
            Bytes::new(),
        );
        assert_eq!(action_of(&s), "ListBuckets");
        assert_eq!(parse_range("bytes=2-4", 10), Some((2, 4)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=20-", 10), None);
    }
}
