//! The shared behaviour suite: one set of checks run against every provider
//! through the simulator (DESIGN §10.2).
//!
//! Each check is a public async function taking the provider under test
//! (`&dyn Provider`, connected to the sim with the accounts file from
//! [`SimHandle::accounts_toml`]) and the running [`SimHandle`], and panics
//! with a message when the provider misbehaves. A provider's test file
//! includes this module (`mod behaviour;`) and calls the checks it supports:
//!
//! ```ignore
//! let sim = multicloud_sim::Sim::builder().providers(&["tencent"]).start().await?;
//! let p = connect_from_toml(&sim.accounts_toml()).await;
//! behaviour::list_every_page(&*p, &sim).await;
//! ```
//!
//! Provider-specific inputs (the throttled actions' names, the create action,
//! an id that does not exist in the cloud's format) are parameters.
//!
//! [`harness`] starts a sim for one provider and connects to it; the
//! [`suite!`] macro turns the checks into one `#[tokio::test]` each on that
//! harness, named `behaviour_<check>`.
// Each test crate that includes the module uses only part of it
// (`behaviour_compiles` none of `suite!`).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use futures::TryStreamExt;
use multicloud::model::{
    CostQuery, Direction, GetOptions, InstanceSpec, InstanceState, ListInstances, ListNetwork,
    ListObjects, ListVolumes, NewUser, ObjectEntry, Peer, PolicyKind, PolicyRef, PortRange,
    PresignMethod, PresignOptions, Principal, PublicIpSpec, PublicIpState, PutOptions,
    SecurityGroupSpec, SecurityRule, StopOptions, SubnetSpec, VolumeSpec, VolumeState, VpcSpec,
    WaitOptions,
};
use multicloud::{ErrorKind, Provider};
use multicloud_sim::estate::{AccountInfo, ImageOwner, Timings};
use multicloud_sim::{FaultKind, FaultRule, Filter, LoggedRequest, PageReq, Scope, SimHandle};

pub mod harness;

/// Generates the behaviour-suite tests of one provider: one `#[tokio::test]`
/// per check, named `behaviour_<check>`, each starting its own sim from the
/// harness expression (a [`harness::Harness`], evaluated per test),
/// connecting (read-only for `read_only_sends_nothing_mutating`), running
/// the check and shutting the sim down.
///
/// The whole suite, with the provider's inputs:
///
/// ```ignore
/// behaviour::suite! {
///     harness: Harness::new(ProviderKind::Aws),
///     network_rule: harness::ssh_rule("203.0.113.0/24", None),
///     bucket: "mc-behaviour-bucket",
///     throttled_action: "DescribeInstances",
///     volume_list_action: "DescribeVolumes",
///     create_action: "RunInstances",
///     missing_public_ip: "eipalloc-00000000000000000",
///     assumed_role_arn: |account, role| format!("arn:aws:iam::{account}:role/{role}"),
///     security_token_header: "x-amz-security-token",
///     prepaid_balance: false,
/// }
/// ```
///
/// Or chosen checks (a provider that tests the others its own way), with
/// the inputs of those that take one in parentheses:
///
/// ```ignore
/// behaviour::suite! {
///     harness: Harness::new(ProviderKind::Tencent).seed(12),
///     checks: [list_with_filters, storage_round_trip("behaviour")],
/// }
/// ```
#[allow(unused_macros)]
macro_rules! suite {
    // Three VPCs (two subnets and a security group each) and three public
    // IPs per region, so page size 1 walks several pages of each list.
    (@check $h:expr; list_every_page) => {
        $crate::behaviour::suite!(
            @test $h.per_region(3); behaviour_list_every_page, false, list_every_page()
        );
    };
    (@check $h:expr; list_with_filters) => {
        $crate::behaviour::suite!(@test $h; behaviour_list_with_filters, false, list_with_filters());
    };
    (@check $h:expr; instance_lifecycle) => {
        $crate::behaviour::suite!(@test $h; behaviour_instance_lifecycle, false, instance_lifecycle());
    };
    (@check $h:expr; missing_instance_is_not_found) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_missing_instance_is_not_found, false, missing_instance_is_not_found()
        );
    };
    (@check $h:expr; volume_round_trip) => {
        $crate::behaviour::suite!(@test $h; behaviour_volume_round_trip, false, volume_round_trip());
    };
    (@check $h:expr; network_round_trip($rule:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_network_round_trip, false, network_round_trip($rule)
        );
    };
    (@check $h:expr; public_ip_round_trip) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_public_ip_round_trip, false, public_ip_round_trip()
        );
    };
    (@check $h:expr; storage_round_trip($bucket:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_storage_round_trip, false, storage_round_trip($bucket)
        );
    };
    (@check $h:expr; cost_lines_sum_to_estate_total($month:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_cost_lines_sum_to_estate_total, false,
            cost_lines_sum_to_estate_total($month)
        );
    };
    (@check $h:expr; iam_round_trip) => {
        $crate::behaviour::suite!(@test $h; behaviour_iam_round_trip, false, iam_round_trip());
    };
    (@check $h:expr; throttled_action_succeeds($action:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_throttled_action_succeeds, false, throttled_action_succeeds($action)
        );
    };
    (@check $h:expr; read_only_sends_nothing_mutating) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_read_only_sends_nothing_mutating, true,
            read_only_sends_nothing_mutating()
        );
    };
    (@check $h:expr; all_answers_lost_then_same_token_returns_the_instance($action:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_all_answers_lost_then_same_token_returns_the_instance, false,
            all_answers_lost_then_same_token_returns_the_instance($action)
        );
    };
    (@check $h:expr; throttled_volume_listing_succeeds($action:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_throttled_volume_listing_succeeds, false,
            throttled_volume_listing_succeeds($action)
        );
    };
    // A region without instances.
    (@check $h:expr; empty_results($missing_ip_id:expr)) => {
        $crate::behaviour::suite!(
            @test $h.instances(0); behaviour_empty_results, false, empty_results($missing_ip_id)
        );
    };
    // Connects to a second, empty account of the sim.
    (@check $h:expr; empty_account_lists) => {
        #[tokio::test]
        async fn behaviour_empty_account_lists() {
            let env = $h.start().await;
            let p = $crate::behaviour::harness::connect(&env.empty_account()).await;
            $crate::behaviour::empty_account_lists(&*p, &env.sim).await;
            env.sim.shutdown().await;
        }
    };
    (@check $h:expr; regions_zones_and_account) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_regions_zones_and_account, false, regions_zones_and_account()
        );
    };
    (@check $h:expr; images_and_instance_types) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_images_and_instance_types, false, images_and_instance_types()
        );
    };
    (@check $h:expr; assume_role_credentials($role_arn:expr, $token_header:expr)) => {
        #[tokio::test]
        async fn behaviour_assume_role_credentials() {
            let env = $h.start().await;
            $crate::behaviour::assume_role_credentials(&env, $role_arn, $token_header).await;
            env.sim.shutdown().await;
        }
    };
    // Starts its own sims (one per seed) from the harness.
    (@check $h:expr; lost_response_create_makes_exactly_one_instance($action:expr)) => {
        #[tokio::test]
        async fn behaviour_lost_response_create_makes_exactly_one_instance() {
            $crate::behaviour::lost_response_create_makes_exactly_one_instance($h, $action).await;
        }
    };
    (@check $h:expr; balance_matches_estate($prepaid:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_balance_matches_estate, false, balance_matches_estate($prepaid)
        );
    };
    (@check $h:expr; unusual_object_keys) => {
        $crate::behaviour::suite!(@test $h; behaviour_unusual_object_keys, false, unusual_object_keys());
    };
    (@check $h:expr; storage_throttle_is_retried) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_storage_throttle_is_retried, false, storage_throttle_is_retried()
        );
    };
    (@check $h:expr; object_pages_prefix_and_copy) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_object_pages_prefix_and_copy, false, object_pages_prefix_and_copy()
        );
    };
    (@check $h:expr; caller_client_token_is_idempotent) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_caller_client_token_is_idempotent, false,
            caller_client_token_is_idempotent()
        );
    };
    (@check $h:expr; delete_user_without_cleanup_conflicts) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_delete_user_without_cleanup_conflicts, false,
            delete_user_without_cleanup_conflicts()
        );
    };
    (@check $h:expr; server_errors_are_retried($action:expr)) => {
        $crate::behaviour::suite!(
            @test $h; behaviour_server_errors_are_retried, false, server_errors_are_retried($action)
        );
    };
    (@check $h:expr; $($other:tt)*) => {
        compile_error!(concat!(
            "not a behaviour check (or not with these inputs): ",
            stringify!($($other)*)
        ));
    };
    (@test $h:expr; $name:ident, $read_only:expr, $check:ident($($arg:expr),*)) => {
        #[tokio::test]
        async fn $name() {
            let env = $h.start().await;
            let p = env.connect($read_only).await;
            $crate::behaviour::$check(&*p, &env.sim $(, $arg)*).await;
            env.sim.shutdown().await;
        }
    };
    (
        harness: $h:expr,
        checks: [$($check:ident $(($($arg:expr),* $(,)?))?),* $(,)?] $(,)?
    ) => {
        $($crate::behaviour::suite!(@check $h; $check $(($($arg),*))?);)*
    };
    (
        harness: $h:expr,
        network_rule: $rule:expr,
        bucket: $bucket:expr,
        throttled_action: $action:expr,
        volume_list_action: $volumes:expr,
        create_action: $create:expr,
        missing_public_ip: $missing_ip:expr,
        assumed_role_arn: $role_arn:expr,
        security_token_header: $token_header:expr,
        prepaid_balance: $prepaid:expr $(,)?
    ) => {
        $crate::behaviour::suite! {
            harness: $h,
            checks: [
                list_every_page,
                list_with_filters,
                instance_lifecycle,
                missing_instance_is_not_found,
                volume_round_trip,
                network_round_trip($rule),
                public_ip_round_trip,
                storage_round_trip($bucket),
                cost_lines_sum_to_estate_total(chrono::Utc::now().date_naive()),
                iam_round_trip,
                throttled_action_succeeds($action),
                read_only_sends_nothing_mutating,
                all_answers_lost_then_same_token_returns_the_instance($create),
                lost_response_create_makes_exactly_one_instance($create),
                throttled_volume_listing_succeeds($volumes),
                empty_results($missing_ip),
                empty_account_lists,
                regions_zones_and_account,
                images_and_instance_types,
                assume_role_credentials($role_arn, $token_header),
                balance_matches_estate($prepaid),
                unusual_object_keys,
                storage_throttle_is_retried,
                object_pages_prefix_and_copy,
                caller_client_token_is_idempotent,
                delete_user_without_cleanup_conflicts,
            ],
        }
    };
}
#[allow(unused_imports)]
pub(crate) use suite;

/// Waits used by the suite: quick polls, generous deadline.
pub fn wait_opts() -> WaitOptions {
    WaitOptions {
        timeout_ms: 30_000,
        interval_ms: 50,
        max_interval_ms: 500,
    }
}

/// Short simulated transitions so lifecycle checks finish quickly.
pub fn fast_timings() -> Timings {
    Timings {
        create_ms: 200,
        start_ms: 150,
        stop_ms: 150,
        reboot_ms: 150,
        terminate_ms: 150,
        gone_ms: 2_000,
        volume_create_ms: 100,
        attach_ms: 100,
        detach_ms: 100,
    }
}

/// Live instances of a scope in the sim's estate (the count every full
/// listing must match).
pub fn estate_instance_count(
    sim: &SimHandle,
    provider: &str,
    account: &str,
    region: &str,
) -> usize {
    sim.estate()
        .count_instances(&Scope::new(provider, account, region))
        .unwrap_or(0)
}

/// Lists the scope's instances through the provider (at `page_size`) and
/// asserts it finds exactly the estate's live instances; `what` names the
/// listing in a failure. Returns the count.
pub async fn listing_matches_estate(
    p: &dyn Provider,
    sim: &SimHandle,
    s: &Scope,
    page_size: Option<u32>,
    what: &str,
) -> usize {
    let n = p
        .compute()
        .expect("compute")
        .instances(&ListInstances {
            region: s.region.clone(),
            page_size,
            ..ListInstances::default()
        })
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert_eq!(
        n,
        estate_instance_count(sim, &s.provider, &s.account, &s.region),
        "{what}"
    );
    n
}

/// The sim account a provider acts as: the one whose id is the provider's
/// account id, else the provider's first seeded account.
pub async fn sim_account(p: &dyn Provider, sim: &SimHandle) -> AccountInfo {
    let name = p.kind().as_str();
    let accounts = sim.accounts(name);
    assert!(!accounts.is_empty(), "the sim has no {name} account");
    let id = p.account().await.map(|a| a.id).ok();
    accounts
        .iter()
        .find(|a| Some(&a.id) == id.as_ref())
        .cloned()
        .unwrap_or_else(|| accounts[0].clone())
}

/// The first region the provider reports that the sim has for its account.
pub async fn sim_scope(p: &dyn Provider, sim: &SimHandle) -> Scope {
    let a = sim_account(p, sim).await;
    let regions = p.regions().await.expect("regions");
    let region = regions
        .iter()
        .map(|r| r.id.clone())
        .find(|r| a.regions.contains(r))
        .unwrap_or_else(|| panic!("no provider region among the sim's {:?}", a.regions));
    Scope::new(p.kind().as_str(), a.id, region)
}

/// The provider's object storage, with a new bucket `name` in the
/// provider's sim region (the scope is returned too).
pub async fn storage_with_bucket<'a>(
    p: &'a dyn Provider,
    sim: &SimHandle,
    name: &str,
) -> (Scope, &'a dyn multicloud::Storage) {
    let s = sim_scope(p, sim).await;
    let st = p.storage().expect("storage");
    st.create_bucket(&multicloud::model::BucketSpec {
        name: name.into(),
        region: s.region.clone(),
        storage_class: None,
    })
    .await
    .expect("bucket");
    (s, st)
}

/// Logged requests of one provider's frontend.
pub fn requests_of(sim: &SimHandle, provider: &str) -> Vec<LoggedRequest> {
    sim.requests()
        .filter(|e| e.frontend.as_deref() == Some(provider))
}

fn zone_and_launch(
    sim: &SimHandle,
    s: &Scope,
) -> (String, String, String, Option<String>, Vec<String>) {
    sim.estate()
        .with_region(s, |r| {
            let image = r
                .images
                .values()
                .find(|i| i.owner == ImageOwner::System)
                .map(|i| i.id.clone())
                .expect("a system image");
            let ty = r.instance_types[0].id.clone();
            let subnet = r.subnets.values().next().cloned();
            let zone = subnet
                .as_ref()
                .map(|s| s.zone.clone())
                .unwrap_or_else(|| r.zones[0].clone());
            let sgs = subnet
                .as_ref()
                .and_then(|sn| {
                    r.security_groups
                        .values()
                        .find(|g| g.vpc_id.as_deref() == Some(sn.vpc_id.as_str()))
                        .map(|g| vec![g.id.clone()])
                })
                .unwrap_or_default();
            (zone, image, ty, subnet.map(|s| s.id), sgs)
        })
        .expect("sim region")
}

/// Every list with page size 1 returns exactly the estate's resources, by
/// id (the `suite!` macro starts this check's sim with
/// [`Harness::per_region`](harness::Harness::per_region)`(3)`: three VPCs,
/// six subnets, three security groups and three public IPs per region, so
/// each list has several pages).
pub async fn list_every_page(p: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(p, sim).await;
    let compute = p.compute().expect("compute");
    let q = ListInstances {
        region: s.region.clone(),
        page_size: Some(1),
        ..ListInstances::default()
    };
    let got: Vec<_> = compute
        .instances(&q)
        .try_collect()
        .await
        .expect("list instances");
    let ids: BTreeSet<_> = got.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids.len(), got.len(), "an instance was listed twice");
    assert_eq!(
        got.len(),
        estate_instance_count(sim, &s.provider, &s.account, &s.region),
        "instances listed with page size 1"
    );
    let vq = ListVolumes {
        region: s.region.clone(),
        page_size: Some(1),
        ..ListVolumes::default()
    };
    let vols: Vec<_> = compute
        .volumes(&vq)
        .try_collect()
        .await
        .expect("list volumes");
    let want = sim
        .estate()
        .volumes(&s, &Filter::default(), &PageReq::All)
        .expect("estate")
        .total;
    assert_eq!(vols.len(), want, "volumes listed with page size 1");
    if let Some(net) = p.network() {
        let nq = ListNetwork {
            region: s.region.clone(),
            page_size: Some(1),
            ..ListNetwork::default()
        };
        let e = sim.estate();
        let f = Filter::default();
        let ids = |what: &str, got: Vec<String>, want: Vec<String>| {
            let n = got.len();
            let got: BTreeSet<String> = got.into_iter().collect();
            assert_eq!(got.len(), n, "{what}: an item was listed twice");
            assert_eq!(got, want.into_iter().collect(), "{what} at page size 1");
        };
        let got = net.vpcs(&nq).map_ok(|x| x.id).try_collect().await;
        let want = e.vpcs(&s, &f, &PageReq::All).expect("estate").items;
        ids(
            "vpcs",
            got.expect("vpcs"),
            want.into_iter().map(|x| x.id).collect(),
        );
        let got = net.subnets(&nq).map_ok(|x| x.id).try_collect().await;
        let want = e.subnets(&s, &f, &PageReq::All).expect("estate").items;
        ids(
            "subnets",
            got.expect("subnets"),
            want.into_iter().map(|x| x.id).collect(),
        );
        let got = net
            .security_groups(&nq)
            .map_ok(|x| x.id)
            .try_collect()
            .await;
        let want = e
            .security_groups(&s, &f, &PageReq::All)
            .expect("estate")
            .items;
        ids(
            "security groups",
            got.expect("security groups"),
            want.into_iter().map(|x| x.id).collect(),
        );
        let got = net.public_ips(&nq).map_ok(|x| x.id).try_collect().await;
        let want = e.public_ips(&s, &f, &PageReq::All).expect("estate").items;
        ids(
            "public ips",
            got.expect("public ips"),
            want.into_iter().map(|x| x.id).collect(),
        );
    }
}

/// Listing by ids returns exactly those; listing by a tag returns exactly
/// the instances carrying it.
pub async fn list_with_filters(p: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(p, sim).await;
    let compute = p.compute().expect("compute");
    let all: Vec<_> = compute
        .instances(&ListInstances {
            region: s.region.clone(),
            ..ListInstances::default()
        })
        .try_collect()
        .await
        .expect("list");
    assert!(
        all.len() >= 3,
        "need at least 3 instances, have {}",
        all.len()
    );
    let ids = vec![all[0].id.clone(), all[2].id.clone()];
    let by_id: Vec<_> = compute
        .instances(&ListInstances {
            region: s.region.clone(),
            ids: ids.clone(),
            page_size: Some(1),
            ..ListInstances::default()
        })
        .try_collect()
        .await
        .expect("list by ids");
    let got: BTreeSet<_> = by_id.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, ids.into_iter().collect::<BTreeSet<_>>());
    let (k, v) = all[0]
        .tags
        .iter()
        .next()
        .expect("generated instances carry tags");
    let tags = BTreeMap::from([(k.clone(), v.clone())]);
    let by_tag: Vec<_> = compute
        .instances(&ListInstances {
            region: s.region.clone(),
            tags: tags.clone(),
            ..ListInstances::default()
        })
        .try_collect()
        .await
        .expect("list by tag");
    let want = all.iter().filter(|i| i.tags.get(k) == Some(v)).count();
    assert_eq!(by_tag.len(), want, "instances tagged {k}={v}");
    assert!(by_tag.iter().all(|i| i.tags.get(k) == Some(v)));
}

/// Create, get, stop, start, reboot and delete an instance, waiting for each
/// state; a second delete is `Ok`; the deleted instance ends `NotFound` or
/// `Terminated`.
pub async fn instance_lifecycle(p: &dyn Provider, sim: &SimHandle) {
    sim.estate().set_timings(fast_timings());
    let s = sim_scope(p, sim).await;
    let (zone, image, ty, subnet, sgs) = zone_and_launch(sim, &s);
    let c = p.compute().expect("compute");
    let before = estate_instance_count(sim, &s.provider, &s.account, &s.region);
    let spec = InstanceSpec {
        region: s.region.clone(),
        zone: Some(zone),
        name: "behaviour-vm".into(),
        instance_type: ty,
        image_id: image,
        subnet_id: subnet,
        security_group_ids: sgs,
        tags: BTreeMap::from([("suite".to_string(), "behaviour".to_string())]),
        ..InstanceSpec::default()
    };
    let i = c.create_instance(&spec).await.expect("create");
    assert_eq!(
        estate_instance_count(sim, &s.provider, &s.account, &s.region),
        before + 1
    );
    let got = c.instance(&s.region, &i.id).await.expect("get");
    assert_eq!(got.id, i.id);
    assert_eq!(got.name, "behaviour-vm");
    let w = wait_opts();
    c.wait_until_instance(&s.region, &i.id, InstanceState::Running, w)
        .await
        .expect("running");
    c.stop_instance(&s.region, &i.id, StopOptions::default())
        .await
        .expect("stop");
    c.wait_until_instance(&s.region, &i.id, InstanceState::Stopped, w)
        .await
        .expect("stopped");
    c.start_instance(&s.region, &i.id).await.expect("start");
    c.wait_until_instance(&s.region, &i.id, InstanceState::Running, w)
        .await
        .expect("running again");
    c.reboot_instance(&s.region, &i.id).await.expect("reboot");
    c.wait_until_instance(&s.region, &i.id, InstanceState::Running, w)
        .await
        .expect("running after reboot");
    c.delete_instance(&s.region, &i.id).await.expect("delete");
    c.delete_instance(&s.region, &i.id)
        .await
        .expect("second delete is Ok");
    let end = c
        .wait_for_instance(
            &s.region,
            &i.id,
            &|i| i.state == InstanceState::Terminated,
            w,
        )
        .await
        .expect("terminated or gone");
    assert!(end.is_none_or(|i| i.state == InstanceState::Terminated));
}

/// A well-formed id that does not exist is `NotFound`, and deleting it is `Ok`.
pub async fn missing_instance_is_not_found(p: &dyn Provider, sim: &SimHandle) {
    sim.estate().set_timings(fast_timings());
    let s = sim_scope(p, sim).await;
    let (zone, image, ty, _, _) = zone_and_launch(sim, &s);
    // Make a real id in the vendor's style, then remove the instance.
    let ghost = sim
        .estate()
        .create_instance(
            &s,
            multicloud_sim::estate::NewInstance {
                name: "ghost".into(),
                zone: Some(zone),
                instance_type: ty,
                image_id: image,
                ..Default::default()
            },
        )
        .expect("estate create");
    sim.estate().write(|d| {
        for a in &mut d.accounts {
            if a.provider == s.provider && a.id == s.account {
                if let Some(r) = a.regions.get_mut(&s.region) {
                    r.instances.remove(&ghost.id);
                    r.volumes
                        .retain(|_, v| v.instance_id.as_deref() != Some(ghost.id.as_str()));
                }
            }
        }
    });
    let c = p.compute().expect("compute");
    let err = c
        .instance(&s.region, &ghost.id)
        .await
        .expect_err("missing instance");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    c.delete_instance(&s.region, &ghost.id)
        .await
        .expect("deleting a missing instance is Ok");
}

/// Create, attach, detach and delete a volume.
pub async fn volume_round_trip(p: &dyn Provider, sim: &SimHandle) {
    sim.estate().set_timings(fast_timings());
    let s = sim_scope(p, sim).await;
    let c = p.compute().expect("compute");
    let inst = sim
        .estate()
        .instances(&s, &Filter::default(), &PageReq::All)
        .expect("estate")
        .items
        .into_iter()
        .find(|i| i.state == multicloud_sim::estate::InstanceState::Running)
        .expect("a running instance");
    let v = c
        .create_volume(&VolumeSpec {
            region: s.region.clone(),
            zone: Some(inst.zone.clone()),
            name: "behaviour-disk".into(),
            size_gib: 20,
            ..VolumeSpec::default()
        })
        .await
        .expect("create volume");
    let w = wait_opts();
    c.wait_until_volume(&s.region, &v.id, VolumeState::Available, w)
        .await
        .expect("available");
    c.attach_volume(&s.region, &v.id, &inst.id)
        .await
        .expect("attach");
    let v2 = c
        .wait_until_volume(&s.region, &v.id, VolumeState::InUse, w)
        .await
        .expect("in use");
    assert!(v2.attachments.iter().any(|a| a.instance_id == inst.id));
    let attached: Vec<_> = c
        .volumes(&ListVolumes {
            region: s.region.clone(),
            instance_id: Some(inst.id.clone()),
            ..ListVolumes::default()
        })
        .try_collect()
        .await
        .expect("volumes of instance");
    assert!(attached.iter().any(|x| x.id == v.id));
    c.detach_volume(&s.region, &v.id, &inst.id)
        .await
        .expect("detach");
    c.wait_until_volume(&s.region, &v.id, VolumeState::Available, w)
        .await
        .expect("available again");
    c.delete_volume(&s.region, &v.id)
        .await
        .expect("delete volume");
    c.delete_volume(&s.region, &v.id)
        .await
        .expect("second delete is Ok");
    let err = c
        .volume(&s.region, &v.id)
        .await
        .expect_err("deleted volume");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// VPC, subnet, security group and rule round trip (the provider's ingress
/// rule, then an egress rule: each listed with its direction after
/// authorize and gone after revoke); a VPC with a subnet cannot be deleted.
pub async fn network_round_trip(p: &dyn Provider, sim: &SimHandle, rule: SecurityRule) {
    let s = sim_scope(p, sim).await;
    let n = p.network().expect("network");
    let zone = sim
        .estate()
        .with_region(&s, |r| r.zones[0].clone())
        .expect("estate");
    let vpc = n
        .create_vpc(&VpcSpec {
            region: s.region.clone(),
            name: "behaviour-vpc".into(),
            cidr: "10.77.0.0/16".into(),
            ..VpcSpec::default()
        })
        .await
        .expect("create vpc");
    let sn = n
        .create_subnet(&SubnetSpec {
            region: s.region.clone(),
            zone: Some(zone),
            vpc_id: vpc.id.clone(),
            name: "behaviour-subnet".into(),
            cidr: "10.77.1.0/24".into(),
            ..SubnetSpec::default()
        })
        .await
        .expect("create subnet");
    let err = n
        .delete_vpc(&s.region, &vpc.id)
        .await
        .expect_err("vpc with a subnet");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let sg = n
        .create_security_group(&SecurityGroupSpec {
            region: s.region.clone(),
            vpc_id: Some(vpc.id.clone()),
            name: "behaviour-sg".into(),
            description: Some("behaviour suite".into()),
            ..SecurityGroupSpec::default()
        })
        .await
        .expect("create security group");
    n.authorize_rule(&s.region, &sg.id, &rule)
        .await
        .expect("authorize");
    let g = n
        .security_group(&s.region, &sg.id)
        .await
        .expect("get group");
    let found = g
        .rules
        .iter()
        .find(|r| r.direction == rule.direction && r.ports == rule.ports && r.peer == rule.peer)
        .cloned()
        .expect("the authorized rule is listed");
    n.revoke_rule(&s.region, &sg.id, &found)
        .await
        .expect("revoke");
    let g = n
        .security_group(&s.region, &sg.id)
        .await
        .expect("get group");
    assert!(
        !g.rules
            .iter()
            .any(|r| r.ports == rule.ports && r.peer == rule.peer)
    );
    // The same rule outbound: HTTPS to a documentation range.
    let egress = SecurityRule {
        id: None,
        direction: Direction::Egress,
        ports: Some(PortRange::single(443)),
        peer: Peer::Cidr("198.51.100.0/24".into()),
        description: Some("https out".into()),
        ..rule.clone()
    };
    let is_egress = |r: &SecurityRule| {
        r.direction == Direction::Egress && r.ports == egress.ports && r.peer == egress.peer
    };
    n.authorize_rule(&s.region, &sg.id, &egress)
        .await
        .expect("authorize egress");
    let g = n
        .security_group(&s.region, &sg.id)
        .await
        .expect("get group");
    let found = g
        .rules
        .iter()
        .find(|r| is_egress(r))
        .cloned()
        .unwrap_or_else(|| panic!("the egress rule is listed: {:?}", g.rules));
    assert_eq!(found.protocol, egress.protocol);
    assert!(
        !g.rules
            .iter()
            .any(|r| r.direction == Direction::Ingress && r.peer == egress.peer),
        "listed as ingress: {:?}",
        g.rules
    );
    n.revoke_rule(&s.region, &sg.id, &found)
        .await
        .expect("revoke egress");
    let g = n
        .security_group(&s.region, &sg.id)
        .await
        .expect("get group");
    assert!(
        !g.rules.iter().any(is_egress),
        "egress rule revoked: {:?}",
        g.rules
    );
    n.delete_security_group(&s.region, &sg.id)
        .await
        .expect("delete group");
    n.delete_subnet(&s.region, &sn.id)
        .await
        .expect("delete subnet");
    n.delete_vpc(&s.region, &vpc.id).await.expect("delete vpc");
    n.delete_vpc(&s.region, &vpc.id)
        .await
        .expect("second delete is Ok");
}

/// Allocate, associate, disassociate and release a public IP.
pub async fn public_ip_round_trip(p: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(p, sim).await;
    let n = p.network().expect("network");
    let inst = sim
        .estate()
        .instances(&s, &Filter::default(), &PageReq::All)
        .expect("estate")
        .items
        .into_iter()
        .find(|i| {
            i.state == multicloud_sim::estate::InstanceState::Running
                && sim
                    .estate()
                    .instance_public_ips(&s, &i.id)
                    .is_ok_and(|v| v.is_empty())
        })
        .expect("a running instance without a public IP");
    let ip = n
        .allocate_public_ip(&PublicIpSpec {
            region: s.region.clone(),
            bandwidth_mbps: Some(5),
            ..PublicIpSpec::default()
        })
        .await
        .expect("allocate");
    n.associate_public_ip(&s.region, &ip.id, &inst.id)
        .await
        .expect("associate");
    let q = ListNetwork {
        region: s.region.clone(),
        ids: vec![ip.id.clone()],
        ..ListNetwork::default()
    };
    let listed: Vec<_> = n.public_ips(&q).try_collect().await.expect("list ips");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, PublicIpState::InUse);
    assert_eq!(listed[0].instance_id.as_deref(), Some(inst.id.as_str()));
    n.disassociate_public_ip(&s.region, &ip.id)
        .await
        .expect("disassociate");
    n.release_public_ip(&s.region, &ip.id)
        .await
        .expect("release");
    n.release_public_ip(&s.region, &ip.id)
        .await
        .expect("second release is Ok");
}

/// A client that reaches the sim for any host name (and trusts its CA).
pub fn plain_client(sim: &SimHandle, host: &str) -> reqwest::Client {
    let mut b = reqwest::Client::builder().resolve(host, sim.addr());
    if let Some(pem) = sim.ca_pem() {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("CA"));
    }
    b.build().expect("client")
}

/// Bucket and object round trip, with a multipart upload (small threshold)
/// and a presigned GET fetched by a plain HTTP client.
pub async fn storage_round_trip(p: &dyn Provider, sim: &SimHandle, bucket: &str) {
    let s = sim_scope(p, sim).await;
    let st = p.storage().expect("storage");
    st.create_bucket(&multicloud::model::BucketSpec {
        name: bucket.into(),
        region: s.region.clone(),
        storage_class: None,
    })
    .await
    .expect("create bucket");
    let names: Vec<_> = st.buckets().try_collect().await.expect("buckets");
    let b = names
        .iter()
        .find(|b| b.name == bucket || b.name.starts_with(&format!("{bucket}-")))
        .expect("the new bucket is listed")
        .name
        .clone();
    assert_eq!(st.bucket_location(&b).await.expect("location"), s.region);
    let small = Bytes::from_static(b"hello behaviour suite");
    st.put_object(
        &b,
        "dir/small.txt",
        small.clone().into(),
        &PutOptions::default(),
    )
    .await
    .expect("put");
    let meta = st.head_object(&b, "dir/small.txt").await.expect("head");
    assert_eq!(meta.size, small.len() as u64);
    let got = st
        .get_object(&b, "dir/small.txt", &GetOptions::default())
        .await
        .expect("get")
        .collect()
        .await
        .expect("body");
    assert_eq!(got, small);
    let ranged = st
        .get_object(
            &b,
            "dir/small.txt",
            &GetOptions {
                range: Some((0, Some(4))),
            },
        )
        .await
        .expect("range get")
        .collect()
        .await
        .expect("body");
    assert_eq!(&ranged[..], b"hello");
    // Multipart: 5 MiB parts (the common minimum), threshold forced low.
    let big: Vec<u8> = (0..(5 * 1024 * 1024 + 4096))
        .map(|i| (i % 251) as u8)
        .collect();
    let opts = PutOptions {
        multipart_threshold: 1024,
        part_size: 5 * 1024 * 1024,
        ..PutOptions::default()
    };
    let before = requests_of(sim, p.kind().as_str()).len();
    st.put_object(&b, "big.bin", Bytes::from(big.clone()).into(), &opts)
        .await
        .expect("multipart put");
    let puts = requests_of(sim, p.kind().as_str()).len() - before;
    assert!(
        puts >= 4,
        "a multipart upload takes several requests, saw {puts}"
    );
    let back = st
        .get_object(&b, "big.bin", &GetOptions::default())
        .await
        .expect("get big")
        .collect()
        .await
        .expect("body");
    assert_eq!(back.len(), big.len());
    assert!(back[..] == big[..], "multipart object content");
    let entries: Vec<_> = st
        .objects(&ListObjects {
            bucket: b.clone(),
            delimiter: Some("/".into()),
            page_size: Some(1),
            ..ListObjects::default()
        })
        .try_collect()
        .await
        .expect("list objects");
    assert!(
        entries.contains(&ObjectEntry::Prefix("dir/".into())),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, ObjectEntry::Object(o) if o.key == "big.bin"))
    );
    // Presigned GET with a plain client.
    let pre = st
        .presign(
            &b,
            "dir/small.txt",
            &PresignOptions {
                method: PresignMethod::Get,
                expires_secs: 300,
            },
        )
        .await
        .expect("presign");
    // Keep the URL's host (it may be signed) but connect to the sim: without
    // a port in the URL, send it to the sim's port with the original Host.
    let url = url::Url::parse(&pre.url).expect("presigned URL");
    let host = url.host_str().expect("host").to_string();
    let mut req = match url.port() {
        Some(_) => plain_client(sim, &host).get(url.as_str()),
        None => {
            let mut u = url.clone();
            let _ = u.set_port(Some(sim.addr().port()));
            plain_client(sim, &host)
                .get(u.as_str())
                .header("host", host.as_str())
        }
    };
    for (k, v) in &pre.headers {
        req = req.header(k, v);
    }
    let r = req.send().await.expect("presigned fetch");
    assert!(
        r.status().is_success(),
        "presigned GET status {}",
        r.status()
    );
    assert_eq!(r.bytes().await.expect("body"), small);
    for k in ["dir/small.txt", "big.bin"] {
        st.delete_object(&b, k).await.expect("delete object");
    }
    st.delete_object(&b, "big.bin")
        .await
        .expect("deleting a missing object is Ok");
    st.delete_bucket(&b).await.expect("delete bucket");
    st.delete_bucket(&b).await.expect("second delete is Ok");
}

/// The month's cost lines sum to the estate's total, per currency.
pub async fn cost_lines_sum_to_estate_total(
    p: &dyn Provider,
    sim: &SimHandle,
    month: chrono::NaiveDate,
) {
    let a = sim_account(p, sim).await;
    let billing = p.billing().expect("billing");
    let q = CostQuery::month_of(month);
    let lines: Vec<_> = billing
        .cost_lines(&q)
        .try_collect()
        .await
        .expect("cost lines");
    let mut got: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
    for l in &lines {
        *got.entry(l.currency.clone()).or_default() += l.payable_amount;
    }
    let want = sim
        .estate()
        .cost_total(p.kind().as_str(), &a.id, month)
        .expect("estate total");
    assert_eq!(got, want, "cost lines of {month}");
}

/// Create a user, attach a policy, see it attached, delete the user.
pub async fn iam_round_trip(p: &dyn Provider, sim: &SimHandle) {
    let a = sim_account(p, sim).await;
    let iam = p.iam().expect("iam");
    let u = iam
        .create_user(&NewUser {
            name: "behaviour-user".into(),
            display_name: Some("Behaviour".into()),
            ..NewUser::default()
        })
        .await
        .expect("create user");
    assert_eq!(u.name, "behaviour-user");
    let policies: Vec<_> = iam
        .policies(Some(PolicyKind::System))
        .try_collect()
        .await
        .expect("policies");
    let pol = policies
        .iter()
        .find(|x| x.name.contains("ReadOnly"))
        .or(policies.first())
        .expect("a system policy");
    let r = PolicyRef {
        id: pol.id.clone(),
        name: pol.name.clone(),
        kind: pol.kind,
    };
    let who = Principal::User(u.name.clone());
    iam.attach_policy(&who, &r).await.expect("attach");
    let attached: Vec<_> = iam
        .attached_policies(&who)
        .try_collect()
        .await
        .expect("attached");
    assert!(attached.iter().any(|x| x.name == r.name), "{attached:?}");
    let estate = sim
        .estate()
        .attached_policies(
            p.kind().as_str(),
            &a.id,
            &multicloud_sim::estate::Principal::User(u.name.clone()),
        )
        .expect("estate");
    assert_eq!(estate.len(), attached.len());
    iam.delete_user(
        &u.name,
        multicloud::model::DeleteUserOptions { cleanup: true },
    )
    .await
    .expect("delete user");
    let err = iam.user(&u.name).await.expect_err("deleted user");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// With a sim rate limit on `action`, a burst of listings still succeeds
/// (the provider backs off on the cloud's throttle signal), and the sim did
/// throttle at least once.
pub async fn throttled_action_succeeds(p: &dyn Provider, sim: &SimHandle, action: &str) {
    let s = sim_scope(p, sim).await;
    sim.requests().clear();
    sim.faults()
        .add(FaultRule::new(p.kind().as_str(), action).rate_limit(4.0, 1));
    for _ in 0..4 {
        listing_matches_estate(
            p,
            sim,
            &s,
            None,
            "throttled listing must succeed within the deadline",
        )
        .await;
    }
    let throttled = sim
        .requests()
        .filter(|e| e.fault == Some(FaultKind::Throttled))
        .len();
    sim.faults().clear();
    assert!(
        throttled > 0,
        "the sim never throttled {action}: is the action name right?"
    );
}

/// A read-only provider refuses every mutating call before sending it: the
/// request log has no mutating request of its frontend afterwards.
pub async fn read_only_sends_nothing_mutating(read_only: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(read_only, sim).await;
    sim.requests().clear();
    let (zone, image, ty, subnet, sgs) = zone_and_launch(sim, &s);
    let c = read_only.compute().expect("compute");
    let spec = InstanceSpec {
        region: s.region.clone(),
        zone: Some(zone),
        name: "must-not-exist".into(),
        instance_type: ty,
        image_id: image,
        subnet_id: subnet,
        security_group_ids: sgs,
        ..InstanceSpec::default()
    };
    assert!(c.create_instance(&spec).await.is_err());
    let any = sim
        .estate()
        .instances(&s, &Filter::default(), &PageReq::All)
        .expect("estate")
        .items
        .into_iter()
        .next()
        .expect("an instance");
    assert!(
        c.stop_instance(&s.region, &any.id, StopOptions::default())
            .await
            .is_err()
    );
    assert!(c.delete_instance(&s.region, &any.id).await.is_err());
    if let Some(n) = read_only.network() {
        let r = n
            .create_vpc(&VpcSpec {
                region: s.region.clone(),
                name: "ro".into(),
                cidr: "10.1.0.0/16".into(),
                ..VpcSpec::default()
            })
            .await;
        assert!(r.is_err());
    }
    if let Some(iam) = read_only.iam() {
        assert!(
            iam.create_user(&NewUser {
                name: "ro-user".into(),
                ..NewUser::default()
            })
            .await
            .is_err()
        );
    }
    // Reads still work.
    let _: Vec<_> = c
        .instances(&ListInstances {
            region: s.region.clone(),
            ..ListInstances::default()
        })
        .try_collect()
        .await
        .expect("reads work in read-only mode");
    let mutating: Vec<_> = requests_of(sim, read_only.kind().as_str())
        .into_iter()
        .filter(|e| e.mutating)
        .map(|e| e.action)
        .collect();
    assert!(mutating.is_empty(), "read-only provider sent {mutating:?}");
}

/// A parameter of a logged request, wherever the protocol puts it: the
/// query string, a form-encoded body or a JSON body's top level.
pub fn request_param(r: &LoggedRequest, name: &str) -> Option<String> {
    if let Some((_, q)) = r.path.split_once('?') {
        if let Some((_, v)) = url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name) {
            return Some(v.into_owned());
        }
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&r.body) {
        return v.get(name).and_then(|x| x.as_str()).map(str::to_string);
    }
    url::form_urlencoded::parse(&r.body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every answer of the instance create (`create_action`) lost: the create
/// fails as retryable (or `Unavailable`) after at least two attempts, each
/// carrying the caller's `ClientToken`, yet exactly one instance exists; a
/// create with the same token afterwards returns that instance and makes no
/// other.
pub async fn all_answers_lost_then_same_token_returns_the_instance(
    p: &dyn Provider,
    sim: &SimHandle,
    create_action: &str,
) {
    let s = sim_scope(p, sim).await;
    sim.faults()
        .add(FaultRule::new(p.kind().as_str(), create_action).lost_response_rate(1.0));
    let before = estate_instance_count(sim, &s.provider, &s.account, &s.region);
    let c = p.compute().expect("compute");
    let spec = harness::launch_spec(sim, &s, Some("mc-test-token-0001"));
    let err = c
        .create_instance(&spec)
        .await
        .expect_err("every answer lost");
    assert!(
        err.is_retryable() || err.kind() == ErrorKind::Unavailable,
        "{err}"
    );
    let sent = harness::lost_answers(sim, create_action);
    assert!(sent >= 2, "the create was retried ({sent} attempts)");
    let tokens: BTreeSet<Option<String>> = sim
        .requests()
        .filter(|r| r.action == create_action)
        .iter()
        .map(|r| request_param(r, "ClientToken"))
        .collect();
    assert_eq!(
        tokens,
        BTreeSet::from([Some("mc-test-token-0001".to_string())]),
        "every attempt carried the caller's ClientToken"
    );
    assert_eq!(
        estate_instance_count(sim, &s.provider, &s.account, &s.region),
        before + 1,
        "{sent} attempts with one token made one instance"
    );
    sim.faults().clear();
    let i = c.create_instance(&spec).await.expect("same token");
    assert_eq!(
        estate_instance_count(sim, &s.provider, &s.account, &s.region),
        before + 1
    );
    assert_eq!(i.name, "idem-vm");
}

/// With a sim rate limit on `action` (the provider's volume listing),
/// three volume listings in a row succeed (retried through the cloud's
/// throttle answers), none empty, and the sim did throttle.
pub async fn throttled_volume_listing_succeeds(p: &dyn Provider, sim: &SimHandle, action: &str) {
    let s = sim_scope(p, sim).await;
    sim.faults()
        .add(FaultRule::new(p.kind().as_str(), action).rate_limit(4.0, 1));
    let c = p.compute().expect("compute");
    for _ in 0..3 {
        let v: Vec<_> = c
            .volumes(&ListVolumes {
                region: s.region.clone(),
                ..ListVolumes::default()
            })
            .try_collect()
            .await
            .expect("throttled listing succeeds");
        assert!(!v.is_empty());
    }
    let throttled = sim
        .requests()
        .filter(|r| r.fault == Some(FaultKind::Throttled))
        .len();
    sim.faults().clear();
    assert!(throttled > 0, "the sim never throttled {action}");
}

/// Empty results are empty streams, not errors, for every list: in a region
/// without instances (the suite starts this check's sim with none),
/// instances at page size 1 and by an unused tag, volumes and public IPs by
/// an unused tag, public IPs by an id that does not exist (`missing_ip_id`,
/// in the cloud's id format), and the objects of a new bucket (at page size
/// 1 and at the default); the empty bucket is then deleted.
pub async fn empty_results(p: &dyn Provider, sim: &SimHandle, missing_ip_id: &str) {
    let s = sim_scope(p, sim).await;
    assert_eq!(
        listing_matches_estate(p, sim, &s, Some(1), "instances").await,
        0
    );
    let c = p.compute().expect("compute");
    let unused = BTreeMap::from([("no-such-tag".to_string(), "x".to_string())]);
    let region = s.region.clone();
    let by_tag = ListInstances {
        region: region.clone(),
        tags: unused.clone(),
        ..ListInstances::default()
    };
    assert_empty(c.instances(&by_tag), "instances by an unused tag").await;
    let by_tag = ListVolumes {
        region: region.clone(),
        tags: unused.clone(),
        ..ListVolumes::default()
    };
    assert_empty(c.volumes(&by_tag), "volumes").await;
    let net = p.network().expect("network");
    let by_tag = ListNetwork {
        region: region.clone(),
        tags: unused,
        ..ListNetwork::default()
    };
    assert_empty(net.public_ips(&by_tag), "public ips by an unused tag").await;
    let by_id = ListNetwork {
        region,
        ids: vec![missing_ip_id.into()],
        ..ListNetwork::default()
    };
    assert_empty(net.public_ips(&by_id), "public ips by a missing id").await;
    let bucket = "mc-empty-bucket";
    let (_, st) = storage_with_bucket(p, sim, bucket).await;
    for page_size in [Some(1), None] {
        let q = ListObjects {
            bucket: bucket.into(),
            page_size,
            ..ListObjects::default()
        };
        assert_empty(
            st.objects(&q),
            &format!("objects at page size {page_size:?}"),
        )
        .await;
    }
    st.delete_bucket(bucket)
        .await
        .expect("delete the empty bucket");
}

/// In an account with nothing in it ([`harness::Env::empty_account`]),
/// every list is an empty stream, not an error, at page size 1 and at the
/// default: instances, volumes, VPCs, subnets, security groups, public IPs
/// (in the account's first region), buckets, IAM users, groups, roles and
/// custom policies, and this month's cost lines.
pub async fn empty_account_lists(p: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(p, sim).await;
    assert!(
        sim.estate()
            .with_region(&s, |r| r.vpcs.is_empty() && r.instances.is_empty())
            .expect("estate"),
        "connected to the empty account"
    );
    let c = p.compute().expect("compute");
    let net = p.network().expect("network");
    for page_size in [Some(1), None] {
        let region = s.region.clone();
        let at = format!("at page size {page_size:?}");
        let q = ListInstances {
            region: region.clone(),
            page_size,
            ..ListInstances::default()
        };
        assert_empty(c.instances(&q), &format!("instances {at}")).await;
        let q = ListVolumes {
            region: region.clone(),
            page_size,
            ..ListVolumes::default()
        };
        assert_empty(c.volumes(&q), &format!("volumes {at}")).await;
        let q = ListNetwork {
            region,
            page_size,
            ..ListNetwork::default()
        };
        assert_empty(net.vpcs(&q), &format!("vpcs {at}")).await;
        assert_empty(net.subnets(&q), &format!("subnets {at}")).await;
        assert_empty(net.security_groups(&q), &format!("security groups {at}")).await;
        assert_empty(net.public_ips(&q), &format!("public ips {at}")).await;
    }
    assert_empty(p.storage().expect("storage").buckets(), "buckets").await;
    let iam = p.iam().expect("iam");
    assert_empty(iam.users(), "users").await;
    assert_empty(iam.groups(), "groups").await;
    assert_empty(iam.roles(), "roles").await;
    assert_empty(iam.policies(Some(PolicyKind::Custom)), "custom policies").await;
    let q = CostQuery::month_of(chrono::Utc::now().date_naive());
    assert_empty(p.billing().expect("billing").cost_lines(&q), "cost lines").await;
}

/// Collects a listing and asserts it is empty (and not an error).
pub async fn assert_empty<T: std::fmt::Debug>(stream: multicloud::ResultStream<'_, T>, what: &str) {
    let items: Vec<T> = stream
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert!(items.is_empty(), "{what}: {items:?}");
}

/// The account id is the sim account's; regions are the account's include
/// list (filtered from the cloud's region listing); the first region's
/// zones are the estate's.
pub async fn regions_zones_and_account(p: &dyn Provider, sim: &SimHandle) {
    let a = sim_account(p, sim).await;
    assert_eq!(p.account().await.expect("account").id, a.id);
    let regions: Vec<String> = p
        .regions()
        .await
        .expect("regions")
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut want = a.regions.clone();
    want.sort();
    let mut got = regions.clone();
    got.sort();
    assert_eq!(got, want, "the account's include list filters the regions");
    let zones = p.zones(&regions[0]).await.expect("zones");
    let sim_zones = sim
        .estate()
        .with_region(&Scope::new(p.kind().as_str(), &a.id, &regions[0]), |r| {
            r.zones.clone()
        })
        .expect("estate");
    assert_eq!(zones.len(), sim_zones.len());
    assert!(zones.iter().all(|z| z.region == regions[0]), "{zones:?}");
}

/// Instance types and public images list through their pagers (images at
/// page size 1): the estate's types, each with CPUs and memory, and its
/// system images.
pub async fn images_and_instance_types(p: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(p, sim).await;
    let c = p.compute().expect("compute");
    let types: Vec<_> = c
        .instance_types(&s.region)
        .try_collect()
        .await
        .expect("types");
    let want = sim
        .estate()
        .with_region(&s, |r| r.instance_types.len())
        .expect("estate");
    assert_eq!(types.len(), want);
    assert!(types.iter().all(|t| t.vcpus > 0 && t.memory_mib > 0));
    let imgs: Vec<_> = c
        .images(&multicloud::model::ListImages {
            region: s.region.clone(),
            owner: multicloud::model::ImageOwner::Public,
            page_size: Some(1),
            ..Default::default()
        })
        .try_collect()
        .await
        .expect("images");
    let want = sim
        .estate()
        .with_region(&s, |r| {
            r.images
                .values()
                .filter(|i| i.owner == ImageOwner::System)
                .count()
        })
        .expect("estate");
    assert_eq!(imgs.len(), want, "public images");
}

/// `credentials.source = "assume_role"` (session `mc-test`, the role ARN
/// `role_arn(account id, role name)` in the cloud's format): the provider
/// acts as the assumed role (its principal names the session), STS
/// AssumeRole is called once (the temporary keys are cached), and every
/// later request of the provider's frontend carries the security token in
/// the `token_header` header.
pub async fn assume_role_credentials(
    env: &harness::Env,
    role_arn: impl Fn(&str, &str) -> String,
    token_header: &str,
) {
    let kind = env.account.provider.as_str();
    let a = env.sim.accounts(kind).remove(0);
    let role = env
        .sim
        .estate()
        .iam(kind, &a.id, |i| {
            i.roles.values().next().map(|r| r.name.clone())
        })
        .expect("estate")
        .expect("a role");
    let mut acct = env.account.clone();
    let base = acct.credentials.clone();
    acct.credentials = multicloud::config::CredentialConfig {
        source: multicloud::config::CredentialSourceKind::AssumeRole,
        role_arn: Some(role_arn(&a.id, &role)),
        role_session_name: Some("mc-test".into()),
        base: Some(Box::new(base)),
        ..Default::default()
    };
    let p = harness::connect(&acct).await;
    let who = p.account().await.expect("account");
    assert_eq!(who.id, a.id);
    assert!(
        who.principal
            .as_deref()
            .is_some_and(|arn| arn.contains(":assumed-role/") && arn.ends_with("/mc-test")),
        "{who:?}"
    );
    let s = sim_scope(&*p, &env.sim).await;
    listing_matches_estate(&*p, &env.sim, &s, None, "list with role keys").await;
    let log = requests_of(&env.sim, kind);
    let assumes = log.iter().filter(|r| r.action == "AssumeRole").count();
    assert_eq!(assumes, 1, "temporary keys are cached");
    let later: Vec<_> = log.iter().filter(|r| r.action != "AssumeRole").collect();
    assert!(!later.is_empty());
    for r in later {
        let token = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(token_header));
        assert!(token.is_some(), "{} signed without the STS token", r.action);
    }
}

/// An instance create's answer is lost (the sim applies `create_action` and
/// drops the connection); the retry carries the same `ClientToken`, so
/// exactly one instance exists afterwards and the create returns it. The
/// sim's faults are seeded: sims of the harness `h` with seeds 1..=40 (one
/// region of two instances, the sim's own timings, half the answers lost)
/// are tried until one loses an answer and the create still succeeds; every
/// run must keep the one-instance, one-token rule.
pub async fn lost_response_create_makes_exactly_one_instance(
    h: harness::Harness,
    create_action: &str,
) {
    let mut proven = false;
    for seed in 1..=40u64 {
        let e = h
            .clone()
            .seed(seed)
            .regions(1)
            .instances(2)
            .fault(FaultRule::new(h.kind.as_str(), create_action).lost_response_rate(0.5))
            .sim_timings()
            .start()
            .await;
        let sim = &e.sim;
        let p = e.connect(false).await;
        let s = sim_scope(&*p, sim).await;
        let before = estate_instance_count(sim, &s.provider, &s.account, &s.region);
        let c = p.compute().expect("compute");
        let r = c
            .create_instance(&harness::launch_spec(sim, &s, None))
            .await;
        let lost = harness::lost_answers(sim, create_action);
        let runs = sim.requests().filter(|r| r.action == create_action);
        let tokens: BTreeSet<Option<String>> = runs
            .iter()
            .map(|r| request_param(r, "ClientToken"))
            .collect();
        assert_eq!(
            tokens.len(),
            usize::from(!runs.is_empty()),
            "seed {seed}: one ClientToken over {} attempts: {tokens:?}",
            runs.len()
        );
        assert!(
            !tokens.contains(&None),
            "seed {seed}: an attempt without a ClientToken"
        );
        let after = estate_instance_count(sim, &s.provider, &s.account, &s.region);
        assert_eq!(
            after,
            before + usize::from(!runs.is_empty()),
            "seed {seed}: {} {create_action} ({lost} lost) made {} instances",
            runs.len(),
            after - before
        );
        if let Ok(i) = r {
            let tagged: Vec<_> = c
                .instances(&ListInstances {
                    region: s.region.clone(),
                    tags: BTreeMap::from([("suite".to_string(), "idempotency".to_string())]),
                    ..ListInstances::default()
                })
                .try_collect()
                .await
                .expect("list");
            assert_eq!(tagged.len(), 1, "seed {seed}");
            assert_eq!(tagged[0].id, i.id, "seed {seed}");
            if lost >= 1 {
                proven = true;
                e.sim.shutdown().await;
                break;
            }
        }
        e.sim.shutdown().await;
    }
    assert!(
        proven,
        "no seed gave a lost {create_action} answer followed by a successful retry"
    );
}

/// The account balance: with a prepaid balance (`prepaid`), the estate's
/// available cash (to the cent) in its currency, and its credit line if
/// the cloud reports one; without, `Ok(None)` and no request sent for it.
pub async fn balance_matches_estate(p: &dyn Provider, sim: &SimHandle, prepaid: bool) {
    let a = sim_account(p, sim).await;
    let kind = p.kind().as_str();
    let billing = p.billing().expect("billing");
    sim.requests().clear();
    let got = billing.balance().await.expect("balance");
    if !prepaid {
        assert!(got.is_none(), "{got:?}");
        let sent: Vec<_> = requests_of(sim, kind)
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert!(sent.is_empty(), "no balance to ask for, yet sent {sent:?}");
        return;
    }
    let want = sim.estate().balance(kind, &a.id).expect("estate balance");
    let b = got.expect("a prepaid balance");
    assert_eq!(b.provider, p.kind());
    assert_eq!(b.currency, want.currency);
    assert_eq!(b.available, want.available.round_dp(2));
    if let Some(credit) = b.credit {
        assert_eq!(credit, want.credit.round_dp(2));
    }
}

/// Keys with Unicode, spaces and reserved characters survive signing, the
/// request path and listing (whole and by a Unicode prefix).
pub async fn unusual_object_keys(p: &dyn Provider, sim: &SimHandle) {
    let bucket = "mc-keys-bucket";
    let (_, st) = storage_with_bucket(p, sim, bucket).await;
    let keys = [
        "腾讯云/文件 1.txt",
        "a+b=c&d?e#f.txt",
        "dir/with space/x~y_z-.txt",
        "percent%20literal",
    ];
    for (n, k) in keys.iter().enumerate() {
        st.put_object(
            bucket,
            k,
            Bytes::from(format!("body {n}")).into(),
            &PutOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("put {k}: {e}"));
        let got = st
            .get_object(bucket, k, &GetOptions::default())
            .await
            .unwrap_or_else(|e| panic!("get {k}: {e}"))
            .collect()
            .await
            .expect("body");
        assert_eq!(got, Bytes::from(format!("body {n}")), "{k}");
    }
    let listed: BTreeSet<String> = st
        .objects(&ListObjects {
            bucket: bucket.into(),
            ..ListObjects::default()
        })
        .try_collect::<Vec<_>>()
        .await
        .expect("list")
        .into_iter()
        .filter_map(|e| match e {
            ObjectEntry::Object(o) => Some(o.key),
            _ => None,
        })
        .collect();
    assert_eq!(listed, keys.iter().map(|k| k.to_string()).collect());
    let pre: Vec<_> = st
        .objects(&ListObjects {
            bucket: bucket.into(),
            prefix: Some("腾讯云/".into()),
            ..ListObjects::default()
        })
        .try_collect()
        .await
        .expect("prefix");
    assert_eq!(pre.len(), 1);
    for k in keys {
        st.delete_object(bucket, k).await.expect("delete");
    }
    st.delete_bucket(bucket).await.expect("delete bucket");
}

/// The object store's throttle answer (S3 and OSS `SlowDown`, COS
/// `SlowDown` with HTTP 503) is retried: under a sim rate limit on every
/// `*Object` action, a burst of PUTs (mutating, but not processed when
/// throttled) and GETs still succeeds, and the sim did throttle.
pub async fn storage_throttle_is_retried(p: &dyn Provider, sim: &SimHandle) {
    let bucket = "mc-slow-bucket";
    let (_, st) = storage_with_bucket(p, sim, bucket).await;
    sim.requests().clear();
    sim.faults()
        .add(FaultRule::new(&format!("{}*", p.kind().as_str()), "*Object").rate_limit(5.0, 1));
    for n in 0..4 {
        let k = format!("k{n}");
        st.put_object(
            bucket,
            &k,
            Bytes::from_static(b"v").into(),
            &PutOptions::default(),
        )
        .await
        .expect("put under throttling");
        st.get_object(bucket, &k, &GetOptions::default())
            .await
            .expect("get under throttling")
            .collect()
            .await
            .expect("body");
    }
    let throttled = sim
        .requests()
        .filter(|e| e.fault == Some(FaultKind::Throttled))
        .len();
    sim.faults().clear();
    assert!(throttled > 0, "the sim never throttled the object store");
    for n in 0..4 {
        st.delete_object(bucket, &format!("k{n}"))
            .await
            .expect("delete");
    }
    st.delete_bucket(bucket).await.expect("delete bucket");
}

/// Object listing at page size 1 takes one request per object (the
/// provider's `ListObjects*` action), listing by prefix, and a server-side
/// copy.
pub async fn object_pages_prefix_and_copy(p: &dyn Provider, sim: &SimHandle) {
    let bucket = "mc-pages-bucket";
    let (_, st) = storage_with_bucket(p, sim, bucket).await;
    for k in ["a/1", "a/2", "b", "c", "d"] {
        st.put_object(
            bucket,
            k,
            Bytes::from_static(b"x").into(),
            &PutOptions::default(),
        )
        .await
        .expect("put");
    }
    let lists = || {
        sim.requests()
            .filter(|e| e.action.starts_with("ListObjects"))
            .len()
    };
    let before = lists();
    let all: Vec<_> = st
        .objects(&ListObjects {
            bucket: bucket.into(),
            page_size: Some(1),
            ..ListObjects::default()
        })
        .try_collect()
        .await
        .expect("objects");
    assert_eq!(all.len(), 5);
    let pages = lists() - before;
    assert!(
        pages >= 5,
        "page size 1 takes one request per object, saw {pages}"
    );
    let pre: Vec<_> = st
        .objects(&ListObjects {
            bucket: bucket.into(),
            prefix: Some("a/".into()),
            ..ListObjects::default()
        })
        .try_collect()
        .await
        .expect("prefix");
    assert_eq!(pre.len(), 2);
    let copied = st
        .copy_object(bucket, "b", bucket, "b2")
        .await
        .expect("copy");
    assert_eq!(copied.key, "b2");
    let body = st
        .get_object(bucket, "b2", &GetOptions::default())
        .await
        .expect("get copy")
        .collect()
        .await
        .expect("body");
    assert_eq!(&body[..], b"x");
    for k in ["a/1", "a/2", "b", "c", "d", "b2"] {
        st.delete_object(bucket, k).await.expect("delete");
    }
    st.delete_bucket(bucket).await.expect("delete bucket");
}

/// A caller's own client token makes a repeated create return the first
/// instance.
pub async fn caller_client_token_is_idempotent(p: &dyn Provider, sim: &SimHandle) {
    let s = sim_scope(p, sim).await;
    let spec = harness::launch_spec(sim, &s, Some("caller-token-1"));
    let c = p.compute().expect("compute");
    let a = c.create_instance(&spec).await.expect("first");
    let b = c.create_instance(&spec).await.expect("second");
    assert_eq!(a.id, b.id);
}

/// Deleting a user with an attached policy and no cleanup is a `Conflict`
/// and leaves the user in place; after a detach it deletes, and deleting
/// the missing user again is `Ok`.
pub async fn delete_user_without_cleanup_conflicts(p: &dyn Provider, _sim: &SimHandle) {
    let iam = p.iam().expect("iam");
    let u = iam
        .create_user(&NewUser {
            name: "keep-me".into(),
            ..NewUser::default()
        })
        .await
        .expect("create");
    let pol = iam
        .policies(Some(PolicyKind::System))
        .try_next()
        .await
        .expect("policies")
        .expect("a policy");
    let r = PolicyRef {
        id: pol.id.clone(),
        name: pol.name.clone(),
        kind: pol.kind,
    };
    let who = Principal::User(u.name.clone());
    iam.attach_policy(&who, &r).await.expect("attach");
    let e = iam
        .delete_user(&u.name, Default::default())
        .await
        .expect_err("conflict");
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(iam.user(&u.name).await.is_ok(), "user still there");
    iam.detach_policy(&who, &r).await.expect("detach");
    iam.delete_user(&u.name, Default::default())
        .await
        .expect("delete after detach");
    iam.delete_user(&u.name, Default::default())
        .await
        .expect("missing user is Ok");
    let users: Vec<_> = iam.users().try_collect().await.expect("users");
    assert!(users.iter().all(|x| x.name != "keep-me"));
}

/// Server errors (5xx, or the cloud's `InternalError` answer) are retried
/// for reads: instance listings (page size 2) under a 50% error rate on
/// `action` still complete with the estate's count, and the sim did fail
/// some requests.
pub async fn server_errors_are_retried(p: &dyn Provider, sim: &SimHandle, action: &str) {
    let s = sim_scope(p, sim).await;
    sim.faults()
        .add(FaultRule::new(p.kind().as_str(), action).error_rate(0.5));
    for _ in 0..3 {
        listing_matches_estate(p, sim, &s, Some(2), "listing survives server errors").await;
    }
    let errors = sim
        .requests()
        .filter(|e| e.fault == Some(FaultKind::ServerError))
        .len();
    sim.faults().clear();
    assert!(errors > 0, "the sim never failed a request");
}
