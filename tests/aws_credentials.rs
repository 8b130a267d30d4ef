//! Credential sources of the AWS provider, each with a temporary HOME and
//! environment: the key id that signs a request (read from the SigV4
//! `Authorization` header a local server receives) shows which source won.
//!
//! One test function, so the process environment is changed by one thread.
#![cfg(feature = "aws")]

use std::sync::{Arc, Mutex};

use multicloud::config::{AccountConfig, CredentialConfig, CredentialSourceKind};
use multicloud::model::ProviderKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server answering every request with an EC2 error, recording the
/// `Authorization` headers it saw.
async fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 8192];
                loop {
                    let n = sock.read(&mut tmp).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                if let Some(a) = head
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                {
                    log.lock().unwrap().push(a.to_string());
                }
                let body = "<Response><Errors><Error><Code>AuthFailure</Code>\
                            <Message>x</Message></Error></Errors><RequestID>r</RequestID></Response>";
                let resp = format!(
                    "HTTP/1.1 401 X\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

fn account(url: &str, creds: CredentialConfig) -> AccountConfig {
    let mut a = AccountConfig {
        name: "creds".into(),
        provider: ProviderKind::Aws,
        credentials: creds,
        regions: Default::default(),
        read_only: false,
        endpoints: Default::default(),
        transport: Default::default(),
        options: Default::default(),
    };
    a.endpoints.services.insert("ec2".into(), url.into());
    a.endpoints.allow_http = true;
    a.options.insert("region".into(), "eu-west-1".into());
    a.transport.max_attempts = Some(1);
    a
}

/// The access key id that signed the last request sent with `creds`.
async fn signer(url: &str, seen: &Arc<Mutex<Vec<String>>>, creds: CredentialConfig) -> String {
    seen.lock().unwrap().clear();
    let p = multicloud::Cloud::connect(&account(url, creds))
        .await
        .unwrap();
    let _ = p.zones("eu-west-1").await;
    let auth = seen.lock().unwrap().last().cloned().unwrap_or_default();
    auth.split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').next())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn credential_sources_with_temporary_home_and_env() {
    let home = tempfile::tempdir().unwrap();
    let aws_dir = home.path().join(".aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    std::fs::write(
        aws_dir.join("credentials"),
        "[default]\naws_access_key_id = AKIDFILEDEFAULT\naws_secret_access_key = s1\n\n\
         [prod]\naws_access_key_id = AKIDFILEPROD\naws_secret_access_key = s2\n",
    )
    .unwrap();
    std::fs::write(
        aws_dir.join("config"),
        "[default]\nregion = eu-west-1\n\n[profile prod]\nregion = eu-west-1\n",
    )
    .unwrap();
    // SAFETY: this test binary has a single test; nothing else reads the
    // environment concurrently.
    unsafe {
        std::env::set_var("HOME", home.path());
        std::env::remove_var("AWS_SHARED_CREDENTIALS_FILE");
        std::env::remove_var("AWS_CONFIG_FILE");
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
        std::env::remove_var("AWS_SESSION_TOKEN");
        std::env::remove_var("AWS_WEB_IDENTITY_TOKEN_FILE");
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        // keep IMDS out of the default chain's way
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
    let (url, seen) = recording_server().await;

    // default chain without env: the default profile of ~/.aws/credentials
    let def = CredentialConfig::default();
    assert_eq!(signer(&url, &seen, def.clone()).await, "AKIDFILEDEFAULT");
    // default chain with a profile name
    let prof = CredentialConfig {
        profile: Some("prod".into()),
        ..Default::default()
    };
    assert_eq!(signer(&url, &seen, prof).await, "AKIDFILEPROD");
    // explicit profile source
    let prof = CredentialConfig {
        source: CredentialSourceKind::Profile,
        profile: Some("prod".into()),
        ..Default::default()
    };
    assert_eq!(signer(&url, &seen, prof).await, "AKIDFILEPROD");

    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "s3");
    }
    // the environment wins in the default chain, as in the AWS CLI
    assert_eq!(signer(&url, &seen, def).await, "AKIDFROMENV");
    let env = CredentialConfig {
        source: CredentialSourceKind::Env,
        ..Default::default()
    };
    assert_eq!(signer(&url, &seen, env).await, "AKIDFROMENV");
    // static keys named through environment variables
    unsafe {
        std::env::set_var("MY_KEY_ID", "AKIDNAMEDVAR");
        std::env::set_var("MY_SECRET", "s4");
    }
    let st = CredentialConfig {
        source: CredentialSourceKind::Static,
        access_key_id_env: Some("MY_KEY_ID".into()),
        secret_access_key_env: Some("MY_SECRET".into()),
        ..Default::default()
    };
    assert_eq!(signer(&url, &seen, st).await, "AKIDNAMEDVAR");
    // AWS_PROFILE selects the profile for the default chain
    unsafe {
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
        std::env::set_var("AWS_PROFILE", "prod");
    }
    assert_eq!(
        signer(&url, &seen, CredentialConfig::default()).await,
        "AKIDFILEPROD"
    );

    // assume_role without `options.region` takes the region from the
    // documented sources (here AWS_REGION), not a fixed us-east-1: the
    // AssumeRole request is signed for that region.
    unsafe {
        std::env::remove_var("AWS_PROFILE");
        std::env::set_var("AWS_REGION", "ap-south-1");
    }
    seen.lock().unwrap().clear();
    let mut a = account(
        &url,
        CredentialConfig {
            source: CredentialSourceKind::AssumeRole,
            role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
            base: Some(Box::new(CredentialConfig {
                source: CredentialSourceKind::Static,
                access_key_id: Some("AKIDBASE".into()),
                secret_access_key: Some(multicloud::credentials::Secret::new("s5")),
                ..Default::default()
            })),
            ..Default::default()
        },
    );
    a.options.remove("region");
    a.endpoints.services.insert("sts".into(), url.clone());
    let p = multicloud::Cloud::connect(&a).await.unwrap();
    let _ = p.zones("eu-west-1").await;
    let auths = seen.lock().unwrap().clone();
    assert!(
        auths
            .iter()
            .any(|h| h.contains("Credential=AKIDBASE/") && h.contains("/ap-south-1/sts/")),
        "{auths:?}"
    );
    unsafe {
        std::env::remove_var("AWS_REGION");
    }
}
