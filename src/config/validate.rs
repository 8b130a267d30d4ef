//! Checks that serde cannot express: unique names, globs that compile,
//! URLs, credential sources, transport values. Messages never contain a
//! secret value (only key paths, and URLs with passwords masked).

use std::collections::HashMap;
use std::fmt;

use super::{AccountConfig, AccountsFile, CredentialConfig, CredentialSourceKind, TransportConfig};
use crate::error::{Error, Result};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A key path, printed as `account[1].endpoints.services."ecs.cn-hangzhou"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    fn key(&self, k: &str) -> KeyPath {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        KeyPath(v)
    }
    fn index(&self, i: usize) -> KeyPath {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        KeyPath(v)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A problem at a key path.
#[derive(Debug, Clone)]
pub(super) struct Issue {
    pub path: KeyPath,
    pub message: String,
}

fn issue(out: &mut Vec<Issue>, path: KeyPath, message: impl Into<String>) {
    out.push(Issue {
        path,
        message: message.into(),
    });
}

/// Render issues without line numbers.
pub(super) fn into_result(issues: Vec<Issue>) -> Result<()> {
    if issues.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = issues
        .iter()
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect();
    Err(Error::config(lines.join("\n")))
}

/// Every problem of the file, in file order.
pub(super) fn file(f: &AccountsFile) -> Vec<Issue> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let root = KeyPath::default().key("account");
    for (i, a) in f.accounts.iter().enumerate() {
        let p = root.index(i);
        if let Some(first) = seen.get(a.name.as_str()) {
            issue(
                &mut out,
                p.key("name"),
                format!(
                    "duplicate account name `{}` (first used by account[{first}])",
                    a.name
                ),
            );
        } else {
            seen.insert(a.name.as_str(), i);
        }
        out.extend(account(a, &p.0));
    }
    out
}

/// Every problem of one account; `prefix` is its path in the file.
pub(super) fn account(a: &AccountConfig, prefix: &[Seg]) -> Vec<Issue> {
    let mut out = Vec::new();
    let p = KeyPath(prefix.to_vec());
    if a.name.trim().is_empty() {
        issue(&mut out, p.key("name"), "must not be empty");
    }
    regions(a, &p.key("regions"), &mut out);
    credentials(&a.credentials, &p.key("credentials"), &mut out);
    endpoints(a, &p.key("endpoints"), &mut out);
    transport(&a.transport, &p.key("transport"), &mut out);
    for k in a.options.keys() {
        if k.trim().is_empty() {
            issue(&mut out, p.key("options"), "option names must not be empty");
        }
    }
    out
}

fn regions(a: &AccountConfig, p: &KeyPath, out: &mut Vec<Issue>) {
    for (field, list) in [
        ("include", &a.regions.include),
        ("exclude", &a.regions.exclude),
    ] {
        for (i, g) in list.iter().enumerate() {
            if let Err(e) = super::region::glob(g) {
                issue(
                    out,
                    p.key(field).index(i),
                    format!("invalid glob `{g}`: {}", e.kind()),
                );
            }
        }
    }
}

fn credentials(c: &CredentialConfig, p: &KeyPath, out: &mut Vec<Issue>) {
    use CredentialSourceKind as K;
    let src = &c.source;
    let only_for = |out: &mut Vec<Issue>, field: &str, set: bool, kinds: &[K], hint: &str| {
        if set && !kinds.contains(src) {
            issue(
                out,
                p.key(field),
                format!("is only used with {hint}, but credentials.source is `{src}`"),
            );
        }
    };
    let keys = c.access_key_id.is_some()
        || c.secret_access_key.is_some()
        || c.access_key_id_env.is_some()
        || c.secret_access_key_env.is_some()
        || c.session_token.is_some();
    if keys && *src != K::Static {
        let field = if c.access_key_id.is_some() {
            "access_key_id"
        } else if c.access_key_id_env.is_some() {
            "access_key_id_env"
        } else if c.secret_access_key.is_some() {
            "secret_access_key"
        } else if c.secret_access_key_env.is_some() {
            "secret_access_key_env"
        } else {
            "session_token"
        };
        issue(
            out,
            p.key(field),
            format!("is only used with source = \"static\", but credentials.source is `{src}`"),
        );
    }
    only_for(
        out,
        "profile",
        c.profile.is_some(),
        &[K::Default, K::Profile],
        "source = \"profile\" or \"default\"",
    );
    for (field, set) in [
        ("role_arn", c.role_arn.is_some()),
        ("role_session_name", c.role_session_name.is_some()),
        ("external_id", c.external_id.is_some()),
        ("base", c.base.is_some()),
    ] {
        only_for(
            out,
            field,
            set,
            &[K::AssumeRole],
            "source = \"assume_role\"",
        );
    }
    match src {
        K::Static => {
            match (&c.access_key_id, &c.access_key_id_env) {
                (None, None) => issue(
                    out,
                    p.key("source"),
                    "source = \"static\" needs access_key_id or access_key_id_env",
                ),
                (Some(_), Some(_)) => issue(
                    out,
                    p.key("access_key_id_env"),
                    "set access_key_id or access_key_id_env, not both",
                ),
                (Some(id), None) if id.trim().is_empty() => {
                    issue(out, p.key("access_key_id"), "must not be empty");
                }
                _ => {}
            }
            match (&c.secret_access_key, &c.secret_access_key_env) {
                (None, None) => issue(
                    out,
                    p.key("source"),
                    "source = \"static\" needs secret_access_key or secret_access_key_env",
                ),
                (Some(_), Some(_)) => issue(
                    out,
                    p.key("secret_access_key_env"),
                    "set secret_access_key or secret_access_key_env, not both",
                ),
                (Some(s), None) if s.is_empty() => {
                    issue(out, p.key("secret_access_key"), "must not be empty");
                }
                _ => {}
            }
            for (field, var) in [
                ("access_key_id_env", &c.access_key_id_env),
                ("secret_access_key_env", &c.secret_access_key_env),
            ] {
                if let Some(v) = var {
                    if !valid_env_name(v) {
                        issue(
                            out,
                            p.key(field),
                            format!("`{v}` is not an environment variable name"),
                        );
                    }
                }
            }
        }
        K::Profile => {
            if c.profile.as_deref().is_some_and(|s| s.trim().is_empty()) {
                issue(out, p.key("profile"), "must not be empty");
            }
        }
        K::AssumeRole => {
            match &c.role_arn {
                None => issue(
                    out,
                    p.key("source"),
                    "source = \"assume_role\" needs role_arn",
                ),
                Some(r) if r.trim().is_empty() => {
                    issue(out, p.key("role_arn"), "must not be empty")
                }
                Some(_) => {}
            }
            if let Some(base) = &c.base {
                credentials(base, &p.key("base"), out);
            }
        }
        K::Default | K::Env | K::InstanceMetadata => {}
    }
}

fn valid_env_name(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn endpoints(a: &AccountConfig, p: &KeyPath, out: &mut Vec<Issue>) {
    let e = &a.endpoints;
    if let Some(d) = &e.cloud_domain {
        if let Err(msg) = check_domain(d) {
            issue(out, p.key("cloud_domain"), msg);
        }
    }
    for (service, url) in &e.services {
        let path = p.key("services").key(service);
        if service.trim().is_empty() {
            issue(out, path.clone(), "service names must not be empty");
        }
        if let Err(msg) = check_service_url(url, e.allow_http) {
            issue(out, path, msg);
        }
    }
    for (service, v) in &e.api_versions {
        if v.trim().is_empty() {
            issue(out, p.key("api_versions").key(service), "must not be empty");
        }
    }
}

/// A bare domain name such as `cloud.example.com` (no scheme, port or path).
pub(crate) fn check_domain(d: &str) -> std::result::Result<(), String> {
    let bad = d.is_empty()
        || d.contains("://")
        || d.chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | ':' | '@' | '?' | '#' | '{' | '}'))
        || d.starts_with('.')
        || d.ends_with('.');
    if bad || url::Url::parse(&format!("https://x.{d}/")).is_err() {
        return Err(format!(
            "`{d}` is not a domain name (write it without scheme, port or path, e.g. `cloud.example.com`)"
        ));
    }
    Ok(())
}

/// A service base URL: absolute, https unless `allow_http`, no user info,
/// query or fragment. `{region}` may appear anywhere.
pub(crate) fn check_service_url(url: &str, allow_http: bool) -> std::result::Result<(), String> {
    let sample = url.replace("{region}", "region");
    let shown = super::de::redact_url(url);
    let u = url::Url::parse(&sample).map_err(|e| format!("`{shown}` is not a URL: {e}"))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(format!(
                "`{shown}` is plain http: use https, or set endpoints.allow_http = true"
            ));
        }
        other => return Err(format!("`{shown}`: scheme `{other}` is not http(s)")),
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{shown}` has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!(
            "`{shown}` carries user info; put credentials in [account.credentials]"
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!("`{shown}` must not have a query or fragment"));
    }
    Ok(())
}

fn transport(t: &TransportConfig, p: &KeyPath, out: &mut Vec<Issue>) {
    for (field, v) in [
        ("connect_timeout_ms", t.connect_timeout_ms),
        ("read_timeout_ms", t.read_timeout_ms),
        ("deadline_ms", t.deadline_ms),
    ] {
        if v == Some(0) {
            issue(out, p.key(field), "must be greater than 0");
        }
    }
    if t.max_attempts == Some(0) {
        issue(
            out,
            p.key("max_attempts"),
            "must be at least 1 (the first attempt counts)",
        );
    }
    if let Some(proxy) = &t.proxy {
        let shown = super::de::redact_url(proxy);
        match url::Url::parse(proxy) {
            Ok(u) if matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") => {}
            Ok(u) => issue(
                out,
                p.key("proxy"),
                format!(
                    "`{shown}`: scheme `{}` is not http, https, socks5 or socks5h",
                    u.scheme()
                ),
            ),
            Err(e) => issue(out, p.key("proxy"), format!("`{shown}` is not a URL: {e}")),
        }
    }
    if t.ca_file.as_deref().is_some_and(|s| s.trim().is_empty()) {
        issue(out, p.key("ca_file"), "must not be empty");
    }
    for (pattern, addr) in &t.resolve {
        let path = p.key("resolve").key(pattern);
        if let Err(e) = super::region::glob(pattern) {
            issue(
                out,
                path.clone(),
                format!("invalid host pattern `{pattern}`: {}", e.kind()),
            );
        }
        let ok = addr
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !ok {
            issue(
                out,
                path,
                format!("`{addr}` is not a host:port socket address"),
            );
        }
    }
    for (api, rate) in &t.rate_limits {
        if !(rate.is_finite() && *rate > 0.0) {
            issue(
                out,
                p.key("rate_limits").key(api),
                "must be a positive number of requests per second",
            );
        }
    }
}
