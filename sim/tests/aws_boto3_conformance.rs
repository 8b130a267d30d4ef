//! Vendor SDK conformance: AWS's official Python SDK (boto3/botocore)
//! against the sim's AWS frontends.
//!
//! Runs `tests/conformance/aws_boto3_sim.py` with the interpreter in
//! `MULTICLOUD_PYTHON` (packages from `tests/conformance/requirements-aws-sdk.txt`).
//! Without it the test is skipped, except under `CI`, where it fails.
#![cfg(feature = "aws")]

use std::path::PathBuf;
use std::process::Command;

use multicloud_sim::{Scope, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_talks_to_the_sim() {
    let Some(python) = std::env::var_os("MULTICLOUD_PYTHON") else {
        if std::env::var_os("CI").is_some() {
            panic!("MULTICLOUD_PYTHON is not set: the boto3 conformance test cannot run in CI");
        }
        eprintln!(
            "skipping boto3 conformance: set MULTICLOUD_PYTHON to a python with tests/conformance/requirements-aws-sdk.txt"
        );
        return;
    };
    let sim = Sim::builder()
        .seed(11)
        .providers(&["aws"])
        .regions(2)
        .instances_per_region(17)
        .start()
        .await
        .unwrap();
    let account = sim.accounts("aws").remove(0);
    let api = sim.frontend_addr("aws").unwrap();
    let s3 = sim.frontend_addr("aws-s3").unwrap();
    let region = account.regions[0].clone();
    let other = account.regions[1].clone();
    let count = sim
        .estate()
        .count_instances(&Scope::new("aws", &account.id, &region))
        .unwrap();
    assert!(count >= 11, "enough instances for three pages of five");
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/aws_boto3_sim.py");
    let secret = account.secret_access_key.expose().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("SIM_AWS_API", api.to_string())
            .env("SIM_AWS_S3", s3.to_string())
            .env("AWS_ACCESS_KEY_ID", &account.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_DEFAULT_REGION", &region)
            .env("SIM_EXPECT_INSTANCES", count.to_string())
            .env("SIM_ACCOUNT_ID", &account.id)
            .env("SIM_OTHER_REGION", other)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "conformance script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"));
    sim.shutdown().await;
}
