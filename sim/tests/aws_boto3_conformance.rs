//! Vendor SDK conformance: AWS's official Python SDK (boto3/botocore)
//! against the sim's AWS frontends.
//!
//! Runs `tests/conformance/aws_boto3_sim.py` with the interpreter in
//! `MULTICLOUD_PYTHON` (packages from `tests/conformance/requirements-aws-sdk.txt`).
//! Without it the test is skipped, except under `CI`, where it fails.
#![cfg(feature = "aws")]

use multicloud_sim::{Scope, Sim};

mod sdk_runner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_talks_to_the_sim() {
    let Some(python) = sdk_runner::python_or_skip("requirements-aws-sdk.txt") else {
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
    let env = vec![
        ("SIM_AWS_API", api.to_string()),
        ("SIM_AWS_S3", s3.to_string()),
        ("AWS_ACCESS_KEY_ID", account.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            account.secret_access_key.expose().to_string(),
        ),
        ("AWS_DEFAULT_REGION", region),
        ("SIM_EXPECT_INSTANCES", count.to_string()),
        ("SIM_ACCOUNT_ID", account.id.clone()),
        ("SIM_OTHER_REGION", other),
        ("AWS_CONFIG_FILE", "/dev/null".to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
    ];
    sdk_runner::run_script(
        python,
        "aws_boto3_sim.py",
        env,
        &["AWS_PROFILE", "AWS_SESSION_TOKEN"],
    )
    .await;
    sim.shutdown().await;
}
