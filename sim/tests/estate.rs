//! Estate invariants, lazy transitions, idempotency, generator determinism,
//! estate files, storage, IAM and costs.

use chrono::NaiveDate;
use multicloud_sim::estate::{
    Direction, InstanceState, ListObjectsQuery, NewIamUser, NewInstance, NewPublicIp,
    NewSecurityGroup, NewSubnet, NewVolume, NewVpc, Peer, Principal, PutObject, ResourceKind,
    RuleAction, SecurityRule, Timings, VolumeState,
};
use multicloud_sim::{Estate, EstateError, Filter, GenConfig, PageReq, Scope};

fn small(seed: u64) -> GenConfig {
    GenConfig {
        seed,
        providers: vec!["tencent".into(), "aws".into(), "mycloud".into()],
        regions: 2,
        instances_per_region: 12,
        anchor: Some(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
        ..GenConfig::default()
    }
}

fn scope(e: &Estate, provider: &str) -> Scope {
    let a = &e.accounts(provider)[0];
    Scope::new(provider, &a.id, &a.regions[0])
}

fn new_instance(
    e: &Estate,
    s: &Scope,
    name: &str,
    token: Option<&str>,
) -> multicloud_sim::estate::Instance {
    let (image, ty, zone) = e
        .with_region(s, |r| {
            (
                r.images.keys().next().unwrap().clone(),
                r.instance_types[0].id.clone(),
                r.zones[0].clone(),
            )
        })
        .unwrap();
    e.create_instance(
        s,
        NewInstance {
            name: name.into(),
            zone: Some(zone),
            instance_type: ty,
            image_id: image,
            client_token: token.map(str::to_string),
            ..NewInstance::default()
        },
    )
    .unwrap()
}

#[test]
fn generator_is_deterministic_and_seed_sensitive() {
    let a = Estate::generate(&small(7)).to_json().unwrap();
    let b = Estate::generate(&small(7)).to_json().unwrap();
    let c = Estate::generate(&small(8)).to_json().unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn generator_shapes_follow_the_provider_tables() {
    let e = Estate::generate(&small(1));
    let t = &e.accounts("tencent")[0];
    assert_eq!(t.regions, vec!["ap-guangzhou", "ap-shanghai"]);
    assert!(t.extras["app_id"].starts_with("125"));
    assert!(t.access_key_id.starts_with("AKID"));
    let zones = e.regions("tencent", &t.id).unwrap();
    assert_eq!(zones[0].1[0], "ap-guangzhou-3");
    let s = scope(&e, "tencent");
    let l = e.instances(&s, &Filter::default(), &PageReq::All).unwrap();
    assert_eq!(l.total, 12);
    assert!(l.items.iter().all(|i| i.id.starts_with("ins-")));
    let aws = &e.accounts("aws")[0];
    assert_eq!(aws.regions, vec!["us-east-1", "us-west-2"]);
    let zs = e.regions("aws", &aws.id).unwrap();
    assert_eq!(zs[0].1, vec!["us-east-1a", "us-east-1b", "us-east-1c"]);
    // Unknown provider names work too.
    let m = &e.accounts("mycloud")[0];
    assert_eq!(m.regions[0], "mycloud-region-1");
    // Every instance has its system disk.
    let disks = e
        .volumes(&s, &Filter::default(), &PageReq::All)
        .unwrap()
        .items
        .into_iter()
        .filter(|v| v.is_system)
        .count();
    assert_eq!(disks, 12);
    // Currency per provider.
    let march = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
    let tt = e.cost_total("tencent", &t.id, march).unwrap();
    assert_eq!(tt.keys().collect::<Vec<_>>(), vec!["CNY"]);
    let at = e.cost_total("aws", &aws.id, march).unwrap();
    assert_eq!(at.keys().collect::<Vec<_>>(), vec!["USD"]);
    let lines = e
        .cost_lines(
            "aws",
            &aws.id,
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        )
        .unwrap();
    let sum: rust_decimal::Decimal = lines.iter().map(|l| l.payable_amount).sum();
    assert_eq!(sum, at["USD"]);
    assert!(sum > rust_decimal::Decimal::ZERO);
    assert!(
        lines
            .iter()
            .all(|l| l.payable_amount == l.list_amount - l.discount)
    );
}

#[test]
fn estate_files_round_trip_in_json_and_toml() {
    let e = Estate::generate(&small(3));
    let dir = std::env::temp_dir().join(format!("mcsim-estate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["e.json", "e.toml"] {
        let p = dir.join(name);
        e.save(&p).unwrap();
        let back = Estate::load(&p).unwrap();
        assert_eq!(back.snapshot(), e.snapshot(), "{name}");
    }
    // The id stream continues after a load: the next id is the same as the original's.
    let loaded = Estate::load(&dir.join("e.json")).unwrap();
    let s = scope(&e, "aws");
    let a = new_instance(&e, &s, "x", None);
    let b = new_instance(&loaded, &s, "x", None);
    assert_eq!(a.id, b.id);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn instance_lifecycle_advances_over_simulated_time() {
    let e = Estate::generate(&small(1));
    e.set_timings(Timings {
        create_ms: 10_000,
        stop_ms: 5_000,
        start_ms: 5_000,
        reboot_ms: 5_000,
        terminate_ms: 5_000,
        gone_ms: 60_000,
        ..Timings::default()
    });
    let s = scope(&e, "tencent");
    let i = new_instance(&e, &s, "web", None);
    assert_eq!(i.state, InstanceState::Pending);
    // Cannot stop while pending.
    assert!(matches!(
        e.stop_instance(&s, &i.id, false),
        Err(EstateError::InvalidState { .. })
    ));
    e.clock().advance_ms(10_001);
    assert_eq!(e.instance(&s, &i.id).unwrap().state, InstanceState::Running);
    // A running instance cannot be started.
    assert!(matches!(
        e.start_instance(&s, &i.id),
        Err(EstateError::InvalidState { .. })
    ));
    e.stop_instance(&s, &i.id, true).unwrap();
    assert_eq!(
        e.instance(&s, &i.id).unwrap().state,
        InstanceState::Stopping
    );
    e.clock().advance_ms(4_000);
    assert_eq!(
        e.instance(&s, &i.id).unwrap().state,
        InstanceState::Stopping
    );
    e.clock().advance_ms(1_001);
    let stopped = e.instance(&s, &i.id).unwrap();
    assert_eq!(stopped.state, InstanceState::Stopped);
    assert!(stopped.stopped_charging);
    e.start_instance(&s, &i.id).unwrap();
    assert_eq!(
        e.instance(&s, &i.id).unwrap().state,
        InstanceState::Starting
    );
    e.clock().advance_ms(5_001);
    assert_eq!(e.instance(&s, &i.id).unwrap().state, InstanceState::Running);
    e.reboot_instance(&s, &i.id).unwrap();
    assert_eq!(
        e.instance(&s, &i.id).unwrap().state,
        InstanceState::Rebooting
    );
    e.clock().advance_ms(5_001);
    assert_eq!(e.instance(&s, &i.id).unwrap().state, InstanceState::Running);
    let before = e.count_instances(&s).unwrap();
    e.delete_instance(&s, &i.id).unwrap();
    // A second delete while terminating is fine.
    e.delete_instance(&s, &i.id).unwrap();
    assert_eq!(
        e.instance(&s, &i.id).unwrap().state,
        InstanceState::Terminating
    );
    e.clock().advance_ms(5_001);
    assert_eq!(
        e.instance(&s, &i.id).unwrap().state,
        InstanceState::Terminated
    );
    e.clock().advance_ms(60_001);
    assert!(matches!(
        e.instance(&s, &i.id),
        Err(EstateError::NotFound {
            kind: ResourceKind::Instance,
            ..
        })
    ));
    assert_eq!(e.count_instances(&s).unwrap(), before - 1);
    assert!(matches!(
        e.delete_instance(&s, &i.id),
        Err(EstateError::NotFound { .. })
    ));
}

#[test]
fn client_tokens_make_creates_idempotent() {
    let e = Estate::generate(&small(1));
    let s = scope(&e, "aws");
    let n0 = e.count_instances(&s).unwrap();
    let a = new_instance(&e, &s, "one", Some("tok-1"));
    let b = new_instance(&e, &s, "one", Some("tok-1"));
    assert_eq!(a.id, b.id);
    assert_eq!(e.count_instances(&s).unwrap(), n0 + 1);
    let c = new_instance(&e, &s, "one", Some("tok-2"));
    assert_ne!(a.id, c.id);
    // Tokens are per region: the same token elsewhere makes a new one.
    let a0 = &e.accounts("aws")[0];
    let s2 = Scope::new("aws", &a0.id, &a0.regions[1]);
    let d = new_instance(&e, &s2, "one", Some("tok-1"));
    assert_ne!(a.id, d.id);
    let v1 = e
        .create_volume(
            &s,
            NewVolume {
                name: "v".into(),
                size_gib: 10,
                client_token: Some("vt".into()),
                ..NewVolume::default()
            },
        )
        .unwrap();
    let v2 = e
        .create_volume(
            &s,
            NewVolume {
                name: "v".into(),
                size_gib: 10,
                client_token: Some("vt".into()),
                ..NewVolume::default()
            },
        )
        .unwrap();
    assert_eq!(v1.id, v2.id);
    let p1 = e
        .allocate_public_ip(
            &s,
            NewPublicIp {
                client_token: Some("ip".into()),
                ..NewPublicIp::default()
            },
        )
        .unwrap();
    let p2 = e
        .allocate_public_ip(
            &s,
            NewPublicIp {
                client_token: Some("ip".into()),
                ..NewPublicIp::default()
            },
        )
        .unwrap();
    assert_eq!(p1, p2);
}

#[test]
fn a_volume_attaches_to_one_instance_at_a_time() {
    let e = Estate::generate(&small(1));
    e.set_timings(Timings::instant());
    let s = scope(&e, "tencent");
    let zone = e.with_region(&s, |r| r.zones[0].clone()).unwrap();
    let i1 = new_instance(&e, &s, "a", None);
    let i2 = new_instance(&e, &s, "b", None);
    let v = e
        .create_volume(
            &s,
            NewVolume {
                name: "data".into(),
                zone: Some(zone),
                size_gib: 20,
                ..NewVolume::default()
            },
        )
        .unwrap();
    e.attach_volume(&s, &v.id, &i1.id).unwrap();
    assert_eq!(e.volume(&s, &v.id).unwrap().state, VolumeState::InUse);
    let err = e.attach_volume(&s, &v.id, &i2.id).unwrap_err();
    assert!(
        matches!(err, EstateError::InUse { ref by, .. } if *by == i1.id),
        "{err:?}"
    );
    // Attached volumes cannot be deleted; the wrong instance cannot detach it.
    assert!(matches!(
        e.delete_volume(&s, &v.id),
        Err(EstateError::InUse { .. })
    ));
    assert!(e.detach_volume(&s, &v.id, &i2.id).is_err());
    let attached = e
        .volumes(
            &s,
            &Filter {
                instance_id: Some(i1.id.clone()),
                ..Filter::default()
            },
            &PageReq::All,
        )
        .unwrap();
    assert_eq!(attached.total, 2, "system disk + data disk");
    e.detach_volume(&s, &v.id, &i1.id).unwrap();
    assert_eq!(e.volume(&s, &v.id).unwrap().state, VolumeState::Available);
    e.attach_volume(&s, &v.id, &i2.id).unwrap();
    // System disks cannot be detached.
    let sys = attached.items.iter().find(|v| v.is_system).unwrap();
    assert!(e.detach_volume(&s, &sys.id, &i1.id).is_err());
    // Deleting the instance frees its data disk and removes its system disk.
    e.delete_instance(&s, &i2.id).unwrap();
    let v = e.volume(&s, &v.id).unwrap();
    assert_eq!(v.state, VolumeState::Available);
    assert_eq!(v.instance_id, None);
    e.delete_volume(&s, &v.id).unwrap();
    assert!(matches!(
        e.volume(&s, &v.id),
        Err(EstateError::NotFound { .. })
    ));
}

#[test]
fn network_invariants() {
    let e = Estate::generate(&small(1));
    let s = scope(&e, "aws");
    let vpc = e
        .create_vpc(
            &s,
            NewVpc {
                name: "n".into(),
                cidr: "10.9.0.0/16".into(),
                ..NewVpc::default()
            },
        )
        .unwrap();
    assert!(
        e.create_vpc(
            &s,
            NewVpc {
                name: "bad".into(),
                cidr: "10.9.0.0".into(),
                ..NewVpc::default()
            }
        )
        .is_err()
    );
    let sn = e
        .create_subnet(
            &s,
            NewSubnet {
                vpc_id: vpc.id.clone(),
                name: "s".into(),
                cidr: "10.9.1.0/24".into(),
                ..NewSubnet::default()
            },
        )
        .unwrap();
    let err = e.delete_vpc(&s, &vpc.id).unwrap_err();
    assert!(
        matches!(err, EstateError::DependencyViolation { dependent: ResourceKind::Subnet, ref dependent_id, .. } if *dependent_id == sn.id),
        "{err:?}"
    );
    let sg = e
        .create_security_group(
            &s,
            NewSecurityGroup {
                vpc_id: Some(vpc.id.clone()),
                name: "g".into(),
                ..NewSecurityGroup::default()
            },
        )
        .unwrap();
    let rule = SecurityRule {
        id: String::new(),
        direction: Direction::Ingress,
        action: RuleAction::Allow,
        protocol: "tcp".into(),
        port_from: Some(443),
        port_to: Some(443),
        peer: Peer::Cidr("0.0.0.0/0".into()),
        priority: Some(1),
        description: None,
    };
    let added = e.authorize_rule(&s, &sg.id, rule.clone()).unwrap();
    assert!(!added.id.is_empty());
    assert!(matches!(
        e.authorize_rule(&s, &sg.id, rule.clone()),
        Err(EstateError::AlreadyExists { .. })
    ));
    assert_eq!(e.security_group(&s, &sg.id).unwrap().rules.len(), 1);
    e.revoke_rule(&s, &sg.id, &rule).unwrap();
    assert!(e.revoke_rule(&s, &sg.id, &rule).is_err());
    e.delete_subnet(&s, &sn.id).unwrap();
    assert!(matches!(
        e.delete_vpc(&s, &vpc.id),
        Err(EstateError::DependencyViolation {
            dependent: ResourceKind::SecurityGroup,
            ..
        })
    ));
    e.delete_security_group(&s, &sg.id).unwrap();
    e.delete_vpc(&s, &vpc.id).unwrap();
    assert!(matches!(
        e.delete_vpc(&s, &vpc.id),
        Err(EstateError::NotFound { .. })
    ));
    // Public IPs: bound ones cannot be released.
    e.set_timings(Timings::instant());
    let i = new_instance(&e, &s, "ip-owner", None);
    let ip = e.allocate_public_ip(&s, NewPublicIp::default()).unwrap();
    e.associate_public_ip(&s, &ip.id, &i.id).unwrap();
    assert_eq!(
        e.instance_public_ips(&s, &i.id).unwrap(),
        vec![ip.address.clone()]
    );
    assert!(matches!(
        e.release_public_ip(&s, &ip.id),
        Err(EstateError::InUse { .. })
    ));
    e.disassociate_public_ip(&s, &ip.id).unwrap();
    e.release_public_ip(&s, &ip.id).unwrap();
}

#[test]
fn paging_and_filters() {
    let e = Estate::generate(&small(5));
    let s = scope(&e, "tencent");
    let all = e.instances(&s, &Filter::default(), &PageReq::All).unwrap();
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let p = e
            .instances(
                &s,
                &Filter::default(),
                &PageReq::After {
                    marker: marker.clone(),
                    limit: 5,
                },
            )
            .unwrap();
        seen.extend(p.items.iter().map(|i| i.id.clone()));
        match p.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    assert_eq!(
        seen,
        all.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
    );
    let mut by_offset = Vec::new();
    for off in (0..all.total).step_by(1) {
        let p = e
            .instances(
                &s,
                &Filter::default(),
                &PageReq::Offset {
                    offset: off,
                    limit: 1,
                },
            )
            .unwrap();
        assert_eq!(p.total, all.total);
        by_offset.extend(p.items.into_iter().map(|i| i.id));
    }
    assert_eq!(by_offset, seen);
    let first = &all.items[0];
    let by_id = e
        .instances(
            &s,
            &Filter {
                ids: vec![first.id.clone()],
                ..Filter::default()
            },
            &PageReq::All,
        )
        .unwrap();
    assert_eq!(by_id.total, 1);
    let env = first.tags["env"].clone();
    let by_tag = e
        .instances(
            &s,
            &Filter {
                tags: [("env".to_string(), env.clone())].into(),
                ..Filter::default()
            },
            &PageReq::All,
        )
        .unwrap();
    assert!(by_tag.total >= 1);
    assert!(by_tag.items.iter().all(|i| i.tags["env"] == env));
    assert_eq!(
        by_tag.total,
        all.items.iter().filter(|i| i.tags["env"] == env).count()
    );
}

#[test]
fn buckets_objects_and_multipart() {
    let e = Estate::generate(&small(1));
    let s = scope(&e, "aws");
    let acct = s.account.clone();
    e.create_bucket(&s, "my-bucket", None).unwrap();
    assert!(matches!(
        e.create_bucket(&s, "my-bucket", None),
        Err(EstateError::AlreadyExists { .. })
    ));
    let other = &e.accounts("tencent")[0];
    // Names are unique per provider, not per account: another aws account would get InUse.
    assert!(e.bucket_owner("aws", "my-bucket").is_some());
    assert!(e.bucket_owner("tencent", "my-bucket").is_none());
    let _ = other;
    for k in ["a/1", "a/2", "b/1", "c"] {
        e.put_object(
            "aws",
            &acct,
            "my-bucket",
            PutObject {
                key: k.into(),
                data: k.as_bytes().to_vec(),
                ..PutObject::default()
            },
        )
        .unwrap();
    }
    let l = e
        .list_objects(
            "aws",
            &acct,
            "my-bucket",
            &ListObjectsQuery {
                delimiter: Some("/".into()),
                ..ListObjectsQuery::default()
            },
        )
        .unwrap();
    assert_eq!(l.common_prefixes, vec!["a/", "b/"]);
    assert_eq!(
        l.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        vec!["c"]
    );
    // Page size 1 with a delimiter walks a/, b/, c.
    let mut got = Vec::new();
    let mut after = None;
    loop {
        let p = e
            .list_objects(
                "aws",
                &acct,
                "my-bucket",
                &ListObjectsQuery {
                    delimiter: Some("/".into()),
                    start_after: after.clone(),
                    max_keys: 1,
                    ..ListObjectsQuery::default()
                },
            )
            .unwrap();
        got.extend(p.common_prefixes.clone());
        got.extend(p.objects.iter().map(|o| o.key.clone()));
        if !p.is_truncated {
            break;
        }
        after = p.next_marker;
    }
    assert_eq!(got, vec!["a/", "b/", "c"]);
    let pre = e
        .list_objects(
            "aws",
            &acct,
            "my-bucket",
            &ListObjectsQuery {
                prefix: Some("a/".into()),
                ..ListObjectsQuery::default()
            },
        )
        .unwrap();
    assert_eq!(pre.objects.len(), 2);
    assert!(matches!(
        e.delete_bucket("aws", &acct, "my-bucket"),
        Err(EstateError::DependencyViolation { .. })
    ));
    // Multipart.
    let up = e
        .create_upload(
            "aws",
            &acct,
            "my-bucket",
            "big",
            Some("application/octet-stream".into()),
            Default::default(),
        )
        .unwrap();
    let e1 = e
        .upload_part("aws", &acct, "my-bucket", &up, 1, vec![1u8; 10])
        .unwrap();
    let e2 = e
        .upload_part("aws", &acct, "my-bucket", &up, 2, vec![2u8; 5])
        .unwrap();
    assert!(
        e.complete_upload(
            "aws",
            &acct,
            "my-bucket",
            &up,
            &[(2, e2.clone()), (1, e1.clone())]
        )
        .is_err()
    );
    let o = e
        .complete_upload(
            "aws",
            &acct,
            "my-bucket",
            &up,
            &[(1, e1), (2, format!("\"{e2}\""))],
        )
        .unwrap();
    assert!(o.etag.ends_with("-2"));
    let got = e.get_object("aws", &acct, "my-bucket", "big").unwrap();
    assert_eq!(got.data.len(), 15);
    assert_eq!(&got.data[9..11], &[1, 2]);
    let c = e
        .copy_object("aws", &acct, ("my-bucket", "big"), ("my-bucket", "big2"))
        .unwrap();
    assert_eq!(c.etag, o.etag);
    for k in ["a/1", "a/2", "b/1", "c", "big", "big2"] {
        assert!(e.delete_object("aws", &acct, "my-bucket", k).unwrap());
    }
    assert!(!e.delete_object("aws", &acct, "my-bucket", "c").unwrap());
    e.delete_bucket("aws", &acct, "my-bucket").unwrap();
}

#[test]
fn iam_users_policies_and_keys() {
    let e = Estate::generate(&small(1));
    let a = e.accounts("tencent")[0].id.clone();
    let u = e
        .create_user(
            "tencent",
            &a,
            NewIamUser {
                name: "alice".into(),
                ..NewIamUser::default()
            },
        )
        .unwrap();
    assert!(!u.id.is_empty());
    assert!(matches!(
        e.create_user(
            "tencent",
            &a,
            NewIamUser {
                name: "alice".into(),
                ..NewIamUser::default()
            }
        ),
        Err(EstateError::AlreadyExists { .. })
    ));
    let p = Principal::User("alice".into());
    e.attach_policy("tencent", &a, &p, "ReadOnlyAccess")
        .unwrap();
    assert!(
        e.attach_policy("tencent", &a, &p, "ReadOnlyAccess")
            .is_err()
    );
    assert!(matches!(
        e.attach_policy("tencent", &a, &p, "Nope"),
        Err(EstateError::NotFound { .. })
    ));
    let att = e.attached_policies("tencent", &a, &p).unwrap();
    assert_eq!(
        att.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        vec!["ReadOnlyAccess"]
    );
    let k = e.create_access_key("tencent", &a, "alice").unwrap();
    // User keys authenticate as the user.
    let id = e.find_access_key("tencent", &k.id).unwrap();
    assert_eq!(id.user.as_deref(), Some("alice"));
    assert_eq!(id.secret, k.secret);
    assert!(matches!(
        e.delete_user("tencent", &a, "alice", false),
        Err(EstateError::DependencyViolation { .. })
    ));
    e.delete_user("tencent", &a, "alice", true).unwrap();
    assert!(e.find_access_key("tencent", &k.id).is_none());
    assert!(matches!(
        e.user("tencent", &a, "alice"),
        Err(EstateError::NotFound { .. })
    ));
    // Root credentials authenticate as the account.
    let root = &e.accounts("tencent")[0];
    let id = e.find_access_key("tencent", &root.access_key_id).unwrap();
    assert_eq!(id.user, None);
    assert_eq!(id.account, root.id);
    assert!(e.find_access_key("aws", &root.access_key_id).is_none());
    // Secrets do not leak through Debug.
    let dbg = format!("{:?}", e.accounts("tencent"));
    assert!(!dbg.contains(root.secret_access_key.expose()));
}

#[test]
fn request_ids_are_seeded_and_do_not_shift_resource_ids() {
    let a = Estate::generate(&small(21));
    let b = Estate::generate(&small(21));
    let ra: Vec<String> = (0..3).map(|_| a.request_id()).collect();
    let rb: Vec<String> = (0..3).map(|_| b.request_id()).collect();
    assert_eq!(ra, rb);
    assert_ne!(ra[0], ra[1]);
    for _ in 0..5 {
        a.request_id();
    }
    let s = scope(&a, "tencent");
    assert_eq!(
        new_instance(&a, &s, "x", None).id,
        new_instance(&b, &s, "x", None).id
    );
}

#[test]
fn custom_id_functions_shape_new_ids() {
    let e = Estate::generate(&small(2));
    e.set_id_fn(
        "tencent",
        multicloud_sim::estate::ids::prefixed(
            &[(ResourceKind::Instance, "zz-")],
            b"0123456789",
            6,
            multicloud_sim::estate::ids::default_id_fn("tencent"),
        ),
    );
    let s = scope(&e, "tencent");
    let i = new_instance(&e, &s, "custom", None);
    assert!(i.id.starts_with("zz-") && i.id.len() == 9, "{}", i.id);
}

#[test]
fn daily_cost_lines_cover_each_day_and_sum_to_the_month() {
    let cfg = GenConfig {
        cost_granularity: multicloud_sim::estate::Granularity::Daily,
        cost_months: 1,
        instances_per_region: 2,
        regions: 1,
        providers: vec!["alibaba".into()],
        ..small(4)
    };
    let e = Estate::generate(&cfg);
    let a = &e.accounts("alibaba")[0];
    let feb = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    let mar = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let apr = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    assert!(e.cost_lines("alibaba", &a.id, feb, mar).unwrap().is_empty());
    let lines = e.cost_lines("alibaba", &a.id, mar, apr).unwrap();
    let inst = e
        .instances(
            &Scope::new("alibaba", &a.id, &a.regions[0]),
            &Filter::default(),
            &PageReq::All,
        )
        .unwrap()
        .items[0]
        .id
        .clone();
    let mine: Vec<_> = lines
        .iter()
        .filter(|l| l.resource_id.as_deref() == Some(&inst))
        .collect();
    assert_eq!(mine.len(), 31, "one line per day of March");
    assert!(
        mine.iter()
            .all(|l| l.period_end == l.period_start.succ_opt().unwrap())
    );
    let total = e.cost_total("alibaba", &a.id, mar).unwrap();
    let sum: rust_decimal::Decimal = lines.iter().map(|l| l.payable_amount).sum();
    assert_eq!(total["CNY"], sum);
}
