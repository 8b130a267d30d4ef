//! A small INI reader for the vendors' CLI credential files, and `~`
//! expansion against `HOME`.
//!
//! Format (as Python's `configparser` and the AWS CLI read these files):
//! `[section]` headers; `key = value` or `key: value` lines (split at the
//! first `=` or `:`, key and value trimmed, keys lower-cased); whole-line
//! comments starting with `#` or `;`; an indented line continues the
//! previous value (joined with `\n`). Keys before the first section go to
//! the section `""`. A repeated key keeps its last value. Inline comments
//! are not stripped (a secret may contain `#`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A parsed INI file. Its `Debug` shows section and key names only, since
/// values are usually secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Ini {
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Ini {
    /// Parse INI text. A line that is neither a section, a key, a comment nor
    /// a continuation is a `Config` error naming its line number (not its
    /// text, which may hold a secret).
    pub fn parse(text: &str) -> Result<Ini> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut section = String::new();
        let mut last_key: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                last_key = None;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indented = line.len() != trimmed.len();
            if indented {
                if let Some(k) = &last_key {
                    if let Some(v) = sections.get_mut(&section).and_then(|s| s.get_mut(k)) {
                        if !v.is_empty() {
                            v.push('\n');
                        }
                        v.push_str(trimmed);
                        continue;
                    }
                }
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(Error::config(format!(
                        "line {}: section header without closing `]`",
                        n + 1
                    )));
                };
                section = name.trim().to_string();
                sections.entry(section.clone()).or_default();
                last_key = None;
                continue;
            }
            let split = trimmed.find(['=', ':']);
            let Some(at) = split.filter(|&i| i > 0) else {
                return Err(Error::config(format!(
                    "line {}: expected `key = value`, `[section]` or a comment",
                    n + 1
                )));
            };
            let key = trimmed[..at].trim().to_ascii_lowercase();
            let value = trimmed[at + 1..].trim().to_string();
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(Ini { sections })
    }

    /// The keys of `section`.
    pub fn section(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.sections.get(name)
    }

    /// The value of `key` (any case) in `section`.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.sections
            .get(section)?
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Section names, sorted.
    pub fn sections(&self) -> impl Iterator<Item = &str> {
        self.sections.keys().map(String::as_str)
    }
}

impl fmt::Debug for Ini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.sections
                    .iter()
                    .map(|(s, kv)| (s, kv.keys().collect::<Vec<_>>())),
            )
            .finish()
    }
}

/// Read and parse an INI file; `Ok(None)` when it does not exist. Errors
/// name the file.
pub fn read_ini(path: impl AsRef<Path>) -> Result<Option<Ini>> {
    let path = path.as_ref();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(
                Error::config(format!("cannot read {}: {e}", path.display())).with_source(e),
            );
        }
    };
    Ini::parse(&text)
        .map(Some)
        .map_err(|e| Error::config(format!("{}: {}", path.display(), e.message())))
}

/// The home directory: `HOME`, else `USERPROFILE` (Windows).
pub fn home_dir() -> Option<PathBuf> {
    ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Expand a leading `~` (alone or followed by `/` or `\`) with
/// [`home_dir`]. Other paths are returned as they are.
pub fn expand_home(path: &str) -> Result<PathBuf> {
    expand_home_with(path, home_dir().as_deref())
}

/// Expand a leading `~` with `home`; a `~` path without a home directory is
/// a `Config` error.
pub fn expand_home_with(path: &str, home: Option<&Path>) -> Result<PathBuf> {
    let rest = match path.strip_prefix('~') {
        Some("") => "",
        Some(r) if r.starts_with('/') || r.starts_with('\\') => &r[1..],
        _ => return Ok(PathBuf::from(path)),
    };
    let home = home.ok_or_else(|| {
        Error::config(format!(
            "cannot expand `{path}`: neither HOME nor USERPROFILE is set"
        ))
    })?;
    Ok(if rest.is_empty() {
        home.to_path_buf()
    } else {
        home.join(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tencent_credentials_file() {
        // Layout of ~/.tencentcloud/credentials as the Tencent Cloud SDK's
        // ProfileCredential reads it (configparser).
        let text = "[default]\nsecret_id = AKIDdefault\nsecret_key = keyA==\n\n\
                    # comment\n; another\n[prod]\nsecret_id=AKIDprod\nsecret_key: k:with:colons\n";
        let ini = Ini::parse(text).unwrap();
        assert_eq!(ini.get("default", "secret_id"), Some("AKIDdefault"));
        assert_eq!(ini.get("default", "SECRET_KEY"), Some("keyA=="));
        assert_eq!(ini.get("prod", "secret_id"), Some("AKIDprod"));
        assert_eq!(ini.get("prod", "secret_key"), Some("k:with:colons"));
        assert_eq!(ini.sections().collect::<Vec<_>>(), vec!["default", "prod"]);
        assert_eq!(ini.get("missing", "secret_id"), None);
    }

    #[test]
    fn aws_style_profiles_and_continuations() {
        let text = "[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\naws_secret_access_key = a#b\n";
        let ini = Ini::parse(text).unwrap();
        assert_eq!(ini.get("profile dev", "region"), Some("eu-west-1"));
        assert_eq!(
            ini.get("profile dev", "s3"),
            Some("max_concurrent_requests = 10\naddressing_style = path")
        );
        // no inline comment stripping
        assert_eq!(ini.get("profile dev", "aws_secret_access_key"), Some("a#b"));
    }

    #[test]
    fn bad_line_names_line_not_content() {
        let err = Ini::parse("[default]\nsecret_key = ok\nTOPSECRETVALUE\n").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.message().contains("line 3"), "{}", err.message());
        assert!(!err.to_string().contains("TOPSECRETVALUE"));
        assert!(Ini::parse("[unterminated\n").is_err());
        assert!(Ini::parse("= value\n").is_err());
    }

    #[test]
    fn debug_hides_values() {
        let ini = Ini::parse("[default]\nsecret_key = hunter2\n").unwrap();
        let dbg = format!("{ini:?}");
        assert!(dbg.contains("secret_key"));
        assert!(!dbg.contains("hunter2"));
    }

    #[test]
    fn read_ini_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_ini(dir.path().join("nope")).unwrap().is_none());
        let p = dir.path().join("credentials");
        std::fs::write(&p, "[default]\nsecret_id = x\n").unwrap();
        let ini = read_ini(&p).unwrap().unwrap();
        assert_eq!(ini.get("default", "secret_id"), Some("x"));
        std::fs::write(&p, "garbage line\n").unwrap();
        let err = read_ini(&p).unwrap_err();
        assert!(
            err.message().contains("credentials: line 1"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn tilde_expansion() {
        let home = Path::new("/tmp/fake-home");
        assert_eq!(
            expand_home_with("~/.tencentcloud/credentials", Some(home)).unwrap(),
            home.join(".tencentcloud/credentials")
        );
        assert_eq!(expand_home_with("~", Some(home)).unwrap(), home);
        assert_eq!(
            expand_home_with("/etc/x", Some(home)).unwrap(),
            PathBuf::from("/etc/x")
        );
        assert_eq!(
            expand_home_with("~other/x", Some(home)).unwrap(),
            PathBuf::from("~other/x")
        );
        let err = expand_home_with("~/x", None).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
    }
}
