//! Endpoint resolution as data.
//!
//! Each provider describes its public endpoints with an [`EndpointTable`]:
//! a domain (`aliyuncs.com`), a default host pattern for regional services
//! (`{service}.{region}.{domain}`), one for global services
//! (`{service}.{domain}`), per-service patterns, and exceptions by region
//! glob. An [`EndpointResolver`] applies an account's
//! [`EndpointConfig`] on top:
//!
//! 1. a per-service URL override wins: `endpoints.services."ecs.cn-hangzhou"`
//!    (that region only), else `endpoints.services.ecs`; `{region}`,
//!    `{service}` and `{domain}` in it are filled in; it must be `https://`
//!    unless `endpoints.allow_http` is set;
//! 2. otherwise the table's pattern for the service and region is filled in,
//!    with `endpoints.cloud_domain` (if set) in place of the table's domain,
//!    and the result is `https://{host}/`.
//!
//! API version pins are looked up with [`EndpointResolver::api_version`].

use std::collections::{BTreeMap, BTreeSet};

use globset::GlobMatcher;
use url::Url;

use crate::config::EndpointConfig;
use crate::error::{Error, Result};

/// Placeholder for the service name in a host pattern.
pub const SERVICE: &str = "{service}";
/// Placeholder for the region id in a host pattern.
pub const REGION: &str = "{region}";
/// Placeholder for the cloud's domain in a host pattern.
pub const DOMAIN: &str = "{domain}";

#[derive(Debug, Clone)]
struct RegionRule {
    service: GlobMatcher,
    region: GlobMatcher,
    pattern: String,
}

/// A case-insensitive glob; text that is not a valid glob matches literally.
fn matcher(glob: &str) -> Option<GlobMatcher> {
    globset::GlobBuilder::new(glob)
        .case_insensitive(true)
        .build()
        .or_else(|_| globset::Glob::new(&globset::escape(glob)))
        .ok()
        .map(|g| g.compile_matcher())
}

/// A provider's default endpoints, as data.
#[derive(Debug, Clone)]
pub struct EndpointTable {
    domain: String,
    regional: String,
    global: String,
    global_services: BTreeSet<String>,
    services: BTreeMap<String, String>,
    rules: Vec<RegionRule>,
}

impl EndpointTable {
    /// A table for `domain`, with the patterns `{service}.{region}.{domain}`
    /// (regional) and `{service}.{domain}` (global).
    pub fn new(domain: impl Into<String>) -> Self {
        EndpointTable {
            domain: domain.into(),
            regional: "{service}.{region}.{domain}".to_string(),
            global: "{service}.{domain}".to_string(),
            global_services: BTreeSet::new(),
            services: BTreeMap::new(),
            rules: Vec::new(),
        }
    }

    /// Replace the default pattern of regional services.
    pub fn regional_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.regional = pattern.into();
        self
    }

    /// Replace the default pattern of global services.
    pub fn global_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.global = pattern.into();
        self
    }

    /// Mark `service` as global: it uses the global pattern, without region.
    pub fn global(mut self, service: impl Into<String>) -> Self {
        self.global_services.insert(service.into());
        self
    }

    /// Give `service` its own host pattern (`oss-{region}.{domain}`). A
    /// pattern without `{region}` makes the service global.
    pub fn service(mut self, service: impl Into<String>, pattern: impl Into<String>) -> Self {
        self.services.insert(service.into(), pattern.into());
        self
    }

    /// An exception: services matching `service_glob` (`*` for all) in
    /// regions matching `region_glob` use `pattern`. Rules are tried in the
    /// order they were added, before the per-service and default patterns.
    pub fn region_rule(
        mut self,
        service_glob: &str,
        region_glob: &str,
        pattern: impl Into<String>,
    ) -> Self {
        if let (Some(service), Some(region)) = (matcher(service_glob), matcher(region_glob)) {
            self.rules.push(RegionRule {
                service,
                region,
                pattern: pattern.into(),
            });
        }
        self
    }

    /// The cloud's public domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Whether `service` needs no region.
    pub fn is_global(&self, service: &str) -> bool {
        match self.services.get(service) {
            Some(p) => !p.contains(REGION),
            None => self.global_services.contains(service),
        }
    }

    /// The host pattern for `service` in `region` (`""` for global services).
    pub fn pattern(&self, service: &str, region: &str) -> &str {
        if !region.is_empty() {
            if let Some(rule) = self
                .rules
                .iter()
                .find(|r| r.service.is_match(service) && r.region.is_match(region))
            {
                return &rule.pattern;
            }
        }
        if let Some(p) = self.services.get(service) {
            return p;
        }
        if self.global_services.contains(service) {
            &self.global
        } else {
            &self.regional
        }
    }
}

/// Resolves base URLs from a provider's table and an account's overrides.
#[derive(Debug, Clone)]
pub struct EndpointResolver {
    table: EndpointTable,
    config: EndpointConfig,
}

impl EndpointResolver {
    /// Combine a provider's table with an account's overrides.
    pub fn new(table: EndpointTable, config: &EndpointConfig) -> Self {
        EndpointResolver {
            table,
            config: config.clone(),
        }
    }

    /// A resolver without overrides.
    pub fn defaults(table: EndpointTable) -> Self {
        Self::new(table, &EndpointConfig::default())
    }

    /// The provider's table.
    pub fn table(&self) -> &EndpointTable {
        &self.table
    }

    /// The account's overrides.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The domain in effect: `cloud_domain` if set, else the table's.
    pub fn domain(&self) -> &str {
        self.config
            .cloud_domain
            .as_deref()
            .unwrap_or(&self.table.domain)
    }

    /// The pinned API version of `service`, or `default`.
    pub fn api_version<'a>(&'a self, service: &str, default: &'a str) -> &'a str {
        self.config.api_version(service, default)
    }

    /// The per-service override URL text for `service` in `region`, if any.
    pub fn override_for(&self, service: &str, region: &str) -> Option<&str> {
        let specific = if region.is_empty() {
            None
        } else {
            self.config.services.get(&format!("{service}.{region}"))
        };
        specific
            .or_else(|| self.config.services.get(service))
            .map(String::as_str)
    }

    /// The base URL of a global service.
    pub fn resolve_global(&self, service: &str) -> Result<Url> {
        self.resolve(service, "")
    }

    /// The base URL of `service` in `region` (`""` for a global service).
    /// Errors: a regional service without region, a region id with
    /// characters other than letters, digits, `-` and `_`
    /// (`InvalidArgument`); an override that is not a valid https URL
    /// (`Config`).
    pub fn resolve(&self, service: &str, region: &str) -> Result<Url> {
        if !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::invalid_argument(format!(
                "`{region}` is not a region id"
            )));
        }
        if let Some(text) = self.override_for(service, region) {
            let filled = self.fill(text, service, region)?;
            crate::config::validate::check_service_url(&filled, self.config.allow_http)
                .map_err(|m| Error::config(format!("endpoints.services.{service}: {m}")))?;
            return Url::parse(&filled).map_err(|e| {
                Error::config(format!("endpoints.services.{service}: not a URL: {e}"))
            });
        }
        let host = self.fill(self.table.pattern(service, region), service, region)?;
        Url::parse(&format!("https://{host}/")).map_err(|e| {
            Error::config(format!(
                "endpoint of `{service}` in `{region}`: `{host}` is not a host name: {e}"
            ))
        })
    }

    fn fill(&self, pattern: &str, service: &str, region: &str) -> Result<String> {
        if pattern.contains(REGION) && region.is_empty() {
            return Err(Error::invalid_argument(format!(
                "service `{service}` is regional: a region is needed to find its endpoint"
            )));
        }
        Ok(pattern
            .replace(SERVICE, service)
            .replace(REGION, region)
            .replace(DOMAIN, self.domain()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// An Alibaba-like table: regional `{service}.{region}.aliyuncs.com`,
    /// central endpoints for some regions, OSS with its own pattern, RAM global.
    fn alibaba_like() -> EndpointTable {
        EndpointTable::new("aliyuncs.com")
            .global("ram")
            .service("oss", "oss-{region}.{domain}")
            .region_rule("ecs", "cn-hangzhou", "ecs.{domain}")
    }

    /// A Tencent-like table: `{service}.tencentcloudapi.com` everywhere,
    /// `{service}.{region}.tencentcloudapi.com` for financial regions.
    fn tencent_like() -> EndpointTable {
        EndpointTable::new("tencentcloudapi.com")
            .regional_pattern("{service}.{domain}")
            .region_rule("*", "*-fsi", "{service}.{region}.{domain}")
    }

    fn cfg(domain: Option<&str>, services: &[(&str, &str)], allow_http: bool) -> EndpointConfig {
        EndpointConfig {
            cloud_domain: domain.map(str::to_string),
            services: services
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            api_versions: [("ecs".to_string(), "2014-05-26".to_string())].into(),
            allow_http,
        }
    }

    /// (overrides, table, service, region, expected URL)
    type Case<'a> = (
        &'a EndpointConfig,
        fn() -> EndpointTable,
        &'a str,
        &'a str,
        &'a str,
    );

    #[test]
    fn resolution_table() {
        let none = cfg(None, &[], false);
        let private = cfg(Some("private.example"), &[], false);
        let per_service = cfg(
            Some("private.example"),
            &[
                ("ecs", "https://ecs-gw.corp.example/api"),
                ("ecs.cn-shanghai", "https://sh.corp.example"),
                ("vpc", "https://vpc.{region}.corp.example"),
            ],
            false,
        );
        let http = cfg(None, &[("ecs", "http://127.0.0.1:9000")], true);
        #[rustfmt::skip]
        let cases: Vec<Case<'_>> = vec![
            (&none, alibaba_like, "ecs", "cn-beijing", "https://ecs.cn-beijing.aliyuncs.com/"),
            (&none, alibaba_like, "ecs", "cn-hangzhou", "https://ecs.aliyuncs.com/"),
            (&none, alibaba_like, "vpc", "cn-hangzhou", "https://vpc.cn-hangzhou.aliyuncs.com/"),
            (&none, alibaba_like, "oss", "cn-beijing", "https://oss-cn-beijing.aliyuncs.com/"),
            (&none, alibaba_like, "ram", "", "https://ram.aliyuncs.com/"),
            (&none, alibaba_like, "ram", "cn-beijing", "https://ram.aliyuncs.com/"),
            (&private, alibaba_like, "ecs", "cn-beijing", "https://ecs.cn-beijing.private.example/"),
            (&private, alibaba_like, "ram", "", "https://ram.private.example/"),
            (&private, alibaba_like, "oss", "r1", "https://oss-r1.private.example/"),
            (&per_service, alibaba_like, "ecs", "cn-beijing", "https://ecs-gw.corp.example/api"),
            (&per_service, alibaba_like, "ecs", "cn-shanghai", "https://sh.corp.example/"),
            (&per_service, alibaba_like, "vpc", "r9", "https://vpc.r9.corp.example/"),
            (&per_service, alibaba_like, "slb", "r9", "https://slb.r9.private.example/"),
            (&http, alibaba_like, "ecs", "cn-beijing", "http://127.0.0.1:9000/"),
            (&none, tencent_like, "cvm", "ap-guangzhou", "https://cvm.tencentcloudapi.com/"),
            (&none, tencent_like, "cvm", "ap-shanghai-fsi", "https://cvm.ap-shanghai-fsi.tencentcloudapi.com/"),
            (&private, tencent_like, "cvm", "ap-guangzhou", "https://cvm.private.example/"),
        ];
        for (config, table, service, region, want) in cases {
            let r = EndpointResolver::new(table(), config);
            let got = r.resolve(service, region).map(|u| u.to_string());
            assert_eq!(
                got.ok().as_deref(),
                Some(want),
                "{service} {region} {config:?}"
            );
        }
    }

    #[test]
    fn http_override_needs_allow_http() {
        let r = EndpointResolver::new(
            alibaba_like(),
            &cfg(None, &[("ecs", "http://127.0.0.1:9000")], false),
        );
        let err = r.resolve("ecs", "cn-beijing").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("allow_http"), "{}", err.message());
        // other services are unaffected
        assert!(r.resolve("vpc", "cn-beijing").is_ok());
    }

    #[test]
    fn regional_service_needs_region() {
        let r = EndpointResolver::defaults(alibaba_like());
        let err = r.resolve_global("ecs").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let err = r.resolve("ecs", "cn-beijing.evil.example/x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(r.table().is_global("ram"));
        assert!(!r.table().is_global("oss"));
    }

    #[test]
    fn api_version_pins() {
        let r = EndpointResolver::new(alibaba_like(), &cfg(None, &[], false));
        assert_eq!(r.api_version("ecs", "2000-01-01"), "2014-05-26");
        assert_eq!(r.api_version("vpc", "2016-04-28"), "2016-04-28");
        assert_eq!(r.domain(), "aliyuncs.com");
    }
}
