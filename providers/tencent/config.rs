//! Credentials, API versions and endpoint resolution for Tencent Cloud.
//!
//! Credentials are found the way the vendor's SDKs find them
//! (`tencentcloud/common/credential.py`, the Go SDK's `ProfileProvider`):
//!
//! 1. environment: `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY`, and
//!    for temporary keys `TENCENTCLOUD_SESSION_TOKEN`;
//! 2. the INI profile file: the path in `TENCENTCLOUD_CREDENTIALS_FILE`, else
//!    `~/.tencentcloud/credentials`, else `/etc/tencentcloud/credentials`;
//!    section `[default]` (or the profile named in the account config or in
//!    `TENCENTCLOUD_PROFILE`), keys `secret_id`, `secret_key`. A `role_arn`
//!    in the section is parsed into [`ProfileEntry::role_arn`] but not acted
//!    on: the profile's keys are used as they are, no role is assumed, as in
//!    the vendor's Python SDK `ProfileCredential` (use
//!    `credentials.source = "assume_role"` for that);
//! 3. the CVM instance role from the metadata service and STS `AssumeRole`:
//!    [`super::creds`] (they need HTTP).
//!
//! Endpoints are data: `{service}.tencentcloudapi.com` (nearest access
//! point), `{service}.{region}.tencentcloudapi.com` (regional; required for
//! the financial `*-fsi` regions), COS `{bucket}-{appid}.cos.{region}.myqcloud.com`
//! and `service.cos.myqcloud.com`, with the cloud domain and each service's
//! URL overridable for private (TCE) deployments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{CredentialConfig, CredentialSourceKind, EndpointConfig};
use crate::credentials::Secret;
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// Environment variable of the SecretId.
pub const ENV_SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
/// Environment variable of the SecretKey.
pub const ENV_SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
/// Environment variable of the session token of temporary credentials.
pub const ENV_SESSION_TOKEN: &str = "TENCENTCLOUD_SESSION_TOKEN";
/// Environment variable of the default region.
pub const ENV_REGION: &str = "TENCENTCLOUD_REGION";
/// Environment variable naming the profile section to read.
pub const ENV_PROFILE: &str = "TENCENTCLOUD_PROFILE";
/// Environment variable overriding the profile file's path (vendor Go SDK).
pub const ENV_CREDENTIALS_FILE: &str = "TENCENTCLOUD_CREDENTIALS_FILE";

/// The public cloud's API domain.
pub const DEFAULT_API_DOMAIN: &str = "tencentcloudapi.com";
/// The public cloud's COS domain.
pub const DEFAULT_COS_DOMAIN: &str = "myqcloud.com";

/// API versions the provider speaks, per service (pinnable through
/// `EndpointConfig::api_versions`).
pub const API_VERSIONS: [(&str, &str); 6] = [
    ("cvm", "2017-03-12"),
    ("cbs", "2017-03-12"),
    ("vpc", "2017-03-12"),
    ("cam", "2019-01-16"),
    ("billing", "2018-07-09"),
    ("sts", "2018-08-13"),
];

/// Regions used when `DescribeRegions` cannot be called (public cloud): the
/// regions of the vendor's `DescribeRegions` example plus the others named
/// in the vendor's Python SDKs (CVM/COS region tables).
pub const FALLBACK_REGIONS: [&str; 20] = [
    "ap-bangkok",
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-guangzhou",
    "ap-hongkong",
    "ap-jakarta",
    "ap-mumbai",
    "ap-nanjing",
    "ap-seoul",
    "ap-shanghai",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
    "ap-singapore",
    "ap-tokyo",
    "eu-frankfurt",
    "na-ashburn",
    "na-siliconvalley",
    "na-toronto",
    "sa-saopaulo",
];

/// A set of Tencent Cloud credentials. `Debug` never prints the secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    /// The SecretId (public part).
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: Secret,
    /// Session token of temporary credentials (`X-TC-Token`,
    /// `x-cos-security-token`).
    pub token: Option<Secret>,
    /// When temporary credentials expire.
    pub expires_at: Option<Timestamp>,
    /// Where they came from (`env`, `profile:/path[section]`, `static`).
    pub source: String,
}

impl Credentials {
    /// Long-lived credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<Secret>) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
            expires_at: None,
            source: "static".into(),
        }
    }

    /// Whether temporary credentials expire within `margin_secs` of `now`
    /// (refresh them before then). Long-lived credentials never do.
    pub fn expires_within(&self, now: Timestamp, margin_secs: i64) -> bool {
        self.expires_at
            .is_some_and(|t| t - chrono::Duration::seconds(margin_secs) <= now)
    }

    fn validate(self) -> Result<Self> {
        // The vendor SDK refuses keys with spaces; an accidental space from a
        // copy-paste would otherwise surface as a signature failure.
        if self.secret_id.trim().is_empty() || self.secret_key.is_empty() {
            return Err(Error::config(format!(
                "Tencent Cloud credentials from {} have an empty SecretId or SecretKey",
                self.source
            )));
        }
        if self.secret_id.contains(' ') || self.secret_key.expose().contains(' ') {
            return Err(Error::config(format!(
                "Tencent Cloud credentials from {} contain a space",
                self.source
            )));
        }
        Ok(self)
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// Credentials from environment variables read through `var`, or `None`
/// when `TENCENTCLOUD_SECRET_ID` or `TENCENTCLOUD_SECRET_KEY` is unset or
/// empty (as the vendor SDK treats them).
pub fn credentials_from_env_with(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>> {
    let (Some(id), Some(key)) = (
        non_empty(var(ENV_SECRET_ID)),
        non_empty(var(ENV_SECRET_KEY)),
    ) else {
        return Ok(None);
    };
    let creds = Credentials {
        secret_id: id,
        secret_key: Secret::new(key),
        token: non_empty(var(ENV_SESSION_TOKEN)).map(Secret::new),
        expires_at: None,
        source: "env".into(),
    };
    creds.validate().map(Some)
}

/// [`credentials_from_env_with`] over the process environment.
pub fn credentials_from_env() -> Result<Option<Credentials>> {
    credentials_from_env_with(&|k| std::env::var(k).ok())
}

/// The default region from `TENCENTCLOUD_REGION`, if set.
pub fn region_from_env() -> Option<String> {
    non_empty(std::env::var(ENV_REGION).ok())
}

/// The profile file to read, as the vendor SDKs choose it:
/// `TENCENTCLOUD_CREDENTIALS_FILE` if set, else `$HOME/.tencentcloud/credentials`
/// if it exists, else `/etc/tencentcloud/credentials` if it exists.
pub fn credentials_file_path_with(
    var: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(p) = non_empty(var(ENV_CREDENTIALS_FILE)) {
        return Some(PathBuf::from(p));
    }
    let home = non_empty(var("HOME")).or_else(|| non_empty(var("USERPROFILE")));
    if let Some(home) = home {
        let p = Path::new(&home).join(".tencentcloud").join("credentials");
        if exists(&p) {
            return Some(p);
        }
    }
    let etc = PathBuf::from("/etc/tencentcloud/credentials");
    exists(&etc).then_some(etc)
}

/// A section of the profile file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileEntry {
    /// `secret_id`.
    pub secret_id: Option<String>,
    /// `secret_key`.
    pub secret_key: Option<Secret>,
    /// `role_arn`, parsed for callers that want it. The provider does not
    /// assume it: a profile's keys sign requests as they are (role
    /// assumption is `credentials.source = "assume_role"`).
    pub role_arn: Option<String>,
}

/// Parse an INI document into sections of `key -> value` (keys lower-cased,
/// keys and values trimmed, `#`/`;` comment lines skipped), as Python's
/// `configparser` reads the vendor's profile file.
pub fn parse_ini(text: &str) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(Error::config(format!(
                    "Tencent Cloud credentials file, line {}: unterminated section header",
                    n + 1
                )));
            };
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            return Err(Error::config(format!(
                "Tencent Cloud credentials file, line {}: expected `key = value`",
                n + 1
            )));
        };
        let Some(section) = &current else {
            return Err(Error::config(format!(
                "Tencent Cloud credentials file, line {}: key outside of a [section]",
                n + 1
            )));
        };
        out.entry(section.clone())
            .or_default()
            .insert(k.trim().to_lowercase(), v.trim().to_string());
    }
    Ok(out)
}

/// The named section of a profile file's text, or `None` if absent.
pub fn parse_credentials_file(text: &str, profile: &str) -> Result<Option<ProfileEntry>> {
    let ini = parse_ini(text)?;
    Ok(ini.get(profile).map(|s| ProfileEntry {
        secret_id: non_empty(s.get("secret_id").cloned()),
        secret_key: non_empty(s.get("secret_key").cloned()).map(Secret::new),
        role_arn: non_empty(s.get("role_arn").cloned()),
    }))
}

/// Credentials from the profile file.
///
/// `profile` names the section; `None` takes `TENCENTCLOUD_PROFILE`, else
/// `default`. Returns `Ok(None)` when no file exists, or when no profile
/// was named and the `default` section lacks keys (the vendor SDK's
/// behaviour); a profile that was asked for by name and is missing is a
/// `Config` error.
pub fn credentials_from_profile_with(
    profile: Option<&str>,
    var: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&Path) -> bool,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<Option<Credentials>> {
    let named = profile
        .map(str::to_string)
        .or_else(|| non_empty(var(ENV_PROFILE)));
    let section = named.clone().unwrap_or_else(|| "default".to_string());
    let Some(path) = credentials_file_path_with(var, exists) else {
        return match named {
            Some(n) => Err(Error::config(format!(
                "Tencent Cloud profile `{n}` asked for, but no credentials file was found \
                 (TENCENTCLOUD_CREDENTIALS_FILE, ~/.tencentcloud/credentials, /etc/tencentcloud/credentials)"
            ))),
            None => Ok(None),
        };
    };
    let text = read(&path).map_err(|e| {
        Error::config(format!(
            "cannot read Tencent Cloud credentials file {}: {e}",
            path.display()
        ))
    })?;
    let entry = parse_credentials_file(&text, &section)?;
    let source = format!("profile:{}[{section}]", path.display());
    match entry {
        Some(ProfileEntry {
            secret_id: Some(id),
            secret_key: Some(key),
            ..
        }) => Credentials {
            secret_id: id,
            secret_key: key,
            token: None,
            expires_at: None,
            source,
        }
        .validate()
        .map(Some),
        _ if named.is_some() => Err(Error::config(format!(
            "Tencent Cloud profile `{section}` in {} has no secret_id/secret_key",
            path.display()
        ))),
        _ => Ok(None),
    }
}

/// [`credentials_from_profile_with`] over the process environment and file system.
pub fn credentials_from_profile(profile: Option<&str>) -> Result<Option<Credentials>> {
    credentials_from_profile_with(
        profile,
        &|k| std::env::var(k).ok(),
        &|p| p.is_file(),
        &|p| std::fs::read_to_string(p),
    )
}

/// Resolve an account's credential settings into credentials, for the
/// sources that need no network: `default` (environment, then profile
/// file), `env`, `profile`, `static` (with `*_env` indirections).
/// `instance_metadata` and `assume_role` need the transport and return an
/// `Unsupported` error here.
pub fn resolve_credentials(cfg: &CredentialConfig) -> Result<Credentials> {
    resolve_credentials_with(cfg, &|k| std::env::var(k).ok(), &|p| p.is_file(), &|p| {
        std::fs::read_to_string(p)
    })
}

/// [`resolve_credentials`] with injected environment and file access.
pub fn resolve_credentials_with(
    cfg: &CredentialConfig,
    var: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&Path) -> bool,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<Credentials> {
    let missing = |what: &str| {
        Error::config(format!(
            "no Tencent Cloud credentials found ({what}); set {ENV_SECRET_ID}/{ENV_SECRET_KEY} \
             or write ~/.tencentcloud/credentials"
        ))
    };
    match cfg.source {
        CredentialSourceKind::Default => {
            if let Some(c) = credentials_from_env_with(var)? {
                return Ok(c);
            }
            credentials_from_profile_with(cfg.profile.as_deref(), var, exists, read)?
                .ok_or_else(|| missing("environment, profile file"))
        }
        CredentialSourceKind::Env => {
            credentials_from_env_with(var)?.ok_or_else(|| missing("environment"))
        }
        CredentialSourceKind::Profile => {
            credentials_from_profile_with(cfg.profile.as_deref(), var, exists, read)?
                .ok_or_else(|| missing("profile file"))
        }
        CredentialSourceKind::Static => {
            let id = cfg.access_key_id.clone().or_else(|| {
                cfg.access_key_id_env
                    .as_deref()
                    .and_then(|n| non_empty(var(n)))
            });
            let key = cfg.secret_access_key.clone().or_else(|| {
                cfg.secret_access_key_env
                    .as_deref()
                    .and_then(|n| non_empty(var(n)))
                    .map(Secret::new)
            });
            match (id, key) {
                (Some(id), Some(key)) => Credentials {
                    secret_id: id,
                    secret_key: key,
                    token: cfg.session_token.clone(),
                    expires_at: None,
                    source: "static".into(),
                }
                .validate(),
                _ => Err(Error::config(
                    "static Tencent Cloud credentials need access_key_id and secret_access_key \
                     (or their *_env variables)",
                )),
            }
        }
        CredentialSourceKind::InstanceMetadata | CredentialSourceKind::AssumeRole => {
            Err(Error::unsupported(
                "Tencent Cloud instance-role and assume-role credentials are fetched over HTTP: \
                 build them with tencent::creds::credential_provider",
            ))
        }
    }
}

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

/// Endpoint resolution for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// API domain (`tencentcloudapi.com`, or a TCE deployment's).
    pub api_domain: String,
    /// COS domain (`myqcloud.com`, or a TCE deployment's). Set through the
    /// `cos_domain` account option; defaults to the public one even when
    /// the API domain is overridden, because TCE uses distinct domains.
    pub cos_domain: String,
    /// Always use `{service}.{region}.{domain}` instead of the nearest
    /// access point `{service}.{domain}`.
    pub regional: bool,
    /// Per-service base URLs (`cvm = "https://cvm.tce.example"`); the `cos`
    /// entry may use `{bucket}` and `{region}` placeholders.
    pub services: BTreeMap<String, String>,
    /// API version pins.
    pub api_versions: BTreeMap<String, String>,
    /// Whether `http://` overrides are allowed.
    pub allow_http: bool,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            api_domain: DEFAULT_API_DOMAIN.into(),
            cos_domain: DEFAULT_COS_DOMAIN.into(),
            regional: false,
            services: BTreeMap::new(),
            api_versions: BTreeMap::new(),
            allow_http: false,
        }
    }
}

fn check_url(service: &str, url: &str, allow_http: bool) -> Result<()> {
    let parsed =
        url::Url::parse(&url.replace("{bucket}", "b").replace("{region}", "r")).map_err(|e| {
            Error::config(format!(
                "endpoint override for `{service}` is not a URL: {e}"
            ))
        })?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_http => Ok(()),
        "http" => Err(Error::config(format!(
            "endpoint override for `{service}` uses http://; set allow_http = true to allow it"
        ))),
        other => Err(Error::config(format!(
            "endpoint override for `{service}` has unsupported scheme `{other}`"
        ))),
    }
}

impl Endpoints {
    /// Build from an account's endpoint config and provider options
    /// (`cos_domain`, `endpoint_style = "regional"`). Rejects malformed URLs
    /// and `http://` without `allow_http`.
    pub fn from_config(cfg: &EndpointConfig, options: &BTreeMap<String, String>) -> Result<Self> {
        for (svc, url) in &cfg.services {
            check_url(svc, url, cfg.allow_http)?;
        }
        Ok(Endpoints {
            api_domain: cfg
                .cloud_domain
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| DEFAULT_API_DOMAIN.into()),
            cos_domain: options
                .get("cos_domain")
                .cloned()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| DEFAULT_COS_DOMAIN.into()),
            regional: options.get("endpoint_style").map(String::as_str) == Some("regional"),
            services: cfg.services.clone(),
            api_versions: cfg.api_versions.clone(),
            allow_http: cfg.allow_http,
        })
    }

    /// The API version for `service` (pinned, else the built-in one).
    pub fn api_version(&self, service: &str) -> Option<String> {
        self.api_versions.get(service).cloned().or_else(|| {
            API_VERSIONS
                .iter()
                .find(|(s, _)| *s == service)
                .map(|(_, v)| v.to_string())
        })
    }

    /// Base URL of an API 3.0 service, without a trailing slash.
    ///
    /// A per-service override wins. Otherwise `https://{service}.{domain}`,
    /// or `https://{service}.{region}.{domain}` when the endpoints are
    /// regional, or the region is a financial one (`*-fsi`, reachable only
    /// through its regional endpoint).
    pub fn api_base_url(&self, service: &str, region: Option<&str>) -> String {
        if let Some(url) = self.services.get(service) {
            return url.trim_end_matches('/').to_string();
        }
        match region.filter(|r| !r.is_empty()) {
            Some(r) if self.regional || r.ends_with("-fsi") => {
                format!("https://{service}.{r}.{}", self.api_domain)
            }
            _ => format!("https://{service}.{}", self.api_domain),
        }
    }

    /// The host name of [`Endpoints::api_base_url`] (what TC3 signs).
    pub fn api_host(&self, service: &str, region: Option<&str>) -> String {
        host_of(&self.api_base_url(service, region))
    }

    /// Base URL of a bucket (`https://{bucket}.cos.{region}.{cos_domain}`);
    /// `bucket` is the full `name-appid`. A `cos` override is a template
    /// with `{bucket}` and `{region}` placeholders.
    pub fn cos_bucket_url(&self, bucket: &str, region: &str) -> String {
        if let Some(t) = self.services.get("cos") {
            return t
                .replace("{bucket}", bucket)
                .replace("{region}", region)
                .trim_end_matches('/')
                .to_string();
        }
        format!("https://{bucket}.cos.{region}.{}", self.cos_domain)
    }

    /// Base URL of the COS service endpoint that lists buckets (GET
    /// Service): `https://service.cos.{cos_domain}`, or the regional
    /// `https://cos.{region}.{cos_domain}` when a region is given. A
    /// `cos_service` override wins.
    pub fn cos_service_url(&self, region: Option<&str>) -> String {
        if let Some(u) = self.services.get("cos_service") {
            return u.trim_end_matches('/').to_string();
        }
        match region.filter(|r| !r.is_empty()) {
            Some(r) => format!("https://cos.{r}.{}", self.cos_domain),
            None => format!("https://service.cos.{}", self.cos_domain),
        }
    }
}

/// The host (and port, if any) of a URL, or the input if it is not one.
pub fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// The full COS bucket name `name-appid`: names that already end with
/// `-<appid digits>` are kept, others get `-{app_id}` appended.
pub fn cos_full_bucket_name(name: &str, app_id: Option<&str>) -> String {
    let has_appid = name
        .rsplit_once('-')
        .is_some_and(|(_, tail)| tail.len() >= 5 && tail.chars().all(|c| c.is_ascii_digit()));
    match app_id {
        Some(a) if !has_appid && !a.is_empty() => format!("{name}-{a}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_credentials() {
        let e = env(&[
            (ENV_SECRET_ID, "AKID1"),
            (ENV_SECRET_KEY, "key1"),
            (ENV_SESSION_TOKEN, "tok"),
        ]);
        let c = credentials_from_env_with(&e).unwrap().unwrap();
        assert_eq!(c.secret_id, "AKID1");
        assert_eq!(c.secret_key.expose(), "key1");
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("tok"));
        assert!(!format!("{c:?}").contains("key1"));
        assert!(!format!("{c:?}").contains("tok\""));
        let e = env(&[(ENV_SECRET_ID, "AKID1"), (ENV_SECRET_KEY, "")]);
        assert!(credentials_from_env_with(&e).unwrap().is_none());
        let e = env(&[(ENV_SECRET_ID, "AK ID"), (ENV_SECRET_KEY, "k")]);
        assert!(credentials_from_env_with(&e).is_err());
    }

    #[test]
    fn ini_parsing() {
        let text = "# comment\n[default]\nsecret_id = AKIDdef\nSECRET_KEY=keydef \n\n[prod]\nsecret_id: AKIDprod\nsecret_key = keyprod\nrole_arn = qcs::cam::uin/1:roleName/r\n";
        let d = parse_credentials_file(text, "default").unwrap().unwrap();
        assert_eq!(d.secret_id.as_deref(), Some("AKIDdef"));
        assert_eq!(d.secret_key.as_ref().map(Secret::expose), Some("keydef"));
        let p = parse_credentials_file(text, "prod").unwrap().unwrap();
        assert_eq!(p.role_arn.as_deref(), Some("qcs::cam::uin/1:roleName/r"));
        assert!(parse_credentials_file(text, "nope").unwrap().is_none());
        assert!(parse_ini("[x\nsecret_id=1").is_err());
        assert!(parse_ini("secret_id=1").is_err());
        assert!(parse_ini("[x]\njunk").is_err());
    }

    #[test]
    fn file_path_order() {
        let e = env(&[("HOME", "/h")]);
        let p = credentials_file_path_with(&e, &|p| p == Path::new("/h/.tencentcloud/credentials"));
        assert_eq!(p, Some(PathBuf::from("/h/.tencentcloud/credentials")));
        let p =
            credentials_file_path_with(&e, &|p| p == Path::new("/etc/tencentcloud/credentials"));
        assert_eq!(p, Some(PathBuf::from("/etc/tencentcloud/credentials")));
        assert_eq!(credentials_file_path_with(&e, &|_| false), None);
        let e = env(&[("HOME", "/h"), (ENV_CREDENTIALS_FILE, "/x/creds")]);
        assert_eq!(
            credentials_file_path_with(&e, &|_| false),
            Some(PathBuf::from("/x/creds"))
        );
    }

    #[test]
    fn endpoints_default_regional_fsi_and_overrides() {
        let ep = Endpoints::default();
        assert_eq!(
            ep.api_base_url("cvm", Some("ap-guangzhou")),
            "https://cvm.tencentcloudapi.com"
        );
        assert_eq!(
            ep.api_base_url("cvm", Some("ap-shanghai-fsi")),
            "https://cvm.ap-shanghai-fsi.tencentcloudapi.com"
        );
        assert_eq!(ep.api_host("cam", None), "cam.tencentcloudapi.com");
        assert_eq!(
            ep.cos_bucket_url("examplebucket-1250000000", "ap-beijing"),
            "https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com"
        );
        assert_eq!(ep.cos_service_url(None), "https://service.cos.myqcloud.com");
        assert_eq!(
            ep.cos_service_url(Some("ap-beijing")),
            "https://cos.ap-beijing.myqcloud.com"
        );
        assert_eq!(ep.api_version("cam").as_deref(), Some("2019-01-16"));
        assert_eq!(ep.api_version("nope"), None);

        let mut cfg = EndpointConfig {
            cloud_domain: Some("tce.example.com".into()),
            ..Default::default()
        };
        cfg.services
            .insert("vpc".into(), "https://vpc.internal.example/".into());
        cfg.services.insert(
            "cos".into(),
            "https://{bucket}.cos.{region}.yun.example".into(),
        );
        cfg.api_versions.insert("cvm".into(), "2017-03-12".into());
        let mut opts = BTreeMap::new();
        opts.insert("endpoint_style".to_string(), "regional".to_string());
        let ep = Endpoints::from_config(&cfg, &opts).unwrap();
        assert_eq!(
            ep.api_base_url("cvm", Some("ap-x")),
            "https://cvm.ap-x.tce.example.com"
        );
        assert_eq!(ep.api_base_url("cvm", None), "https://cvm.tce.example.com");
        assert_eq!(
            ep.api_base_url("vpc", Some("ap-x")),
            "https://vpc.internal.example"
        );
        assert_eq!(ep.api_host("vpc", None), "vpc.internal.example");
        assert_eq!(
            ep.cos_bucket_url("b-1", "r1"),
            "https://b-1.cos.r1.yun.example"
        );

        let mut bad = EndpointConfig::default();
        bad.services
            .insert("cvm".into(), "http://127.0.0.1:9000".into());
        assert!(Endpoints::from_config(&bad, &BTreeMap::new()).is_err());
        bad.allow_http = true;
        let ep = Endpoints::from_config(&bad, &BTreeMap::new()).unwrap();
        assert_eq!(ep.api_host("cvm", None), "127.0.0.1:9000");
        let mut bad = EndpointConfig::default();
        bad.services.insert("cvm".into(), "not a url".into());
        assert!(Endpoints::from_config(&bad, &BTreeMap::new()).is_err());
    }

    #[test]
    fn bucket_names() {
        assert_eq!(
            cos_full_bucket_name("logs", Some("1250000000")),
            "logs-1250000000"
        );
        assert_eq!(
            cos_full_bucket_name("logs-1250000000", Some("1250000000")),
            "logs-1250000000"
        );
        assert_eq!(cos_full_bucket_name("my-logs", None), "my-logs");
    }

    #[test]
    fn expiry_margin() {
        let now = chrono::Utc::now();
        let mut c = Credentials::new("AKID", "k");
        assert!(!c.expires_within(now, 300));
        c.expires_at = Some(now + chrono::Duration::seconds(100));
        assert!(c.expires_within(now, 300));
        assert!(!c.expires_within(now, 50));
    }
}
