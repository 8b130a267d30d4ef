use super::*;
use crate::ErrorKind;
use crate::model::Region;

const GOOD: &str = r#"
[[account]]
name = "prod-gz"
provider = "tencent"
regions.include = ["ap-*"]
regions.exclude = ["ap-*-fsi"]
read_only = true

[account.credentials]
source = "static"
access_key_id = "AKIDEXAMPLE"
secret_access_key = "s3cr3t-VALUE-42"
session_token = "tok-VALUE-99"

[account.options]
app_id = 1250000000
client_secret = "opt-SECRET-7"

[[account]]
name = "lab"
provider = "aliyun"

[account.endpoints]
cloud_domain = "apsara.example"
services = { ecs = "https://ecs.apsara.example", "vpc.r1" = "http://10.0.0.1:8080" }
api_versions = { ecs = "2014-05-26" }
allow_http = true

[account.transport]
connect_timeout_ms = 2000
max_attempts = 5
proxy = "http://user:proxy-PASS-1@proxy.example:3128"
resolve = { "*.aliyuncs.com" = "127.0.0.1:9000" }
rate_limits = { DescribeInstances = 40 }
"#;

const SECRETS: [&str; 4] = [
    "s3cr3t-VALUE-42",
    "tok-VALUE-99",
    "opt-SECRET-7",
    "proxy-PASS-1",
];

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks `{s}`: {text}");
    }
}

fn err(text: &str) -> String {
    let e = AccountsFile::parse_named(text, "multicloud.toml").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    e.message().to_string()
}

#[test]
fn parses_a_good_file() {
    let f = AccountsFile::parse(GOOD).unwrap();
    assert_eq!(f.accounts.len(), 2);
    let a = &f.accounts[0];
    assert_eq!(a.name, "prod-gz");
    assert_eq!(a.provider, ProviderKind::Tencent);
    assert!(a.read_only);
    assert_eq!(a.regions.include, ["ap-*"]);
    assert_eq!(a.credentials.source, CredentialSourceKind::Static);
    assert_eq!(
        a.credentials.secret_access_key.as_ref().map(Secret::expose),
        Some("s3cr3t-VALUE-42")
    );
    assert_eq!(a.option("app_id"), Some("1250000000"));
    let b = f.account("lab").unwrap();
    assert_eq!(b.provider, ProviderKind::Alibaba, "aliases are accepted");
    assert_eq!(b.endpoints.api_version("ecs", "x"), "2014-05-26");
    assert_eq!(b.endpoints.api_version("vpc", "2016-04-28"), "2016-04-28");
    assert_eq!(b.transport.max_attempts, Some(5));
    assert_eq!(
        b.transport.rate_limits.get("DescribeInstances"),
        Some(&40.0)
    );
    assert!(f.validate().is_ok());
}

#[test]
fn wrong_type_names_line_and_key() {
    let text = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n\n[[account]]\nname = \"b\"\nprovider = \"aws\"\nregions.include = \"eu-*\"\n";
    let m = err(text);
    assert!(
        m.starts_with("multicloud.toml line 8: account[1].regions.include: "),
        "{m}"
    );
    assert!(m.contains("expected an array of strings"), "{m}");
}

#[test]
fn table_form_names_line_and_key() {
    let text =
        "[[account]]\nname = \"a\"\nprovider = \"aws\"\n[account.regions]\nexclude = [\"x\", 3]\n";
    let m = err(text);
    assert!(
        m.starts_with("multicloud.toml line 5: account[0].regions.exclude"),
        "{m}"
    );
}

#[test]
fn unknown_key_names_line_and_key() {
    let text = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n\n[account.transport]\nconect_timeout_ms = 5\n";
    let m = err(text);
    assert!(m.starts_with("multicloud.toml line 6: "), "{m}");
    assert!(m.contains("account[0].transport.conect_timeout_ms"), "{m}");
    assert!(m.contains("unknown field `conect_timeout_ms`"), "{m}");
}

#[test]
fn unknown_provider_is_named() {
    let m = err("[[account]]\nname = \"a\"\nprovider = \"gcp\"\n");
    assert!(
        m.starts_with("multicloud.toml line 3: account[0].provider: "),
        "{m}"
    );
    assert!(m.contains("unknown provider `gcp`"), "{m}");
}

#[test]
fn missing_name_points_at_the_account() {
    let m = err("[[account]]\nprovider = \"aws\"\n");
    assert!(m.contains("missing field `name`"), "{m}");
    assert!(m.contains("account[0]"), "{m}");
    assert!(m.contains("line 1"), "{m}");
}

#[test]
fn syntax_error_has_line() {
    let m = err("[[account]]\nname = \"a\"\nprovider = aws\n");
    assert!(m.starts_with("multicloud.toml line 3: "), "{m}");
}

#[test]
fn duplicate_names_rejected() {
    let text = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n[[account]]\nname = \"a\"\nprovider = \"azure\"\n";
    let m = err(text);
    assert_eq!(
        m,
        "multicloud.toml line 5: account[1].name: duplicate account name `a` (first used by account[0])"
    );
}

#[test]
fn bad_glob_rejected() {
    let text =
        "[[account]]\nname = \"a\"\nprovider = \"aws\"\nregions.include = [\"us-*\", \"eu-[\"]\n";
    let m = err(text);
    assert!(
        m.starts_with("multicloud.toml line 4: account[0].regions.include[1]: invalid glob `eu-[`"),
        "{m}"
    );
}

#[test]
fn service_urls_checked() {
    let base = "[[account]]\nname = \"a\"\nprovider = \"huawei\"\n[account.endpoints]\n";
    let m = err(&format!(
        "{base}services = {{ ecs = \"http://ecs.example\" }}\n"
    ));
    assert!(
        m.starts_with("multicloud.toml line 5: account[0].endpoints.services.ecs: "),
        "{m}"
    );
    assert!(m.contains("allow_http"), "{m}");
    let ok = format!("{base}allow_http = true\nservices = {{ ecs = \"http://ecs.example\" }}\n");
    assert!(AccountsFile::parse(&ok).is_ok());
    let m = err(&format!("{base}services = {{ ecs = \"not a url\" }}\n"));
    assert!(m.contains("is not a URL"), "{m}");
    let m = err(&format!(
        "{base}services = {{ ecs = \"ftp://x.example\" }}\n"
    ));
    assert!(m.contains("scheme `ftp`"), "{m}");
    let m = err(&format!(
        "{base}services = {{ ecs = \"https://u:url-PASS@x.example\" }}\n"
    ));
    assert!(!m.contains("url-PASS"), "{m}");
    let m = err(&format!("{base}cloud_domain = \"https://x.example/\"\n"));
    assert!(m.contains("account[0].endpoints.cloud_domain"), "{m}");
    let ok = format!("{base}services = {{ ecs = \"https://ecs.{{region}}.x.example\" }}\n");
    assert!(AccountsFile::parse(&ok).is_ok());
}

#[test]
fn credential_sources_checked() {
    let base = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n[account.credentials]\n";
    let m = err(&format!(
        "{base}source = \"static\"\naccess_key_id = \"AK\"\n"
    ));
    assert!(
        m.contains("account[0].credentials.source: source = \"static\" needs secret_access_key"),
        "{m}"
    );
    let m = err(&format!(
        "{base}access_key_id = \"AK\"\nsecret_access_key = \"cred-SECRET\"\n"
    ));
    assert!(
        m.contains("account[0].credentials.access_key_id: is only used with source = \"static\""),
        "{m}"
    );
    assert!(!m.contains("cred-SECRET"));
    let m = err(&format!("{base}source = \"assume_role\"\n"));
    assert!(m.contains("needs role_arn"), "{m}");
    let m = err(&format!("{base}source = \"magic\"\n"));
    assert!(m.contains("account[0].credentials.source"), "{m}");
    let ok = format!(
        "{base}source = \"assume_role\"\nrole_arn = \"arn:aws:iam::1:role/r\"\n[account.credentials.base]\nsource = \"static\"\naccess_key_id_env = \"MY_AK\"\nsecret_access_key_env = \"MY_SK\"\n"
    );
    assert!(
        AccountsFile::parse(&ok).is_ok(),
        "{:?}",
        AccountsFile::parse(&ok)
    );
    let m = err(&format!(
        "{base}source = \"assume_role\"\nrole_arn = \"r\"\n[account.credentials.base]\nsource = \"static\"\naccess_key_id_env = \"MY AK\"\nsecret_access_key_env = \"SK\"\n"
    ));
    assert!(
        m.contains("line 9: account[0].credentials.base.access_key_id_env"),
        "{m}"
    );
}

#[test]
fn secret_of_wrong_type_is_not_echoed() {
    let text = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n[account.credentials]\nsource = \"static\"\naccess_key_id = \"AK\"\nsecret_access_key = 982451653\n";
    let m = err(text);
    assert!(
        m.contains("account[0].credentials.secret_access_key"),
        "{m}"
    );
    assert!(m.contains("line 7"), "{m}");
    assert!(!m.contains("982451653"), "{m}");
}

#[test]
fn transport_values_checked() {
    let base = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n[account.transport]\n";
    for (line, key) in [
        ("max_attempts = 0", "max_attempts"),
        ("deadline_ms = 0", "deadline_ms"),
        ("proxy = \"gopher://x\"", "proxy"),
        ("resolve = { \"*\" = \"nope\" }", "resolve.\"*\""),
        (
            "rate_limits = { RunInstances = -1 }",
            "rate_limits.RunInstances",
        ),
    ] {
        let m = err(&format!("{base}{line}\n"));
        assert!(
            m.starts_with(&format!(
                "multicloud.toml line 5: account[0].transport.{key}: "
            )),
            "{line}: {m}"
        );
    }
}

#[test]
fn all_validation_problems_are_reported() {
    let text = "[[account]]\nname = \"\"\nprovider = \"aws\"\nregions.exclude = [\"[\"]\n";
    let m = err(text);
    assert_eq!(m.lines().count(), 2, "{m}");
    assert!(
        m.contains("line 2: account[0].name: must not be empty"),
        "{m}"
    );
    assert!(m.contains("line 4: account[0].regions.exclude[0]"), "{m}");
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("multicloud.toml");
    std::fs::write(&p, "[[account]]\nname = \"a\"\nprovider = \"x\"\n").unwrap();
    let e = AccountsFile::load(&p).unwrap_err();
    assert!(
        e.message()
            .starts_with(&format!("{} line 3: account[0].provider", p.display())),
        "{}",
        e.message()
    );
    let e = AccountsFile::load(dir.path().join("missing.toml")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("missing.toml"));
    std::fs::write(&p, GOOD).unwrap();
    assert_eq!(AccountsFile::load(&p).unwrap().accounts.len(), 2);
}

#[test]
fn example_file_parses() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/multicloud.example.toml"
    );
    let f = AccountsFile::load(path).unwrap();
    assert!(f.accounts.len() >= 6, "{f}");
    for kind in ProviderKind::ALL {
        assert!(
            f.accounts.iter().any(|a| a.provider == kind),
            "example has no {kind} account"
        );
    }
    // Every key of every struct appears in the example at least once.
    let text = std::fs::read_to_string(path).unwrap();
    for key in [
        "name",
        "provider",
        "read_only",
        "include",
        "exclude",
        "source",
        "profile",
        "access_key_id",
        "secret_access_key",
        "session_token",
        "access_key_id_env",
        "secret_access_key_env",
        "role_arn",
        "role_session_name",
        "external_id",
        "base",
        "cloud_domain",
        "services",
        "api_versions",
        "allow_http",
        "connect_timeout_ms",
        "read_timeout_ms",
        "deadline_ms",
        "max_attempts",
        "proxy",
        "ca_file",
        "resolve",
        "rate_limits",
        "options",
    ] {
        assert!(
            text.lines().any(|l| {
                let l = l.trim_start();
                !l.starts_with('#') && l.contains(key)
            }),
            "example does not set `{key}`"
        );
    }
}

#[test]
fn region_filter() {
    let f = RegionFilter::new(
        ["cn-*", "ap-southeast-1"],
        ["cn-*-finance-*", "cn-hongkong"],
    );
    for (region, want) in [
        ("cn-hangzhou", true),
        ("CN-Beijing", true),
        ("cn-hongkong", false),
        ("cn-shanghai-finance-1", false),
        ("ap-southeast-1", true),
        ("ap-southeast-2", false),
        ("us-east-1", false),
    ] {
        assert_eq!(f.matches(region), want, "{region}");
    }
    let all = RegionFilter::all();
    assert!(all.matches("anything") && all.is_all());
    let minus = RegionFilter::new(Vec::<String>::new(), ["us-gov-*"]);
    assert!(minus.matches("us-east-1"));
    assert!(!minus.matches("us-gov-west-1"));
    let regions: Vec<Region> = ["cn-hangzhou", "us-east-1", "cn-hongkong", "ap-southeast-1"]
        .iter()
        .map(|id| Region {
            provider: ProviderKind::Alibaba,
            id: id.to_string(),
            name: None,
            endpoint: None,
            enabled: true,
        })
        .collect();
    let kept: Vec<String> = f.filter(regions).into_iter().map(|r| r.id).collect();
    assert_eq!(kept, ["cn-hangzhou", "ap-southeast-1"]);
    assert_eq!(
        f.to_string(),
        "cn-*,ap-southeast-1 minus cn-*-finance-*,cn-hongkong"
    );
}

#[test]
fn region_filter_invalid_glob() {
    let f = RegionFilter::new(["eu-["], Vec::<String>::new());
    assert!(f.compile().is_err());
    // The lenient matcher takes the text literally, and never widens to all.
    assert!(f.matches("eu-["));
    assert!(!f.matches("eu-west-1"));
    let m = f.compile().unwrap_err().message().to_string();
    assert!(
        m.starts_with("regions.include[0]: invalid glob `eu-[`"),
        "{m}"
    );
}

#[test]
fn static_credentials_from_config_and_env() {
    let c = CredentialConfig::with_static("AK1", "sk1");
    let creds = c.static_credentials_with(|_| None).unwrap().unwrap();
    assert_eq!(creds.access_key_id, "AK1");
    assert_eq!(creds.secret.expose(), "sk1");
    let env_cfg = CredentialConfig {
        source: CredentialSourceKind::Static,
        access_key_id_env: Some("X_AK".into()),
        secret_access_key_env: Some("X_SK".into()),
        ..Default::default()
    };
    let env = |k: &str| match k {
        "X_AK" => Some("AK2".to_string()),
        "X_SK" => Some("env-SECRET".to_string()),
        _ => None,
    };
    let creds = env_cfg.static_credentials_with(env).unwrap().unwrap();
    assert_eq!(creds.access_key_id, "AK2");
    assert_eq!(creds.secret.expose(), "env-SECRET");
    let e = env_cfg.static_credentials_with(|_| None).unwrap_err();
    assert!(e.message().contains("`X_AK`"), "{}", e.message());
    assert!(
        CredentialConfig::default()
            .static_credentials_with(env)
            .unwrap()
            .is_none()
    );
}

#[test]
fn secrets_never_printed() {
    let f = AccountsFile::parse(GOOD).unwrap();
    let a = &f.accounts[0];
    let b = &f.accounts[1];
    let creds = a
        .credentials
        .static_credentials_with(|_| None)
        .unwrap()
        .unwrap();
    let secret = a.credentials.secret_access_key.clone().unwrap();
    let outputs = [
        ("Secret Debug", format!("{secret:?}")),
        ("Secret Display", format!("{secret}")),
        ("Credentials Debug", format!("{creds:?}")),
        ("Credentials Display", format!("{creds}")),
        ("CredentialConfig Debug", format!("{:?}", a.credentials)),
        ("CredentialConfig Display", format!("{}", a.credentials)),
        ("AccountConfig Debug", format!("{a:?}")),
        ("AccountConfig Display", format!("{a}")),
        ("AccountConfig Debug 2", format!("{b:#?}")),
        ("TransportConfig Debug", format!("{:?}", b.transport)),
        ("AccountsFile Debug", format!("{f:?}")),
        ("AccountsFile Display", format!("{f}")),
        ("AccountConfig JSON", serde_json::to_string(a).unwrap()),
        ("AccountsFile JSON", serde_json::to_string(&f).unwrap()),
        ("AccountsFile TOML", f.to_toml_redacted().unwrap()),
    ];
    for (what, text) in &outputs {
        assert_no_secret(what, text);
    }
    // The values are really there, masked (the test could fail).
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["credentials"]["secret_access_key"], "***");
    assert_eq!(json["credentials"]["session_token"], "***");
    assert_eq!(json["options"]["client_secret"], "***");
    assert_eq!(json["options"]["app_id"], "1250000000");
    assert_eq!(json["credentials"]["access_key_id"], "AKIDEXAMPLE");
    let jb = serde_json::to_value(b).unwrap();
    assert_eq!(
        jb["transport"]["proxy"],
        "http://user:***@proxy.example:3128/"
    );
    assert!(outputs[6].1.contains("AKIDEXAMPLE"));
    assert!(outputs[6].1.contains("app_id"));
}

#[test]
fn tracing_events_do_not_leak() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let f = AccountsFile::parse(GOOD).unwrap();
    let creds = f.accounts[0]
        .credentials
        .static_credentials_with(|_| None)
        .unwrap()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(config = ?f, "loaded accounts");
        tracing::info!(account = %f.accounts[0], creds = ?creds, "connecting");
        tracing::debug!("{:?} {}", f.accounts[1], creds);
    });
    let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.contains("loaded accounts") && out.contains("AKIDEXAMPLE"),
        "{out}"
    );
    assert_no_secret("tracing output", &out);
}

#[test]
fn syntax_errors_do_not_echo_values() {
    let head = "[[account]]\nname = \"a\"\nprovider = \"aws\"\n[account.credentials]\nsource = \"static\"\naccess_key_id = \"AK\"\n";
    for bad in [
        "secret_access_key = SEKRIT99",
        "secret_access_key = \"SEKRIT99",
        "secret_access_key = \"SEK\\qRIT99\"",
        "secret_access_key = 'SEKRIT99' junk",
        "secret_access_key = \"\"\"SEKRIT99",
        "secret_access_key = [\"SEKRIT99\"]",
        "secret_access_key = { v = \"SEKRIT99\" }",
        "secret_access_key = 1979-05-27T07:32:00Z",
        "secret_access_key = 99887766",
    ] {
        let m = err(&format!("{head}{bad}\n"));
        // (an unterminated multi-line string is reported where the file ends)
        assert!(m.contains("line 7") || m.contains("line 8"), "{bad}: {m}");
        for needle in ["SEKRIT", "99887766", "1979"] {
            assert!(!m.contains(needle), "{bad}: {m}");
        }
    }
}

#[test]
fn redacted_toml_parses_back() {
    let f = AccountsFile::parse(GOOD).unwrap();
    let text = f.to_toml_redacted().unwrap();
    let back = AccountsFile::parse(&text).unwrap();
    assert_eq!(back.accounts.len(), 2);
    assert_eq!(back.accounts[1].endpoints, f.accounts[1].endpoints);
    assert_eq!(back.accounts[0].regions, f.accounts[0].regions);
    assert_eq!(
        back.accounts[0]
            .credentials
            .secret_access_key
            .as_ref()
            .map(Secret::expose),
        Some("***")
    );
    assert_eq!(back.accounts[0].option("client_secret"), Some("***"));
}
