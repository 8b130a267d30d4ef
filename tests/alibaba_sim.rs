//! The Alibaba provider end to end against the simulator's Alibaba
//! frontends (RPC and OSS), through the real host names: the sim serves
//! HTTPS with its own CA, and the accounts file it prints sends
//! `*.aliyuncs.com` to it (`transport.resolve`) and trusts the CA.
//!
//! Runs the shared behaviour suite (`tests/behaviour`: among others
//! idempotent creates under the lost-response fault, throttling, read-only,
//! paging with page size 1, empty results, AssumeRole credentials) and the
//! provider's own checks: the OSS V1 signature option, AssumeRole refresh,
//! ClientTokens of the other creates, deleting a user in a group.
#![cfg(feature = "alibaba")]

mod behaviour;

use std::sync::Arc;

use behaviour::harness::{self, Harness};
use futures::TryStreamExt;
use multicloud::ErrorKind;
use multicloud::model::ProviderKind;
use multicloud_sim::FaultRule;

fn alibaba() -> Harness {
    Harness::new(ProviderKind::Alibaba)
}

behaviour::suite! {
    harness: alibaba(),
    network_rule: harness::ssh_rule("203.0.113.0/24", Some(1)),
    bucket: "mc-behaviour-bucket",
    throttled_action: "DescribeInstances",
    volume_list_action: "DescribeDisks",
    create_action: "RunInstances",
    missing_public_ip: "eip-doesnotexist0000000000",
    assumed_role_arn: |account, role| format!("acs:ram::{account}:role/{role}"),
    security_token_header: "x-acs-security-token",
    prepaid_balance: true,
}

// Listed on its own in each provider file (see tests/aws_sim.rs).
behaviour::suite! {
    harness: alibaba(),
    checks: [server_errors_are_retried("DescribeInstances")],
}

// ------------------------------------------------------------ provider checks

/// `options.oss_signature = "v1"`: OSS requests are signed with the V1
/// signature (for OSS-compatible private deployments) and still work.
#[tokio::test]
async fn oss_v1_signature_option() {
    let e = alibaba().start().await;
    let mut acct = e.account.clone();
    acct.options.insert("oss_signature".into(), "v1".into());
    let p = harness::connect(&acct).await;
    let s = behaviour::sim_scope(&*p, &e.sim).await;
    let st = p.storage().expect("storage");
    st.create_bucket(&multicloud::model::BucketSpec {
        name: "mc-v1-bucket".into(),
        region: s.region.clone(),
        storage_class: None,
    })
    .await
    .expect("create bucket");
    st.put_object(
        "mc-v1-bucket",
        "k",
        bytes::Bytes::from_static(b"v1").into(),
        &multicloud::model::PutOptions::default(),
    )
    .await
    .expect("put");
    let got = st
        .get_object("mc-v1-bucket", "k", &Default::default())
        .await
        .expect("get")
        .collect()
        .await
        .expect("body");
    assert_eq!(&got[..], b"v1");
    let oss: Vec<_> = e.sim.requests().filter(|r| r.host.contains("oss-"));
    assert!(!oss.is_empty());
    for r in oss {
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        assert!(auth.starts_with("OSS "), "{}: {auth}", r.action);
    }
}

/// AssumeRole keys are cached and refreshed before they expire: with a
/// clock moved to five minutes before the sim's `Expiration`, the next call
/// assumes the role again.
#[tokio::test]
async fn assume_role_refreshes_before_expiry() {
    use multicloud::alibaba::client::AlibabaClient;
    use multicloud::alibaba::config::{AssumeRoleSpec, Endpoints};
    use multicloud::alibaba::creds::AssumeRoleProvider;
    use multicloud::credentials::{
        CachingProvider, CredentialProvider, Credentials, ManualClock, StaticCredentials,
    };

    let e = alibaba().start().await;
    let a = e.sim.accounts("alibaba").remove(0);
    let role = e
        .sim
        .estate()
        .iam("alibaba", &a.id, |i| {
            i.roles.values().next().map(|r| r.name.clone())
        })
        .expect("estate")
        .expect("a role");
    let acct = &e.account;
    let transport = multicloud::transport::Transport::from_account(acct).expect("transport");
    let endpoints = Endpoints::from_config(&acct.endpoints, &acct.options).expect("endpoints");
    let base: Arc<dyn CredentialProvider> = Arc::new(StaticCredentials::new(Credentials::new(
        a.access_key_id.clone(),
        a.secret_access_key.expose().to_string(),
    )));
    let sts = AlibabaClient::new(transport, base, endpoints, a.regions[0].clone());
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let p = CachingProvider::new(AssumeRoleProvider::new(
        sts,
        AssumeRoleSpec {
            role_arn: format!("acs:ram::{}:role/{role}", a.id),
            session_name: "mc-refresh".into(),
            duration_secs: Some(3600),
            external_id: None,
            sts_region: None,
        },
    ))
    .with_clock(clock.clone());
    let assumes = || e.sim.requests().filter(|r| r.action == "AssumeRole").len();
    let first = p.credentials().await.expect("assume");
    assert!(first.session_token.is_some() && first.expires_at.is_some());
    let again = p.credentials().await.expect("cached");
    assert_eq!(again.access_key_id, first.access_key_id);
    assert_eq!(assumes(), 1, "cached while fresh");
    clock.advance(std::time::Duration::from_secs(3600 - 240));
    let refreshed = p.credentials().await.expect("refresh");
    assert_eq!(assumes(), 2, "refreshed within the five-minute margin");
    assert!(
        refreshed.expires_at > first.expires_at || refreshed.access_key_id != first.access_key_id
    );
}

/// The other creates carry a ClientToken too: with every answer of
/// CreateDisk, CreateVpc and AllocateEipAddress lost, each create fails
/// after its retries but made exactly one resource, and a create with the
/// same token afterwards returns it.
#[tokio::test]
async fn lost_answers_of_other_creates_make_one_resource_each() {
    use multicloud::model::{PublicIpSpec, VolumeSpec, VpcSpec};
    let e = alibaba()
        .instances(2)
        .fault(FaultRule::new("alibaba", "CreateDisk").lost_response_rate(1.0))
        .fault(FaultRule::new("alibaba", "CreateVpc").lost_response_rate(1.0))
        .fault(FaultRule::new("alibaba", "AllocateEipAddress").lost_response_rate(1.0))
        .start()
        .await;
    let p = e.connect(false).await;
    let s = behaviour::sim_scope(&*p, &e.sim).await;
    let f = multicloud_sim::Filter::default();
    let all = multicloud_sim::PageReq::All;
    let est = e.sim.estate();
    let counts = || {
        (
            est.volumes(&s, &f, &all).expect("estate").total,
            est.vpcs(&s, &f, &all).expect("estate").total,
            est.public_ips(&s, &f, &all).expect("estate").total,
        )
    };
    let before = counts();
    let zone = est.with_region(&s, |r| r.zones[0].clone()).expect("estate");
    let c = p.compute().expect("compute");
    let n = p.network().expect("network");
    let disk = VolumeSpec {
        region: s.region.clone(),
        zone: Some(zone),
        name: "idem-disk".into(),
        size_gib: 20,
        client_token: Some("mc-disk-token-1".into()),
        ..VolumeSpec::default()
    };
    let vpc = VpcSpec {
        region: s.region.clone(),
        name: "idem-vpc".into(),
        cidr: "10.99.0.0/16".into(),
        client_token: Some("mc-vpc-token-1".into()),
        ..VpcSpec::default()
    };
    let eip = PublicIpSpec {
        region: s.region.clone(),
        bandwidth_mbps: Some(5),
        client_token: Some("mc-eip-token-1".into()),
        ..PublicIpSpec::default()
    };
    assert!(c.create_volume(&disk).await.is_err());
    assert!(n.create_vpc(&vpc).await.is_err());
    assert!(n.allocate_public_ip(&eip).await.is_err());
    for action in ["CreateDisk", "CreateVpc", "AllocateEipAddress"] {
        let lost = harness::lost_answers(&e.sim, action);
        assert!(lost >= 2, "{action} was retried ({lost} attempts)");
    }
    assert_eq!(
        counts(),
        (before.0 + 1, before.1 + 1, before.2 + 1),
        "one disk, one VPC, one EIP"
    );
    e.sim.faults().clear();
    let d = c.create_volume(&disk).await.expect("disk, same token");
    let v = n.create_vpc(&vpc).await.expect("vpc, same token");
    let ip = n.allocate_public_ip(&eip).await.expect("eip, same token");
    assert_eq!(counts(), (before.0 + 1, before.1 + 1, before.2 + 1));
    assert_eq!(d.name, "idem-disk");
    assert_eq!(v.name, "idem-vpc");
    assert!(!ip.address.is_empty());
}

/// `delete_user` on a user in a group: `Conflict` without cleanup (nothing
/// changes); with cleanup the user leaves its groups (ListGroupsForUser,
/// RemoveUserFromGroup), loses its keys and policies, and is deleted.
#[tokio::test]
async fn delete_user_in_a_group_needs_cleanup() {
    let e = alibaba().start().await;
    let p = e.connect(false).await;
    let iam = p.iam().expect("alibaba has IAM");
    let account = e.sim.accounts("alibaba")[0].id.clone();
    let estate = e.sim.estate();
    iam.create_user(&multicloud::model::NewUser {
        name: "in-a-group".into(),
        display_name: None,
        email: None,
        tags: Default::default(),
    })
    .await
    .unwrap();
    estate
        .add_user_to_group("alibaba", &account, "in-a-group", "developers")
        .unwrap();
    estate
        .create_access_key("alibaba", &account, "in-a-group")
        .unwrap();

    let err = iam
        .delete_user(
            "in-a-group",
            multicloud::model::DeleteUserOptions { cleanup: false },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("1 groups"), "{err}");
    let u = estate.user("alibaba", &account, "in-a-group").unwrap();
    assert_eq!(u.groups, vec!["developers".to_string()]);
    assert_eq!(u.access_keys.len(), 1);

    iam.delete_user(
        "in-a-group",
        multicloud::model::DeleteUserOptions { cleanup: true },
    )
    .await
    .unwrap();
    assert!(estate.user("alibaba", &account, "in-a-group").is_err());

    // A generated user: in a group, with an attached policy.
    let before = estate.user("alibaba", &account, "user-0").unwrap();
    assert!(!before.groups.is_empty());
    let err = iam
        .delete_user(
            "user-0",
            multicloud::model::DeleteUserOptions { cleanup: false },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    iam.delete_user(
        "user-0",
        multicloud::model::DeleteUserOptions { cleanup: true },
    )
    .await
    .unwrap();
    assert!(estate.user("alibaba", &account, "user-0").is_err());
    let attached = estate
        .iam("alibaba", &account, |i| {
            i.attachments
                .iter()
                .filter(|a| a.principal == multicloud_sim::estate::Principal::User("user-0".into()))
                .count()
        })
        .unwrap();
    assert_eq!(attached, 0);
}

/// CreateVSwitch and CreateSecurityGroup carry a ClientToken: with every
/// answer lost, each create fails after its retries but made exactly one
/// vswitch / group, and the same token afterwards returns it.
#[tokio::test]
async fn lost_answers_of_vswitch_and_security_group_creates_make_one_each() {
    use multicloud::model::{SecurityGroupSpec, SubnetSpec};
    let e = alibaba()
        .instances(1)
        .fault(FaultRule::new("alibaba", "CreateVSwitch").lost_response_rate(1.0))
        .fault(FaultRule::new("alibaba", "CreateSecurityGroup").lost_response_rate(1.0))
        .start()
        .await;
    let p = e.connect(false).await;
    let s = behaviour::sim_scope(&*p, &e.sim).await;
    let f = multicloud_sim::Filter::default();
    let all = multicloud_sim::PageReq::All;
    let est = e.sim.estate();
    let counts = || {
        (
            est.subnets(&s, &f, &all).expect("estate").total,
            est.security_groups(&s, &f, &all).expect("estate").total,
        )
    };
    let before = counts();
    let (zone, vpc) = est
        .with_region(&s, |r| {
            (
                r.zones[0].clone(),
                r.vpcs.keys().next().cloned().expect("a vpc"),
            )
        })
        .expect("estate");
    let n = p.network().expect("network");
    let sn = SubnetSpec {
        region: s.region.clone(),
        zone: Some(zone),
        vpc_id: vpc.clone(),
        name: "idem-vsw".into(),
        cidr: "172.31.250.0/24".into(),
        client_token: Some("mc-vsw-token-1".into()),
        ..SubnetSpec::default()
    };
    let sg = SecurityGroupSpec {
        region: s.region.clone(),
        vpc_id: Some(vpc),
        name: "idem-sg".into(),
        description: None,
        client_token: Some("mc-sg-token-1".into()),
        ..SecurityGroupSpec::default()
    };
    assert!(n.create_subnet(&sn).await.is_err());
    assert!(n.create_security_group(&sg).await.is_err());
    for action in ["CreateVSwitch", "CreateSecurityGroup"] {
        let lost = harness::lost_answers(&e.sim, action);
        assert!(lost >= 2, "{action} was retried ({lost} attempts)");
    }
    assert_eq!(
        counts(),
        (before.0 + 1, before.1 + 1),
        "one vswitch, one group"
    );
    e.sim.faults().clear();
    let got_sn = n.create_subnet(&sn).await.expect("vswitch, same token");
    let got_sg = n
        .create_security_group(&sg)
        .await
        .expect("group, same token");
    assert_eq!(counts(), (before.0 + 1, before.1 + 1));
    assert_eq!(got_sn.name, "idem-vsw");
    assert_eq!(got_sg.name, "idem-sg");
}

/// OSS PutBucket has no token but is idempotent for the bucket's owner (the
/// owner's PutBucket of its own bucket is 200 OK): with every answer lost,
/// create_bucket is sent again (not refused as `BucketAlreadyExists`) and
/// exactly one bucket exists; once answers arrive, the same create is Ok
/// and the bucket still lists once.
#[tokio::test]
async fn lost_put_bucket_answers_make_one_bucket() {
    let e = alibaba()
        .instances(1)
        .fault(FaultRule::new("alibaba", "PutBucket").lost_response_rate(1.0))
        .start()
        .await;
    let p = e.connect(false).await;
    let s = behaviour::sim_scope(&*p, &e.sim).await;
    let a = e.sim.accounts("alibaba").remove(0);
    let est = e.sim.estate();
    let before = est.buckets("alibaba", &a.id).unwrap().len();
    let st = p.storage().expect("storage");
    let spec = multicloud::model::BucketSpec {
        name: "mc-idem-bucket".into(),
        region: s.region.clone(),
        storage_class: None,
    };
    let err = st
        .create_bucket(&spec)
        .await
        .expect_err("every answer lost");
    assert_ne!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let lost = harness::lost_answers(&e.sim, "PutBucket");
    assert!(lost >= 2, "PutBucket was retried ({lost} attempts)");
    let mine = || {
        est.buckets("alibaba", &a.id)
            .unwrap()
            .iter()
            .filter(|b| b.name == "mc-idem-bucket")
            .count()
    };
    assert_eq!(mine(), 1);
    assert_eq!(est.buckets("alibaba", &a.id).unwrap().len(), before + 1);
    e.sim.faults().clear();
    let b = st.create_bucket(&spec).await.expect("create again");
    assert_eq!(b.name, "mc-idem-bucket");
    assert_eq!(mine(), 1);
    let listed: Vec<_> = st.buckets().try_collect().await.expect("buckets");
    assert_eq!(
        listed.iter().filter(|b| b.name == "mc-idem-bucket").count(),
        1
    );
}

/// RAM CreateUser has no client token: with its answers lost, the provider
/// looks the user up by name (GetUser) instead of creating it again, and
/// create_user succeeds with exactly one new user and one CreateUser sent.
#[tokio::test]
async fn lost_create_user_answer_is_looked_up_not_repeated() {
    let e = alibaba()
        .instances(1)
        .fault(FaultRule::new("alibaba", "CreateUser").lost_response_rate(1.0))
        .start()
        .await;
    let p = e.connect(false).await;
    let a = e.sim.accounts("alibaba").remove(0);
    let est = e.sim.estate();
    let before = est.users("alibaba", &a.id).unwrap().len();
    let iam = p.iam().expect("iam");
    let u = iam
        .create_user(&multicloud::model::NewUser {
            name: "idem-user".into(),
            display_name: Some("Idem".into()),
            ..Default::default()
        })
        .await
        .expect("the user the lost CreateUser made");
    assert_eq!(u.name, "idem-user");
    assert_eq!(harness::lost_answers(&e.sim, "CreateUser"), 1, "sent once");
    assert!(
        !e.sim
            .requests()
            .filter(|r| r.action == "GetUser")
            .is_empty()
    );
    let users = est.users("alibaba", &a.id).unwrap();
    assert_eq!(users.len(), before + 1);
    assert_eq!(users.iter().filter(|x| x.name == "idem-user").count(), 1);
}

/// A CreateUser that fails for a definite reason is not looked up: a
/// second create of the same name is `AlreadyExists`.
#[tokio::test]
async fn create_user_twice_is_already_exists() {
    let e = alibaba().instances(1).start().await;
    let p = e.connect(false).await;
    let iam = p.iam().expect("iam");
    let spec = multicloud::model::NewUser {
        name: "twice-user".into(),
        ..Default::default()
    };
    iam.create_user(&spec).await.expect("first");
    let err = iam.create_user(&spec).await.expect_err("second");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(
        e.sim
            .requests()
            .filter(|r| r.action == "GetUser")
            .is_empty()
    );
}

/// groups(), roles() and access_keys() list exactly the estate's; a policy
/// attached to a group and to a role (AttachPolicyToGroup/ToRole) shows in
/// ListPoliciesForGroup/Role and leaves after DetachPolicyFromGroup/FromRole.
#[tokio::test]
async fn groups_roles_keys_and_group_role_policies() {
    use multicloud::model::{PolicyKind, PolicyRef, Principal};
    use multicloud_sim::estate::Principal as SimPrincipal;
    let e = alibaba().instances(1).start().await;
    let p = e.connect(false).await;
    let iam = p.iam().expect("iam");
    let a = e.sim.accounts("alibaba").remove(0);
    let est = e.sim.estate();

    let (groups, roles) = est
        .iam("alibaba", &a.id, |i| {
            (
                i.groups
                    .values()
                    .map(|g| (g.name.clone(), g.id.clone()))
                    .collect::<std::collections::BTreeSet<_>>(),
                i.roles
                    .values()
                    .map(|r| (r.name.clone(), r.id.clone(), r.description.clone()))
                    .collect::<std::collections::BTreeSet<_>>(),
            )
        })
        .unwrap();
    assert!(!groups.is_empty() && !roles.is_empty());
    let got: Vec<_> = iam.groups().try_collect().await.expect("groups");
    let got_set: std::collections::BTreeSet<_> =
        got.iter().map(|g| (g.name.clone(), g.id.clone())).collect();
    assert_eq!(got_set, groups);
    assert_eq!(got.len(), groups.len());
    assert!(
        got.iter()
            .all(|g| g.provider == multicloud::model::ProviderKind::Alibaba)
    );
    let got: Vec<_> = iam.roles().try_collect().await.expect("roles");
    let got_set: std::collections::BTreeSet<_> = got
        .iter()
        .map(|r| (r.name.clone(), r.id.clone(), r.description.clone()))
        .collect();
    assert_eq!(got_set, roles);
    assert!(
        got.iter()
            .all(|r| r.arn.as_deref().is_some_and(|x| x.starts_with("acs:ram::"))),
        "{got:?}"
    );

    // Access keys: two made for a fresh user, one deactivated in the estate.
    iam.create_user(&multicloud::model::NewUser {
        name: "key-user".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let k1 = est.create_access_key("alibaba", &a.id, "key-user").unwrap();
    let k2 = est.create_access_key("alibaba", &a.id, "key-user").unwrap();
    let keys: Vec<_> = iam
        .access_keys("key-user")
        .try_collect()
        .await
        .expect("access keys");
    let ids: std::collections::BTreeSet<_> = keys.iter().map(|k| k.id.clone()).collect();
    assert_eq!(ids, [k1.id.clone(), k2.id.clone()].into_iter().collect());
    assert!(
        keys.iter().all(|k| k.user == "key-user" && k.active),
        "{keys:?}"
    );
    assert!(keys.iter().all(|k| k.raw_status == "Active"), "{keys:?}");
    let err = iam
        .access_keys("no-such-user")
        .try_collect::<Vec<_>>()
        .await
        .expect_err("keys of a missing user");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    // Group and role attachments.
    let pol = PolicyRef {
        id: String::new(),
        name: "custom-ops".into(),
        kind: PolicyKind::Custom,
    };
    let (group, _) = groups.iter().next().cloned().unwrap();
    let (role, _, _) = roles.iter().next().cloned().unwrap();
    for (who, sim_who) in [
        (
            Principal::Group(group.clone()),
            SimPrincipal::Group(group.clone()),
        ),
        (
            Principal::Role(role.clone()),
            SimPrincipal::Role(role.clone()),
        ),
    ] {
        let names = |v: Vec<PolicyRef>| v.into_iter().map(|x| x.name).collect::<Vec<_>>();
        let before = names(iam.attached_policies(&who).try_collect().await.unwrap());
        assert!(!before.contains(&pol.name), "{who:?}: {before:?}");
        iam.attach_policy(&who, &pol).await.expect("attach");
        iam.attach_policy(&who, &pol)
            .await
            .expect("attach again is Ok");
        let now = names(iam.attached_policies(&who).try_collect().await.unwrap());
        assert!(now.contains(&pol.name), "{who:?}: {now:?}");
        assert_eq!(now.len(), before.len() + 1);
        let in_estate = est.attached_policies("alibaba", &a.id, &sim_who).unwrap();
        assert!(in_estate.iter().any(|x| x.name == pol.name));
        iam.detach_policy(&who, &pol).await.expect("detach");
        iam.detach_policy(&who, &pol)
            .await
            .expect("detach again is Ok");
        let after = names(iam.attached_policies(&who).try_collect().await.unwrap());
        assert_eq!(after, before, "{who:?}");
    }
    for action in [
        "AttachPolicyToGroup",
        "DetachPolicyFromGroup",
        "AttachPolicyToRole",
        "DetachPolicyFromRole",
    ] {
        let ok = e
            .sim
            .requests()
            .filter(|r| r.action == action && r.status == Some(200))
            .len();
        assert!(ok >= 1, "{action} answered 200");
    }
}

/// Requests of one action the sim logged so far.
fn calls(sim: &multicloud_sim::SimHandle, action: &str) -> usize {
    sim.requests().filter(|r| r.action == action).len()
}

/// Collects a listing, asserts no item came twice, and returns the items'
/// keys with how many `action` requests the listing took.
async fn walk<T, K: Ord + std::fmt::Debug>(
    sim: &multicloud_sim::SimHandle,
    action: &str,
    stream: multicloud::ResultStream<'_, T>,
    key: impl Fn(&T) -> K,
) -> (std::collections::BTreeSet<K>, usize) {
    let before = calls(sim, action);
    let items: Vec<T> = stream
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{action}: {e:?}"));
    let keys: std::collections::BTreeSet<K> = items.iter().map(key).collect();
    assert_eq!(
        keys.len(),
        items.len(),
        "{action}: an item was listed twice"
    );
    (keys, calls(sim, action) - before)
}

/// The ids of a simulator listing's items.
fn ids<T>(items: Vec<T>, id: impl Fn(T) -> String) -> std::collections::BTreeSet<String> {
    items.into_iter().map(id).collect()
}

/// Asserts a listing walked at least three pages and found exactly `want`.
fn three_pages<K: Ord + std::fmt::Debug>(
    action: &str,
    (got, pages): (std::collections::BTreeSet<K>, usize),
    want: std::collections::BTreeSet<K>,
) {
    assert!(want.len() >= 3, "{action}: the estate has {want:?}");
    assert!(
        pages >= 3,
        "{action}: {pages} pages for {} items",
        want.len()
    );
    assert_eq!(got, want, "{action}");
}

/// Every list the Alibaba provider offers walks three pages and more and
/// finds exactly the estate's resources: instances, disks, images,
/// instance types, VPCs, vswitches, security groups and EIPs at page size
/// 1 (a denser estate: three VPCs with two vswitches and a group each,
/// three EIPs per region); buckets, RAM users, groups, roles and policies
/// and DescribeInstanceBill lines, whose queries have no page size, under
/// the sim's page cap of one item (their Marker / NextToken followed);
/// objects at page size 1.
#[tokio::test]
async fn every_list_walks_several_pages() {
    use multicloud::model::{
        ImageOwner, ListImages, ListInstances, ListNetwork, ListObjects, ListVolumes,
    };
    use std::collections::BTreeSet;
    let e = alibaba().per_region(3).page_cap(1).start().await;
    let p = e.connect(false).await;
    let sim = &e.sim;
    let s = behaviour::sim_scope(&*p, sim).await;
    let a = sim.accounts("alibaba").remove(0);
    let est = sim.estate();
    // More groups and roles than the generator's two and one.
    est.create_group("alibaba", &a.id, "paging-group", None)
        .unwrap();
    for r in ["paging-role-1", "paging-role-2"] {
        est.create_role("alibaba", &a.id, r, None, None).unwrap();
    }
    let f = multicloud_sim::Filter::default();
    let all = multicloud_sim::PageReq::All;
    let region = s.region.clone();
    let c = p.compute().expect("compute");
    let n = p.network().expect("network");
    let st = p.storage().expect("storage");
    let iam = p.iam().expect("iam");

    let q = ListInstances {
        region: region.clone(),
        page_size: Some(1),
        ..ListInstances::default()
    };
    let got = walk(sim, "DescribeInstances", c.instances(&q), |i| i.id.clone()).await;
    let want = ids(est.instances(&s, &f, &all).unwrap().items, |i| i.id);
    three_pages("DescribeInstances", got, want);

    let q = ListVolumes {
        region: region.clone(),
        page_size: Some(1),
        ..ListVolumes::default()
    };
    let got = walk(sim, "DescribeDisks", c.volumes(&q), |v| v.id.clone()).await;
    let want = ids(est.volumes(&s, &f, &all).unwrap().items, |v| v.id);
    three_pages("DescribeDisks", got, want);

    let q = ListImages {
        region: region.clone(),
        owner: ImageOwner::Public,
        page_size: Some(1),
        ..ListImages::default()
    };
    let got = walk(sim, "DescribeImages", c.images(&q), |i| i.id.clone()).await;
    let want = ids(
        est.images(
            &s,
            Some(multicloud_sim::estate::ImageOwner::System),
            &f,
            &all,
        )
        .unwrap()
        .items,
        |i| i.id,
    );
    three_pages("DescribeImages", got, want);

    let got = walk(
        sim,
        "DescribeInstanceTypes",
        c.instance_types(&region),
        |t| t.id.clone(),
    )
    .await;
    let want = est
        .with_region(&s, |r| {
            r.instance_types.iter().map(|t| t.id.clone()).collect()
        })
        .unwrap();
    three_pages("DescribeInstanceTypes", got, want);

    let q = ListNetwork {
        region: region.clone(),
        page_size: Some(1),
        ..ListNetwork::default()
    };
    let got = walk(sim, "DescribeVpcs", n.vpcs(&q), |v| v.id.clone()).await;
    let want = ids(est.vpcs(&s, &f, &all).unwrap().items, |v| v.id);
    three_pages("DescribeVpcs", got, want);
    let got = walk(sim, "DescribeVSwitches", n.subnets(&q), |v| v.id.clone()).await;
    let want = ids(est.subnets(&s, &f, &all).unwrap().items, |v| v.id);
    three_pages("DescribeVSwitches", got, want);
    let got = walk(sim, "DescribeSecurityGroups", n.security_groups(&q), |v| {
        v.id.clone()
    })
    .await;
    let want = ids(est.security_groups(&s, &f, &all).unwrap().items, |v| v.id);
    three_pages("DescribeSecurityGroups", got, want);
    let got = walk(sim, "DescribeEipAddresses", n.public_ips(&q), |v| {
        v.id.clone()
    })
    .await;
    let want = ids(est.public_ips(&s, &f, &all).unwrap().items, |v| v.id);
    three_pages("DescribeEipAddresses", got, want);

    let got = walk(sim, "ListBuckets", st.buckets(), |b| b.name.clone()).await;
    let infos = est.buckets("alibaba", &a.id).unwrap();
    let want: BTreeSet<String> = infos.iter().map(|b| b.name.clone()).collect();
    three_pages("ListBuckets", got, want);
    let b = infos
        .iter()
        .find(|b| b.region == s.region)
        .expect("a bucket in the region");
    let q = ListObjects {
        bucket: b.name.clone(),
        page_size: Some(1),
        ..ListObjects::default()
    };
    let got = walk(sim, "ListObjectsV2", st.objects(&q), |o| match o {
        multicloud::model::ObjectEntry::Object(m) => m.key.clone(),
        other => panic!("not an object: {other:?}"),
    })
    .await;
    let want = est
        .with_region(&s, |r| r.buckets[&b.name].objects.keys().cloned().collect())
        .unwrap();
    three_pages("ListObjectsV2", got, want);

    let (users, groups, roles, policies) = est
        .iam("alibaba", &a.id, |i| {
            (
                i.users.keys().cloned().collect::<BTreeSet<_>>(),
                i.groups.keys().cloned().collect::<BTreeSet<_>>(),
                i.roles.keys().cloned().collect::<BTreeSet<_>>(),
                i.policies.keys().cloned().collect::<BTreeSet<_>>(),
            )
        })
        .unwrap();
    let got = walk(sim, "ListUsers", iam.users(), |u| u.name.clone()).await;
    three_pages("ListUsers", got, users);
    let got = walk(sim, "ListGroups", iam.groups(), |g| g.name.clone()).await;
    three_pages("ListGroups", got, groups);
    let got = walk(sim, "ListRoles", iam.roles(), |r| r.name.clone()).await;
    three_pages("ListRoles", got, roles);
    let got = walk(sim, "ListPolicies", iam.policies(None), |p| p.name.clone()).await;
    three_pages("ListPolicies", got, policies);

    // Cost lines: no key of their own; the month's lines sum to the estate.
    let month = chrono::Utc::now().date_naive();
    let q = multicloud::model::CostQuery::month_of(month);
    let before = calls(sim, "DescribeInstanceBill");
    let lines: Vec<_> = p
        .billing()
        .expect("billing")
        .cost_lines(&q)
        .try_collect()
        .await
        .expect("cost lines");
    let pages = calls(sim, "DescribeInstanceBill") - before;
    assert!(lines.len() >= 3, "{} cost lines", lines.len());
    assert!(
        pages >= lines.len(),
        "{pages} pages for {} lines",
        lines.len()
    );
    let mut sum: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
    for l in &lines {
        *sum.entry(l.currency.clone()).or_default() += l.payable_amount;
    }
    assert_eq!(sum, est.cost_total("alibaba", &a.id, month).unwrap());
}

/// A CreateUser that failed without making the user (every answer a 5xx,
/// nothing applied): each time GetUser finds no user, CreateUser is sent
/// again, three times in all; the error is returned and no user exists.
#[tokio::test]
async fn create_user_failing_unapplied_is_retried_after_a_lookup() {
    let e = alibaba()
        .instances(1)
        .fault(FaultRule::new("alibaba", "CreateUser").error_rate(1.0))
        .start()
        .await;
    let p = e.connect(false).await;
    let a = e.sim.accounts("alibaba").remove(0);
    let iam = p.iam().expect("iam");
    let err = iam
        .create_user(&multicloud::model::NewUser {
            name: "never-made".into(),
            ..Default::default()
        })
        .await
        .expect_err("every CreateUser fails");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(
        calls(&e.sim, "CreateUser"),
        3,
        "sent again after each lookup"
    );
    assert_eq!(calls(&e.sim, "GetUser"), 3, "looked up after each failure");
    assert!(e.sim.estate().user("alibaba", &a.id, "never-made").is_err());
}
