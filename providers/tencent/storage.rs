//! COS XML API: response bodies (GET Service, GET Bucket, multipart, copy),
//! conversions into the normalized model, and request pieces.
//!
//! Element names follow the COS API reference ("GET Service (List
//! Buckets)", "GET Bucket (List Objects)", "Initiate/Complete Multipart
//! Upload", "PUT Object - copy"). Unknown elements are ignored.

use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::wire::{non_empty, parse_time};
use crate::error::{Error, Result};
use crate::model::{Bucket, ListObjects, ObjectEntry, ObjectMeta, ProviderKind, Tags};

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

#[cfg(test)]
mod tests {
    use super::*;

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
