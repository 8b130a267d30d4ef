//! The AWS provider against moto (the AWS emulator from PyPI, `moto[server]`).
//!
//! Start it with `scripts/emu/moto.sh start` and export the
//! `MULTICLOUD_MOTO_URL` it prints. Without that variable the tests skip,
//! except under CI (env `CI` set), where they fail.
//!
//! Tests run in parallel against one moto: each uses its own region and
//! unique names instead of resetting moto's state.
#![cfg(feature = "aws")]

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use multicloud::config::AccountConfig;
use multicloud::credentials::Secret;
use multicloud::model::*;
use multicloud::{ErrorKind, Provider};

mod aws_support;

fn moto_url() -> Option<String> {
    match std::env::var("MULTICLOUD_MOTO_URL") {
        Ok(u) if !u.is_empty() => Some(u.trim_end_matches('/').to_string()),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "MULTICLOUD_MOTO_URL is not set: under CI moto must run \
                     (scripts/emu/moto.sh start prints the export)"
                );
            }
            eprintln!("skipping: MULTICLOUD_MOTO_URL not set (run scripts/emu/moto.sh start)");
            None
        }
    }
}

/// An account on moto: its `testing` keys, the given region, two attempts.
fn account(url: &str, region: &str, read_only: bool) -> AccountConfig {
    let mut a = aws_support::account(&format!("moto-{region}"), url, read_only);
    a.credentials.access_key_id = Some("testing".into());
    a.credentials.secret_access_key = Some(Secret::new("testing"));
    a.options.insert("region".into(), region.into());
    a.transport.max_attempts = Some(2);
    a.transport.deadline_ms = None;
    a
}

async fn provider(url: &str, region: &str) -> Arc<dyn Provider> {
    multicloud::Cloud::connect(&account(url, region, false))
        .await
        .unwrap()
}

fn unique(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}-{n:x}")
}

fn tags(k: &str, v: &str) -> Tags {
    [(k.to_string(), v.to_string())].into_iter().collect()
}

const AMI: &str = "ami-03cf127a";

#[tokio::test]
async fn sts_account_regions_and_zones() {
    let Some(url) = moto_url() else { return };
    let p = provider(&url, "eu-west-2").await;
    let a = p.account().await.unwrap();
    assert_eq!(a.id, "123456789012");
    assert!(a.principal.unwrap_or_default().starts_with("arn:aws:"));
    // memoized: same answer again
    assert_eq!(p.account().await.unwrap().id, "123456789012");

    let regions = p.regions().await.unwrap();
    assert!(regions.iter().any(|r| r.id == "eu-west-2"), "{regions:?}");
    let zones = p.zones("eu-west-2").await.unwrap();
    assert!(
        zones.iter().any(|z| z.id == "eu-west-2a" && z.available),
        "{zones:?}"
    );

    // region globs filter the discovered list
    let mut acc = account(&url, "eu-west-2", false);
    acc.regions.include = vec!["eu-*".into()];
    acc.regions.exclude = vec!["eu-west-1".into()];
    let p = multicloud::Cloud::connect(&acc).await.unwrap();
    let ids: Vec<String> = p
        .regions()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(ids.contains(&"eu-west-2".to_string()));
    assert!(!ids.contains(&"eu-west-1".to_string()));
    assert!(ids.iter().all(|r| r.starts_with("eu-")), "{ids:?}");
    assert!(!p.capabilities().balance);
    assert!(p.billing().unwrap().balance().await.unwrap().is_none());
}

#[tokio::test]
async fn instances_lifecycle_and_paging() {
    let Some(url) = moto_url() else { return };
    let region = "ap-southeast-2";
    let p = provider(&url, region).await;
    let c = p.compute().unwrap();
    let suite = unique("inst");

    // Six separate RunInstances calls: moto pages by reservation.
    let mut ids = Vec::new();
    for i in 0..6 {
        let inst = c
            .create_instance(&InstanceSpec {
                region: region.into(),
                name: format!("{suite}-{i}"),
                instance_type: "t3.micro".into(),
                image_id: AMI.into(),
                tags: tags("suite", &suite),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(inst.name, format!("{suite}-{i}"));
        assert_eq!(inst.region, region);
        assert_eq!(inst.instance_type.as_deref(), Some("t3.micro"));
        ids.push(inst.id);
    }
    let q = ListInstances {
        region: region.into(),
        tags: tags("suite", &suite),
        page_size: Some(5),
        ..Default::default()
    };
    let mut listed: Vec<String> = c
        .instances(&q)
        .map_ok(|i| i.id)
        .try_collect()
        .await
        .unwrap();
    listed.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(listed, want, "every page is read");

    // empty result
    let empty = ListInstances {
        region: region.into(),
        tags: tags("suite", "nothing-has-this"),
        ..Default::default()
    };
    assert_eq!(c.instances(&empty).count().await, 0);

    // power cycle
    let id = &ids[0];
    c.stop_instance(
        region,
        id,
        StopOptions {
            force: true,
            stop_charging: false,
        },
    )
    .await
    .unwrap();
    let i = c
        .wait_until_instance(
            region,
            id,
            InstanceState::Stopped,
            WaitOptions {
                timeout_ms: 20_000,
                interval_ms: 100,
                max_interval_ms: 1000,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(i.raw_state, "stopped");
    assert_eq!(i.stopped_charging, Some(true));
    c.start_instance(region, id).await.unwrap();
    let i = c
        .wait_until_instance(
            region,
            id,
            InstanceState::Running,
            WaitOptions {
                timeout_ms: 20_000,
                interval_ms: 100,
                max_interval_ms: 1000,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(i.raw_state, "running");
    c.reboot_instance(region, id).await.unwrap();

    for id in &ids {
        c.delete_instance(region, id).await.unwrap();
    }
    // delete twice is Ok
    c.delete_instance(region, &ids[1]).await.unwrap();
    let t = c.instance(region, &ids[1]).await.unwrap();
    assert!(
        matches!(
            t.state,
            InstanceState::Terminated | InstanceState::Terminating
        ),
        "{t:?}"
    );
    // a missing id
    let e = c.instance(region, "i-0123456789abcdef0").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.provider(), Some("aws"));
    assert_eq!(e.context().action.as_deref(), Some("DescribeInstances"));
    c.delete_instance(region, "i-0123456789abcdef0")
        .await
        .unwrap();

    // instance types
    let t3: Vec<InstanceType> = c
        .instance_types(region)
        .try_filter(|t| futures::future::ready(t.id == "t3.micro"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(t3.len(), 1);
    assert_eq!((t3[0].vcpus, t3[0].memory_mib), (2, 1024));
    assert_eq!(t3[0].family.as_deref(), Some("t3"));

    // own images: none in this region
    let own = ListImages {
        region: region.into(),
        ..Default::default()
    };
    assert_eq!(c.images(&own).count().await, 0);
}

#[tokio::test]
async fn client_token_makes_create_idempotent() {
    let Some(url) = moto_url() else { return };
    let region = "ap-northeast-3";
    let p = provider(&url, region).await;
    let c = p.compute().unwrap();
    let spec = InstanceSpec {
        region: region.into(),
        name: "idem".into(),
        instance_type: "t3.micro".into(),
        image_id: AMI.into(),
        client_token: Some(unique("tok")),
        ..Default::default()
    };
    let a = c.create_instance(&spec).await.unwrap();
    let b = c.create_instance(&spec).await.unwrap();
    if a.id != b.id {
        // moto 5.2 ignores ClientToken; the simulator covers idempotency.
        eprintln!("note: this moto does not honour RunInstances ClientToken");
    }
    c.delete_instance(region, &a.id).await.unwrap();
    c.delete_instance(region, &b.id).await.unwrap();
}

#[tokio::test]
async fn volumes_round_trip() {
    let Some(url) = moto_url() else { return };
    let region = "ca-central-1";
    let p = provider(&url, region).await;
    let c = p.compute().unwrap();
    let zone = format!("{region}a");
    let inst = c
        .create_instance(&InstanceSpec {
            region: region.into(),
            zone: Some(zone.clone()),
            name: "vol-host".into(),
            instance_type: "t3.micro".into(),
            image_id: AMI.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let v = c
        .create_volume(&VolumeSpec {
            region: region.into(),
            zone: Some(zone.clone()),
            name: "data".into(),
            size_gib: 8,
            volume_type: Some("gp3".into()),
            tags: tags("suite", "vol"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(v.size_gib, 8);
    assert_eq!(v.name, "data");
    assert_eq!(v.zone.as_deref(), Some(zone.as_str()));

    let q = ListVolumes {
        region: region.into(),
        tags: tags("suite", "vol"),
        page_size: Some(5),
        ..Default::default()
    };
    let listed: Vec<Volume> = c.volumes(&q).try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, VolumeState::Available);
    assert_eq!(listed[0].raw_state, "available");

    c.attach_volume(region, &v.id, &inst.id).await.unwrap();
    let got = c.volume(region, &v.id).await.unwrap();
    assert_eq!(got.state, VolumeState::InUse, "{got:?}");
    assert_eq!(got.attachments[0].instance_id, inst.id);
    assert_eq!(got.attachments[0].device.as_deref(), Some("/dev/sdf"));
    assert!(!got.is_system);
    let by_instance = ListVolumes {
        region: region.into(),
        instance_id: Some(inst.id.clone()),
        ..Default::default()
    };
    let ids: Vec<String> = c
        .volumes(&by_instance)
        .map_ok(|v| v.id)
        .try_collect()
        .await
        .unwrap();
    assert!(ids.contains(&v.id), "{ids:?}");

    c.detach_volume(region, &v.id, &inst.id).await.unwrap();
    let got = c
        .wait_until_volume(
            region,
            &v.id,
            VolumeState::Available,
            WaitOptions {
                timeout_ms: 10_000,
                interval_ms: 100,
                max_interval_ms: 500,
            },
        )
        .await
        .unwrap();
    assert!(got.attachments.is_empty());
    c.delete_volume(region, &v.id).await.unwrap();
    c.delete_volume(region, &v.id).await.unwrap();
    let e = c.volume(region, &v.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.code(), Some("InvalidVolume.NotFound"));
    // a volume without a zone is refused before sending
    let e = c
        .create_volume(&VolumeSpec {
            region: region.into(),
            size_gib: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    c.delete_instance(region, &inst.id).await.unwrap();
}

#[tokio::test]
async fn network_round_trip() {
    let Some(url) = moto_url() else { return };
    let region = "eu-north-1";
    let p = provider(&url, region).await;
    let n = p.network().unwrap();
    let vpc = n
        .create_vpc(&VpcSpec {
            region: region.into(),
            name: "net-test".into(),
            cidr: "10.42.0.0/16".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(vpc.cidr.as_deref(), Some("10.42.0.0/16"));
    assert_eq!(vpc.name, "net-test");
    assert!(!vpc.is_default);
    let vpcs: Vec<Vpc> = n
        .vpcs(&ListNetwork {
            region: region.into(),
            page_size: Some(5),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(vpcs.iter().any(|v| v.id == vpc.id));
    assert!(
        vpcs.iter().any(|v| v.is_default),
        "moto makes a default VPC"
    );

    let subnet = n
        .create_subnet(&SubnetSpec {
            region: region.into(),
            zone: Some(format!("{region}a")),
            vpc_id: vpc.id.clone(),
            name: "sn".into(),
            cidr: "10.42.1.0/24".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(subnet.vpc_id, vpc.id);
    let subs: Vec<Subnet> = n
        .subnets(&ListNetwork {
            region: region.into(),
            vpc_id: Some(vpc.id.clone()),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].cidr, "10.42.1.0/24");

    // a VPC with a subnet cannot go
    let e = n.delete_vpc(region, &vpc.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");

    let sg = n
        .create_security_group(&SecurityGroupSpec {
            region: region.into(),
            vpc_id: Some(vpc.id.clone()),
            name: "web".into(),
            description: Some("web servers".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sg.vpc_id.as_deref(), Some(vpc.id.as_str()));
    let ssh = SecurityRule {
        id: None,
        direction: Direction::Ingress,
        action: RuleAction::Allow,
        protocol: Protocol::Tcp,
        ports: Some(PortRange::single(22)),
        peer: Peer::Cidr("10.0.0.0/8".into()),
        priority: None,
        description: Some("ssh".into()),
    };
    n.authorize_rule(region, &sg.id, &ssh).await.unwrap();
    let dns_out = SecurityRule {
        direction: Direction::Egress,
        protocol: Protocol::Udp,
        ports: Some(PortRange::single(53)),
        peer: Peer::Cidr("8.8.8.8/32".into()),
        description: None,
        ..ssh.clone()
    };
    n.authorize_rule(region, &sg.id, &dns_out).await.unwrap();
    let got = n.security_group(region, &sg.id).await.unwrap();
    assert!(got.rules.contains(&ssh), "{:?}", got.rules);
    assert!(
        got.rules.iter().any(|r| r.direction == Direction::Egress
            && r.protocol == Protocol::Udp
            && r.ports == Some(PortRange::single(53))),
        "{:?}",
        got.rules
    );
    // duplicate rule
    let e = n.authorize_rule(region, &sg.id, &ssh).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    n.revoke_rule(region, &sg.id, &ssh).await.unwrap();
    n.revoke_rule(region, &sg.id, &dns_out).await.unwrap();
    let got = n.security_group(region, &sg.id).await.unwrap();
    assert!(!got.rules.contains(&ssh));
    let listed: Vec<SecurityGroup> = n
        .security_groups(&ListNetwork {
            region: region.into(),
            vpc_id: Some(vpc.id.clone()),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(listed.iter().any(|g| g.id == sg.id));

    // elastic IP bound to an instance
    let inst = p
        .compute()
        .unwrap()
        .create_instance(&InstanceSpec {
            region: region.into(),
            name: "eip-host".into(),
            instance_type: "t3.micro".into(),
            image_id: AMI.into(),
            subnet_id: Some(subnet.id.clone()),
            security_group_ids: vec![sg.id.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(inst.subnet_id.as_deref(), Some(subnet.id.as_str()));
    let ip = n
        .allocate_public_ip(&PublicIpSpec {
            region: region.into(),
            name: Some("front".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ip.state, PublicIpState::Available);
    n.associate_public_ip(region, &ip.id, &inst.id)
        .await
        .unwrap();
    let ips: Vec<PublicIp> = n
        .public_ips(&ListNetwork {
            region: region.into(),
            ids: vec![ip.id.clone()],
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0].state, PublicIpState::InUse);
    assert_eq!(ips[0].raw_state, "associated");
    assert_eq!(ips[0].instance_id.as_deref(), Some(inst.id.as_str()));
    assert_eq!(ips[0].address, ip.address);
    n.disassociate_public_ip(region, &ip.id).await.unwrap();
    n.disassociate_public_ip(region, &ip.id).await.unwrap();
    let ips: Vec<PublicIp> = n
        .public_ips(&ListNetwork {
            region: region.into(),
            ids: vec![ip.id.clone()],
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ips[0].state, PublicIpState::Available);
    n.release_public_ip(region, &ip.id).await.unwrap();
    n.release_public_ip(region, &ip.id).await.unwrap();

    p.compute()
        .unwrap()
        .delete_instance(region, &inst.id)
        .await
        .unwrap();
    let _ = p
        .compute()
        .unwrap()
        .wait_until_instance(
            region,
            &inst.id,
            InstanceState::Terminated,
            WaitOptions {
                timeout_ms: 10_000,
                interval_ms: 100,
                max_interval_ms: 500,
            },
        )
        .await;
    n.delete_security_group(region, &sg.id).await.unwrap();
    n.delete_security_group(region, &sg.id).await.unwrap();
    let e = n.security_group(region, &sg.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    n.delete_subnet(region, &subnet.id).await.unwrap();
    n.delete_subnet(region, &subnet.id).await.unwrap();
    n.delete_vpc(region, &vpc.id).await.unwrap();
    n.delete_vpc(region, &vpc.id).await.unwrap();
}

fn chunked(data: Bytes, chunk: usize) -> PutBody {
    let size = data.len() as u64;
    let chunks: Vec<multicloud::Result<Bytes>> = (0..data.len())
        .step_by(chunk)
        .map(|i| Ok(data.slice(i..(i + chunk).min(data.len()))))
        .collect();
    PutBody::Stream {
        body: futures::stream::iter(chunks).boxed(),
        size: Some(size),
    }
}

#[tokio::test]
async fn s3_buckets_objects_multipart_presign() {
    let Some(url) = moto_url() else { return };
    let region = "eu-west-3";
    let p = provider(&url, region).await;
    let s = p.storage().unwrap();
    let bucket = unique("mc-bucket");
    let b = s
        .create_bucket(&BucketSpec {
            name: bucket.clone(),
            region: region.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(b.region.as_deref(), Some(region));
    // Creating it again: moto answers `BucketAlreadyOwnedByYou`, which
    // means the bucket is already ours (as after a lost answer): success.
    let again = s
        .create_bucket(&BucketSpec {
            name: bucket.clone(),
            region: region.into(),
            ..Default::default()
        })
        .await
        .expect("BucketAlreadyOwnedByYou is success");
    assert_eq!(again.name, bucket);

    // a fresh provider must ask S3 for the location
    let fresh = provider(&url, "us-east-1").await;
    assert_eq!(
        fresh
            .storage()
            .unwrap()
            .bucket_location(&bucket)
            .await
            .unwrap(),
        region
    );
    let buckets: Vec<Bucket> = fresh
        .storage()
        .unwrap()
        .buckets()
        .try_collect()
        .await
        .unwrap();
    let mine = buckets.iter().find(|x| x.name == bucket).expect("listed");
    if let Some(r) = &mine.region {
        assert_eq!(r, region);
    }

    let opts = PutOptions {
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    for k in ["a/1.txt", "a/2.txt", "b/3.txt", "top.txt"] {
        let meta = s
            .put_object(
                &bucket,
                k,
                PutBody::Bytes(Bytes::from(format!("body of {k}"))),
                &opts,
            )
            .await
            .unwrap();
        assert_eq!(meta.size as usize, format!("body of {k}").len());
    }
    // page size 1 over several pages
    let q = ListObjects {
        bucket: bucket.clone(),
        page_size: Some(1),
        ..Default::default()
    };
    let keys: Vec<String> = s
        .objects(&q)
        .map_ok(|e| match e {
            ObjectEntry::Object(m) => m.key,
            ObjectEntry::Prefix(p) => p,
            _ => String::new(),
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys, vec!["a/1.txt", "a/2.txt", "b/3.txt", "top.txt"]);
    // delimiter
    let q = ListObjects {
        bucket: bucket.clone(),
        delimiter: Some("/".into()),
        ..Default::default()
    };
    let entries: Vec<ObjectEntry> = s.objects(&q).try_collect().await.unwrap();
    assert!(
        entries.contains(&ObjectEntry::Prefix("a/".into())),
        "{entries:?}"
    );
    assert!(entries.contains(&ObjectEntry::Prefix("b/".into())));
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, ObjectEntry::Object(m) if m.key == "top.txt"))
    );
    // prefix
    let q = ListObjects {
        bucket: bucket.clone(),
        prefix: Some("a/".into()),
        ..Default::default()
    };
    assert_eq!(s.objects(&q).count().await, 2);
    // empty
    let q = ListObjects {
        bucket: bucket.clone(),
        prefix: Some("zzz".into()),
        ..Default::default()
    };
    assert_eq!(s.objects(&q).count().await, 0);

    let head = s.head_object(&bucket, "a/1.txt").await.unwrap();
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    let body = s
        .get_object(
            &bucket,
            "a/1.txt",
            &GetOptions {
                range: Some((5, Some(6))),
            },
        )
        .await
        .unwrap();
    assert_eq!(body.range, Some((5, 6)));
    assert_eq!(&body.collect().await.unwrap()[..], b"of");
    let copied = s
        .copy_object(&bucket, "a/1.txt", &bucket, "c/copy of 1.txt")
        .await
        .unwrap();
    assert_eq!(copied.size, head.size);
    let e = s.head_object(&bucket, "nope").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    // multipart: 11 MiB in 5 MiB parts from a chunked stream of unknown split
    let big: Vec<u8> = (0..11 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let big = Bytes::from(big);
    let mp = PutOptions {
        multipart_threshold: 5 * 1024 * 1024,
        part_size: 5 * 1024 * 1024,
        ..Default::default()
    };
    let meta = s
        .put_object(&bucket, "big.bin", chunked(big.clone(), 300_000), &mp)
        .await
        .unwrap();
    assert_eq!(meta.size, big.len() as u64);
    assert!(
        meta.etag.as_deref().unwrap_or("").ends_with("-3"),
        "{meta:?}"
    );
    let back = s
        .get_object(&bucket, "big.bin", &GetOptions::default())
        .await
        .unwrap();
    let mut n = 0usize;
    let mut stream = back.body;
    while let Some(chunk) = stream.try_next().await.unwrap() {
        assert_eq!(&chunk[..], &big[n..n + chunk.len()]);
        n += chunk.len();
    }
    assert_eq!(n, big.len());
    // Bytes body above the threshold goes multipart too
    let meta = s
        .put_object(
            &bucket,
            "big2.bin",
            PutBody::Bytes(big.slice(..6 * 1024 * 1024)),
            &mp,
        )
        .await
        .unwrap();
    assert!(
        meta.etag.as_deref().unwrap_or("").ends_with("-2"),
        "{meta:?}"
    );

    // a body that breaks after the first part: the upload is aborted
    let failing = futures::stream::iter(vec![
        Ok(big.slice(..6 * 1024 * 1024)),
        Err(multicloud::Error::new(
            ErrorKind::Unavailable,
            "source broke",
        )),
    ])
    .boxed();
    let e = s
        .put_object(
            &bucket,
            "broken.bin",
            PutBody::Stream {
                body: failing,
                size: None,
            },
            &mp,
        )
        .await
        .unwrap_err();
    assert_eq!(e.message(), "source broke");
    let raw = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(region))
            .endpoint_url(&url)
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build(),
    );
    let ups = raw
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(ups.uploads().is_empty(), "aborted: {:?}", ups.uploads());
    assert_eq!(
        s.head_object(&bucket, "broken.bin")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // presigned GET with a plain HTTP client
    let pre = s
        .presign(&bucket, "b/3.txt", &PresignOptions::default())
        .await
        .unwrap();
    assert!(pre.url.contains("X-Amz-Signature="));
    let got = reqwest::get(&pre.url).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.text().await.unwrap(), "body of b/3.txt");

    // non-empty bucket
    let e = s.delete_bucket(&bucket).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    for k in [
        "a/1.txt",
        "a/2.txt",
        "b/3.txt",
        "top.txt",
        "c/copy of 1.txt",
        "big.bin",
        "big2.bin",
    ] {
        s.delete_object(&bucket, k).await.unwrap();
    }
    s.delete_object(&bucket, "a/1.txt").await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
}

#[tokio::test]
async fn iam_users_policies_keys() {
    let Some(url) = moto_url() else { return };
    let p = provider(&url, "us-east-1").await;
    let iam = p.iam().unwrap();
    let name = unique("user");
    let u = iam
        .create_user(&NewUser {
            name: name.clone(),
            tags: tags("team", "ops"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(u.name, name);
    assert!(
        u.arn
            .as_deref()
            .unwrap_or("")
            .ends_with(&format!("user/{name}"))
    );
    let e = iam
        .create_user(&NewUser {
            name: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let users: Vec<User> = iam.users().try_collect().await.unwrap();
    assert!(users.iter().any(|x| x.name == name));
    assert_eq!(iam.user(&name).await.unwrap().id, u.id);

    let ro = PolicyRef {
        id: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        name: "ReadOnlyAccess".into(),
        kind: PolicyKind::System,
    };
    let principal = Principal::User(name.clone());
    iam.attach_policy(&principal, &ro).await.unwrap();
    let attached: Vec<PolicyRef> = iam
        .attached_policies(&principal)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(attached, vec![ro.clone()]);

    // an access key, made with the plain SDK (the trait lists metadata only)
    let raw = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(&url)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build(),
    );
    let key = raw
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_string();
    let keys: Vec<AccessKeyInfo> = iam.access_keys(&name).try_collect().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id, key_id);
    assert!(keys[0].active);
    assert_eq!(keys[0].raw_status, "Active");

    let system: Vec<Policy> = iam
        .policies(Some(PolicyKind::System))
        .try_filter(|p| futures::future::ready(p.name == "ReadOnlyAccess"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        system.len(),
        1,
        "MOTO_IAM_LOAD_MANAGED_POLICIES=true is needed"
    );
    assert_eq!(system[0].kind, PolicyKind::System);
    let _custom: Vec<Policy> = iam
        .policies(Some(PolicyKind::Custom))
        .try_collect()
        .await
        .unwrap();

    // a role with a trust policy, and a group the user joins
    let role_name = unique("role");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    raw.create_role()
        .role_name(&role_name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let roles: Vec<Role> = iam.roles().try_collect().await.unwrap();
    let role = roles
        .iter()
        .find(|r| r.name == role_name)
        .expect("role listed");
    assert_eq!(
        role.trust_policy
            .as_ref()
            .and_then(|t| t.get("Version"))
            .and_then(|v| v.as_str()),
        Some("2012-10-17"),
        "{role:?}"
    );
    let role_principal = Principal::Role(role_name.clone());
    iam.attach_policy(&role_principal, &ro).await.unwrap();
    let attached: Vec<PolicyRef> = iam
        .attached_policies(&role_principal)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(attached, vec![ro.clone()]);
    iam.detach_policy(&role_principal, &ro).await.unwrap();
    raw.delete_role()
        .role_name(&role_name)
        .send()
        .await
        .unwrap();

    let group_name = unique("group");
    raw.create_group()
        .group_name(&group_name)
        .send()
        .await
        .unwrap();
    raw.add_user_to_group()
        .group_name(&group_name)
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let groups: Vec<Group> = iam.groups().try_collect().await.unwrap();
    assert!(groups.iter().any(|g| g.name == group_name));

    // a user with keys and policies: Conflict unless cleanup
    let e = iam
        .delete_user(&name, DeleteUserOptions { cleanup: false })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.message().contains("1 group membership"), "{e}");
    assert!(iam.user(&name).await.is_ok());
    // detach is idempotent
    iam.detach_policy(&principal, &ro).await.unwrap();
    iam.detach_policy(&principal, &ro).await.unwrap();
    iam.attach_policy(&principal, &ro).await.unwrap();
    iam.delete_user(&name, DeleteUserOptions { cleanup: true })
        .await
        .unwrap();
    let e = iam.user(&name).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.code(), Some("NoSuchEntity"));
    iam.delete_user(&name, DeleteUserOptions::default())
        .await
        .unwrap();
    let members = raw
        .get_group()
        .group_name(&group_name)
        .send()
        .await
        .unwrap();
    assert!(members.users().is_empty(), "cleanup left the group");
    raw.delete_group()
        .group_name(&group_name)
        .send()
        .await
        .unwrap();
}

/// The GetCostAndUsage example output of the AWS CLI's published examples
/// (`awscli/examples/ce/get-cost-and-usage.rst`), also in
/// `tests/fixtures/aws/GetCostAndUsage.json`.
const CE_EXAMPLE: &str = include_str!("fixtures/aws/GetCostAndUsage.json");

#[tokio::test]
async fn cost_explorer_seeded() {
    let Some(url) = moto_url() else { return };
    let p = provider(&url, "us-east-1").await;
    let example: serde_json::Value = serde_json::from_str(CE_EXAMPLE).unwrap();
    let seed = serde_json::json!({ "results": [example] });
    let r = reqwest::Client::new()
        .post(format!("{url}/moto-api/static/ce/cost-and-usage-results"))
        .json(&seed)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.status());
    let q = CostQuery {
        start: chrono::NaiveDate::from_ymd_opt(2017, 9, 1).unwrap(),
        end: chrono::NaiveDate::from_ymd_opt(2017, 10, 1).unwrap(),
        granularity: Granularity::Monthly,
        group_by: vec![CostDimension::Service],
        resource_level: false,
    };
    let lines: Vec<CostLine> = p
        .billing()
        .unwrap()
        .cost_lines(&q)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.service_code == "Amazon Simple Storage Service")
    );
    assert!(lines.iter().all(|l| l.currency == "USD"));
    assert_eq!(lines[0].list_amount, "40.3543773134".parse().unwrap());
    assert_eq!(lines[1].list_amount, "0.2682364644".parse().unwrap());
    assert_eq!(lines[0].payable_amount, lines[0].list_amount);
    assert_eq!(lines[0].period_start, q.start);
    assert_eq!(lines[0].period_end, q.end);
    assert_eq!(lines[0].account_id.as_deref(), Some("123456789012"));
    assert_eq!(lines[0].usage_quantity, None, "N/A units are not summed");
    // the same request again gets the same seeded result (moto's queue rule)
    let sum = p.billing().unwrap().cost_summary(&q).await.unwrap();
    assert_eq!(sum.len(), 1);
    assert_eq!(sum[0].amount, "40.6226137778".parse().unwrap());
}
