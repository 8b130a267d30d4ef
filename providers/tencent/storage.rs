//! COS XML API: response bodies (GET Service, GET Bucket, multipart, copy),
//! conversions into the normalized model, and request pieces.
//!
//! Element names follow the COS API reference ("GET Service (List
//! Buckets)", "GET Bucket (List Objects)", "Initiate/Complete Multipart
//! Upload", "PUT Object - copy"). Unknown elements are ignored.

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::TencentProvider;
use super::client::{CallKind, CosRequest};
use super::config::{cos_full_bucket_name, host_of};
use super::wire::{non_empty, parse_time};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Bucket, BucketSpec, ByteStream, GetOptions, ListObjects, ObjectBody, ObjectEntry, ObjectMeta,
    PresignOptions, PresignedRequest, ProviderKind, PutBody, PutOptions, Tags,
};
use crate::paging::{Page, marker_pager};
use crate::traits::{ResultStream, Storage};

/// The largest `max-keys` of GET Bucket.
pub const MAX_KEYS: u32 = 1000;

fn from_xml<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T> {
    quick_xml::de::from_str(body).map_err(|e| {
        Error::decode(format!("invalid COS {what} XML: {e}")).with_provider(super::client::PROVIDER)
    })
}

/// `Owner` of a listing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CosOwner {
    /// `ID` (`qcs::cam::uin/<uin>:uin/<uin>` or the APPID).
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    /// `DisplayName`.
    #[serde(rename = "DisplayName", default)]
    pub display_name: Option<String>,
}

/// `ListAllMyBucketsResult` (GET Service).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListAllMyBucketsResult {
    /// `Owner`.
    #[serde(rename = "Owner", default)]
    pub owner: Option<CosOwner>,
    /// `Buckets`.
    #[serde(rename = "Buckets", default)]
    pub buckets: CosBuckets,
    /// `Marker` (paged GET Service).
    #[serde(rename = "Marker", default)]
    pub marker: Option<String>,
    /// `NextMarker`.
    #[serde(rename = "NextMarker", default)]
    pub next_marker: Option<String>,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: Option<bool>,
}

/// `Buckets`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CosBuckets {
    /// `Bucket` elements.
    #[serde(rename = "Bucket", default)]
    pub bucket: Vec<CosBucket>,
}

/// `Bucket` of GET Service.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CosBucket {
    /// `Name` (`name-appid`).
    #[serde(rename = "Name", default)]
    pub name: String,
    /// `Location` (region).
    #[serde(rename = "Location", default)]
    pub location: Option<String>,
    /// `CreationDate` (ISO 8601).
    #[serde(rename = "CreationDate", default)]
    pub creation_date: Option<String>,
    /// `BucketType` (`cos`, `ofs`), where reported.
    #[serde(rename = "BucketType", default)]
    pub bucket_type: Option<String>,
}

/// `ListBucketResult` (GET Bucket).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListBucketResult {
    /// `Name`.
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    /// `EncodingType` (`url` when keys are URL-encoded).
    #[serde(rename = "EncodingType", default)]
    pub encoding_type: Option<String>,
    /// `Prefix`.
    #[serde(rename = "Prefix", default)]
    pub prefix: Option<String>,
    /// `Marker`.
    #[serde(rename = "Marker", default)]
    pub marker: Option<String>,
    /// `MaxKeys`.
    #[serde(rename = "MaxKeys", default)]
    pub max_keys: Option<u32>,
    /// `Delimiter`.
    #[serde(rename = "Delimiter", default)]
    pub delimiter: Option<String>,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: Option<bool>,
    /// `NextMarker` (set when truncated).
    #[serde(rename = "NextMarker", default)]
    pub next_marker: Option<String>,
    /// `CommonPrefixes`.
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
    /// `Contents`.
    #[serde(rename = "Contents", default)]
    pub contents: Vec<CosObject>,
}

/// `CommonPrefixes`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommonPrefix {
    /// `Prefix`.
    #[serde(rename = "Prefix", default)]
    pub prefix: String,
}

/// `Contents` of GET Bucket.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CosObject {
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: String,
    /// `LastModified` (ISO 8601).
    #[serde(rename = "LastModified", default)]
    pub last_modified: Option<String>,
    /// `ETag` (quoted).
    #[serde(rename = "ETag", default)]
    pub etag: Option<String>,
    /// `Size` in bytes.
    #[serde(rename = "Size", default)]
    pub size: Option<u64>,
    /// `Owner`.
    #[serde(rename = "Owner", default)]
    pub owner: Option<CosOwner>,
    /// `StorageClass`.
    #[serde(rename = "StorageClass", default)]
    pub storage_class: Option<String>,
    /// `StorageTier` (intelligent tiering).
    #[serde(rename = "StorageTier", default)]
    pub storage_tier: Option<String>,
}

/// `InitiateMultipartUploadResult`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InitiateMultipartUploadResult {
    /// `Bucket`.
    #[serde(rename = "Bucket", default)]
    pub bucket: Option<String>,
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: Option<String>,
    /// `UploadId`.
    #[serde(rename = "UploadId", default)]
    pub upload_id: String,
}

/// `CompleteMultipartUploadResult`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CompleteMultipartUploadResult {
    /// `Location`.
    #[serde(rename = "Location", default)]
    pub location: Option<String>,
    /// `Bucket`.
    #[serde(rename = "Bucket", default)]
    pub bucket: Option<String>,
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: Option<String>,
    /// `ETag`.
    #[serde(rename = "ETag", default)]
    pub etag: Option<String>,
}

/// `CopyObjectResult`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CopyObjectResult {
    /// `ETag`.
    #[serde(rename = "ETag", default)]
    pub etag: Option<String>,
    /// `LastModified`.
    #[serde(rename = "LastModified", default)]
    pub last_modified: Option<String>,
}

/// Parse a GET Service body.
pub fn parse_list_all_my_buckets(body: &str) -> Result<ListAllMyBucketsResult> {
    from_xml("ListAllMyBucketsResult", body)
}

/// Parse a GET Bucket body. With `EncodingType` `url`, keys, prefixes and
/// markers are decoded.
pub fn parse_list_bucket_result(body: &str) -> Result<ListBucketResult> {
    let mut r: ListBucketResult = from_xml("ListBucketResult", body)?;
    if r.encoding_type.as_deref() == Some("url") {
        let dec = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        for c in &mut r.contents {
            c.key = dec(&c.key);
        }
        for p in &mut r.common_prefixes {
            p.prefix = dec(&p.prefix);
        }
        r.next_marker = r.next_marker.as_deref().map(dec);
        r.prefix = r.prefix.as_deref().map(dec);
        r.marker = r.marker.as_deref().map(dec);
    }
    Ok(r)
}

/// Parse an Initiate Multipart Upload body.
pub fn parse_initiate_multipart(body: &str) -> Result<InitiateMultipartUploadResult> {
    from_xml("InitiateMultipartUploadResult", body)
}

/// Parse a Complete Multipart Upload body.
pub fn parse_complete_multipart(body: &str) -> Result<CompleteMultipartUploadResult> {
    from_xml("CompleteMultipartUploadResult", body)
}

/// Parse a PUT Object - copy body.
pub fn parse_copy_object(body: &str) -> Result<CopyObjectResult> {
    from_xml("CopyObjectResult", body)
}

/// An ETag without its quotes.
pub fn unquote_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_string()
}

/// A normalized bucket from GET Service.
pub fn bucket_from_wire(b: &CosBucket) -> Bucket {
    Bucket {
        provider: ProviderKind::Tencent,
        name: b.name.clone(),
        region: non_empty(&b.location),
        created_at: b.creation_date.as_deref().and_then(parse_time),
        storage_class: None,
        tags: Tags::new(),
    }
}

/// Object metadata from a GET Bucket `Contents` entry.
pub fn object_meta_from_wire(o: &CosObject) -> ObjectMeta {
    ObjectMeta {
        key: o.key.clone(),
        size: o.size.unwrap_or(0),
        etag: o.etag.as_deref().map(unquote_etag),
        last_modified: o.last_modified.as_deref().and_then(parse_time),
        content_type: None,
        storage_class: non_empty(&o.storage_class),
        metadata: Tags::new(),
    }
}

/// The entries of one listing page: common prefixes first, then objects,
/// as the service returns them.
pub fn object_entries_from_wire(r: &ListBucketResult) -> Vec<ObjectEntry> {
    let mut out: Vec<ObjectEntry> = r
        .common_prefixes
        .iter()
        .map(|p| ObjectEntry::Prefix(p.prefix.clone()))
        .collect();
    out.extend(
        r.contents
            .iter()
            .map(|o| ObjectEntry::Object(object_meta_from_wire(o))),
    );
    out
}

/// The marker for the next page, or `None` when the listing is complete.
/// COS returns `NextMarker` only with a delimiter; otherwise the last key
/// of the page is the next marker.
pub fn next_marker(r: &ListBucketResult) -> Option<String> {
    if r.is_truncated != Some(true) {
        return None;
    }
    non_empty(&r.next_marker).or_else(|| {
        let last_key = r.contents.last().map(|c| c.key.clone());
        let last_prefix = r.common_prefixes.last().map(|p| p.prefix.clone());
        match (last_key, last_prefix) {
            (Some(k), Some(p)) => Some(if k > p { k } else { p }),
            (k, p) => k.or(p),
        }
    })
}

/// Object metadata from the headers of a HEAD/GET Object response
/// (`Content-Length`, `ETag`, `Last-Modified`, `Content-Type`,
/// `x-cos-storage-class`, `x-cos-meta-*`). Header names are matched
/// case-insensitively; user metadata keys are lower-cased without prefix.
pub fn object_meta_from_headers(key: &str, headers: &[(String, String)]) -> ObjectMeta {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let metadata: Tags = headers
        .iter()
        .filter_map(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            lower
                .strip_prefix("x-cos-meta-")
                .map(|m| (m.to_string(), v.clone()))
        })
        .collect();
    ObjectMeta {
        key: key.to_string(),
        size: get("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        etag: get("etag").map(unquote_etag),
        last_modified: get("last-modified").and_then(|v| {
            chrono::DateTime::parse_from_rfc2822(v.trim())
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc))
        }),
        content_type: get("content-type").map(str::to_string),
        // COS omits the header for STANDARD objects.
        storage_class: Some(get("x-cos-storage-class").unwrap_or("STANDARD").to_string()),
        metadata,
    }
}

/// Query parameters of one GET Bucket page: `prefix`, `delimiter`,
/// `marker` (the previous page's next marker, else `start_after`),
/// `max-keys` (at most 1000) and `encoding-type=url` (so that keys with
/// control characters survive XML).
pub fn list_objects_query(q: &ListObjects, marker: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(p) = q.prefix.as_deref().filter(|p| !p.is_empty()) {
        out.push(("prefix".to_string(), p.to_string()));
    }
    if let Some(d) = q.delimiter.as_deref().filter(|d| !d.is_empty()) {
        out.push(("delimiter".to_string(), d.to_string()));
    }
    if let Some(m) = marker
        .or(q.start_after.as_deref())
        .filter(|m| !m.is_empty())
    {
        out.push(("marker".to_string(), m.to_string()));
    }
    out.push((
        "max-keys".to_string(),
        super::wire::page_size(q.page_size, MAX_KEYS).to_string(),
    ));
    out.push(("encoding-type".to_string(), "url".to_string()));
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The body of Complete Multipart Upload: parts in ascending order.
pub fn complete_multipart_body(parts: &[(u32, String)]) -> String {
    let mut sorted: Vec<&(u32, String)> = parts.iter().collect();
    sorted.sort_by_key(|p| p.0);
    let mut out = String::from("<CompleteMultipartUpload>");
    for (n, etag) in sorted {
        out.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
            xml_escape(&format!("\"{}\"", unquote_etag(etag)))
        ));
    }
    out.push_str("</CompleteMultipartUpload>");
    out
}

/// The body of PUT Bucket for a region (`CreateBucketConfiguration` is
/// optional on COS; the region comes from the host). Empty.
pub fn put_bucket_body() -> &'static str {
    ""
}

/// The `x-cos-copy-source` header value for a copy from
/// `{bucket}.cos.{region}.{domain}/{key}` (key path-encoded).
pub fn copy_source(bucket_host: &str, key: &str) -> String {
    format!("{bucket_host}/{}", super::sign::cos_encode_path(key))
}

/// The bucket's region from a HEAD Bucket response (`x-cos-bucket-region`).
pub fn bucket_region_from_headers(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-cos-bucket-region"))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Headers of a PUT Object (or Initiate Multipart Upload) for `opts`:
/// `Content-Type`, `x-cos-storage-class`, and `x-cos-meta-<key>` per user
/// metadata entry.
pub fn put_object_headers(opts: &crate::model::PutOptions) -> Vec<(String, String)> {
    let mut h = Vec::new();
    if let Some(ct) = &opts.content_type {
        h.push(("Content-Type".to_string(), ct.clone()));
    }
    if let Some(sc) = &opts.storage_class {
        h.push(("x-cos-storage-class".to_string(), sc.clone()));
    }
    for (k, v) in &opts.metadata {
        h.push((format!("x-cos-meta-{k}"), v.clone()));
    }
    h
}

/// The `Range` header of a ranged GET (`bytes=first-last`, `bytes=first-`).
pub fn range_header(opts: &crate::model::GetOptions) -> Option<String> {
    opts.range.map(|(first, last)| match last {
        Some(l) => format!("bytes={first}-{l}"),
        None => format!("bytes={first}-"),
    })
}

/// A presigned URL for `method` on `key` of the bucket at `bucket_url`
/// (`https://{bucket}-{appid}.cos.{region}.myqcloud.com`), valid from 60 s
/// before `now` for `expires_secs`, with `host` signed and, for temporary
/// credentials, `x-cos-security-token` signed into the query string.
pub fn presign_object_url(
    bucket_url: &str,
    key: &str,
    method: crate::model::PresignMethod,
    creds: &super::config::Credentials,
    now: i64,
    expires_secs: i64,
) -> String {
    use crate::model::PresignMethod;
    let verb = match method {
        PresignMethod::Put => "PUT",
        PresignMethod::Head => "HEAD",
        PresignMethod::Delete => "DELETE",
        _ => "GET",
    };
    let host = super::config::host_of(bucket_url);
    let headers = vec![("host".to_string(), host)];
    let params: Vec<(String, String)> = creds
        .token
        .as_ref()
        .map(|t| vec![("x-cos-security-token".to_string(), t.expose().to_string())])
        .unwrap_or_default();
    let path = format!("/{}", key.strip_prefix('/').unwrap_or(key));
    let req = super::sign::CosSignRequest {
        method: verb,
        path: &path,
        params: &params,
        headers: &headers,
    };
    let (start, end) = super::sign::cos_sign_window(now, expires_secs);
    let sig = super::sign::cos_sign(&req, &creds.secret_id, &creds.secret_key, start, end);
    let object_url = format!(
        "{}/{}",
        bucket_url.trim_end_matches('/'),
        super::sign::cos_encode_path(key)
    );
    super::sign::cos_presigned_url(&object_url, &sig, &params)
}

// ---------------------------------------------------------------------------
// The trait implementation
// ---------------------------------------------------------------------------

// `Storage` over the COS XML API.
//
// Buckets are addressed as `{name}-{appid}` (the account's `app_id`
// option is appended to names that lack it). COS needs a bucket's region
// in its host name; the provider learns it from GET Service (the list of
// buckets carries each `Location`) and from its own creates, and caches it.

/// The smallest part COS accepts (all parts but the last).
pub const MIN_PART_SIZE: u64 = 1024 * 1024;

fn header_pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect()
}

fn body_text(r: &crate::transport::Response) -> Result<&str> {
    r.text()
}

/// `Content-Range: bytes first-last/total` → `(first, last)`.
pub fn content_range(h: &HeaderMap) -> Option<(u64, u64)> {
    let v = h.get("content-range")?.to_str().ok()?;
    let range = v.trim().strip_prefix("bytes ")?.split('/').next()?;
    let (a, b) = range.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Splits a body into parts of `part_size` bytes as it arrives.
struct Parts {
    buf: BytesMut,
    stream: Option<ByteStream>,
    part_size: usize,
}

impl Parts {
    fn from_bytes(b: Bytes, part_size: usize) -> Self {
        Parts {
            buf: BytesMut::from(&b[..]),
            stream: None,
            part_size,
        }
    }

    fn from_stream(s: ByteStream, part_size: usize) -> Self {
        Parts {
            buf: BytesMut::new(),
            stream: Some(s),
            part_size,
        }
    }

    /// Read until at least `n` bytes are buffered or the stream ends.
    async fn fill(&mut self, n: usize) -> Result<()> {
        while self.buf.len() < n {
            let Some(s) = self.stream.as_mut() else {
                break;
            };
            match s.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => self.stream = None,
            }
        }
        Ok(())
    }

    fn ended(&self) -> bool {
        self.stream.is_none()
    }

    async fn next_part(&mut self) -> Result<Option<Bytes>> {
        self.fill(self.part_size).await?;
        if self.buf.is_empty() {
            return Ok(None);
        }
        let n = self.part_size.min(self.buf.len());
        Ok(Some(self.buf.split_to(n).freeze()))
    }
}

impl TencentProvider {
    fn full_bucket(&self, name: &str) -> String {
        cos_full_bucket_name(name, self.app_id.as_deref())
    }

    fn cos_req(&self, method: Method, bucket: &str, region: &str, key: &str) -> CosRequest {
        let mut r = CosRequest::new(
            method,
            self.client.endpoints().cos_bucket_url(bucket, region),
            key,
        );
        r.region = Some(region.to_string());
        r
    }

    async fn list_buckets_page(&self, marker: Option<String>) -> Result<Page<Bucket>> {
        let mut req = CosRequest::new(
            Method::GET,
            self.client.endpoints().cos_service_url(None),
            "",
        );
        if let Some(m) = marker {
            req.query.push(("marker".into(), m));
        }
        let resp = self.client.cos("ListBuckets", req, CallKind::Read).await?;
        let r = parse_list_all_my_buckets(body_text(&resp)?)
            .map_err(|e| e.with_context_defaults(resp.context()))?;
        let items: Vec<Bucket> = r.buckets.bucket.iter().map(bucket_from_wire).collect();
        for b in &items {
            self.remember_bucket(&b.name, b.region.as_deref());
        }
        let next = if r.is_truncated == Some(true) {
            r.next_marker.filter(|m| !m.is_empty())
        } else {
            None
        };
        Ok(Page::new(items, next))
    }

    /// The region of a bucket (cache, else the bucket list); `NotFound`
    /// when the account has no such bucket.
    async fn bucket_region(&self, bucket: &str) -> Result<String> {
        self.bucket_region_opt(bucket).await?.ok_or_else(|| {
            Error::not_found(format!("COS bucket `{bucket}` not found"))
                .with_provider("tencent")
                .with_service("cos")
        })
    }

    /// The region of a bucket, `None` when the account's bucket list does
    /// not have it; an error only when the list cannot be read.
    async fn bucket_region_opt(&self, bucket: &str) -> Result<Option<String>> {
        if let Some(r) = self.bucket_region_cached(bucket) {
            return Ok(Some(r));
        }
        let mut all = self.buckets();
        while let Some(b) = all.next().await {
            let b = b?;
            if b.name == bucket {
                if let Some(r) = b.region {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
    }

    /// Whether the account's bucket list has `bucket` in `region` (any
    /// listing error counts as no).
    async fn bucket_listed(&self, bucket: &str, region: &str) -> bool {
        let mut all = self.buckets();
        while let Some(b) = all.next().await {
            match b {
                Ok(b) if b.name == bucket => return b.region.as_deref() == Some(region),
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    async fn put_single(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
        body: Bytes,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let size = body.len() as u64;
        let mut req = self.cos_req(Method::PUT, bucket, region, key);
        req.headers = put_object_headers(opts);
        req.body = body;
        let resp = self
            .client
            .cos("PutObject", req, CallKind::Idempotent)
            .await?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size,
            etag: resp
                .headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(unquote_etag),
            last_modified: None,
            content_type: opts.content_type.clone(),
            storage_class: Some(
                opts.storage_class
                    .clone()
                    .unwrap_or_else(|| "STANDARD".into()),
            ),
            metadata: opts.metadata.clone(),
        })
    }

    async fn put_multipart(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
        mut parts: Parts,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let mut req = self.cos_req(Method::POST, bucket, region, key);
        req.query.push(("uploads".into(), String::new()));
        req.headers = put_object_headers(opts);
        let resp = self
            .client
            .cos("InitiateMultipartUpload", req, CallKind::Write)
            .await?;
        let upload = parse_initiate_multipart(body_text(&resp)?)
            .map_err(|e| e.with_context_defaults(resp.context()))?
            .upload_id;
        let result = self
            .upload_parts(bucket, region, key, &upload, &mut parts)
            .await;
        match result {
            Ok(size) => {
                let mut meta = self.head_object(bucket, key).await?;
                if meta.size == 0 {
                    meta.size = size;
                }
                Ok(meta)
            }
            Err(e) => {
                let mut abort = self.cos_req(Method::DELETE, bucket, region, key);
                abort.query.push(("uploadId".into(), upload));
                if let Err(a) = self
                    .client
                    .cos("AbortMultipartUpload", abort, CallKind::Idempotent)
                    .await
                {
                    tracing::warn!(provider = "tencent", error = %a, "aborting a failed multipart upload failed");
                }
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
        upload: &str,
        parts: &mut Parts,
    ) -> Result<u64> {
        let mut done: Vec<(u32, String)> = Vec::new();
        let mut size = 0u64;
        let mut n: u32 = 0;
        while let Some(part) = parts.next_part().await? {
            n += 1;
            if n > 10_000 {
                return Err(Error::invalid_argument(
                    "COS multipart uploads take at most 10000 parts: raise PutOptions::part_size",
                ));
            }
            size += part.len() as u64;
            let mut req = self.cos_req(Method::PUT, bucket, region, key);
            req.query.push(("partNumber".into(), n.to_string()));
            req.query.push(("uploadId".into(), upload.to_string()));
            req.body = part;
            let resp = self
                .client
                .cos("UploadPart", req, CallKind::Idempotent)
                .await?;
            let etag = resp
                .headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(unquote_etag)
                .ok_or_else(|| resp.decode_error("UploadPart answered without an ETag"))?;
            done.push((n, etag));
        }
        let mut req = self.cos_req(Method::POST, bucket, region, key);
        req.query.push(("uploadId".into(), upload.to_string()));
        req.headers
            .push(("Content-Type".into(), "application/xml".into()));
        req.body = Bytes::from(complete_multipart_body(&done));
        let resp = self
            .client
            .cos("CompleteMultipartUpload", req, CallKind::Write)
            .await?;
        parse_complete_multipart(body_text(&resp)?)
            .map_err(|e| e.with_context_defaults(resp.context()))?;
        Ok(size)
    }
}

#[async_trait]
impl Storage for TencentProvider {
    fn buckets(&self) -> ResultStream<'_, Bucket> {
        marker_pager(None, move |marker| self.list_buckets_page(marker))
    }

    async fn create_bucket(&self, spec: &BucketSpec) -> Result<Bucket> {
        let name = self.full_bucket(&spec.name);
        let mut req = self.cos_req(Method::PUT, &name, &spec.region, "");
        if let Some(sc) = &spec.storage_class {
            // Not a COS bucket setting: objects carry their class.
            tracing::debug!(storage_class = %sc, "COS buckets take no storage class; ignored");
        }
        req.body = Bytes::from_static(put_bucket_body().as_bytes());
        match self
            .client
            .cos("PutBucket", req, CallKind::Idempotent)
            .await
        {
            Ok(_) => {}
            // A retry after an attempt whose answer was lost: COS answers
            // 409 `BucketAlreadyOwnedByYou` because that attempt made the
            // bucket. On the first attempt the same code means the bucket
            // existed before: `AlreadyExists`.
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") && e.attempts() > 1 => {}
            // Every answer lost (or timed out): the bucket may exist now.
            Err(e) if matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout) => {
                if !self.bucket_listed(&name, &spec.region).await {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        self.remember_bucket(&name, Some(&spec.region));
        Ok(Bucket {
            provider: ProviderKind::Tencent,
            name,
            region: Some(spec.region.clone()),
            created_at: Some(chrono::Utc::now()),
            storage_class: None,
            tags: Tags::new(),
        })
    }

    async fn delete_bucket(&self, name: &str) -> Result<()> {
        let name = self.full_bucket(name);
        // Not in the account's bucket list: already deleted. A failure to
        // read the list (even a 404 from a wrong endpoint) is an error.
        let Some(region) = self.bucket_region_opt(&name).await? else {
            return Ok(());
        };
        let req = self.cos_req(Method::DELETE, &name, &region, "");
        match self
            .client
            .cos("DeleteBucket", req, CallKind::Idempotent)
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("NoSuchBucket") => {}
            Err(e) => return Err(e),
        }
        self.remember_bucket(&name, None);
        Ok(())
    }

    async fn bucket_location(&self, name: &str) -> Result<String> {
        let name = self.full_bucket(name);
        let region = self.bucket_region(&name).await?;
        let req = self.cos_req(Method::HEAD, &name, &region, "");
        let resp = self.client.cos("HeadBucket", req, CallKind::Read).await?;
        Ok(bucket_region_from_headers(&header_pairs(&resp.headers)).unwrap_or(region))
    }

    fn objects<'a>(&'a self, q: &'a ListObjects) -> ResultStream<'a, ObjectEntry> {
        marker_pager(None, move |marker: Option<String>| async move {
            let bucket = self.full_bucket(&q.bucket);
            let region = self.bucket_region(&bucket).await?;
            let mut req = self.cos_req(Method::GET, &bucket, &region, "");
            req.query = list_objects_query(q, marker.as_deref());
            let resp = self.client.cos("ListObjects", req, CallKind::Read).await?;
            let r = parse_list_bucket_result(body_text(&resp)?)
                .map_err(|e| e.with_context_defaults(resp.context()))?;
            Ok(Page::new(object_entries_from_wire(&r), next_marker(&r)))
        })
    }

    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let bucket = self.full_bucket(bucket);
        let region = self.bucket_region(&bucket).await?;
        let req = self.cos_req(Method::HEAD, &bucket, &region, key);
        let resp = self.client.cos("HeadObject", req, CallKind::Read).await?;
        Ok(object_meta_from_headers(key, &header_pairs(&resp.headers)))
    }

    async fn get_object(&self, bucket: &str, key: &str, opts: &GetOptions) -> Result<ObjectBody> {
        let bucket = self.full_bucket(bucket);
        let region = self.bucket_region(&bucket).await?;
        let mut req = self.cos_req(Method::GET, &bucket, &region, key);
        if let Some(r) = range_header(opts) {
            req.headers.push(("Range".into(), r));
        }
        let resp = self.client.cos_streaming("GetObject", req).await?;
        let mut meta = object_meta_from_headers(key, &header_pairs(&resp.headers));
        let range = content_range(&resp.headers);
        if let Some(total) = resp
            .headers
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit('/').next())
            .and_then(|t| t.trim().parse::<u64>().ok())
        {
            meta.size = total;
        }
        Ok(ObjectBody {
            meta,
            range,
            body: resp.body,
        })
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: PutBody,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let bucket = self.full_bucket(bucket);
        let region = self.bucket_region(&bucket).await?;
        let threshold = usize::try_from(opts.multipart_threshold).unwrap_or(usize::MAX);
        let part_size = usize::try_from(opts.part_size.max(MIN_PART_SIZE)).unwrap_or(usize::MAX);
        match body {
            PutBody::Bytes(b) if b.len() <= threshold => {
                self.put_single(&bucket, &region, key, b, opts).await
            }
            PutBody::Bytes(b) => {
                let parts = Parts::from_bytes(b, part_size);
                self.put_multipart(&bucket, &region, key, parts, opts).await
            }
            PutBody::Stream { body, .. } => {
                let mut parts = Parts::from_stream(body, part_size);
                parts.fill(threshold.saturating_add(1)).await?;
                if parts.ended() && parts.buf.len() <= threshold {
                    let b = std::mem::take(&mut parts.buf).freeze();
                    self.put_single(&bucket, &region, key, b, opts).await
                } else {
                    self.put_multipart(&bucket, &region, key, parts, opts).await
                }
            }
        }
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()> {
        let bucket = self.full_bucket(bucket);
        // A bucket the account does not have is an error (a mistyped
        // name), not an object that is already gone.
        let region = self.bucket_region(&bucket).await?;
        let req = self.cos_req(Method::DELETE, &bucket, &region, key);
        match self
            .client
            .cos("DeleteObject", req, CallKind::Idempotent)
            .await
        {
            Ok(_) => Ok(()),
            // COS answers 204 for a missing key; `NoSuchKey` is taken as
            // gone too. `NoSuchBucket` and code-less 404s are errors.
            Err(e) if e.code() == Some("NoSuchKey") => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectMeta> {
        let src = self.full_bucket(src_bucket);
        let src_region = self.bucket_region(&src).await?;
        let dst = self.full_bucket(dst_bucket);
        let dst_region = self.bucket_region(&dst).await?;
        let src_host = host_of(&self.client.endpoints().cos_bucket_url(&src, &src_region));
        let mut req = self.cos_req(Method::PUT, &dst, &dst_region, dst_key);
        req.headers
            .push(("x-cos-copy-source".into(), copy_source(&src_host, src_key)));
        let resp = self
            .client
            .cos("CopyObject", req, CallKind::Idempotent)
            .await?;
        // COS may answer 200 with an error document for a failed copy.
        let text = body_text(&resp)?;
        if text.contains("<Error>") {
            return Err(super::client::parse_cos_error(500, None, text.as_bytes()));
        }
        parse_copy_object(text).map_err(|e| e.with_context_defaults(resp.context()))?;
        self.head_object(&dst, dst_key).await
    }

    async fn presign(
        &self,
        bucket: &str,
        key: &str,
        opts: &PresignOptions,
    ) -> Result<PresignedRequest> {
        let now = chrono::Utc::now();
        let (expires, expires_at) = presign_expiry(now, opts.expires_secs)?;
        let bucket = self.full_bucket(bucket);
        let region = self.bucket_region(&bucket).await?;
        let creds = self.client.credentials().await?;
        let url = presign_object_url(
            &self.client.endpoints().cos_bucket_url(&bucket, &region),
            key,
            opts.method,
            &creds,
            now.timestamp(),
            expires,
        );
        Ok(PresignedRequest {
            method: opts.method,
            url,
            headers: Tags::new(),
            expires_at,
        })
    }
}

/// The longest validity [`Storage::presign`] accepts: 100 years.
///
/// COS itself sets no maximum: the signature's `q-sign-time` end is any
/// Unix time, the vendor's SDKs take any `Expired`, and the COS FAQ ("How
/// do I set the COS signature to be permanent?") suggests an end "a long
/// time (for example, 50 years)" away. The bound is ours: it admits that
/// practice and keeps the end time far inside what `chrono` and `i64` hold
/// (an unchecked `u64::MAX` overflowed them and panicked). With temporary
/// credentials the URL stops working when the token expires, whatever the
/// bound.
pub const MAX_PRESIGN_SECS: u64 = 100 * 365 * 24 * 3600;

/// Validate a presign duration: the seconds to sign for and the expiry
/// time. `InvalidArgument` for 0 or more than [`MAX_PRESIGN_SECS`].
pub fn presign_expiry(
    now: chrono::DateTime<chrono::Utc>,
    expires_secs: u64,
) -> Result<(i64, chrono::DateTime<chrono::Utc>)> {
    let bad = || {
        Error::invalid_argument(format!(
            "presign expires_secs must be between 1 and {MAX_PRESIGN_SECS} (100 years), \
             got {expires_secs}"
        ))
        .with_provider("tencent")
        .with_service("cos")
    };
    if expires_secs == 0 || expires_secs > MAX_PRESIGN_SECS {
        return Err(bad());
    }
    let secs = i64::try_from(expires_secs).map_err(|_| bad())?;
    let at = chrono::Duration::try_seconds(secs)
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(bad)?;
    Ok((secs, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A huge presign duration is an `InvalidArgument`, not a panic.
    #[test]
    fn presign_expiry_is_bounded() {
        let now = chrono::Utc::now();
        for bad in [0, MAX_PRESIGN_SECS + 1, 9_300_000_000_000_000, u64::MAX] {
            let e = presign_expiry(now, bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
        let (secs, at) = presign_expiry(now, 900).unwrap();
        assert_eq!(secs, 900);
        assert_eq!(at, now + chrono::Duration::seconds(900));
        let (secs, _) = presign_expiry(now, MAX_PRESIGN_SECS).unwrap();
        assert_eq!(secs as u64, MAX_PRESIGN_SECS);
    }

    #[test]
    fn encoded_listing_is_decoded_and_paged() {
        let body = "<ListBucketResult><Name>b-1</Name><EncodingType>url</EncodingType>\
            <Prefix>a%2F</Prefix><IsTruncated>true</IsTruncated>\
            <Contents><Key>a%2F%E8%85%BE%20x.txt</Key><Size>3</Size><ETag>\"abc\"</ETag>\
            <LastModified>2019-05-27T11:26:14.000Z</LastModified></Contents></ListBucketResult>";
        let r = parse_list_bucket_result(body).unwrap();
        assert_eq!(r.contents[0].key, "a/腾 x.txt");
        assert_eq!(r.prefix.as_deref(), Some("a/"));
        assert_eq!(next_marker(&r).as_deref(), Some("a/腾 x.txt"));
        let e = object_entries_from_wire(&r);
        match &e[0] {
            ObjectEntry::Object(m) => {
                assert_eq!(m.etag.as_deref(), Some("abc"));
                assert_eq!(m.size, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_list_bucket_result("<ListBucketResult><Contents>").is_err());
    }

    #[test]
    fn head_headers() {
        let h: Vec<(String, String)> = vec![
            ("Content-Length".into(), "13".into()),
            ("ETag".into(), "\"ee8de918d05640145b18f70f4c3aa602\"".into()),
            (
                "Last-Modified".into(),
                "Thu, 16 May 2019 06:45:51 GMT".into(),
            ),
            ("Content-Type".into(), "text/plain".into()),
            ("x-cos-meta-Author".into(), "me".into()),
        ];
        let m = object_meta_from_headers("a.txt", &h);
        assert_eq!(m.size, 13);
        assert_eq!(m.etag.as_deref(), Some("ee8de918d05640145b18f70f4c3aa602"));
        assert_eq!(
            m.last_modified.map(|t| t.to_rfc3339()).as_deref(),
            Some("2019-05-16T06:45:51+00:00")
        );
        assert_eq!(m.metadata.get("author").map(String::as_str), Some("me"));
        assert_eq!(m.storage_class.as_deref(), Some("STANDARD"));
    }

    #[test]
    fn object_helpers() {
        use crate::model::{GetOptions, PresignMethod, PutOptions};
        let h = vec![("X-Cos-Bucket-Region".to_string(), "ap-beijing".to_string())];
        assert_eq!(
            bucket_region_from_headers(&h).as_deref(),
            Some("ap-beijing")
        );
        assert_eq!(bucket_region_from_headers(&[]), None);
        let mut o = PutOptions {
            content_type: Some("text/plain".into()),
            storage_class: Some("STANDARD_IA".into()),
            ..Default::default()
        };
        o.metadata.insert("author".into(), "me".into());
        assert_eq!(
            put_object_headers(&o),
            vec![
                ("Content-Type".to_string(), "text/plain".to_string()),
                ("x-cos-storage-class".to_string(), "STANDARD_IA".to_string()),
                ("x-cos-meta-author".to_string(), "me".to_string()),
            ]
        );
        assert_eq!(
            range_header(&GetOptions {
                range: Some((0, Some(9)))
            })
            .as_deref(),
            Some("bytes=0-9")
        );
        assert_eq!(
            range_header(&GetOptions {
                range: Some((5, None))
            })
            .as_deref(),
            Some("bytes=5-")
        );
        assert_eq!(range_header(&GetOptions::default()), None);
        let mut creds = super::super::config::Credentials::new("AKID", "k");
        let url = presign_object_url(
            "https://b-1250000000.cos.ap-beijing.myqcloud.com",
            "dir/a b.txt",
            PresignMethod::Get,
            &creds,
            1000,
            300,
        );
        assert!(url.starts_with(
            "https://b-1250000000.cos.ap-beijing.myqcloud.com/dir/a%20b.txt?q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=940%3B1300&q-key-time=940%3B1300&q-header-list=host&q-url-param-list=&q-signature="
        ), "{url}");
        creds.token = Some(crate::credentials::Secret::new("tok"));
        let url = presign_object_url(
            "https://b-1.cos.r.myqcloud.com/",
            "k",
            PresignMethod::Put,
            &creds,
            1000,
            300,
        );
        assert!(
            url.contains("q-url-param-list=x-cos-security-token"),
            "{url}"
        );
        assert!(url.ends_with("&x-cos-security-token=tok"), "{url}");
    }

    #[test]
    fn requests() {
        let q = ListObjects {
            bucket: "b-1".into(),
            prefix: Some("logs/".into()),
            delimiter: Some("/".into()),
            page_size: Some(5000),
            ..Default::default()
        };
        assert_eq!(
            list_objects_query(&q, Some("logs/x")),
            vec![
                ("prefix".to_string(), "logs/".to_string()),
                ("delimiter".to_string(), "/".to_string()),
                ("marker".to_string(), "logs/x".to_string()),
                ("max-keys".to_string(), "1000".to_string()),
                ("encoding-type".to_string(), "url".to_string()),
            ]
        );
        assert_eq!(
            complete_multipart_body(&[(2, "\"b\"".into()), (1, "a".into())]),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part></CompleteMultipartUpload>"
        );
        let init = parse_initiate_multipart(
            "<InitiateMultipartUploadResult><Bucket>b-1</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>",
        )
        .unwrap();
        assert_eq!(init.upload_id, "u1");
        let done = parse_complete_multipart(
            "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>",
        )
        .unwrap();
        assert_eq!(
            done.etag.as_deref().map(unquote_etag).as_deref(),
            Some("e-2")
        );
        let copy = parse_copy_object(
            "<CopyObjectResult><ETag>\"x\"</ETag><LastModified>2019-05-27T11:26:14Z</LastModified></CopyObjectResult>",
        )
        .unwrap();
        assert_eq!(copy.etag.as_deref(), Some("\"x\""));
        assert_eq!(
            copy_source("b-1.cos.ap-beijing.myqcloud.com", "a b/c"),
            "b-1.cos.ap-beijing.myqcloud.com/a%20b/c"
        );
        assert_eq!(put_bucket_body(), "");
    }
}

#[cfg(test)]
mod impl_tests {
    use super::*;

    #[test]
    fn content_range_parses() {
        let mut h = HeaderMap::new();
        h.insert("content-range", "bytes 0-4/21".parse().unwrap());
        assert_eq!(content_range(&h), Some((0, 4)));
        h.insert("content-range", "bytes */21".parse().unwrap());
        assert_eq!(content_range(&h), None);
    }

    #[tokio::test]
    async fn parts_split_a_stream() {
        let chunks: Vec<Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Ok(Bytes::from_static(b"defgh")),
            Ok(Bytes::from_static(b"i")),
        ];
        let mut p = Parts::from_stream(futures::stream::iter(chunks).boxed(), 4);
        let mut got = Vec::new();
        while let Some(part) = p.next_part().await.unwrap() {
            got.push(part);
        }
        assert_eq!(
            got,
            vec![
                Bytes::from_static(b"abcd"),
                Bytes::from_static(b"efgh"),
                Bytes::from_static(b"i")
            ]
        );
        let mut p = Parts::from_bytes(Bytes::from_static(b"12345"), 2);
        assert_eq!(
            p.next_part().await.unwrap().unwrap(),
            Bytes::from_static(b"12")
        );
        p.fill(100).await.unwrap();
        assert!(p.ended());
    }
}
