//! The vendor's documented example responses (tests/fixtures/alibaba/, sources
//! in its README) parsed by the Alibaba provider's wire types, with the
//! normalized values asserted.
#![cfg(feature = "alibaba")]

use chrono::{TimeZone, Utc};
use multicloud::alibaba::{billing, compute, iam, network, storage, wire};
use multicloud::model::{
    ChargeType, Direction, ImageOwner, InstanceState, ObjectEntry, Peer, PolicyKind, PortRange,
    Protocol, PublicIpState, RuleAction, VolumeState,
};
use rust_decimal::Decimal;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/alibaba/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json<T: for<'de> serde::Deserialize<'de>>(name: &str) -> T {
    wire::decode(name, &fixture(name)).unwrap()
}

#[test]
fn ecs_describe_regions() {
    let r: compute::DescribeRegionsResponse = json("ecs_describe_regions.json");
    let regions = r.to_regions();
    assert_eq!(regions.len(), 2);
    assert_eq!(regions[0].id, "cn-qingdao-et2-b01");
    assert_eq!(regions[0].name.as_deref(), Some("China (Qingdao)"));
    assert_eq!(regions[0].endpoint.as_deref(), Some("ecs.aliyuncs.com"));
    assert!(regions[0].enabled);
    assert_eq!(
        regions[1].endpoint.as_deref(),
        Some("ecs.cn-qingdao-nebula.aliyuncs.com")
    );
}

#[test]
fn ecs_describe_zones() {
    let r: compute::DescribeZonesResponse = json("ecs_describe_zones.json");
    let zones = r.to_zones("cn-hangzhou");
    assert_eq!(
        zones.iter().map(|z| z.id.as_str()).collect::<Vec<_>>(),
        vec!["cn-hangzhou-d", "cn-hangzhou-b"]
    );
    assert!(
        zones
            .iter()
            .all(|z| z.available && z.region == "cn-hangzhou")
    );
}

#[test]
fn ecs_describe_instances() {
    let r: compute::DescribeInstancesResponse = json("ecs_describe_instances.json");
    assert_eq!(r.total_count, Some(1));
    assert_eq!(
        r.next_token.as_deref(),
        Some("caeba0bbb2be03f84eb48b699f0a4883")
    );
    let v = r.to_instances("ignored");
    assert_eq!(v.len(), 1);
    let i = &v[0];
    assert_eq!(i.id, "i-bp67acfmxazb4p****");
    assert_eq!(i.name, "InstanceNameTest");
    assert_eq!(i.region, "cn-hangzhou");
    assert_eq!(i.zone.as_deref(), Some("cn-hangzhou-g"));
    assert_eq!(i.state, InstanceState::Running);
    assert_eq!(i.raw_state, "Running");
    // KeepCharging on a running instance says nothing about a stop.
    assert_eq!(i.stopped_charging, None);
    assert_eq!(i.instance_type.as_deref(), Some("ecs.g5.large"));
    assert_eq!(i.vcpus, Some(8));
    assert_eq!(i.memory_mib, Some(16384));
    assert_eq!(i.image_id.as_deref(), Some("m-bp67acfmxazb4p****"));
    assert_eq!(i.vpc_id.as_deref(), Some("vpc-2zeuphj08tt7q3brd****"));
    assert_eq!(i.subnet_id.as_deref(), Some("vsw-2zeh0r1pabwtg6wcs****"));
    assert_eq!(i.security_group_ids, vec!["sg-bp67acfmxazb4p****"]);
    assert!(i.private_ips.contains(&"172.17.**.**".to_string()));
    assert!(i.public_ips.contains(&"121.40.**.**".to_string()));
    assert!(i.public_ips.contains(&"42.112.**.**".to_string()));
    assert_eq!(i.charge_type, ChargeType::PostPaid);
    assert_eq!(i.expires_at, None);
    assert_eq!(
        i.created_at,
        Some(Utc.with_ymd_and_hms(2017, 12, 10, 4, 4, 0).unwrap())
    );
    assert_eq!(i.tags.get("TestKey").map(String::as_str), Some("TestValue"));
}

#[test]
fn ecs_describe_disks() {
    let r: compute::DescribeDisksResponse = json("ecs_describe_disks.json");
    assert_eq!(r.total_count, Some(76));
    let v = r.to_volumes("ignored");
    assert_eq!(v.len(), 1);
    let d = &v[0];
    assert_eq!(d.id, "d-bp18um4r4f2fve24****");
    assert_eq!(d.region, "cn-hangzhou");
    assert_eq!(d.zone.as_deref(), Some("cn-hangzhou-f"));
    assert_eq!(d.size_gib, 40);
    assert_eq!(d.volume_type.as_deref(), Some("cloud_efficiency"));
    assert_eq!(d.state, VolumeState::InUse);
    assert_eq!(d.raw_state, "In_use");
    assert!(d.is_system);
    assert_eq!(d.attachments.len(), 1);
    assert_eq!(d.attachments[0].instance_id, "i-bp1j4i2jdf3owlhe****");
    assert_eq!(d.attachments[0].device.as_deref(), Some("/dev/xvda"));
    assert_eq!(d.charge_type, ChargeType::PostPaid);
    assert_eq!(d.tags.get("TestKey").map(String::as_str), Some("TestValue"));
}

#[test]
fn ecs_describe_images() {
    let r: compute::DescribeImagesResponse = json("ecs_describe_images.json");
    let v = r.to_images("ignored");
    assert_eq!(v.len(), 1);
    let i = &v[0];
    assert_eq!(i.id, "m-bp1g7004ksh0oeuc****");
    assert_eq!(i.region, "cn-hangzhou");
    assert_eq!(i.name, "testImageName");
    assert_eq!(i.owner, ImageOwner::Own);
    assert_eq!(i.size_gib, Some(60));
    assert_eq!(i.architecture.as_deref(), Some("x86_64"));
    assert_eq!(i.raw_state, "Available");
    assert!(i.os.as_deref().unwrap_or("").starts_with("Windows Server"));
    assert_eq!(i.tags.get("DTS").map(String::as_str), Some("Oracle"));
}

#[test]
fn ecs_describe_instance_types() {
    let r: compute::DescribeInstanceTypesResponse = json("ecs_describe_instance_types.json");
    let v = r.to_instance_types("cn-hangzhou");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].id, "ecs.g6.large");
    assert_eq!(v[0].vcpus, 2);
    assert_eq!(v[0].memory_mib, 8 * 1024);
    assert_eq!(v[0].gpus, None);
    assert_eq!(v[0].family.as_deref(), Some("ecs.g6"));
}

#[test]
fn ecs_describe_security_groups() {
    let r: network::DescribeSecurityGroupsResponse = json("ecs_describe_security_groups.json");
    assert_eq!(r.total_count, Some(49));
    let v = r.to_security_groups("ignored");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].id, "sg-bp67acfmxazb4p****");
    assert_eq!(v[0].name, "SGTestName");
    assert_eq!(v[0].region, "cn-hangzhou");
    assert_eq!(v[0].vpc_id.as_deref(), Some("vpc-bp67acfmxazb4p****"));
    assert!(v[0].rules.is_empty());
}

#[test]
fn ecs_describe_security_group_attribute() {
    let r: network::DescribeSecurityGroupAttributeResponse =
        json("ecs_describe_security_group_attribute.json");
    let g = r.to_security_group("ignored").unwrap();
    assert_eq!(g.id, "sg-bp1gxw6bznjjvhu3****");
    assert_eq!(g.name, "FinanceJoshua");
    assert_eq!(g.description.as_deref(), Some("testDescription1"));
    assert_eq!(g.rules.len(), 4);
    let ssh = &g.rules[0];
    assert_eq!(ssh.direction, Direction::Ingress);
    assert_eq!(ssh.action, RuleAction::Allow);
    assert_eq!(ssh.protocol, Protocol::Tcp);
    assert_eq!(ssh.ports, Some(PortRange::single(22)));
    assert_eq!(ssh.peer, Peer::Cidr("10.0.0.0/8".into()));
    assert_eq!(ssh.priority, Some(1));
    let icmp = &g.rules[3];
    assert_eq!(icmp.protocol, Protocol::Icmp);
    assert_eq!(icmp.ports, None);
}

#[test]
fn vpc_describe_eip_addresses() {
    let r: network::DescribeEipAddressesResponse = json("vpc_describe_eip_addresses.json");
    assert_eq!(r.total_count, Some(10));
    let v = r.to_public_ips("ignored");
    assert_eq!(v.len(), 1);
    let e = &v[0];
    assert_eq!(e.id, "eip-2zeerraiwb7ujcdvf****");
    assert_eq!(e.address, "116.XX.XX.28");
    assert_eq!(e.name.as_deref(), Some("test"));
    assert_eq!(e.raw_state, "Associating");
    assert_eq!(e.state, PublicIpState::InUse);
    assert_eq!(e.instance_id.as_deref(), Some("i-bp15zckdt37cdvf****"));
    assert_eq!(e.bandwidth_mbps, Some(5));
    assert_eq!(e.charge_type, ChargeType::PostPaid);
    assert_eq!(e.region, "cn-hangzhou");
    assert_eq!(
        e.created_at,
        Some(Utc.with_ymd_and_hms(2019, 4, 23, 1, 37, 38).unwrap())
    );
}

#[test]
fn vpc_describe_vpcs() {
    let r: network::DescribeVpcsResponse = json("vpc_describe_vpcs.json");
    assert_eq!(r.total_count, Some(2));
    assert_eq!(r.page_number, Some(1));
    assert_eq!(r.page_size, Some(10));
    let v = r.to_vpcs("ignored");
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].id, "vpc-bp1qpo0kug3a20qqe9h7v");
    assert_eq!(v[0].name, "");
    assert_eq!(v[0].region, "cn-hangzhou");
    assert_eq!(v[0].cidr.as_deref(), Some("172.16.0.0/12"));
    assert!(!v[0].is_default);
    assert_eq!(v[0].raw_state.as_deref(), Some("Available"));
    assert_eq!(
        v[0].created_at,
        Some(Utc.with_ymd_and_hms(2018, 12, 6, 6, 11, 55).unwrap())
    );
    assert_eq!(v[1].id, "vpc-bp1aevy8sofi8mh1qc5cm");
    assert_eq!(v[1].name, "kttest");
    assert_eq!(v[1].cidr.as_deref(), Some("192.168.0.0/16"));
    assert_eq!(
        v[1].created_at,
        Some(Utc.with_ymd_and_hms(2018, 11, 8, 8, 54, 3).unwrap())
    );
    assert!(v.iter().all(|v| v.tags.is_empty()));
}

#[test]
fn vpc_describe_vswitches() {
    let r: network::DescribeVSwitchesResponse = json("vpc_describe_vswitches.json");
    assert_eq!(r.total_count, Some(1));
    assert_eq!(r.page_number, Some(1));
    assert_eq!(r.page_size, Some(10));
    // The example's VSwitch carries no region; the queried one is used.
    let v = r.to_subnets("cn-beijing");
    assert_eq!(v.len(), 1);
    let s = &v[0];
    assert_eq!(s.id, "vsw-25b7pv15t");
    assert_eq!(s.name, "");
    assert_eq!(s.vpc_id, "vpc-257gq642n");
    assert_eq!(s.region, "cn-beijing");
    assert_eq!(s.zone.as_deref(), Some("cn-beijing-a"));
    assert_eq!(s.cidr, "172.16.1.0/24");
    assert_eq!(s.available_ips, Some(246));
    assert_eq!(s.raw_state.as_deref(), Some("Available"));
    assert_eq!(
        s.created_at,
        Some(Utc.with_ymd_and_hms(2014, 10, 29, 15, 21, 2).unwrap())
    );
}

#[test]
fn ram_list_users() {
    let r: iam::ListUsersResponse = json("ram_list_users.json");
    assert_eq!(r.page.next_page().as_deref(), Some("EXAMPLE"));
    let u = r.to_users();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0].name, "Alice");
    assert_eq!(u[0].id, "122748924538****");
    assert_eq!(u[0].email.as_deref(), Some("alice@example.com"));
    assert_eq!(u[1].display_name.as_deref(), Some("Bob"));
    assert_eq!(
        u[1].created_at,
        Some(Utc.with_ymd_and_hms(2015, 2, 18, 17, 22, 8).unwrap())
    );
}

/// The one group of a group-listing fixture, and the listing's next marker.
fn only_group(name: &str) -> (multicloud::model::Group, Option<String>) {
    let r: iam::ListGroupsResponse = json(name);
    let mut groups = r.to_groups();
    assert_eq!(groups.len(), 1, "{name}");
    (groups.remove(0), r.page.next_page())
}

#[test]
fn ram_list_groups() {
    let (g, next) = only_group("ram_list_groups.json");
    assert_eq!(
        (g.name.as_str(), g.id.as_str()),
        ("Dev-Team", "740317625433843****")
    );
    assert_eq!(g.description.as_deref(), Some("Development team"));
    assert_eq!(next.as_deref(), Some("EXAMPLE"));
}

#[test]
fn ram_list_groups_for_user() {
    let (g, next) = only_group("ram_list_groups_for_user.json");
    assert_eq!(
        (g.name.as_str(), g.id.as_str()),
        ("Test-Team", "740317625433843****")
    );
    assert_eq!(g.description.as_deref(), Some("Test team"));
    // `JoinDate` is when the user joined, not when the group was made.
    assert_eq!(g.created_at, None);
    // The operation answers in one page.
    assert_eq!(next, None);
}

#[test]
fn ram_list_roles() {
    let r: iam::ListRolesResponse = json("ram_list_roles.json");
    let v = r.to_roles();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name, "ECSAdmin");
    assert_eq!(v[0].id, "901234567890****");
    assert_eq!(
        v[0].arn.as_deref(),
        Some("acs:ram::123456789012****:role/ECSAdmin")
    );
    assert_eq!(v[1].description.as_deref(), Some("OSS只读访问角色"));
}

#[test]
fn ram_list_policies() {
    let r: iam::ListPoliciesResponse = json("ram_list_policies.json");
    let v = r.to_policies();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name, "OSS-Administrator");
    assert_eq!(v[0].kind, PolicyKind::Custom);
    assert_eq!(v[0].attachment_count, Some(3));
    assert_eq!(v[1].name, "ReadOnlyAccess");
    assert_eq!(v[1].kind, PolicyKind::System);
    assert_eq!(r.page.next_page().as_deref(), Some("EXAMPLE"));
}

#[test]
fn ram_list_policies_for_principals() {
    for name in [
        "ram_list_policies_for_user.json",
        "ram_list_policies_for_group.json",
        "ram_list_policies_for_role.json",
    ] {
        let r: iam::ListPoliciesResponse = json(name);
        let refs = r.to_policy_refs();
        assert_eq!(refs.len(), 2, "{name}");
        assert_eq!(refs[0].name, "OSS-Administrator", "{name}");
        assert_eq!(refs[0].kind, PolicyKind::Custom, "{name}");
        assert_eq!(refs[1].name, "ReadOnlyAccess", "{name}");
        assert_eq!(refs[1].kind, PolicyKind::System, "{name}");
        assert_eq!(r.page.next_page(), None, "{name}");
    }
}

#[test]
fn ram_list_access_keys() {
    let r: iam::ListAccessKeysResponse = json("ram_list_access_keys.json");
    let k = r.to_access_keys("Alice");
    assert_eq!(k.len(), 2);
    assert_eq!(k[0].id, "0wNEpMMlzy7s****");
    assert!(k[0].active);
    assert_eq!(k[1].raw_status, "Inactive");
    assert!(!k[1].active);
    assert!(k.iter().all(|x| x.user == "Alice"));
}

#[test]
fn sts_get_caller_identity() {
    let r: iam::GetCallerIdentityResponse = json("sts_get_caller_identity.json");
    let a = r.to_account().unwrap();
    assert_eq!(a.id, "196813200012****");
    assert_eq!(
        a.principal.as_deref(),
        Some("acs:ram::196813200012****:user/admin")
    );
    assert_eq!(r.identity_type.as_deref(), Some("RAMUser"));
}

#[test]
fn bss_query_account_balance() {
    let r: billing::QueryAccountBalanceResponse = json("bss_query_account_balance.json");
    billing::check_success(&r.envelope, 200).unwrap();
    let now = Utc::now();
    let b = r.to_balance(now).unwrap();
    assert_eq!(b.available, Decimal::new(1_000_000, 2));
    assert_eq!(b.credit, Some(Decimal::ZERO));
    assert_eq!(b.currency, "CNY");
    assert_eq!(b.as_of, now);
}

#[test]
fn bss_describe_instance_bill() {
    let r: billing::DescribeInstanceBillResponse = json("bss_describe_instance_bill.json");
    billing::check_success(&r.envelope, 200).unwrap();
    assert_eq!(r.next_page().as_deref(), Some("CAESEgoQCg4KCm"));
    let data = r.data.as_ref().unwrap();
    assert_eq!(data.billing_cycle.as_deref(), Some("2020-03"));
    assert_eq!((data.max_results, data.total_count), (Some(20), Some(20)));

    let lines = r.to_cost_lines();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    // A daily line (BillingDate is set) covers its one day.
    let day = chrono::NaiveDate::from_ymd_opt(2020, 3, 20).unwrap();
    assert_eq!(
        (line.period_start, line.period_end),
        (day, day.succ_opt().unwrap())
    );
    // The owner of the resource, not the paying account (122), owns the line.
    assert_eq!(line.account_id.as_deref(), Some("123"));
    assert_eq!(line.service_code, "rds");
    // The published example pads the product name with a tab.
    assert_eq!(line.service_category.as_deref(), Some("云数据库RDS"));
    assert_eq!(line.resource_id.as_deref(), Some("i-dadada"));
    assert_eq!(line.region.as_deref(), Some("杭州"));
    assert_eq!(line.charge_type, ChargeType::PostPaid);
    assert_eq!(line.list_amount, Decimal::new(1, 1));
    assert_eq!(line.payable_amount, Decimal::new(1, 1));
    assert_eq!(line.discount, Decimal::ZERO);
    assert_eq!(line.currency, "CNY");
    assert_eq!(line.usage_quantity, Some(Decimal::new(100, 0)));
    assert_eq!(line.usage_unit.as_deref(), Some("GB"));
    let tags: Vec<(&str, &str)> = line
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        [("testKey", "testValue"), ("testKey1", "testValues1")]
    );
}

#[test]
fn oss_list_buckets() {
    let r = storage::parse_list_buckets(&fixture("oss_list_buckets_1.xml")).unwrap();
    let b = r.to_buckets();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].name, "app-base-oss");
    assert_eq!(b[0].region.as_deref(), Some("cn-shanghai"));
    assert_eq!(b[0].storage_class.as_deref(), Some("Standard"));
    assert_eq!(
        b[0].created_at,
        Some(Utc.with_ymd_and_hms(2015, 12, 17, 18, 12, 43).unwrap())
    );
    assert_eq!(b[1].storage_class.as_deref(), Some("IA"));
    assert_eq!(r.next_page(), None);

    let r = storage::parse_list_buckets(&fixture("oss_list_buckets_2.xml")).unwrap();
    assert_eq!(r.to_buckets().len(), 1);
    assert_eq!(r.next_page().as_deref(), Some("xz02tphky6fjfiuc0"));
}

fn keys(entries: &[ObjectEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| match e {
            ObjectEntry::Object(m) => m.key.clone(),
            ObjectEntry::Prefix(p) => format!("prefix:{p}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn oss_list_objects_v2() {
    let r = storage::parse_list_objects_v2(&fixture("oss_list_objects_v2_1.xml")).unwrap();
    let e = r.to_entries();
    assert_eq!(keys(&e)[..5], ["a", "a/b", "b", "b/c", "bc"]);
    match &e[0] {
        ObjectEntry::Object(m) => {
            assert_eq!(m.size, 25);
            assert_eq!(m.etag.as_deref(), Some("35A27C2B9EAEEB6F48FD7FB5861D****"));
            assert_eq!(m.storage_class.as_deref(), Some("STANDARD"));
            assert_eq!(
                m.last_modified,
                Some(Utc.with_ymd_and_hms(2020, 5, 18, 5, 45, 43).unwrap())
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.next_page(), None);

    let r = storage::parse_list_objects_v2(&fixture("oss_list_objects_v2_2.xml")).unwrap();
    assert_eq!(keys(&r.to_entries()), ["a", "a/b"]);

    let r = storage::parse_list_objects_v2(&fixture("oss_list_objects_v2_3.xml")).unwrap();
    assert_eq!(keys(&r.to_entries()), ["a/b", "prefix:a/b/"]);

    let r = storage::parse_list_objects_v2(&fixture("oss_list_objects_v2_4.xml")).unwrap();
    assert_eq!(keys(&r.to_entries()), ["b/c", "ba", "bc"]);
    assert_eq!(r.next_page().as_deref(), Some("CgJiYw--"));
}
