//! S3: buckets, objects (streamed both ways), multipart, presigned URLs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration,
    StorageClass,
};
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, stream};

use super::AwsProvider;
use super::client::{PROVIDER, encode_key, paged, sdk_error, ts};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Bucket, BucketSpec, ByteStream, GetOptions, ListObjects, ObjectBody, ObjectEntry, ObjectMeta,
    PresignMethod, PresignOptions, PresignedRequest, ProviderKind, PutBody, PutOptions, Tags,
};
use crate::traits::{ResultStream, Storage};

/// Smallest S3 part (all parts but the last), 5 MiB.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// Most parts in one upload.
pub const MAX_PARTS: i32 = 10_000;
/// Longest presigned URL lifetime SigV4 allows (7 days).
pub const MAX_PRESIGN_SECS: u64 = 7 * 24 * 3600;

/// `GetBucketLocation`'s `LocationConstraint` to a region: empty means
/// us-east-1, the legacy `EU` means eu-west-1.
pub fn region_from_location(c: Option<&str>) -> String {
    match c {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    }
}

/// Parse `Content-Range: bytes 0-9/100` into `(0, 9)`.
pub fn parse_content_range(s: &str) -> Option<(u64, u64)> {
    let r = s.trim().strip_prefix("bytes ")?;
    let (range, _total) = r.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn unquote(etag: Option<&str>) -> Option<String> {
    etag.map(|e| e.trim_matches('"').to_string())
}

fn lower_meta(m: Option<&std::collections::HashMap<String, String>>) -> Tags {
    m.map(|m| {
        m.iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect()
    })
    .unwrap_or_default()
}

fn range_header(r: (u64, Option<u64>)) -> String {
    match r.1 {
        Some(last) => format!("bytes={}-{}", r.0, last),
        None => format!("bytes={}-", r.0),
    }
}

impl AwsProvider {
    /// The region of a bucket: cached, else `GetBucketLocation` (one call
    /// per bucket per provider).
    async fn bucket_region(&self, bucket: &str) -> Result<String> {
        if let Some(r) = self
            .bucket_regions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(bucket)
        {
            return Ok(r.clone());
        }
        let home = self.home_region().to_string();
        let out = self
            .s3(&home)
            .get_bucket_location()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_error("s3", "GetBucketLocation", Some(&home), e))?;
        let region = region_from_location(out.location_constraint().map(|c| c.as_str()));
        self.remember_bucket(bucket, &region);
        Ok(region)
    }

    fn remember_bucket(&self, bucket: &str, region: &str) {
        self.bucket_regions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(bucket.to_string(), region.to_string());
    }

    async fn s3_for(&self, bucket: &str) -> Result<(aws_sdk_s3::Client, String)> {
        let region = self.bucket_region(bucket).await?;
        Ok((self.s3(&region), region))
    }

    #[allow(clippy::too_many_arguments)]
    async fn multipart(
        &self,
        client: &aws_sdk_s3::Client,
        region: &str,
        bucket: &str,
        key: &str,
        first: BytesMut,
        rest: Option<ByteStream>,
        opts: &PutOptions,
    ) -> Result<()> {
        let part_size = opts.part_size.max(MIN_PART) as usize;
        let mut create = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_content_type(opts.content_type.clone())
            .set_storage_class(opts.storage_class.as_deref().map(StorageClass::from));
        for (k, v) in &opts.metadata {
            create = create.metadata(k, v);
        }
        let up = create
            .send()
            .await
            .map_err(|e| sdk_error("s3", "CreateMultipartUpload", Some(region), e))?;
        let upload_id = up
            .upload_id()
            .ok_or_else(|| {
                Error::decode("CreateMultipartUpload returned no UploadId").with_provider(PROVIDER)
            })?
            .to_string();
        let result = self
            .upload_parts(
                client, region, bucket, key, &upload_id, part_size, first, rest,
            )
            .await;
        match result {
            Ok(parts) => client
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("s3", "CompleteMultipartUpload", Some(region), e)),
            Err(e) => {
                // Do not leave the parts billed: abort, then report the cause.
                if let Err(abort) = client
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await
                {
                    tracing::warn!(error = %abort, upload_id, "AbortMultipartUpload failed");
                }
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload_parts(
        &self,
        client: &aws_sdk_s3::Client,
        region: &str,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_size: usize,
        mut buf: BytesMut,
        mut rest: Option<ByteStream>,
    ) -> Result<Vec<CompletedPart>> {
        let mut parts = Vec::new();
        let mut number = 1i32;
        loop {
            // Fill one part (or reach the end of the body).
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
            if buf.is_empty() && number > 1 {
                break;
            }
            let take = buf.len().min(part_size);
            let part: Bytes = buf.split_to(take).freeze();
            if number > MAX_PARTS {
                return Err(Error::invalid_argument(
                    "object needs more than 10000 parts: raise PutOptions::part_size",
                )
                .with_provider(PROVIDER));
            }
            let out = client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(S3Body::from(part))
                .send()
                .await
                .map_err(|e| sdk_error("s3", "UploadPart", Some(region), e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .build(),
            );
            number += 1;
            if buf.is_empty() && rest.is_none() {
                break;
            }
        }
        Ok(parts)
    }
}

#[async_trait]
impl Storage for AwsProvider {
    /// S3 `ListBuckets` with `MaxBuckets` 10000 and continuation tokens; the
    /// region comes from each entry's `BucketRegion` (no per-bucket call).
    fn buckets(&self) -> ResultStream<'_, Bucket> {
        let home = self.home_region().to_string();
        let client = self.s3(&home);
        paged(move |token| {
            let client = client.clone();
            let home = home.clone();
            async move {
                let out = client
                    .list_buckets()
                    .max_buckets(10_000)
                    .set_continuation_token(token)
                    .send()
                    .await
                    .map_err(|e| sdk_error("s3", "ListBuckets", Some(&home), e))?;
                let items: Vec<Bucket> = out
                    .buckets()
                    .iter()
                    .filter_map(|b| {
                        let name = b.name()?.to_string();
                        let region = b.bucket_region().map(str::to_string);
                        if let Some(r) = &region {
                            self.remember_bucket(&name, r);
                        }
                        Some(Bucket {
                            provider: ProviderKind::Aws,
                            name,
                            region,
                            created_at: ts(b.creation_date()),
                            storage_class: None,
                            tags: Tags::new(),
                        })
                    })
                    .collect();
                Ok((items, out.continuation_token().map(str::to_string)))
            }
        })
    }

    /// S3 `CreateBucket` with a `LocationConstraint` (none for us-east-1).
    /// `BucketAlreadyOwnedByYou` (the bucket is already ours, as after a
    /// lost answer) is success. An unanswered attempt is followed by
    /// `HeadBucket` with `x-amz-expected-bucket-owner` = this account
    /// before any resend: a bucket of that name owned by this account is
    /// the result (see `create.rs`).
    async fn create_bucket(&self, spec: &BucketSpec) -> Result<Bucket> {
        self.guard("s3", "CreateBucket")?;
        let region = spec.region.as_str();
        let client = self.s3(region);
        let send = || async {
            let mut req = client.create_bucket().bucket(&spec.name);
            if region != "us-east-1" {
                req = req.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(region))
                        .build(),
                );
            }
            match req
                .customize()
                .config_override(
                    aws_sdk_s3::config::Builder::default()
                        .retry_config(super::create::no_sdk_retry()),
                )
                .send()
                .await
                .map_err(|e| sdk_error("s3", "CreateBucket", Some(region), e))
            {
                Ok(_) => Ok(()),
                Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(()),
                Err(e) => Err(e),
            }
        };
        let find = || async {
            let owner = crate::Provider::account(self).await?.id;
            match client
                .head_bucket()
                .bucket(&spec.name)
                .expected_bucket_owner(owner)
                .send()
                .await
                .map_err(|e| sdk_error("s3", "HeadBucket", Some(region), e))
            {
                Ok(_) => Ok(Some(())),
                Err(e) if e.http_status() == Some(404) => Ok(None),
                Err(e) => Err(e),
            }
        };
        super::create::create_once(self.max_attempts(), false, send, find).await?;
        self.remember_bucket(&spec.name, region);
        Ok(Bucket {
            provider: ProviderKind::Aws,
            name: spec.name.clone(),
            region: Some(region.to_string()),
            created_at: None,
            storage_class: spec.storage_class.clone(),
            tags: Tags::new(),
        })
    }

    /// S3 `DeleteBucket`; missing is `Ok`, non-empty is `Conflict`.
    async fn delete_bucket(&self, name: &str) -> Result<()> {
        self.guard("s3", "DeleteBucket")?;
        let (client, region) = match self.s3_for(name).await {
            Ok(c) => c,
            Err(e) if e.code() == Some("NoSuchBucket") => return Ok(()),
            Err(e) => return Err(e),
        };
        match client.delete_bucket().bucket(name).send().await {
            Ok(_) => {
                self.bucket_regions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(name);
                Ok(())
            }
            Err(e) => {
                let e = sdk_error("s3", "DeleteBucket", Some(&region), e);
                if e.code() == Some("NoSuchBucket") {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    /// S3 `GetBucketLocation` (cached).
    async fn bucket_location(&self, name: &str) -> Result<String> {
        self.bucket_region(name).await
    }

    /// S3 `ListObjectsV2` (prefix, delimiter, start-after, MaxKeys 1000),
    /// every page; common prefixes come as [`ObjectEntry::Prefix`].
    fn objects<'a>(&'a self, q: &'a ListObjects) -> ResultStream<'a, ObjectEntry> {
        let page = q.page_size.unwrap_or(1000).clamp(1, 1000) as i32;
        paged(move |token| async move {
            let (client, region) = self.s3_for(&q.bucket).await?;
            let out = client
                .list_objects_v2()
                .bucket(&q.bucket)
                .set_prefix(q.prefix.clone())
                .set_delimiter(q.delimiter.clone())
                .set_start_after(q.start_after.clone())
                .max_keys(page)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| sdk_error("s3", "ListObjectsV2", Some(&region), e))?;
            let mut items: Vec<ObjectEntry> = out
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(|p| ObjectEntry::Prefix(p.to_string())))
                .collect();
            items.extend(out.contents().iter().filter_map(|o| {
                Some(ObjectEntry::Object(ObjectMeta {
                    key: o.key()?.to_string(),
                    size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    etag: unquote(o.e_tag()),
                    last_modified: ts(o.last_modified()),
                    content_type: None,
                    storage_class: o.storage_class().map(|s| s.as_str().to_string()),
                    metadata: Tags::new(),
                }))
            }));
            let next = if out.is_truncated() == Some(true) {
                out.next_continuation_token().map(str::to_string)
            } else {
                None
            };
            Ok((items, next))
        })
    }

    /// S3 `HeadObject`.
    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let (client, region) = self.s3_for(bucket).await?;
        let out = client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_error("s3", "HeadObject", Some(&region), e))?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size: out
                .content_length()
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(0),
            etag: unquote(out.e_tag()),
            last_modified: ts(out.last_modified()),
            content_type: out.content_type().map(str::to_string),
            storage_class: out.storage_class().map(|s| s.as_str().to_string()),
            metadata: lower_meta(out.metadata()),
        })
    }

    /// S3 `GetObject` (with `Range`); the body is streamed, never buffered.
    async fn get_object(&self, bucket: &str, key: &str, opts: &GetOptions) -> Result<ObjectBody> {
        let (client, region) = self.s3_for(bucket).await?;
        let out = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_range(opts.range.map(range_header))
            .send()
            .await
            .map_err(|e| sdk_error("s3", "GetObject", Some(&region), e))?;
        let range = out.content_range().and_then(parse_content_range);
        let meta = ObjectMeta {
            key: key.to_string(),
            size: out
                .content_length()
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(0),
            etag: unquote(out.e_tag()),
            last_modified: ts(out.last_modified()),
            content_type: out.content_type().map(str::to_string),
            storage_class: out.storage_class().map(|s| s.as_str().to_string()),
            metadata: lower_meta(out.metadata()),
        };
        let body = stream::try_unfold(out.body, |mut b| async move {
            match b.try_next().await {
                Ok(Some(chunk)) => Ok(Some((chunk, b))),
                Ok(None) => Ok(None),
                Err(e) => Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("reading the object body failed: {e}"),
                )
                .with_provider(PROVIDER)
                .with_service("s3")
                .with_action("GetObject")
                .with_source(e)),
            }
        })
        .boxed();
        Ok(ObjectBody { meta, range, body })
    }

    /// S3 `PutObject`, or `CreateMultipartUpload`/`UploadPart`/
    /// `CompleteMultipartUpload` above `opts.multipart_threshold` (aborted
    /// on failure). At most `max(threshold, part_size)` bytes are held.
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: PutBody,
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        self.guard("s3", "PutObject")?;
        let (client, region) = self.s3_for(bucket).await?;
        // Read up to threshold + 1 bytes to decide between one PUT and parts.
        let (buf, rest): (BytesMut, Option<ByteStream>) = match body {
            PutBody::Bytes(b) => (BytesMut::from(&b[..]), None),
            PutBody::Stream { mut body, .. } => {
                let mut buf = BytesMut::new();
                let mut ended = false;
                while buf.len() as u64 <= opts.multipart_threshold {
                    match body.next().await {
                        Some(c) => buf.extend_from_slice(&c?),
                        None => {
                            ended = true;
                            break;
                        }
                    }
                }
                (buf, (!ended).then_some(body))
            }
        };
        if rest.is_none() && buf.len() as u64 <= opts.multipart_threshold {
            let mut req = client
                .put_object()
                .bucket(bucket)
                .key(key)
                .set_content_type(opts.content_type.clone())
                .set_storage_class(opts.storage_class.as_deref().map(StorageClass::from))
                .body(S3Body::from(buf.freeze()));
            for (k, v) in &opts.metadata {
                req = req.metadata(k, v);
            }
            req.send()
                .await
                .map_err(|e| sdk_error("s3", "PutObject", Some(&region), e))?;
        } else {
            self.multipart(&client, &region, bucket, key, buf, rest, opts)
                .await?;
        }
        self.head_object(bucket, key).await
    }

    /// S3 `DeleteObject`; a missing key is `Ok` (S3 answers 204 anyway).
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()> {
        self.guard("s3", "DeleteObject")?;
        let (client, region) = self.s3_for(bucket).await?;
        match client.delete_object().bucket(bucket).key(key).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = sdk_error("s3", "DeleteObject", Some(&region), e);
                if e.code() == Some("NoSuchKey") {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    /// S3 `CopyObject` (single request: objects up to 5 GiB).
    async fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectMeta> {
        self.guard("s3", "CopyObject")?;
        let (client, region) = self.s3_for(dst_bucket).await?;
        client
            .copy_object()
            .bucket(dst_bucket)
            .key(dst_key)
            .copy_source(format!("{src_bucket}/{}", encode_key(src_key)))
            .send()
            .await
            .map_err(|e| sdk_error("s3", "CopyObject", Some(&region), e))?;
        self.head_object(dst_bucket, dst_key).await
    }

    /// A SigV4 presigned URL (query-string auth), at most 7 days.
    async fn presign(
        &self,
        bucket: &str,
        key: &str,
        opts: &PresignOptions,
    ) -> Result<PresignedRequest> {
        if matches!(opts.method, PresignMethod::Put | PresignMethod::Delete) {
            self.guard("s3", "Presign")?;
        }
        if opts.expires_secs == 0 || opts.expires_secs > MAX_PRESIGN_SECS {
            return Err(
                Error::invalid_argument("presigned URLs live between 1 second and 7 days")
                    .with_provider(PROVIDER),
            );
        }
        let (client, region) = self.s3_for(bucket).await?;
        let cfg = PresigningConfig::expires_in(Duration::from_secs(opts.expires_secs))
            .map_err(|e| Error::invalid_argument(e.to_string()).with_provider(PROVIDER))?;
        let fail = |e| sdk_error("s3", "Presign", Some(&region), e);
        let signed = match opts.method {
            PresignMethod::Get => client
                .get_object()
                .bucket(bucket)
                .key(key)
                .presigned(cfg)
                .await
                .map_err(|e| sdk_error("s3", "PresignGetObject", Some(&region), e))?,
            PresignMethod::Put => client
                .put_object()
                .bucket(bucket)
                .key(key)
                .presigned(cfg)
                .await
                .map_err(|e| sdk_error("s3", "PresignPutObject", Some(&region), e))?,
            PresignMethod::Head => client
                .head_object()
                .bucket(bucket)
                .key(key)
                .presigned(cfg)
                .await
                .map_err(|e| sdk_error("s3", "PresignHeadObject", Some(&region), e))?,
            PresignMethod::Delete => client
                .delete_object()
                .bucket(bucket)
                .key(key)
                .presigned(cfg)
                .await
                .map_err(fail)?,
        };
        let headers: Tags = signed
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(PresignedRequest {
            method: opts.method,
            url: signed.uri().to_string(),
            headers,
            expires_at: chrono::Utc::now()
                + chrono::Duration::seconds(i64::try_from(opts.expires_secs).unwrap_or(0)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(region_from_location(None), "us-east-1");
        assert_eq!(region_from_location(Some("")), "us-east-1");
        assert_eq!(region_from_location(Some("EU")), "eu-west-1");
        assert_eq!(region_from_location(Some("ap-south-1")), "ap-south-1");
    }

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 0-9/100"), Some((0, 9)));
        assert_eq!(parse_content_range("bytes 5-5/*"), Some((5, 5)));
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(range_header((3, None)), "bytes=3-");
        assert_eq!(range_header((3, Some(7))), "bytes=3-7");
    }
}
