//! The estate generator: N regions x M resources, deterministic from a seed.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Estate;
use super::billing::month_start;
use super::compute::host_in;
use super::model::*;
use super::storage::md5_hex;

/// What to generate. Ratios are per instance unless said otherwise; counts
/// are rounded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenConfig {
    /// Seed: the same seed (and config) gives an identical estate.
    pub seed: u64,
    /// Provider names (any string; known clouds get their own region
    /// names, zone styles, instance types, id styles and currency).
    pub providers: Vec<String>,
    /// Accounts per provider.
    pub accounts_per_provider: usize,
    /// Regions per account (taken from the provider's region table).
    pub regions: usize,
    /// Instances per region.
    pub instances_per_region: usize,
    /// Share of instances that are stopped.
    pub stopped_ratio: f64,
    /// Data volumes per instance (system disks are always made).
    pub volumes_per_instance: f64,
    /// Public IPs per instance.
    pub public_ips_per_instance: f64,
    /// VPCs per region.
    pub vpcs_per_region: usize,
    /// Subnets per VPC.
    pub subnets_per_vpc: usize,
    /// Buckets per region.
    pub buckets_per_region: f64,
    /// Objects per bucket.
    pub objects_per_bucket: usize,
    /// IAM users per account.
    pub users_per_account: usize,
    /// Months of cost lines, ending with the anchor's month.
    pub cost_months: usize,
    /// One line per resource per month (default) or per day.
    pub cost_granularity: Granularity,
    /// The "today" of the generated estate (creation dates and cost months
    /// are before it). Defaults to the first day of the current month, so
    /// the estate is stable within a month; set it for full determinism.
    pub anchor: Option<NaiveDate>,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 42,
            providers: Vec::new(),
            accounts_per_provider: 1,
            regions: 2,
            instances_per_region: 10,
            stopped_ratio: 0.1,
            volumes_per_instance: 0.5,
            public_ips_per_instance: 0.2,
            vpcs_per_region: 1,
            subnets_per_vpc: 2,
            buckets_per_region: 1.0,
            objects_per_bucket: 5,
            users_per_account: 3,
            cost_months: 2,
            cost_granularity: Granularity::Monthly,
            anchor: None,
        }
    }
}

/// Built-in region names of a provider (any name gets `<name>-region-N`).
pub fn default_regions(provider: &str) -> Vec<String> {
    let t: &[&str] = match provider {
        "tencent" => &["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-chengdu"],
        "alibaba" => &["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen"],
        "aws" => &["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"],
        "huawei" => &["cn-north-4", "cn-east-3", "cn-south-1", "ap-southeast-1"],
        "azure" => &["eastus", "westeurope", "southeastasia", "chinanorth2"],
        "openstack" => &["RegionOne", "RegionTwo", "RegionThree", "RegionFour"],
        _ => &[],
    };
    if t.is_empty() {
        (1..=4).map(|n| format!("{provider}-region-{n}")).collect()
    } else {
        t.iter().map(|s| s.to_string()).collect()
    }
}

/// Zones of a region in the provider's naming convention.
pub fn default_zones(provider: &str, region: &str) -> Vec<String> {
    match provider {
        "tencent" => ["3", "4", "6"]
            .iter()
            .map(|z| format!("{region}-{z}"))
            .collect(),
        "alibaba" => ["h", "i", "j"]
            .iter()
            .map(|z| format!("{region}-{z}"))
            .collect(),
        "aws" | "huawei" => ["a", "b", "c"]
            .iter()
            .map(|z| format!("{region}{z}"))
            .collect(),
        "azure" => vec!["1".into(), "2".into(), "3".into()],
        "openstack" => vec!["nova".into()],
        _ => ["a", "b", "c"]
            .iter()
            .map(|z| format!("{region}-{z}"))
            .collect(),
    }
}

/// The bill currency of a provider.
pub fn currency(provider: &str) -> &'static str {
    match provider {
        "tencent" | "alibaba" | "huawei" => "CNY",
        _ => "USD",
    }
}

fn instance_types(provider: &str) -> Vec<InstanceType> {
    let t: &[(&str, &str, u32, u64)] = match provider {
        "tencent" => &[
            ("S5.SMALL2", "S5", 1, 2048),
            ("S5.MEDIUM4", "S5", 2, 4096),
            ("S5.LARGE8", "S5", 4, 8192),
            ("SA2.MEDIUM4", "SA2", 2, 4096),
        ],
        "alibaba" => &[
            ("ecs.c7.large", "ecs.c7", 2, 4096),
            ("ecs.g7.large", "ecs.g7", 2, 8192),
            ("ecs.g7.xlarge", "ecs.g7", 4, 16384),
            ("ecs.t6-c1m1.large", "ecs.t6", 2, 2048),
        ],
        "aws" => &[
            ("t3.micro", "t3", 2, 1024),
            ("t3.small", "t3", 2, 2048),
            ("m5.large", "m5", 2, 8192),
            ("c5.xlarge", "c5", 4, 8192),
        ],
        "huawei" => &[
            ("s6.small.1", "s6", 1, 1024),
            ("s6.large.2", "s6", 2, 4096),
            ("c7.xlarge.2", "c7", 4, 8192),
        ],
        "azure" => &[
            ("Standard_B1s", "standardBSFamily", 1, 1024),
            ("Standard_D2s_v3", "standardDSv3Family", 2, 8192),
            ("Standard_D4s_v3", "standardDSv3Family", 4, 16384),
        ],
        "openstack" => &[
            ("m1.tiny", "m1", 1, 512),
            ("m1.small", "m1", 1, 2048),
            ("m1.medium", "m1", 2, 4096),
            ("m1.large", "m1", 4, 8192),
        ],
        _ => &[
            ("small", "general", 1, 2048),
            ("medium", "general", 2, 4096),
            ("large", "general", 4, 8192),
        ],
    };
    t.iter()
        .map(|(id, fam, c, m)| InstanceType {
            id: (*id).into(),
            family: (*fam).into(),
            vcpus: *c,
            memory_mib: *m,
            gpus: 0,
        })
        .collect()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, v: &'a [T]) -> Option<&'a T> {
    if v.is_empty() {
        None
    } else {
        Some(&v[rng.random_range(0..v.len())])
    }
}

fn count(n: usize, ratio: f64) -> usize {
    (n as f64 * ratio.max(0.0)).round() as usize
}

fn money(rng: &mut ChaCha8Rng, lo_cents: i64, hi_cents: i64) -> Decimal {
    Decimal::new(rng.random_range(lo_cents..hi_cents), 2)
}

#[allow(clippy::too_many_arguments)]
fn push_costs(
    costs: &mut Vec<CostLine>,
    granularity: Granularity,
    rng: &mut ChaCha8Rng,
    month: NaiveDate,
    region: &str,
    resource: &str,
    service: &str,
    charge: ChargeType,
    cur: &str,
    (lo, hi): (i64, i64),
    tags: &Tags,
) {
    let end = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month);
    let periods: Vec<(NaiveDate, NaiveDate)> = match granularity {
        Granularity::Monthly => vec![(month, end)],
        Granularity::Daily => month
            .iter_days()
            .take_while(|d| *d < end)
            .filter_map(|d| d.succ_opt().map(|n| (d, n)))
            .collect(),
    };
    let days = periods.len().max(1) as i64;
    for (start, stop) in periods {
        let (lo, hi) = match granularity {
            Granularity::Monthly => (lo, hi),
            Granularity::Daily => ((lo / days).max(1), (hi / days).max(2)),
        };
        let list = money(rng, lo, hi);
        let discount = if rng.random_bool(0.3) {
            (list * Decimal::new(1, 1)).round_dp(2)
        } else {
            Decimal::ZERO
        };
        costs.push(CostLine {
            period_start: start,
            period_end: stop,
            granularity,
            region: Some(region.into()),
            resource_id: Some(resource.into()),
            service_code: service.into(),
            charge_type: charge,
            list_amount: list,
            discount,
            payable_amount: list - discount,
            currency: cur.into(),
            usage_quantity: None,
            usage_unit: None,
            tags: tags.clone(),
        });
    }
}

/// Fill `e` per `cfg`.
pub(crate) fn generate(e: &Estate, cfg: &GenConfig) {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5EED_0FE5_7A7E);
    let anchor = cfg
        .anchor
        .unwrap_or_else(|| month_start(Utc::now().date_naive()));
    let anchor_time = Utc.from_utc_datetime(&anchor.and_time(NaiveTime::MIN));
    e.write(|d| {
        for provider in &cfg.providers {
            for a_n in 1..=cfg.accounts_per_provider.max(1) {
                let acct = gen_account(e, d, &mut rng, cfg, provider, a_n, anchor, anchor_time);
                d.accounts.push(acct);
            }
        }
    });
}

#[allow(clippy::too_many_arguments)]
fn gen_account(
    e: &Estate,
    d: &mut EstateData,
    rng: &mut ChaCha8Rng,
    cfg: &GenConfig,
    provider: &str,
    a_n: usize,
    anchor: NaiveDate,
    anchor_time: Time,
) -> AccountState {
    let p = provider;
    let account_id = e.next_id(d, p, ResourceKind::Account);
    let ak = e.next_id(d, p, ResourceKind::AccessKey);
    let sk = e.next_with(d, |r| r.mixed_alnum(if p == "aws" { 40 } else { 32 }));
    let mut extras = BTreeMap::new();
    match p {
        "tencent" => {
            extras.insert(
                "app_id".into(),
                e.next_with(d, |r| format!("125{}", r.digits(7))),
            );
            extras.insert("owner_uin".into(), account_id.clone());
        }
        "alibaba" => {
            extras.insert("uid".into(), account_id.clone());
        }
        "aws" => {
            extras.insert("account_id".into(), account_id.clone());
        }
        "huawei" => {
            extras.insert("domain_id".into(), account_id.clone());
            extras.insert("project_id".into(), e.next_with(d, |r| r.hex(32)));
        }
        "azure" => {
            extras.insert("subscription_id".into(), e.next_with(d, |r| r.uuid()));
            extras.insert("tenant_id".into(), e.next_with(d, |r| r.uuid()));
        }
        "openstack" => {
            extras.insert("project_id".into(), account_id.clone());
            extras.insert("project_name".into(), format!("project-{a_n}"));
            extras.insert("user_domain_name".into(), "Default".into());
        }
        _ => {}
    }
    let cur = currency(p);
    let name = format!("{p}-{a_n}");
    // Reserve the bill up front: growing a vector of 100k+ lines by doubling
    // would briefly hold two copies.
    let per_region = cfg.instances_per_region
        + count(cfg.instances_per_region, cfg.volumes_per_instance)
        + count(cfg.instances_per_region, cfg.public_ips_per_instance)
        + count(1, cfg.buckets_per_region);
    let lines_per_month = match cfg.cost_granularity {
        Granularity::Monthly => 1,
        Granularity::Daily => 31,
    };
    let mut costs =
        Vec::with_capacity(per_region * cfg.regions * cfg.cost_months * lines_per_month);
    let months: Vec<NaiveDate> = (0..cfg.cost_months)
        .rev()
        .filter_map(|k| anchor.checked_sub_months(chrono::Months::new(k as u32)))
        .collect();
    let mut regions = BTreeMap::new();
    for region in default_regions(p)
        .into_iter()
        .chain((5..).map(|n| format!("{p}-region-{n}")))
        .take(cfg.regions)
    {
        let r = gen_region(
            e,
            d,
            rng,
            cfg,
            p,
            &name,
            &region,
            anchor_time,
            &months,
            cur,
            &mut costs,
        );
        regions.insert(region, r);
    }
    let iam = gen_iam(e, d, rng, cfg, p, anchor_time);
    AccountState {
        provider: p.into(),
        id: account_id,
        name,
        credentials: Credentials {
            access_key_id: ak,
            secret_access_key: SecretString(sk),
        },
        extras,
        regions,
        iam,
        costs,
        balance: Balance {
            available: money(rng, 100_000, 10_000_000),
            credit: Decimal::ZERO,
            currency: cur.into(),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn gen_region(
    e: &Estate,
    d: &mut EstateData,
    rng: &mut ChaCha8Rng,
    cfg: &GenConfig,
    p: &str,
    account_name: &str,
    region: &str,
    anchor_time: Time,
    months: &[NaiveDate],
    cur: &str,
    costs: &mut Vec<CostLine>,
) -> RegionState {
    let mut r = RegionState {
        id: region.into(),
        zones: default_zones(p, region),
        instance_types: instance_types(p),
        ..RegionState::default()
    };
    let past = |rng: &mut ChaCha8Rng, max_days: i64| {
        anchor_time - Duration::seconds(rng.random_range(3600..max_days * 86_400))
    };
    for (os, arch) in [
        ("CentOS 7.9 64bit", "x86_64"),
        ("Ubuntu 22.04 64bit", "x86_64"),
        ("Windows Server 2019", "x86_64"),
        ("Ubuntu 22.04 64bit ARM", "arm64"),
    ] {
        let id = e.next_id(d, p, ResourceKind::Image);
        r.images.insert(
            id.clone(),
            Image {
                id,
                name: os.into(),
                owner: ImageOwner::System,
                os: os.into(),
                architecture: arch.into(),
                size_gib: 40,
                created_at: past(rng, 700),
                tags: Tags::new(),
            },
        );
    }
    let own = e.next_id(d, p, ResourceKind::Image);
    r.images.insert(
        own.clone(),
        Image {
            id: own,
            name: "golden-image".into(),
            owner: ImageOwner::Own,
            os: "CentOS 7.9 64bit".into(),
            architecture: "x86_64".into(),
            size_gib: 50,
            created_at: past(rng, 300),
            tags: [("purpose".to_string(), "golden".to_string())].into(),
        },
    );
    let system_images: Vec<String> = r
        .images
        .values()
        .filter(|i| i.owner == ImageOwner::System)
        .map(|i| i.id.clone())
        .collect();
    // Networks.
    let mut subnets: Vec<(String, String, String, String)> = Vec::new(); // id, vpc, zone, cidr
    let mut vpc_sg: BTreeMap<String, String> = BTreeMap::new();
    for v in 0..cfg.vpcs_per_region {
        let vid = e.next_id(d, p, ResourceKind::Vpc);
        let created = past(rng, 800);
        r.vpcs.insert(
            vid.clone(),
            Vpc {
                id: vid.clone(),
                name: if v == 0 {
                    "default".into()
                } else {
                    format!("vpc-{v}")
                },
                cidr: format!("10.{v}.0.0/16"),
                is_default: v == 0,
                created_at: created,
                tags: Tags::new(),
            },
        );
        for s in 0..cfg.subnets_per_vpc {
            let sid = e.next_id(d, p, ResourceKind::Subnet);
            let zone = r.zones[s % r.zones.len().max(1)].clone();
            let cidr = format!("10.{v}.{s}.0/24");
            r.subnets.insert(
                sid.clone(),
                Subnet {
                    id: sid.clone(),
                    name: format!("subnet-{v}-{s}"),
                    vpc_id: vid.clone(),
                    zone: zone.clone(),
                    cidr: cidr.clone(),
                    created_at: created,
                    tags: Tags::new(),
                },
            );
            subnets.push((sid, vid.clone(), zone, cidr));
        }
        let gid = e.next_id(d, p, ResourceKind::SecurityGroup);
        let r1 = e.next_id(d, p, ResourceKind::SecurityRule);
        let r2 = e.next_id(d, p, ResourceKind::SecurityRule);
        r.security_groups.insert(
            gid.clone(),
            SecurityGroup {
                id: gid.clone(),
                name: format!("sg-default-{v}"),
                description: Some("generated".into()),
                vpc_id: Some(vid.clone()),
                rules: vec![
                    SecurityRule {
                        id: r1,
                        direction: Direction::Ingress,
                        action: RuleAction::Allow,
                        protocol: "tcp".into(),
                        port_from: Some(22),
                        port_to: Some(22),
                        peer: Peer::Cidr("0.0.0.0/0".into()),
                        priority: Some(1),
                        description: Some("ssh".into()),
                    },
                    SecurityRule {
                        id: r2,
                        direction: Direction::Egress,
                        action: RuleAction::Allow,
                        protocol: "all".into(),
                        port_from: None,
                        port_to: None,
                        peer: Peer::Cidr("0.0.0.0/0".into()),
                        priority: Some(1),
                        description: None,
                    },
                ],
                created_at: created,
                tags: Tags::new(),
            },
        );
        vpc_sg.insert(vid, gid);
    }
    // Instances with system disks.
    let envs = ["prod", "staging", "dev"];
    let teams = ["web", "data", "ops", "ml"];
    let mut ids = Vec::with_capacity(cfg.instances_per_region);
    let mut per_subnet: BTreeMap<String, u64> = BTreeMap::new();
    for n in 0..cfg.instances_per_region {
        let id = e.next_id(d, p, ResourceKind::Instance);
        let ty = pick(rng, &r.instance_types).cloned();
        let Some(ty) = ty else { break };
        let sn = pick(rng, &subnets).cloned();
        let zone = match &sn {
            Some((_, _, z, _)) => z.clone(),
            None => r.zones.first().cloned().unwrap_or_default(),
        };
        let ip = match &sn {
            Some((sid, _, _, cidr)) => {
                let c = per_subnet.entry(sid.clone()).or_insert(0);
                *c += 1;
                host_in(Some(cidr), *c - 1)
            }
            None => host_in(None, n as u64),
        };
        let created = past(rng, 400);
        let stopped = rng.random_bool(cfg.stopped_ratio.clamp(0.0, 1.0));
        let prepaid = rng.random_bool(0.2);
        let charge = if prepaid {
            ChargeType::PrePaid
        } else {
            ChargeType::PostPaid
        };
        let tags: Tags = [
            (
                "env".to_string(),
                envs[rng.random_range(0..envs.len())].to_string(),
            ),
            (
                "team".to_string(),
                teams[rng.random_range(0..teams.len())].to_string(),
            ),
        ]
        .into();
        let inst = Instance {
            id: id.clone(),
            name: format!("{account_name}-{region}-vm-{n}"),
            zone: zone.clone(),
            instance_type: ty.id.clone(),
            vcpus: ty.vcpus,
            memory_mib: ty.memory_mib,
            image_id: pick(rng, &system_images).cloned().unwrap_or_default(),
            vpc_id: sn.as_ref().map(|s| s.1.clone()),
            subnet_id: sn.as_ref().map(|s| s.0.clone()),
            security_group_ids: sn
                .as_ref()
                .and_then(|s| vpc_sg.get(&s.1).cloned())
                .into_iter()
                .collect(),
            private_ip: ip,
            charge_type: charge,
            state: if stopped {
                InstanceState::Stopped
            } else {
                InstanceState::Running
            },
            state_since: created,
            stopped_charging: stopped && rng.random_bool(0.5),
            created_at: created,
            expires_at: prepaid.then(|| anchor_time + Duration::days(rng.random_range(1..365))),
            key_name: None,
            user_data: None,
            tags,
        };
        let disk = e.next_id(d, p, ResourceKind::Volume);
        r.volumes.insert(
            disk.clone(),
            Volume {
                id: disk.clone(),
                name: format!("{}-system", inst.name),
                zone,
                size_gib: 40,
                volume_type: "ssd".into(),
                state: VolumeState::InUse,
                state_since: created,
                is_system: true,
                instance_id: Some(id.clone()),
                device: Some("/dev/vda".into()),
                charge_type: charge,
                created_at: created,
                tags: Tags::new(),
            },
        );
        for m in months {
            push_costs(
                costs,
                cfg.cost_granularity,
                rng,
                *m,
                region,
                &id,
                "compute",
                charge,
                cur,
                (2_000, 80_000),
                // No tags on generated bill lines: a tag map costs ~0.6 KiB
                // per line, which dominated the memory of large estates.
                &Tags::new(),
            );
        }
        ids.push((id.clone(), inst.zone.clone()));
        r.instances.insert(id, inst);
    }
    // Data volumes.
    for n in 0..count(cfg.instances_per_region, cfg.volumes_per_instance) {
        let vid = e.next_id(d, p, ResourceKind::Volume);
        let attach = if rng.random_bool(0.7) {
            pick(rng, &ids).cloned()
        } else {
            None
        };
        let zone = attach
            .as_ref()
            .map(|a| a.1.clone())
            .or_else(|| pick(rng, &r.zones).cloned())
            .unwrap_or_default();
        let created = past(rng, 300);
        let size = [20u64, 50, 100, 200, 500][rng.random_range(0..5)];
        let used = attach
            .as_ref()
            .map(|a| {
                r.volumes
                    .values()
                    .filter(|v| v.instance_id.as_deref() == Some(&a.0))
                    .count()
            })
            .unwrap_or(0);
        r.volumes.insert(
            vid.clone(),
            Volume {
                id: vid.clone(),
                name: format!("data-{n}"),
                zone,
                size_gib: size,
                volume_type: if rng.random_bool(0.5) {
                    "ssd".into()
                } else {
                    "hdd".into()
                },
                state: if attach.is_some() {
                    VolumeState::InUse
                } else {
                    VolumeState::Available
                },
                state_since: created,
                is_system: false,
                device: attach
                    .as_ref()
                    .map(|_| format!("/dev/vd{}", (b'a' + (used as u8).min(24)) as char)),
                instance_id: attach.map(|a| a.0),
                charge_type: ChargeType::PostPaid,
                created_at: created,
                tags: Tags::new(),
            },
        );
        for m in months {
            push_costs(
                costs,
                cfg.cost_granularity,
                rng,
                *m,
                region,
                &vid,
                "block_storage",
                ChargeType::PostPaid,
                cur,
                (100, 5_000),
                &Tags::new(),
            );
        }
    }
    // Public IPs.
    for _ in 0..count(cfg.instances_per_region, cfg.public_ips_per_instance) {
        let id = e.next_id(d, p, ResourceKind::PublicIp);
        let address = format!(
            "{}.{}.{}.{}",
            rng.random_range(20..220),
            rng.random_range(0..256),
            rng.random_range(0..256),
            rng.random_range(1..255)
        );
        let bound = if rng.random_bool(0.7) {
            pick(rng, &ids).map(|a| a.0.clone())
        } else {
            None
        };
        let bound = bound.filter(|b| {
            !r.public_ips
                .values()
                .any(|ip| ip.instance_id.as_ref() == Some(b))
        });
        r.public_ips.insert(
            id.clone(),
            PublicIp {
                id: id.clone(),
                address,
                name: None,
                bandwidth_mbps: Some([1u32, 5, 10, 100][rng.random_range(0..4)]),
                instance_id: bound,
                charge_type: ChargeType::PostPaid,
                created_at: past(rng, 300),
                tags: Tags::new(),
            },
        );
        for m in months {
            push_costs(
                costs,
                cfg.cost_granularity,
                rng,
                *m,
                region,
                &id,
                "public_ip",
                ChargeType::PostPaid,
                cur,
                (100, 3_000),
                &Tags::new(),
            );
        }
    }
    // Buckets.
    let nb = count(1, cfg.buckets_per_region);
    for b in 0..nb {
        let name = format!("{account_name}-{region}-b{b}").to_lowercase();
        let created = past(rng, 500);
        let mut objects = BTreeMap::new();
        for o in 0..cfg.objects_per_bucket {
            let key = match o % 3 {
                0 => format!("data/file-{o}.txt"),
                1 => format!("logs/2026/{o:04}.log"),
                _ => format!("readme-{o}.md"),
            };
            let data = format!("object {key} of bucket {name}\n").into_bytes();
            objects.insert(
                key.clone(),
                Object {
                    etag: md5_hex(&data),
                    key,
                    data,
                    content_type: Some("text/plain".into()),
                    storage_class: "STANDARD".into(),
                    metadata: Tags::new(),
                    last_modified: created,
                },
            );
        }
        for m in months {
            push_costs(
                costs,
                cfg.cost_granularity,
                rng,
                *m,
                region,
                &name,
                "object_storage",
                ChargeType::PostPaid,
                cur,
                (10, 2_000),
                &Tags::new(),
            );
        }
        r.buckets.insert(
            name.clone(),
            Bucket {
                name,
                created_at: created,
                storage_class: "STANDARD".into(),
                tags: Tags::new(),
                objects,
                uploads: BTreeMap::new(),
            },
        );
    }
    r
}

fn gen_iam(
    e: &Estate,
    d: &mut EstateData,
    rng: &mut ChaCha8Rng,
    cfg: &GenConfig,
    p: &str,
    anchor_time: Time,
) -> IamState {
    let mut iam = IamState::default();
    let t = |rng: &mut ChaCha8Rng| {
        anchor_time - Duration::seconds(rng.random_range(3600..400 * 86_400))
    };
    for (name, kind, desc) in [
        ("AdministratorAccess", PolicyKind::System, "Full access"),
        ("ReadOnlyAccess", PolicyKind::System, "Read-only access"),
        ("custom-ops", PolicyKind::Custom, "Operations"),
    ] {
        let id = e.next_id(d, p, ResourceKind::Policy);
        iam.policies.insert(
            name.into(),
            Policy {
                id,
                name: name.into(),
                kind,
                description: Some(desc.into()),
                document: Some(
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
                        .into(),
                ),
                created_at: t(rng),
            },
        );
    }
    for g in ["admins", "developers"] {
        let id = e.next_id(d, p, ResourceKind::Group);
        iam.groups.insert(
            g.into(),
            Group {
                id,
                name: g.into(),
                description: None,
                created_at: t(rng),
            },
        );
    }
    let rid = e.next_id(d, p, ResourceKind::Role);
    iam.roles.insert(
        "ops-role".into(),
        Role {
            id: rid,
            name: "ops-role".into(),
            description: Some("assumed by operators".into()),
            trust_policy: Some(
                r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#.into(),
            ),
            created_at: t(rng),
        },
    );
    iam.attachments.push(Attachment {
        principal: Principal::Role("ops-role".into()),
        policy: "ReadOnlyAccess".into(),
    });
    iam.attachments.push(Attachment {
        principal: Principal::Group("admins".into()),
        policy: "AdministratorAccess".into(),
    });
    for n in 0..cfg.users_per_account {
        let name = format!("user-{n}");
        let id = e.next_id(d, p, ResourceKind::User);
        let mut keys = Vec::new();
        if rng.random_bool(0.6) {
            let kid = e.next_id(d, p, ResourceKind::AccessKey);
            let secret = e.next_with(d, |r| r.mixed_alnum(32));
            keys.push(AccessKey {
                id: kid,
                secret: SecretString(secret),
                active: rng.random_bool(0.8),
                created_at: t(rng),
            });
        }
        let group = if n % 2 == 0 { "developers" } else { "admins" };
        if n % 3 == 0 {
            iam.attachments.push(Attachment {
                principal: Principal::User(name.clone()),
                policy: "custom-ops".into(),
            });
        }
        iam.users.insert(
            name.clone(),
            User {
                id,
                name: name.clone(),
                display_name: Some(format!("User {n}")),
                email: Some(format!("{name}@example.com")),
                created_at: t(rng),
                tags: Tags::new(),
                groups: vec![group.into()],
                access_keys: keys,
            },
        );
    }
    let _ = anchor_time.year();
    iam
}
