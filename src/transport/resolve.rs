//! Resolve-override: send every request whose host matches a pattern to a
//! fixed socket address (the local simulator, a private gateway), while the
//! URL, the `Host` header and TLS SNI keep the real name.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{Error, Result};

/// Host-pattern → address table, used as reqwest's DNS resolver.
///
/// Patterns (case-insensitive, a trailing dot ignored):
/// - `cvm.tencentcloudapi.com`: exactly that host;
/// - `*.aliyuncs.com`: any host *below* `aliyuncs.com`, at any depth
///   (`ecs.cn-hangzhou.aliyuncs.com`, `bkt.oss-cn-hangzhou.aliyuncs.com`),
///   but not `aliyuncs.com` itself;
/// - `*`: every host.
///
/// The most specific pattern wins: exact, then the longest suffix, then `*`.
/// Addresses are `ip:port` (`127.0.0.1:8443`, `[::1]:8443`) or a bare IP,
/// which keeps the URL's port (or the scheme's). A port written in the URL
/// always wins over the override's port. Hosts that match nothing are
/// resolved through the system resolver. URLs whose host is an IP literal
/// are never resolved, so never overridden.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveOverride {
    exact: HashMap<String, SocketAddr>,
    /// (".suffix", address), longest suffix first.
    suffixes: Vec<(String, SocketAddr)>,
    any: Option<SocketAddr>,
}

impl ResolveOverride {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// A table from the accounts file's `resolve` map (pattern → address).
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Self> {
        let mut table = Self::new();
        for (pattern, addr) in map {
            table.insert(pattern, parse_addr(addr)?)?;
        }
        Ok(table)
    }

    /// Add (or replace) one pattern.
    pub fn insert(&mut self, pattern: &str, addr: SocketAddr) -> Result<()> {
        if pattern.trim().ends_with("*.") {
            return Err(bad_pattern(pattern));
        }
        let p = normalize(pattern);
        if p == "*" {
            self.any = Some(addr);
            return Ok(());
        }
        if let Some(suffix) = p.strip_prefix("*.") {
            if suffix.is_empty() || suffix.contains('*') {
                return Err(bad_pattern(pattern));
            }
            let dotted = format!(".{suffix}");
            self.suffixes.retain(|(s, _)| *s != dotted);
            self.suffixes.push((dotted, addr));
            self.suffixes.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
            return Ok(());
        }
        if p.is_empty() || p.contains('*') {
            return Err(bad_pattern(pattern));
        }
        self.exact.insert(p, addr);
        Ok(())
    }

    /// Whether no pattern is set.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.suffixes.is_empty() && self.any.is_none()
    }

    /// The override for `host`, if a pattern matches.
    pub fn lookup(&self, host: &str) -> Option<SocketAddr> {
        let h = normalize(host);
        if let Some(a) = self.exact.get(&h) {
            return Some(*a);
        }
        self.suffixes
            .iter()
            .find(|(suffix, _)| h.len() > suffix.len() && h.ends_with(suffix.as_str()))
            .map(|(_, a)| *a)
            .or(self.any)
    }
}

impl Resolve for ResolveOverride {
    fn resolve(&self, name: Name) -> Resolving {
        if let Some(addr) = self.lookup(name.as_str()) {
            tracing::trace!(host = name.as_str(), %addr, "resolve override");
            let addrs: Addrs = Box::new(std::iter::once(addr));
            return Box::pin(std::future::ready(Ok(addrs)));
        }
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addrs: Addrs = Box::new(found.collect::<Vec<_>>().into_iter());
            Ok(addrs)
        })
    }
}

fn normalize(s: &str) -> String {
    s.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn bad_pattern(p: &str) -> Error {
    Error::config(format!(
        "resolve pattern {p:?} must be a host name, `*.domain` or `*`"
    ))
}

fn parse_addr(s: &str) -> Result<SocketAddr> {
    let t = s.trim();
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 0));
    }
    Err(Error::config(format!(
        "resolve address {s:?} must be `ip:port` or an IP address"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn table() -> ResolveOverride {
        let mut m = BTreeMap::new();
        m.insert("*.aliyuncs.com".into(), "127.0.0.1:1001".into());
        m.insert(
            "*.oss-cn-hangzhou.aliyuncs.com".into(),
            "127.0.0.1:1002".into(),
        );
        m.insert("cvm.tencentcloudapi.com".into(), "127.0.0.1:1003".into());
        m.insert("*.myqcloud.com".into(), "[::1]:1004".into());
        ResolveOverride::from_map(&m).unwrap()
    }

    #[test]
    fn patterns_match_most_specific() {
        let t = table();
        let port = |h: &str| t.lookup(h).map(|a| a.port());
        assert_eq!(port("ecs.cn-hangzhou.aliyuncs.com"), Some(1001));
        assert_eq!(port("bkt.oss-cn-hangzhou.aliyuncs.com"), Some(1002));
        assert_eq!(port("aliyuncs.com"), None);
        assert_eq!(port("evilaliyuncs.com"), None);
        assert_eq!(port("CVM.TencentCloudAPI.com."), Some(1003));
        assert_eq!(port("cvm.ap-guangzhou.tencentcloudapi.com"), None);
        assert_eq!(port("bkt-123.cos.ap-guangzhou.myqcloud.com"), Some(1004));
        let mut t = t;
        t.insert("*", "127.0.0.1:1005".parse().unwrap()).unwrap();
        assert_eq!(t.lookup("example.org").map(|a| a.port()), Some(1005));
        assert_eq!(t.lookup("ecs.aliyuncs.com").map(|a| a.port()), Some(1001));
    }

    #[test]
    fn bad_entries_are_config_errors() {
        for (p, a) in [
            ("a.*.com", "127.0.0.1:1"),
            ("*.", "127.0.0.1:1"),
            ("", "127.0.0.1:1"),
            ("ok.example", "localhost:80"),
            ("ok.example", "nonsense"),
        ] {
            let mut m = BTreeMap::new();
            m.insert(p.to_string(), a.to_string());
            let e = ResolveOverride::from_map(&m).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{p} {a}");
        }
        let mut m = BTreeMap::new();
        m.insert("x.example".to_string(), "10.0.0.1".to_string());
        let t = ResolveOverride::from_map(&m).unwrap();
        assert_eq!(t.lookup("x.example"), Some("10.0.0.1:0".parse().unwrap()));
    }

    #[tokio::test]
    async fn resolver_returns_override() {
        let t = table();
        let name: Name = "ecs.cn-beijing.aliyuncs.com".parse().unwrap();
        let addrs: Vec<_> = t.resolve(name).await.unwrap().collect();
        assert_eq!(addrs, vec!["127.0.0.1:1001".parse::<SocketAddr>().unwrap()]);
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = t.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
