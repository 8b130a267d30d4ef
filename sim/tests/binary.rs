//! The `multicloud-sim` binary: prints a config, serves it, exits cleanly on signals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_multicloud-sim");

fn wait_exit(
    child: &mut std::process::Child,
    within: Duration,
) -> Option<std::process::ExitStatus> {
    let t = Instant::now();
    while t.elapsed() < within {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn run_and_signal(signal: &str, extra: &[&str]) {
    let mut args = vec![
        "serve",
        "--seed",
        "42",
        "--regions",
        "2",
        "--instances-per-region",
        "5",
        "--providers",
        "tencent,alibaba",
        "--latency-ms",
        "1",
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let end = line.starts_with("# end of accounts");
            text.push_str(&line);
            text.push('\n');
            if end {
                let _ = tx.send(text);
                return;
            }
        }
    });
    let text = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("no config printed");
    let v: toml::Table = toml::from_str(&text).unwrap();
    let accts = v["account"].as_array().unwrap();
    assert_eq!(accts.len(), 2, "{text}");
    let providers: Vec<&str> = accts
        .iter()
        .map(|a| a["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers, vec!["alibaba", "tencent"]);
    let tencent = accts
        .iter()
        .find(|a| a["provider"].as_str() == Some("tencent"))
        .unwrap();
    assert_eq!(tencent["regions"]["include"].as_array().unwrap().len(), 2);
    assert!(tencent["options"]["app_id"].as_str().is_some());
    let addr = tencent["transport"]["resolve"]["*"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    // The printed address answers (the sim's own header on every response).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let https = extra.contains(&"--https");
    let status = rt.block_on(async {
        let mut b =
            reqwest::Client::builder().resolve("cvm.tencentcloudapi.com", addr.parse().unwrap());
        if https {
            let ca_file = tencent["transport"]["ca_file"]
                .as_str()
                .expect("ca_file with --https");
            let pem = std::fs::read(ca_file).unwrap();
            b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
        }
        let scheme = if https { "https" } else { "http" };
        let port = addr.rsplit(':').next().unwrap();
        let r = b
            .build()
            .unwrap()
            .get(format!("{scheme}://cvm.tencentcloudapi.com:{port}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["server"], "multicloud-sim");
        r.status()
    });
    assert!(status.as_u16() >= 200);
    let ok = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let st = wait_exit(&mut child, Duration::from_secs(5));
    match st {
        Some(s) => assert!(s.success(), "exit status {s:?}"),
        None => {
            let _ = child.kill();
            panic!("the sim did not exit within 5 s of {signal}");
        }
    }
}

#[test]
fn serve_prints_config_and_exits_cleanly_on_sigint() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/faults.example.toml");
    let parsed =
        multicloud_sim::FaultConfig::from_toml(&std::fs::read_to_string(cfg).unwrap()).unwrap();
    assert_eq!(parsed.rules.len(), 4);
    assert_eq!(parsed.timings.map(|t| t.create_ms), Some(500));
    run_and_signal("-INT", &["--config", cfg]);
}

#[test]
fn serve_https_exits_cleanly_on_sigterm() {
    run_and_signal("-TERM", &["--https"]);
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--seed",
        "--regions",
        "--instances-per-region",
        "--accounts-per-provider",
        "--providers",
        "--cost-months",
        "--daily-costs",
        "--estate-file",
        "--latency-ms",
        "--config",
        "--https",
        "--ca-file",
        "--port",
        "--log-capacity",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn generate_writes_a_loadable_estate_file() {
    let path = std::env::temp_dir().join(format!("mcsim-bin-{}.json", std::process::id()));
    let st = Command::new(BIN)
        .args([
            "generate",
            "--seed",
            "9",
            "--regions",
            "1",
            "--instances-per-region",
            "3",
            "--providers",
            "aws",
            "--out",
        ])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success());
    let e = multicloud_sim::Estate::load(&path).unwrap();
    let a = &e.accounts("aws")[0];
    let s = multicloud_sim::Scope::new("aws", &a.id, &a.regions[0]);
    assert_eq!(e.count_instances(&s).unwrap(), 3);
    let _ = std::fs::remove_file(&path);
}
