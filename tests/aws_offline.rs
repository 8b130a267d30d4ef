//! AWS provider tests that need no emulator: the read-only switch, error
//! mapping through the SDK (request id, status, code), and the vendor's
//! published example responses served from a tiny local HTTP server and
//! parsed by the SDK into our normalized model.
#![cfg(feature = "aws")]

use futures::TryStreamExt;
use multicloud::ErrorKind;
use multicloud::config::AccountConfig;
use multicloud::model::*;

mod aws_support;
use aws_support::{Answer, Received};

/// A one-answer HTTP server on 127.0.0.1: every request gets `status`,
/// `content_type` and `body`. Returns its URL and what it receives.
async fn serve(status: u16, content_type: &'static str, body: String) -> (String, Received) {
    aws_support::serve(move |_| Answer {
        status,
        content_type,
        body: body.clone(),
    })
    .await
}

fn account(url: &str, read_only: bool) -> AccountConfig {
    aws_support::account("offline", url, read_only)
}

#[tokio::test]
async fn read_only_refuses_every_mutation_before_sending() {
    let (url, hits) = serve(500, "text/plain", "must not be reached".into()).await;
    let p = multicloud::Cloud::connect(&account(&url, true))
        .await
        .unwrap();
    let (c, n, s, iam) = (
        p.compute().unwrap(),
        p.network().unwrap(),
        p.storage().unwrap(),
        p.iam().unwrap(),
    );
    let r = "us-east-1";
    let rule = SecurityRule {
        id: None,
        direction: Direction::Ingress,
        action: RuleAction::Allow,
        protocol: Protocol::Tcp,
        ports: Some(PortRange::single(22)),
        peer: Peer::Cidr("10.0.0.0/8".into()),
        priority: None,
        description: None,
    };
    let pol = PolicyRef {
        id: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        name: "ReadOnlyAccess".into(),
        kind: PolicyKind::System,
    };
    let user = Principal::User("u".into());
    let results: Vec<(&str, multicloud::Result<()>)> = vec![
        (
            "create_instance",
            c.create_instance(&InstanceSpec::default())
                .await
                .map(|_| ()),
        ),
        ("start_instance", c.start_instance(r, "i-1").await),
        (
            "stop_instance",
            c.stop_instance(r, "i-1", StopOptions::default()).await,
        ),
        ("reboot_instance", c.reboot_instance(r, "i-1").await),
        ("delete_instance", c.delete_instance(r, "i-1").await),
        (
            "create_volume",
            c.create_volume(&VolumeSpec::default()).await.map(|_| ()),
        ),
        ("attach_volume", c.attach_volume(r, "v", "i").await),
        ("detach_volume", c.detach_volume(r, "v", "i").await),
        ("delete_volume", c.delete_volume(r, "v").await),
        (
            "create_vpc",
            n.create_vpc(&VpcSpec::default()).await.map(|_| ()),
        ),
        ("delete_vpc", n.delete_vpc(r, "vpc-1").await),
        (
            "create_subnet",
            n.create_subnet(&SubnetSpec::default()).await.map(|_| ()),
        ),
        ("delete_subnet", n.delete_subnet(r, "s").await),
        (
            "create_security_group",
            n.create_security_group(&SecurityGroupSpec::default())
                .await
                .map(|_| ()),
        ),
        (
            "delete_security_group",
            n.delete_security_group(r, "sg").await,
        ),
        ("authorize_rule", n.authorize_rule(r, "sg", &rule).await),
        ("revoke_rule", n.revoke_rule(r, "sg", &rule).await),
        (
            "allocate_public_ip",
            n.allocate_public_ip(&PublicIpSpec::default())
                .await
                .map(|_| ()),
        ),
        (
            "associate_public_ip",
            n.associate_public_ip(r, "eip", "i").await,
        ),
        (
            "disassociate_public_ip",
            n.disassociate_public_ip(r, "eip").await,
        ),
        ("release_public_ip", n.release_public_ip(r, "eip").await),
        (
            "create_bucket",
            s.create_bucket(&BucketSpec::default()).await.map(|_| ()),
        ),
        ("delete_bucket", s.delete_bucket("b").await),
        (
            "put_object",
            s.put_object("b", "k", PutBody::from("x"), &PutOptions::default())
                .await
                .map(|_| ()),
        ),
        ("delete_object", s.delete_object("b", "k").await),
        (
            "copy_object",
            s.copy_object("b", "k", "b", "k2").await.map(|_| ()),
        ),
        (
            "presign_put",
            s.presign(
                "b",
                "k",
                &PresignOptions {
                    method: PresignMethod::Put,
                    expires_secs: 60,
                },
            )
            .await
            .map(|_| ()),
        ),
        (
            "create_user",
            iam.create_user(&NewUser::default()).await.map(|_| ()),
        ),
        (
            "delete_user",
            iam.delete_user("u", DeleteUserOptions { cleanup: true })
                .await,
        ),
        ("attach_policy", iam.attach_policy(&user, &pol).await),
        ("detach_policy", iam.detach_policy(&user, &pol).await),
    ];
    for (what, r) in results {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{what}: {e}");
        assert_eq!(e.attempts(), 0, "{what}");
        assert!(e.message().contains("read-only"), "{what}: {e}");
    }
    assert_eq!(hits.count(), 0, "nothing was sent");

    // reads still go out (and here meet the 500)
    let e = p.zones(r).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert_eq!(hits.count(), 1);
}

/// The EC2 error response shape from the EC2 API reference ("Error codes
/// for the Amazon EC2 API": `Response/Errors/Error/{Code,Message}` and
/// `RequestID`).
fn ec2_error(code: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
         <Message>message for {code}</Message></Error></Errors>\
         <RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"
    )
}

#[tokio::test]
async fn sdk_errors_carry_code_status_request_id_and_action() {
    let cases = [
        (400, "InvalidInstanceID.NotFound", ErrorKind::NotFound),
        (503, "RequestLimitExceeded", ErrorKind::Throttled),
        (401, "AuthFailure", ErrorKind::Unauthenticated),
        (403, "UnauthorizedOperation", ErrorKind::PermissionDenied),
        (400, "IncorrectInstanceState", ErrorKind::Conflict),
        (400, "InstanceLimitExceeded", ErrorKind::QuotaExceeded),
        (400, "InvalidParameterValue", ErrorKind::InvalidArgument),
    ];
    for (status, code, kind) in cases {
        let (url, hits) = serve(status, "text/xml", ec2_error(code)).await;
        let p = multicloud::Cloud::connect(&account(&url, false))
            .await
            .unwrap();
        let e = p
            .compute()
            .unwrap()
            .start_instance("us-east-1", "i-1234567890abcdef0")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{code}: {e}");
        assert_eq!(e.code(), Some(code));
        assert_eq!(e.http_status(), Some(status));
        assert_eq!(
            e.request_id(),
            Some("ea966190-f9aa-478e-9ede-example"),
            "{e}"
        );
        assert_eq!(e.context().service.as_deref(), Some("ec2"));
        assert_eq!(e.context().action.as_deref(), Some("StartInstances"));
        assert_eq!(e.context().region.as_deref(), Some("us-east-1"));
        assert!(
            !e.to_string().contains("wJalrXUtnFEMI"),
            "no secret in errors"
        );
        assert_eq!(hits.count(), 1, "max_attempts = 1");
        assert_eq!(e.attempts(), 1);
    }
    // terminate of a missing instance is Ok
    let (url, _) = serve(400, "text/xml", ec2_error("InvalidInstanceID.NotFound")).await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    p.compute()
        .unwrap()
        .delete_instance("us-east-1", "i-1234567890abcdef0")
        .await
        .unwrap();
}

#[tokio::test]
async fn retries_follow_max_attempts() {
    let (url, hits) = serve(503, "text/xml", ec2_error("RequestLimitExceeded")).await;
    let mut a = account(&url, false);
    a.transport.max_attempts = Some(3);
    let p = multicloud::Cloud::connect(&a).await.unwrap();
    let e = p.zones("us-east-1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(hits.count(), 3);
    assert_eq!(e.attempts(), 3, "{e}");
    assert!(e.to_string().ends_with("after 3 attempts"), "{e}");
}

#[tokio::test]
async fn unreachable_endpoint_is_unavailable_not_a_hang() {
    // Port 9 (discard) on loopback: nothing listens, connect is refused.
    let p = multicloud::Cloud::connect(&account("http://127.0.0.1:9", false))
        .await
        .unwrap();
    let e = p.zones("us-east-1").await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
        "{e}"
    );
    // regions() falls back to the static partition list
    let regions = p.regions().await.unwrap();
    assert!(regions.iter().any(|r| r.id == "us-east-1"));
    assert!(regions.iter().any(|r| r.id == "eu-west-1"));
}

/// Cost Explorer: the published `get-cost-and-usage` example output (AWS CLI
/// examples, `awscli/examples/ce/get-cost-and-usage.rst`).
#[tokio::test]
async fn fixture_get_cost_and_usage() {
    let body = include_str!("fixtures/aws/GetCostAndUsage.json").to_string();
    let (url, _) = serve(200, "application/x-amz-json-1.1", body).await;
    let mut a = account(&url, false);
    // STS is not served here: the account id stays unknown.
    a.endpoints
        .services
        .insert("sts".into(), "http://127.0.0.1:9".into());
    let p = multicloud::Cloud::connect(&a).await.unwrap();
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
    assert_eq!(lines.len(), 2);
    let l = &lines[0];
    assert_eq!(l.service_code, "Amazon Simple Storage Service");
    assert_eq!(l.list_amount, "40.3543773134".parse().unwrap());
    assert_eq!(l.payable_amount, l.list_amount);
    assert_eq!(l.discount, rust_decimal::Decimal::ZERO);
    assert_eq!(l.currency, "USD");
    assert_eq!(l.period_start.to_string(), "2017-09-01");
    assert_eq!(l.period_end.to_string(), "2017-10-01");
    assert_eq!(l.usage_quantity, None);
    assert_eq!(l.account_id, None);
    assert_eq!(lines[1].list_amount, "0.2682364644".parse().unwrap());
    let sum = p.billing().unwrap().cost_summary(&q).await.unwrap();
    assert_eq!(sum.len(), 1);
    assert_eq!(sum[0].amount, "40.6226137778".parse().unwrap());

    // resource level on a daily query: the fixture answers both calls; a
    // result without RESOURCE_ID keys still parses.
    let daily = CostQuery {
        granularity: Granularity::Daily,
        resource_level: true,
        ..q
    };
    let lines: Vec<CostLine> = p
        .billing()
        .unwrap()
        .cost_lines(&daily)
        .try_collect()
        .await
        .unwrap();
    assert!(!lines.is_empty());
}

/// The ClientToken of a create is sent, and is the same on every retry.
#[tokio::test]
async fn client_token_is_sent_and_kept_across_retries() {
    let (url, hits) = serve(503, "text/xml", ec2_error("RequestLimitExceeded")).await;
    let mut a = account(&url, false);
    a.transport.max_attempts = Some(3);
    let p = multicloud::Cloud::connect(&a).await.unwrap();
    let spec = InstanceSpec {
        region: "us-east-1".into(),
        name: "t".into(),
        instance_type: "t3.micro".into(),
        image_id: "ami-0abcdef1234567890".into(),
        ..Default::default()
    };
    let e = p
        .compute()
        .unwrap()
        .create_instance(&spec)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(hits.count(), 3);
    let tokens: Vec<String> = hits
        .bodies()
        .iter()
        .map(|b| {
            b.split('&')
                .find_map(|kv| kv.strip_prefix("ClientToken="))
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0].len(), 36, "generated UUID: {tokens:?}");
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");

    // a caller's token is sent as given
    hits.clear();
    let spec = InstanceSpec {
        client_token: Some("my-token-1".into()),
        ..spec
    };
    let _ = p.compute().unwrap().create_instance(&spec).await;
    assert!(
        hits.bodies()
            .iter()
            .all(|b| b.contains("ClientToken=my-token-1"))
    );
    // and so is a volume's
    hits.clear();
    let v = VolumeSpec {
        region: "us-east-1".into(),
        zone: Some("us-east-1a".into()),
        size_gib: 1,
        client_token: Some("vol-token-1".into()),
        ..Default::default()
    };
    let _ = p.compute().unwrap().create_volume(&v).await;
    let b = hits.bodies();
    assert_eq!(b.len(), 3);
    assert!(
        b.iter().all(|b| b.contains("ClientToken=vol-token-1")),
        "{b:?}"
    );
}

/// `ListBuckets` with `BucketRegion` (response syntax of the S3 API
/// reference: `ListAllMyBucketsResult/Buckets/Bucket/{BucketRegion,
/// CreationDate, Name}`; values made up): regions come from the list, and
/// `bucket_location` then needs no request.
#[tokio::test]
async fn list_buckets_takes_regions_from_the_list() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets>\
        <Bucket><BucketRegion>eu-west-3</BucketRegion>\
        <CreationDate>2024-01-02T03:04:05.000Z</CreationDate><Name>alpha</Name></Bucket>\
        <Bucket><CreationDate>2024-01-02T03:04:05.000Z</CreationDate><Name>beta</Name></Bucket>\
        </Buckets><Owner><DisplayName>o</DisplayName><ID>id</ID></Owner></ListAllMyBucketsResult>";
    let (url, hits) = serve(200, "application/xml", xml.to_string()).await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    let s = p.storage().unwrap();
    let b: Vec<Bucket> = s.buckets().try_collect().await.unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(
        (b[0].name.as_str(), b[0].region.as_deref()),
        ("alpha", Some("eu-west-3"))
    );
    assert_eq!(
        b[0].created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-01-02T03:04:05+00:00")
    );
    assert_eq!((b[1].name.as_str(), b[1].region.as_deref()), ("beta", None));
    assert_eq!(hits.count(), 1, "one ListBuckets, no per-bucket call");
    assert_eq!(s.bucket_location("alpha").await.unwrap(), "eu-west-3");
    assert_eq!(hits.count(), 1, "location came from the list");
}

/// A bare 404 without an error code (a wrong endpoint override, a proxy's
/// page) is not "already deleted": every delete returns it as an error
/// instead of `Ok`. Each delete is `Ok` only for its resource's own
/// not-found code, and another resource's not-found code is an error too.
#[tokio::test]
async fn deletes_are_ok_only_for_their_own_not_found_code() {
    let (url, _) = serve(404, "text/html", "<html>Not Found</html>".into()).await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    let (c, n, s, iam) = (
        p.compute().unwrap(),
        p.network().unwrap(),
        p.storage().unwrap(),
        p.iam().unwrap(),
    );
    let r = "us-east-1";
    let results: Vec<(&str, multicloud::Result<()>)> = vec![
        ("delete_instance", c.delete_instance(r, "i-1").await),
        ("delete_volume", c.delete_volume(r, "vol-1").await),
        ("delete_vpc", n.delete_vpc(r, "vpc-1").await),
        ("delete_subnet", n.delete_subnet(r, "subnet-1").await),
        (
            "delete_security_group",
            n.delete_security_group(r, "sg-1").await,
        ),
        (
            "release_public_ip",
            n.release_public_ip(r, "eipalloc-1").await,
        ),
        ("delete_bucket", s.delete_bucket("b").await),
        ("delete_object", s.delete_object("b", "k").await),
        (
            "delete_user",
            iam.delete_user("u", DeleteUserOptions::default()).await,
        ),
        (
            "detach_policy",
            iam.detach_policy(
                &Principal::Role("r".into()),
                &PolicyRef {
                    id: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                    name: "ReadOnlyAccess".into(),
                    kind: PolicyKind::System,
                },
            )
            .await,
        ),
    ];
    for (what, r) in results {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::NotFound, "{what}: {e}");
        assert_eq!(e.code(), None, "{what}: {e}");
    }

    // Each EC2 delete with its own code is Ok, with another one an error.
    type Del = for<'a> fn(
        &'a dyn multicloud::Network,
        &'a dyn multicloud::Compute,
    ) -> futures::future::BoxFuture<'a, multicloud::Result<()>>;
    let cases: [(&str, Del); 6] = [
        ("InvalidInstanceID.NotFound", |_, c| {
            c.delete_instance("us-east-1", "i-1")
        }),
        ("InvalidVolume.NotFound", |_, c| {
            c.delete_volume("us-east-1", "vol-1")
        }),
        ("InvalidVpcID.NotFound", |n, _| {
            n.delete_vpc("us-east-1", "vpc-1")
        }),
        ("InvalidSubnetID.NotFound", |n, _| {
            n.delete_subnet("us-east-1", "subnet-1")
        }),
        ("InvalidGroup.NotFound", |n, _| {
            n.delete_security_group("us-east-1", "sg-1")
        }),
        ("InvalidAllocationID.NotFound", |n, _| {
            n.release_public_ip("us-east-1", "eipalloc-1")
        }),
    ];
    for (i, (own, del)) in cases.iter().enumerate() {
        let (url, _) = serve(400, "text/xml", ec2_error(own)).await;
        let p = multicloud::Cloud::connect(&account(&url, false))
            .await
            .unwrap();
        del(p.network().unwrap(), p.compute().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{own}: {e}"));
        let other = cases[(i + 1) % cases.len()].0;
        let (url, _) = serve(400, "text/xml", ec2_error(other)).await;
        let p = multicloud::Cloud::connect(&account(&url, false))
            .await
            .unwrap();
        let e = del(p.network().unwrap(), p.compute().unwrap())
            .await
            .expect_err(other);
        assert_eq!(e.code(), Some(other), "{own} answered {other}");
    }
}

fn iam_error(code: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>message for {code}</Message></Error>\
         <RequestId>4c5f3a5e-example</RequestId></ErrorResponse>"
    )
}

/// IAM answers `NoSuchEntity` to `DetachRolePolicy` both when the policy is
/// not attached and when the role does not exist: the first is `Ok`, the
/// second a `NotFound` error (told apart with `GetRole`).
#[tokio::test]
async fn detach_policy_from_a_missing_role_is_an_error() {
    let pol = PolicyRef {
        id: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        name: "ReadOnlyAccess".into(),
        kind: PolicyKind::System,
    };
    let role = Principal::Role("ghost".into());
    // The role does not exist: DetachRolePolicy and GetRole say NoSuchEntity.
    let (url, hits) = serve(404, "text/xml", iam_error("NoSuchEntity")).await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    let e = p
        .iam()
        .unwrap()
        .detach_policy(&role, &pol)
        .await
        .expect_err("missing role");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.code(), Some("NoSuchEntity"));
    assert_eq!(e.context().action.as_deref(), Some("DetachRolePolicy"));
    assert!(hits.bodies().iter().any(|b| b.contains("Action=GetRole")));

    // The role exists; the policy is not attached: Ok.
    let (url, _) = aws_support::serve(|req| {
        if req.contains("Action=GetRole") {
            Answer {
                status: 200,
                content_type: "text/xml",
                body: "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                       <GetRoleResult><Role><Path>/</Path><RoleName>ghost</RoleName>\
                       <RoleId>AROAEXAMPLE</RoleId><Arn>arn:aws:iam::123456789012:role/ghost</Arn>\
                       <CreateDate>2024-01-01T00:00:00Z</CreateDate></Role></GetRoleResult>\
                       <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\
                       </GetRoleResponse>"
                    .into(),
            }
        } else {
            Answer {
                status: 404,
                content_type: "text/xml",
                body: iam_error("NoSuchEntity"),
            }
        }
    })
    .await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    p.iam()
        .unwrap()
        .detach_policy(&role, &pol)
        .await
        .expect("not attached is Ok");
}

/// `regions()` falls back to the static list only when the cloud cannot
/// answer; bad credentials (`AuthFailure`) are returned, not hidden behind
/// a list that would fail every later call.
#[tokio::test]
async fn regions_return_auth_failures_instead_of_the_fallback() {
    let (url, _) = serve(401, "text/xml", ec2_error("AuthFailure")).await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    let e = p.regions().await.expect_err("bad credentials");
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert_eq!(e.code(), Some("AuthFailure"));
    // A 5xx keeps the fallback.
    let (url, _) = serve(503, "text/xml", ec2_error("Unavailable")).await;
    let p = multicloud::Cloud::connect(&account(&url, false))
        .await
        .unwrap();
    let regions = p.regions().await.expect("fallback");
    assert!(regions.iter().any(|r| r.id == "eu-west-1"));
}
