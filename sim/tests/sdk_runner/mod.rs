//! Shared by the vendor-SDK conformance tests: find the Python interpreter
//! that has the vendors' SDKs, run one conformance script under
//! `tests/conformance/` with the simulator's addresses and keys in its
//! environment, and fail with the script's output when it fails.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// The interpreter in `MULTICLOUD_PYTHON`. Unset: `None` (the caller skips),
/// except under `CI`, where the test fails: there the venv must exist.
/// `requirements` names the file the venv is built from, for the message.
pub fn python_or_skip(requirements: &str) -> Option<OsString> {
    match std::env::var_os("MULTICLOUD_PYTHON") {
        Some(p) if !p.is_empty() => Some(p),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("MULTICLOUD_PYTHON is not set: the SDK conformance test cannot run in CI");
            }
            eprintln!(
                "skipping SDK conformance: set MULTICLOUD_PYTHON to a python with tests/conformance/{requirements}"
            );
            None
        }
    }
}

/// Run `tests/conformance/<script>` with `python`, the variables `env` set
/// and `remove` unset; assert it succeeded and printed `checks passed`.
/// Returns its standard output.
pub async fn run_script(
    python: OsString,
    script: &str,
    env: Vec<(&'static str, String)>,
    remove: &'static [&'static str],
) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/conformance")
        .join(script);
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(python);
        cmd.arg(path).envs(env);
        for name in remove {
            cmd.env_remove(name);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "conformance script {script} failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    stdout
}
