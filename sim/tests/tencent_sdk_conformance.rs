//! Vendor SDK conformance: Tencent's official Python SDKs (tencentcloud-sdk-python,
//! cos-python-sdk-v5) against the sim's Tencent frontends.
//!
//! Runs `tests/conformance/tencent_sdk_sim.py` with the interpreter in
//! `MULTICLOUD_PYTHON` (packages from `tests/conformance/requirements-tencent-sdk.txt`).
//! Without it the test is skipped, except under `CI`, where it fails.
#![cfg(feature = "tencent")]

use std::path::PathBuf;
use std::process::Command;

use multicloud_sim::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_talks_to_the_sim() {
    let Some(python) = std::env::var_os("MULTICLOUD_PYTHON") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "MULTICLOUD_PYTHON is not set: the Tencent SDK conformance test cannot run in CI"
            );
        }
        eprintln!(
            "skipping Tencent SDK conformance: set MULTICLOUD_PYTHON to a python with tests/conformance/requirements-tencent-sdk.txt"
        );
        return;
    };
    let sim = Sim::builder()
        .seed(7)
        .providers(&["tencent"])
        .regions(2)
        .instances_per_region(14)
        .start()
        .await
        .unwrap();
    let account = sim.accounts("tencent").remove(0);
    let api = sim.frontend_addr("tencent").unwrap();
    let cos = sim.frontend_addr("tencent-cos").unwrap();
    let region = account.regions[0].clone();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/tencent_sdk_sim.py");
    let secret = account.secret_access_key.expose().to_string();
    let appid = account.extras.get("app_id").cloned().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("SIM_TENCENT_API", api.to_string())
            .env("SIM_TENCENT_COS", cos.to_string())
            .env("TENCENTCLOUD_SECRET_ID", &account.access_key_id)
            .env("TENCENTCLOUD_SECRET_KEY", secret)
            .env("TENCENTCLOUD_REGION", region)
            .env("SIM_TENCENT_APPID", appid)
            .env("SIM_MIN_INSTANCES", "12")
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
