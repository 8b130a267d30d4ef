//! The estate: one in-memory, thread-safe state of every simulated account.
//!
//! [`Estate`] is a cheap, cloneable handle (an `Arc`). Every record belongs
//! to a [`Scope`] — (provider, account, region) — or, for account-wide
//! records (IAM, costs), to a (provider, account) pair. Operations keep the
//! clouds' invariants (a volume is attached to one instance at a time, a VPC
//! with subnets cannot be deleted, only a stopped instance can be started,
//! ...) and return an [`EstateError`] that frontends render as the vendor's
//! error.
//!
//! State transitions take simulated time (see [`Timings`]) and are computed
//! lazily from timestamps when read, so nothing runs in the background: an
//! instance stopped at `t` reads `Stopping` until `t + stop_ms` and `Stopped`
//! afterwards. Writes first settle the region they touch.

pub(crate) mod b64;
mod billing;
mod common;
mod compute;
mod generate;
mod iam;
pub mod ids;
pub mod model;
mod network;
mod storage;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::RwLock;

pub use compute::{NewInstance, NewVolume};
pub use generate::{GenConfig, currency, default_regions, default_zones};
pub use iam::NewIamUser;
pub use model::*;
pub use network::{NewPublicIp, NewSecurityGroup, NewSubnet, NewVpc};
pub use storage::{BucketInfo, ListObjectsQuery, ObjectListing, PutObject};

use crate::clock::Clock;
use ids::{IdFn, IdRng, default_id_fn};

/// Where a regional record lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// Provider name.
    pub provider: String,
    /// Account id.
    pub account: String,
    /// Region id.
    pub region: String,
}

impl Scope {
    /// A scope from its three parts.
    pub fn new(
        provider: impl Into<String>,
        account: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Scope {
            provider: provider.into(),
            account: account.into(),
            region: region.into(),
        }
    }
}

/// Why an estate operation failed. Frontends map these to vendor errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EstateError {
    /// The resource does not exist.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What was looked up.
        kind: ResourceKind,
        /// Its id or name.
        id: String,
    },
    /// A resource with that name already exists.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// What.
        kind: ResourceKind,
        /// Its id or name.
        id: String,
    },
    /// The resource is in the wrong state for the operation.
    #[error("{kind} {id} is {state}: {message}")]
    InvalidState {
        /// What.
        kind: ResourceKind,
        /// Its id.
        id: String,
        /// Its current state, lower case.
        state: String,
        /// What was wanted.
        message: String,
    },
    /// The resource is held by another (attached volume, bound IP).
    #[error("{kind} {id} is in use by {by}")]
    InUse {
        /// What.
        kind: ResourceKind,
        /// Its id.
        id: String,
        /// Holder's id.
        by: String,
    },
    /// Other resources depend on it (VPC with subnets, ...).
    #[error("{kind} {id} has dependent {dependent} {dependent_id}")]
    DependencyViolation {
        /// What.
        kind: ResourceKind,
        /// Its id.
        id: String,
        /// Kind of the dependent.
        dependent: ResourceKind,
        /// One dependent's id.
        dependent_id: String,
    },
    /// A bad value in the request.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl EstateError {
    pub(crate) fn not_found(kind: ResourceKind, id: impl Into<String>) -> Self {
        EstateError::NotFound {
            kind,
            id: id.into(),
        }
    }
}

/// Result of estate operations.
pub type EstateResult<T> = Result<T, EstateError>;

/// Filters for list operations; each field narrows when set, and fields that
/// do not apply to a kind are ignored for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these ids.
    pub ids: Vec<String>,
    /// Only resources carrying all of these tags.
    pub tags: Tags,
    /// Only this exact name.
    pub name: Option<String>,
    /// Only this zone.
    pub zone: Option<String>,
    /// Only children of this VPC.
    pub vpc_id: Option<String>,
    /// Only resources attached/bound to this instance.
    pub instance_id: Option<String>,
}

/// Which page of a list to return.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageReq {
    /// Every item.
    #[default]
    All,
    /// Offset/limit (also page number/size: offset = (n - 1) * size).
    Offset {
        /// Items to skip.
        offset: usize,
        /// Items to return.
        limit: usize,
    },
    /// Items with an id greater than the marker (ids sort as strings).
    After {
        /// Last id of the previous page; `None` for the first page.
        marker: Option<String>,
        /// Items to return.
        limit: usize,
    },
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// How many items match in total.
    pub total: usize,
    /// The id of the page's last item when more follow (a marker / token).
    pub next_marker: Option<String>,
}

/// Fields list filters look at.
pub(crate) trait Listed {
    fn key(&self) -> &str;
    fn tags(&self) -> Option<&Tags> {
        None
    }
    fn name(&self) -> Option<&str> {
        None
    }
    fn zone(&self) -> Option<&str> {
        None
    }
    fn vpc(&self) -> Option<&str> {
        None
    }
    fn instance(&self) -> Option<&str> {
        None
    }
}

impl Filter {
    pub(crate) fn matches<T: Listed>(&self, item: &T) -> bool {
        if !self.ids.is_empty() && !self.ids.iter().any(|i| i == item.key()) {
            return false;
        }
        if !self.tags.is_empty() {
            let Some(tags) = item.tags() else {
                return false;
            };
            if !self.tags.iter().all(|(k, v)| tags.get(k) == Some(v)) {
                return false;
            }
        }
        fn check(want: &Option<String>, have: Option<&str>) -> bool {
            match want {
                None => true,
                Some(w) => have == Some(w.as_str()),
            }
        }
        check(&self.name, item.name())
            && check(&self.zone, item.zone())
            && check(&self.vpc_id, item.vpc())
            && check(&self.instance_id, item.instance())
    }
}

/// Cut one page out of matching items (already in id order).
pub(crate) fn paginate<'a, T: 'a, U>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> &str,
    page: &PageReq,
    mut map: impl FnMut(&T) -> U,
) -> Listing<U> {
    let all: Vec<&T> = items.collect();
    let total = all.len();
    let (start, limit) = match page {
        PageReq::All => (0, usize::MAX),
        PageReq::Offset { offset, limit } => (*offset, *limit),
        PageReq::After { marker, limit } => {
            let start = match marker {
                None => 0,
                Some(m) => all.partition_point(|t| key(t) <= m.as_str()),
            };
            (start, *limit)
        }
    };
    let end = start.saturating_add(limit).min(total);
    let start = start.min(total);
    let items: Vec<U> = all[start..end].iter().map(|t| map(t)).collect();
    let next_marker = if end < total && end > start {
        Some(key(all[end - 1]).to_string())
    } else {
        None
    };
    Listing {
        items,
        total,
        next_marker,
    }
}

/// Credentials found for an access key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthIdentity {
    /// Provider.
    pub provider: String,
    /// Account id.
    pub account: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret key.
    pub secret: SecretString,
    /// The IAM user owning the key; `None` for the account's root key.
    pub user: Option<String>,
}

/// One seeded account's connection details (what `accounts_toml` prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// Provider.
    pub provider: String,
    /// Account id.
    pub id: String,
    /// Label.
    pub name: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret.
    pub secret_access_key: SecretString,
    /// Provider extras (`app_id`, ...).
    pub extras: std::collections::BTreeMap<String, String>,
    /// Region ids.
    pub regions: Vec<String>,
}

struct Inner {
    data: RwLock<EstateData>,
    requests: std::sync::atomic::AtomicU64,
    id_fns: RwLock<HashMap<String, IdFn>>,
    clock: Clock,
    /// The most items a listing answers per page (0: no cap).
    page_cap: std::sync::atomic::AtomicUsize,
}

/// Shared handle to the estate.
#[derive(Clone)]
pub struct Estate {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Estate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.inner.data.read();
        f.debug_struct("Estate")
            .field("seed", &d.seed)
            .field("accounts", &d.accounts.len())
            .finish_non_exhaustive()
    }
}

/// Errors loading or saving estate files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EstateFileError {
    /// Reading or writing the file.
    #[error("estate file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// JSON syntax or shape.
    #[error("estate JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// TOML syntax or shape.
    #[error("estate TOML: {0}")]
    TomlDe(#[from] toml::de::Error),
    /// TOML output.
    #[error("estate TOML: {0}")]
    TomlSer(#[from] toml::ser::Error),
}

impl Estate {
    /// An estate holding `data`, on `clock`.
    pub fn from_data(data: EstateData, clock: Clock) -> Self {
        Estate {
            inner: Arc::new(Inner {
                data: RwLock::new(data),
                requests: std::sync::atomic::AtomicU64::new(0),
                id_fns: RwLock::new(HashMap::new()),
                clock,
                page_cap: std::sync::atomic::AtomicUsize::new(0),
            }),
        }
    }

    /// An empty estate with this id seed.
    pub fn empty(seed: u64) -> Self {
        Estate::from_data(
            EstateData {
                seed,
                ..EstateData::default()
            },
            Clock::new(),
        )
    }

    /// Generate an estate (deterministic from `cfg.seed`).
    pub fn generate(cfg: &GenConfig) -> Self {
        let e = Estate::empty(cfg.seed);
        e.populate(cfg);
        e
    }

    /// Add generated accounts to this estate (usually empty, after id
    /// styles were installed). Deterministic from `cfg.seed` and the estate's
    /// id counter.
    pub fn populate(&self, cfg: &GenConfig) {
        generate::generate(self, cfg);
    }

    /// The clock transitions are computed against.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The sim's current time.
    pub fn now(&self) -> Time {
        self.inner.clock.now()
    }

    /// Transition delays.
    pub fn timings(&self) -> Timings {
        self.inner.data.read().timings
    }

    /// Change transition delays (applies to transitions already under way too).
    pub fn set_timings(&self, t: Timings) {
        self.inner.data.write().timings = t;
    }

    /// Caps every page a frontend answers at `n` items (`None`: no cap),
    /// whatever page size the request asks for. Clouds may answer fewer
    /// items than asked and say so with their continuation marker (RAM's
    /// `IsTruncated`/`Marker`, OSS's `IsTruncated`/`NextMarker`, BSS's
    /// `NextToken`); tests use the cap to make a client walk several pages
    /// of a listing whose query carries no page size. Frontends that honour
    /// it: Alibaba RAM, OSS and BSS listings.
    pub fn set_page_cap(&self, n: Option<usize>) {
        let v = n.map(|n| n.max(1)).unwrap_or(0);
        self.inner
            .page_cap
            .store(v, std::sync::atomic::Ordering::Relaxed);
    }

    /// `asked` items, or fewer under the [page cap](Self::set_page_cap).
    pub fn capped_page(&self, asked: usize) -> usize {
        match self
            .inner
            .page_cap
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            0 => asked,
            cap => asked.min(cap),
        }
    }

    /// Replace the id function of a provider (frontends: vendor id styles).
    pub fn set_id_fn(&self, provider: &str, f: IdFn) {
        self.inner.id_fns.write().insert(provider.to_string(), f);
    }

    /// Read the raw data (stored states; transitions are not advanced).
    pub fn read<R>(&self, f: impl FnOnce(&EstateData) -> R) -> R {
        f(&self.inner.data.read())
    }

    /// Modify the raw data directly (tests: plant records, break invariants).
    pub fn write<R>(&self, f: impl FnOnce(&mut EstateData) -> R) -> R {
        f(&mut self.inner.data.write())
    }

    /// A copy of the data with every transition settled to "now".
    pub fn snapshot(&self) -> EstateData {
        let now = self.now();
        let mut d = self.inner.data.read().clone();
        let t = d.timings;
        for a in &mut d.accounts {
            for r in a.regions.values_mut() {
                compute::settle_region(r, now, &t);
            }
        }
        d
    }

    /// The estate as JSON.
    pub fn to_json(&self) -> Result<String, EstateFileError> {
        Ok(serde_json::to_string_pretty(&self.snapshot())?)
    }

    /// The estate as TOML.
    pub fn to_toml(&self) -> Result<String, EstateFileError> {
        Ok(toml::to_string(&self.snapshot())?)
    }

    /// An estate from JSON text.
    pub fn from_json(text: &str) -> Result<Self, EstateFileError> {
        Ok(Estate::from_data(serde_json::from_str(text)?, Clock::new()))
    }

    /// An estate from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, EstateFileError> {
        Ok(Estate::from_data(toml::from_str(text)?, Clock::new()))
    }

    /// Load an estate file (`.toml` is TOML; anything else JSON).
    pub fn load(path: &Path) -> Result<Self, EstateFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| EstateFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if path.extension().is_some_and(|e| e == "toml") {
            Estate::from_toml(&text)
        } else {
            Estate::from_json(&text)
        }
    }

    /// Save to an estate file (`.toml` is TOML; anything else JSON).
    pub fn save(&self, path: &Path) -> Result<(), EstateFileError> {
        let text = if path.extension().is_some_and(|e| e == "toml") {
            self.to_toml()?
        } else {
            self.to_json()?
        };
        std::fs::write(path, text).map_err(|source| EstateFileError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Generate a fresh id of `kind` in `provider`'s style.
    pub(crate) fn next_id(&self, d: &mut EstateData, provider: &str, kind: ResourceKind) -> String {
        let f = self
            .inner
            .id_fns
            .read()
            .get(provider)
            .cloned()
            .unwrap_or_else(|| default_id_fn(provider));
        let counter = d.id_counter;
        d.id_counter += 1;
        f(kind, &mut IdRng::new(d.seed, counter))
    }

    /// Draw from the id stream with a custom format (addresses, secrets).
    pub(crate) fn next_with(
        &self,
        d: &mut EstateData,
        f: impl FnOnce(&mut IdRng) -> String,
    ) -> String {
        let counter = d.id_counter;
        d.id_counter += 1;
        f(&mut IdRng::new(d.seed, counter))
    }

    /// A fresh request id (UUID) for responses: deterministic from the seed
    /// and the number of request ids drawn so far, on a stream of its own so
    /// that reads never shift the ids of resources created later.
    pub fn request_id(&self) -> String {
        let n = self
            .inner
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seed = self.inner.data.read().seed;
        IdRng::new(seed ^ 0x0052_4551_5545_5354, n).uuid()
    }

    // ----- accounts, regions, auth -----

    /// Providers that have accounts, sorted.
    pub fn providers(&self) -> Vec<String> {
        let d = self.inner.data.read();
        let mut v: Vec<String> = d.accounts.iter().map(|a| a.provider.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The accounts of a provider with their credentials.
    pub fn accounts(&self, provider: &str) -> Vec<AccountInfo> {
        let d = self.inner.data.read();
        d.accounts
            .iter()
            .filter(|a| a.provider == provider)
            .map(|a| AccountInfo {
                provider: a.provider.clone(),
                id: a.id.clone(),
                name: a.name.clone(),
                access_key_id: a.credentials.access_key_id.clone(),
                secret_access_key: a.credentials.secret_access_key.clone(),
                extras: a.extras.clone(),
                regions: a.regions.keys().cloned().collect(),
            })
            .collect()
    }

    /// Find the account and secret owning an access key id: the account's
    /// root key or an active key of one of its IAM users.
    pub fn find_access_key(&self, provider: &str, access_key_id: &str) -> Option<AuthIdentity> {
        let d = self.inner.data.read();
        for a in d.accounts.iter().filter(|a| a.provider == provider) {
            if a.credentials.access_key_id == access_key_id {
                return Some(AuthIdentity {
                    provider: a.provider.clone(),
                    account: a.id.clone(),
                    access_key_id: access_key_id.to_string(),
                    secret: a.credentials.secret_access_key.clone(),
                    user: None,
                });
            }
            for u in a.iam.users.values() {
                if let Some(k) = u
                    .access_keys
                    .iter()
                    .find(|k| k.id == access_key_id && k.active)
                {
                    return Some(AuthIdentity {
                        provider: a.provider.clone(),
                        account: a.id.clone(),
                        access_key_id: access_key_id.to_string(),
                        secret: k.secret.clone(),
                        user: Some(u.name.clone()),
                    });
                }
            }
        }
        None
    }

    /// Add an account (no regions). Fails if the id exists for the provider.
    pub fn add_account(&self, account: AccountState) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        if d.accounts
            .iter()
            .any(|a| a.provider == account.provider && a.id == account.id)
        {
            return Err(EstateError::already_exists(
                ResourceKind::Account,
                account.id,
            ));
        }
        d.accounts.push(account);
        Ok(())
    }

    /// Region ids of an account with their zones.
    pub fn regions(
        &self,
        provider: &str,
        account: &str,
    ) -> EstateResult<Vec<(String, Vec<String>)>> {
        let d = self.inner.data.read();
        let a = find_account(&d, provider, account)?;
        Ok(a.regions
            .values()
            .map(|r| (r.id.clone(), r.zones.clone()))
            .collect())
    }

    /// Run `f` on an account (read-only).
    pub fn with_account<R>(
        &self,
        provider: &str,
        account: &str,
        f: impl FnOnce(&AccountState) -> R,
    ) -> EstateResult<R> {
        let d = self.inner.data.read();
        Ok(f(find_account(&d, provider, account)?))
    }

    /// Run `f` on a region (read-only, stored states).
    pub fn with_region<R>(
        &self,
        scope: &Scope,
        f: impl FnOnce(&RegionState) -> R,
    ) -> EstateResult<R> {
        let d = self.inner.data.read();
        Ok(f(find_region(&d, scope)?))
    }

    /// Count live instances (not yet gone) in a scope.
    pub fn count_instances(&self, scope: &Scope) -> EstateResult<usize> {
        let now = self.now();
        let d = self.inner.data.read();
        let t = d.timings;
        let r = find_region(&d, scope)?;
        Ok(r.instances
            .values()
            .filter(|i| compute::effective_instance(i.state, i.state_since, now, &t).is_some())
            .count())
    }
}

pub(crate) fn find_account<'a>(
    d: &'a EstateData,
    provider: &str,
    account: &str,
) -> EstateResult<&'a AccountState> {
    d.accounts
        .iter()
        .find(|a| a.provider == provider && a.id == account)
        .ok_or_else(|| EstateError::not_found(ResourceKind::Account, account))
}

pub(crate) fn find_account_mut<'a>(
    d: &'a mut EstateData,
    provider: &str,
    account: &str,
) -> EstateResult<&'a mut AccountState> {
    d.accounts
        .iter_mut()
        .find(|a| a.provider == provider && a.id == account)
        .ok_or_else(|| EstateError::not_found(ResourceKind::Account, account))
}

pub(crate) fn find_region<'a>(d: &'a EstateData, s: &Scope) -> EstateResult<&'a RegionState> {
    find_account(d, &s.provider, &s.account)?
        .regions
        .get(&s.region)
        .ok_or_else(|| EstateError::not_found(ResourceKind::Region, &s.region))
}

pub(crate) fn find_region_mut<'a>(
    d: &'a mut EstateData,
    s: &Scope,
) -> EstateResult<&'a mut RegionState> {
    find_account_mut(d, &s.provider, &s.account)?
        .regions
        .get_mut(&s.region)
        .ok_or_else(|| EstateError::not_found(ResourceKind::Region, &s.region))
}

/// Look up a client token of `kind` in a region.
pub(crate) fn token_get(
    r: &RegionState,
    kind: ResourceKind,
    token: &Option<String>,
) -> Option<String> {
    let t = token.as_ref()?;
    r.client_tokens.get(kind.as_str())?.get(t).cloned()
}

/// Remember a client token.
pub(crate) fn token_put(r: &mut RegionState, kind: ResourceKind, token: &Option<String>, id: &str) {
    if let Some(t) = token {
        r.client_tokens
            .entry(kind.as_str().to_string())
            .or_default()
            .insert(t.clone(), id.to_string());
    }
}
