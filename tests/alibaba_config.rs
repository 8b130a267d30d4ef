//! Alibaba credential discovery with a temporary HOME and real environment
//! variables, as the `aliyun` CLI and the vendor's SDKs find them. Tests that
//! change the process environment hold one mutex.
#![cfg(feature = "alibaba")]

use std::sync::{Mutex, MutexGuard};

use multicloud::ErrorKind;
use multicloud::alibaba::config::{
    self, AssumeRoleSpec, CredentialSource, ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET,
    ENV_CLI_PROFILE_DISABLED, ENV_ECS_METADATA, ENV_ECS_METADATA_DISABLED, ENV_PROFILE,
    ENV_SECURITY_TOKEN, default_chain, from_account, process_env,
};
use multicloud::config::{CredentialConfig, CredentialSourceKind};

static ENV_LOCK: Mutex<()> = Mutex::new(());

const VARS: &[&str] = &[
    "HOME",
    ENV_ACCESS_KEY_ID,
    ENV_ACCESS_KEY_SECRET,
    ENV_SECURITY_TOKEN,
    ENV_PROFILE,
    ENV_CLI_PROFILE_DISABLED,
    ENV_ECS_METADATA,
    ENV_ECS_METADATA_DISABLED,
    "MY_AK",
    "MY_SK",
];

/// Holds the lock, gives a fresh HOME, clears the Alibaba variables, and
/// restores everything on drop.
struct Env {
    _guard: MutexGuard<'static, ()>,
    saved: Vec<(&'static str, Option<String>)>,
    home: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let saved = VARS.iter().map(|v| (*v, std::env::var(v).ok())).collect();
        let home = tempfile::tempdir().unwrap();
        for v in VARS {
            // SAFETY: every test that touches the environment holds ENV_LOCK.
            unsafe { std::env::remove_var(v) };
        }
        // SAFETY: as above.
        unsafe { std::env::set_var("HOME", home.path()) };
        Env {
            _guard: guard,
            saved,
            home,
        }
    }

    fn set(&self, k: &str, v: &str) {
        // SAFETY: the lock is held for the life of `self`.
        unsafe { std::env::set_var(k, v) };
    }

    fn write_cli_config(&self, text: &str) {
        let dir = self.home.path().join(".aliyun");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), text).unwrap();
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for (k, v) in &self.saved {
            // SAFETY: the lock is still held (the guard drops after this).
            unsafe {
                match v {
                    Some(v) => std::env::set_var(k, v),
                    None => std::env::remove_var(k),
                }
            }
        }
    }
}

const CLI_CONFIG: &str = r#"{
  "current": "dev",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "LTAIdefault", "access_key_secret": "sk-default",
     "sts_token": "", "ram_role_name": "", "ram_role_arn": "", "ram_session_name": "",
     "private_key": "", "key_pair_name": "", "expired_seconds": 0, "verified": "",
     "region_id": "cn-hangzhou", "output_format": "json", "language": "en"},
    {"name": "dev", "mode": "StsToken", "access_key_id": "STS.dev", "access_key_secret": "sk-dev",
     "sts_token": "tok-dev", "region_id": "cn-beijing"},
    {"name": "msp", "mode": "RamRoleArn", "access_key_id": "LTAImsp", "access_key_secret": "sk-msp",
     "ram_role_arn": "acs:ram::1234567890:role/customer-admin", "ram_session_name": "msp-session",
     "expired_seconds": 3600, "external_id": "ext-1"},
    {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "msp",
     "ram_role_arn": "acs:ram::999:role/second"},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsRole"},
    {"name": "loop", "mode": "ChainableRamRoleArn", "source_profile": "loop",
     "ram_role_arn": "acs:ram::1:role/x"},
    {"name": "sso", "mode": "CloudSSO"}
  ],
  "meta_path": ""
}"#;

fn static_of(s: &CredentialSource) -> (&str, &str, Option<&str>) {
    match s {
        CredentialSource::Static(c) => (
            c.access_key_id.as_str(),
            c.access_key_secret.expose(),
            c.security_token.as_ref().map(|t| t.expose()),
        ),
        other => panic!("expected static credentials, got {other:?}"),
    }
}

#[test]
fn environment_wins() {
    let env = Env::new();
    env.write_cli_config(CLI_CONFIG);
    env.set(ENV_ACCESS_KEY_ID, "LTAIenv");
    env.set(ENV_ACCESS_KEY_SECRET, "sk-env");
    env.set(ENV_SECURITY_TOKEN, "tok-env");
    let s = default_chain(&process_env, None).unwrap();
    assert_eq!(static_of(&s), ("LTAIenv", "sk-env", Some("tok-env")));
    // Secrets never print.
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("sk-env") && !dbg.contains("tok-env"), "{dbg}");
}

#[test]
fn current_profile_and_profile_variable() {
    let env = Env::new();
    env.write_cli_config(CLI_CONFIG);
    let s = default_chain(&process_env, None).unwrap();
    assert_eq!(static_of(&s), ("STS.dev", "sk-dev", Some("tok-dev")));

    env.set(ENV_PROFILE, "default");
    let s = default_chain(&process_env, None).unwrap();
    assert_eq!(static_of(&s), ("LTAIdefault", "sk-default", None));

    // An explicit profile beats the variable.
    let s = default_chain(&process_env, Some("dev")).unwrap();
    assert_eq!(static_of(&s).0, "STS.dev");
}

#[test]
fn ram_role_arn_profiles() {
    let env = Env::new();
    env.write_cli_config(CLI_CONFIG);
    env.set(ENV_PROFILE, "msp");
    let s = default_chain(&process_env, None).unwrap();
    match &s {
        CredentialSource::AssumeRole { base, role } => {
            assert_eq!(static_of(base), ("LTAImsp", "sk-msp", None));
            assert_eq!(
                role,
                &AssumeRoleSpec {
                    role_arn: "acs:ram::1234567890:role/customer-admin".into(),
                    session_name: "msp-session".into(),
                    duration_secs: Some(3600),
                    external_id: Some("ext-1".into()),
                    sts_region: None,
                }
            );
        }
        other => panic!("{other:?}"),
    }
    let s = default_chain(&process_env, Some("chain")).unwrap();
    match &s {
        CredentialSource::AssumeRole { base, role } => {
            assert_eq!(role.role_arn, "acs:ram::999:role/second");
            assert!(matches!(**base, CredentialSource::AssumeRole { .. }));
        }
        other => panic!("{other:?}"),
    }
    let e = default_chain(&process_env, Some("loop")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let e = default_chain(&process_env, Some("sso")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = default_chain(&process_env, Some("missing")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn ecs_ram_role_profile_and_fallback() {
    let env = Env::new();
    env.write_cli_config(CLI_CONFIG);
    let s = default_chain(&process_env, Some("ecs")).unwrap();
    assert_eq!(
        s,
        CredentialSource::EcsRamRole {
            role_name: Some("EcsRole".into())
        }
    );
    // Without a CLI config the chain ends at the instance's role.
    env.set(ENV_CLI_PROFILE_DISABLED, "true");
    env.set(ENV_ECS_METADATA, "MetaRole");
    let s = default_chain(&process_env, None).unwrap();
    assert_eq!(
        s,
        CredentialSource::EcsRamRole {
            role_name: Some("MetaRole".into())
        }
    );
    env.set(ENV_ECS_METADATA_DISABLED, "true");
    let e = default_chain(&process_env, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn broken_config_file_is_a_config_error() {
    let env = Env::new();
    env.write_cli_config("{ not json");
    let e = default_chain(&process_env, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("config.json"), "{e}");
}

#[test]
fn account_config_sources() {
    let env = Env::new();
    env.write_cli_config(CLI_CONFIG);
    env.set("MY_AK", "LTAIfromvar");
    env.set("MY_SK", "sk-fromvar");

    let cfg = CredentialConfig {
        source: CredentialSourceKind::Static,
        access_key_id_env: Some("MY_AK".into()),
        secret_access_key_env: Some("MY_SK".into()),
        ..Default::default()
    };
    let s = from_account(&cfg, &process_env).unwrap();
    assert_eq!(static_of(&s), ("LTAIfromvar", "sk-fromvar", None));

    let cfg = CredentialConfig {
        source: CredentialSourceKind::Profile,
        profile: Some("default".into()),
        ..Default::default()
    };
    assert_eq!(
        static_of(&from_account(&cfg, &process_env).unwrap()).0,
        "LTAIdefault"
    );

    let cfg = CredentialConfig {
        source: CredentialSourceKind::Env,
        ..Default::default()
    };
    assert_eq!(
        from_account(&cfg, &process_env).unwrap_err().kind(),
        ErrorKind::Config
    );

    let cfg = CredentialConfig {
        source: CredentialSourceKind::AssumeRole,
        role_arn: Some("acs:ram::42:role/audit".into()),
        role_session_name: Some("inventory".into()),
        external_id: Some("x".into()),
        base: Some(Box::new(CredentialConfig {
            source: CredentialSourceKind::Profile,
            profile: Some("default".into()),
            ..Default::default()
        })),
        ..Default::default()
    };
    match from_account(&cfg, &process_env).unwrap() {
        CredentialSource::AssumeRole { base, role } => {
            assert_eq!(static_of(&base).0, "LTAIdefault");
            assert_eq!(role.role_arn, "acs:ram::42:role/audit");
            assert_eq!(role.session_name, "inventory");
            assert_eq!(role.external_id.as_deref(), Some("x"));
        }
        other => panic!("{other:?}"),
    }

    let cfg = CredentialConfig {
        source: CredentialSourceKind::InstanceMetadata,
        ..Default::default()
    };
    assert_eq!(
        from_account(&cfg, &process_env).unwrap(),
        CredentialSource::EcsRamRole { role_name: None }
    );
    assert_eq!(
        config::cli_config_path(env.home.path()),
        env.home.path().join(".aliyun/config.json")
    );
}
