//! `Storage` over the COS XML API.
//!
//! Buckets are addressed as `{name}-{appid}` (the account's `app_id`
//! option is appended to names that lack it). COS needs a bucket's region
//! in its host name; the provider learns it from GET Service (the list of
//! buckets carries each `Location`) and from its own creates, and caches it.

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::{HeaderMap, Method};

use super::super::TencentProvider;
use super::super::client::{CallKind, CosRequest};
use super::super::config::{cos_full_bucket_name, host_of};
use super::super::storage::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Bucket, BucketSpec, ByteStream, GetOptions, ListObjects, ObjectBody, ObjectEntry, ObjectMeta,
    PresignOptions, PresignedRequest, ProviderKind, PutBody, PutOptions, Tags,
};
use crate::paging::{Page, marker_pager};
use crate::traits::{ResultStream, Storage};

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
        if let Some(r) = self.bucket_region_cached(bucket) {
            return Ok(r);
        }
        let mut all = self.buckets();
        while let Some(b) = all.next().await {
            let b = b?;
            if b.name == bucket {
                if let Some(r) = b.region {
                    return Ok(r);
                }
            }
        }
        Err(Error::not_found(format!("COS bucket `{bucket}` not found"))
            .with_provider("tencent")
            .with_service("cos"))
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
        self.client
            .cos("PutBucket", req, CallKind::Idempotent)
            .await?;
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
        let region = match self.bucket_region(&name).await {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let req = self.cos_req(Method::DELETE, &name, &region, "");
        match self
            .client
            .cos("DeleteBucket", req, CallKind::Idempotent)
            .await
        {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
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
        let region = match self.bucket_region(&bucket).await {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let req = self.cos_req(Method::DELETE, &bucket, &region, key);
        match self
            .client
            .cos("DeleteObject", req, CallKind::Idempotent)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
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
            return Err(super::super::client::parse_cos_error(
                500,
                None,
                text.as_bytes(),
            ));
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
        let bucket = self.full_bucket(bucket);
        let region = self.bucket_region(&bucket).await?;
        let creds = self.client.credentials().await?;
        let expires = i64::try_from(opts.expires_secs).unwrap_or(i64::MAX / 2);
        let now = chrono::Utc::now();
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
            expires_at: now + chrono::Duration::seconds(expires),
        })
    }
}

#[cfg(test)]
mod tests {
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
