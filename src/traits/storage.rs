//! Object storage.

use async_trait::async_trait;

use super::ResultStream;
use crate::error::Result;
use crate::model::{
    Bucket, BucketSpec, GetOptions, ListObjects, ObjectBody, ObjectEntry, ObjectMeta,
    PresignOptions, PresignedRequest, PutBody, PutOptions,
};

/// Buckets and objects of one cloud account.
#[async_trait]
pub trait Storage: Send + Sync {
    /// Every bucket of the account, with its region where the list says it.
    fn buckets(&self) -> ResultStream<'_, Bucket>;

    /// Create a bucket in a region.
    async fn create_bucket(&self, spec: &BucketSpec) -> Result<Bucket>;

    /// Delete an empty bucket. A missing bucket is `Ok`.
    async fn delete_bucket(&self, name: &str) -> Result<()>;

    /// The region a bucket lives in.
    async fn bucket_location(&self, name: &str) -> Result<String>;

    /// Objects (and common prefixes, with a delimiter), page by page.
    fn objects<'a>(&'a self, q: &'a ListObjects) -> ResultStream<'a, ObjectEntry>;

    /// An object's metadata; `NotFound` when missing.
    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta>;

    /// Read an object (or a range of it) as a byte stream.
    async fn get_object(&self, bucket: &str, key: &str, opts: &GetOptions) -> Result<ObjectBody>;

    /// Write an object; bodies above `opts.multipart_threshold` go up in parts.
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: PutBody,
        opts: &PutOptions,
    ) -> Result<ObjectMeta>;

    /// Delete an object. A missing object is `Ok`.
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()>;

    /// Server-side copy.
    async fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectMeta>;

    /// A presigned URL for one object.
    async fn presign(
        &self,
        bucket: &str,
        key: &str,
        opts: &PresignOptions,
    ) -> Result<PresignedRequest>;
}
