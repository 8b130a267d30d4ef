//! Tencent credential sources against a temporary HOME and real process
//! environment variables. Every test takes `ENV_LOCK`: they mutate the
//! process environment, which all threads of this test binary share.
#![cfg(feature = "tencent")]

use std::sync::Mutex;

use multicloud::ErrorKind;
use multicloud::config::{CredentialConfig, CredentialSourceKind};
use multicloud::tencent::config::{
    credentials_from_env, credentials_from_profile, region_from_env, resolve_credentials,
};

static ENV_LOCK: Mutex<()> = Mutex::new(());

const VARS: [&str; 8] = [
    "MY_TC_KEY",
    "TENCENTCLOUD_SECRET_ID",
    "TENCENTCLOUD_SECRET_KEY",
    "TENCENTCLOUD_SESSION_TOKEN",
    "TENCENTCLOUD_REGION",
    "TENCENTCLOUD_PROFILE",
    "TENCENTCLOUD_CREDENTIALS_FILE",
    "HOME",
];

/// Runs `f` with a clean Tencent environment and HOME set to a fresh temp
/// dir; restores the previous values afterwards.
fn with_env(set: &[(&str, &str)], files: &[(&str, &str)], f: impl FnOnce(&std::path::Path)) {
    let _guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let saved: Vec<(&str, Option<String>)> =
        VARS.iter().map(|v| (*v, std::env::var(v).ok())).collect();
    let home = tempfile::tempdir().unwrap();
    // SAFETY: edition 2024 marks these unsafe because other threads may
    // read the environment; the lock serializes every test in this binary.
    unsafe {
        for v in VARS {
            std::env::remove_var(v);
        }
        std::env::set_var("HOME", home.path());
        for (k, v) in set {
            std::env::set_var(k, v);
        }
    }
    for (rel, text) in files {
        let p = home.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(home.path())));
    unsafe {
        for (k, v) in saved {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
    }
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

const FILE: &str = "[default]\nsecret_id = AKIDfile\nsecret_key = filekey\n\n[prod]\nsecret_id = AKIDprod\nsecret_key = prodkey\n";

#[test]
fn env_variables() {
    with_env(
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
            ("TENCENTCLOUD_SECRET_KEY", "envkey"),
            ("TENCENTCLOUD_SESSION_TOKEN", "envtoken"),
            ("TENCENTCLOUD_REGION", "ap-shanghai"),
        ],
        &[],
        |_| {
            let c = credentials_from_env().unwrap().unwrap();
            assert_eq!(c.secret_id, "AKIDenv");
            assert_eq!(c.secret_key.expose(), "envkey");
            assert_eq!(c.token.unwrap().expose(), "envtoken");
            assert_eq!(region_from_env().as_deref(), Some("ap-shanghai"));
        },
    );
}

#[test]
fn profile_file_in_home() {
    with_env(&[], &[(".tencentcloud/credentials", FILE)], |home| {
        let c = credentials_from_profile(None).unwrap().unwrap();
        assert_eq!(c.secret_id, "AKIDfile");
        assert!(c.source.contains(&home.display().to_string()));
        let c = credentials_from_profile(Some("prod")).unwrap().unwrap();
        assert_eq!(c.secret_key.expose(), "prodkey");
        let e = credentials_from_profile(Some("missing")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
    });
}

#[test]
fn profile_from_variable_and_file_override() {
    with_env(
        &[("TENCENTCLOUD_PROFILE", "prod")],
        &[(".tencentcloud/credentials", FILE)],
        |_| {
            let c = credentials_from_profile(None).unwrap().unwrap();
            assert_eq!(c.secret_id, "AKIDprod");
        },
    );
    with_env(
        &[],
        &[(
            "elsewhere/creds.ini",
            "[default]\nsecret_id=AKIDx\nsecret_key=xk\n",
        )],
        |home| {
            let p = home.join("elsewhere/creds.ini");
            unsafe { std::env::set_var("TENCENTCLOUD_CREDENTIALS_FILE", &p) };
            let c = credentials_from_profile(None).unwrap().unwrap();
            assert_eq!(c.secret_id, "AKIDx");
        },
    );
}

#[test]
fn default_chain_prefers_env_then_file() {
    with_env(
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
            ("TENCENTCLOUD_SECRET_KEY", "envkey"),
        ],
        &[(".tencentcloud/credentials", FILE)],
        |_| {
            let c = resolve_credentials(&CredentialConfig::default()).unwrap();
            assert_eq!(c.secret_id, "AKIDenv");
        },
    );
    with_env(&[], &[(".tencentcloud/credentials", FILE)], |_| {
        let c = resolve_credentials(&CredentialConfig::default()).unwrap();
        assert_eq!(c.secret_id, "AKIDfile");
        let cfg = CredentialConfig {
            source: CredentialSourceKind::Env,
            ..Default::default()
        };
        assert_eq!(
            resolve_credentials(&cfg).unwrap_err().kind(),
            ErrorKind::Config
        );
    });
    with_env(&[], &[], |_| {
        let e = resolve_credentials(&CredentialConfig::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("TENCENTCLOUD_SECRET_ID"));
    });
}

#[test]
fn static_with_env_indirection() {
    with_env(&[("MY_TC_KEY", "indirect")], &[], |_| {
        let cfg = CredentialConfig {
            source: CredentialSourceKind::Static,
            access_key_id: Some("AKIDstatic".into()),
            secret_access_key_env: Some("MY_TC_KEY".into()),
            ..Default::default()
        };
        let c = resolve_credentials(&cfg).unwrap();
        assert_eq!(c.secret_key.expose(), "indirect");
        let cfg = CredentialConfig {
            source: CredentialSourceKind::InstanceMetadata,
            ..Default::default()
        };
        assert_eq!(
            resolve_credentials(&cfg).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    });
}
