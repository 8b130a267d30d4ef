//! Buckets, objects and multipart uploads.
//!
//! Bucket names are unique per provider across all its accounts (as on the
//! real clouds); a bucket lives in one region of one account.

use md5::{Digest, Md5};

use super::common::{lookup, lookup_mut};
use super::model::*;
use super::{
    Estate, EstateData, EstateError, EstateResult, Scope, find_account, find_account_mut,
    find_region_mut,
};

/// One page of an object listing (S3 `ListObjects` semantics).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectListing {
    /// Objects (data left empty).
    pub objects: Vec<Object>,
    /// Common prefixes (with a delimiter).
    pub common_prefixes: Vec<String>,
    /// More entries follow.
    pub is_truncated: bool,
    /// The last key or prefix returned, when truncated (start the next page after it).
    pub next_marker: Option<String>,
}

/// Which objects to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListObjectsQuery {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Group keys by this delimiter after the prefix.
    pub delimiter: Option<String>,
    /// Only keys after this one (marker, start-after, continuation token).
    pub start_after: Option<String>,
    /// Most entries (objects + prefixes) per page; 1000 when 0.
    pub max_keys: usize,
}

/// An object to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PutObject {
    /// Key.
    pub key: String,
    /// Bytes.
    pub data: Vec<u8>,
    /// Content type.
    pub content_type: Option<String>,
    /// User metadata.
    pub metadata: Tags,
    /// Storage class (bucket default when `None`).
    pub storage_class: Option<String>,
}

/// A bucket without its objects (what bucket lists return).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
    /// Creation time.
    pub created_at: Time,
    /// Default storage class.
    pub storage_class: String,
    /// Tags.
    pub tags: Tags,
    /// Objects in it.
    pub object_count: usize,
}

pub(crate) fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn bucket_region(d: &EstateData, provider: &str, name: &str) -> Option<(String, String)> {
    d.accounts
        .iter()
        .filter(|a| a.provider == provider)
        .find_map(|a| {
            a.regions
                .values()
                .find(|r| r.buckets.contains_key(name))
                .map(|r| (a.id.clone(), r.id.clone()))
        })
}

/// The region of an account holding bucket `name`.
fn bucket_home<'a>(a: &'a AccountState, name: &str) -> EstateResult<&'a RegionState> {
    a.regions
        .values()
        .find(|r| r.buckets.contains_key(name))
        .ok_or_else(|| EstateError::not_found(ResourceKind::Bucket, name))
}

/// The region of an account holding bucket `name`, to change.
fn bucket_home_mut<'a>(a: &'a mut AccountState, name: &str) -> EstateResult<&'a mut RegionState> {
    a.regions
        .values_mut()
        .find(|r| r.buckets.contains_key(name))
        .ok_or_else(|| EstateError::not_found(ResourceKind::Bucket, name))
}

fn bucket_mut<'a>(
    d: &'a mut EstateData,
    provider: &str,
    account: &str,
    name: &str,
) -> EstateResult<&'a mut Bucket> {
    let r = bucket_home_mut(find_account_mut(d, provider, account)?, name)?;
    lookup_mut::<Bucket, _>(r, name)
}

fn bucket_ref<'a>(
    d: &'a EstateData,
    provider: &str,
    account: &str,
    name: &str,
) -> EstateResult<&'a Bucket> {
    lookup::<Bucket, _>(
        bucket_home(find_account(d, provider, account)?, name)?,
        name,
    )
}

impl Estate {
    /// Every bucket of an account, by name.
    pub fn buckets(&self, provider: &str, account: &str) -> EstateResult<Vec<BucketInfo>> {
        let d = self.inner.data.read();
        let a = find_account(&d, provider, account)?;
        let mut v: Vec<BucketInfo> = a
            .regions
            .values()
            .flat_map(|r| {
                r.buckets.values().map(|b| BucketInfo {
                    name: b.name.clone(),
                    region: r.id.clone(),
                    created_at: b.created_at,
                    storage_class: b.storage_class.clone(),
                    tags: b.tags.clone(),
                    object_count: b.objects.len(),
                })
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// Who owns a bucket name in a provider: `(account, region)`.
    pub fn bucket_owner(&self, provider: &str, name: &str) -> Option<(String, String)> {
        bucket_region(&self.inner.data.read(), provider, name)
    }

    /// Create a bucket. A name taken by this account is `AlreadyExists` with
    /// kind `Bucket`; taken by another account, `InUse`.
    pub fn create_bucket(
        &self,
        scope: &Scope,
        name: &str,
        storage_class: Option<&str>,
    ) -> EstateResult<BucketInfo> {
        let now = self.now();
        let mut d = self.inner.data.write();
        if name.is_empty() || name.len() > 255 {
            return Err(EstateError::InvalidArgument(format!(
                "bad bucket name {name:?}"
            )));
        }
        if let Some((acct, _)) = bucket_region(&d, &scope.provider, name) {
            if acct == scope.account {
                return Err(EstateError::already_exists(ResourceKind::Bucket, name));
            }
            return Err(EstateError::in_use(ResourceKind::Bucket, name, &acct));
        }
        let r = find_region_mut(&mut d, scope)?;
        let b = Bucket {
            name: name.into(),
            created_at: now,
            storage_class: storage_class.unwrap_or("STANDARD").into(),
            tags: Tags::new(),
            objects: Default::default(),
            uploads: Default::default(),
        };
        r.buckets.insert(name.into(), b);
        Ok(BucketInfo {
            name: name.into(),
            region: scope.region.clone(),
            created_at: now,
            storage_class: storage_class.unwrap_or("STANDARD").into(),
            tags: Tags::new(),
            object_count: 0,
        })
    }

    /// Delete an empty bucket (objects or uploads: `DependencyViolation`).
    pub fn delete_bucket(&self, provider: &str, account: &str, name: &str) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        let r = bucket_home_mut(find_account_mut(&mut d, provider, account)?, name)?;
        if let Some(b) = r.buckets.get(name) {
            if let Some(k) = b.objects.keys().next() {
                let (kind, object) = (ResourceKind::Bucket, ResourceKind::Object);
                return Err(EstateError::dependency(kind, name, object, k));
            }
        }
        r.buckets.remove(name);
        Ok(())
    }

    /// The region of an account's bucket.
    pub fn bucket_location(
        &self,
        provider: &str,
        account: &str,
        name: &str,
    ) -> EstateResult<String> {
        let d = self.inner.data.read();
        Ok(bucket_home(find_account(&d, provider, account)?, name)?
            .id
            .clone())
    }

    /// List objects (S3 semantics: keys in byte order, prefixes and objects
    /// both count toward `max_keys`).
    pub fn list_objects(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        q: &ListObjectsQuery,
    ) -> EstateResult<ObjectListing> {
        let d = self.inner.data.read();
        let b = bucket_ref(&d, provider, account, bucket)?;
        let max = if q.max_keys == 0 { 1000 } else { q.max_keys };
        let prefix = q.prefix.clone().unwrap_or_default();
        let mut out = ObjectListing::default();
        let mut last: Option<String> = None;
        let start = q.start_after.clone().unwrap_or_default();
        let range = b.objects.range::<String, _>((
            std::ops::Bound::Excluded(start.clone()),
            std::ops::Bound::Unbounded,
        ));
        let mut count = 0usize;
        for (k, o) in range {
            if !k.starts_with(&prefix) {
                if k.as_str() > prefix.as_str() && !prefix.is_empty() {
                    break;
                }
                continue;
            }
            let rest = &k[prefix.len()..];
            let entry_prefix = q
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .and_then(|d| {
                    rest.find(d)
                        .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
                });
            if let Some(p) = entry_prefix {
                if out.common_prefixes.last() == Some(&p)
                    || (!start.is_empty() && start.starts_with(&p))
                {
                    continue;
                }
                if count == max {
                    out.is_truncated = true;
                    break;
                }
                out.common_prefixes.push(p.clone());
                last = Some(p);
                count += 1;
            } else {
                if count == max {
                    out.is_truncated = true;
                    break;
                }
                let mut meta = o.clone();
                meta.data = Vec::new();
                out.objects.push(meta);
                last = Some(k.clone());
                count += 1;
            }
        }
        if out.is_truncated {
            out.next_marker = last;
        }
        Ok(out)
    }

    /// An object with its data.
    pub fn get_object(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        key: &str,
    ) -> EstateResult<Object> {
        let d = self.inner.data.read();
        bucket_ref(&d, provider, account, bucket)?
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| EstateError::not_found(ResourceKind::Object, key))
    }

    /// Write an object (ETag = MD5 hex of the bytes).
    pub fn put_object(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        put: PutObject,
    ) -> EstateResult<Object> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let b = bucket_mut(&mut d, provider, account, bucket)?;
        if put.key.is_empty() {
            return Err(EstateError::InvalidArgument("empty object key".into()));
        }
        let o = Object {
            etag: md5_hex(&put.data),
            key: put.key.clone(),
            data: put.data,
            content_type: put.content_type,
            storage_class: put.storage_class.unwrap_or_else(|| b.storage_class.clone()),
            metadata: put.metadata,
            last_modified: now,
        };
        b.objects.insert(put.key, o.clone());
        Ok(o)
    }

    /// Delete an object; returns whether it existed.
    pub fn delete_object(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        key: &str,
    ) -> EstateResult<bool> {
        let mut d = self.inner.data.write();
        let b = bucket_mut(&mut d, provider, account, bucket)?;
        Ok(b.objects.remove(key).is_some())
    }

    /// Server-side copy within an account.
    pub fn copy_object(
        &self,
        provider: &str,
        account: &str,
        src: (&str, &str),
        dst: (&str, &str),
    ) -> EstateResult<Object> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let mut o = bucket_ref(&d, provider, account, src.0)?
            .objects
            .get(src.1)
            .cloned()
            .ok_or_else(|| EstateError::not_found(ResourceKind::Object, src.1))?;
        let b = bucket_mut(&mut d, provider, account, dst.0)?;
        o.key = dst.1.into();
        o.last_modified = now;
        b.objects.insert(dst.1.into(), o.clone());
        Ok(o)
    }

    /// Start a multipart upload; returns its id.
    pub fn create_upload(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        key: &str,
        content_type: Option<String>,
        metadata: Tags,
    ) -> EstateResult<String> {
        let now = self.now();
        let mut d = self.inner.data.write();
        bucket_ref(&d, provider, account, bucket)?;
        let id = self.next_id(&mut d, provider, ResourceKind::Upload);
        let b = bucket_mut(&mut d, provider, account, bucket)?;
        b.uploads.insert(
            id.clone(),
            Upload {
                id: id.clone(),
                key: key.into(),
                initiated: now,
                content_type,
                metadata,
                parts: Vec::new(),
            },
        );
        Ok(id)
    }

    /// Store one part (replacing a part with the same number); returns its ETag.
    pub fn upload_part(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        upload_id: &str,
        number: u32,
        data: Vec<u8>,
    ) -> EstateResult<String> {
        let mut d = self.inner.data.write();
        let b = bucket_mut(&mut d, provider, account, bucket)?;
        let u = b
            .uploads
            .get_mut(upload_id)
            .ok_or_else(|| EstateError::not_found(ResourceKind::Upload, upload_id))?;
        if number == 0 || number > 10_000 {
            return Err(EstateError::InvalidArgument(format!(
                "part number {number} out of range"
            )));
        }
        let etag = md5_hex(&data);
        u.parts.retain(|p| p.number != number);
        u.parts.push(Part {
            number,
            data,
            etag: etag.clone(),
        });
        u.parts.sort_by_key(|p| p.number);
        Ok(etag)
    }

    /// Finish an upload from the listed `(part number, etag)` pairs, in
    /// ascending order; the object's ETag is `md5(concat(part md5s))-N`.
    pub fn complete_upload(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> EstateResult<Object> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let b = bucket_mut(&mut d, provider, account, bucket)?;
        let u = b
            .uploads
            .get(upload_id)
            .ok_or_else(|| EstateError::not_found(ResourceKind::Upload, upload_id))?;
        if parts.is_empty() || parts.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(EstateError::InvalidArgument(
                "parts must be listed in ascending order".into(),
            ));
        }
        let mut data = Vec::new();
        let mut digests = Vec::new();
        for (n, etag) in parts {
            let p = u.parts.iter().find(|p| p.number == *n).ok_or_else(|| {
                EstateError::InvalidArgument(format!("part {n} was not uploaded"))
            })?;
            if p.etag != etag.trim_matches('"').to_ascii_lowercase() {
                return Err(EstateError::InvalidArgument(format!(
                    "part {n}: ETag mismatch"
                )));
            }
            data.extend_from_slice(&p.data);
            digests.extend_from_slice(&Md5::digest(&p.data));
        }
        let o = Object {
            key: u.key.clone(),
            etag: format!("{}-{}", md5_hex(&digests), parts.len()),
            data,
            content_type: u.content_type.clone(),
            storage_class: b.storage_class.clone(),
            metadata: u.metadata.clone(),
            last_modified: now,
        };
        b.uploads.remove(upload_id);
        b.objects.insert(o.key.clone(), o.clone());
        Ok(o)
    }

    /// Abandon an upload.
    pub fn abort_upload(
        &self,
        provider: &str,
        account: &str,
        bucket: &str,
        upload_id: &str,
    ) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        let b = bucket_mut(&mut d, provider, account, bucket)?;
        b.uploads
            .remove(upload_id)
            .map(|_| ())
            .ok_or_else(|| EstateError::not_found(ResourceKind::Upload, upload_id))
    }
}
