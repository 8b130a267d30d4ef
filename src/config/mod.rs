//! The accounts file (`multicloud.toml`) and per-account configuration.
//!
//! An accounts file lists many accounts of any clouds as `[[account]]`
//! tables; `examples/multicloud.example.toml` documents every key.
//! [`AccountsFile::load`] and [`AccountsFile::parse`] read one and validate
//! it; every problem is an [`ErrorKind::Config`](crate::ErrorKind::Config)
//! error naming the file, the line and the key path, for example
//! `multicloud.toml line 7: account[1].regions.include: invalid type: string "eu-*", expected an array of strings`.
//! Account indexes count from 0, in file order.
//!
//! Secrets (`secret_access_key`, `session_token`) are [`Secret`]s: `Debug`,
//! `Display`, `Serialize` and error messages never show them. Provider
//! `options` whose key looks secret (`password`, `token`, `client_secret`,
//! `account_key`, ...) and a proxy URL's password are masked the same way.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::credentials::{Credentials, Secret};
use crate::error::{Error, Result};
use crate::model::ProviderKind;

mod de;
mod locate;
mod region;
pub(crate) mod validate;

pub use de::{is_secret_key, redact_url};
pub use region::RegionMatcher;

/// One account of one cloud, as listed in the accounts file.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// A unique name for the account (used in output and errors).
    pub name: String,
    /// Which cloud. Accepts the names of [`ProviderKind`]'s `FromStr`
    /// (`alibaba`/`aliyun`, `tencent`/`qcloud`, ...).
    #[serde(deserialize_with = "de::provider")]
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
    /// OpenStack `cloud`, ...), documented on each provider's page. Strings,
    /// integers, floats and booleans are accepted and kept as strings.
    /// Values of secret-looking keys are masked in `Debug` and `Serialize`.
    #[serde(
        default,
        deserialize_with = "de::options",
        serialize_with = "de::ser_options"
    )]
    pub options: BTreeMap<String, String>,
}

impl AccountConfig {
    /// A new account with default credentials, all regions and no overrides.
    pub fn new(name: impl Into<String>, provider: ProviderKind) -> Self {
        AccountConfig {
            name: name.into(),
            provider,
            credentials: CredentialConfig::default(),
            regions: RegionFilter::default(),
            read_only: false,
            endpoints: EndpointConfig::default(),
            transport: TransportConfig::default(),
            options: BTreeMap::new(),
        }
    }

    /// Check this account alone (everything [`AccountsFile::validate`] checks
    /// except name uniqueness). The error names the key path.
    pub fn validate(&self) -> Result<()> {
        let issues = validate::account(self, &[]);
        validate::into_result(issues)
    }

    /// A provider option, if set.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }
}

impl fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountConfig")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("credentials", &self.credentials)
            .field("regions", &self.regions)
            .field("read_only", &self.read_only)
            .field("endpoints", &self.endpoints)
            .field("transport", &self.transport)
            .field("options", &de::RedactedOptions(&self.options))
            .finish()
    }
}

/// A one-line summary: `prod-gz (tencent, regions ap-*, read-only)`.
impl fmt::Display for AccountConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.name, self.provider)?;
        if !self.regions.is_all() {
            write!(f, ", regions {}", self.regions)?;
        }
        if self.read_only {
            f.write_str(", read-only")?;
        }
        f.write_str(")")
    }
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

impl CredentialSourceKind {
    /// The name used in the accounts file (`default`, `static`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            CredentialSourceKind::Default => "default",
            CredentialSourceKind::Env => "env",
            CredentialSourceKind::Profile => "profile",
            CredentialSourceKind::Static => "static",
            CredentialSourceKind::InstanceMetadata => "instance_metadata",
            CredentialSourceKind::AssumeRole => "assume_role",
        }
    }
}

impl fmt::Display for CredentialSourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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

impl CredentialConfig {
    /// Static keys written in the file.
    pub fn with_static(access_key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        CredentialConfig {
            source: CredentialSourceKind::Static,
            access_key_id: Some(access_key_id.into()),
            secret_access_key: Some(secret.into()),
            ..Default::default()
        }
    }

    /// The credentials of a `static` source, reading `*_env` variables from
    /// the process environment. `Ok(None)` when the source is not `static`.
    pub fn static_credentials(&self) -> Result<Option<Credentials>> {
        self.static_credentials_with(|name| std::env::var(name).ok())
    }

    /// Like [`static_credentials`](Self::static_credentials), reading
    /// variables through `env` (tests pass a map). A named variable that is
    /// unset or empty is a `Config` error naming the variable (never its value).
    pub fn static_credentials_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Credentials>> {
        if self.source != CredentialSourceKind::Static {
            return Ok(None);
        }
        let read = |var: &str, what: &str| -> Result<String> {
            match env(var) {
                Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                _ => Err(Error::config(format!(
                    "credentials.{what}: environment variable `{var}` is not set"
                ))),
            }
        };
        let id = match (&self.access_key_id, &self.access_key_id_env) {
            (Some(id), _) => id.clone(),
            (None, Some(var)) => read(var, "access_key_id_env")?,
            (None, None) => {
                return Err(Error::config(
                    "credentials: source `static` needs access_key_id or access_key_id_env",
                ));
            }
        };
        let secret = match (&self.secret_access_key, &self.secret_access_key_env) {
            (Some(s), _) => s.clone(),
            (None, Some(var)) => Secret::new(read(var, "secret_access_key_env")?),
            (None, None) => {
                return Err(Error::config(
                    "credentials: source `static` needs secret_access_key or secret_access_key_env",
                ));
            }
        };
        let mut creds = Credentials::new(id, secret);
        creds.session_token = self.session_token.clone();
        Ok(Some(creds))
    }
}

/// A summary that never shows secrets: `static (access key AKID...)`,
/// `profile "work"`, `assume_role acs:ram::1:role/x via default`.
impl fmt::Display for CredentialConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.source.as_str())?;
        if let Some(p) = &self.profile {
            write!(f, " profile {p:?}")?;
        }
        if let Some(id) = &self.access_key_id {
            write!(f, " (access key {id})")?;
        } else if let Some(var) = &self.access_key_id_env {
            write!(f, " (access key from ${var})")?;
        }
        if let Some(role) = &self.role_arn {
            write!(f, " role {role}")?;
        }
        if let Some(base) = &self.base {
            write!(f, " via [{base}]")?;
        }
        Ok(())
    }
}

/// Region selection: globs to include and exclude.
///
/// A region is used when it matches an `include` glob (or `include` is
/// empty) and matches no `exclude` glob. Globs use `*`, `?`, `[...]` and
/// `{a,b}` and ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RegionFilter {
    /// Globs of regions to use (`cn-*`, `us-east-1`); all when empty.
    #[serde(default, deserialize_with = "de::string_list")]
    pub include: Vec<String>,
    /// Globs of regions to skip.
    #[serde(default, deserialize_with = "de::string_list")]
    pub exclude: Vec<String>,
}

/// Endpoint resolution overrides. See [`crate::endpoint::EndpointResolver`]
/// for how they apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Replace the cloud's domain (`aliyuncs.com`, `tencentcloudapi.com`, ...)
    /// with a private cloud's, keeping the default host pattern.
    pub cloud_domain: Option<String>,
    /// Full base URL per service (`ecs = "https://ecs.internal.example"`).
    /// A key `"service.region"` applies to that region only and wins over
    /// `service`; a URL may contain `{region}`.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
    /// API version pins per service (`ecs = "2014-05-26"`).
    #[serde(default)]
    pub api_versions: BTreeMap<String, String>,
    /// Allow plain `http://` URLs in `services` (emulators, test rigs).
    #[serde(default)]
    pub allow_http: bool,
}

impl EndpointConfig {
    /// The pinned API version of `service`, or `default`.
    pub fn api_version<'a>(&'a self, service: &str, default: &'a str) -> &'a str {
        self.api_versions
            .get(service)
            .map(String::as_str)
            .unwrap_or(default)
    }
}

/// Transport settings of an account; unset values take the SDK defaults.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
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
    /// HTTP(S) proxy URL. A password in it is masked in `Debug`/`Serialize`.
    #[serde(default, serialize_with = "de::ser_proxy")]
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

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportConfig")
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("read_timeout_ms", &self.read_timeout_ms)
            .field("deadline_ms", &self.deadline_ms)
            .field("max_attempts", &self.max_attempts)
            .field("proxy", &self.proxy.as_deref().map(de::redact_url))
            .field("ca_file", &self.ca_file)
            .field("resolve", &self.resolve)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}

/// The accounts file: many accounts, any clouds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    /// The accounts, in file order (`[[account]]` tables).
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountConfig>,
}

impl AccountsFile {
    /// Read, parse and validate an accounts file. Errors name the file,
    /// the line and the key path.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(format!("cannot read accounts file {}: {e}", path.display()))
                .with_source(e)
        })?;
        Self::parse_named(&text, &path.display().to_string())
    }

    /// Parse and validate accounts-file text. Errors read
    /// `accounts file line N: key.path: problem`.
    ///
    /// ```
    /// use multicloud::config::AccountsFile;
    ///
    /// let file = AccountsFile::parse(r#"
    /// [[account]]
    /// name = "prod"
    /// provider = "tencent"
    /// regions.include = ["ap-*"]
    /// "#).unwrap();
    /// assert!(file.accounts[0].regions.matches("ap-guangzhou"));
    ///
    /// let err = AccountsFile::parse("[[account]]\nname = \"x\"\nprovider = \"gcp\"\n").unwrap_err();
    /// assert!(err.message().starts_with("accounts file line 3: account[0].provider: unknown provider `gcp`"));
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_named(text, "accounts file")
    }

    /// Parse and validate text, naming it `origin` (a file name) in errors.
    pub fn parse_named(text: &str, origin: &str) -> Result<Self> {
        locate::parse(text, origin)
    }

    /// Check the whole file: unique names, globs, URLs, credential sources,
    /// transport values. Errors name the key path (not the line: use
    /// [`parse`](Self::parse) for that).
    pub fn validate(&self) -> Result<()> {
        validate::into_result(validate::file(self))
    }

    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&AccountConfig> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The file as TOML, secrets written as `***`: for "show config" output.
    pub fn to_toml_redacted(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::config(format!("cannot write TOML: {e}")))
    }
}

/// A summary: `2 accounts: prod (tencent), lab (openstack, read-only)`.
impl fmt::Display for AccountsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.accounts.len();
        write!(f, "{n} account{}", if n == 1 { "" } else { "s" })?;
        for (i, a) in self.accounts.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
