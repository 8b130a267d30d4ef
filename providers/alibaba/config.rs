//! Credentials and endpoints of the Alibaba provider.
//!
//! **Credentials** are found as the vendor's CLI and SDKs find them (the
//! default chain of `alibabacloud-credentials`): the environment
//! (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
//! `ALIBABA_CLOUD_SECURITY_TOKEN`), then the `aliyun` CLI's
//! `~/.aliyun/config.json` (profile `ALIBABA_CLOUD_PROFILE`, else the file's
//! `current`; modes `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`,
//! `ChainableRamRoleArn`), then the ECS instance's RAM role. This module
//! parses and represents them as a [`CredentialSource`]; the STS AssumeRole
//! and metadata calls that turn the last kinds into keys come with the
//! transport.
//!
//! **Endpoints** are data ([`Endpoints`]): the default host per service and
//! region, a cloud-domain override, and per-service URL overrides for
//! Apsara Stack and other private deployments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::sign::Credentials;
use crate::config::{CredentialConfig, CredentialSourceKind, EndpointConfig};
use crate::credentials::Secret;
use crate::error::{Error, Result};

/// Environment variable: AccessKey id.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable: AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable: STS security token.
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// Environment variable: CLI profile name.
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// Environment variable: `true` disables the CLI config file.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// Environment variable: ECS RAM role name for instance metadata.
pub const ENV_ECS_METADATA: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// Environment variable: `true` disables instance metadata.
pub const ENV_ECS_METADATA_DISABLED: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";

/// What to assume with STS AssumeRole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleSpec {
    /// Role ARN (`acs:ram::<uid>:role/<name>`).
    pub role_arn: String,
    /// Session name (the SDKs' default when unset).
    pub session_name: String,
    /// Lifetime in seconds (900-43200; 3600 when unset).
    pub duration_secs: Option<u32>,
    /// External id, where the role's trust policy asks for one.
    pub external_id: Option<String>,
    /// STS region: AssumeRole goes to the regional endpoint
    /// `sts.{region}.{domain}` (`sts.cn-shanghai.aliyuncs.com`); the global
    /// `sts.{domain}` when unset. A configured `sts` endpoint override wins.
    pub sts_region: Option<String>,
}

/// Where the provider's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Keys known now (AccessKey, or STS keys with a token).
    Static(Credentials),
    /// Keys from STS AssumeRole, signed with the base source's keys.
    AssumeRole {
        /// Credentials to call STS with.
        base: Box<CredentialSource>,
        /// The role.
        role: AssumeRoleSpec,
    },
    /// The ECS instance's RAM role from the metadata service; `role_name`
    /// is discovered from the metadata service when `None`.
    EcsRamRole {
        /// Role name.
        role_name: Option<String>,
    },
}

/// The session name the vendor's SDKs use when none is configured.
pub const DEFAULT_SESSION_NAME: &str = "credentials-python";

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Credentials from environment variables, read through `env`. `None` when
/// the AccessKey id is not set; an error when only one half is.
pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<CredentialSource>> {
    let id = nonempty(env(ENV_ACCESS_KEY_ID));
    let secret = nonempty(env(ENV_ACCESS_KEY_SECRET));
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => {
            let mut c = Credentials::new(id, secret);
            if let Some(t) = nonempty(env(ENV_SECURITY_TOKEN)) {
                c = c.with_security_token(t);
            }
            Ok(Some(CredentialSource::Static(c)))
        }
        (Some(_), None) => Err(Error::config(format!(
            "{ENV_ACCESS_KEY_ID} is set but {ENV_ACCESS_KEY_SECRET} is not"
        ))),
        (None, Some(_)) => Err(Error::config(format!(
            "{ENV_ACCESS_KEY_SECRET} is set but {ENV_ACCESS_KEY_ID} is not"
        ))),
    }
}

/// One profile of `~/.aliyun/config.json` (the `aliyun` CLI's fields).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CliProfile {
    /// Profile name.
    #[serde(default)]
    pub name: String,
    /// `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`, `ChainableRamRoleArn`, ...
    #[serde(default)]
    pub mode: String,
    /// AccessKey id.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// AccessKey secret.
    #[serde(default)]
    pub access_key_secret: Option<Secret>,
    /// STS token (`StsToken` mode).
    #[serde(default)]
    pub sts_token: Option<Secret>,
    /// ECS RAM role name (`EcsRamRole` mode).
    #[serde(default)]
    pub ram_role_name: Option<String>,
    /// Role ARN (`RamRoleArn` modes).
    #[serde(default)]
    pub ram_role_arn: Option<String>,
    /// Role session name.
    #[serde(default)]
    pub ram_session_name: Option<String>,
    /// Session lifetime in seconds.
    #[serde(default)]
    pub expired_seconds: Option<u32>,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// STS region.
    #[serde(default)]
    pub sts_region: Option<String>,
    /// Source profile (`ChainableRamRoleArn`).
    #[serde(default)]
    pub source_profile: Option<String>,
    /// Default region of the profile.
    #[serde(default)]
    pub region_id: Option<String>,
}

/// The `aliyun` CLI's `config.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CliConfig {
    /// The current profile's name.
    #[serde(default)]
    pub current: Option<String>,
    /// The profiles.
    #[serde(default)]
    pub profiles: Vec<CliProfile>,
}

/// `<home>/.aliyun/config.json`.
pub fn cli_config_path(home: &Path) -> PathBuf {
    home.join(".aliyun").join("config.json")
}

/// The user's home directory from `HOME` (or `USERPROFILE`), read through `env`.
pub fn home_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    nonempty(env("HOME"))
        .or_else(|| nonempty(env("USERPROFILE")))
        .map(PathBuf::from)
}

impl CliConfig {
    /// Parse a config file's text.
    pub fn parse(text: &str) -> Result<Self> {
        serde_json::from_str(text)
            .map_err(|e| Error::config(format!("aliyun CLI config is not valid JSON: {e}")))
    }

    /// Read and parse `path`; `Ok(None)` when the file does not exist.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text)
                .map(Some)
                .map_err(|e| Error::config(format!("{}: {}", path.display(), e.message()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::config(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// The profile called `name`, or the `current` one when `name` is `None`.
    pub fn profile(&self, name: Option<&str>) -> Result<&CliProfile> {
        let wanted = name
            .map(str::to_string)
            .or_else(|| self.current.clone())
            .unwrap_or_else(|| "default".to_string());
        self.profiles
            .iter()
            .find(|p| p.name == wanted)
            .ok_or_else(|| {
                Error::config(format!(
                    "profile `{wanted}` not found in the aliyun CLI config"
                ))
            })
    }

    /// The credential source of profile `name` (or of the current profile).
    pub fn resolve(&self, name: Option<&str>) -> Result<CredentialSource> {
        self.resolve_depth(name, 0)
    }

    fn resolve_depth(&self, name: Option<&str>, depth: usize) -> Result<CredentialSource> {
        if depth > 8 {
            return Err(Error::config(
                "aliyun CLI config: source_profile chain is too deep or circular",
            ));
        }
        let p = self.profile(name)?;
        let ak = |p: &CliProfile| -> Result<Credentials> {
            let id = nonempty(p.access_key_id.clone()).ok_or_else(|| {
                Error::config(format!("profile `{}` has no access_key_id", p.name))
            })?;
            let secret = p
                .access_key_secret
                .clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Error::config(format!("profile `{}` has no access_key_secret", p.name))
                })?;
            Ok(Credentials::new(id, secret))
        };
        let role = |p: &CliProfile| -> Result<AssumeRoleSpec> {
            Ok(AssumeRoleSpec {
                role_arn: nonempty(p.ram_role_arn.clone()).ok_or_else(|| {
                    Error::config(format!("profile `{}` has no ram_role_arn", p.name))
                })?,
                session_name: nonempty(p.ram_session_name.clone())
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
                duration_secs: p.expired_seconds.filter(|s| *s > 0),
                external_id: nonempty(p.external_id.clone()),
                sts_region: nonempty(p.sts_region.clone()),
            })
        };
        match p.mode.as_str() {
            "AK" | "" => Ok(CredentialSource::Static(ak(p)?)),
            "StsToken" => {
                let token = p
                    .sts_token
                    .clone()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        Error::config(format!("profile `{}` (StsToken) has no sts_token", p.name))
                    })?;
                Ok(CredentialSource::Static(ak(p)?.with_security_token(token)))
            }
            "RamRoleArn" => Ok(CredentialSource::AssumeRole {
                base: Box::new(CredentialSource::Static(ak(p)?)),
                role: role(p)?,
            }),
            "ChainableRamRoleArn" => {
                let source = nonempty(p.source_profile.clone()).ok_or_else(|| {
                    Error::config(format!("profile `{}` has no source_profile", p.name))
                })?;
                Ok(CredentialSource::AssumeRole {
                    base: Box::new(self.resolve_depth(Some(&source), depth + 1)?),
                    role: role(p)?,
                })
            }
            "EcsRamRole" => Ok(CredentialSource::EcsRamRole {
                role_name: nonempty(p.ram_role_name.clone()),
            }),
            other => Err(Error::unsupported(format!(
                "aliyun CLI profile `{}` uses mode `{other}`, which this SDK does not support \
                 (supported: AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole)",
                p.name
            ))),
        }
    }
}

fn is_true(v: Option<String>) -> bool {
    v.map(|s| s.trim().eq_ignore_ascii_case("true"))
        .unwrap_or(false)
}

/// The vendor's default chain, with the environment read through `env`
/// (which also gives `HOME`): environment keys, then the CLI config's
/// profile (`profile`, else `ALIBABA_CLOUD_PROFILE`, else `current`), then
/// the ECS RAM role (unless `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`).
pub fn default_chain(
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&str>,
) -> Result<CredentialSource> {
    if let Some(s) = from_env(env)? {
        return Ok(s);
    }
    if !is_true(env(ENV_CLI_PROFILE_DISABLED)) {
        if let Some(home) = home_dir(env) {
            if let Some(cfg) = CliConfig::load(&cli_config_path(&home))? {
                let name = profile
                    .map(str::to_string)
                    .or_else(|| nonempty(env(ENV_PROFILE)));
                return cfg.resolve(name.as_deref());
            }
        }
    }
    if !is_true(env(ENV_ECS_METADATA_DISABLED)) {
        return Ok(CredentialSource::EcsRamRole {
            role_name: nonempty(env(ENV_ECS_METADATA)),
        });
    }
    Err(Error::config(
        "no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and \
         ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure the aliyun CLI (~/.aliyun/config.json)",
    ))
}

/// The process environment, for [`default_chain`] and [`from_account`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The credential source an account's configuration describes, with the
/// environment read through `env`.
pub fn from_account(
    cfg: &CredentialConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CredentialSource> {
    match cfg.source {
        CredentialSourceKind::Default => default_chain(env, cfg.profile.as_deref()),
        CredentialSourceKind::Env => from_env(env)?.ok_or_else(|| {
            Error::config(format!(
                "credentials source `env`: {ENV_ACCESS_KEY_ID} is not set"
            ))
        }),
        CredentialSourceKind::Profile => {
            let home = home_dir(env)
                .ok_or_else(|| Error::config("credentials source `profile`: HOME is not set"))?;
            let path = cli_config_path(&home);
            let cli = CliConfig::load(&path)?.ok_or_else(|| {
                Error::config(format!(
                    "credentials source `profile`: {} does not exist",
                    path.display()
                ))
            })?;
            let name = cfg.profile.clone().or_else(|| nonempty(env(ENV_PROFILE)));
            cli.resolve(name.as_deref())
        }
        CredentialSourceKind::Static => {
            let id = cfg
                .access_key_id
                .clone()
                .or_else(|| cfg.access_key_id_env.as_deref().and_then(env))
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Error::config("credentials source `static`: no access_key_id"))?;
            let secret = cfg
                .secret_access_key
                .clone()
                .or_else(|| {
                    cfg.secret_access_key_env
                        .as_deref()
                        .and_then(env)
                        .map(Secret::new)
                })
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Error::config("credentials source `static`: no secret_access_key")
                })?;
            let mut c = Credentials::new(id, secret);
            if let Some(t) = cfg.session_token.clone().filter(|s| !s.is_empty()) {
                c = c.with_security_token(t);
            }
            Ok(CredentialSource::Static(c))
        }
        CredentialSourceKind::InstanceMetadata => Ok(CredentialSource::EcsRamRole {
            role_name: nonempty(env(ENV_ECS_METADATA)),
        }),
        CredentialSourceKind::AssumeRole => {
            let role_arn = cfg
                .role_arn
                .clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Error::config("credentials source `assume_role`: no role_arn"))?;
            let base = match &cfg.base {
                Some(b) => from_account(b, env)?,
                None => default_chain(env, cfg.profile.as_deref())?,
            };
            Ok(CredentialSource::AssumeRole {
                base: Box::new(base),
                role: AssumeRoleSpec {
                    role_arn,
                    session_name: cfg
                        .role_session_name
                        .clone()
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "multicloud".to_string()),
                    duration_secs: None,
                    external_id: cfg.external_id.clone(),
                    sts_region: None,
                },
            })
        }
    }
}

// ---------------------------------------------------------------- endpoints

/// An Alibaba service the provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Elastic Compute Service (regional).
    Ecs,
    /// Virtual Private Cloud (regional).
    Vpc,
    /// Object Storage Service (regional).
    Oss,
    /// Resource Access Management (global).
    Ram,
    /// BSS OpenAPI, billing (China or international site).
    Bss,
    /// Security Token Service (global endpoint, or regional when a call
    /// names its region).
    Sts,
}

impl Service {
    /// The key of the service in `EndpointConfig::services` and
    /// `api_versions` (`ecs`, `vpc`, `oss`, `ram`, `bss`, `sts`).
    pub fn key(self) -> &'static str {
        match self {
            Service::Ecs => "ecs",
            Service::Vpc => "vpc",
            Service::Oss => "oss",
            Service::Ram => "ram",
            Service::Bss => "bss",
            Service::Sts => "sts",
        }
    }

    /// The default API version.
    pub fn default_version(self) -> &'static str {
        match self {
            Service::Ecs => "2014-05-26",
            Service::Vpc => "2016-04-28",
            Service::Oss => "",
            Service::Ram => "2015-05-01",
            Service::Bss => "2017-12-14",
            Service::Sts => "2015-04-01",
        }
    }
}

/// The public cloud's domain.
pub const DEFAULT_DOMAIN: &str = "aliyuncs.com";

/// Endpoint resolution: default host patterns, a domain override and
/// per-service URL overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    domain: String,
    overrides: BTreeMap<Service, url::Url>,
    versions: BTreeMap<Service, String>,
    international: bool,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            domain: DEFAULT_DOMAIN.to_string(),
            overrides: BTreeMap::new(),
            versions: BTreeMap::new(),
            international: false,
        }
    }
}

fn service_of_key(k: &str) -> Option<Service> {
    Some(match k.trim().to_ascii_lowercase().as_str() {
        "ecs" => Service::Ecs,
        "vpc" => Service::Vpc,
        "oss" => Service::Oss,
        "ram" => Service::Ram,
        "bss" | "bssopenapi" | "business" => Service::Bss,
        "sts" => Service::Sts,
        _ => return None,
    })
}

impl Endpoints {
    /// Build from an account's endpoint settings and options. The option
    /// `site = "international"` selects BSS's international endpoint
    /// (`business.ap-southeast-1.aliyuncs.com`). Service URLs must be
    /// `https://` unless `allow_http` is set; `{region}` in a URL is
    /// replaced by the call's region.
    pub fn from_config(cfg: &EndpointConfig, options: &BTreeMap<String, String>) -> Result<Self> {
        let mut e = Endpoints::default();
        if let Some(d) = cfg
            .cloud_domain
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            e.domain = d.trim_matches('.').to_string();
        }
        for (k, v) in &cfg.services {
            let service = service_of_key(k).ok_or_else(|| {
                Error::config(format!(
                    "unknown Alibaba service `{k}` in endpoint overrides (ecs, vpc, oss, ram, bss, sts)"
                ))
            })?;
            // Parse with a placeholder region so `{region}` survives validation.
            let u = url::Url::parse(&v.replace("{region}", "region-placeholder"))
                .map_err(|err| Error::config(format!("endpoint for `{k}` is not a URL: {err}")))?;
            match u.scheme() {
                "https" => {}
                "http" if cfg.allow_http => {}
                s => {
                    return Err(Error::config(format!(
                        "endpoint for `{k}` uses `{s}://`; only https is allowed unless allow_http is set"
                    )));
                }
            }
            e.overrides.insert(service, u);
        }
        for (k, v) in &cfg.api_versions {
            let service = service_of_key(k).ok_or_else(|| {
                Error::config(format!("unknown Alibaba service `{k}` in api_versions"))
            })?;
            e.versions.insert(service, v.clone());
        }
        e.international = matches!(
            options
                .get("site")
                .map(|s| s.trim().to_ascii_lowercase())
                .as_deref(),
            Some("international" | "intl")
        );
        Ok(e)
    }

    /// The API version to call `service` with (pinned or default).
    pub fn version(&self, service: Service) -> &str {
        self.versions
            .get(&service)
            .map(String::as_str)
            .unwrap_or_else(|| service.default_version())
    }

    /// The default host of `service` in `region` under the configured domain.
    /// STS has a global host (`sts.{domain}`, for an empty `region`) and
    /// regional ones (`sts.{region}.{domain}`, as the vendor's STS endpoint
    /// list and its credentials SDK's `sts_region_id` have them).
    pub fn default_host(&self, service: Service, region: &str) -> String {
        let d = &self.domain;
        match service {
            Service::Ecs => format!("ecs.{region}.{d}"),
            Service::Vpc => format!("vpc.{region}.{d}"),
            Service::Oss => format!("oss-{region}.{d}"),
            Service::Ram => format!("ram.{d}"),
            Service::Sts if region.is_empty() => format!("sts.{d}"),
            Service::Sts => format!("sts.{region}.{d}"),
            Service::Bss if self.international => format!("business.ap-southeast-1.{d}"),
            Service::Bss => format!("business.{d}"),
        }
    }

    /// The region whose endpoint a call to `service` goes to: the call's own
    /// `region` when it names one; else `default` (the provider's default
    /// region), except for STS, whose global endpoint (the empty region) is
    /// used unless an `sts` override needs a region for its `{region}`.
    pub fn endpoint_region<'a>(
        &self,
        service: Service,
        region: Option<&'a str>,
        default: &'a str,
    ) -> &'a str {
        match region.filter(|r| !r.is_empty()) {
            Some(r) => r,
            None if service == Service::Sts && !self.overrides.contains_key(&service) => "",
            None => default,
        }
    }

    /// The base URL of `service` for `region`: the override when one is
    /// configured (with `{region}` filled in), else `https://` + the default host.
    pub fn base_url(&self, service: Service, region: &str) -> Result<url::Url> {
        match self.overrides.get(&service) {
            Some(u) => {
                let s = u.as_str().replace("region-placeholder", region);
                url::Url::parse(&s)
                    .map_err(|e| Error::config(format!("endpoint for `{}`: {e}", service.key())))
            }
            None => url::Url::parse(&format!("https://{}/", self.default_host(service, region)))
                .map_err(|e| Error::config(format!("bad region `{region}`: {e}"))),
        }
    }

    /// The host (and port, when not the default) requests to `service` carry.
    pub fn host(&self, service: Service, region: &str) -> Result<String> {
        let u = self.base_url(service, region)?;
        let host = u.host_str().ok_or_else(|| {
            Error::config(format!("endpoint for `{}` has no host", service.key()))
        })?;
        Ok(match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        })
    }

    /// The virtual-hosted base URL of `bucket` in `region`
    /// (`https://bucket.oss-cn-hangzhou.aliyuncs.com/`); with an OSS
    /// override, the bucket is prefixed to the override's host.
    pub fn oss_bucket_url(&self, bucket: &str, region: &str) -> Result<url::Url> {
        let base = self.base_url(Service::Oss, region)?;
        let host = base
            .host_str()
            .ok_or_else(|| Error::config("OSS endpoint has no host"))?;
        let port = base.port().map(|p| format!(":{p}")).unwrap_or_default();
        url::Url::parse(&format!("{}://{bucket}.{host}{port}/", base.scheme()))
            .map_err(|e| Error::config(format!("bad bucket name `{bucket}`: {e}")))
    }
}

/// Public regions used when `DescribeRegions` cannot be called (the
/// discovered list always wins).
pub const FALLBACK_REGIONS: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-hongkong",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "us-east-1",
    "us-west-1",
    "eu-west-1",
    "eu-central-1",
    "me-east-1",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn env_credentials() {
        let e = env_of(&[
            (ENV_ACCESS_KEY_ID, "LTAI1"),
            (ENV_ACCESS_KEY_SECRET, "s"),
            (ENV_SECURITY_TOKEN, "t"),
        ]);
        match from_env(&e).unwrap() {
            Some(CredentialSource::Static(c)) => {
                assert_eq!(c.access_key_id, "LTAI1");
                assert_eq!(c.security_token.as_ref().map(Secret::expose), Some("t"));
            }
            other => panic!("{other:?}"),
        }
        assert!(from_env(&env_of(&[])).unwrap().is_none());
        let half = from_env(&env_of(&[(ENV_ACCESS_KEY_ID, "x")])).unwrap_err();
        assert_eq!(half.kind(), crate::ErrorKind::Config);
        assert!(half.message().contains(ENV_ACCESS_KEY_SECRET));
    }

    #[test]
    fn endpoints_defaults_and_overrides() {
        let e = Endpoints::default();
        assert_eq!(
            e.default_host(Service::Ecs, "cn-hangzhou"),
            "ecs.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            e.default_host(Service::Vpc, "cn-beijing"),
            "vpc.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            e.default_host(Service::Oss, "cn-beijing"),
            "oss-cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            e.default_host(Service::Ram, "cn-beijing"),
            "ram.aliyuncs.com"
        );
        assert_eq!(e.default_host(Service::Sts, ""), "sts.aliyuncs.com");
        assert_eq!(
            e.default_host(Service::Sts, "cn-shanghai"),
            "sts.cn-shanghai.aliyuncs.com"
        );
        assert_eq!(e.default_host(Service::Bss, "x"), "business.aliyuncs.com");
        assert_eq!(
            e.oss_bucket_url("b1", "cn-shanghai").unwrap().as_str(),
            "https://b1.oss-cn-shanghai.aliyuncs.com/"
        );
        assert_eq!(e.version(Service::Ecs), "2014-05-26");

        let mut opts = BTreeMap::new();
        opts.insert("site".to_string(), "international".to_string());
        let mut cfg = EndpointConfig {
            cloud_domain: Some("apsara.example.gov".into()),
            ..Default::default()
        };
        cfg.services
            .insert("ecs".into(), "https://ecs-internal.example.gov/".into());
        cfg.services.insert(
            "oss".into(),
            "https://oss-{region}.store.example.gov:8443/".into(),
        );
        cfg.api_versions.insert("vpc".into(), "2016-04-29".into());
        let e = Endpoints::from_config(&cfg, &opts).unwrap();
        assert_eq!(
            e.host(Service::Ecs, "cn-x").unwrap(),
            "ecs-internal.example.gov"
        );
        assert_eq!(
            e.host(Service::Vpc, "cn-x").unwrap(),
            "vpc.cn-x.apsara.example.gov"
        );
        assert_eq!(
            e.host(Service::Bss, "cn-x").unwrap(),
            "business.ap-southeast-1.apsara.example.gov"
        );
        assert_eq!(
            e.oss_bucket_url("b", "cn-x").unwrap().as_str(),
            "https://b.oss-cn-x.store.example.gov:8443/"
        );
        assert_eq!(e.version(Service::Vpc), "2016-04-29");

        let mut bad = EndpointConfig::default();
        bad.services
            .insert("ecs".into(), "http://127.0.0.1:9000".into());
        assert!(Endpoints::from_config(&bad, &BTreeMap::new()).is_err());
        bad.allow_http = true;
        let e = Endpoints::from_config(&bad, &BTreeMap::new()).unwrap();
        assert_eq!(e.host(Service::Ecs, "r").unwrap(), "127.0.0.1:9000");
        let mut unknown = EndpointConfig::default();
        unknown.services.insert("rds".into(), "https://x".into());
        assert!(Endpoints::from_config(&unknown, &BTreeMap::new()).is_err());
    }

    /// STS goes to the global endpoint unless the call names a region (an
    /// AssumeRole with `sts_region`); an `sts` override still wins.
    #[test]
    fn sts_region_selects_the_regional_endpoint() {
        let e = Endpoints::default();
        let host = |region: Option<&str>| {
            e.host(
                Service::Sts,
                e.endpoint_region(Service::Sts, region, "cn-hangzhou"),
            )
            .unwrap()
        };
        assert_eq!(host(None), "sts.aliyuncs.com");
        assert_eq!(host(Some("")), "sts.aliyuncs.com");
        assert_eq!(host(Some("cn-shanghai")), "sts.cn-shanghai.aliyuncs.com");
        assert_eq!(
            host(Some("ap-southeast-1")),
            "sts.ap-southeast-1.aliyuncs.com"
        );
        // Other services keep the default region when the call names none.
        assert_eq!(
            e.endpoint_region(Service::Ecs, None, "cn-hangzhou"),
            "cn-hangzhou"
        );
        assert_eq!(
            e.endpoint_region(Service::Ram, None, "cn-hangzhou"),
            "cn-hangzhou"
        );

        let cfg = EndpointConfig {
            cloud_domain: Some("apsara.example.gov".into()),
            ..Default::default()
        };
        let e = Endpoints::from_config(&cfg, &BTreeMap::new()).unwrap();
        assert_eq!(
            e.host(
                Service::Sts,
                e.endpoint_region(Service::Sts, Some("cn-x"), "d")
            )
            .unwrap(),
            "sts.cn-x.apsara.example.gov"
        );

        let mut cfg = EndpointConfig::default();
        cfg.services.insert(
            "sts".into(),
            "https://sts-{region}.internal.example/".into(),
        );
        let e = Endpoints::from_config(&cfg, &BTreeMap::new()).unwrap();
        let region = e.endpoint_region(Service::Sts, Some("cn-shanghai"), "cn-hangzhou");
        assert_eq!(
            e.host(Service::Sts, region).unwrap(),
            "sts-cn-shanghai.internal.example"
        );
        let region = e.endpoint_region(Service::Sts, None, "cn-hangzhou");
        assert_eq!(
            e.host(Service::Sts, region).unwrap(),
            "sts-cn-hangzhou.internal.example"
        );
        let mut cfg = EndpointConfig::default();
        cfg.services
            .insert("sts".into(), "https://sts.private.example/".into());
        let e = Endpoints::from_config(&cfg, &BTreeMap::new()).unwrap();
        let region = e.endpoint_region(Service::Sts, Some("cn-shanghai"), "cn-hangzhou");
        assert_eq!(e.host(Service::Sts, region).unwrap(), "sts.private.example");
    }
}
