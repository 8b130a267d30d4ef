//! [`Storage`] on OSS (XML API, V4 signature by default).
//!
//! Buckets are addressed virtual-hosted (`{bucket}.oss-{region}.aliyuncs.com`)
//! and every request is signed for the bucket's region, so the provider
//! keeps a bucket → region map, filled by `ListBuckets` (which reports each
//! bucket's region) and by `create_bucket`. Object listings use
//! `ListObjectsV2` with its continuation token; bucket listings use
//! `ListBuckets` with its marker. Puts above
//! `PutOptions::multipart_threshold` go up in parts
//! (InitiateMultipartUpload, UploadPart, CompleteMultipartUpload) and the
//! upload is aborted when a part or the completion fails. Downloads stream.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use chrono::Utc;
use futures::StreamExt;
use http::Method;

use super::AlibabaProvider;
use super::client::{CallKind, OssCall, OssSignature};
use super::ecs::ok_if_missing;
use super::sign::{OssRequest, presign_oss_v1, presign_oss_v4};
use super::storage::{
    OSS_MAX_KEYS, complete_multipart_body, copy_source_header, create_bucket_body,
    list_buckets_query, list_objects_v2_query, object_meta_from_headers, parse_bucket_location,
    parse_initiate_multipart, parse_list_buckets, parse_list_objects_v2, put_object_headers,
    range_header,
};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Bucket, BucketSpec, GetOptions, ListObjects, ObjectBody, ObjectEntry, ObjectMeta,
    PresignMethod, PresignOptions, PresignedRequest, PutBody, PutOptions,
};
use crate::paging::{Page, marker_pager, token_pager};
use crate::traits::{ResultStream, Storage};
use crate::transport::Response;

/// OSS's smallest part (100 KiB; the last part may be smaller).
pub const MIN_PART_SIZE: u64 = 100 * 1024;
/// OSS's largest part number.
pub const MAX_PARTS: u64 = 10_000;
/// The longest V4 presigned URL lifetime (7 days).
pub const MAX_PRESIGN_SECS: u64 = 7 * 24 * 3600;

/// Header pairs of a response, for [`object_meta_from_headers`].
fn header_pairs(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// The inclusive range of a `Content-Range: bytes 0-4/21` header.
pub fn parse_content_range(v: &str) -> Option<(u64, u64)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (range, _total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn etag_of(r: &Response) -> Option<String> {
    r.headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(super::storage::clean_etag)
}

impl AlibabaProvider {
    async fn list_buckets_page(&self, marker: Option<String>) -> Result<Page<Bucket>> {
        let region = self.client().default_region().to_string();
        let mut c = OssCall::new(
            "ListBuckets",
            Method::GET,
            None,
            None,
            &region,
            CallKind::Read,
        );
        c.query = list_buckets_query(None, marker.as_deref(), OSS_MAX_KEYS);
        let r = self.client().oss(&c).await?;
        let l = parse_list_buckets(&r.body).map_err(|e| e.with_context_defaults(r.context()))?;
        let buckets = l.to_buckets();
        for b in &buckets {
            if let Some(reg) = &b.region {
                self.remember_bucket(&b.name, reg);
            }
        }
        Ok(Page::new(buckets, l.next_page()))
    }

    /// The region of `bucket`: remembered, else found with `ListBuckets`.
    /// `Ok(None)` when the account has no such bucket.
    pub(crate) async fn bucket_region(&self, bucket: &str) -> Result<Option<String>> {
        if let Some(r) = self.known_bucket_region(bucket) {
            return Ok(Some(r));
        }
        let mut s = self.buckets();
        while let Some(b) = s.next().await {
            let b = b?;
            if b.name == bucket {
                return Ok(b.region);
            }
        }
        Ok(None)
    }

    async fn require_bucket_region(&self, bucket: &str) -> Result<String> {
        self.bucket_region(bucket).await?.ok_or_else(|| {
            Error::not_found(format!("bucket {bucket} does not exist"))
                .with_provider("alibaba")
                .with_service("oss")
                .with_code("NoSuchBucket")
        })
    }

    async fn objects_page(
        &self,
        q: &ListObjects,
        region: &str,
        token: Option<String>,
    ) -> Result<Page<ObjectEntry>> {
        let mut c = OssCall::new(
            "ListObjectsV2",
            Method::GET,
            Some(&q.bucket),
            None,
            region,
            CallKind::Read,
        );
        c.query = list_objects_v2_query(q, token.as_deref());
        let r = self.client().oss(&c).await?;
        let l = parse_list_objects_v2(&r.body).map_err(|e| e.with_context_defaults(r.context()))?;
        Ok(Page::new(l.to_entries(), l.next_page()))
    }

    async fn put_single(
        &self,
        bucket: &str,
        key: &str,
        region: &str,
        body: Bytes,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let size = body.len() as u64;
        let mut c = OssCall::new(
            "PutObject",
            Method::PUT,
            Some(bucket),
            Some(key),
            region,
            CallKind::Idempotent,
        );
        c.headers = put_object_headers(opts);
        c.body = body;
        let r = self.client().oss(&c).await?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size,
            etag: etag_of(&r),
            last_modified: None,
            content_type: opts.content_type.clone(),
            storage_class: opts.storage_class.clone(),
            metadata: opts
                .metadata
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        })
    }

    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        region: &str,
        upload_id: &str,
        number: u32,
        body: Bytes,
    ) -> Result<(u32, String)> {
        let mut c = OssCall::new(
            "UploadPart",
            Method::PUT,
            Some(bucket),
            Some(key),
            region,
            CallKind::Idempotent,
        );
        c.query = vec![
            ("partNumber".to_string(), number.to_string()),
            ("uploadId".to_string(), upload_id.to_string()),
        ];
        c.body = body;
        let r = self.client().oss(&c).await?;
        let etag =
            etag_of(&r).ok_or_else(|| r.decode_error("UploadPart: no ETag in the answer"))?;
        Ok((number, etag))
    }

    async fn abort_upload(&self, bucket: &str, key: &str, region: &str, upload_id: &str) {
        let mut c = OssCall::new(
            "AbortMultipartUpload",
            Method::DELETE,
            Some(bucket),
            Some(key),
            region,
            CallKind::Idempotent,
        );
        c.query = vec![("uploadId".to_string(), upload_id.to_string())];
        if let Err(e) = self.client().oss(&c).await {
            tracing::warn!(error = %e, "aborting a failed multipart upload failed");
        }
    }

    /// A multipart upload of `first` (already read) followed by the rest of
    /// `rest`, in parts of `part_size`.
    #[allow(clippy::too_many_arguments)]
    async fn put_multipart(
        &self,
        bucket: &str,
        key: &str,
        region: &str,
        first: BytesMut,
        mut rest: Option<crate::model::ByteStream>,
        part_size: usize,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let mut c = OssCall::new(
            "InitiateMultipartUpload",
            Method::POST,
            Some(bucket),
            Some(key),
            region,
            CallKind::Mutation,
        );
        c.query = vec![("uploads".to_string(), String::new())];
        c.headers = put_object_headers(opts);
        let r = self.client().oss(&c).await?;
        let upload_id =
            parse_initiate_multipart(&r.body).map_err(|e| e.with_context_defaults(r.context()))?;
        let result = async {
            let mut parts: Vec<(u32, String)> = Vec::new();
            let mut buf = first;
            let mut size: u64 = 0;
            let mut number: u32 = 0;
            loop {
                // Fill the buffer up to one part (or to the end of the body).
                while buf.len() < part_size {
                    let Some(s) = rest.as_mut() else { break };
                    match s.next().await {
                        Some(chunk) => buf.extend_from_slice(&chunk?),
                        None => {
                            rest = None;
                            break;
                        }
                    }
                }
                if buf.is_empty() && !parts.is_empty() {
                    break;
                }
                let take = buf.len().min(part_size);
                let part = buf.split_to(take).freeze();
                number += 1;
                if u64::from(number) > MAX_PARTS {
                    return Err(Error::invalid_argument(format!(
                        "object is too large for {MAX_PARTS} parts of {part_size} bytes"
                    )));
                }
                size += part.len() as u64;
                parts.push(
                    self.upload_part(bucket, key, region, &upload_id, number, part)
                        .await?,
                );
                if buf.is_empty() && rest.is_none() {
                    break;
                }
            }
            let mut c = OssCall::new(
                "CompleteMultipartUpload",
                Method::POST,
                Some(bucket),
                Some(key),
                region,
                CallKind::Mutation,
            );
            c.query = vec![("uploadId".to_string(), upload_id.clone())];
            c.headers = vec![("Content-Type".to_string(), "application/xml".to_string())];
            c.body = Bytes::from(complete_multipart_body(&parts));
            self.client().oss(&c).await?;
            Ok(size)
        }
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
                self.abort_upload(bucket, key, region, &upload_id).await;
                Err(e)
            }
        }
    }
}

#[async_trait]
impl Storage for AlibabaProvider {
    fn buckets(&self) -> ResultStream<'_, Bucket> {
        marker_pager(None, move |marker| self.list_buckets_page(marker))
    }

    async fn create_bucket(&self, spec: &BucketSpec) -> Result<Bucket> {
        let mut c = OssCall::new(
            "PutBucket",
            Method::PUT,
            Some(&spec.name),
            None,
            &spec.region,
            CallKind::Idempotent,
        );
        c.headers = vec![("Content-Type".to_string(), "application/xml".to_string())];
        c.body = Bytes::from(create_bucket_body(spec.storage_class.as_deref()));
        match self.client().oss(&c).await {
            Ok(_) => {}
            // OSS answers the owner's PutBucket of its own bucket with 200
            // (the PutBucket reference: later calls modify the bucket's
            // metadata), so a retry after a lost answer succeeds. An
            // OSS-compatible deployment answering `BucketAlreadyExists`
            // instead: the bucket is ours, in this region, when ListBuckets
            // says so.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                self.forget_bucket(&spec.name);
                match self.bucket_region(&spec.name).await {
                    Ok(Some(r)) if r == spec.region => {}
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
        self.remember_bucket(&spec.name, &spec.region);
        Ok(Bucket {
            provider: crate::model::ProviderKind::Alibaba,
            name: spec.name.clone(),
            region: Some(spec.region.clone()),
            created_at: Some(Utc::now()),
            storage_class: spec.storage_class.clone(),
            tags: BTreeMap::new(),
        })
    }

    async fn delete_bucket(&self, name: &str) -> Result<()> {
        let Some(region) = self.bucket_region(name).await? else {
            return Ok(());
        };
        let c = OssCall::new(
            "DeleteBucket",
            Method::DELETE,
            Some(name),
            None,
            &region,
            CallKind::Idempotent,
        );
        let r = ok_if_missing(self.client().oss(&c).await.map(|_| ()));
        if r.is_ok() {
            self.forget_bucket(name);
        }
        r
    }

    async fn bucket_location(&self, name: &str) -> Result<String> {
        let region = self.require_bucket_region(name).await?;
        let mut c = OssCall::new(
            "GetBucketLocation",
            Method::GET,
            Some(name),
            None,
            &region,
            CallKind::Read,
        );
        c.query = vec![("location".to_string(), String::new())];
        let r = self.client().oss(&c).await?;
        parse_bucket_location(&r.body).map_err(|e| e.with_context_defaults(r.context()))
    }

    fn objects<'a>(&'a self, q: &'a ListObjects) -> ResultStream<'a, ObjectEntry> {
        let first =
            futures::stream::once(async move { self.require_bucket_region(&q.bucket).await });
        first
            .map(move |region| match region {
                Ok(region) => token_pager(None, move |token| {
                    let region = region.clone();
                    async move { self.objects_page(q, &region, token).await }
                }),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            })
            .flatten()
            .boxed()
    }

    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let region = self.require_bucket_region(bucket).await?;
        let c = OssCall::new(
            "HeadObject",
            Method::HEAD,
            Some(bucket),
            Some(key),
            &region,
            CallKind::Read,
        );
        let r = self.client().oss(&c).await?;
        Ok(object_meta_from_headers(key, &header_pairs(&r.headers)))
    }

    async fn get_object(&self, bucket: &str, key: &str, opts: &GetOptions) -> Result<ObjectBody> {
        let region = self.require_bucket_region(bucket).await?;
        let mut c = OssCall::new(
            "GetObject",
            Method::GET,
            Some(bucket),
            Some(key),
            &region,
            CallKind::Read,
        );
        if let Some(range) = opts.range {
            c.headers = vec![("Range".to_string(), range_header(range))];
        }
        let r = self.client().oss_streaming(&c).await?;
        let headers = header_pairs(&r.headers);
        let mut meta = object_meta_from_headers(key, &headers);
        let range = r
            .headers
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        if let Some((_, _)) = range {
            // Content-Length is the range's; the object's size follows the slash.
            if let Some(total) = r
                .headers
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit('/').next())
                .and_then(|t| t.trim().parse().ok())
            {
                meta.size = total;
            }
        }
        Ok(ObjectBody {
            meta,
            range,
            body: r.body,
        })
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: PutBody,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let region = self.require_bucket_region(bucket).await?;
        let part_size = opts.part_size.max(MIN_PART_SIZE);
        let part_size = usize::try_from(part_size).unwrap_or(usize::MAX);
        let threshold = usize::try_from(opts.multipart_threshold).unwrap_or(usize::MAX);
        match body {
            PutBody::Bytes(b) if b.len() <= threshold => {
                self.put_single(bucket, key, &region, b, opts).await
            }
            PutBody::Bytes(b) => {
                self.put_multipart(
                    bucket,
                    key,
                    &region,
                    BytesMut::from(&b[..]),
                    None,
                    part_size,
                    opts,
                )
                .await
            }
            PutBody::Stream { mut body, .. } => {
                // Read up to the threshold: a body that ends before it goes
                // up in one PUT, a longer one in parts.
                let mut buf = BytesMut::new();
                let mut ended = false;
                while buf.len() <= threshold {
                    match body.next().await {
                        Some(chunk) => buf.extend_from_slice(&chunk?),
                        None => {
                            ended = true;
                            break;
                        }
                    }
                }
                if ended {
                    self.put_single(bucket, key, &region, buf.freeze(), opts)
                        .await
                } else {
                    self.put_multipart(bucket, key, &region, buf, Some(body), part_size, opts)
                        .await
                }
            }
        }
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()> {
        let Some(region) = self.bucket_region(bucket).await? else {
            return Err(Error::not_found(format!("bucket {bucket} does not exist"))
                .with_provider("alibaba")
                .with_code("NoSuchBucket"));
        };
        let c = OssCall::new(
            "DeleteObject",
            Method::DELETE,
            Some(bucket),
            Some(key),
            &region,
            CallKind::Idempotent,
        );
        match self.client().oss(&c).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound && e.code() != Some("NoSuchBucket") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `CopyObject` (`x-oss-copy-source`): both buckets must be in the same
    /// region, as OSS requires.
    async fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectMeta> {
        let region = self.require_bucket_region(dst_bucket).await?;
        let src_region = self.require_bucket_region(src_bucket).await?;
        if src_region != region {
            return Err(Error::unsupported(format!(
                "OSS copies only within a region ({src_bucket} is in {src_region}, {dst_bucket} in {region})"
            ))
            .with_provider("alibaba"));
        }
        let mut c = OssCall::new(
            "CopyObject",
            Method::PUT,
            Some(dst_bucket),
            Some(dst_key),
            &region,
            CallKind::Idempotent,
        );
        c.headers = vec![(
            "x-oss-copy-source".to_string(),
            copy_source_header(src_bucket, src_key),
        )];
        self.client().oss(&c).await?;
        self.head_object(dst_bucket, dst_key).await
    }

    async fn presign(
        &self,
        bucket: &str,
        key: &str,
        opts: &PresignOptions,
    ) -> Result<PresignedRequest> {
        if opts.expires_secs == 0 || opts.expires_secs > MAX_PRESIGN_SECS {
            return Err(Error::invalid_argument(format!(
                "presigned URLs live 1 to {MAX_PRESIGN_SECS} seconds, not {}",
                opts.expires_secs
            )));
        }
        let region = self.require_bucket_region(bucket).await?;
        let method = match opts.method {
            PresignMethod::Get => "GET",
            PresignMethod::Put => "PUT",
            PresignMethod::Head => "HEAD",
            PresignMethod::Delete => "DELETE",
        };
        let cred = self.client().signing_credentials().await?;
        let req = OssRequest {
            method,
            bucket: Some(bucket),
            key: Some(key),
            query: &[],
            headers: &[],
        };
        let now = Utc::now();
        let query = match self.client().oss_signature() {
            OssSignature::V4 => {
                presign_oss_v4(&req, &cred, &region, now, opts.expires_secs, &[]).query_string()
            }
            OssSignature::V1 => {
                let secs = i64::try_from(opts.expires_secs).unwrap_or(i64::MAX);
                presign_oss_v1(&req, &cred, now.timestamp().saturating_add(secs)).query_string()
            }
        };
        let url = self
            .client()
            .oss_url(Some(bucket), Some(key), &region, &query)?;
        let secs = i64::try_from(opts.expires_secs).unwrap_or(0);
        Ok(PresignedRequest {
            method: opts.method,
            url: url.to_string(),
            headers: BTreeMap::new(),
            expires_at: now + chrono::Duration::seconds(secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range("bytes 0-4/21"), Some((0, 4)));
        assert_eq!(parse_content_range("bytes 100-199/*"), Some((100, 199)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes x-2/3"), None);
    }
}
