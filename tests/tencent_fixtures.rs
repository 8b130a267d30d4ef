//! Every example response the vendor documents for the list operations the
//! Tencent provider uses, parsed by the provider's wire types and converted
//! into the normalized model. Sources: `tests/fixtures/tencent/README.md`.
#![cfg(feature = "tencent")]

use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
use multicloud::model::{
    ChargeType, CostQuery, Direction, ImageOwner, InstanceState, ObjectEntry, Peer, PolicyKind,
    Protocol, PublicIpState, RuleAction, VolumeState,
};
use multicloud::tencent::client::parse_response;
use multicloud::tencent::{billing, compute, iam, network, storage};
use rust_decimal::Decimal;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tencent")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn t(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339()
}

/// Every fixture file is listed in the README, and every file is used here.
#[test]
fn readme_lists_every_fixture() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tencent");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let this = std::fs::read_to_string(file!()).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "README.md" {
            continue;
        }
        n += 1;
        assert!(readme.contains(&name), "{name} missing from README.md");
        assert!(this.contains(&format!("\"{name}\"")), "{name} not tested");
    }
    assert!(n >= 40, "only {n} fixtures");
}

#[test]
fn describe_regions() {
    let r: compute::DescribeRegionsResponse =
        parse_response(&fixture("cvm.DescribeRegions.1.json")).unwrap();
    let regions: Vec<_> = r.region_set.iter().map(compute::region_from_wire).collect();
    assert_eq!(regions.len(), 8);
    assert_eq!(regions[0].id, "ap-beijing");
    assert_eq!(regions[0].name.as_deref(), Some("华北地区(北京)"));
    assert!(regions.iter().all(|r| r.enabled));
    assert!(regions.iter().any(|r| r.id == "ap-shanghai-fsi"));
    assert_eq!(
        r.request_id.as_deref(),
        Some("C563943B-3BEA-FE92-29FE-591EAEB7871F")
    );
    // The static fallback list covers every region of the example.
    for r in &regions {
        assert!(
            multicloud::tencent::config::FALLBACK_REGIONS.contains(&r.id.as_str()),
            "{}",
            r.id
        );
    }
}

#[test]
fn describe_zones() {
    for (f, name) in [
        ("cvm.DescribeZones.1.json", "广州三区"),
        ("cvm.DescribeZones.2.json", "Guangzhou Zone 3"),
    ] {
        let r: compute::DescribeZonesResponse = parse_response(&fixture(f)).unwrap();
        let zones: Vec<_> = r
            .zone_set
            .iter()
            .map(|z| compute::zone_from_wire("ap-guangzhou", z))
            .collect();
        assert_eq!(zones.len(), 3, "{f}");
        assert_eq!(zones[0].id, "ap-guangzhou-3");
        assert_eq!(zones[0].name.as_deref(), Some(name));
        assert!(zones[0].available);
        assert_eq!(r.zone_set[0].zone_id.as_str(), Some("100003"));
    }
}

#[test]
fn describe_instances() {
    for f in [
        "cvm.DescribeInstances.1.json",
        "cvm.DescribeInstances.2.json",
    ] {
        let r: compute::DescribeInstancesResponse = parse_response(&fixture(f)).unwrap();
        assert_eq!(r.total_count, Some(1));
        let i = compute::instance_from_wire("ap-guangzhou", &r.instance_set[0]);
        assert_eq!(i.id, "ins-xlsyru2j", "{f}");
        assert_eq!(i.name, "myInstance");
        assert_eq!(i.state, InstanceState::Running);
        assert_eq!(i.raw_state, "RUNNING");
        assert_eq!(i.stopped_charging, None);
        assert_eq!(i.zone.as_deref(), Some("ap-guangzhou-3"));
        assert_eq!(i.instance_type.as_deref(), Some("S2.SMALL2"));
        assert_eq!(i.vcpus, Some(1));
        assert_eq!(i.memory_mib, Some(1024));
        assert_eq!(i.image_id.as_deref(), Some("img-8toqc6s3"));
        assert_eq!(i.public_ips, vec!["123.207.11.190"]);
        assert_eq!(i.private_ips[0], "172.16.32.78");
        assert!(
            i.private_ips
                .contains(&"2001:0db8:86a3:08d3:1319:8a2e:0370:7344".to_string())
        );
        assert_eq!(i.vpc_id.as_deref(), Some("vpc-m0cnatxj"));
        assert_eq!(i.subnet_id.as_deref(), Some("subnet-mv4sn55k"));
        assert_eq!(i.security_group_ids, vec!["sg-p1ezv4wz"]);
        assert_eq!(i.charge_type, ChargeType::PostPaid);
        assert_eq!(
            i.created_at.map(|t| t.to_rfc3339()),
            Some(t("2020-09-22T00:00:00Z"))
        );
        assert_eq!(i.tags.get("myKey").map(String::as_str), Some("myValue"));
    }
    let r: compute::DescribeInstancesResponse =
        parse_response(&fixture("cvm.DescribeInstances.3.json")).unwrap();
    let i = compute::instance_from_wire("ap-guangzhou", &r.instance_set[0]);
    assert_eq!(i.id, "ins-9bxebleo");
    assert_eq!(i.name, "测试实例");
    assert_eq!(i.charge_type, ChargeType::PrePaid);
    assert_eq!(
        i.expires_at.map(|t| t.to_rfc3339()),
        Some(t("2020-04-10T02:47:36Z"))
    );
    assert_eq!(i.tags.get("city").map(String::as_str), Some("shenzhen"));
    assert_eq!(
        r.instance_set[0]
            .internet_accessible
            .as_ref()
            .and_then(|a| a.internet_max_bandwidth_out),
        Some(1)
    );
}

#[test]
fn describe_images() {
    for f in ["cvm.DescribeImages.1.json", "cvm.DescribeImages.3.json"] {
        let r: compute::DescribeImagesResponse = parse_response(&fixture(f)).unwrap();
        let i = compute::image_from_wire("ap-guangzhou", &r.image_set[0]);
        assert_eq!(i.id, "img-9qabwvbn", "{f}");
        assert_eq!(i.owner, ImageOwner::Public);
        assert_eq!(i.os.as_deref(), Some("CentOS 7.6 64位"));
        assert_eq!(i.size_gib, Some(50));
        assert_eq!(i.raw_state, "NORMAL");
        assert_eq!(i.architecture.as_deref(), Some("x86_64"));
    }
    let r: compute::DescribeImagesResponse =
        parse_response(&fixture("cvm.DescribeImages.2.json")).unwrap();
    assert_eq!(r.total_count, Some(408));
    let i = compute::image_from_wire("ap-guangzhou", &r.image_set[0]);
    assert_eq!(i.id, "img-qlzp4oea");
    assert_eq!(i.name, "test-image");
    assert_eq!(i.owner, ImageOwner::Own);
    assert_eq!(i.size_gib, Some(20));
}

#[test]
fn describe_instance_type_configs() {
    let r: compute::DescribeInstanceTypeConfigsResponse =
        parse_response(&fixture("cvm.DescribeInstanceTypeConfigs.1.json")).unwrap();
    let types = compute::instance_types_from_wire("ap-guangzhou", &r.instance_type_config_set);
    assert_eq!(types.len(), 3);
    let large = types.iter().find(|t| t.id == "S6.LARGE8").unwrap();
    assert_eq!(large.vcpus, 4);
    assert_eq!(large.memory_mib, 8 * 1024);
    assert_eq!(large.family.as_deref(), Some("S6"));
    assert_eq!(large.zones, vec!["ap-guangzhou-6"]);
    assert_eq!(large.gpus, None);
    let xl = types.iter().find(|t| t.id == "S6.2XLARGE16").unwrap();
    assert_eq!((xl.vcpus, xl.memory_mib), (8, 16 * 1024));
}

#[test]
fn describe_disks() {
    let r: compute::DescribeDisksResponse =
        parse_response(&fixture("cbs.DescribeDisks.1.json")).unwrap();
    assert_eq!(r.total_count, Some(1));
    let v = compute::volume_from_wire("ap-guangzhou", &r.disk_set[0]);
    assert_eq!(v.id, "disk-b94t5dzt");
    assert_eq!(v.name, "my-data-disk");
    assert_eq!(v.size_gib, 10);
    assert_eq!(v.volume_type.as_deref(), Some("CLOUD_BSSD"));
    assert_eq!(v.state, VolumeState::InUse);
    assert_eq!(v.raw_state, "ATTACHED");
    assert!(!v.is_system);
    assert_eq!(v.attachments.len(), 1);
    assert_eq!(v.attachments[0].instance_id, "ins-agp4l0lx");
    assert_eq!(v.zone.as_deref(), Some("ap-guangzhou-3"));
    assert_eq!(v.charge_type, ChargeType::PrePaid);
    // "2018-09-26 17:36:07" Beijing time.
    assert_eq!(
        v.created_at.map(|t| t.to_rfc3339()),
        Some(t("2018-09-26T09:36:07Z"))
    );
}

#[test]
fn describe_vpcs() {
    for (f, name) in [
        ("vpc.DescribeVpcs.1.json", "DHCP1"),
        ("vpc.DescribeVpcs.2.json", "测试dhcp"),
    ] {
        let r: network::DescribeVpcsResponse = parse_response(&fixture(f)).unwrap();
        let v = network::vpc_from_wire("ap-guangzhou", &r.vpc_set[0]);
        assert_eq!(v.id, "vpc-p5sf61yj");
        assert_eq!(v.name, name);
        assert_eq!(v.cidr.as_deref(), Some("10.0.0.0/16"));
        assert!(!v.is_default);
        assert_eq!(
            v.created_at.map(|t| t.to_rfc3339()),
            Some(t("2018-04-25T02:26:26Z"))
        );
    }
}

#[test]
fn describe_subnets() {
    for (f, name, tag) in [
        ("vpc.DescribeSubnets.1.json", "子网1", ("kc", "ck")),
        ("vpc.DescribeSubnets.2.json", "子网2", ("ku", "gt")),
    ] {
        let r: network::DescribeSubnetsResponse = parse_response(&fixture(f)).unwrap();
        let s = network::subnet_from_wire("ap-guangzhou", &r.subnet_set[0]);
        assert_eq!(s.id, "subnet-bthucmmy", "{f}");
        assert_eq!(s.vpc_id, "vpc-n0yr460a");
        assert_eq!(s.name, name);
        assert_eq!(s.cidr, "10.0.0.0/16");
        assert_eq!(s.available_ips, Some(1));
        assert_eq!(s.tags.get(tag.0).map(String::as_str), Some(tag.1));
    }
}

#[test]
fn describe_security_groups_and_policies() {
    let r: network::DescribeSecurityGroupsResponse =
        parse_response(&fixture("vpc.DescribeSecurityGroups.1.json")).unwrap();
    let g = network::security_group_from_wire("ap-guangzhou", &r.security_group_set[0], None);
    assert_eq!(g.id, "sg-05bb4upy");
    assert_eq!(g.name, "demo");
    assert_eq!(g.description.as_deref(), Some("demo"));
    assert_eq!(r.security_group_set[0].project_id.as_str(), Some("0"));
    let r2: network::DescribeSecurityGroupsResponse =
        parse_response(&fixture("vpc.DescribeSecurityGroups.2.json")).unwrap();
    assert_eq!(r2.security_group_set[0].security_group_id, "sg-2got2lcz");

    let p: network::DescribeSecurityGroupPoliciesResponse =
        parse_response(&fixture("vpc.DescribeSecurityGroupPolicies.1.json")).unwrap();
    assert_eq!(p.security_group_policy_set.version.as_str(), Some("60"));
    let g = network::security_group_from_wire(
        "ap-guangzhou",
        &r.security_group_set[0],
        Some(&p.security_group_policy_set),
    );
    assert_eq!(g.rules.len(), 3);
    let ingress: Vec<_> = g
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Ingress)
        .collect();
    assert_eq!(ingress.len(), 2);
    assert_eq!(ingress[0].priority, Some(1));
    assert_eq!(ingress[1].priority, Some(2));
    assert_eq!(ingress[0].action, RuleAction::Allow);
    // Template-based rules keep the template ids.
    assert_eq!(ingress[0].protocol, Protocol::Other("ppm-f5n1f8da".into()));
    assert_eq!(ingress[0].peer, Peer::Other("ipmg-2uw6ujo6".into()));
    assert_eq!(ingress[0].description.as_deref(), Some("ModifyPolicies"));
    let egress: Vec<_> = g
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Egress)
        .collect();
    assert_eq!(egress[0].description.as_deref(), Some("E1"));
}

#[test]
fn describe_addresses() {
    let r: network::DescribeAddressesResponse =
        parse_response(&fixture("vpc.DescribeAddresses.1.json")).unwrap();
    assert_eq!(r.total_count, Some(2));
    let ips: Vec<_> = r
        .address_set
        .iter()
        .map(|a| network::public_ip_from_wire("ap-guangzhou", a))
        .collect();
    assert_eq!(ips[0].id, "eip-qhx8udkc");
    assert_eq!(ips[0].address, "1.14.91.34");
    assert_eq!(ips[0].state, PublicIpState::Available);
    assert_eq!(ips[0].raw_state, "UNBIND");
    assert_eq!(ips[0].instance_id, None);
    assert_eq!(ips[0].bandwidth_mbps, Some(1));
    assert_eq!(ips[0].charge_type, ChargeType::PostPaid);
    assert_eq!(
        ips[0].created_at.map(|t| t.to_rfc3339()),
        Some(t("2022-08-11T03:57:05Z"))
    );
    assert_eq!(ips[1].id, "eip-qygpzm9y");

    let r: network::DescribeAddressesResponse =
        parse_response(&fixture("vpc.DescribeAddresses.2.json")).unwrap();
    let ip = network::public_ip_from_wire("ap-guangzhou", &r.address_set[0]);
    assert_eq!(ip.id, "eip-12345678");
    assert_eq!(ip.name.as_deref(), Some("demo"));

    let r: network::DescribeAddressesResponse =
        parse_response(&fixture("vpc.DescribeAddresses.3.json")).unwrap();
    let ip = network::public_ip_from_wire("ap-guangzhou", &r.address_set[0]);
    assert_eq!(ip.id, "eip-93gyo275");
    assert_eq!(ip.state, PublicIpState::InUse);
    assert_eq!(ip.instance_id.as_deref(), Some("ins-b2mc0ko1"));
}

#[test]
fn cam_users_groups_roles() {
    let r: iam::ListUsersResponse = parse_response(&fixture("cam.ListUsers.1.json")).unwrap();
    let u = iam::user_from_wire(&r.data[0]);
    assert_eq!(u.id, "0");
    assert_eq!(u.name, "开发商");
    assert_eq!(u.display_name.as_deref(), Some("开发商"));
    assert_eq!(u.email.as_deref(), Some("evianwang@personal.com"));
    assert_eq!(
        u.created_at.map(|t| t.to_rfc3339()),
        Some(t("2021-11-26T08:21:01Z"))
    );

    let g: iam::GetUserResponse = parse_response(&fixture("cam.GetUser.1.json")).unwrap();
    let u = iam::user_from_wire(&g);
    assert_eq!(u.id, "100000546533");
    assert_eq!(u.name, "jack");
    assert_eq!(u.display_name.as_deref(), Some("product manager"));

    let r: iam::ListGroupsResponse = parse_response(&fixture("cam.ListGroups.1.json")).unwrap();
    assert_eq!(r.total_num, Some(2));
    let g = iam::group_from_wire(&r.group_info[0]);
    assert_eq!((g.id.as_str(), g.name.as_str()), ("2021", "test2"));
    assert_eq!(g.description.as_deref(), Some("test2"));

    let r: iam::DescribeRoleListResponse =
        parse_response(&fixture("cam.DescribeRoleList.1.json")).unwrap();
    assert_eq!(r.list.len(), 2);
    let role = iam::role_from_wire(&r.list[0]);
    assert_eq!(role.id, "4611686018433460000");
    assert_eq!(role.name, "TAT_QCSLinkedRoleInCommand");
    let trust = role.trust_policy.unwrap();
    assert_eq!(trust["statement"][0]["action"], "sts:AssumeRole");
    assert_eq!(
        iam::role_tags(&r.list[1]).get("K1").map(String::as_str),
        Some("V7")
    );
}

#[test]
fn cam_policies_and_keys() {
    let r: iam::ListPoliciesResponse = parse_response(&fixture("cam.ListPolicies.1.json")).unwrap();
    assert_eq!(r.total_num, Some(239));
    let p = iam::policy_from_wire(&r.list[0]);
    assert_eq!(p.id, "16313162");
    assert_eq!(p.name, "QcloudAccessForCDNRole");
    assert_eq!(p.kind, PolicyKind::System);
    assert_eq!(p.attachment_count, Some(0));

    let r: iam::ListAttachedUserAllPoliciesResponse =
        parse_response(&fixture("cam.ListAttachedUserAllPolicies.1.json")).unwrap();
    let p = iam::policy_ref_from_user_policy(&r.policy_list[0]);
    assert_eq!(p.id, "219064");
    assert_eq!(p.name, "QcloudSMSFullAccess");
    assert_eq!(p.kind, PolicyKind::System);

    let r: iam::ListAccessKeysResponse =
        parse_response(&fixture("cam.ListAccessKeys.1.json")).unwrap();
    let keys: Vec<_> = r
        .access_keys
        .iter()
        .map(|k| iam::access_key_from_wire("jack", k))
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.active && k.raw_status == "Active"));
    assert_eq!(keys[0].id, "AKID***");
    assert_eq!(
        keys[1].created_at.map(|t| t.to_rfc3339()),
        Some(t("2020-03-03T08:51:21Z"))
    );
}

#[test]
fn sts_caller_identity() {
    let cases = [
        (
            "sts.GetCallerIdentity.1.json",
            "qcs::cam:1000262***:uin/1000261***",
        ),
        (
            "sts.GetCallerIdentity.2.json",
            "qcs::sts:1000262***:assumed-role/461168601842741***",
        ),
        (
            "sts.GetCallerIdentity.3.json",
            "qcs::sts:1000262***:federated-user/1000261****",
        ),
    ];
    for (f, arn) in cases {
        let r: iam::GetCallerIdentityResponse = parse_response(&fixture(f)).unwrap();
        let a = iam::account_from_wire(&r);
        assert_eq!(a.id, "1000262***", "{f}");
        assert_eq!(a.principal.as_deref(), Some(arn));
    }
}

#[test]
fn billing_balance_and_bills() {
    let r: billing::DescribeAccountBalanceResponse =
        parse_response(&fixture("billing.DescribeAccountBalance.1.json")).unwrap();
    let b = billing::balance_from_wire(&r, "CNY", chrono::Utc::now()).unwrap();
    assert_eq!(b.available, Decimal::ZERO);
    // 10,000,000,000 fen = 100,000,000 yuan of credit.
    assert_eq!(b.credit, Some(Decimal::from(100_000_000)));

    let q = CostQuery::month_of(NaiveDate::from_ymd_opt(2023, 7, 1).unwrap());
    let r: billing::DescribeBillDetailResponse =
        parse_response(&fixture("billing.DescribeBillDetail.1.json")).unwrap();
    assert_eq!(r.total, Some(14));
    assert!(
        r.context
            .as_deref()
            .is_some_and(|c| c.starts_with("m7u3i6W6"))
    );
    let l = billing::cost_line_from_detail(&r.detail_set[0], &q, "CNY").unwrap();
    assert_eq!(l.service_code, "p_cvm");
    assert_eq!(l.service_category.as_deref(), Some("云服务器CVM"));
    assert_eq!(l.list_amount, Decimal::from_str("-80.89").unwrap());
    assert_eq!(l.payable_amount, Decimal::from_str("-80.89").unwrap());
    assert_eq!(l.discount, Decimal::ZERO);
    assert_eq!(l.usage_quantity, Some(Decimal::ONE));
    assert_eq!(l.usage_unit.as_deref(), Some("个"));
    assert_eq!(l.period_start, NaiveDate::from_ymd_opt(2023, 7, 7).unwrap());

    let r: billing::DescribeBillResourceSummaryResponse =
        parse_response(&fixture("billing.DescribeBillResourceSummary.1.json")).unwrap();
    let l = billing::cost_line_from_summary(&r.resource_summary_set[0], &q, "CNY").unwrap();
    assert_eq!(l.resource_id.as_deref(), Some("125391_sv_cdn_ux_AS1_1"));
    assert_eq!(l.service_code, "p_cdn");
    assert_eq!(l.list_amount, Decimal::from_str("4.84660512").unwrap());
    assert_eq!(l.payable_amount, Decimal::from_str("4.84660512").unwrap());
    assert_eq!(l.charge_type, ChargeType::PostPaid);
    assert_eq!(l.account_id.as_deref(), Some("909619400"));
    assert_eq!(l.tags.get("tk_1").map(String::as_str), Some("tv_1"));
}

#[test]
fn cos_get_service() {
    let r = storage::parse_list_all_my_buckets(&text("cos.GetService.1.xml")).unwrap();
    let b: Vec<_> = r
        .buckets
        .bucket
        .iter()
        .map(storage::bucket_from_wire)
        .collect();
    assert_eq!(b.len(), 4);
    assert_eq!(b[0].name, "examplebucket1-1250000000");
    assert_eq!(b[0].region.as_deref(), Some("ap-beijing"));
    assert_eq!(b[3].region.as_deref(), Some("eu-frankfurt"));
    assert_eq!(
        b[0].created_at.map(|t| t.to_rfc3339()),
        Some(t("2019-05-24T11:49:50Z"))
    );
    assert_eq!(
        r.owner.and_then(|o| o.id).as_deref(),
        Some("qcs::cam::uin/100000000001:uin/100000000001")
    );
    let r = storage::parse_list_all_my_buckets(&text("cos.GetService.2.xml")).unwrap();
    assert_eq!(r.buckets.bucket.len(), 2);
}

#[test]
fn cos_get_bucket() {
    let r = storage::parse_list_bucket_result(&text("cos.GetBucket.1.xml")).unwrap();
    let e = storage::object_entries_from_wire(&r);
    assert_eq!(e.len(), 4);
    match &e[0] {
        ObjectEntry::Object(m) => {
            assert_eq!(m.key, "example-folder-1/example-object-1.jpg");
            assert_eq!(m.size, 37);
            assert_eq!(m.etag.as_deref(), Some("f173c1199e3d3b53dd91223cae16fb42"));
            assert_eq!(m.storage_class.as_deref(), Some("STANDARD"));
            assert_eq!(
                m.last_modified.map(|t| t.to_rfc3339()),
                Some(t("2019-05-27T11:26:14Z"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(storage::next_marker(&r), None);

    let r = storage::parse_list_bucket_result(&text("cos.GetBucket.2.xml")).unwrap();
    let e = storage::object_entries_from_wire(&r);
    assert_eq!(e[0], ObjectEntry::Prefix("example-folder-1/".into()));
    assert_eq!(e[1], ObjectEntry::Prefix("example-folder-2/".into()));
    assert_eq!(e.len(), 4);

    let r = storage::parse_list_bucket_result(&text("cos.GetBucket.3.xml")).unwrap();
    assert_eq!(r.prefix.as_deref(), Some("example-folder-1/"));
    assert_eq!(r.common_prefixes.len(), 2);
    assert_eq!(r.contents.len(), 2);

    // The documented truncated page (with the document's `...` elision).
    let r = storage::parse_list_bucket_result(&text("cos.GetBucket.4.xml")).unwrap();
    assert_eq!(r.is_truncated, Some(true));
    assert_eq!(
        storage::next_marker(&r).as_deref(),
        Some("example-object-1000.jpg")
    );
    assert_eq!(r.contents.len(), 3);
    let r = storage::parse_list_bucket_result(&text("cos.GetBucket.5.xml")).unwrap();
    assert_eq!(r.marker.as_deref(), Some("example-object-1000.jpg"));
    assert_eq!(storage::next_marker(&r), None);
    assert_eq!(
        r.contents.last().map(|c| c.key.as_str()),
        Some("example-object-1005.jpg")
    );
}

#[test]
fn pages_report_totals_and_items() {
    use multicloud::tencent::wire::OffsetPage;
    let r: compute::DescribeImagesResponse =
        parse_response(&fixture("cvm.DescribeImages.2.json")).unwrap();
    assert_eq!(r.total(), Some(408));
    assert_eq!(r.into_items().len(), 1);
    let r: iam::ListPoliciesResponse = parse_response(&fixture("cam.ListPolicies.1.json")).unwrap();
    assert_eq!(r.total(), Some(239));
    let r: billing::DescribeBillDetailResponse =
        parse_response(&fixture("billing.DescribeBillDetail.1.json")).unwrap();
    assert_eq!((r.total(), r.into_items().len()), (Some(14), 1));
    let r: network::DescribeVpcsResponse =
        parse_response(&fixture("vpc.DescribeVpcs.1.json")).unwrap();
    assert_eq!(r.total(), Some(1));
}
