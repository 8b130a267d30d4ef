//! The simulator harness every provider's end-to-end test file shares: a
//! sim for one provider over HTTPS with its CA written to a temporary file,
//! the provider's account from the accounts file the sim prints, and a
//! connect step.
//!
//! ```ignore
//! let env = Harness::new(ProviderKind::Alibaba).instances(3).start().await;
//! let p = env.connect(false).await;
//! ```
//!
//! The [`suite!`](super::suite) macro builds the behaviour-suite tests on it.

use std::collections::BTreeMap;
use std::sync::Arc;

use multicloud::config::{AccountConfig, AccountsFile};
use multicloud::model::{
    Direction, InstanceSpec, Peer, PortRange, Protocol, ProviderKind, RuleAction, SecurityRule,
};
use multicloud::{Cloud, Provider};
use multicloud_sim::{FaultKind, FaultRule, Scope, Sim, SimHandle};

/// How a test's simulator starts: one provider, its seed, its estate size,
/// its fault rules and whether transitions are shortened
/// ([`fast_timings`](super::fast_timings)).
#[derive(Debug, Clone)]
pub struct Harness {
    /// The provider under test; the sim runs only its frontends.
    pub kind: ProviderKind,
    /// The sim's seed (estate and faults).
    pub seed: u64,
    /// Regions per account.
    pub regions: usize,
    /// Instances per region.
    pub instances: usize,
    /// Fault rules the sim starts with.
    pub faults: Vec<FaultRule>,
    /// Whether the estate gets the suite's short transition timings.
    pub fast_timings: bool,
    /// `Some(n)`: a denser network and storage estate (see
    /// [`Harness::per_region`]); `None`: the generator's defaults (one VPC
    /// and security group, a bucket, about one public IP per five
    /// instances).
    pub per_region: Option<usize>,
    /// The sim's page cap (see [`Harness::page_cap`]).
    pub page_cap: Option<usize>,
}

impl Harness {
    /// Seed 11, two regions of five instances, no faults, fast timings.
    pub fn new(kind: ProviderKind) -> Self {
        Harness {
            kind,
            seed: 11,
            regions: 2,
            instances: 5,
            faults: Vec::new(),
            fast_timings: true,
            per_region: None,
            page_cap: None,
        }
    }

    /// `n` VPCs per region (each with two subnets and its security group),
    /// `n` buckets per region and `n` public IPs per region (when there
    /// are instances), so that listings at page size 1 walk `n` pages and
    /// more.
    pub fn per_region(mut self, n: usize) -> Self {
        self.per_region = Some(n);
        self
    }

    /// Every page the sim answers holds at most `n` items whatever the
    /// request asks (`Estate::set_page_cap`; the frontends that honour it
    /// are listed there): pages a listing whose query has no page size.
    pub fn page_cap(mut self, n: usize) -> Self {
        self.page_cap = Some(n);
        self
    }

    /// The sim's seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Regions per account.
    pub fn regions(mut self, n: usize) -> Self {
        self.regions = n;
        self
    }

    /// Instances per region.
    pub fn instances(mut self, n: usize) -> Self {
        self.instances = n;
        self
    }

    /// One more fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Keep the sim's own transition timings instead of the fast ones.
    pub fn sim_timings(mut self) -> Self {
        self.fast_timings = false;
        self
    }

    /// Starts the sim (HTTPS, CA file in a temporary directory) and picks
    /// the provider's account from the accounts file it prints.
    pub async fn start(&self) -> Env {
        let name = self.kind.as_str();
        assert!(
            multicloud_sim::frontends::compiled_in()
                .iter()
                .any(|f| f.name() == name),
            "the simulator was built without its {name} frontend: run with \
             `--features {name},multicloud-sim/{name}` (CI: `--workspace --all-features`)"
        );
        let mut b = Sim::builder()
            .seed(self.seed)
            .providers(&[name])
            .regions(self.regions)
            .instances_per_region(self.instances)
            .https(true);
        if let Some(n) = self.per_region {
            let mut g = multicloud_sim::GenConfig {
                seed: self.seed,
                providers: vec![name.to_string()],
                regions: self.regions,
                instances_per_region: self.instances,
                vpcs_per_region: n,
                subnets_per_vpc: 2,
                buckets_per_region: n as f64,
                ..multicloud_sim::GenConfig::default()
            };
            if self.instances > 0 {
                g.public_ips_per_instance = n as f64 / self.instances as f64;
            }
            b = b.generator(g);
        }
        for r in &self.faults {
            b = b.fault(r.clone());
        }
        let mut sim = b.start().await.expect("sim starts");
        let dir = tempfile::tempdir().expect("tempdir");
        sim.write_ca_file(&dir.path().join("ca.pem"))
            .expect("CA file");
        if self.fast_timings {
            sim.estate().set_timings(super::fast_timings());
        }
        if let Some(n) = self.page_cap {
            sim.estate().set_page_cap(Some(n));
        }
        let file = AccountsFile::parse(&sim.accounts_toml()).expect("accounts file");
        let account = file
            .accounts
            .into_iter()
            .find(|a| a.provider == self.kind)
            .unwrap_or_else(|| panic!("a {name} account"));
        Env {
            kind: self.kind,
            sim,
            account,
            _dir: dir,
        }
    }
}

/// A running sim for one provider.
pub struct Env {
    /// The provider under test.
    pub kind: ProviderKind,
    /// The simulator.
    pub sim: SimHandle,
    /// The provider's account from the sim's accounts file (resolve and CA
    /// file set).
    pub account: AccountConfig,
    /// Holds the CA file the account points at.
    _dir: tempfile::TempDir,
}

impl Env {
    /// Connects to the provider's account, read-only if asked.
    pub async fn connect(&self, read_only: bool) -> Arc<dyn Provider> {
        let mut a = self.account.clone();
        a.read_only = read_only;
        connect(&a).await
    }
}

impl Env {
    /// A second account of the provider under test with nothing in it: the
    /// first account's regions (zones, images and instance types kept) but
    /// no instances, volumes, VPCs, subnets, security groups, public IPs or
    /// buckets, no IAM users, groups, roles or policies, and no cost lines.
    /// Added to the sim's estate; its accounts-file entry is returned.
    pub fn empty_account(&self) -> AccountConfig {
        let name = self.kind.as_str();
        let first = self.sim.accounts(name).remove(0);
        let mut a = self
            .sim
            .estate()
            .with_account(name, &first.id, |a| a.clone())
            .expect("the first account");
        let id: String = first.id.chars().rev().collect();
        assert_ne!(id, first.id, "a new account id");
        let key = &first.access_key_id;
        let cut = key.len().saturating_sub(4);
        a.id = id.clone();
        a.name = format!("{name}-empty");
        a.credentials = multicloud_sim::estate::Credentials {
            access_key_id: format!("{}EMTY", &key[..cut]),
            secret_access_key: multicloud_sim::estate::SecretString(
                first.secret_access_key.expose().chars().rev().collect(),
            ),
        };
        for v in a.extras.values_mut() {
            if *v == first.id {
                *v = id.clone();
            }
        }
        for r in a.regions.values_mut() {
            *r = multicloud_sim::estate::RegionState {
                id: r.id.clone(),
                zones: r.zones.clone(),
                images: r.images.clone(),
                instance_types: r.instance_types.clone(),
                ..Default::default()
            };
        }
        a.iam = Default::default();
        a.costs.clear();
        self.sim
            .estate()
            .add_account(a)
            .expect("add the empty account");
        let file = AccountsFile::parse(&self.sim.accounts_toml()).expect("accounts file");
        file.accounts
            .into_iter()
            .find(|x| x.name == format!("{name}-empty"))
            .expect("the empty account in the accounts file")
    }
}

/// Connects to an account (one the test changed).
pub async fn connect(account: &AccountConfig) -> Arc<dyn Provider> {
    Cloud::connect(account).await.expect("connect")
}

/// An ingress rule allowing SSH from `cidr`.
pub fn ssh_rule(cidr: &str, priority: Option<u32>) -> SecurityRule {
    SecurityRule {
        id: None,
        direction: Direction::Ingress,
        action: RuleAction::Allow,
        protocol: Protocol::Tcp,
        ports: Some(PortRange::single(22)),
        peer: Peer::Cidr(cidr.into()),
        priority,
        description: Some("ssh".into()),
    }
}

/// The instance the idempotency checks create: the region's first system
/// image and instance type, in its first subnet with a security group of
/// that subnet's VPC, named `idem-vm`, tagged `suite=idempotency`, with the
/// caller's client token if any.
pub fn launch_spec(sim: &SimHandle, s: &Scope, token: Option<&str>) -> InstanceSpec {
    let (zone, image, ty, subnet, sgs) = sim
        .estate()
        .with_region(s, |r| {
            let image = r
                .images
                .values()
                .find(|i| i.owner == multicloud_sim::estate::ImageOwner::System)
                .map(|i| i.id.clone())
                .expect("a system image");
            let subnet = r.subnets.values().next().cloned().expect("a subnet");
            let sgs: Vec<String> = r
                .security_groups
                .values()
                .filter(|g| g.vpc_id.as_deref() == Some(subnet.vpc_id.as_str()))
                .map(|g| g.id.clone())
                .take(1)
                .collect();
            (
                subnet.zone.clone(),
                image,
                r.instance_types[0].id.clone(),
                subnet.id.clone(),
                sgs,
            )
        })
        .expect("sim region");
    InstanceSpec {
        region: s.region.clone(),
        zone: Some(zone),
        name: "idem-vm".into(),
        instance_type: ty,
        image_id: image,
        subnet_id: Some(subnet),
        security_group_ids: sgs,
        tags: BTreeMap::from([("suite".to_string(), "idempotency".to_string())]),
        client_token: token.map(str::to_string),
        ..InstanceSpec::default()
    }
}

/// How many `action` requests the sim answered by dropping the connection
/// after applying them (the lost-response fault).
pub fn lost_answers(sim: &SimHandle, action: &str) -> usize {
    sim.requests()
        .filter(|r| r.action == action && r.fault == Some(FaultKind::LostResponse))
        .len()
}
