//! The accounts file (`multicloud.toml`) and per-account configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::credentials::Secret;
use crate::model::ProviderKind;

/// One account of one cloud, as listed in the accounts file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// A unique name for the account (used in output and errors).
    pub name: String,
    /// Which cloud.
    pub provider: ProviderKind,
    /// Where credentials come from.
    #[serde(default)]
    pub credentials: CredentialConfig,
    /// Which regions to work in.
    #[serde(default)]
    pub regions: RegionFilter,
    /// Refuse every mutating request before it is sent.
    #[serde(default)]
    pub read_only: bool,
    /// Endpoint overrides (private clouds, emulators, pinned API versions).
    #[serde(default)]
    pub endpoints: EndpointConfig,
    /// Transport settings (timeouts, proxy, CA, retries, rate limits).
    #[serde(default)]
    pub transport: TransportConfig,
    /// Provider-specific settings (Tencent `app_id`, Azure `subscription_id`,
    /// OpenStack `cloud`, ...), documented on each provider's page.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// Where an account's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSourceKind {
    /// The vendor's default chain: environment, then profile files, then
    /// instance metadata (as the vendor's CLI does).
    #[default]
    Default,
    /// Only the vendor's environment variables.
    Env,
    /// A named profile of the vendor's CLI config files.
    Profile,
    /// Keys written in this file (or referenced through `*_env` options).
    Static,
    /// The instance's role from the metadata service.
    InstanceMetadata,
    /// Assume a role (STS) with the credentials of `base`.
    AssumeRole,
}

/// Credential settings of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// The kind of source.
    #[serde(default)]
    pub source: CredentialSourceKind,
    /// Profile name for `profile` (and for `default`, instead of the
    /// vendor's own profile variable).
    pub profile: Option<String>,
    /// Access key id / secret id / user name, for `static`.
    pub access_key_id: Option<String>,
    /// Secret key / password, for `static`.
    pub secret_access_key: Option<Secret>,
    /// Session / security token, for `static` temporary keys.
    pub session_token: Option<Secret>,
    /// Name of an environment variable holding the access key id.
    pub access_key_id_env: Option<String>,
    /// Name of an environment variable holding the secret key.
    pub secret_access_key_env: Option<String>,
    /// Role to assume, for `assume_role` (ARN, QCS, or role name).
    pub role_arn: Option<String>,
    /// Session name for `assume_role`.
    pub role_session_name: Option<String>,
    /// External id for `assume_role`.
    pub external_id: Option<String>,
    /// Base credentials for `assume_role`.
    pub base: Option<Box<CredentialConfig>>,
}

/// Region selection: globs to include and exclude.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RegionFilter {
    /// Globs of regions to use (`cn-*`, `us-east-1`); all when empty.
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs of regions to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Endpoint resolution overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Replace the cloud's domain (`aliyuncs.com`, `tencentcloudapi.com`, ...)
    /// with a private cloud's, keeping the default host pattern.
    pub cloud_domain: Option<String>,
    /// Full base URL per service (`ecs = "https://ecs.internal.example"`).
    #[serde(default)]
    pub services: BTreeMap<String, String>,
    /// API version pins per service (`ecs = "2014-05-26"`).
    #[serde(default)]
    pub api_versions: BTreeMap<String, String>,
    /// Allow plain `http://` URLs in `services` (emulators, test rigs).
    #[serde(default)]
    pub allow_http: bool,
}

/// Transport settings of an account; unset values take the SDK defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TransportConfig {
    /// TCP connect timeout, milliseconds.
    pub connect_timeout_ms: Option<u64>,
    /// Per-attempt read timeout, milliseconds.
    pub read_timeout_ms: Option<u64>,
    /// Total deadline of one call including retries, milliseconds.
    pub deadline_ms: Option<u64>,
    /// Most attempts per call, the first included.
    pub max_attempts: Option<u32>,
    /// HTTP(S) proxy URL.
    pub proxy: Option<String>,
    /// Extra PEM CA bundle to trust.
    pub ca_file: Option<String>,
    /// Send every host matching a pattern (`*.aliyuncs.com`, `*`) to this
    /// socket address (the simulator), keeping the Host header.
    #[serde(default)]
    pub resolve: BTreeMap<String, String>,
    /// Rate-limit overrides per API (`DescribeInstances = 40`), requests per second.
    #[serde(default)]
    pub rate_limits: BTreeMap<String, f64>,
}

/// The accounts file: many accounts, any clouds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    /// The accounts, in file order (`[[account]]` tables).
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountConfig>,
}
