//! The vendor's published example responses for every AWS list operation
//! the provider implements (`tests/fixtures/aws/`, sources in the README
//! there), served from a tiny local HTTP server as the endpoint override,
//! parsed by the official AWS SDK for Rust and checked as normalized values.
#![cfg(feature = "aws")]

use futures::{StreamExt, TryStreamExt};
use multicloud::config::AccountConfig;
use multicloud::model::*;

mod aws_support;
use aws_support::{Answer, Received};

/// A local HTTP server: a request whose head or body contains a route's
/// needle gets that route's body (200, XML); anything else gets a 400.
async fn serve(routes: Vec<(&'static str, String)>) -> String {
    serve_recording(routes).await.0
}

/// [`serve`], also keeping every request.
async fn serve_recording(routes: Vec<(&'static str, String)>) -> (String, Received) {
    aws_support::serve(
        move |req| match routes.iter().find(|(n, _)| req.contains(n)) {
            Some((_, body)) => Answer {
                status: 200,
                content_type: "text/xml",
                body: body.clone(),
            },
            None => Answer {
                status: 400,
                content_type: "text/xml",
                body: format!("unrouted request: {req}"),
            },
        },
    )
    .await
}

fn account(url: &str) -> AccountConfig {
    aws_support::account("fixtures", url, true)
}

/// A provider whose endpoints answer `action` (matched in the request) with
/// the fixture `file`.
async fn provider_for(
    action: &'static str,
    file: &str,
) -> std::sync::Arc<dyn multicloud::Provider> {
    provider_recording(action, file).await.0
}

/// [`provider_for`], also keeping every request the provider sent.
async fn provider_recording(
    action: &'static str,
    file: &str,
) -> (std::sync::Arc<dyn multicloud::Provider>, Received) {
    let (url, seen) = serve_recording(vec![(action, fixture(file))]).await;
    (
        multicloud::Cloud::connect(&account(&url)).await.unwrap(),
        seen,
    )
}

/// The text of a fixture file.
fn fixture(file: &str) -> String {
    let path = format!("{}/tests/fixtures/aws/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn rfc3339(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

fn net(region: &str) -> ListNetwork {
    ListNetwork {
        region: region.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn fixture_describe_instances() {
    let p = provider_for("Action=DescribeInstances", "DescribeInstances.xml").await;
    let q = ListInstances {
        region: "us-east-2".into(),
        ..Default::default()
    };
    let v: Vec<Instance> = p
        .compute()
        .unwrap()
        .instances(&q)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    let i = &v[0];
    assert_eq!(i.provider, ProviderKind::Aws);
    assert_eq!(i.region, "us-east-2");
    assert_eq!(i.zone.as_deref(), Some("us-east-2a"));
    assert_eq!(i.id, "i-1234567890abcdef0");
    assert_eq!(i.name, "my-instance");
    assert_eq!(i.state, InstanceState::Running);
    assert_eq!(i.raw_state, "running");
    assert_eq!(i.instance_type.as_deref(), Some("t3.nano"));
    assert_eq!(i.image_id.as_deref(), Some("ami-0abcdef1234567890"));
    // the example's private address is written "10-0-0-157"; it is kept as sent
    assert_eq!(i.private_ips, vec!["10-0-0-157".to_string()]);
    assert_eq!(i.public_ips, vec!["34.253.223.13".to_string()]);
    assert_eq!(i.vpc_id.as_deref(), Some("vpc-1234567890abcdef0"));
    assert_eq!(i.subnet_id.as_deref(), Some("subnet-04a636d18e83cfacb"));
    assert_eq!(
        i.security_group_ids,
        vec!["sg-1234567890abcdefg".to_string()]
    );
    assert_eq!(
        rfc3339(i.created_at).as_deref(),
        Some("2022-11-15T10:48:59+00:00")
    );
    assert_eq!(i.tags.get("Name").map(String::as_str), Some("my-instance"));
}

#[tokio::test]
async fn fixture_describe_volumes() {
    let p = provider_for("Action=DescribeVolumes", "DescribeVolumes.xml").await;
    let q = ListVolumes {
        region: "us-east-1".into(),
        ..Default::default()
    };
    let v: Vec<Volume> = p
        .compute()
        .unwrap()
        .volumes(&q)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 2);
    let a = &v[0];
    assert_eq!(a.id, "vol-049df61146c4d7901");
    assert_eq!(a.region, "us-east-1");
    assert_eq!(a.zone.as_deref(), Some("us-east-1a"));
    assert_eq!(a.size_gib, 8);
    assert_eq!(a.volume_type.as_deref(), Some("gp2"));
    assert_eq!(a.state, VolumeState::InUse);
    assert_eq!(a.raw_state, "in-use");
    assert_eq!(a.attachments.len(), 1);
    assert_eq!(a.attachments[0].instance_id, "i-1234567890abcdef0");
    assert_eq!(a.attachments[0].device.as_deref(), Some("/dev/sda1"));
    assert_eq!(
        rfc3339(a.created_at).as_deref(),
        Some("2019-12-18T22:35:00.084+00:00")
    );
    let b = &v[1];
    assert_eq!(b.id, "vol-1234567890abcdef0");
    assert_eq!(b.size_gib, 100);
    assert_eq!(b.state, VolumeState::Available);
    assert_eq!(b.raw_state, "available");
    assert!(b.attachments.is_empty());
    assert!(!b.is_system);
    assert_eq!(
        rfc3339(b.created_at).as_deref(),
        Some("2020-02-27T00:02:41.791+00:00")
    );
}

#[tokio::test]
async fn fixture_describe_vpcs() {
    let p = provider_for("Action=DescribeVpcs", "DescribeVpcs.xml").await;
    let v: Vec<Vpc> = p
        .network()
        .unwrap()
        .vpcs(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].id, "vpc-0e9801d129EXAMPLE");
    assert_eq!(v[0].name, "Not Shared");
    assert_eq!(v[0].cidr.as_deref(), Some("30.1.0.0/16"));
    assert!(!v[0].is_default);
    assert_eq!(v[0].raw_state.as_deref(), Some("available"));
    assert_eq!(v[0].region, "us-east-1");
    assert_eq!(v[1].id, "vpc-06e4ab6c6cEXAMPLE");
    assert_eq!(v[1].name, "Shared VPC");
    assert_eq!(v[1].cidr.as_deref(), Some("10.0.0.0/16"));
    assert_eq!(
        v[1].tags.get("Name").map(String::as_str),
        Some("Shared VPC")
    );
}

#[tokio::test]
async fn fixture_describe_subnets() {
    let p = provider_for("Action=DescribeSubnets", "DescribeSubnets.xml").await;
    let v: Vec<Subnet> = p
        .network()
        .unwrap()
        .subnets(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 2);
    let a = &v[0];
    assert_eq!(a.id, "subnet-0bb1c79de3EXAMPLE");
    assert_eq!(a.vpc_id, "vpc-0ee975135dEXAMPLE");
    assert_eq!(a.cidr, "172.31.80.0/20");
    assert_eq!(a.zone.as_deref(), Some("us-east-1d"));
    assert_eq!(a.available_ips, Some(4089));
    assert_eq!(a.raw_state.as_deref(), Some("available"));
    assert_eq!(a.name, "");
    let b = &v[1];
    assert_eq!(b.id, "subnet-8EXAMPLE");
    assert_eq!(b.vpc_id, "vpc-3EXAMPLE");
    assert_eq!(b.name, "MySubnet");
    assert_eq!(b.cidr, "172.31.80.0/20");
}

#[tokio::test]
async fn fixture_describe_security_groups() {
    let p = provider_for(
        "Action=DescribeSecurityGroups",
        "DescribeSecurityGroups.xml",
    )
    .await;
    let v: Vec<SecurityGroup> = p
        .network()
        .unwrap()
        .security_groups(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    let g = &v[0];
    assert_eq!(g.id, "sg-903004f8");
    assert_eq!(g.name, "MySecurityGroup");
    assert_eq!(g.description.as_deref(), Some("My security group"));
    assert_eq!(g.vpc_id.as_deref(), Some("vpc-1a2b3c4d"));
    assert_eq!(g.tags.get("Name").map(String::as_str), Some("SG1"));
    let ingress: Vec<&SecurityRule> = g
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Ingress)
        .collect();
    let egress: Vec<&SecurityRule> = g
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Egress)
        .collect();
    assert_eq!(ingress.len(), 2, "{:?}", g.rules);
    assert_eq!(egress.len(), 1, "{:?}", g.rules);
    assert!(ingress.iter().any(|r| r.protocol == Protocol::All
        && r.peer == Peer::SecurityGroup("sg-903004f8".into())
        && r.ports.is_none()));
    assert!(ingress.iter().any(|r| r.protocol == Protocol::Tcp
        && r.peer == Peer::Cidr("203.0.113.0/24".into())
        && r.ports == Some(PortRange::single(22))
        && r.description.as_deref() == Some("Access from NY office")));
    assert_eq!(egress[0].protocol, Protocol::All);
    assert_eq!(egress[0].peer, Peer::Cidr("0.0.0.0/0".into()));
    assert!(g.rules.iter().all(|r| r.action == RuleAction::Allow));
}

#[tokio::test]
async fn fixture_describe_addresses() {
    let p = provider_for("Action=DescribeAddresses", "DescribeAddresses.xml").await;
    let v: Vec<PublicIp> = p
        .network()
        .unwrap()
        .public_ips(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 2, "{v:?}");
    let classic = v.iter().find(|a| a.address == "198.51.100.0").unwrap();
    assert_eq!(classic.instance_id.as_deref(), Some("i-1234567890abcdef0"));
    // An EC2-Classic address has no AllocationId: it is known by its address.
    assert_eq!(classic.id, "198.51.100.0");
    // Its state is not asserted: the provider derives "associated" from an
    // AssociationId, which a Classic address (bound through InstanceId) lacks.
    let vpc = v.iter().find(|a| a.address == "203.0.113.0").unwrap();
    assert_eq!(vpc.id, "eipalloc-12345678");
    assert_eq!(vpc.instance_id.as_deref(), Some("i-1234567890abcdef0"));
    assert_eq!(vpc.state, PublicIpState::InUse);
    assert_eq!(vpc.region, "us-east-1");
}

#[tokio::test]
async fn fixture_describe_images() {
    let p = provider_for("Action=DescribeImages", "DescribeImages.xml").await;
    let q = ListImages {
        region: "us-east-1".into(),
        ..Default::default()
    };
    let v: Vec<Image> = p.compute().unwrap().images(&q).try_collect().await.unwrap();
    assert_eq!(v.len(), 1);
    let i = &v[0];
    assert_eq!(i.id, "ami-1234567890EXAMPLE");
    assert_eq!(i.name, "RHEL-8.0.0_HVM-20190618-x86_64-1-Hourly2-GP2");
    assert_eq!(i.architecture.as_deref(), Some("x86_64"));
    assert_eq!(i.raw_state, "available");
    assert_eq!(i.region, "us-east-1");
    assert_eq!(
        rfc3339(i.created_at).as_deref(),
        Some("2019-05-10T13:17:12+00:00")
    );
    assert_eq!(i.size_gib, Some(10));
    assert_eq!(i.os.as_deref(), Some("Red Hat Enterprise Linux"));
}

#[tokio::test]
async fn fixture_describe_regions() {
    let p = provider_for("Action=DescribeRegions", "DescribeRegions.xml").await;
    let v = p.regions().await.unwrap();
    assert_eq!(v.len(), 17);
    let north = v.iter().find(|r| r.id == "eu-north-1").unwrap();
    // the example's `ec2.eu-north-1.amazonaws.com`, as a URL
    assert_eq!(
        north.endpoint.as_deref(),
        Some("https://ec2.eu-north-1.amazonaws.com")
    );
    assert!(v.windows(2).all(|w| w[0].id < w[1].id), "sorted by id");
    assert!(
        v.iter()
            .all(|r| r.enabled && r.provider == ProviderKind::Aws)
    );
    let ids: Vec<&str> = v.iter().map(|r| r.id.as_str()).collect();
    for id in ["us-east-1", "us-west-2", "eu-central-1", "ap-northeast-3"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
}

#[tokio::test]
async fn fixture_list_buckets() {
    let p = provider_for("x-id=ListBuckets", "ListBuckets.xml").await;
    let b: Vec<Bucket> = p.storage().unwrap().buckets().try_collect().await.unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].name, "DOC-EXAMPLE-BUCKET");
    assert_eq!(
        rfc3339(b[0].created_at).as_deref(),
        Some("2019-12-11T23:32:47+00:00")
    );
    assert_eq!(b[0].region, None);
    assert_eq!(b[1].name, "DOC-EXAMPLE-BUCKET2");
    assert_eq!(
        rfc3339(b[1].created_at).as_deref(),
        Some("2019-11-10T23:32:13+00:00")
    );
}

/// The S3 API reference's sample as printed names each bucket in a
/// `<String>` element (its own Response Syntax says `<Name>`): a bucket
/// without a name is not listed.
#[tokio::test]
async fn fixture_list_buckets_as_printed_names_nothing() {
    let path = format!(
        "{}/tests/fixtures/aws/ListBuckets.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let body = std::fs::read_to_string(path)
        .unwrap()
        .replace("Name>DOC", "String>DOC")
        .replace("</Name>", "</String>");
    assert_eq!(body.matches("<String>").count(), 2);
    let url = serve(vec![("x-id=ListBuckets", body)]).await;
    let p = multicloud::Cloud::connect(&account(&url)).await.unwrap();
    let b: Vec<Bucket> = p.storage().unwrap().buckets().try_collect().await.unwrap();
    assert!(b.is_empty(), "{b:?}");
}

#[tokio::test]
async fn fixture_list_objects_v2() {
    let path = format!(
        "{}/tests/fixtures/aws/ListObjectsV2.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let body = std::fs::read_to_string(path).unwrap();
    // GetBucketLocation: an empty LocationConstraint is us-east-1 (S3 API
    // reference, GetBucketLocation); only the listing is the fixture.
    let location = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"
        .to_string();
    let url = serve(vec![("?location", location), ("list-type=2", body)]).await;
    let p = multicloud::Cloud::connect(&account(&url)).await.unwrap();
    let q = ListObjects {
        bucket: "amzn-s3-demo-bucket".into(),
        ..Default::default()
    };
    let v: Vec<ObjectEntry> = p
        .storage()
        .unwrap()
        .objects(&q)
        .try_collect()
        .await
        .unwrap();
    let objs: Vec<&ObjectMeta> = v
        .iter()
        .map(|e| match e {
            ObjectEntry::Object(m) => m,
            other => panic!("not an object: {other:?}"),
        })
        .collect();
    let keys: Vec<(&str, u64)> = objs.iter().map(|m| (m.key.as_str(), m.size)).collect();
    assert_eq!(
        keys,
        [
            ("doc1.rtf", 391),
            ("doc2.rtf", 373),
            ("doc3.rtf", 399),
            ("doc4.rtf", 6225)
        ]
    );
    assert_eq!(
        objs[0].etag.as_deref().map(|e| e.trim_matches('"')),
        Some("621503c373607d548b37cff8778d992c")
    );
    assert!(
        objs.iter()
            .all(|m| m.storage_class.as_deref() == Some("STANDARD"))
    );
    assert!(
        objs.iter()
            .all(|m| rfc3339(m.last_modified).as_deref() == Some("2019-11-05T23:11:50+00:00"))
    );
}

#[tokio::test]
async fn fixture_list_users() {
    let p = provider_for("Action=ListUsers", "ListUsers.xml").await;
    let v: Vec<User> = p.iam().unwrap().users().try_collect().await.unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name, "Adele");
    assert_eq!(v[0].id, "AKIAI44QH8DHBEXAMPLE");
    assert_eq!(
        v[0].arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/Adele")
    );
    assert_eq!(
        rfc3339(v[0].created_at).as_deref(),
        Some("2013-03-07T05:14:48+00:00")
    );
    assert_eq!(v[1].name, "Bob");
    assert_eq!(v[1].id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        rfc3339(v[1].created_at).as_deref(),
        Some("2012-09-21T23:03:13+00:00")
    );
}

#[tokio::test]
async fn fixture_list_roles() {
    let p = provider_for("Action=ListRoles", "ListRoles.xml").await;
    let v: Vec<Role> = p.iam().unwrap().roles().try_collect().await.unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name, "ExampleRole");
    assert_eq!(v[0].id, "AROAJ52OTH4H7LEXAMPLE");
    assert_eq!(
        v[0].arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/ExampleRole")
    );
    assert_eq!(
        rfc3339(v[0].created_at).as_deref(),
        Some("2017-09-12T19:23:36+00:00")
    );
    let trust = v[0].trust_policy.as_ref().unwrap();
    assert_eq!(trust["Version"], "2012-10-17");
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    assert_eq!(v[1].name, "ExampleRoleWithPath");
    assert_eq!(
        v[1].arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/example_path/ExampleRoleWithPath")
    );
}

#[tokio::test]
async fn fixture_list_policies() {
    let p = provider_for("Action=ListPolicies", "ListPolicies.xml").await;
    let v: Vec<Policy> = p.iam().unwrap().policies(None).try_collect().await.unwrap();
    assert_eq!(v.len(), 3);
    let names: Vec<&str> = v.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWSCloudTrailAccessPolicy",
            "AdministratorAccess",
            "PowerUserAccess"
        ]
    );
    assert_eq!(v[0].kind, PolicyKind::Custom);
    assert_eq!(v[1].kind, PolicyKind::System);
    assert_eq!(v[2].kind, PolicyKind::System);
    assert_eq!(
        v[1].id, "arn:aws:iam::aws:policy/AdministratorAccess",
        "policies are addressed by ARN"
    );
    let counts: Vec<Option<u64>> = v.iter().map(|p| p.attachment_count).collect();
    assert_eq!(counts, [Some(0), Some(6), Some(1)]);
    assert_eq!(
        rfc3339(v[0].created_at).as_deref(),
        Some("2019-09-04T17:43:42+00:00")
    );
}

// ---- the SDKs' documented examples (botocore `examples-1.json`) and the
// further whole-response examples of the AWS CLI pages ----

/// botocore's `DescribeVolumes` example ends with an empty `NextToken`:
/// that is the last page, not a token to send back.
#[tokio::test]
async fn fixture_describe_volumes_sdk_example_empty_next_token_ends() {
    let (p, seen) = provider_recording("Action=DescribeVolumes", "DescribeVolumes.sdk.xml").await;
    let q = ListVolumes {
        region: "us-east-1".into(),
        ..Default::default()
    };
    let v: Vec<Volume> = p
        .compute()
        .unwrap()
        .volumes(&q)
        .take(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(seen.count(), 1, "one request");
    let a = &v[0];
    assert_eq!(a.id, "vol-049df61146c4d7901");
    assert_eq!(a.size_gib, 8);
    assert_eq!(a.volume_type.as_deref(), Some("standard"));
    assert_eq!(a.state, VolumeState::InUse);
    assert_eq!(a.attachments[0].instance_id, "i-1234567890abcdef0");
    assert_eq!(
        rfc3339(a.created_at).as_deref(),
        Some("2013-12-18T22:35:00.084+00:00")
    );
}

#[tokio::test]
async fn fixture_describe_images_sdk_example() {
    let p = provider_for("Action=DescribeImages", "DescribeImages.sdk.xml").await;
    let q = ListImages {
        region: "us-east-1".into(),
        ..Default::default()
    };
    let v: Vec<Image> = p.compute().unwrap().images(&q).try_collect().await.unwrap();
    assert_eq!(v.len(), 1);
    let i = &v[0];
    assert_eq!(i.id, "ami-5731123e");
    assert_eq!(i.name, "My server");
    assert_eq!(i.architecture.as_deref(), Some("x86_64"));
    assert_eq!(i.raw_state, "available");
    assert_eq!(i.size_gib, Some(8));
    assert_eq!(i.created_at, None, "the example has no CreationDate");
}

/// Regions without `OptInStatus` (botocore's example predates it) are enabled.
#[tokio::test]
async fn fixture_describe_regions_sdk_example() {
    let body = fixture("DescribeRegions.sdk.xml");
    let p = provider_for("Action=DescribeRegions", "DescribeRegions.sdk.xml").await;
    let v = p.regions().await.unwrap();
    assert_eq!(v.len(), body.matches("<regionName>").count());
    assert_eq!(v.len(), 11);
    assert!(v.iter().all(|r| r.enabled));
    let sa = v.iter().find(|r| r.id == "sa-east-1").unwrap();
    assert_eq!(
        sa.endpoint.as_deref(),
        Some("https://ec2.sa-east-1.amazonaws.com")
    );
}

/// The CLI's `describe-regions --all-regions` example: regions the account
/// has not opted into are listed, disabled.
#[tokio::test]
async fn fixture_describe_regions_all_regions() {
    let body = fixture("DescribeRegions.cli-ex3.xml");
    let p = provider_for("Action=DescribeRegions", "DescribeRegions.cli-ex3.xml").await;
    let v = p.regions().await.unwrap();
    assert_eq!(v.len(), body.matches("<regionName>").count());
    let mut disabled: Vec<&str> = v
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.id.as_str())
        .collect();
    disabled.sort();
    assert_eq!(disabled, ["ap-east-1", "me-south-1"]);
    assert!(v.iter().any(|r| r.id == "us-east-1" && r.enabled));
}

#[tokio::test]
async fn fixture_describe_vpcs_sdk_example() {
    let p = provider_for("Action=DescribeVpcs", "DescribeVpcs.sdk.xml").await;
    let v: Vec<Vpc> = p
        .network()
        .unwrap()
        .vpcs(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].id, "vpc-a01106c2");
    assert_eq!(v[0].name, "MyVPC");
    assert_eq!(v[0].cidr.as_deref(), Some("10.0.0.0/16"));
    assert_eq!(v[0].raw_state.as_deref(), Some("available"));
}

#[tokio::test]
async fn fixture_describe_subnets_sdk_example() {
    let p = provider_for("Action=DescribeSubnets", "DescribeSubnets.sdk.xml").await;
    let v: Vec<Subnet> = p
        .network()
        .unwrap()
        .subnets(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].id, "subnet-9d4a7b6c");
    assert_eq!(v[0].vpc_id, "vpc-a01106c2");
    assert_eq!(v[0].cidr, "10.0.1.0/24");
    assert_eq!(v[0].zone.as_deref(), Some("us-east-1c"));
    assert_eq!(v[0].available_ips, Some(251));
}

/// The CLI's `describe-addresses` Examples 3 (by allocation id) and 5
/// (EC2-Classic).
#[tokio::test]
async fn fixture_describe_addresses_further_examples() {
    let p = provider_for("Action=DescribeAddresses", "DescribeAddresses.cli-ex3.xml").await;
    let v: Vec<PublicIp> = p
        .network()
        .unwrap()
        .public_ips(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].id, "eipalloc-282d9641");
    assert_eq!(v[0].address, "203.0.113.25");
    assert_eq!(v[0].instance_id.as_deref(), Some("i-1234567890abcdef0"));
    assert_eq!(v[0].state, PublicIpState::InUse);

    let p = provider_for("Action=DescribeAddresses", "DescribeAddresses.cli-ex5.xml").await;
    let v: Vec<PublicIp> = p
        .network()
        .unwrap()
        .public_ips(&net("us-east-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].id, "203.0.110.25");
    assert_eq!(v[0].address, "203.0.110.25");
    assert_eq!(v[0].instance_id.as_deref(), Some("i-1234567890abcdef0"));
}

#[tokio::test]
async fn fixture_list_users_sdk_example() {
    let p = provider_for("Action=ListUsers", "ListUsers.sdk.xml").await;
    let v: Vec<User> = p.iam().unwrap().users().try_collect().await.unwrap();
    let names: Vec<&str> = v.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Juan", "Anika"]);
    assert_eq!(v[0].id, "AID2MAB8DPLSRHEXAMPLE");
    assert_eq!(
        v[1].arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/engineering/Anika")
    );
    assert_eq!(
        rfc3339(v[1].created_at).as_deref(),
        Some("2014-04-09T15:43:45+00:00")
    );
}

/// botocore's `ListObjectsV2` example is a truncated first page: its
/// objects come out, then the next request carries its
/// `NextContinuationToken`.
#[tokio::test]
async fn fixture_list_objects_v2_sdk_example_pages_on() {
    let location = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"
        .to_string();
    // only the first page is routed: the second request gets a 400
    let (url, seen) = serve_recording(vec![
        ("?location", location),
        ("continuation-token=", "not routed".into()),
        ("list-type=2", fixture("ListObjectsV2.sdk.xml")),
    ])
    .await;
    let p = multicloud::Cloud::connect(&account(&url)).await.unwrap();
    let q = ListObjects {
        bucket: "examplebucket".into(),
        ..Default::default()
    };
    let storage = p.storage().unwrap();
    let mut s = storage.objects(&q);
    let mut got = Vec::new();
    for _ in 0..2 {
        match s.try_next().await.unwrap() {
            Some(ObjectEntry::Object(m)) => got.push(m),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got[0].key, "happyface.jpg");
    assert_eq!(got[0].size, 11);
    assert_eq!(
        rfc3339(got[0].last_modified).as_deref(),
        Some("2014-11-21T19:40:05+00:00")
    );
    assert_eq!(got[1].key, "test.jpg");
    assert_eq!(got[1].size, 4_192_256);
    assert_eq!(
        got[1].etag.as_deref().map(|e| e.trim_matches('"')),
        Some("becf17f89c30367a9a44495d62ed521a-1")
    );
    // the next page is asked for with the example's token
    let _ = s.try_next().await;
    let reqs = seen.raw();
    assert!(
        reqs.iter().any(|r| r.contains(
            "continuation-token=1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI%2FEyIJg%3D%3D"
        )),
        "{reqs:?}"
    );
}
