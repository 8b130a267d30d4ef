//! Peak memory of a large estate: 6 providers x 4 regions x 2,500 instances
//! (60,000 instances) with the generator's default ratios of volumes, public
//! IPs, networks, buckets, users and two months of cost lines.
//!
//! Run in release: `cargo run -p multicloud-sim --release --example estate_memory`.
//! Optional arguments: instances per region (2500) and months of cost lines (2).
//! Prints counts, generation time and the peak resident set (VmHWM, Linux).

use std::time::Instant;

use multicloud_sim::{Estate, GenConfig};

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let before = vm_hwm_kib();
    let mut args = std::env::args().skip(1);
    let per_region: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_500);
    let months: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let cfg = GenConfig {
        seed: 42,
        providers: ["alibaba", "huawei", "tencent", "aws", "azure", "openstack"]
            .into_iter()
            .map(str::to_string)
            .collect(),
        regions: 4,
        instances_per_region: per_region,
        cost_months: months,
        ..GenConfig::default()
    };
    let t = Instant::now();
    let e = Estate::generate(&cfg);
    let took = t.elapsed();
    let (instances, volumes, ips, buckets, objects, costs, users) = e.read(|d| {
        let mut c = (0, 0, 0, 0, 0, 0, 0);
        for a in &d.accounts {
            c.5 += a.costs.len();
            c.6 += a.iam.users.len();
            for r in a.regions.values() {
                c.0 += r.instances.len();
                c.1 += r.volumes.len();
                c.2 += r.public_ips.len();
                c.3 += r.buckets.len();
                c.4 += r.buckets.values().map(|b| b.objects.len()).sum::<usize>();
            }
        }
        c
    });
    println!(
        "instances {instances}, volumes {volumes}, public IPs {ips}, buckets {buckets}, objects {objects}, cost lines {costs}, users {users}"
    );
    println!("generated in {:.2} s", took.as_secs_f64());
    match (before, vm_hwm_kib()) {
        (Some(b), Some(a)) => println!(
            "peak RSS (VmHWM): {:.1} MiB (before generating: {:.1} MiB)",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        ),
        _ => println!("peak RSS: /proc/self/status not available"),
    }
    // A listing pass, as a frontend would do it, to show reads do not copy the estate.
    let t = Instant::now();
    let mut listed = 0usize;
    for p in e.providers() {
        for a in e.accounts(&p) {
            for r in &a.regions {
                let s = multicloud_sim::Scope::new(&p, &a.id, r);
                let mut marker = None;
                loop {
                    let page = e
                        .instances(
                            &s,
                            &multicloud_sim::Filter::default(),
                            &multicloud_sim::PageReq::After { marker, limit: 100 },
                        )
                        .unwrap_or_else(|err| panic!("{err}"));
                    listed += page.items.len();
                    match page.next_marker {
                        Some(m) => marker = Some(m),
                        None => break,
                    }
                }
            }
        }
    }
    println!(
        "listed {listed} instances in pages of 100 in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    if let Some(a) = vm_hwm_kib() {
        println!("peak RSS after listing: {:.1} MiB", a as f64 / 1024.0);
    }
}
