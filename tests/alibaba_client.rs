//! The Alibaba provider's HTTP side against a scripted local server: the
//! classifier and retries (throttle then success), a fresh signature per
//! attempt, the same `ClientToken` on every attempt of a create, the
//! read-only switch, page-number paging with page size 1, empty results,
//! OSS error bodies, and the ECS metadata credential provider.
#![cfg(feature = "alibaba")]

mod transport_support;

use futures::TryStreamExt;
use multicloud::alibaba::AlibabaProvider;
use multicloud::alibaba::client::AlibabaClient;
use multicloud::alibaba::config::AssumeRoleSpec;
use multicloud::alibaba::config::Endpoints;
use multicloud::alibaba::creds::{AssumeRoleProvider, EcsRamRoleProvider};
use multicloud::alibaba::sign::Credentials;
use multicloud::config::EndpointConfig;
use multicloud::credentials::CredentialProvider;
use multicloud::model::{InstanceSpec, ListInstances};
use multicloud::{Compute, ErrorKind, Network, Provider, Storage};
use std::collections::BTreeMap;
use std::sync::Arc;
use transport_support::{Canned, Server, base, canned, tls_acceptor};

fn json(status: u16, body: &str) -> Canned {
    Canned {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string(),
    }
}

fn provider(server: &Server, read_only: bool) -> AlibabaProvider {
    let mut cfg = EndpointConfig {
        allow_http: true,
        ..EndpointConfig::default()
    };
    for s in ["ecs", "vpc", "ram", "sts", "bss", "oss"] {
        cfg.services.insert(s.into(), server.url("/"));
    }
    let endpoints = Endpoints::from_config(&cfg, &BTreeMap::new()).unwrap();
    AlibabaProvider::builder()
        .credentials(Credentials::new("LTAIexample", "example-secret"))
        .transport(base().read_only(read_only).build().unwrap())
        .endpoints(endpoints)
        .default_region("cn-hangzhou")
        .build()
        .unwrap()
}

fn query_param(target: &str, name: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn instances_page(ids: &[&str], total: usize) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"InstanceId":"{id}","InstanceName":"n","Status":"Running","RegionId":"cn-hangzhou"}}"#))
        .collect();
    format!(
        r#"{{"RequestId":"r","TotalCount":{total},"PageNumber":1,"PageSize":1,"Instances":{{"Instance":[{}]}}}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn throttle_then_success_is_retried_and_signed_afresh() {
    let server = Server::start(|n| match n {
        0 => json(
            400,
            r#"{"RequestId":"t1","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#,
        ),
        _ => json(200, &instances_page(&["i-1"], 1)),
    })
    .await;
    let p = provider(&server, false);
    let q = ListInstances {
        region: "cn-hangzhou".into(),
        ..ListInstances::default()
    };
    let got: Vec<_> = p.instances(&q).try_collect().await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, "i-1");
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "one throttled attempt, one success");
    let nonces: Vec<_> = seen
        .iter()
        .map(|s| s.header("x-acs-signature-nonce").unwrap().to_string())
        .collect();
    assert_ne!(nonces[0], nonces[1], "every attempt is signed afresh");
    for s in &seen {
        assert_eq!(s.header("x-acs-action"), Some("DescribeInstances"));
        assert_eq!(s.header("x-acs-version"), Some("2014-05-26"));
        assert!(
            s.header("authorization")
                .unwrap()
                .starts_with("ACS3-HMAC-SHA256 Credential=LTAIexample,")
        );
        assert_eq!(
            query_param(&s.target, "RegionId").as_deref(),
            Some("cn-hangzhou")
        );
    }
}

#[tokio::test]
async fn create_keeps_its_client_token_across_retries() {
    let server = Server::start(|n| match n {
        0 => json(
            503,
            r#"{"RequestId":"e","Code":"ServiceUnavailable","Message":"busy"}"#,
        ),
        1 => json(
            200,
            r#"{"RequestId":"r","InstanceIdSets":{"InstanceIdSet":["i-new"]}}"#,
        ),
        _ => json(200, &instances_page(&["i-new"], 1)),
    })
    .await;
    let p = provider(&server, false);
    let spec = InstanceSpec {
        region: "cn-hangzhou".into(),
        name: "vm".into(),
        instance_type: "ecs.g7.large".into(),
        image_id: "m-1".into(),
        ..InstanceSpec::default()
    };
    let i = p.create_instance(&spec).await.unwrap();
    assert_eq!(i.id, "i-new");
    let seen = server.requests();
    let runs: Vec<_> = seen
        .iter()
        .filter(|s| s.header("x-acs-action") == Some("RunInstances"))
        .collect();
    assert_eq!(runs.len(), 2, "the 503 is retried: creates carry a token");
    let t0 = query_param(&runs[0].target, "ClientToken").unwrap();
    let t1 = query_param(&runs[1].target, "ClientToken").unwrap();
    assert_eq!(t0, t1);
    assert!(!t0.is_empty() && t0.len() <= 64);
    assert_eq!(
        seen.last().unwrap().header("x-acs-action"),
        Some("DescribeInstances")
    );

    // A caller's token is sent as given.
    let server = Server::start(|n| match n {
        0 => json(200, r#"{"InstanceIdSets":{"InstanceIdSet":["i-2"]}}"#),
        _ => json(200, &instances_page(&["i-2"], 1)),
    })
    .await;
    let p = provider(&server, false);
    let spec = InstanceSpec {
        client_token: Some("my-token-1".into()),
        ..spec
    };
    p.create_instance(&spec).await.unwrap();
    assert_eq!(
        query_param(&server.requests()[0].target, "ClientToken").as_deref(),
        Some("my-token-1")
    );
}

#[tokio::test]
async fn read_only_sends_no_mutation() {
    let server = Server::start(|_| json(200, &instances_page(&[], 0))).await;
    let p = provider(&server, true);
    let spec = InstanceSpec {
        region: "cn-hangzhou".into(),
        ..InstanceSpec::default()
    };
    let e = p.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let e = p.delete_instance("cn-hangzhou", "i-1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert_eq!(server.count(), 0, "nothing was sent");
    let q = ListInstances {
        region: "cn-hangzhou".into(),
        ..ListInstances::default()
    };
    let got: Vec<_> = p.instances(&q).try_collect().await.unwrap();
    assert!(got.is_empty(), "an empty listing is empty, not an error");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn page_size_one_walks_every_page() {
    // Every page answers one item of a total of three: the pager must ask
    // for pages 1, 2 and 3 with PageSize=1 (2 and 3 concurrently).
    let server = Server::start(|_| json(200, &instances_page(&["i-a"], 3))).await;
    let p = provider(&server, false);
    let q = ListInstances {
        region: "cn-hangzhou".into(),
        page_size: Some(1),
        ..ListInstances::default()
    };
    let got: Vec<_> = p.instances(&q).try_collect().await.unwrap();
    assert_eq!(got.len(), 3);
    let mut pages: Vec<String> = server
        .requests()
        .iter()
        .map(|s| {
            assert_eq!(query_param(&s.target, "PageSize").as_deref(), Some("1"));
            query_param(&s.target, "PageNumber").unwrap()
        })
        .collect();
    pages.sort();
    assert_eq!(pages, ["1", "2", "3"]);
}

#[tokio::test]
async fn missing_instance_is_not_found_and_delete_is_ok() {
    let server = Server::start(|n| match n {
        0 => json(200, &instances_page(&[], 0)),
        _ => json(
            404,
            r#"{"RequestId":"x","Code":"InvalidInstanceId.NotFound","Message":"The specified InstanceId does not exist."}"#,
        ),
    })
    .await;
    let p = provider(&server, false);
    let e = p.instance("cn-hangzhou", "i-gone").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    p.delete_instance("cn-hangzhou", "i-gone").await.unwrap();
    let del = &server.requests()[1];
    assert_eq!(del.header("x-acs-action"), Some("DeleteInstance"));
    assert_eq!(query_param(&del.target, "Force").as_deref(), Some("true"));
}

#[tokio::test]
async fn account_is_memoized_and_regions_fall_back() {
    let server = Server::start(|n| match n {
        0 => json(
            200,
            r#"{"RequestId":"r","AccountId":"1234567890","Arn":"acs:ram::1234567890:user/alice","IdentityType":"RAMUser","UserId":"2"}"#,
        ),
        _ => json(500, r#"{"Code":"InternalError","Message":"down"}"#),
    })
    .await;
    let p = provider(&server, false);
    let a = p.account().await.unwrap();
    assert_eq!(a.id, "1234567890");
    assert_eq!(p.account().await.unwrap(), a);
    assert_eq!(
        server.requests()[0].header("x-acs-action"),
        Some("GetCallerIdentity")
    );
    let before = server.count();
    assert_eq!(before, 1, "the account is fetched once");
    let regions = p.regions().await.unwrap();
    assert!(regions.iter().any(|r| r.id == "cn-hangzhou"));
    assert!(server.count() > before, "DescribeRegions was tried");
}

#[tokio::test]
async fn oss_errors_are_parsed() {
    let server = Server::start(|_| Canned {
        status: 404,
        headers: vec![
            ("content-type".into(), "application/xml".into()),
            ("x-oss-request-id".into(), "5C3D9175".into()),
        ],
        body: "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message><RequestId>5C3D9175</RequestId></Error>".into(),
    })
    .await;
    let p = provider(&server, false);
    let e = p.buckets().try_collect::<Vec<_>>().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.code(), Some("NoSuchBucket"));
    assert_eq!(e.request_id(), Some("5C3D9175"));
    let seen = server.requests();
    assert!(
        seen[0]
            .header("authorization")
            .unwrap()
            .starts_with("OSS4-HMAC-SHA256 Credential=LTAIexample/")
    );
}

#[tokio::test]
async fn ecs_metadata_role_with_token() {
    let server = Server::start(|n| match n {
        0 => Canned {
            status: 200,
            headers: vec![],
            body: "md-token".into(),
        },
        1 => Canned {
            status: 200,
            headers: vec![],
            body: "EcsRole\n".into(),
        },
        _ => json(
            200,
            r#"{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2099-01-01T00:00:00Z","Code":"Success"}"#,
        ),
    })
    .await;
    let p = EcsRamRoleProvider::new(None)
        .unwrap()
        .with_base(server.url(""));
    let c = p.credentials().await.unwrap();
    assert_eq!(c.access_key_id, "STS.a");
    assert!(c.expires_at.is_some());
    let seen = server.requests();
    assert_eq!(seen[0].target, "/latest/api/token");
    assert_eq!(
        seen[0].header("x-aliyun-ecs-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(
        seen[1].target,
        "/latest/meta-data/ram/security-credentials/"
    );
    assert_eq!(
        seen[2].target,
        "/latest/meta-data/ram/security-credentials/EcsRole"
    );
    for s in &seen[1..] {
        assert_eq!(s.header("x-aliyun-ecs-metadata-token"), Some("md-token"));
    }

    // No token service: plain requests unless IMDSv1 is disabled.
    let server = Server::start(|n| match n {
        0 => canned(403),
        _ => json(
            200,
            r#"{"AccessKeyId":"STS.b","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2099-01-01T00:00:00Z","Code":"Success"}"#,
        ),
    })
    .await;
    let p = EcsRamRoleProvider::new(Some("R".into()))
        .unwrap()
        .with_base(server.url(""));
    assert_eq!(p.credentials().await.unwrap().access_key_id, "STS.b");
    assert_eq!(
        server.requests()[1].header("x-aliyun-ecs-metadata-token"),
        None
    );
    let refuse = Server::start(|_| canned(403)).await;
    let p2 = EcsRamRoleProvider::new(Some("R".into()))
        .unwrap()
        .with_base(refuse.url(""))
        .with_imds_v1(false);
    assert_eq!(
        p2.credentials().await.unwrap_err().kind(),
        ErrorKind::Unavailable
    );
    assert_eq!(refuse.count(), 1, "no token-less request was sent");
}

#[tokio::test]
async fn dry_run_probe_tells_empty_from_forbidden() {
    let server = Server::start(|n| match n {
        0 => json(
            400,
            r#"{"RequestId":"a","Code":"DryRunOperation","Message":"Request validation has been passed with DryRun flag set."}"#,
        ),
        1 => json(
            403,
            r#"{"RequestId":"b","Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource, or this API doesn't support RAM."}"#,
        ),
        _ => json(500, r#"{"Code":"InternalError","Message":"x"}"#),
    })
    .await;
    let p = provider(&server, true);
    assert!(p.can_describe_instances("cn-hangzhou").await.unwrap());
    assert!(!p.can_describe_instances("cn-hangzhou").await.unwrap());
    assert_eq!(
        query_param(&server.requests()[0].target, "DryRun").as_deref(),
        Some("true")
    );
}

/// AssumeRole goes to `sts.{sts_region}.aliyuncs.com` when the role names an
/// STS region, to the global `sts.aliyuncs.com` otherwise (real default
/// hosts over TLS, resolved to the scripted server).
#[tokio::test]
async fn assume_role_uses_the_sts_region_endpoint() {
    let (acceptor, ca_pem) = tls_acceptor(&["sts.aliyuncs.com", "sts.cn-shanghai.aliyuncs.com"]);
    let server = Server::start_with_tls(
        |_| {
            json(
                200,
                r#"{"RequestId":"r","Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s2","SecurityToken":"t2","Expiration":"2099-01-01T00:00:00Z"}}"#,
            )
        },
        Some(acceptor),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let transport = base()
        .ca_file(&ca)
        .resolve("*.aliyuncs.com", server.addr.to_string())
        .build()
        .unwrap();
    let base_creds = multicloud::credentials::Credentials::new("LTAIbase", "base-secret");
    let client = AlibabaClient::new(
        transport,
        Arc::new(multicloud::credentials::StaticCredentials::new(base_creds)),
        Endpoints::default(),
        "cn-hangzhou",
    );
    let role = |sts_region: Option<&str>| AssumeRoleSpec {
        role_arn: "acs:ram::123:role/r".into(),
        session_name: "s".into(),
        duration_secs: None,
        external_id: None,
        sts_region: sts_region.map(String::from),
    };
    let regional = AssumeRoleProvider::new(client.clone(), role(Some("cn-shanghai")));
    assert_eq!(regional.credentials().await.unwrap().access_key_id, "STS.x");
    let global = AssumeRoleProvider::new(client, role(None));
    assert_eq!(global.credentials().await.unwrap().access_key_id, "STS.x");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("x-acs-action"), Some("AssumeRole"));
    assert_eq!(seen[0].header("host"), Some("sts.cn-shanghai.aliyuncs.com"));
    assert_eq!(
        seen[0].header("x-sni"),
        Some("sts.cn-shanghai.aliyuncs.com")
    );
    assert_eq!(seen[1].header("host"), Some("sts.aliyuncs.com"));
}

/// A delete is `Ok` only when the API says the resource itself is gone: a
/// mistyped region (`InvalidRegionId.NotFound`) is an error, and so is
/// another resource's not-found code.
#[tokio::test]
async fn delete_in_a_wrong_region_is_an_error() {
    let wrong_region = r#"{"RequestId":"w","Code":"InvalidRegionId.NotFound","Message":"The specified RegionId does not exist."}"#;
    let server = Server::start(move |n| match n {
        0..=2 => json(404, wrong_region),
        3 => json(
            404,
            r#"{"RequestId":"v","Code":"InvalidVpcId.NotFound","Message":"Specified VPC does not exist."}"#,
        ),
        _ => json(
            404,
            r#"{"RequestId":"v","Code":"InvalidVpcId.NotFound","Message":"Specified VPC does not exist."}"#,
        ),
    })
    .await;
    let p = provider(&server, false);
    let e = p.delete_instance("cn-hangzhuo", "i-1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.code(), Some("InvalidRegionId.NotFound"));
    let e = p.delete_vpc("cn-hangzhuo", "vpc-1").await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidRegionId.NotFound"));
    let e = p
        .release_public_ip("cn-hangzhuo", "eip-1")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // The VPC's own code: it is gone, the delete is done.
    p.delete_vpc("cn-hangzhou", "vpc-1").await.unwrap();
    // ...but the VPC's code is no answer for a VSwitch.
    let e = p.delete_subnet("cn-hangzhou", "vsw-1").await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidVpcId.NotFound"));
    let actions: Vec<_> = server
        .requests()
        .iter()
        .map(|s| s.header("x-acs-action").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "DeleteInstance",
            "DeleteVpc",
            "ReleaseEipAddress",
            "DeleteVpc",
            "DeleteVSwitch"
        ]
    );
}

const REGIONS: &str = r#"{"RequestId":"r","Regions":{"Region":[{"RegionId":"cn-hangzhou","LocalName":"China (Hangzhou)","RegionEndpoint":"ecs.cn-hangzhou.aliyuncs.com","Status":"available"},{"RegionId":"xx-test-1","LocalName":"Test","RegionEndpoint":"ecs.xx-test-1.aliyuncs.com","Status":"available"}]}}"#;

/// `DescribeRegions` is sent once: the second `regions()` answers from the
/// cache.
#[tokio::test]
async fn regions_are_discovered_once() {
    let server = Server::start(|_| json(200, REGIONS)).await;
    let p = provider(&server, false);
    let first = p.regions().await.unwrap();
    let ids: Vec<_> = first.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["cn-hangzhou", "xx-test-1"],
        "the discovered list, not the fallback"
    );
    let second = p.regions().await.unwrap();
    assert_eq!(first, second);
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "one DescribeRegions for two regions() calls");
    assert_eq!(seen[0].header("x-acs-action"), Some("DescribeRegions"));
}

/// Bad credentials are an error, not the static list (which would hide
/// them until the first regional call).
#[tokio::test]
async fn regions_with_bad_credentials_are_an_error() {
    let server = Server::start(|_| {
        json(
            404,
            r#"{"RequestId":"k","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}"#,
        )
    })
    .await;
    let p = provider(&server, false);
    let e = p.regions().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert_eq!(e.code(), Some("InvalidAccessKeyId.NotFound"));
    assert_eq!(server.count(), 1, "not retried");
    // The failure is not cached: the next call asks again.
    assert!(p.regions().await.is_err());
    assert_eq!(server.count(), 2);
}

/// An unavailable or timed-out `DescribeRegions` (after the transport's
/// retries) gives the static fallback list; so does an unreachable endpoint.
#[tokio::test]
async fn regions_fall_back_on_5xx_timeout_and_no_answer() {
    let fallback: Vec<String> = multicloud::alibaba::fallback_regions()
        .into_iter()
        .map(|r| r.id)
        .collect();
    for (status, body) in [
        (
            503,
            r#"{"RequestId":"u","Code":"ServiceUnavailable","Message":"busy"}"#,
        ),
        (
            504,
            r#"{"RequestId":"t","Code":"ServiceTimeout","Message":"timed out"}"#,
        ),
        (502, "<html>bad gateway</html>"),
    ] {
        let server = Server::start(move |_| json(status, body)).await;
        let p = provider(&server, false);
        let ids: Vec<String> = p
            .regions()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, fallback, "HTTP {status}");
        assert!(
            server.count() > 1,
            "HTTP {status} was retried before falling back"
        );
    }
    // Nothing listens on the endpoint: connection refused on every attempt.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let mut cfg = EndpointConfig {
        allow_http: true,
        ..EndpointConfig::default()
    };
    cfg.services.insert("ecs".into(), format!("http://{addr}/"));
    let p = AlibabaProvider::builder()
        .credentials(Credentials::new("LTAIexample", "example-secret"))
        .transport(base().build().unwrap())
        .endpoints(Endpoints::from_config(&cfg, &BTreeMap::new()).unwrap())
        .default_region("cn-hangzhou")
        .build()
        .unwrap();
    let ids: Vec<String> = p
        .regions()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, fallback);
}
