//! Vendor SDK conformance: Tencent's official Python SDKs (tencentcloud-sdk-python,
//! cos-python-sdk-v5) against the sim's Tencent frontends.
//!
//! Runs `tests/conformance/tencent_sdk_sim.py` with the interpreter in
//! `MULTICLOUD_PYTHON` (packages from `tests/conformance/requirements-tencent-sdk.txt`).
//! Without it the test is skipped, except under `CI`, where it fails.
#![cfg(feature = "tencent")]

use multicloud_sim::Sim;

mod sdk_runner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_talks_to_the_sim() {
    let Some(python) = sdk_runner::python_or_skip("requirements-tencent-sdk.txt") else {
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
    let appid = account.extras.get("app_id").cloned().unwrap();
    let env = vec![
        ("SIM_TENCENT_API", api.to_string()),
        ("SIM_TENCENT_COS", cos.to_string()),
        ("TENCENTCLOUD_SECRET_ID", account.access_key_id.clone()),
        (
            "TENCENTCLOUD_SECRET_KEY",
            account.secret_access_key.expose().to_string(),
        ),
        ("TENCENTCLOUD_REGION", region),
        ("SIM_TENCENT_APPID", appid),
        ("SIM_MIN_INSTANCES", "12".to_string()),
    ];
    sdk_runner::run_script(python, "tencent_sdk_sim.py", env, &[]).await;
    sim.shutdown().await;
}
