//! OSS: bucket and object listings (XML), object metadata from headers, and
//! the query/headers/bodies of the OSS calls.
//!
//! Element names follow the OSS API reference (GetService/ListBuckets,
//! GetBucketV2/ListObjectsV2, GetBucketLocation, InitiateMultipartUpload,
//! CompleteMultipartUpload) and the vendor's `alibabacloud-oss-v2` models.

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::sign::percent_encode;
use super::wire::{Params, parse_time, push, push_opt};
use crate::error::{Error, Result};
use crate::model::{Bucket, ListObjects, ObjectEntry, ObjectMeta, ProviderKind, PutOptions, Tags};

/// Largest `max-keys` of ListObjectsV2 and ListBuckets.
pub const OSS_MAX_KEYS: u32 = 1000;

/// Parse an OSS XML body into `T`, as a `Decode` error when it does not fit.
pub fn decode_xml<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> Result<T> {
    let text = std::str::from_utf8(body)
        .map_err(|e| Error::decode(format!("{what}: body is not UTF-8: {e}")))?;
    quick_xml::de::from_str(text).map_err(|e| {
        Error::decode(format!(
            "{what}: XML does not match the vendor's shape: {e}"
        ))
        .with_provider("alibaba")
        .with_service("oss")
    })
}

fn truthy(s: &Option<String>) -> bool {
    s.as_deref().map(str::trim) == Some("true")
}

/// The bucket owner.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OwnerWire {
    /// Owner id.
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    /// Display name.
    #[serde(rename = "DisplayName", default)]
    pub display_name: Option<String>,
}

/// One `<Bucket>` of ListBuckets.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BucketWire {
    /// Bucket name.
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    /// Creation time.
    #[serde(rename = "CreationDate", default)]
    pub creation_date: Option<String>,
    /// Location (`oss-cn-hangzhou`).
    #[serde(rename = "Location", default)]
    pub location: Option<String>,
    /// Region id (`cn-hangzhou`).
    #[serde(rename = "Region", default)]
    pub region: Option<String>,
    /// Public endpoint.
    #[serde(rename = "ExtranetEndpoint", default)]
    pub extranet_endpoint: Option<String>,
    /// Internal endpoint.
    #[serde(rename = "IntranetEndpoint", default)]
    pub intranet_endpoint: Option<String>,
    /// Default storage class.
    #[serde(rename = "StorageClass", default)]
    pub storage_class: Option<String>,
}

impl BucketWire {
    /// As a normalized bucket; the region is `Region`, or `Location`
    /// without its `oss-` prefix.
    pub fn to_bucket(&self) -> Option<Bucket> {
        let name = self.name.clone().filter(|s| !s.is_empty())?;
        let region = self.region.clone().filter(|s| !s.is_empty()).or_else(|| {
            self.location
                .as_deref()
                .map(|l| l.strip_prefix("oss-").unwrap_or(l).to_string())
                .filter(|s| !s.is_empty())
        });
        Some(Bucket {
            provider: ProviderKind::Alibaba,
            name,
            region,
            created_at: self.creation_date.as_deref().and_then(parse_time),
            storage_class: self.storage_class.clone().filter(|s| !s.is_empty()),
            tags: Tags::new(),
        })
    }
}

/// `<Buckets>`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BucketsWire {
    /// The buckets.
    #[serde(rename = "Bucket", default)]
    pub bucket: Vec<BucketWire>,
}

/// `<ListAllMyBucketsResult>`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListAllMyBucketsResult {
    /// Prefix asked for.
    #[serde(rename = "Prefix", default)]
    pub prefix: Option<String>,
    /// Marker asked for.
    #[serde(rename = "Marker", default)]
    pub marker: Option<String>,
    /// Page size.
    #[serde(rename = "MaxKeys", default)]
    pub max_keys: Option<String>,
    /// `true` when more pages follow.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: Option<String>,
    /// Marker of the next page.
    #[serde(rename = "NextMarker", default)]
    pub next_marker: Option<String>,
    /// Owner.
    #[serde(rename = "Owner", default)]
    pub owner: Option<OwnerWire>,
    /// The buckets.
    #[serde(rename = "Buckets", default)]
    pub buckets: BucketsWire,
}

impl ListAllMyBucketsResult {
    /// As normalized buckets.
    pub fn to_buckets(&self) -> Vec<Bucket> {
        self.buckets
            .bucket
            .iter()
            .filter_map(BucketWire::to_bucket)
            .collect()
    }

    /// The marker of the next page, `None` on the last page.
    pub fn next_page(&self) -> Option<String> {
        if truthy(&self.is_truncated) {
            self.next_marker.clone().filter(|s| !s.is_empty())
        } else {
            None
        }
    }
}

/// One `<Contents>` of ListObjectsV2.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContentsWire {
    /// Object key (URL-encoded when `EncodingType` is `url`).
    #[serde(rename = "Key", default)]
    pub key: Option<String>,
    /// Last modification time.
    #[serde(rename = "LastModified", default)]
    pub last_modified: Option<String>,
    /// ETag, quoted.
    #[serde(rename = "ETag", default)]
    pub etag: Option<String>,
    /// Size in bytes.
    #[serde(rename = "Size", default)]
    pub size: Option<String>,
    /// Storage class.
    #[serde(rename = "StorageClass", default)]
    pub storage_class: Option<String>,
    /// `Normal`, `Multipart`, `Appendable`, `Symlink`.
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
}

/// One `<CommonPrefixes>`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommonPrefixWire {
    /// The prefix.
    #[serde(rename = "Prefix", default)]
    pub prefix: Option<String>,
}

/// `<ListBucketResult>` of ListObjectsV2.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListBucketResult {
    /// Bucket name.
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    /// Prefix asked for.
    #[serde(rename = "Prefix", default)]
    pub prefix: Option<String>,
    /// Start-after asked for.
    #[serde(rename = "StartAfter", default)]
    pub start_after: Option<String>,
    /// Page size.
    #[serde(rename = "MaxKeys", default)]
    pub max_keys: Option<String>,
    /// Delimiter asked for.
    #[serde(rename = "Delimiter", default)]
    pub delimiter: Option<String>,
    /// `url` when keys and prefixes are URL-encoded.
    #[serde(rename = "EncodingType", default)]
    pub encoding_type: Option<String>,
    /// `true` when more pages follow.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: Option<String>,
    /// Entries on this page.
    #[serde(rename = "KeyCount", default)]
    pub key_count: Option<String>,
    /// Token asked for.
    #[serde(rename = "ContinuationToken", default)]
    pub continuation_token: Option<String>,
    /// Token of the next page.
    #[serde(rename = "NextContinuationToken", default)]
    pub next_continuation_token: Option<String>,
    /// The objects.
    #[serde(rename = "Contents", default)]
    pub contents: Vec<ContentsWire>,
    /// The common prefixes.
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefixWire>,
}

/// Strip the quotes OSS puts around ETags.
pub fn clean_etag(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

impl ListBucketResult {
    fn decode_name(&self, s: &str) -> String {
        if self.encoding_type.as_deref() == Some("url") {
            percent_decode_str(s).decode_utf8_lossy().into_owned()
        } else {
            s.to_string()
        }
    }

    /// The page's entries: objects, then common prefixes, keys decoded.
    pub fn to_entries(&self) -> Vec<ObjectEntry> {
        let mut out: Vec<ObjectEntry> = self
            .contents
            .iter()
            .filter_map(|c| {
                let key = self.decode_name(c.key.as_deref().filter(|k| !k.is_empty())?);
                Some(ObjectEntry::Object(ObjectMeta {
                    key,
                    size: c
                        .size
                        .as_deref()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(0),
                    etag: c.etag.as_deref().map(clean_etag),
                    last_modified: c.last_modified.as_deref().and_then(parse_time),
                    content_type: None,
                    storage_class: c.storage_class.clone().filter(|s| !s.is_empty()),
                    metadata: Tags::new(),
                }))
            })
            .collect();
        out.extend(
            self.common_prefixes
                .iter()
                .filter_map(|p| p.prefix.as_deref().filter(|s| !s.is_empty()))
                .map(|p| ObjectEntry::Prefix(self.decode_name(p))),
        );
        out
    }

    /// The continuation token of the next page, `None` on the last page.
    pub fn next_page(&self) -> Option<String> {
        if truthy(&self.is_truncated) {
            self.next_continuation_token
                .clone()
                .filter(|s| !s.is_empty())
        } else {
            None
        }
    }
}

/// Parse a ListObjectsV2 body. OSS's own documentation examples write the
/// namespace with typographic quotes (`xmlns=”…”`), which no XML parser
/// accepts; those are normalized before parsing.
pub fn parse_list_objects_v2(body: &[u8]) -> Result<ListBucketResult> {
    let text = String::from_utf8_lossy(body).replace(['”', '“'], "\"");
    decode_xml("ListObjectsV2", text.as_bytes())
}

/// Parse a ListBuckets body.
pub fn parse_list_buckets(body: &[u8]) -> Result<ListAllMyBucketsResult> {
    decode_xml("ListBuckets", body)
}

/// `<LocationConstraint>` of GetBucketLocation, as a region id.
pub fn parse_bucket_location(body: &[u8]) -> Result<String> {
    #[derive(Deserialize)]
    struct Loc {
        #[serde(rename = "$text", default)]
        text: String,
    }
    let loc: Loc = decode_xml("GetBucketLocation", body)?;
    let l = loc.text.trim();
    Ok(l.strip_prefix("oss-").unwrap_or(l).to_string())
}

/// `<InitiateMultipartUploadResult>`'s upload id.
pub fn parse_initiate_multipart(body: &[u8]) -> Result<String> {
    #[derive(Deserialize)]
    struct Init {
        #[serde(rename = "UploadId", default)]
        upload_id: Option<String>,
    }
    let init: Init = decode_xml("InitiateMultipartUpload", body)?;
    init.upload_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::decode("InitiateMultipartUpload: no UploadId in the answer"))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The `<CompleteMultipartUpload>` body for `(part number, etag)` pairs.
pub fn complete_multipart_body(parts: &[(u32, String)]) -> String {
    let mut s = String::from("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        s.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{}\"</ETag></Part>",
            xml_escape(&clean_etag(etag))
        ));
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

/// The `<CreateBucketConfiguration>` body of PutBucket.
pub fn create_bucket_body(storage_class: Option<&str>) -> String {
    match storage_class {
        Some(c) => format!(
            "<CreateBucketConfiguration><StorageClass>{}</StorageClass></CreateBucketConfiguration>",
            xml_escape(c)
        ),
        None => "<CreateBucketConfiguration></CreateBucketConfiguration>".to_string(),
    }
}

/// Query of ListBuckets (GetService).
pub fn list_buckets_query(prefix: Option<&str>, marker: Option<&str>, max_keys: u32) -> Params {
    let mut p = Params::new();
    push_opt(&mut p, "prefix", prefix);
    push_opt(&mut p, "marker", marker);
    push(&mut p, "max-keys", max_keys.clamp(1, OSS_MAX_KEYS));
    p
}

/// Query of ListObjectsV2 (`list-type=2`, `encoding-type=url`, `max-keys`
/// up to 1000).
pub fn list_objects_v2_query(q: &ListObjects, continuation_token: Option<&str>) -> Params {
    let mut p = Params::new();
    push(&mut p, "list-type", 2);
    push_opt(&mut p, "prefix", q.prefix.as_deref());
    push_opt(&mut p, "delimiter", q.delimiter.as_deref());
    push_opt(&mut p, "start-after", q.start_after.as_deref());
    push_opt(&mut p, "continuation-token", continuation_token);
    push(
        &mut p,
        "max-keys",
        q.page_size.unwrap_or(OSS_MAX_KEYS).clamp(1, OSS_MAX_KEYS),
    );
    push(&mut p, "encoding-type", "url");
    p
}

/// The `Range` header for an inclusive range (`bytes=0-99`, `bytes=100-`).
pub fn range_header(range: (u64, Option<u64>)) -> String {
    match range.1 {
        Some(last) => format!("bytes={}-{last}", range.0),
        None => format!("bytes={}-", range.0),
    }
}

/// `x-oss-copy-source` for CopyObject: `/bucket/key`, key URL-encoded.
pub fn copy_source_header(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{}", percent_encode(key))
}

/// Headers of PutObject / InitiateMultipartUpload from the put options:
/// `Content-Type`, `x-oss-storage-class`, `x-oss-meta-*`.
pub fn put_object_headers(opts: &PutOptions) -> Params {
    let mut p = Params::new();
    push_opt(&mut p, "Content-Type", opts.content_type.as_deref());
    push_opt(&mut p, "x-oss-storage-class", opts.storage_class.as_deref());
    for (k, v) in &opts.metadata {
        push(&mut p, &format!("x-oss-meta-{}", k.to_ascii_lowercase()), v);
    }
    p
}

/// Object metadata from the headers of HeadObject / GetObject.
pub fn object_meta_from_headers(key: &str, headers: &[(String, String)]) -> ObjectMeta {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let metadata: Tags = headers
        .iter()
        .filter_map(|(k, v)| {
            let lk = k.to_ascii_lowercase();
            lk.strip_prefix("x-oss-meta-")
                .map(|m| (m.to_string(), v.clone()))
        })
        .collect();
    ObjectMeta {
        key: key.to_string(),
        size: get("content-length")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        etag: get("etag").map(clean_etag),
        last_modified: get("last-modified").and_then(|s| {
            DateTime::parse_from_rfc2822(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        }),
        content_type: get("content-type").map(str::to_string),
        storage_class: get("x-oss-storage-class").map(str::to_string),
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_objects_with_prefixes_and_encoding() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult>
  <Name>b</Name><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok</NextContinuationToken>
  <Contents><Key>a%20b/%E4%B8%AD.txt</Key><Size>3</Size><ETag>"AB"</ETag>
    <LastModified>2020-05-18T05:45:43.000Z</LastModified></Contents>
  <CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes>
  <Contents><Key>z</Key></Contents>
</ListBucketResult>"#;
        let r = parse_list_objects_v2(body).unwrap();
        let e = r.to_entries();
        assert_eq!(e.len(), 3);
        match &e[0] {
            ObjectEntry::Object(m) => {
                assert_eq!(m.key, "a b/中.txt");
                assert_eq!(m.size, 3);
                assert_eq!(m.etag.as_deref(), Some("AB"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e[2], ObjectEntry::Prefix("dir/".into()));
        assert_eq!(r.next_page().as_deref(), Some("tok"));
        let empty =
            parse_list_objects_v2(b"<ListBucketResult><Name>b</Name></ListBucketResult>").unwrap();
        assert!(empty.to_entries().is_empty());
        assert_eq!(empty.next_page(), None);
        assert!(parse_list_objects_v2(b"not xml <").is_err());
    }

    #[test]
    fn small_bodies() {
        assert_eq!(
            parse_bucket_location(
                br#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint>oss-cn-hangzhou</LocationConstraint>"#
            )
            .unwrap(),
            "cn-hangzhou"
        );
        assert_eq!(
            parse_initiate_multipart(
                b"<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>0004B9894A22E5B1888A1E29F823****</UploadId></InitiateMultipartUploadResult>"
            )
            .unwrap(),
            "0004B9894A22E5B1888A1E29F823****"
        );
        assert!(parse_initiate_multipart(b"<InitiateMultipartUploadResult/>").is_err());
        assert_eq!(
            complete_multipart_body(&[(1, "\"a\"".into()), (2, "b".into())]),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>"
        );
        assert_eq!(range_header((0, Some(99))), "bytes=0-99");
        assert_eq!(range_header((100, None)), "bytes=100-");
        assert_eq!(copy_source_header("b", "a b/c"), "/b/a%20b%2Fc");
    }

    #[test]
    fn queries_and_headers() {
        let q = ListObjects {
            bucket: "b".into(),
            prefix: Some("p/".into()),
            delimiter: Some("/".into()),
            page_size: Some(5000),
            ..Default::default()
        };
        let p = list_objects_v2_query(&q, Some("t"));
        assert!(p.contains(&("list-type".into(), "2".into())));
        assert!(p.contains(&("max-keys".into(), "1000".into())));
        assert!(p.contains(&("continuation-token".into(), "t".into())));
        let mut opts = PutOptions {
            content_type: Some("text/plain".into()),
            ..Default::default()
        };
        opts.metadata.insert("Owner".into(), "me".into());
        let h = put_object_headers(&opts);
        assert!(h.contains(&("x-oss-meta-owner".into(), "me".into())));
        let meta = object_meta_from_headers(
            "k",
            &[
                ("Content-Length".into(), "12".into()),
                ("ETag".into(), "\"E1\"".into()),
                (
                    "Last-Modified".into(),
                    "Fri, 24 Feb 2012 06:07:48 GMT".into(),
                ),
                ("x-oss-meta-owner".into(), "me".into()),
            ],
        );
        assert_eq!(meta.size, 12);
        assert_eq!(meta.etag.as_deref(), Some("E1"));
        assert!(meta.last_modified.is_some());
        assert_eq!(meta.metadata.get("owner").map(String::as_str), Some("me"));
    }
}
