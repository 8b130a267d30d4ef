//! Tencent Cloud provider (CVM, CBS, VPC, COS, CAM, Billing, STS).
//!
//! Connect an account with [`connect`] (what [`Cloud::connect`](crate::Cloud::connect)
//! does for `provider = "tencent"`) or, as a library user, with
//! [`TencentProvider::builder`]:
//!
//! ```no_run
//! # async fn demo() -> multicloud::Result<()> {
//! use multicloud::config::AccountConfig;
//! use multicloud::model::ProviderKind;
//! use multicloud::tencent::TencentProvider;
//!
//! let account = AccountConfig::new("gz", ProviderKind::Tencent);
//! let p = TencentProvider::builder(account).build()?;
//! # let _ = p; Ok(()) }
//! ```
//!
//! The pure parts, each tested on its own:
//!
//! * [`sign`]: the TC3-HMAC-SHA256 signer of API 3.0 and the COS
//!   `q-sign-algorithm=sha1` signer (header and presigned URL);
//! * [`client`]: the API 3.0 response envelope, error parsing and the
//!   error-code classifier, COS XML errors, and [`client::TencentClient`],
//!   which signs every attempt and sends it through the shared transport;
//! * [`config`]: credentials (environment, profile file), API versions,
//!   endpoint resolution with private-cloud (TCE) overrides;
//! * [`creds`]: the CVM instance role and STS `AssumeRole` credential
//!   providers;
//! * [`compute`], [`network`], [`storage`], [`iam`], [`billing`]: wire types
//!   of every API the provider calls (field names from the vendor's Python
//!   SDK models), native → normalized state mapping, conversions into the
//!   normalized model, request-parameter builders, and the `Compute`,
//!   `Network`, `Storage`, `Iam` and `Billing` implementations;
//! * [`wire`]: lenient scalars, times, tags and money shared by the above.
//!
//! Each service file ends with its trait implementation on
//! [`TencentProvider`]. See `docs/providers/tencent.md`.

pub mod billing;
pub mod client;
pub mod compute;
pub mod config;
pub mod creds;
pub mod iam;
pub mod network;
pub mod sign;
pub mod storage;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;

use self::client::{CallKind, TencentClient};
use self::compute::{DescribeRegionsResponse, DescribeZonesResponse};
use self::config::{Endpoints, FALLBACK_REGIONS};
use self::iam::{GetCallerIdentityResponse, account_from_wire, get_caller_identity_params};
use self::wire::OffsetPage;
use crate::config::{AccountConfig, RegionMatcher};
use crate::credentials::CredentialProvider;
use crate::error::{Error, Result};
use crate::model::{Account, ProviderKind, Region, Zone};
use crate::paging::{CountedPage, offset_pager, page_number_pager};
use crate::traits::{
    Billing, Capabilities, Compute, Iam, Network, Provider, ResultStream, Storage,
};
use crate::transport::Transport;

/// Pages fetched at once when a list reports its total.
pub const PAGE_CONCURRENCY: usize = 4;

/// The region used for calls that need one but belong to no resource
/// (`DescribeRegions`, STS) when the account names none.
pub const DEFAULT_REGION: &str = "ap-guangzhou";

/// Most ids one Describe call takes (`InstanceIds`, `DiskIds`, `ImageIds`,
/// `VpcIds`, `SubnetIds`, `SecurityGroupIds`, `AddressIds`: 100 each).
pub const MAX_IDS: usize = 100;

/// `q` split so that each part names at most [`MAX_IDS`] ids (`q` itself
/// when it names no more).
pub(crate) fn id_chunks<Q: Clone>(
    q: &Q,
    ids: &[String],
    with: impl Fn(&mut Q, Vec<String>),
) -> Vec<Q> {
    if ids.len() <= MAX_IDS {
        return vec![q.clone()];
    }
    ids.chunks(MAX_IDS)
        .map(|c| {
            let mut part = q.clone();
            with(&mut part, c.to_vec());
            part
        })
        .collect()
}

/// What the provider implements: every operation of the five traits.
pub const CAPABILITIES: Capabilities = Capabilities::all();

/// Connect one account (the `Cloud::connect` entry point).
pub async fn connect(account: &AccountConfig) -> Result<Arc<dyn Provider>> {
    Ok(Arc::new(TencentProvider::builder(account.clone()).build()?))
}

/// Name the account in a build error (which account of a file failed).
fn in_account(name: &str, e: Error) -> Error {
    if e.message().contains(&format!("`{name}`")) {
        return e;
    }
    let msg = format!("account `{name}`: {}", e.message());
    Error::new(e.kind(), msg).with_context_defaults(e.context())
}

/// Builds a [`TencentProvider`] from an account, with optional overrides of
/// the transport and the credential provider.
#[derive(Debug)]
pub struct TencentBuilder {
    account: AccountConfig,
    transport: Option<Transport>,
    credentials: Option<Arc<dyn CredentialProvider>>,
}

impl TencentBuilder {
    /// Use this transport instead of one built from the account.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Use this credential provider instead of the account's source.
    pub fn credentials(mut self, credentials: Arc<dyn CredentialProvider>) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Build the provider. Fails with `Config` on a bad account (endpoints,
    /// region globs, transport settings, missing credentials).
    pub fn build(self) -> Result<TencentProvider> {
        let name = self.account.name.clone();
        self.build_inner().map_err(|e| in_account(&name, e))
    }

    fn build_inner(self) -> Result<TencentProvider> {
        let account = self.account;
        let transport = match self.transport {
            Some(t) => t,
            None => Transport::from_account(&account)?,
        };
        let endpoints = Endpoints::from_config(&account.endpoints, &account.options)?;
        let credentials = match self.credentials {
            Some(c) => c,
            None => {
                creds::credential_provider(&account, &account.credentials, &transport, &endpoints)?
            }
        };
        let regions = account.regions.compile()?;
        let default_region = account
            .option("region")
            .map(str::to_string)
            .or_else(config::region_from_env)
            .or_else(|| {
                account
                    .regions
                    .include
                    .iter()
                    .find(|r| !r.contains(['*', '?', '[', '{']))
                    .cloned()
            })
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        let client = TencentClient::new(transport, credentials, endpoints);
        Ok(TencentProvider {
            name: account.name.clone(),
            client,
            regions,
            default_region,
            app_id: account.option("app_id").map(str::to_string),
            currency: account.option("currency").unwrap_or("CNY").to_string(),
            account_cell: OnceCell::new(),
            regions_cell: OnceCell::new(),
            bucket_regions: Mutex::new(HashMap::new()),
        })
    }
}

/// One Tencent Cloud account. `Debug` shows no secret.
pub struct TencentProvider {
    name: String,
    client: TencentClient,
    regions: RegionMatcher,
    default_region: String,
    app_id: Option<String>,
    currency: String,
    account_cell: OnceCell<Account>,
    regions_cell: OnceCell<Vec<Region>>,
    bucket_regions: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for TencentProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TencentProvider")
            .field("name", &self.name)
            .field("default_region", &self.default_region)
            .field("app_id", &self.app_id)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl TencentProvider {
    /// A builder for `account`.
    pub fn builder(account: AccountConfig) -> TencentBuilder {
        TencentBuilder {
            account,
            transport: None,
            credentials: None,
        }
    }

    /// The HTTP client (for calls the traits do not cover).
    pub fn client(&self) -> &TencentClient {
        &self.client
    }

    /// The region used for region-less calls.
    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    /// A read of one API 3.0 action.
    pub(crate) async fn read<T: DeserializeOwned>(
        &self,
        service: &'static str,
        action: &'static str,
        region: Option<&str>,
        params: Value,
    ) -> Result<T> {
        self.client
            .call(service, action, region, params, CallKind::Read)
            .await
    }

    /// A lazy Offset/Limit list: `params(offset, limit)` builds each page's
    /// parameters; pages after the first are fetched [`PAGE_CONCURRENCY`]
    /// at a time once the total is known.
    pub(crate) fn offset_list<'a, R, T, P, M>(
        &'a self,
        service: &'static str,
        action: &'static str,
        region: Option<&'a str>,
        page_size: u32,
        params: P,
        map: M,
    ) -> ResultStream<'a, T>
    where
        R: DeserializeOwned + OffsetPage + Send + 'a,
        R::Item: Send,
        T: Send + 'a,
        P: Fn(u64, u32) -> Result<Value> + Send + Sync + 'a,
        M: Fn(R::Item) -> Result<T> + Send + Sync + 'a,
    {
        let params = Arc::new(params);
        let map = Arc::new(map);
        offset_pager(page_size, PAGE_CONCURRENCY, move |offset, size| {
            let params = params.clone();
            let map = map.clone();
            async move {
                let p = params(offset, size)?;
                let r: R = self.read(service, action, region, p).await?;
                let total = r.total();
                let items = r
                    .into_items()
                    .into_iter()
                    .map(|i| map(i))
                    .collect::<Result<Vec<T>>>()?;
                Ok(CountedPage { items, total })
            }
        })
    }

    /// One lazy list per part (see [`id_chunks`]), one after the other.
    pub(crate) fn chunked<'a, Q, T, L>(&'a self, parts: Vec<Q>, list: L) -> ResultStream<'a, T>
    where
        Q: Send + 'a,
        T: Send + 'a,
        L: Fn(Q) -> ResultStream<'a, T> + Send + 'a,
    {
        use futures::StreamExt;
        futures::stream::iter(parts).map(list).flatten().boxed()
    }

    /// A lazy Page/Rp list (CAM): `params(page, rp)` with pages from 1.
    pub(crate) fn page_list<'a, R, T, P, M>(
        &'a self,
        service: &'static str,
        action: &'static str,
        page_size: u32,
        params: P,
        map: M,
    ) -> ResultStream<'a, T>
    where
        R: DeserializeOwned + OffsetPage + Send + 'a,
        R::Item: Send,
        T: Send + 'a,
        P: Fn(u32, u32) -> Result<Value> + Send + Sync + 'a,
        M: Fn(R::Item) -> Result<T> + Send + Sync + 'a,
    {
        let params = Arc::new(params);
        let map = Arc::new(map);
        page_number_pager(page_size, PAGE_CONCURRENCY, move |page, size| {
            let params = params.clone();
            let map = map.clone();
            async move {
                let p = params(page, size)?;
                let r: R = self.read(service, action, None, p).await?;
                let total = r.total();
                let items = r
                    .into_items()
                    .into_iter()
                    .map(|i| map(i))
                    .collect::<Result<Vec<T>>>()?;
                Ok(CountedPage { items, total })
            }
        })
    }

    fn bucket_region_cached(&self, bucket: &str) -> Option<String> {
        self.bucket_regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
            .cloned()
    }

    fn remember_bucket(&self, bucket: &str, region: Option<&str>) {
        let mut m = self
            .bucket_regions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match region {
            Some(r) => {
                m.insert(bucket.to_string(), r.to_string());
            }
            None => {
                m.remove(bucket);
            }
        }
    }

    async fn discover_regions(&self) -> Result<Vec<Region>> {
        let r: DescribeRegionsResponse = self
            .read(
                "cvm",
                "DescribeRegions",
                Some(&self.default_region),
                serde_json::json!({}),
            )
            .await?;
        let regions: Vec<Region> = r.region_set.iter().map(compute::region_from_wire).collect();
        if regions.is_empty() {
            return Err(Error::decode("DescribeRegions returned no region"));
        }
        Ok(regions)
    }

    /// The static fallback list, as regions.
    pub fn fallback_regions() -> Vec<Region> {
        FALLBACK_REGIONS
            .iter()
            .map(|id| Region {
                provider: ProviderKind::Tencent,
                id: id.to_string(),
                name: None,
                endpoint: None,
                enabled: true,
            })
            .collect()
    }
}

#[async_trait]
impl Provider for TencentProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Tencent
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    async fn account(&self) -> Result<Account> {
        self.account_cell
            .get_or_try_init(|| async {
                let r: GetCallerIdentityResponse = self
                    .read(
                        "sts",
                        "GetCallerIdentity",
                        Some(&self.default_region),
                        get_caller_identity_params(),
                    )
                    .await?;
                let mut a = account_from_wire(&r);
                if a.id.is_empty() {
                    return Err(Error::decode("GetCallerIdentity returned no AccountId"));
                }
                a.name = Some(self.name.clone());
                Ok(a)
            })
            .await
            .cloned()
    }

    async fn regions(&self) -> Result<Vec<Region>> {
        let all = match self
            .regions_cell
            .get_or_try_init(|| self.discover_regions())
            .await
        {
            Ok(r) => r.clone(),
            // Bad credentials or configuration would fail every later call
            // too: say so now rather than hide it behind the static list.
            Err(e) if !e.kind().allows_static_regions() => return Err(e),
            Err(e) => {
                tracing::warn!(
                    provider = "tencent",
                    account = %self.name,
                    error = %e,
                    "DescribeRegions failed; using the static region list"
                );
                Self::fallback_regions()
            }
        };
        Ok(self.regions.filter(all))
    }

    async fn zones(&self, region: &str) -> Result<Vec<Zone>> {
        let r: DescribeZonesResponse = self
            .read("cvm", "DescribeZones", Some(region), serde_json::json!({}))
            .await?;
        Ok(r.zone_set
            .iter()
            .map(|z| compute::zone_from_wire(region, z))
            .collect())
    }

    fn compute(&self) -> Option<&dyn Compute> {
        Some(self)
    }

    fn network(&self) -> Option<&dyn Network> {
        Some(self)
    }

    fn storage(&self) -> Option<&dyn Storage> {
        Some(self)
    }

    fn billing(&self) -> Option<&dyn Billing> {
        Some(self)
    }

    fn iam(&self) -> Option<&dyn Iam> {
        Some(self)
    }

    fn transport_stats(&self) -> Option<crate::transport::TransportStats> {
        Some(self.client.transport().stats())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ListInstances;

    #[test]
    fn ids_are_split_by_the_hundred() {
        let q = ListInstances {
            region: "ap-guangzhou".into(),
            ids: (0..250).map(|i| format!("ins-{i}")).collect(),
            ..ListInstances::default()
        };
        let parts = id_chunks(&q, &q.ids, |p, ids| p.ids = ids);
        assert_eq!(
            parts.iter().map(|p| p.ids.len()).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert!(parts.iter().all(|p| p.region == "ap-guangzhou"));
        assert_eq!(parts[2].ids[0], "ins-200");
        let few = ListInstances::default();
        assert_eq!(id_chunks(&few, &few.ids, |p, ids| p.ids = ids), vec![few]);
    }

    #[test]
    fn debug_hides_secrets() {
        let mut a = AccountConfig::new("dbg", ProviderKind::Tencent);
        a.credentials = crate::config::CredentialConfig::with_static("AKIDdbg", "very-secret-key");
        let p = TencentProvider::builder(a).build().unwrap();
        let d = format!("{p:?}");
        assert!(d.contains("dbg"), "{d}");
        assert!(!d.contains("very-secret-key"), "{d}");
        assert_eq!(p.capabilities(), &Capabilities::all());
        let want = config::region_from_env().unwrap_or_else(|| DEFAULT_REGION.to_string());
        assert_eq!(p.default_region(), want);
    }
}
