//! Vendor SDK conformance: the official Alibaba Cloud Python SDKs
//! (`tests/conformance/alibaba_sdk_sim.py`) against the sim.
//!
//! The interpreter comes from `MULTICLOUD_PYTHON` (a venv with
//! `tests/conformance/requirements-alibaba-sdk.txt`). Without it the test is
//! skipped, except under `CI`, where it fails.
#![cfg(feature = "alibaba")]

use multicloud_sim::Sim;
use multicloud_sim::estate::Timings;

mod sdk_runner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdks_talk_to_the_sim() {
    let Some(python) = sdk_runner::python_or_skip("requirements-alibaba-sdk.txt") else {
        return;
    };
    let sim = Sim::builder()
        .seed(7)
        .providers(&["alibaba"])
        .regions(1)
        .instances_per_region(25)
        .timings(Timings {
            gone_ms: 300,
            ..Timings::default()
        })
        .start()
        .await
        .unwrap();
    let acct = sim.accounts("alibaba").into_iter().next().unwrap();
    let env = vec![
        (
            "SIM_ALIBABA_RPC",
            sim.frontend_addr("alibaba").unwrap().to_string(),
        ),
        (
            "SIM_ALIBABA_OSS",
            sim.frontend_addr("alibaba-oss").unwrap().to_string(),
        ),
        ("SIM_ALIBABA_AK", acct.access_key_id.clone()),
        (
            "SIM_ALIBABA_SK",
            acct.secret_access_key.expose().to_string(),
        ),
        ("SIM_ALIBABA_REGION", acct.regions[0].clone()),
    ];
    sdk_runner::run_script(python, "alibaba_sdk_sim.py", env, &[]).await;
}
