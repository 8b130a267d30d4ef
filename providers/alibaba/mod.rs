//! Alibaba Cloud (Aliyun) and Apsara Stack: ECS, VPC, OSS, RAM, BSS and STS.
//!
//! [`connect`] (or [`AlibabaProvider::builder`]) gives a [`Provider`] whose
//! five service areas call the vendor's APIs through the shared
//! [`Transport`]:
//!
//! * Compute: ECS 2014-05-26 ([`ecs`]);
//! * Network: VPC 2016-04-28 for VPCs, VSwitches and EIPs, ECS for
//!   security groups ([`vpc`]);
//! * Storage: OSS ([`oss`]);
//! * IAM: RAM 2015-05-01 ([`ram`]), and STS 2015-04-01 for the account id;
//! * Billing: BSS OpenAPI 2017-12-14 ([`bss`]).
//!
//! The pure pieces: [`sign`] (ACS3-HMAC-SHA256, OSS V4 and V1), [`config`]
//! (credential sources, endpoints), [`client`] (errors, the HTTP client),
//! [`creds`] (ECS RAM role and AssumeRole providers), and the wire types
//! with their conversions in [`compute`], [`network`], [`storage`],
//! [`iam`], [`billing`] and [`wire`]. See `docs/providers/alibaba.md`.
//!
//! ```no_run
//! # async fn demo() -> multicloud::Result<()> {
//! use multicloud::alibaba::AlibabaProvider;
//! use multicloud::alibaba::sign::Credentials;
//!
//! let p = AlibabaProvider::builder()
//!     .credentials(Credentials::new("LTAI…", "secret"))
//!     .default_region("cn-hangzhou")
//!     .build()?;
//! let regions = multicloud::Provider::regions(&p).await?;
//! # let _ = regions; Ok(()) }
//! ```

pub mod billing;
pub mod bss;
pub mod client;
pub mod compute;
pub mod config;
pub mod creds;
pub mod ecs;
pub mod iam;
pub mod network;
pub mod oss;
pub mod ram;
pub(crate) mod rpc;
pub mod sign;
pub mod storage;
pub mod vpc;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::OnceCell;

use self::client::{AlibabaClient, CallKind, OssSignature};
use self::compute::{DescribeRegionsResponse, DescribeZonesResponse};
use self::config::{CredentialSource, Endpoints, FALLBACK_REGIONS, Service};
use crate::config::{AccountConfig, RegionFilter, RegionMatcher};
use crate::credentials::CredentialProvider;
use crate::error::{Error, Result};
use crate::model::{Account, ProviderKind, Region, Zone};
use crate::traits::{Billing, Capabilities, Compute, Iam, Network, Provider, Storage};
use crate::transport::Transport;

/// The region used for global calls when the account names none.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Connect one account of the accounts file (what
/// [`Cloud::connect`](crate::Cloud::connect) calls for `provider = "alibaba"`).
/// Nothing is sent: credentials and regions are fetched on first use.
pub async fn connect(account: &AccountConfig) -> Result<Arc<dyn Provider>> {
    Ok(Arc::new(AlibabaProvider::from_account(account)?))
}

/// What the Alibaba provider implements: everything in the model.
pub fn capabilities() -> Capabilities {
    let mut c = Capabilities::none();
    c.regions = true;
    c.zones = true;
    c.list_instances = true;
    c.create_instance = true;
    c.power_instance = true;
    c.stop_charging = true;
    c.delete_instance = true;
    c.list_volumes = true;
    c.manage_volumes = true;
    c.attach_volumes = true;
    c.list_images = true;
    c.list_instance_types = true;
    c.list_vpcs = true;
    c.manage_vpcs = true;
    c.list_security_groups = true;
    c.manage_security_groups = true;
    c.deny_rules = true;
    c.list_public_ips = true;
    c.manage_public_ips = true;
    c.list_buckets = true;
    c.manage_buckets = true;
    c.read_objects = true;
    c.write_objects = true;
    c.multipart_upload = true;
    c.presign = true;
    c.balance = true;
    c.cost_lines = true;
    c.resource_costs = true;
    c.list_iam = true;
    c.manage_users = true;
    c.manage_policies = true;
    c.list_access_keys = true;
    c
}

/// One Alibaba Cloud account. `Debug` shows no secrets.
pub struct AlibabaProvider {
    name: String,
    client: AlibabaClient,
    caps: Capabilities,
    regions_filter: RegionMatcher,
    account: OnceCell<Account>,
    regions: OnceCell<Vec<Region>>,
    bucket_regions: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for AlibabaProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlibabaProvider")
            .field("name", &self.name)
            .field("client", &self.client)
            .field("regions_filter", &self.regions_filter)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AlibabaProvider`] for library users who do not use an
/// accounts file.
#[derive(Default)]
pub struct AlibabaProviderBuilder {
    name: Option<String>,
    source: Option<CredentialSource>,
    provider: Option<Arc<dyn CredentialProvider>>,
    transport: Option<Transport>,
    endpoints: Option<Endpoints>,
    regions: RegionFilter,
    default_region: Option<String>,
    oss_signature: OssSignature,
}

impl std::fmt::Debug for AlibabaProviderBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlibabaProviderBuilder")
            .field("name", &self.name)
            .field("default_region", &self.default_region)
            .finish_non_exhaustive()
    }
}

impl AlibabaProviderBuilder {
    /// The provider's name (default `alibaba`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Fixed AccessKey (or STS) credentials.
    pub fn credentials(mut self, c: sign::Credentials) -> Self {
        self.source = Some(CredentialSource::Static(c));
        self
    }

    /// A credential source (ECS role, AssumeRole over a base source, ...).
    pub fn credential_source(mut self, s: CredentialSource) -> Self {
        self.source = Some(s);
        self
    }

    /// Any credential provider (wrap fetching ones in `CachingProvider`).
    pub fn credential_provider(mut self, p: Arc<dyn CredentialProvider>) -> Self {
        self.provider = Some(p);
        self
    }

    /// The transport (default: [`Transport::builder`]'s defaults).
    pub fn transport(mut self, t: Transport) -> Self {
        self.transport = Some(t);
        self
    }

    /// Endpoints (default: the public cloud's).
    pub fn endpoints(mut self, e: Endpoints) -> Self {
        self.endpoints = Some(e);
        self
    }

    /// Region include/exclude globs for [`Provider::regions`].
    pub fn regions(mut self, f: RegionFilter) -> Self {
        self.regions = f;
        self
    }

    /// The region of global calls (default [`DEFAULT_REGION`]).
    pub fn default_region(mut self, r: impl Into<String>) -> Self {
        self.default_region = Some(r.into());
        self
    }

    /// The OSS signature (V4 by default).
    pub fn oss_signature(mut self, s: OssSignature) -> Self {
        self.oss_signature = s;
        self
    }

    /// Build the provider. Without credentials, the vendor's default chain
    /// (environment, `aliyun` CLI profile, ECS RAM role) is used.
    pub fn build(self) -> Result<AlibabaProvider> {
        let transport = match self.transport {
            Some(t) => t,
            None => Transport::builder().account("alibaba").build()?,
        };
        let endpoints = self.endpoints.unwrap_or_default();
        let default_region = self
            .default_region
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        let placeholder: Arc<dyn CredentialProvider> =
            Arc::new(crate::credentials::StaticCredentials::new(
                crate::credentials::Credentials::new("", ""),
            ));
        let base = AlibabaClient::new(transport, placeholder, endpoints, default_region)
            .with_oss_signature(self.oss_signature);
        let creds = match (self.provider, self.source) {
            (Some(p), _) => p,
            (None, Some(s)) => creds::provider_for(&s, &base)?,
            (None, None) => {
                let s = config::default_chain(&config::process_env, None)?;
                creds::provider_for(&s, &base)?
            }
        };
        Ok(AlibabaProvider {
            name: self.name.unwrap_or_else(|| "alibaba".to_string()),
            client: base.with_credentials(creds),
            caps: capabilities(),
            regions_filter: self.regions.compile()?,
            account: OnceCell::new(),
            regions: OnceCell::new(),
            bucket_regions: Mutex::new(HashMap::new()),
        })
    }
}

/// The default region of an account: the option `region`, else its first
/// include glob that is a plain region id, else [`DEFAULT_REGION`].
pub fn account_default_region(account: &AccountConfig) -> String {
    if let Some(r) = account.option("region").filter(|r| !r.trim().is_empty()) {
        return r.trim().to_string();
    }
    account
        .regions
        .include
        .iter()
        .find(|g| {
            !g.is_empty()
                && g.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .cloned()
        .unwrap_or_else(|| DEFAULT_REGION.to_string())
}

impl AlibabaProvider {
    /// A builder.
    pub fn builder() -> AlibabaProviderBuilder {
        AlibabaProviderBuilder::default()
    }

    /// The provider of one account: its transport settings, credentials
    /// (`credentials.source`), endpoints (`endpoints.*`, option `site`),
    /// regions filter and options (`region`, `oss_signature = "v1"`).
    pub fn from_account(account: &AccountConfig) -> Result<Self> {
        let transport = Transport::from_account(account)?;
        let endpoints = Endpoints::from_config(&account.endpoints, &account.options)?;
        let source = config::from_account(&account.credentials, &config::process_env)?;
        let sig = match account.option("oss_signature").map(str::to_ascii_lowercase) {
            Some(v) if v == "v1" => OssSignature::V1,
            Some(v) if v == "v4" => OssSignature::V4,
            None => OssSignature::V4,
            Some(v) => {
                return Err(Error::config(format!(
                    "account `{}`: option oss_signature = `{v}` (expected v4 or v1)",
                    account.name
                )));
            }
        };
        AlibabaProvider::builder()
            .name(account.name.clone())
            .transport(transport)
            .endpoints(endpoints)
            .credential_source(source)
            .regions(account.regions.clone())
            .default_region(account_default_region(account))
            .oss_signature(sig)
            .build()
    }

    /// The HTTP client.
    pub fn client(&self) -> &AlibabaClient {
        &self.client
    }

    pub(crate) fn remember_bucket(&self, bucket: &str, region: &str) {
        if let Ok(mut m) = self.bucket_regions.lock() {
            m.insert(bucket.to_string(), region.to_string());
        }
    }

    pub(crate) fn forget_bucket(&self, bucket: &str) {
        if let Ok(mut m) = self.bucket_regions.lock() {
            m.remove(bucket);
        }
    }

    pub(crate) fn known_bucket_region(&self, bucket: &str) -> Option<String> {
        self.bucket_regions
            .lock()
            .ok()
            .and_then(|m| m.get(bucket).cloned())
    }

    async fn discover_regions(&self) -> Result<Vec<Region>> {
        let r: DescribeRegionsResponse = self
            .client
            .call(
                Service::Ecs,
                "DescribeRegions",
                None,
                &compute::describe_regions_params(None),
                CallKind::Read,
            )
            .await?;
        let regions = r.to_regions();
        if regions.is_empty() {
            return Err(
                Error::decode("DescribeRegions returned no region").with_provider("alibaba")
            );
        }
        Ok(regions)
    }
}

/// The static fallback list as regions.
pub fn fallback_regions() -> Vec<Region> {
    FALLBACK_REGIONS
        .iter()
        .map(|id| Region {
            provider: ProviderKind::Alibaba,
            id: (*id).to_string(),
            name: None,
            endpoint: None,
            enabled: true,
        })
        .collect()
}

#[async_trait]
impl Provider for AlibabaProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Alibaba
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    async fn account(&self) -> Result<Account> {
        self.account
            .get_or_try_init(|| async {
                let r: iam::GetCallerIdentityResponse = self
                    .client
                    .call(
                        Service::Sts,
                        "GetCallerIdentity",
                        None,
                        &wire::Params::new(),
                        CallKind::Read,
                    )
                    .await?;
                r.to_account().ok_or_else(|| {
                    Error::decode("GetCallerIdentity: no AccountId in the answer")
                        .with_provider("alibaba")
                })
            })
            .await
            .cloned()
    }

    async fn regions(&self) -> Result<Vec<Region>> {
        let all = match self
            .regions
            .get_or_try_init(|| self.discover_regions())
            .await
        {
            Ok(r) => r.clone(),
            Err(e) => {
                if !e.kind().allows_static_regions() {
                    return Err(e);
                }
                tracing::warn!(error = %e, "DescribeRegions failed; using the static region list");
                fallback_regions()
            }
        };
        Ok(self.regions_filter.filter(all))
    }

    async fn zones(&self, region: &str) -> Result<Vec<Zone>> {
        let r: DescribeZonesResponse = self
            .client
            .call(
                Service::Ecs,
                "DescribeZones",
                Some(region),
                &compute::describe_zones_params(region),
                CallKind::Read,
            )
            .await?;
        Ok(r.to_zones(region))
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

/// Replace (or add) one parameter.
pub(crate) fn set_param(p: &mut wire::Params, key: &str, value: impl ToString) {
    p.retain(|(k, _)| k != key);
    p.push((key.to_string(), value.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_region_and_debug() {
        let mut a = AccountConfig::new("x", ProviderKind::Alibaba);
        assert_eq!(account_default_region(&a), DEFAULT_REGION);
        a.regions.include = vec!["cn-*".into(), "cn-beijing".into()];
        assert_eq!(account_default_region(&a), "cn-beijing");
        a.options.insert("region".into(), "eu-west-1".into());
        assert_eq!(account_default_region(&a), "eu-west-1");

        let p = AlibabaProvider::builder()
            .credentials(sign::Credentials::new("AKIDPUBLIC", "very-secret-value"))
            .build()
            .unwrap();
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("very-secret-value"), "{dbg}");
        assert_eq!(p.capabilities().iter().filter(|(_, v)| !v).count(), 0);
    }

    #[test]
    fn set_param_replaces() {
        let mut p = vec![("PageSize".to_string(), "100".to_string())];
        set_param(&mut p, "PageSize", 7);
        assert_eq!(p, vec![("PageSize".to_string(), "7".to_string())]);
    }
}
