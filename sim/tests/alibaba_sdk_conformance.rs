//! Vendor SDK conformance: the official Alibaba Cloud Python SDKs
//! (`tests/conformance/alibaba_sdk_sim.py`) against the sim.
//!
//! The interpreter comes from `MULTICLOUD_PYTHON` (a venv with
//! `tests/conformance/requirements-alibaba-sdk.txt`). Without it the test is
//! skipped, except under `CI`, where it fails.
#![cfg(feature = "alibaba")]

use std::path::PathBuf;
use std::process::Command;

use multicloud_sim::Sim;
use multicloud_sim::estate::Timings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdks_talk_to_the_sim() {
    let python = match std::env::var("MULTICLOUD_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("MULTICLOUD_PYTHON is not set (required under CI)");
            }
            eprintln!("skipping: MULTICLOUD_PYTHON is not set");
            return;
        }
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
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests/conformance/alibaba_sdk_sim.py");
    let rpc = sim.frontend_addr("alibaba").unwrap();
    let oss = sim.frontend_addr("alibaba-oss").unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("SIM_ALIBABA_RPC", rpc.to_string())
            .env("SIM_ALIBABA_OSS", oss.to_string())
            .env("SIM_ALIBABA_AK", &acct.access_key_id)
            .env("SIM_ALIBABA_SK", acct.secret_access_key.expose())
            .env("SIM_ALIBABA_REGION", &acct.regions[0])
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
        "SDK conformance failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
}
