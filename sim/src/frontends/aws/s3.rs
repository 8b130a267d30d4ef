//! The S3 frontend ([`AwsS3`], id `aws-s3`): REST/XML.
//!
//! Hosts `s3.amazonaws.com`, `s3.{region}.amazonaws.com` (path-style),
//! `{bucket}.s3.amazonaws.com`, `{bucket}.s3.{region}.amazonaws.com`
//! (virtual-hosted), the `.amazonaws.com.cn` forms, or any host on its own
//! port (path-style there). Requests are SigV4-signed (header or presigned
//! query) with S3's rules: the path is signed as sent and the payload hash is
//! `x-amz-content-sha256` (hex, `UNSIGNED-PAYLOAD`, or `STREAMING-*` with an
//! `aws-chunked` body, whose chunk signatures are checked).
//!
//! Operations: ListBuckets (`prefix`, `max-buckets`, `continuation-token`,
//! `bucket-region`; `BucketRegion` in each entry), CreateBucket
//! (`LocationConstraint`), DeleteBucket, HeadBucket (`x-amz-bucket-region`),
//! GetBucketLocation, ListObjectsV2 (`prefix`, `delimiter`,
//! `continuation-token`, `start-after`, `max-keys`) and ListObjects (v1,
//! `marker`), HeadObject, GetObject (`Range` → 206), PutObject (user
//! metadata `x-amz-meta-*`), DeleteObject, CopyObject (`x-amz-copy-source`),
//! DeleteObjects (`POST ?delete`), CreateMultipartUpload, UploadPart,
//! CompleteMultipartUpload, AbortMultipartUpload. Errors are `<Error><Code>..` with the HTTP status
//! S3 documents; HEAD errors have no body.

use chrono::{DateTime, Utc};
use http::{Method, StatusCode};

use super::errors::{self, AwsError, Protocol, s3_from_estate};
use super::{AuthFailure, NAME, TempCreds, amz_date, iso, parse_amz_date, sigv4, verify_request};
use crate::estate::{AuthIdentity, EstateError, ListObjectsQuery, Object, PutObject, Scope, Tags};
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse, Xml, percent_decode};

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

type R = Result<SimResponse, AwsError>;

/// The S3 frontend.
#[derive(Debug, Default, Clone)]
pub struct AwsS3 {
    temp: TempCreds,
}

impl AwsS3 {
    /// A frontend with its own store of temporary credentials.
    pub fn new() -> Self {
        AwsS3::default()
    }

    pub(crate) fn with_temp(temp: TempCreds) -> Self {
        AwsS3 { temp }
    }
}

/// `(bucket from the host, region from the host)` for S3 hosts; `None`
/// when the host is not S3's.
pub fn parse_host(host: &str) -> Option<(Option<String>, Option<String>)> {
    let rest = super::strip_aws_suffix(host)?;
    if rest == "s3" {
        return Some((None, None));
    }
    if let Some(region) = rest.strip_prefix("s3.") {
        if !region.contains('.') {
            return Some((None, Some(region.to_string())));
        }
    }
    if let Some(bucket) = rest.strip_suffix(".s3") {
        return Some((Some(bucket.to_string()), None));
    }
    let idx = rest.rfind(".s3.")?;
    let region = &rest[idx + 4..];
    if region.contains('.') || region.is_empty() {
        return None;
    }
    Some((Some(rest[..idx].to_string()), Some(region.to_string())))
}

/// Bucket and key of a request (key decoded; empty when none).
fn target(req: &SimRequest) -> (Option<String>, String) {
    let host_bucket = if req.via_frontend_port {
        None
    } else {
        parse_host(&req.host).and_then(|(b, _)| b)
    };
    let path = req.path();
    match host_bucket {
        Some(b) => (Some(b), percent_decode(path.trim_start_matches('/'), false)),
        None => {
            let p = path.trim_start_matches('/');
            match p.split_once('/') {
                Some((b, k)) => (Some(percent_decode(b, false)), percent_decode(k, false)),
                None if p.is_empty() => (None, String::new()),
                None => (Some(percent_decode(p, false)), String::new()),
            }
        }
    }
}

fn has_q(req: &SimRequest, name: &str) -> bool {
    req.query_pairs().iter().any(|(k, _)| k == name)
}

fn http_date(t: &DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn quoted(etag: &str) -> String {
    format!("\"{}\"", etag.trim_matches('"'))
}

/// Values of `<tag>..</tag>` in order (no nesting of the same tag).
fn tag_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
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

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn encode_token(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn decode_token(s: &str) -> Option<String> {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s).ok()?).ok()
}

impl Frontend for AwsS3 {
    fn name(&self) -> &str {
        NAME
    }

    fn id(&self) -> &str {
        "aws-s3"
    }

    fn matches_host(&self, host: &str) -> bool {
        parse_host(host).is_some()
    }

    fn cert_names(&self, regions: &[String]) -> Vec<String> {
        let mut v = vec![
            "s3.amazonaws.com".to_string(),
            "*.s3.amazonaws.com".to_string(),
        ];
        for r in regions {
            v.push(format!("s3.{r}.amazonaws.com"));
            v.push(format!("*.s3.{r}.amazonaws.com"));
        }
        v
    }

    fn region(&self, req: &SimRequest) -> Option<String> {
        super::request_region(req)
    }

    fn action(&self, req: &SimRequest) -> String {
        let (bucket, key) = target(req);
        let m = &req.method;
        let s = match (bucket.is_some(), key.is_empty()) {
            (false, _) => "ListBuckets",
            (true, true) => match *m {
                Method::PUT => "CreateBucket",
                Method::DELETE => "DeleteBucket",
                Method::HEAD => "HeadBucket",
                Method::POST if has_q(req, "delete") => "DeleteObjects",
                _ if has_q(req, "location") => "GetBucketLocation",
                _ if req.query("list-type").as_deref() == Some("2") => "ListObjectsV2",
                _ => "ListObjects",
            },
            (true, false) => match *m {
                Method::PUT if has_q(req, "uploadId") => "UploadPart",
                Method::PUT if req.header("x-amz-copy-source").is_some() => "CopyObject",
                Method::PUT => "PutObject",
                Method::HEAD => "HeadObject",
                Method::DELETE if has_q(req, "uploadId") => "AbortMultipartUpload",
                Method::DELETE => "DeleteObject",
                Method::POST if has_q(req, "uploads") => "CreateMultipartUpload",
                Method::POST if has_q(req, "uploadId") => "CompleteMultipartUpload",
                _ => "GetObject",
            },
        };
        s.to_string()
    }

    fn is_mutating(&self, _req: &SimRequest, action: &str) -> bool {
        !matches!(
            action,
            "ListBuckets"
                | "HeadBucket"
                | "GetBucketLocation"
                | "ListObjectsV2"
                | "ListObjects"
                | "HeadObject"
                | "GetObject"
        )
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        // Presigned URLs carry their signing time and an expiry instead.
        req.header("authorization")?;
        parse_amz_date(&amz_date(req)?)
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        match verify_request(ctx, req, &self.temp, true) {
            Ok(id) => Ok(id),
            Err(f) => Err(render(ctx, req, &errors::auth_error(Protocol::S3, &f, ctx))),
        }
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        let action = self.action(req);
        match serve(ctx, req, auth, &action) {
            Ok(r) => r.with_header("x-amz-request-id", &ctx.request_id()),
            Err(e) => render(ctx, req, &e),
        }
    }

    fn throttle_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        render(
            ctx,
            req,
            &AwsError::new(503, "SlowDown", "Please reduce your request rate."),
        )
    }

    fn server_error_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        render(
            ctx,
            req,
            &AwsError::new(
                500,
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
        )
    }

    fn expired_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        let f = AuthFailure::Skewed {
            request_time: amz_date(req).unwrap_or_default(),
        };
        render(ctx, req, &errors::auth_error(Protocol::S3, &f, ctx))
    }
}

/// An S3 error; HEAD answers carry no body.
fn render(ctx: &Ctx, req: &SimRequest, e: &AwsError) -> SimResponse {
    let mut r = errors::render(ctx, Protocol::S3, e);
    if req.method == Method::HEAD {
        r.body = bytes::Bytes::new();
        r.headers.remove(http::header::CONTENT_TYPE);
    }
    r
}

fn est<T>(r: Result<T, EstateError>) -> Result<T, AwsError> {
    r.map_err(|e| match &e {
        EstateError::InUse {
            kind: crate::estate::ResourceKind::Bucket,
            id,
            ..
        } => AwsError::new(
            409,
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
        )
        .with("BucketName", id),
        _ => s3_from_estate(&e),
    })
}

fn no_such_bucket(name: &str) -> AwsError {
    s3_from_estate(&EstateError::NotFound {
        kind: crate::estate::ResourceKind::Bucket,
        id: name.to_string(),
    })
}

/// The request's payload: `aws-chunked` decoded when it is.
fn payload(req: &SimRequest) -> Result<Vec<u8>, AwsError> {
    let streaming = req
        .header("x-amz-content-sha256")
        .is_some_and(|h| h.starts_with("STREAMING-"))
        || req
            .header("content-encoding")
            .is_some_and(|h| h.split(',').any(|p| p.trim() == "aws-chunked"));
    if !streaming {
        return Ok(req.body.to_vec());
    }
    let c = sigv4::decode_chunked(&req.body).ok_or_else(|| {
        AwsError::new(
            400,
            "IncompleteBody",
            "The aws-chunked body could not be decoded.",
        )
    })?;
    let data = c.payload();
    if let Some(n) = req.header("x-amz-decoded-content-length") {
        if n.trim().parse::<usize>().ok() != Some(data.len()) {
            return Err(AwsError::new(
                400,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the x-amz-decoded-content-length header.",
            ));
        }
    }
    Ok(data)
}

fn metadata(req: &SimRequest) -> Tags {
    req.headers
        .iter()
        .filter_map(|(n, v)| {
            let k = n.as_str().strip_prefix("x-amz-meta-")?;
            Some((k.to_string(), v.to_str().ok()?.to_string()))
        })
        .collect()
}

fn request_region(req: &SimRequest) -> String {
    req.header("authorization")
        .and_then(sigv4::parse_authorization)
        .or_else(|| sigv4::parse_presigned(&req.query_pairs()))
        .map(|a| a.region)
        .or_else(|| parse_host(&req.host).and_then(|(_, r)| r))
        .unwrap_or_else(|| "us-east-1".into())
}

fn serve(ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity, action: &str) -> R {
    let (bucket, key) = target(req);
    let acct = auth.account.as_str();
    let e = &ctx.estate;
    let Some(bucket) = bucket else {
        return list_buckets(ctx, req, auth);
    };
    let b = bucket.as_str();
    // The bucket must be this account's (another account's: AccessDenied).
    if action != "CreateBucket" {
        match e.bucket_owner(NAME, b) {
            None => {
                return Err(no_such_bucket(b));
            }
            Some((owner, _)) if owner != acct => {
                return Err(AwsError::new(403, "AccessDenied", "Access Denied"));
            }
            _ => {}
        }
    }
    match action {
        "CreateBucket" => {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            if tag_values(&body, "LocationConstraint")
                .first()
                .map(String::as_str)
                == Some("us-east-1")
            {
                return Err(AwsError::new(
                    400,
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                )
                .with("LocationConstraint", "us-east-1"));
            }
            let region = tag_values(&body, "LocationConstraint")
                .into_iter()
                .next()
                .map(|r| {
                    if r == "EU" {
                        "eu-west-1".to_string()
                    } else {
                        r
                    }
                })
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "us-east-1".into());
            let scope_region = request_region(req);
            if region != scope_region && scope_region != "us-east-1" {
                return Err(AwsError::new(
                    400,
                    "IllegalLocationConstraintException",
                    &format!(
                        "The {region} location constraint is incompatible for the region specific endpoint this request was sent to."
                    ),
                ));
            }
            if !e
                .regions(NAME, acct)
                .map(|v| v.iter().any(|(r, _)| *r == region))
                .unwrap_or(false)
            {
                return Err(AwsError::new(
                    400,
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                ));
            }
            let north_virginia = region == "us-east-1";
            match e.create_bucket(&Scope::new(NAME, acct, region), b, None) {
                Ok(_) => {}
                // S3 CreateBucket: "BucketAlreadyOwnedByYou ... returned in
                // all AWS Regions except in the North Virginia Region. For
                // legacy compatibility, if you re-create an existing bucket
                // that you already own in the North Virginia Region, Amazon
                // S3 returns 200 OK".
                Err(EstateError::AlreadyExists { .. }) if north_virginia => {}
                Err(err) => est(Err::<(), _>(err))?,
            }
            Ok(SimResponse::empty(StatusCode::OK).with_header("location", &format!("/{b}")))
        }
        "DeleteBucket" => {
            est(e.delete_bucket(NAME, acct, b))?;
            Ok(SimResponse::empty(StatusCode::NO_CONTENT))
        }
        "HeadBucket" => {
            let region = est(e.bucket_location(NAME, acct, b))?;
            Ok(SimResponse::empty(StatusCode::OK).with_header("x-amz-bucket-region", &region))
        }
        "GetBucketLocation" => {
            let region = est(e.bucket_location(NAME, acct, b))?;
            let region = if region == "us-east-1" {
                String::new()
            } else {
                region
            };
            Ok(SimResponse::xml(
                StatusCode::OK,
                Xml::new()
                    .open_attrs("LocationConstraint", &[("xmlns", NS)])
                    .raw(&crate::frontend::xml_escape(&region))
                    .close("LocationConstraint")
                    .finish(),
            ))
        }
        "ListObjectsV2" | "ListObjects" => {
            list_objects(ctx, req, acct, b, action == "ListObjectsV2")
        }
        "PutObject" => {
            let data = payload(req)?;
            let o = est(e.put_object(
                NAME,
                acct,
                b,
                PutObject {
                    key: key.clone(),
                    data,
                    content_type: req.header("content-type").map(str::to_string),
                    metadata: metadata(req),
                    storage_class: req.header("x-amz-storage-class").map(str::to_string),
                },
            ))?;
            let mut r = SimResponse::empty(StatusCode::OK).with_header("etag", &quoted(&o.etag));
            for (n, v) in req.headers.iter() {
                if n.as_str().starts_with("x-amz-checksum-")
                    && n.as_str() != "x-amz-checksum-algorithm"
                {
                    if let Ok(v) = v.to_str() {
                        r = r.with_header(n.as_str(), v);
                    }
                }
            }
            Ok(r)
        }
        "GetObject" | "HeadObject" => get_object(req, e.get_object(NAME, acct, b, &key), &key),
        "DeleteObject" => {
            est(e.delete_object(NAME, acct, b, &key))?;
            Ok(SimResponse::empty(StatusCode::NO_CONTENT))
        }
        "CopyObject" => {
            let src = req.header("x-amz-copy-source").unwrap_or("");
            let src = percent_decode(src.split('?').next().unwrap_or(src), false);
            let src = src.trim_start_matches('/');
            let (sb, sk) = src.split_once('/').ok_or_else(|| {
                AwsError::new(
                    400,
                    "InvalidArgument",
                    "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                )
            })?;
            match e.bucket_owner(NAME, sb) {
                Some((owner, _)) if owner == acct => {}
                Some(_) => return Err(AwsError::new(403, "AccessDenied", "Access Denied")),
                None => {
                    return Err(no_such_bucket(sb));
                }
            }
            let o = est(e.copy_object(NAME, acct, (sb, sk), (b, &key)))?;
            let x = Xml::new()
                .open_attrs("CopyObjectResult", &[("xmlns", NS)])
                .elem("ETag", &quoted(&o.etag))
                .elem("LastModified", &iso(&o.last_modified))
                .close("CopyObjectResult")
                .finish();
            Ok(SimResponse::xml(StatusCode::OK, x))
        }
        "CreateMultipartUpload" => {
            let id = est(e.create_upload(
                NAME,
                acct,
                b,
                &key,
                req.header("content-type").map(str::to_string),
                metadata(req),
            ))?;
            let x = Xml::new()
                .open_attrs("InitiateMultipartUploadResult", &[("xmlns", NS)])
                .elem("Bucket", b)
                .elem("Key", &key)
                .elem("UploadId", &id)
                .close("InitiateMultipartUploadResult")
                .finish();
            Ok(SimResponse::xml(StatusCode::OK, x))
        }
        "UploadPart" => {
            let id = req.query("uploadId").unwrap_or_default();
            let n: u32 = req
                .query("partNumber")
                .and_then(|p| p.parse().ok())
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    AwsError::new(
                        400,
                        "InvalidArgument",
                        "Part number must be an integer between 1 and 10000, inclusive",
                    )
                })?;
            let etag = est(e.upload_part(NAME, acct, b, &id, n, payload(req)?))?;
            Ok(SimResponse::empty(StatusCode::OK).with_header("etag", &quoted(&etag)))
        }
        "CompleteMultipartUpload" => {
            let id = req.query("uploadId").unwrap_or_default();
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let mut parts = Vec::new();
            for p in tag_values(&body, "Part") {
                let n = tag_values(&p, "PartNumber")
                    .first()
                    .and_then(|n| n.trim().parse::<u32>().ok());
                let etag = tag_values(&p, "ETag").first().map(|t| xml_unescape(t));
                match (n, etag) {
                    (Some(n), Some(t)) => parts.push((n, t.trim_matches('"').to_string())),
                    _ => {
                        return Err(AwsError::new(
                            400,
                            "MalformedXML",
                            "The XML you provided was not well-formed or did not validate against our published schema",
                        ));
                    }
                }
            }
            if parts.is_empty() {
                return Err(AwsError::new(
                    400,
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ));
            }
            let o = e
                .complete_upload(NAME, acct, b, &id, &parts)
                .map_err(|err| match err {
                    EstateError::InvalidArgument(m) => AwsError::new(400, "InvalidPart", &m),
                    other => s3_from_estate(&other),
                })?;
            let x = Xml::new()
                .open_attrs("CompleteMultipartUploadResult", &[("xmlns", NS)])
                .elem("Location", &format!("/{b}/{key}"))
                .elem("Bucket", b)
                .elem("Key", &key)
                .elem("ETag", &quoted(&o.etag))
                .close("CompleteMultipartUploadResult")
                .finish();
            Ok(SimResponse::xml(StatusCode::OK, x))
        }
        "DeleteObjects" => {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let quiet = tag_values(&body, "Quiet").first().map(String::as_str) == Some("true");
            let keys: Vec<String> = tag_values(&body, "Object")
                .iter()
                .filter_map(|o| tag_values(o, "Key").into_iter().next())
                .map(|k| xml_unescape(&k))
                .collect();
            if keys.is_empty() || keys.len() > 1000 {
                return Err(AwsError::new(
                    400,
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ));
            }
            let mut x = Xml::new().open_attrs("DeleteResult", &[("xmlns", NS)]);
            for k in &keys {
                est(e.delete_object(NAME, acct, b, k))?;
                if !quiet {
                    x = x.open("Deleted").elem("Key", k).close("Deleted");
                }
            }
            Ok(SimResponse::xml(
                StatusCode::OK,
                x.close("DeleteResult").finish(),
            ))
        }
        "AbortMultipartUpload" => {
            let id = req.query("uploadId").unwrap_or_default();
            est(e.abort_upload(NAME, acct, b, &id))?;
            Ok(SimResponse::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(AwsError::new(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        )),
    }
}

fn list_buckets(ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> R {
    let mut all = est(ctx.estate.buckets(NAME, &auth.account))?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let prefix = req.query("prefix");
    let region = req.query("bucket-region");
    let max: Option<usize> = match req.query("max-buckets") {
        None => None,
        Some(m) => Some(
            m.parse()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    AwsError::new(
                        400,
                        "InvalidArgument",
                        "max-buckets must be between 1 and 10000",
                    )
                })?,
        ),
    };
    let after = match req.query("continuation-token") {
        None => None,
        Some(t) => Some(decode_token(&t).ok_or_else(|| {
            AwsError::new(
                400,
                "InvalidArgument",
                "The continuation token provided is incorrect",
            )
        })?),
    };
    let items: Vec<_> = all
        .into_iter()
        .filter(|b| {
            prefix
                .as_ref()
                .is_none_or(|p| b.name.starts_with(p.as_str()))
        })
        .filter(|b| region.as_ref().is_none_or(|r| &b.region == r))
        .filter(|b| after.as_ref().is_none_or(|a| b.name.as_str() > a.as_str()))
        .collect();
    let (page, next) = match max {
        Some(m) if items.len() > m => {
            let next = items[m - 1].name.clone();
            (&items[..m], Some(encode_token(&next)))
        }
        _ => (&items[..], None),
    };
    let x = Xml::new()
        .open_attrs("ListAllMyBucketsResult", &[("xmlns", NS)])
        .open("Owner")
        .elem("ID", &sigv4::sha256_hex(auth.account.as_bytes()))
        .elem("DisplayName", &auth.account)
        .close("Owner")
        .open("Buckets")
        .with(|x| {
            page.iter().fold(x, |x, b| {
                x.open("Bucket")
                    .elem("Name", &b.name)
                    .elem("CreationDate", &iso(&b.created_at))
                    .elem("BucketRegion", &b.region)
                    .close("Bucket")
            })
        })
        .close("Buckets")
        .elem_opt("ContinuationToken", next.as_deref())
        .elem_opt("Prefix", prefix.as_deref())
        .close("ListAllMyBucketsResult")
        .finish();
    Ok(SimResponse::xml(StatusCode::OK, x))
}

fn list_objects(ctx: &Ctx, req: &SimRequest, acct: &str, b: &str, v2: bool) -> R {
    let prefix = req.query("prefix").unwrap_or_default();
    let delimiter = req.query("delimiter").filter(|d| !d.is_empty());
    let max_keys: usize = match req.query("max-keys") {
        None => 1000,
        Some(m) => m.parse().map_err(|_| {
            AwsError::new(
                400,
                "InvalidArgument",
                "Provided max-keys not an integer or within integer range",
            )
        })?,
    };
    let token = req.query("continuation-token");
    let start_after = req.query("start-after");
    let marker = req.query("marker");
    let after = if v2 {
        match &token {
            Some(t) => Some(decode_token(t).ok_or_else(|| {
                AwsError::new(
                    400,
                    "InvalidArgument",
                    "The continuation token provided is incorrect",
                )
            })?),
            None => start_after.clone(),
        }
    } else {
        marker.clone()
    };
    let url = req.query("encoding-type").filter(|e| e == "url");
    let enc = |s: &str| -> String {
        if url.is_some() {
            crate::frontend::percent_encode_strict(s).replace("%2F", "/")
        } else {
            s.to_string()
        }
    };
    let listing = if max_keys == 0 {
        crate::estate::ObjectListing::default()
    } else {
        est(ctx.estate.list_objects(
            NAME,
            acct,
            b,
            &ListObjectsQuery {
                prefix: Some(prefix.clone()).filter(|p| !p.is_empty()),
                delimiter: delimiter.clone(),
                start_after: after,
                max_keys: max_keys.min(1000),
            },
        ))?
    };
    let root = "ListBucketResult";
    let key_count = listing.objects.len() + listing.common_prefixes.len();
    let mut x = Xml::new()
        .open_attrs(root, &[("xmlns", NS)])
        .elem("Name", b)
        .elem("Prefix", &enc(&prefix));
    if v2 {
        x = x
            .elem("KeyCount", &key_count.to_string())
            .elem("MaxKeys", &max_keys.to_string())
            .elem_opt("Delimiter", delimiter.as_deref().map(&enc).as_deref())
            .elem(
                "IsTruncated",
                if listing.is_truncated {
                    "true"
                } else {
                    "false"
                },
            )
            .elem_opt("ContinuationToken", token.as_deref())
            .elem_opt(
                "NextContinuationToken",
                listing
                    .next_marker
                    .as_deref()
                    .filter(|_| listing.is_truncated)
                    .map(encode_token)
                    .as_deref(),
            )
            .elem_opt("StartAfter", start_after.as_deref().map(&enc).as_deref());
    } else {
        x = x
            .elem("Marker", &enc(marker.as_deref().unwrap_or("")))
            .elem("MaxKeys", &max_keys.to_string())
            .elem_opt("Delimiter", delimiter.as_deref().map(&enc).as_deref())
            .elem(
                "IsTruncated",
                if listing.is_truncated {
                    "true"
                } else {
                    "false"
                },
            )
            .elem_opt(
                "NextMarker",
                listing
                    .next_marker
                    .as_deref()
                    .filter(|_| listing.is_truncated && delimiter.is_some())
                    .map(&enc)
                    .as_deref(),
            );
    }
    x = x.elem_opt("EncodingType", url.as_deref());
    x = listing.objects.iter().fold(x, |x, o| {
        let x = x
            .open("Contents")
            .elem("Key", &enc(&o.key))
            .elem("LastModified", &iso(&o.last_modified))
            .elem("ETag", &quoted(&o.etag))
            .elem("Size", &object_size(ctx, acct, b, o).to_string())
            .elem("StorageClass", &o.storage_class);
        let x = if v2 {
            x
        } else {
            x.open("Owner")
                .elem("ID", acct)
                .elem("DisplayName", acct)
                .close("Owner")
        };
        x.close("Contents")
    });
    x = listing.common_prefixes.iter().fold(x, |x, p| {
        x.open("CommonPrefixes")
            .elem("Prefix", &enc(p))
            .close("CommonPrefixes")
    });
    Ok(SimResponse::xml(StatusCode::OK, x.close(root).finish()))
}

/// Listings leave `data` empty; the size comes from the metadata the estate
/// keeps (`content-length`), else from the object itself.
fn object_size(ctx: &Ctx, acct: &str, b: &str, o: &Object) -> usize {
    if !o.data.is_empty() {
        return o.data.len();
    }
    ctx.estate
        .get_object(NAME, acct, b, &o.key)
        .map(|o| o.data.len())
        .unwrap_or(0)
}

fn parse_range(h: &str, len: usize) -> Option<(usize, usize)> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let s: usize = a.parse().ok()?;
        let e: usize = if b.is_empty() {
            len - 1
        } else {
            b.parse().ok()?
        };
        (s, e.min(len - 1))
    };
    (start <= end && start < len).then_some((start, end))
}

fn get_object(req: &SimRequest, found: Result<Object, EstateError>, key: &str) -> R {
    let o = found.map_err(|e| match e {
        EstateError::NotFound {
            kind: crate::estate::ResourceKind::Object,
            ..
        } => AwsError::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", key),
        other => s3_from_estate(&other),
    })?;
    let head = req.method == Method::HEAD;
    let total = o.data.len();
    let mut status = StatusCode::OK;
    let mut body = o.data.clone();
    let mut range_hdr = None;
    if let Some(r) = req.header("range") {
        match parse_range(r, total) {
            Some((s, e)) => {
                status = StatusCode::PARTIAL_CONTENT;
                body = o.data[s..=e].to_vec();
                range_hdr = Some(format!("bytes {s}-{e}/{total}"));
            }
            None if r.trim().starts_with("bytes=") => {
                return Err(AwsError::new(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                )
                .with("RangeRequested", r)
                .with("ActualObjectSize", &total.to_string()));
            }
            None => {}
        }
    }
    if let Some(m) = req.header("if-none-match") {
        if m.trim_matches('"') == o.etag.trim_matches('"') {
            return Ok(
                SimResponse::empty(StatusCode::NOT_MODIFIED).with_header("etag", &quoted(&o.etag))
            );
        }
    }
    let len = body.len();
    let mut r = SimResponse::new(status, if head { Vec::new() } else { body })
        .with_header("etag", &quoted(&o.etag))
        .with_header("last-modified", &http_date(&o.last_modified))
        .with_header("accept-ranges", "bytes")
        .with_header(
            "content-type",
            o.content_type.as_deref().unwrap_or("binary/octet-stream"),
        );
    if o.storage_class != "STANDARD" {
        r = r.with_header("x-amz-storage-class", &o.storage_class);
    }
    if head {
        r = r.with_header("content-length", &len.to_string());
    }
    if let Some(cr) = range_hdr {
        r = r.with_header("content-range", &cr);
    }
    for (k, v) in &o.metadata {
        r = r.with_header(&format!("x-amz-meta-{k}"), v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ranges() {
        assert_eq!(parse_host("s3.amazonaws.com"), Some((None, None)));
        assert_eq!(
            parse_host("s3.eu-west-1.amazonaws.com"),
            Some((None, Some("eu-west-1".into())))
        );
        assert_eq!(
            parse_host("my.bucket.s3.eu-west-1.amazonaws.com"),
            Some((Some("my.bucket".into()), Some("eu-west-1".into())))
        );
        assert_eq!(
            parse_host("b.s3.amazonaws.com"),
            Some((Some("b".into()), None))
        );
        assert_eq!(
            parse_host("b.s3.cn-north-1.amazonaws.com.cn"),
            Some((Some("b".into()), Some("cn-north-1".into())))
        );
        assert_eq!(parse_host("ec2.us-east-1.amazonaws.com"), None);
        assert_eq!(parse_range("bytes=0-4", 10), Some((0, 4)));
        assert_eq!(parse_range("bytes=5-", 10), Some((5, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=10-", 10), None);
        assert_eq!(
            tag_values(
                "<Part><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber></Part>",
                "PartNumber"
            ),
            vec!["1", "2"]
        );
    }
}
