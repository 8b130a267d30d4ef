//! The AWS provider: EC2 (instances, EBS volumes, images, VPC networking,
//! elastic IPs), S3, IAM, STS and Cost Explorer, built on the official
//! AWS SDK for Rust (`aws-sdk-*` crates).
//!
//! ```no_run
//! # async fn demo() -> multicloud::Result<()> {
//! use multicloud::config::AccountConfig;
//! let account: AccountConfig = toml::from_str(r#"
//!     name = "prod"
//!     provider = "aws"
//!     regions = { include = ["eu-*"] }
//! "#).map_err(|e| multicloud::Error::config(e.to_string()))?;
//! let aws = multicloud::aws::connect(&account).await?;
//! println!("{}", aws.account().await?.id);
//! # Ok(()) }
//! ```
//!
//! See `docs/providers/aws.md` for the API behind each operation, the
//! credential sources, endpoint overrides and known gaps.

pub mod client;
pub mod config;
pub mod http;
pub mod sign;

mod billing;
mod compute;
mod create;
mod iam;
mod network;
mod storage;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::OnceCell;

pub use compute::{instance_state, volume_state};
pub use create::MARKER_TAG;
pub use network::public_ip_state;

use crate::config::AccountConfig;
use crate::error::{Error, Result};
use crate::model::{Account, ProviderKind, Region, Zone};
use crate::traits::{Billing, Capabilities, Compute, Iam, Network, Provider, Storage};

use self::client::{PROVIDER, read_only_refusal, sdk_error};
use self::config::Settings;

/// What the AWS provider implements. `balance` is false: AWS has no prepaid
/// balance (`Billing::balance` answers `Ok(None)`); `deny_rules` is false:
/// security groups hold allow rules only.
pub const CAPABILITIES: Capabilities = {
    let mut c = Capabilities::all();
    c.balance = false;
    c.deny_rules = false;
    c
};

/// Connect an account: resolve credentials, endpoints, retry and timeouts.
/// Nothing is sent until the first call.
pub async fn connect(account: &AccountConfig) -> Result<Arc<dyn Provider>> {
    Ok(Arc::new(AwsProvider::new(account).await?))
}

/// One AWS account.
pub struct AwsProvider {
    settings: Settings,
    account: OnceCell<Account>,
    regions: OnceCell<Vec<Region>>,
    ec2: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    s3: Mutex<HashMap<String, aws_sdk_s3::Client>>,
    bucket_regions: Mutex<HashMap<String, String>>,
    limiter: client::RateLimiter,
    counters: Arc<client::CallCounters>,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    ce: aws_sdk_costexplorer::Client,
}

impl std::fmt::Debug for AwsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsProvider")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AwsProvider {
    /// Build the provider for one account (see [`connect`]).
    pub async fn new(account: &AccountConfig) -> Result<Self> {
        if account.provider != ProviderKind::Aws {
            return Err(Error::config(format!(
                "account `{}` is a `{}` account, not `aws`",
                account.name, account.provider
            )));
        }
        let settings = config::settings(account).await?;
        let home = settings.home_region.clone();
        let counters = Arc::new(client::CallCounters::default());
        let iam = {
            let mut b = aws_sdk_iam::config::Builder::from(&settings.sdk)
                .region(aws_sdk_iam::config::Region::new(home.clone()))
                .interceptor(client::AttemptCounter::new(counters.clone()));
            if let Some(u) = settings.endpoint("iam", &home) {
                b = b.endpoint_url(u);
            }
            aws_sdk_iam::Client::from_conf(b.build())
        };
        let sts = {
            let mut b = aws_sdk_sts::config::Builder::from(&settings.sdk)
                .region(aws_sdk_sts::config::Region::new(home.clone()))
                .interceptor(client::AttemptCounter::new(counters.clone()));
            if let Some(u) = settings.endpoint("sts", &home) {
                b = b.endpoint_url(u);
            }
            aws_sdk_sts::Client::from_conf(b.build())
        };
        let ce = {
            let ce_region = match config::partition_of(&home) {
                "aws-cn" => "cn-northwest-1".to_string(),
                _ => "us-east-1".to_string(),
            };
            let mut b = aws_sdk_costexplorer::config::Builder::from(&settings.sdk)
                .region(aws_sdk_costexplorer::config::Region::new(ce_region.clone()))
                .interceptor(client::AttemptCounter::new(counters.clone()));
            if let Some(u) = settings.endpoint("ce", &ce_region) {
                b = b.endpoint_url(u);
            }
            aws_sdk_costexplorer::Client::from_conf(b.build())
        };
        Ok(AwsProvider {
            settings,
            account: OnceCell::new(),
            regions: OnceCell::new(),
            ec2: Mutex::new(HashMap::new()),
            s3: Mutex::new(HashMap::new()),
            bucket_regions: Mutex::new(HashMap::new()),
            limiter: client::RateLimiter::new(&account.transport.rate_limits),
            counters,
            iam,
            sts,
            ce,
        })
    }

    /// The region used for global calls (IAM, STS, bucket listing).
    pub fn home_region(&self) -> &str {
        &self.settings.home_region
    }

    /// The EC2 client of a region (cached).
    pub(crate) fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let mut map = self.ec2.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(region.to_string())
            .or_insert_with(|| {
                let mut b = aws_sdk_ec2::config::Builder::from(&self.settings.sdk)
                    .region(aws_sdk_ec2::config::Region::new(region.to_string()))
                    .interceptor(client::AttemptCounter::new(self.counters.clone()));
                if let Some(u) = self.settings.endpoint("ec2", region) {
                    b = b.endpoint_url(u);
                }
                aws_sdk_ec2::Client::from_conf(b.build())
            })
            .clone()
    }

    /// The S3 client of a region (cached). Path-style addressing when the
    /// endpoint is overridden (emulators and S3-compatible stores).
    pub(crate) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let mut map = self.s3.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(region.to_string())
            .or_insert_with(|| {
                let mut b = aws_sdk_s3::config::Builder::from(&self.settings.sdk)
                    .region(aws_sdk_s3::config::Region::new(region.to_string()))
                    .interceptor(client::AttemptCounter::new(self.counters.clone()));
                if let Some(u) = self.settings.endpoint("s3", region) {
                    b = b.endpoint_url(u).force_path_style(true);
                }
                aws_sdk_s3::Client::from_conf(b.build())
            })
            .clone()
    }

    /// Attempts per call (`transport.max_attempts`, default 5), for the
    /// creates that retry by themselves (see `create.rs`).
    pub(crate) fn max_attempts(&self) -> u32 {
        self.settings
            .sdk
            .retry_config()
            .map(|r| r.max_attempts())
            .unwrap_or(crate::transport::settings::DEFAULT_MAX_ATTEMPTS)
    }

    /// Wait for the client-side EC2 rate limiter (per region and action class).
    pub(crate) async fn throttle(&self, region: &str, action: &str, mutating: bool) {
        self.limiter.acquire(region, action, mutating).await;
    }

    /// Refuse a mutating call on a read-only account.
    pub(crate) fn guard(&self, service: &str, action: &str) -> Result<()> {
        if self.settings.read_only {
            return Err(read_only_refusal(&self.settings.name, service, action));
        }
        Ok(())
    }

    async fn discover_regions(&self) -> Result<Vec<Region>> {
        self.throttle(&self.settings.home_region, "DescribeRegions", false)
            .await;
        let home = self.home_region().to_string();
        let out = self
            .ec2(&home)
            .describe_regions()
            .all_regions(true)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeRegions", Some(&home), e))?;
        Ok(regions_from(out.regions()))
    }
}

/// Normalize `DescribeRegions` output. Opt-in regions the account has not
/// opted into are listed with `enabled: false`.
pub(crate) fn regions_from(regions: &[aws_sdk_ec2::types::Region]) -> Vec<Region> {
    let mut v: Vec<Region> = regions
        .iter()
        .filter_map(|r| {
            let id = r.region_name()?.to_string();
            let enabled = !matches!(r.opt_in_status(), Some("not-opted-in"));
            Some(Region {
                provider: ProviderKind::Aws,
                id,
                name: None,
                endpoint: r.endpoint().map(|e| format!("https://{e}")),
                enabled,
            })
        })
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

#[async_trait]
impl Provider for AwsProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Aws
    }

    fn name(&self) -> &str {
        &self.settings.name
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    /// STS `GetCallerIdentity`, once.
    async fn account(&self) -> Result<Account> {
        self.account
            .get_or_try_init(|| async {
                let out = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| sdk_error("sts", "GetCallerIdentity", None, e))?;
                let id = out.account().map(str::to_string).ok_or_else(|| {
                    Error::decode("GetCallerIdentity returned no Account").with_provider(PROVIDER)
                })?;
                Ok(Account {
                    provider: ProviderKind::Aws,
                    id,
                    name: None,
                    principal: out.arn().map(str::to_string),
                })
            })
            .await
            .cloned()
    }

    /// EC2 `DescribeRegions` (cached); the partition's static list when the
    /// cloud cannot answer (unreachable, 5xx, timeout, throttled) or the
    /// policy does not allow `ec2:DescribeRegions`. Bad credentials and
    /// configuration errors are returned. Filtered by the account's region
    /// globs.
    async fn regions(&self) -> Result<Vec<Region>> {
        let all = match self
            .regions
            .get_or_try_init(|| self.discover_regions())
            .await
        {
            Ok(r) => r.clone(),
            Err(e) if !e.kind().allows_static_regions() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "DescribeRegions failed; using the static region list");
                config::fallback_regions(self.home_region())
                    .iter()
                    .map(|id| Region {
                        provider: ProviderKind::Aws,
                        id: id.to_string(),
                        name: None,
                        endpoint: None,
                        enabled: true,
                    })
                    .collect()
            }
        };
        Ok(all
            .into_iter()
            .filter(|r| self.settings.regions.matches(&r.id))
            .collect())
    }

    /// EC2 `DescribeAvailabilityZones`.
    async fn zones(&self, region: &str) -> Result<Vec<Zone>> {
        self.throttle(region, "DescribeAvailabilityZones", false)
            .await;
        let out = self
            .ec2(region)
            .describe_availability_zones()
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeAvailabilityZones", Some(region), e))?;
        Ok(out
            .availability_zones()
            .iter()
            .filter_map(|z| {
                Some(Zone {
                    provider: ProviderKind::Aws,
                    region: region.to_string(),
                    id: z.zone_name()?.to_string(),
                    name: z.zone_id().map(str::to_string),
                    available: z.state().map(|s| s.as_str()) == Some("available"),
                })
            })
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

    /// Attempts, retries and throttled answers counted by the SDK clients'
    /// interceptor, and the EC2 rate limiter's waits. The SDK's own retry
    /// budget is not visible here, so `retry_budget_available` and
    /// `budget_exhausted` stay 0.
    fn transport_stats(&self) -> Option<crate::transport::TransportStats> {
        let (attempts, retries, throttled) = self.counters.snapshot();
        Some(crate::transport::TransportStats {
            attempts,
            retries,
            throttled,
            budget_exhausted: 0,
            retry_budget_available: 0,
            limiter: self.limiter.stats(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_table() {
        let off: Vec<&str> = CAPABILITIES
            .iter()
            .filter(|(_, on)| !on)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(off, vec!["deny_rules", "balance"]);
    }

    #[test]
    fn partition_resolution_by_the_sdk() {
        use aws_sdk_ec2::config::endpoint::{Params, ResolveEndpoint};
        let r = aws_sdk_ec2::config::endpoint::DefaultResolver::new();
        let resolve = |region: &str| {
            let p = Params::builder().region(region).build().unwrap();
            futures::executor::block_on(r.resolve_endpoint(&p))
                .unwrap()
                .url()
                .to_string()
        };
        assert_eq!(
            resolve("cn-north-1"),
            "https://ec2.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            resolve("us-gov-west-1"),
            "https://ec2.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(resolve("eu-west-1"), "https://ec2.eu-west-1.amazonaws.com");

        use aws_sdk_s3::config::endpoint::{Params as S3Params, ResolveEndpoint as _};
        let s3 = aws_sdk_s3::config::endpoint::DefaultResolver::new();
        let p = S3Params::builder()
            .region("cn-northwest-1")
            .bucket("my-bucket")
            .build()
            .unwrap();
        let url = futures::executor::block_on(s3.resolve_endpoint(&p))
            .unwrap()
            .url()
            .to_string();
        assert_eq!(url, "https://my-bucket.s3.cn-northwest-1.amazonaws.com.cn");
    }
}
