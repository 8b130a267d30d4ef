//! OSS: buckets, objects, multipart uploads, presigned URLs.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use http::{Method, StatusCode};

use super::errors::{oss_code, oss_error};
use super::{MAX_SKEW_SECS, NAME, StsStore, lookup_key, sign};
use crate::estate::{
    AuthIdentity, Estate, EstateError, ListObjectsQuery, Object, PutObject, Scope,
};
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse, Xml, percent_decode};

/// The OSS frontend (id `alibaba-oss`).
#[derive(Debug, Clone)]
pub struct AlibabaOss {
    sts: Arc<StsStore>,
}

impl AlibabaOss {
    /// A frontend sharing a store of STS credentials with the RPC frontend.
    pub fn new(sts: Arc<StsStore>) -> Self {
        AlibabaOss { sts }
    }
}

/// `oss-{region}[-internal].aliyuncs.com` -> region.
fn oss_region(host: &str) -> Option<String> {
    let r = host.strip_prefix("oss-")?.strip_suffix(".aliyuncs.com")?;
    Some(r.strip_suffix("-internal").unwrap_or(r).to_string())
}

/// Bucket (virtual host or first path segment), key (decoded), host region.
fn locate(req: &SimRequest) -> (Option<String>, String, Option<String>) {
    let path = req.path();
    if let Some((b, rest)) = req.host.split_once('.') {
        if let Some(r) = oss_region(rest) {
            let key = percent_decode(path.trim_start_matches('/'), false);
            return (Some(b.to_string()), key, Some(r));
        }
    }
    let region = oss_region(&req.host);
    let p = path.trim_start_matches('/');
    if p.is_empty() {
        return (None, String::new(), region);
    }
    let (b, k) = p.split_once('/').unwrap_or((p, ""));
    (
        Some(percent_decode(b, false)),
        percent_decode(k, false),
        region,
    )
}

/// OSS request ids: 24 upper-case hex digits.
fn oss_request_id(ctx: &Ctx) -> String {
    ctx.request_id()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(24)
        .collect::<String>()
        .to_uppercase()
}

fn qhas(req: &SimRequest, name: &str) -> bool {
    req.query_pairs().iter().any(|(k, _)| k == name)
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn iso_ms(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%a, %d %b %Y %H:%M:%S GMT")
                .ok()
                .map(|n| Utc.from_utc_datetime(&n))
        })
}

fn parse_v4_date(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

fn etag(e: &str) -> String {
    format!("\"{}\"", e.to_uppercase())
}

struct Call<'a> {
    ctx: &'a Ctx,
    req: &'a SimRequest,
    rid: String,
}

impl Call<'_> {
    fn err(&self, status: u16, code: &str, msg: &str) -> SimResponse {
        oss_error(&self.rid, &self.req.host, status, code, msg, &[])
    }

    fn estate_err(&self, e: &EstateError, bucket: &str, key: &str) -> SimResponse {
        let (s, c, m) = oss_code(e);
        let extra: Vec<(&str, &str)> = match c {
            "NoSuchKey" => vec![("Key", key)],
            "NoSuchBucket" | "BucketNotEmpty" | "BucketAlreadyExists" => {
                vec![("BucketName", bucket)]
            }
            _ => vec![],
        };
        oss_error(&self.rid, &self.req.host, s, c, &m, &extra)
    }

    fn ok(&self, status: StatusCode) -> SimResponse {
        SimResponse::empty(status).with_header("x-oss-request-id", &self.rid)
    }

    fn xml(&self, body: String) -> SimResponse {
        SimResponse::xml(StatusCode::OK, body).with_header("x-oss-request-id", &self.rid)
    }
}

impl Frontend for AlibabaOss {
    fn name(&self) -> &str {
        NAME
    }

    fn id(&self) -> &str {
        "alibaba-oss"
    }

    fn matches_host(&self, host: &str) -> bool {
        oss_region(host).is_some()
            || host
                .split_once('.')
                .is_some_and(|(_, rest)| oss_region(rest).is_some())
    }

    fn cert_names(&self, regions: &[String]) -> Vec<String> {
        regions
            .iter()
            .flat_map(|r| {
                [
                    format!("oss-{r}.aliyuncs.com"),
                    format!("*.oss-{r}.aliyuncs.com"),
                ]
            })
            .collect()
    }

    fn action(&self, req: &SimRequest) -> String {
        let (bucket, key, _) = locate(req);
        let m = &req.method;
        let a = match (bucket.is_some(), key.is_empty()) {
            (false, _) => "ListBuckets",
            (true, true) => match *m {
                Method::PUT => "PutBucket",
                Method::DELETE => "DeleteBucket",
                Method::HEAD => "GetBucketInfo",
                _ if qhas(req, "location") => "GetBucketLocation",
                _ if qhas(req, "bucketInfo") => "GetBucketInfo",
                _ if qhas(req, "uploads") => "ListMultipartUploads",
                _ if req.query("list-type").as_deref() == Some("2") => "ListObjectsV2",
                _ => "ListObjects",
            },
            (true, false) => match *m {
                Method::GET if qhas(req, "uploadId") => "ListParts",
                Method::GET => "GetObject",
                Method::HEAD => "HeadObject",
                Method::PUT if qhas(req, "uploadId") => "UploadPart",
                Method::PUT if req.header("x-oss-copy-source").is_some() => "CopyObject",
                Method::PUT => "PutObject",
                Method::DELETE if qhas(req, "uploadId") => "AbortMultipartUpload",
                Method::DELETE => "DeleteObject",
                Method::POST if qhas(req, "uploads") => "InitiateMultipartUpload",
                Method::POST if qhas(req, "uploadId") => "CompleteMultipartUpload",
                _ => "Unknown",
            },
        };
        a.to_string()
    }

    fn is_mutating(&self, req: &SimRequest, _action: &str) -> bool {
        !matches!(req.method, Method::GET | Method::HEAD)
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        if let Some(d) = req.header("x-oss-date") {
            return parse_v4_date(d).or_else(|| parse_http_date(d));
        }
        if let Some(d) = req.query("x-oss-date") {
            return parse_v4_date(&d);
        }
        req.header("date").and_then(parse_http_date)
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let c = Call {
            ctx,
            req,
            rid: oss_request_id(ctx),
        };
        let (bucket, key, _) = locate(req);
        let mismatch = || {
            c.err(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            )
        };
        let lookup = |ak: &str, token: Option<String>| {
            lookup_key(ctx, &self.sts, ak, token.as_deref()).map_err(|(_, code, _)| {
                if code == "InvalidAccessKeyId.NotFound" {
                    c.err(
                        403,
                        "InvalidAccessKeyId",
                        "The OSS Access Key Id you provided does not exist in our records.",
                    )
                } else {
                    c.err(
                        403,
                        "InvalidSecurityToken",
                        "The security token you provided is invalid.",
                    )
                }
            })
        };
        let skewed = |t: Option<DateTime<Utc>>| {
            t.is_none_or(|t| (t - ctx.now()).num_seconds().abs() > MAX_SKEW_SECS)
        };
        let q = req.query_pairs();
        let qv = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        if let Some(auth) = req.header("authorization") {
            let token = req.header("x-oss-security-token").map(str::to_string);
            if let Some(rest) = auth.strip_prefix("OSS ") {
                let Some((ak, sig)) = rest.split_once(':') else {
                    return Err(c.err(400, "InvalidArgument", "Authorization header is invalid."));
                };
                let id = lookup(ak, token)?;
                if skewed(self.request_time(req)) {
                    return Err(self.expired_response(ctx, req, ""));
                }
                let date = req
                    .header("x-oss-date")
                    .or_else(|| req.header("date"))
                    .unwrap_or("");
                let sts = sign::oss_v1_string_to_sign(req, date, bucket.as_deref(), &key, &q);
                if !sign::same(&sign::oss_v1_signature(id.secret.expose(), &sts), sig) {
                    return Err(mismatch());
                }
                return Ok(id);
            }
            let Some(a) = sign::parse_oss_v4(auth) else {
                return Err(c.err(400, "InvalidArgument", "Authorization header is invalid."));
            };
            let id = lookup(&a.access_key_id, token)?;
            let dt = req.header("x-oss-date").unwrap_or("").to_string();
            if skewed(parse_v4_date(&dt)) {
                return Err(self.expired_response(ctx, req, ""));
            }
            let want = sign::oss_v4_signature(
                req,
                &a,
                id.secret.expose(),
                bucket.as_deref(),
                &key,
                &q,
                &dt,
            );
            if !sign::same(&want, &a.signature) {
                return Err(mismatch());
            }
            return Ok(id);
        }
        let expired = || c.err(403, "AccessDenied", "Request has expired.");
        if qv("x-oss-signature-version").as_deref() == Some("OSS4-HMAC-SHA256") {
            let (Some(cred), Some(dt), Some(exp), Some(sig)) = (
                qv("x-oss-credential"),
                qv("x-oss-date"),
                qv("x-oss-expires"),
                qv("x-oss-signature"),
            ) else {
                return Err(c.err(400, "InvalidArgument", "Presigned URL is incomplete."));
            };
            let Some((ak, date, region, product)) = sign::parse_oss_v4_credential(&cred) else {
                return Err(c.err(400, "InvalidArgument", "x-oss-credential is invalid."));
            };
            let id = lookup(&ak, qv("x-oss-security-token"))?;
            let start = parse_v4_date(&dt);
            let secs: i64 = exp.parse().unwrap_or(0);
            if start.is_none_or(|s| s + chrono::Duration::seconds(secs) < ctx.now()) {
                return Err(expired());
            }
            let a = sign::OssV4Auth {
                access_key_id: ak,
                date,
                region,
                product,
                additional: qv("x-oss-additional-headers")
                    .map(|s| s.split(';').map(str::to_string).collect())
                    .unwrap_or_default(),
                signature: sig.clone(),
            };
            let rest: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| k != "x-oss-signature")
                .cloned()
                .collect();
            let want = sign::oss_v4_signature(
                req,
                &a,
                id.secret.expose(),
                bucket.as_deref(),
                &key,
                &rest,
                &dt,
            );
            if !sign::same(&want, &sig) {
                return Err(mismatch());
            }
            return Ok(id);
        }
        if let (Some(ak), Some(exp), Some(sig)) =
            (qv("OSSAccessKeyId"), qv("Expires"), qv("Signature"))
        {
            let id = lookup(&ak, qv("security-token"))?;
            let e: i64 = exp.parse().unwrap_or(0);
            if e < ctx.now().timestamp() {
                return Err(expired());
            }
            let sts = sign::oss_v1_string_to_sign(req, &exp, bucket.as_deref(), &key, &q);
            if !sign::same(&sign::oss_v1_signature(id.secret.expose(), &sts), &sig) {
                return Err(mismatch());
            }
            return Ok(id);
        }
        Err(c.err(
            403,
            "AccessDenied",
            "AccessDenied: Anonymous access is forbidden for this operation.",
        ))
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        let c = Call {
            ctx,
            req,
            rid: oss_request_id(ctx),
        };
        handle(&c, &self.action(req), auth)
    }

    fn throttle_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        oss_error(
            &oss_request_id(ctx),
            &req.host,
            429,
            "QpsLimitExceeded",
            "Please reduce your request rate.",
            &[],
        )
    }

    fn server_error_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        oss_error(
            &oss_request_id(ctx),
            &req.host,
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
            &[],
        )
    }

    fn expired_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        oss_error(
            &oss_request_id(ctx),
            &req.host,
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            &[("ServerTime", &iso_ms(ctx.now()))],
        )
    }
}

fn endpoint(region: &str) -> (String, String) {
    (
        format!("oss-{region}.aliyuncs.com"),
        format!("oss-{region}-internal.aliyuncs.com"),
    )
}

/// `PutBucket` of a name that is taken. OSS's PutBucket reference: "If
/// multiple PutBucket operations are called from Alibaba Cloud accounts to
/// create the same bucket, the first operation creates the bucket and
/// subsequent operations modify the metadata of the bucket" -- the owner
/// re-creating its bucket in the same region with the same storage class
/// gets `200 OK`. Its 409 reference lists the refusals: another owner's name
/// ("The requested bucket name is not available"), another region ("Bucket
/// already exists can't modify location") and another storage class
/// ("Cannot modify existing bucket's storage class."), each with the code
/// `BucketAlreadyExists`. `None` when the name is free.
fn put_existing_bucket(
    c: &Call,
    e: &Estate,
    account: &str,
    bucket: &str,
    region: &str,
    class: Option<&str>,
) -> Option<SimResponse> {
    let (owner, home) = e.bucket_owner(NAME, bucket)?;
    let conflict = |msg: &str| {
        oss_error(
            &c.rid,
            &c.req.host,
            409,
            "BucketAlreadyExists",
            msg,
            &[("BucketName", bucket)],
        )
    };
    if owner != account {
        return Some(conflict(
            "The requested bucket name is not available. The bucket namespace is shared by all \
             users of the system. Please select a different name and try again.",
        ));
    }
    if home != region {
        return Some(conflict("Bucket already exists can't modify location."));
    }
    let current = e
        .buckets(NAME, account)
        .ok()
        .and_then(|v| v.into_iter().find(|b| b.name == bucket))
        .map(|b| b.storage_class);
    if let (Some(want), Some(have)) = (class, current) {
        if !want.eq_ignore_ascii_case(&have) {
            return Some(conflict("Cannot modify existing bucket's storage class."));
        }
    }
    Some(
        c.ok(StatusCode::OK)
            .with_header("location", &format!("/{bucket}")),
    )
}

fn handle(c: &Call, action: &str, auth: &AuthIdentity) -> SimResponse {
    let e: &Estate = &c.ctx.estate;
    let (bucket, key, host_region) = locate(c.req);
    let account = auth.account.as_str();
    if action == "ListBuckets" {
        return list_buckets(c, auth);
    }
    let Some(bucket) = bucket else {
        return c.err(400, "InvalidArgument", "no bucket");
    };
    if action == "PutBucket" {
        let region = host_region
            .or_else(|| {
                e.regions(NAME, account)
                    .ok()
                    .and_then(|v| v.into_iter().next().map(|(r, _)| r))
            })
            .unwrap_or_else(|| "cn-hangzhou".into());
        let class = c.req.body_text().and_then(|b| {
            let s = b.find("<StorageClass>")? + "<StorageClass>".len();
            let t = b[s..].find("</StorageClass>")?;
            Some(b[s..s + t].to_string())
        });
        if let Some(r) = put_existing_bucket(c, e, account, &bucket, &region, class.as_deref()) {
            return r;
        }
        return match e.create_bucket(
            &Scope::new(NAME, account, &region),
            &bucket,
            Some(class.as_deref().unwrap_or("Standard")),
        ) {
            Ok(_) => c
                .ok(StatusCode::OK)
                .with_header("location", &format!("/{bucket}")),
            Err(err) => c.estate_err(&err, &bucket, &key),
        };
    }
    // The bucket must exist and belong to the caller.
    match e.bucket_owner(NAME, &bucket) {
        None => {
            return oss_error(
                &c.rid,
                &c.req.host,
                404,
                "NoSuchBucket",
                "The specified bucket does not exist.",
                &[("BucketName", &bucket)],
            );
        }
        Some((owner, _)) if owner != account => {
            return c.err(
                403,
                "AccessDenied",
                "You have no right to access this object because of bucket acl.",
            );
        }
        Some(_) => {}
    }
    let r = match action {
        "DeleteBucket" => e
            .delete_bucket(NAME, account, &bucket)
            .map(|_| c.ok(StatusCode::NO_CONTENT)),
        "GetBucketLocation" => e.bucket_location(NAME, account, &bucket).map(|r| {
            c.xml(
                Xml::new()
                    .elem("LocationConstraint", &format!("oss-{r}"))
                    .finish(),
            )
        }),
        "GetBucketInfo" => bucket_info(c, account, &bucket),
        "ListObjects" | "ListObjectsV2" => {
            list_objects(c, account, &bucket, action == "ListObjectsV2")
        }
        "GetObject" | "HeadObject" => {
            return get_object(c, account, &bucket, &key, action == "HeadObject");
        }
        "PutObject" => e
            .put_object(
                NAME,
                account,
                &bucket,
                PutObject {
                    key: key.clone(),
                    data: c.req.body.to_vec(),
                    content_type: c.req.header("content-type").map(str::to_string),
                    metadata: user_meta(c.req),
                    storage_class: c.req.header("x-oss-storage-class").map(str::to_string),
                },
            )
            .map(|o| c.ok(StatusCode::OK).with_header("etag", &etag(&o.etag))),
        "CopyObject" => copy_object(c, account, &bucket, &key),
        "DeleteObject" => e
            .delete_object(NAME, account, &bucket, &key)
            .map(|_| c.ok(StatusCode::NO_CONTENT)),
        "InitiateMultipartUpload" => e
            .create_upload(
                NAME,
                account,
                &bucket,
                &key,
                c.req.header("content-type").map(str::to_string),
                user_meta(c.req),
            )
            .map(|id| {
                c.xml(
                    Xml::new()
                        .open("InitiateMultipartUploadResult")
                        .elem("Bucket", &bucket)
                        .elem("Key", &key)
                        .elem("UploadId", &id)
                        .close("InitiateMultipartUploadResult")
                        .finish(),
                )
            }),
        "UploadPart" => {
            let id = c.req.query("uploadId").unwrap_or_default();
            let Some(n) = c.req.query("partNumber").and_then(|n| n.parse().ok()) else {
                return c.err(400, "InvalidArgument", "partNumber is invalid.");
            };
            e.upload_part(NAME, account, &bucket, &id, n, c.req.body.to_vec())
                .map(|t| c.ok(StatusCode::OK).with_header("etag", &etag(&t)))
        }
        "CompleteMultipartUpload" => complete(c, account, &bucket, &key),
        "AbortMultipartUpload" => e
            .abort_upload(
                NAME,
                account,
                &bucket,
                &c.req.query("uploadId").unwrap_or_default(),
            )
            .map(|_| c.ok(StatusCode::NO_CONTENT)),
        other => {
            return c.err(
                405,
                "MethodNotAllowed",
                &format!("The specified method is not allowed against this resource. ({other})"),
            );
        }
    };
    r.unwrap_or_else(|err| c.estate_err(&err, &bucket, &key))
}

fn user_meta(req: &SimRequest) -> crate::estate::Tags {
    req.headers
        .iter()
        .filter_map(|(k, v)| {
            let m = k.as_str().strip_prefix("x-oss-meta-")?;
            Some((m.to_string(), v.to_str().ok()?.to_string()))
        })
        .collect()
}

fn list_buckets(c: &Call, auth: &AuthIdentity) -> SimResponse {
    let bs = match c.ctx.estate.buckets(NAME, &auth.account) {
        Ok(b) => b,
        Err(e) => return c.estate_err(&e, "", ""),
    };
    let q = |n: &str| c.req.query(n).filter(|s| !s.is_empty());
    let prefix = q("prefix").unwrap_or_default();
    let marker = q("marker").unwrap_or_default();
    let max_keys = match q("max-keys") {
        None => 100,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return c.err(
                    400,
                    "InvalidArgument",
                    "Argument max-keys must be an integer between 1 and 1000.",
                );
            }
        },
    };
    let mut names: Vec<_> = bs
        .iter()
        .filter(|b| b.name.starts_with(&prefix) && b.name.as_str() > marker.as_str())
        .collect();
    names.sort_by(|a, b| a.name.cmp(&b.name));
    // Fewer than max-keys under the estate's page cap.
    let shown = c.ctx.estate.capped_page(max_keys);
    let truncated = names.len() > shown;
    names.truncate(shown);
    let paging = q("prefix").is_some() || q("marker").is_some() || q("max-keys").is_some();
    let mut x = Xml::new().open("ListAllMyBucketsResult");
    if paging {
        x = x
            .elem("Prefix", &prefix)
            .elem("Marker", &marker)
            .elem("MaxKeys", &max_keys.to_string())
            .elem("IsTruncated", if truncated { "true" } else { "false" });
        if truncated {
            if let Some(last) = names.last() {
                x = x.elem("NextMarker", &last.name);
            }
        }
    }
    let x = x
        .open("Owner")
        .elem("ID", &auth.account)
        .elem("DisplayName", &auth.account)
        .close("Owner")
        .open("Buckets")
        .with(|x| {
            names.iter().fold(x, |x, b| {
                let (ext, int) = endpoint(&b.region);
                x.open("Bucket")
                    .elem("CreationDate", &iso_ms(b.created_at))
                    .elem("ExtranetEndpoint", &ext)
                    .elem("IntranetEndpoint", &int)
                    .elem("Location", &format!("oss-{}", b.region))
                    .elem("Name", &b.name)
                    .elem("Region", &b.region)
                    .elem("StorageClass", &b.storage_class)
                    .close("Bucket")
            })
        })
        .close("Buckets")
        .close("ListAllMyBucketsResult")
        .finish();
    c.xml(x)
}

fn bucket_info(c: &Call, account: &str, bucket: &str) -> Result<SimResponse, EstateError> {
    let b = c
        .ctx
        .estate
        .buckets(NAME, account)?
        .into_iter()
        .find(|b| b.name == bucket)
        .ok_or_else(|| EstateError::NotFound {
            kind: crate::estate::ResourceKind::Bucket,
            id: bucket.into(),
        })?;
    if c.req.method == Method::HEAD {
        return Ok(c.ok(StatusCode::OK));
    }
    let (ext, int) = endpoint(&b.region);
    Ok(c.xml(
        Xml::new()
            .open("BucketInfo")
            .open("Bucket")
            .elem("AccessMonitor", "Disabled")
            .elem("CreationDate", &iso_ms(b.created_at))
            .elem("ExtranetEndpoint", &ext)
            .elem("IntranetEndpoint", &int)
            .elem("Location", &format!("oss-{}", b.region))
            .elem("StorageClass", &b.storage_class)
            .elem("TransferAcceleration", "Disabled")
            .elem("CrossRegionReplication", "Disabled")
            .elem("Name", &b.name)
            .elem("ResourceGroupId", "")
            .open("Owner")
            .elem("DisplayName", account)
            .elem("ID", account)
            .close("Owner")
            .open("AccessControlList")
            .elem("Grant", "private")
            .close("AccessControlList")
            .elem("DataRedundancyType", "LRS")
            .elem("Comment", "")
            .open("ServerSideEncryptionRule")
            .elem("SSEAlgorithm", "None")
            .close("ServerSideEncryptionRule")
            .open("BucketPolicy")
            .elem("LogBucket", "")
            .elem("LogPrefix", "")
            .close("BucketPolicy")
            .close("Bucket")
            .close("BucketInfo")
            .finish(),
    ))
}

fn list_objects(
    c: &Call,
    account: &str,
    bucket: &str,
    v2: bool,
) -> Result<SimResponse, EstateError> {
    let q = |n: &str| c.req.query(n).filter(|s| !s.is_empty());
    let max_keys = match q("max-keys") {
        None => 100,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Ok(c.err(
                    400,
                    "InvalidArgument",
                    "Argument max-keys must be an integer between 1 and 1000.",
                ));
            }
        },
    };
    let start = if v2 {
        q("continuation-token").or_else(|| q("start-after"))
    } else {
        q("marker")
    };
    let l = c.ctx.estate.list_objects(
        NAME,
        account,
        bucket,
        &ListObjectsQuery {
            prefix: q("prefix"),
            delimiter: q("delimiter"),
            start_after: start.clone(),
            max_keys,
        },
    )?;
    let root = "ListBucketResult";
    let trunc = if l.is_truncated { "true" } else { "false" };
    let mut x = Xml::new()
        .open(root)
        .elem("Name", bucket)
        .elem("Prefix", &q("prefix").unwrap_or_default());
    if v2 {
        x = x
            .elem_opt("ContinuationToken", q("continuation-token").as_deref())
            .elem_opt("StartAfter", q("start-after").as_deref())
            .elem("MaxKeys", &max_keys.to_string())
            .elem("Delimiter", &q("delimiter").unwrap_or_default())
            .elem("IsTruncated", trunc)
            .elem(
                "KeyCount",
                &(l.objects.len() + l.common_prefixes.len()).to_string(),
            );
        if let Some(n) = &l.next_marker {
            x = x.elem("NextContinuationToken", n);
        }
    } else {
        x = x
            .elem("Marker", &start.unwrap_or_default())
            .elem("MaxKeys", &max_keys.to_string())
            .elem("Delimiter", &q("delimiter").unwrap_or_default())
            .elem("IsTruncated", trunc);
        if let Some(n) = &l.next_marker {
            x = x.elem("NextMarker", n);
        }
    }
    let x = x
        .with(|x| {
            l.objects.iter().fold(x, |x, o: &Object| {
                x.open("Contents")
                    .elem("Key", &o.key)
                    .elem("LastModified", &iso_ms(o.last_modified))
                    .elem("ETag", &etag(&o.etag))
                    .elem(
                        "Type",
                        if o.etag.contains('-') {
                            "Multipart"
                        } else {
                            "Normal"
                        },
                    )
                    .elem("Size", &size_of(c, account, bucket, &o.key).to_string())
                    .elem("StorageClass", &o.storage_class)
                    .open("Owner")
                    .elem("ID", account)
                    .elem("DisplayName", account)
                    .close("Owner")
                    .close("Contents")
            })
        })
        .with(|x| {
            l.common_prefixes.iter().fold(x, |x, p| {
                x.open("CommonPrefixes")
                    .elem("Prefix", p)
                    .close("CommonPrefixes")
            })
        })
        .close(root)
        .finish();
    Ok(c.xml(x))
}

/// Listings carry objects without data: read the object for its size.
fn size_of(c: &Call, account: &str, bucket: &str, key: &str) -> usize {
    c.ctx
        .estate
        .get_object(NAME, account, bucket, key)
        .map(|o| o.data.len())
        .unwrap_or(0)
}

fn get_object(c: &Call, account: &str, bucket: &str, key: &str, head: bool) -> SimResponse {
    let o = match c.ctx.estate.get_object(NAME, account, bucket, key) {
        Ok(o) => o,
        Err(e) => {
            if head {
                let (s, _, _) = oss_code(&e);
                return SimResponse::empty(
                    StatusCode::from_u16(s).unwrap_or(StatusCode::NOT_FOUND),
                )
                .with_header("x-oss-request-id", &c.rid);
            }
            return c.estate_err(&e, bucket, key);
        }
    };
    let len = o.data.len();
    let mut status = StatusCode::OK;
    let mut body = o.data.clone();
    let mut range_hdr = None;
    if let Some(r) = c.req.header("range").and_then(|r| r.strip_prefix("bytes=")) {
        if let Some((a, b)) = r.split_once('-') {
            let (start, end) = match (a.parse::<usize>().ok(), b.parse::<usize>().ok()) {
                (Some(s), Some(e)) => (s, e.min(len.saturating_sub(1))),
                (Some(s), None) => (s, len.saturating_sub(1)),
                (None, Some(n)) => (len.saturating_sub(n), len.saturating_sub(1)),
                (None, None) => (0, len.saturating_sub(1)),
            };
            if start < len && start <= end {
                body = o.data[start..=end].to_vec();
                status = StatusCode::PARTIAL_CONTENT;
                range_hdr = Some(format!("bytes {start}-{end}/{len}"));
            }
        }
    }
    let mut r = SimResponse::new(status, if head { Vec::new() } else { body.clone() })
        .with_header("x-oss-request-id", &c.rid)
        .with_header("etag", &etag(&o.etag))
        .with_header("last-modified", &gmt(o.last_modified))
        .with_header(
            "content-type",
            o.content_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
        )
        .with_header(
            "x-oss-object-type",
            if o.etag.contains('-') {
                "Multipart"
            } else {
                "Normal"
            },
        )
        .with_header("x-oss-storage-class", &o.storage_class)
        .with_header("accept-ranges", "bytes");
    for (k, v) in &o.metadata {
        r = r.with_header(&format!("x-oss-meta-{k}"), v);
    }
    if let Some(h) = range_hdr {
        r = r.with_header("content-range", &h);
    }
    if head {
        r = r.with_header("content-length", &body.len().to_string());
    }
    r
}

fn copy_object(
    c: &Call,
    account: &str,
    bucket: &str,
    key: &str,
) -> Result<SimResponse, EstateError> {
    let src = c.req.header("x-oss-copy-source").unwrap_or("");
    let src = percent_decode(src.trim_start_matches('/'), false);
    let (sb, sk) = src.split_once('/').unwrap_or((&src, ""));
    let o = c
        .ctx
        .estate
        .copy_object(NAME, account, (sb, sk), (bucket, key))?;
    Ok(c.xml(
        Xml::new()
            .open("CopyObjectResult")
            .elem("ETag", &etag(&o.etag))
            .elem("LastModified", &iso_ms(o.last_modified))
            .close("CopyObjectResult")
            .finish(),
    ))
}

fn complete(c: &Call, account: &str, bucket: &str, key: &str) -> Result<SimResponse, EstateError> {
    let id = c.req.query("uploadId").unwrap_or_default();
    let body = c.req.body_text().unwrap_or("");
    let mut parts = Vec::new();
    for chunk in body.split("<Part>").skip(1) {
        let get = |t: &str| {
            let s = chunk.find(&format!("<{t}>"))? + t.len() + 2;
            let e = chunk[s..].find(&format!("</{t}>"))?;
            Some(chunk[s..s + e].trim().to_string())
        };
        let (Some(n), Some(e)) = (get("PartNumber"), get("ETag")) else {
            continue;
        };
        let n: u32 = n
            .parse()
            .map_err(|_| EstateError::InvalidArgument("invalid part".into()))?;
        let e = e.replace("&quot;", "").trim_matches('"').to_lowercase();
        parts.push((n, e));
    }
    let o = c
        .ctx
        .estate
        .complete_upload(NAME, account, bucket, &id, &parts)?;
    Ok(c.xml(
        Xml::new()
            .open("CompleteMultipartUploadResult")
            .elem("Location", &format!("{bucket}.{}/{key}", c.req.host))
            .elem("Bucket", bucket)
            .elem("Key", key)
            .elem("ETag", &etag(&o.etag))
            .close("CompleteMultipartUploadResult")
            .finish(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderMap;

    fn req(method: Method, host: &str, pq: &str) -> SimRequest {
        SimRequest::new(method, host, pq, HeaderMap::new(), Bytes::new())
    }

    #[test]
    fn hosts_buckets_and_actions() {
        let fe = AlibabaOss::new(Arc::new(StsStore::default()));
        assert!(fe.matches_host("oss-cn-hangzhou.aliyuncs.com"));
        assert!(fe.matches_host("b.oss-cn-hangzhou.aliyuncs.com"));
        assert!(fe.matches_host("oss-cn-hangzhou-internal.aliyuncs.com"));
        assert!(!fe.matches_host("ecs.cn-hangzhou.aliyuncs.com"));
        let r = req(Method::GET, "b.oss-cn-beijing.aliyuncs.com", "/a/b%20c");
        assert_eq!(
            locate(&r),
            (Some("b".into()), "a/b c".into(), Some("cn-beijing".into()))
        );
        let r = req(Method::GET, "127.0.0.1", "/bkt/k/x");
        assert_eq!(locate(&r), (Some("bkt".into()), "k/x".into(), None));
        let cases = [
            (Method::GET, "/", "ListBuckets"),
            (Method::PUT, "/b", "PutBucket"),
            (Method::GET, "/b?list-type=2", "ListObjectsV2"),
            (Method::GET, "/b?location", "GetBucketLocation"),
            (Method::GET, "/b/k", "GetObject"),
            (Method::HEAD, "/b/k", "HeadObject"),
            (Method::POST, "/b/k?uploads", "InitiateMultipartUpload"),
            (Method::PUT, "/b/k?partNumber=1&uploadId=U", "UploadPart"),
            (Method::POST, "/b/k?uploadId=U", "CompleteMultipartUpload"),
            (Method::DELETE, "/b/k?uploadId=U", "AbortMultipartUpload"),
            (Method::DELETE, "/b/k", "DeleteObject"),
        ];
        for (m, pq, want) in cases {
            let r = req(m.clone(), "127.0.0.1", pq);
            assert_eq!(fe.action(&r), want, "{m} {pq}");
            assert_eq!(
                fe.is_mutating(&r, want),
                !matches!(m, Method::GET | Method::HEAD)
            );
        }
        assert_eq!(
            parse_v4_date("20231203T121212Z").map(|d| d.timestamp()),
            Some(1_701_605_532)
        );
        assert!(parse_http_date("Sun, 03 Dec 2023 12:12:12 GMT").is_some());
        assert_eq!(etag("abc"), "\"ABC\"");
    }
}
