//! Account configuration for AWS: credentials, endpoints, partitions,
//! timeouts, retries and region selection.
//!
//! Credentials come from `aws-config`'s default chain (environment,
//! `~/.aws/config` and `credentials` profiles, SSO, web identity, IMDS,
//! assume-role profiles) unless the account names another source.
//! Endpoints are the SDK's own resolver (which knows the `aws`, `aws-cn` and
//! `aws-us-gov` partitions) unless `endpoints.services` overrides a service.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::{AccountConfig, CredentialConfig, CredentialSourceKind, RegionFilter};
use crate::error::{Error, Result};

/// The services whose endpoints can be overridden, by their key in
/// `endpoints.services`.
pub const SERVICES: [&str; 5] = ["ec2", "s3", "iam", "sts", "ce"];

/// Region used for global services (IAM, STS, Cost Explorer, bucket listing)
/// when neither the account's `options.region` nor the environment or
/// profile name one.
pub const DEFAULT_HOME_REGION: &str = "us-east-1";

/// Regions used when `DescribeRegions` cannot be called, per partition
/// (from the AWS General Reference "Regions and endpoints" tables).
pub const FALLBACK_REGIONS_AWS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

/// Fallback regions of the China partition (`aws-cn`).
pub const FALLBACK_REGIONS_CN: &[&str] = &["cn-north-1", "cn-northwest-1"];

/// Fallback regions of the GovCloud partition (`aws-us-gov`).
pub const FALLBACK_REGIONS_GOV: &[&str] = &["us-gov-west-1", "us-gov-east-1"];

/// The AWS partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The static region list of the home region's partition.
pub fn fallback_regions(home_region: &str) -> &'static [&'static str] {
    match partition_of(home_region) {
        "aws-cn" => FALLBACK_REGIONS_CN,
        "aws-us-gov" => FALLBACK_REGIONS_GOV,
        _ => FALLBACK_REGIONS_AWS,
    }
}

/// Everything the provider needs from an account's configuration, resolved.
#[derive(Clone)]
pub struct Settings {
    /// The account's name.
    pub name: String,
    /// Refuse mutating calls before sending.
    pub read_only: bool,
    /// The shared SDK configuration (credentials, retry, timeouts).
    pub sdk: SdkConfig,
    /// Region for global services and bucket listing.
    pub home_region: String,
    /// Endpoint URL per service key, already checked.
    pub endpoints: std::collections::BTreeMap<String, String>,
    /// `endpoints.cloud_domain`: `https://{service}.{region}.{domain}`.
    pub cloud_domain: Option<String>,
    /// Region include/exclude globs.
    pub regions: RegionMatcher,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SdkConfig holds a credentials provider; print only what is safe.
        f.debug_struct("Settings")
            .field("name", &self.name)
            .field("read_only", &self.read_only)
            .field("home_region", &self.home_region)
            .field("endpoints", &self.endpoints)
            .field("cloud_domain", &self.cloud_domain)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// The endpoint URL for a service in a region: the per-service override,
    /// then the cloud-domain pattern, else `None` (the SDK's resolver).
    pub fn endpoint(&self, service: &str, region: &str) -> Option<String> {
        if let Some(u) = self.endpoints.get(service) {
            return Some(u.clone());
        }
        Some(cloud_domain_endpoint(
            self.cloud_domain.as_deref()?,
            service,
            region,
        ))
    }
}

/// A service's URL under `endpoints.cloud_domain`: `https://{service}.{domain}`
/// for the global IAM and Cost Explorer, `https://{service}.{region}.{domain}`
/// for the rest.
pub fn cloud_domain_endpoint(domain: &str, service: &str, region: &str) -> String {
    match service {
        "iam" | "ce" => format!("https://{service}.{domain}"),
        _ => format!("https://{service}.{region}.{domain}"),
    }
}

/// The STS endpoint `assume_role` sends `AssumeRole` to, resolved like every
/// other service's: the `sts` override of `endpoints.services`, else the
/// `endpoints.cloud_domain` form (`https://sts.{region}.{domain}`), else
/// `None` (the SDK's regional public endpoint for `region`).
pub fn assume_role_sts_endpoint(account: &AccountConfig, region: &str) -> Option<String> {
    if let Some(u) = account.endpoints.services.get("sts") {
        return Some(u.trim_end_matches('/').to_string());
    }
    account
        .endpoints
        .cloud_domain
        .as_deref()
        .map(|d| cloud_domain_endpoint(d, "sts", region))
}

/// Region include/exclude globs of an account.
#[derive(Debug, Clone)]
pub struct RegionMatcher {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl RegionMatcher {
    /// Compile the filter; a bad glob is a `Config` error.
    pub fn new(f: &RegionFilter) -> Result<Self> {
        fn set(globs: &[String]) -> Result<Option<GlobSet>> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g).map_err(|e| {
                    Error::config(format!("bad region glob `{g}`: {e}")).with_provider("aws")
                })?);
            }
            b.build()
                .map(Some)
                .map_err(|e| Error::config(format!("bad region globs: {e}")).with_provider("aws"))
        }
        Ok(RegionMatcher {
            include: set(&f.include)?,
            exclude: set(&f.exclude)?,
        })
    }

    /// Whether the account uses `region`.
    pub fn matches(&self, region: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(region))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(region))
    }
}

/// Resolve an account's configuration: credentials, retry and timeouts,
/// endpoints, home region.
pub async fn settings(account: &AccountConfig) -> Result<Settings> {
    let mut endpoints = std::collections::BTreeMap::new();
    for (k, v) in &account.endpoints.services {
        let key = match k.as_str() {
            "costexplorer" | "cost_explorer" => "ce",
            other => other,
        };
        if !SERVICES.contains(&key) {
            return Err(Error::config(format!(
                "account `{}`: unknown AWS service `{k}` in endpoints.services (known: {})",
                account.name,
                SERVICES.join(", ")
            ))
            .with_provider("aws"));
        }
        let url = url::Url::parse(v).map_err(|e| {
            Error::config(format!(
                "account `{}`: bad endpoint URL `{v}`: {e}",
                account.name
            ))
            .with_provider("aws")
        })?;
        match url.scheme() {
            "https" => {}
            "http" if account.endpoints.allow_http => {}
            "http" => {
                return Err(Error::config(format!(
                    "account `{}`: endpoint `{v}` is plain http; set endpoints.allow_http = true \
                     to allow it (emulators, test rigs)",
                    account.name
                ))
                .with_provider("aws"));
            }
            s => {
                return Err(Error::config(format!(
                    "account `{}`: endpoint `{v}` has unsupported scheme `{s}`",
                    account.name
                ))
                .with_provider("aws"));
            }
        }
        endpoints.insert(key.to_string(), v.trim_end_matches('/').to_string());
    }
    let regions = RegionMatcher::new(&account.regions)?;
    unsupported_settings(account)?;
    // The SDK-wide transport client (proxy, extra CA, resolve-override,
    // timeouts) for every service client; see `http.rs`.
    let http_client = super::http::ReqwestConnector::for_account(account)
        .map_err(|e| e.with_provider("aws"))?
        .shared();

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config(account))
        .timeout_config(timeout_config(account));
    if let Some(r) = account.options.get("region") {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    let creds = &account.credentials;
    match creds.source {
        CredentialSourceKind::Default => {
            if let Some(p) = &creds.profile {
                loader = loader.profile_name(p);
            }
        }
        _ => {
            let provider = credentials_provider(&account.name, creds, account).await?;
            loader = loader.credentials_provider(provider);
            if let (CredentialSourceKind::Profile, Some(p)) = (&creds.source, &creds.profile) {
                loader = loader.profile_name(p);
            }
        }
    }
    // The credential chain keeps the SDK's own client (IMDS and the ECS
    // container endpoint are plain HTTP link-local services); the service
    // clients built from this config send through ours.
    let sdk = loader
        .load()
        .await
        .into_builder()
        .http_client(http_client)
        .build();
    let home_region = sdk
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| DEFAULT_HOME_REGION.to_string());
    Ok(Settings {
        name: account.name.clone(),
        read_only: account.read_only,
        sdk,
        home_region,
        endpoints,
        cloud_domain: account.endpoints.cloud_domain.clone(),
        regions,
    })
}

/// Settings the AWS provider does not apply are refused rather than
/// silently ignored.
fn unsupported_settings(account: &AccountConfig) -> Result<()> {
    let what = if !account.endpoints.api_versions.is_empty() {
        Some("endpoints.api_versions (the AWS SDK crates pin their API versions)")
    } else {
        None
    };
    match what {
        Some(w) => Err(Error::config(format!(
            "account `{}`: {w} is not supported by the AWS provider yet",
            account.name
        ))
        .with_provider("aws")),
        None => Ok(()),
    }
}

/// `transport.max_attempts` into the SDK's standard retry mode (exponential
/// backoff with jitter, a retry quota). Unset, it is the shared transport's
/// default ([`DEFAULT_MAX_ATTEMPTS`](crate::transport::settings::DEFAULT_MAX_ATTEMPTS),
/// 5), not the SDK's 3, so that every provider retries alike (DESIGN §6).
pub fn retry_config(account: &AccountConfig) -> RetryConfig {
    let n = account
        .transport
        .max_attempts
        .unwrap_or(crate::transport::settings::DEFAULT_MAX_ATTEMPTS);
    RetryConfig::standard().with_max_attempts(n.max(1))
}

/// Connect and read timeouts per attempt, and `deadline_ms` as the
/// operation timeout (all attempts included).
pub fn timeout_config(account: &AccountConfig) -> TimeoutConfig {
    let t = &account.transport;
    let mut b = TimeoutConfig::builder();
    if let Some(ms) = t.connect_timeout_ms {
        b = b.connect_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = t.read_timeout_ms {
        b = b.read_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = t.deadline_ms {
        b = b.operation_timeout(Duration::from_millis(ms));
    }
    b.build()
}

fn credentials_provider<'a>(
    account_name: &'a str,
    c: &'a CredentialConfig,
    account: &'a AccountConfig,
) -> futures::future::BoxFuture<'a, Result<SharedCredentialsProvider>> {
    Box::pin(async move {
        let cfg_err = |m: String| Error::config(format!("account `{account_name}`: {m}"));
        Ok(match c.source {
            CredentialSourceKind::Default => {
                let mut l = aws_config::defaults(BehaviorVersion::latest());
                if let Some(p) = &c.profile {
                    l = l.profile_name(p);
                }
                let sdk = l.load().await;
                sdk.credentials_provider().ok_or_else(|| {
                    cfg_err("the default AWS credential chain is not available".into())
                })?
            }
            CredentialSourceKind::Env => SharedCredentialsProvider::new(
                aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
            ),
            CredentialSourceKind::Profile => {
                let mut b = aws_config::profile::ProfileFileCredentialsProvider::builder();
                if let Some(p) = &c.profile {
                    b = b.profile_name(p);
                }
                SharedCredentialsProvider::new(b.build())
            }
            CredentialSourceKind::InstanceMetadata => SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build(),
            ),
            CredentialSourceKind::Static => {
                SharedCredentialsProvider::new(static_credentials(account_name, c)?)
            }
            CredentialSourceKind::AssumeRole => {
                let role = c
                    .role_arn
                    .as_deref()
                    .ok_or_else(|| cfg_err("assume_role needs `role_arn`".into()))?;
                let base = match &c.base {
                    Some(b) => credentials_provider(account_name, b, account).await?,
                    None => {
                        let def = CredentialConfig::default();
                        credentials_provider(account_name, &def, account).await?
                    }
                };
                // The home region's sources, as for the service clients:
                // `options.region`, else the SDK's region chain
                // (`AWS_REGION`, the profile's `region`...), else us-east-1.
                let region = match account.options.get("region") {
                    Some(r) => r.clone(),
                    None => {
                        let mut chain =
                            aws_config::default_provider::region::DefaultRegionChain::builder();
                        if let Some(p) = &account.credentials.profile {
                            chain = chain.profile_name(p);
                        }
                        chain
                            .build()
                            .region()
                            .await
                            .map(|r| r.as_ref().to_string())
                            .unwrap_or_else(|| DEFAULT_HOME_REGION.to_string())
                    }
                };
                let http = super::http::ReqwestConnector::for_account(account)
                    .map_err(|e| e.with_provider("aws"))?
                    .shared();
                let mut base_cfg = aws_config::defaults(BehaviorVersion::latest())
                    .credentials_provider(base)
                    .http_client(http)
                    .region(aws_config::Region::new(region.clone()))
                    .retry_config(retry_config(account))
                    .timeout_config(timeout_config(account));
                if let Some(sts) = assume_role_sts_endpoint(account, &region) {
                    base_cfg = base_cfg.endpoint_url(sts);
                }
                let base_cfg = base_cfg.load().await;
                let session = c
                    .role_session_name
                    .clone()
                    .unwrap_or_else(|| "multicloud".to_string());
                let mut b = aws_config::sts::AssumeRoleProvider::builder(role)
                    .session_name(session)
                    .configure(&base_cfg);
                if let Some(x) = &c.external_id {
                    b = b.external_id(x);
                }
                SharedCredentialsProvider::new(b.build().await)
            }
        })
    })
}

/// Static keys from the account file, or from the environment variables it
/// names (`access_key_id_env`, `secret_access_key_env`).
pub fn static_credentials(account_name: &str, c: &CredentialConfig) -> Result<Credentials> {
    let cfg_err = |m: &str| Error::config(format!("account `{account_name}`: {m}"));
    let from_env = |var: &Option<String>| -> Option<String> {
        var.as_ref().and_then(|v| std::env::var(v).ok())
    };
    let id = c
        .access_key_id
        .clone()
        .or_else(|| from_env(&c.access_key_id_env))
        .ok_or_else(|| {
            cfg_err("static credentials need `access_key_id` (or `access_key_id_env`)")
        })?;
    let secret = c
        .secret_access_key
        .as_ref()
        .map(|s| s.expose().to_string())
        .or_else(|| from_env(&c.secret_access_key_env))
        .ok_or_else(|| {
            cfg_err("static credentials need `secret_access_key` (or `secret_access_key_env`)")
        })?;
    let token = c.session_token.as_ref().map(|s| s.expose().to_string());
    Ok(Credentials::new(
        id,
        secret,
        token,
        None,
        "multicloud-static",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;
    use crate::error::ErrorKind;
    use crate::model::ProviderKind;

    fn account() -> AccountConfig {
        AccountConfig {
            name: "t".into(),
            provider: ProviderKind::Aws,
            credentials: CredentialConfig {
                source: CredentialSourceKind::Static,
                access_key_id: Some("AKIDEXAMPLE".into()),
                secret_access_key: Some(Secret::new("wJalrXUtnFEMI")),
                ..Default::default()
            },
            regions: RegionFilter::default(),
            read_only: false,
            endpoints: Default::default(),
            transport: Default::default(),
            options: Default::default(),
        }
    }

    /// `AssumeRole` goes where the account's other STS calls go: the `sts`
    /// override, else the cloud domain's regional host, else the SDK's
    /// regional public endpoint.
    #[test]
    fn assume_role_sts_endpoint_follows_the_account() {
        let mut a = account();
        assert_eq!(assume_role_sts_endpoint(&a, "eu-west-1"), None);
        a.endpoints.cloud_domain = Some("x.example".into());
        assert_eq!(
            assume_role_sts_endpoint(&a, "eu-west-1").as_deref(),
            Some("https://sts.eu-west-1.x.example")
        );
        a.endpoints
            .services
            .insert("sts".into(), "https://sts.internal/".into());
        assert_eq!(
            assume_role_sts_endpoint(&a, "eu-west-1").as_deref(),
            Some("https://sts.internal")
        );
    }

    #[test]
    fn region_globs() {
        let m = RegionMatcher::new(&RegionFilter {
            include: vec!["eu-*".into(), "us-east-1".into()],
            exclude: vec!["eu-south-*".into()],
        })
        .unwrap();
        assert!(m.matches("eu-west-1"));
        assert!(m.matches("us-east-1"));
        assert!(!m.matches("us-west-2"));
        assert!(!m.matches("eu-south-1"));
        let all = RegionMatcher::new(&RegionFilter::default()).unwrap();
        assert!(all.matches("cn-north-1"));
        let bad = RegionMatcher::new(&RegionFilter {
            include: vec!["[".into()],
            exclude: vec![],
        });
        assert_eq!(bad.unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn partitions_and_fallbacks() {
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert!(fallback_regions("cn-northwest-1").contains(&"cn-north-1"));
        assert!(fallback_regions("us-east-1").contains(&"eu-west-1"));
        assert!(fallback_regions("us-gov-east-1").contains(&"us-gov-west-1"));
    }

    #[test]
    fn unset_max_attempts_is_the_transport_default() {
        let a = account();
        assert_eq!(a.transport.max_attempts, None);
        assert_eq!(
            retry_config(&a).max_attempts(),
            crate::transport::settings::DEFAULT_MAX_ATTEMPTS
        );
    }

    #[test]
    fn transport_maps_to_sdk_configs() {
        let mut a = account();
        a.transport.max_attempts = Some(5);
        a.transport.connect_timeout_ms = Some(1500);
        a.transport.read_timeout_ms = Some(7000);
        a.transport.deadline_ms = Some(30_000);
        assert_eq!(retry_config(&a).max_attempts(), 5);
        assert_eq!(
            retry_config(&a).mode(),
            aws_smithy_types::retry::RetryMode::Standard
        );
        let t = timeout_config(&a);
        assert_eq!(t.connect_timeout(), Some(Duration::from_millis(1500)));
        assert_eq!(t.read_timeout(), Some(Duration::from_millis(7000)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(30)));
    }

    #[tokio::test]
    async fn endpoint_overrides_are_checked() {
        let mut a = account();
        a.endpoints
            .services
            .insert("ec2".into(), "http://127.0.0.1:1".into());
        let e = settings(&a).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("allow_http"), "{e}");
        a.endpoints.allow_http = true;
        a.options.insert("region".into(), "eu-west-3".into());
        let s = settings(&a).await.unwrap();
        assert_eq!(
            s.endpoint("ec2", "x").as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(s.endpoint("s3", "x"), None);
        assert_eq!(s.home_region, "eu-west-3");
        a.endpoints
            .services
            .insert("lambda".into(), "https://x".into());
        assert_eq!(settings(&a).await.unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn cloud_domain_pattern() {
        let s = Settings {
            name: "t".into(),
            read_only: false,
            sdk: SdkConfig::builder().build(),
            home_region: "us-east-1".into(),
            endpoints: Default::default(),
            cloud_domain: Some("cloud.example".into()),
            regions: RegionMatcher::new(&RegionFilter::default()).unwrap(),
        };
        assert_eq!(
            s.endpoint("ec2", "r1").as_deref(),
            Some("https://ec2.r1.cloud.example")
        );
        assert_eq!(
            s.endpoint("iam", "r1").as_deref(),
            Some("https://iam.cloud.example")
        );
    }

    #[test]
    fn static_keys_from_env_names_and_secrets_hidden() {
        let mut c = CredentialConfig {
            source: CredentialSourceKind::Static,
            access_key_id: Some("AKID".into()),
            secret_access_key: Some(Secret::new("topsecret")),
            ..Default::default()
        };
        let k = static_credentials("t", &c).unwrap();
        assert_eq!(k.access_key_id(), "AKID");
        assert_eq!(k.secret_access_key(), "topsecret");
        assert!(!format!("{k:?}").contains("topsecret"));
        c.secret_access_key = None;
        assert_eq!(
            static_credentials("t", &c).unwrap_err().kind(),
            ErrorKind::Config
        );
        c.secret_access_key_env = Some("PATH".into());
        assert!(static_credentials("t", &c).is_ok());
    }
}
