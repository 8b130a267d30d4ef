//! The inventory example against the simulator, through the providers' real
//! code paths (real host names over HTTPS, signing, paging): every seeded
//! resource appears exactly once with the right kind and scope in every
//! output format, and faults in one region leave every other scope `ok`.
//!
//! The test builds the example (with this test's features, in this test's
//! target directory) and runs it as a child process.
#![cfg(any(feature = "tencent", feature = "alibaba", feature = "aws"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use multicloud_sim::{Filter, PageReq, Scope, Sim, SimHandle};
use serde_json::Value;

/// Providers whose SDK side is wired, among the compiled-in ones.
fn providers() -> Vec<&'static str> {
    let mut v = Vec::new();
    if cfg!(feature = "tencent") {
        v.push("tencent");
    }
    if cfg!(feature = "alibaba") {
        v.push("alibaba");
    }
    if cfg!(feature = "aws") {
        v.push("aws");
    }
    v
}

/// Kinds checked against the estate, and how many resources of each.
const KINDS: &str = "instances,volumes,vpcs,subnets,security_groups,public_ips,buckets,users";

/// The features this test was compiled with, for building the example alike.
fn features() -> Vec<&'static str> {
    let mut f = providers();
    for (on, name) in [
        (cfg!(feature = "huawei"), "huawei"),
        (cfg!(feature = "azure"), "azure"),
        (cfg!(feature = "openstack"), "openstack"),
        // `--all-features` turns `full` on too: naming it keeps the nested
        // build's feature set identical, so it reuses the test build's
        // artifacts instead of rebuilding the crate.
        (cfg!(feature = "full"), "full"),
    ] {
        if on {
            f.push(name);
        }
    }
    f
}

/// Build the example once (a no-op when it is up to date) and return its path.
fn inventory_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test exe path");
        // target/<profile>/deps/inventory-<hash>
        let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
        let target_dir = profile_dir.parent().expect("target dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--example", "inventory", "--features"])
            .arg(features().join(","))
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building the inventory example failed");
        profile_dir
            .join("examples")
            .join(format!("inventory{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

async fn start_sim(seed: u64, per_region: usize) -> (SimHandle, tempfile::TempDir, PathBuf) {
    let mut sim = Sim::builder()
        .seed(seed)
        .providers(&providers())
        .regions(2)
        .instances_per_region(per_region)
        .https(true)
        .start()
        .await
        .expect("sim starts");
    let dir = tempfile::tempdir().expect("tempdir");
    sim.write_ca_file(&dir.path().join("ca.pem"))
        .expect("ca file");
    let config = dir.path().join("multicloud.toml");
    std::fs::write(&config, sim.accounts_toml()).expect("accounts file");
    (sim, dir, config)
}

type Key = (String, String, String, String, String); // provider, account, region, kind, id

/// What the estate holds, as the inventory should report it.
fn expected(sim: &SimHandle) -> BTreeMap<Key, usize> {
    let estate = sim.estate();
    let mut out = BTreeMap::new();
    let all = Filter::default();
    for p in providers() {
        for a in sim.accounts(p) {
            let key = |region: &str, kind: &str, id: String| {
                (
                    p.to_string(),
                    a.name.clone(),
                    region.to_string(),
                    kind.to_string(),
                    id,
                )
            };
            for r in &a.regions {
                let scope = Scope::new(p, &a.id, r);
                let listing = estate
                    .instances(&scope, &all, &PageReq::All)
                    .expect("instances");
                for i in listing.items {
                    if format!("{:?}", i.state) != "Terminated" {
                        out.insert(key(r, "instances", i.id), 1);
                    }
                }
                for v in estate
                    .volumes(&scope, &all, &PageReq::All)
                    .expect("volumes")
                    .items
                {
                    out.insert(key(r, "volumes", v.id), 1);
                }
                for v in estate
                    .vpcs(&scope, &all, &PageReq::All)
                    .expect("vpcs")
                    .items
                {
                    out.insert(key(r, "vpcs", v.id), 1);
                }
                for s in estate
                    .subnets(&scope, &all, &PageReq::All)
                    .expect("subnets")
                    .items
                {
                    out.insert(key(r, "subnets", s.id), 1);
                }
                let groups = estate
                    .security_groups(&scope, &all, &PageReq::All)
                    .expect("sgs");
                for g in groups.items {
                    out.insert(key(r, "security_groups", g.id), 1);
                }
                for ip in estate
                    .public_ips(&scope, &all, &PageReq::All)
                    .expect("ips")
                    .items
                {
                    out.insert(key(r, "public_ips", ip.id), 1);
                }
            }
            for b in estate.buckets(p, &a.id).expect("buckets") {
                let name = match a.extras.get("app_id") {
                    Some(app) if p == "tencent" => format!("{}-{app}", b.name),
                    _ => b.name,
                };
                out.insert(key("-", "buckets", name), 1);
            }
            for u in estate.users(p, &a.id).expect("users") {
                out.insert(key("-", "users", u.name), 1);
            }
        }
    }
    out
}

/// The identifying field of a record of `kind`.
fn id_of(kind: &str, record: &Value) -> String {
    let field = match kind {
        "buckets" | "users" => "name",
        _ => "id",
    };
    record[field].as_str().unwrap_or_default().to_string()
}

fn count(
    found: &mut BTreeMap<Key, usize>,
    provider: &str,
    account: &str,
    region: &str,
    kind: &str,
    id: String,
) {
    *found
        .entry((
            provider.into(),
            account.into(),
            region.into(),
            kind.into(),
            id,
        ))
        .or_default() += 1;
}

fn parse_records(format: &str, text: &str) -> BTreeMap<Key, usize> {
    let mut found = BTreeMap::new();
    let mut add_json = |r: &Value| {
        let kind = r["kind"].as_str().unwrap_or_default();
        let region = r["region"].as_str().unwrap_or("-");
        count(
            &mut found,
            r["provider"].as_str().unwrap_or_default(),
            r["account"].as_str().unwrap_or_default(),
            region,
            kind,
            id_of(kind, &r["record"]),
        );
    };
    match format {
        "ndjson" => {
            for line in text.lines() {
                add_json(&serde_json::from_str(line).expect("ndjson line"));
            }
        }
        "json" => {
            let v: Vec<Value> = serde_json::from_str(text).expect("json array");
            v.iter().for_each(add_json);
        }
        "csv" => {
            let mut lines = csv_rows(text).into_iter();
            let header = lines.next().expect("csv header");
            assert_eq!(
                header,
                [
                    "provider", "account", "region", "kind", "id", "name", "state", "record"
                ]
            );
            for row in lines {
                assert_eq!(row.len(), 8, "csv row {row:?}");
                let record: Value = serde_json::from_str(&row[7]).expect("record column is JSON");
                // The id column is the record's id (buckets have only a name).
                let id = record["id"]
                    .as_str()
                    .or(record["name"].as_str())
                    .unwrap_or_default();
                assert_eq!(row[4], id, "id column matches the record");
                let key = id_of(&row[3], &record);
                count(&mut found, &row[0], &row[1], &row[2], &row[3], key);
            }
        }
        "table" => {
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split_whitespace().collect();
                assert!(cols.len() >= 6, "table line {line:?}");
                // Users are identified by name (the sixth column).
                let id = if cols[3] == "users" { cols[5] } else { cols[4] };
                count(
                    &mut found,
                    cols[0],
                    cols[1],
                    cols[2],
                    cols[3],
                    id.to_string(),
                );
            }
        }
        other => panic!("unknown format {other}"),
    }
    found
}

/// A small RFC 4180 reader (quoted cells may hold commas, quotes, newlines).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

struct Run {
    code: i32,
    records: String,
    summary: Vec<Value>,
    stderr: String,
}

/// Run the inventory; `--quiet` unless `progress` (then stderr, not a
/// terminal here, carries the plain progress lines).
fn run_inventory(config: &Path, dir: &Path, format: &str, extra: &[&str], progress: bool) -> Run {
    let out = dir.join(format!("inventory.{format}"));
    let summary = dir.join(format!("summary-{format}.json"));
    let result = Command::new(inventory_bin())
        .arg("--config")
        .arg(config)
        .args(["--format", format, "--kinds", KINDS])
        .args(if progress { None } else { Some("--quiet") })
        .arg("--out")
        .arg(&out)
        .arg("--summary")
        .arg(&summary)
        .args(extra)
        .output()
        .expect("inventory runs");
    let stderr = String::from_utf8_lossy(&result.stderr);
    let summary: Vec<Value> = std::fs::read(&summary)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| panic!("no summary written; stderr: {stderr}"));
    Run {
        code: result.status.code().unwrap_or(-1),
        records: std::fs::read_to_string(&out).unwrap_or_default(),
        summary,
        stderr: stderr.into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seeded_resource_appears_once_in_every_format() {
    // About 36 instances per region in all (plus the other kinds), however
    // many providers are compiled in, so that listings page.
    let per_region = 36 / providers().len().max(1);
    let (sim, dir, config) = start_sim(11, per_region).await;
    let want = expected(&sim);
    assert!(
        want.len() > 100,
        "the estate is big enough to page: {}",
        want.len()
    );
    for format in ["ndjson", "json", "csv", "table"] {
        let dir = dir.path().to_path_buf();
        let config = config.clone();
        let fmt = format.to_string();
        let run =
            tokio::task::spawn_blocking(move || run_inventory(&config, &dir, &fmt, &[], false))
                .await
                .expect("join");
        let bad: Vec<&Value> = run.summary.iter().filter(|s| s["status"] != "ok").collect();
        assert!(bad.is_empty(), "{format}: scopes not ok: {bad:#?}");
        assert_eq!(run.code, 0, "{format}: exit code");
        let got = parse_records(format, &run.records);
        let dupes: Vec<_> = got.iter().filter(|(_, n)| **n != 1).collect();
        assert!(dupes.is_empty(), "{format}: duplicated records {dupes:?}");
        let missing: Vec<_> = want
            .keys()
            .filter(|k| !got.contains_key(*k))
            .take(10)
            .collect();
        let extra: Vec<_> = got
            .keys()
            .filter(|k| !want.contains_key(*k))
            .take(10)
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{format}: missing {missing:?}, unexpected {extra:?}"
        );
        // Scope counts agree with the records.
        let records: u64 = run
            .summary
            .iter()
            .map(|s| s["count"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(records as usize, want.len(), "{format}: summary counts");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_in_one_region_leave_every_other_scope_ok() {
    use multicloud_sim::FaultRule;
    // Enough instances that listings take several pages, fetched
    // concurrently: the throttle rule (one bucket per action) then fires.
    let (sim, dir, config) = start_sim(12, 250).await;
    let provider = providers()[0];
    let account = sim
        .accounts(provider)
        .into_iter()
        .next()
        .expect("an account");
    let broken = account.regions[0].clone();
    let slow = account.regions[1].clone();
    // Every request to `broken` fails with the cloud's 5xx answer; `slow` is
    // throttled hard (the transport must wait and retry); mutating calls
    // everywhere lose their responses (the inventory makes none).
    // AWS pages with NextToken one call at a time and its calls to one
    // region rarely meet within the default rule's 100 ms: there the rule
    // allows one call per second, so that its listings are throttled too.
    let (slow_rate, slow_burst) = if provider == "aws" {
        (1.0, 1)
    } else {
        (10.0, 2)
    };
    sim.faults().set(vec![
        FaultRule::new(provider, "Describe*")
            .region(&broken)
            .error_rate(1.0),
        FaultRule::new(provider, "*")
            .region(&slow)
            .rate_limit(slow_rate, slow_burst),
        FaultRule::new("*", "*").lost_response_rate(1.0),
    ]);
    let (d, c) = (dir.path().to_path_buf(), config.clone());
    let run = tokio::task::spawn_blocking(move || {
        // 8 scopes at once: the first batch sends 4 calls to `slow` together,
        // more than the rule's burst of 2, whatever the provider's paging.
        run_inventory(&c, &d, "ndjson", &["--concurrency", "8"], true)
    })
    .await
    .expect("join");
    assert_eq!(run.code, 2, "a failed scope makes the exit code 2");
    let mut statuses: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for s in &run.summary {
        let key = (
            s["account"].as_str().unwrap_or_default().to_string(),
            s["region"].as_str().unwrap_or_default().to_string(),
        );
        statuses
            .entry(key)
            .or_default()
            .insert(s["status"].as_str().unwrap_or_default().to_string());
    }
    for ((acct, region), st) in &statuses {
        if *acct == account.name && *region == broken {
            assert!(
                st.iter().all(|s| s == "failed" || s == "partial"),
                "{acct}/{region}: {st:?}"
            );
        } else {
            assert_eq!(st, &BTreeSet::from(["ok".to_string()]), "{acct}/{region}");
        }
    }
    // The failed scopes name the cloud's error.
    let failed = run
        .summary
        .iter()
        .find(|s| s["status"] == "failed")
        .expect("a failed scope");
    assert!(
        failed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("code="),
        "{failed}"
    );
    // Throttling happened and was absorbed.
    let log = sim.requests().entries();
    let throttled = log
        .iter()
        .filter(|e| e.fault == Some(multicloud_sim::FaultKind::Throttled))
        .count();
    let seen: Vec<(String, Option<multicloud_sim::FaultKind>)> = log
        .iter()
        .filter(|e| e.headers.iter().any(|(_, v)| v.contains(slow.as_str())))
        .map(|e| (e.action.clone(), e.fault))
        .collect();
    assert!(
        throttled > 0,
        "the throttle rule fired; requests to {slow}: {seen:?}"
    );
    // The progress lines count the same throttled answers for the account
    // (read from the provider's transport counters), and nothing for the
    // others.
    let progress = |acct: &str| -> (u64, u64) {
        let prefix = format!("progress: {acct}: ");
        let line = run
            .stderr
            .lines()
            .rev()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no progress line for {acct}: {}", run.stderr));
        let number_before = |label: &str| -> u64 {
            let end = line
                .find(label)
                .unwrap_or_else(|| panic!("{label} in {line}"));
            line[..end]
                .rsplit(|c: char| !c.is_ascii_digit())
                .find(|w| !w.is_empty())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a number before {label} in {line}"))
        };
        (
            number_before(" throttle waits"),
            number_before(" throttled by the cloud"),
        )
    };
    let (waits, by_cloud) = progress(&account.name);
    assert_eq!(by_cloud, throttled as u64, "{}", run.stderr);
    assert!(waits >= by_cloud, "{}", run.stderr);
    for other in run.summary.iter().filter_map(|s| s["account"].as_str()) {
        if other != account.name {
            assert_eq!(progress(other).1, 0, "{other}: {}", run.stderr);
        }
    }
}
