//! Object storage: buckets and objects.

use std::fmt;

use bytes::Bytes;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use super::{ProviderKind, Tags, Timestamp};
use crate::error::Result;

/// A bucket (Azure: `account/container`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Bucket name as the cloud addresses it (Tencent: `name-appid`;
    /// Azure: `account/container`).
    pub name: String,
    /// Region (location) of the bucket.
    pub region: Option<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Default storage class, where reported.
    pub storage_class: Option<String>,
    /// Tags, where listed with the bucket.
    pub tags: Tags,
}

/// What bucket to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BucketSpec {
    /// Bucket name.
    pub name: String,
    /// Region to create it in.
    pub region: String,
    /// Default storage class.
    pub storage_class: Option<String>,
}

/// An object's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// Object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Entity tag, without quotes.
    pub etag: Option<String>,
    /// Last modification time.
    pub last_modified: Option<Timestamp>,
    /// Content type.
    pub content_type: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
    /// User metadata (`x-amz-meta-*`, `x-oss-meta-*`, ...), keys lower-case
    /// without the prefix.
    pub metadata: Tags,
}

/// One entry of an object listing.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectEntry {
    /// An object.
    Object(ObjectMeta),
    /// A common prefix ("directory") when listing with a delimiter.
    Prefix(String),
}

/// Which objects to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListObjects {
    /// Bucket name.
    pub bucket: String,
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Group keys by this delimiter into [`ObjectEntry::Prefix`] entries.
    pub delimiter: Option<String>,
    /// Start after this key.
    pub start_after: Option<String>,
    /// Page size override (the API maximum, usually 1000, by default).
    pub page_size: Option<u32>,
}

/// A stream of body chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// An object body being read, with its metadata.
pub struct ObjectBody {
    /// The object's metadata as returned with the body.
    pub meta: ObjectMeta,
    /// The byte range returned, when a range was asked for (inclusive).
    pub range: Option<(u64, u64)>,
    /// The bytes.
    pub body: ByteStream,
}

impl fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBody")
            .field("meta", &self.meta)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl ObjectBody {
    /// Read the whole body into memory. Use only for small objects.
    pub async fn collect(self) -> Result<Bytes> {
        use futures::TryStreamExt;
        let chunks: Vec<Bytes> = self.body.try_collect().await?;
        if chunks.len() == 1 {
            return Ok(chunks.into_iter().next().unwrap_or_default());
        }
        let mut out = Vec::with_capacity(chunks.iter().map(Bytes::len).sum());
        for c in chunks {
            out.extend_from_slice(&c);
        }
        Ok(Bytes::from(out))
    }
}

/// What to read of an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GetOptions {
    /// Inclusive byte range `(first, last)`; `last = None` reads to the end.
    pub range: Option<(u64, Option<u64>)>,
}

/// The body of a put.
pub enum PutBody {
    /// Bytes already in memory.
    Bytes(Bytes),
    /// A stream; `size` when known lets providers pick single or multipart.
    Stream {
        /// The chunks.
        body: ByteStream,
        /// Total length, if known.
        size: Option<u64>,
    },
}

impl fmt::Debug for PutBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutBody::Bytes(b) => write!(f, "PutBody::Bytes({} bytes)", b.len()),
            PutBody::Stream { size, .. } => write!(f, "PutBody::Stream(size={size:?})"),
        }
    }
}

impl From<Bytes> for PutBody {
    fn from(b: Bytes) -> Self {
        PutBody::Bytes(b)
    }
}

impl From<Vec<u8>> for PutBody {
    fn from(b: Vec<u8>) -> Self {
        PutBody::Bytes(Bytes::from(b))
    }
}

impl From<&'static str> for PutBody {
    fn from(s: &'static str) -> Self {
        PutBody::Bytes(Bytes::from_static(s.as_bytes()))
    }
}

/// How to write an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutOptions {
    /// Content type.
    pub content_type: Option<String>,
    /// User metadata.
    pub metadata: Tags,
    /// Storage class.
    pub storage_class: Option<String>,
    /// Bodies larger than this go up in multipart uploads.
    pub multipart_threshold: u64,
    /// Part size for multipart uploads (at least the cloud's minimum).
    pub part_size: u64,
}

impl Default for PutOptions {
    fn default() -> Self {
        PutOptions {
            content_type: None,
            metadata: Tags::new(),
            storage_class: None,
            multipart_threshold: 64 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
        }
    }
}

/// HTTP method a presigned URL is for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PresignMethod {
    /// Download.
    Get,
    /// Upload.
    Put,
    /// Metadata.
    Head,
    /// Delete.
    Delete,
}

/// How to presign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignOptions {
    /// Method the URL allows.
    pub method: PresignMethod,
    /// Lifetime in seconds.
    pub expires_secs: u64,
}

impl Default for PresignOptions {
    fn default() -> Self {
        PresignOptions {
            method: PresignMethod::Get,
            expires_secs: 900,
        }
    }
}

/// A presigned request. Its `Debug` shows the URL without query values and
/// masks header values that carry credentials: the URL and those headers
/// are a usable credential until `expires_at`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignedRequest {
    /// Method to use.
    pub method: PresignMethod,
    /// The URL, signature included. Treat it as a secret for its lifetime.
    pub url: String,
    /// Headers the request must carry.
    pub headers: Tags,
    /// When it stops working.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match self.url.split_once('?') {
            Some((base, query)) => {
                let names: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((name, _)) => format!("{name}={}", crate::redact::MASK),
                        None => pair.to_string(),
                    })
                    .collect();
                format!("{base}?{}", names.join("&"))
            }
            None => self.url.clone(),
        };
        let headers = crate::redact::masked_pairs(&self.headers);
        f.debug_struct("PresignedRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &headers)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_request_debug_hides_signature_and_token() {
        let r = PresignedRequest {
            method: PresignMethod::Get,
            url: "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKID%2F20260101&X-Amz-Security-Token=TOKEN123&X-Amz-Signature=SIG456".into(),
            headers: [
                ("x-amz-security-token".to_string(), "TOKEN123".to_string()),
                ("Content-Type".to_string(), "text/plain".to_string()),
            ]
            .into_iter()
            .collect(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("TOKEN123"), "{shown}");
        assert!(!shown.contains("SIG456"), "{shown}");
        assert!(
            shown.contains("https://b.s3.amazonaws.com/k?X-Amz-Credential=***"),
            "{shown}"
        );
        assert!(shown.contains("text/plain"), "{shown}");
        // The URL itself is unchanged: it is the value callers use.
        assert!(r.url.contains("SIG456"));
    }
}
