//! The Tencent Cloud provider's HTTP side against a scripted local server:
//! deletes are `Ok` only on their own resource's not-found codes, the
//! region list falls back only on unavailability, and a huge presign
//! duration is an error, not a panic.
#![cfg(feature = "tencent")]

mod transport_support;

use std::sync::Arc;

use multicloud::config::AccountConfig;
use multicloud::credentials::{Credentials, StaticCredentials};
use multicloud::model::{
    DeleteUserOptions, PolicyKind, PolicyRef, PresignMethod, PresignOptions, Principal,
    ProviderKind,
};
use multicloud::tencent::TencentProvider;
use multicloud::{ErrorKind, Provider};
use transport_support::{Canned, Server, base, canned};

fn json(body: &str) -> Canned {
    Canned {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string(),
    }
}

/// An API 3.0 error envelope (HTTP 200) with `code`.
fn api_error(code: &str) -> Canned {
    json(&format!(
        r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"scripted {code}"}},"RequestId":"req-1"}}}}"#
    ))
}

fn xml(status: u16, body: &str) -> Canned {
    Canned {
        status,
        headers: vec![("content-type".into(), "application/xml".into())],
        body: body.to_string(),
    }
}

fn cos_error(status: u16, code: &str) -> Canned {
    xml(
        status,
        &format!(
            "<?xml version='1.0' encoding='utf-8' ?><Error><Code>{code}</Code>\
             <Message>scripted</Message><RequestId>cos-1</RequestId></Error>"
        ),
    )
}

fn provider_at(url: &str) -> TencentProvider {
    let mut account = AccountConfig::new("it", ProviderKind::Tencent);
    account.endpoints.allow_http = true;
    for s in ["cvm", "cbs", "vpc", "cam", "sts", "billing", "cos_service"] {
        account.endpoints.services.insert(s.into(), url.to_string());
    }
    account
        .endpoints
        .services
        .insert("cos".into(), url.to_string());
    account
        .options
        .insert("region".into(), "ap-guangzhou".into());
    account.options.insert("app_id".into(), "1250000000".into());
    TencentProvider::builder(account)
        .transport(base().build().unwrap())
        .credentials(Arc::new(StaticCredentials::new(Credentials::new(
            "AKIDexample",
            "example-secret",
        ))))
        .build()
        .unwrap()
}

fn provider(server: &Server) -> TencentProvider {
    provider_at(&server.url("/"))
}

/// Each delete against a server that answers `answer` to everything.
async fn deletes(
    answer: impl Fn() -> Canned + Send + Sync + 'static,
) -> Vec<(&'static str, multicloud::Result<()>)> {
    let server = Server::start(move |_| answer()).await;
    let p = provider(&server);
    let c = p.compute().unwrap();
    let n = p.network().unwrap();
    let i = p.iam().unwrap();
    let r = "ap-guangzhou";
    let policy = PolicyRef {
        id: "1".into(),
        name: "p".into(),
        kind: PolicyKind::Custom,
    };
    vec![
        ("delete_instance", c.delete_instance(r, "ins-1").await),
        ("delete_volume", c.delete_volume(r, "disk-1").await),
        ("delete_vpc", n.delete_vpc(r, "vpc-1").await),
        ("delete_subnet", n.delete_subnet(r, "subnet-1").await),
        (
            "delete_security_group",
            n.delete_security_group(r, "sg-1").await,
        ),
        ("release_public_ip", n.release_public_ip(r, "eip-1").await),
        (
            "delete_user",
            i.delete_user("u", DeleteUserOptions::default()).await,
        ),
        (
            "detach_policy",
            i.detach_policy(&Principal::Role("r".into()), &policy).await,
        ),
    ]
}

/// A wrong region, a wrong project, a code-less 404 (wrong endpoint) and a
/// missing principal are errors of every delete, not "already gone".
#[tokio::test]
async fn deletes_fail_on_foreign_not_found_codes() {
    for code in [
        "InvalidRegion.NotFound",
        "InvalidProjectId.NotFound",
        "InvalidParameter.RoleNotExist",
    ] {
        for (op, r) in deletes(move || api_error(code)).await {
            let e = r.expect_err(&format!("{op} with {code} must fail"));
            assert_eq!(e.code(), Some(code), "{op}");
        }
    }
    for (op, r) in deletes(|| canned(404)).await {
        let e = r.expect_err(&format!("{op} with a bare 404 must fail"));
        assert_eq!(e.code(), None, "{op}");
        assert_eq!(e.http_status(), Some(404), "{op}");
    }
}

/// Each delete is `Ok` on its own API's not-found code.
#[tokio::test]
async fn deletes_are_ok_on_their_own_not_found_code() {
    let own = [
        ("delete_instance", "InvalidInstanceId.NotFound"),
        ("delete_volume", "InvalidDiskId.NotFound"),
        ("delete_vpc", "ResourceNotFound"),
        ("delete_subnet", "ResourceNotFound"),
        ("delete_security_group", "InvalidSecurityGroupID.NotFound"),
        ("release_public_ip", "InvalidAddressId.NotFound"),
        ("delete_user", "ResourceNotFound.UserNotExist"),
        ("detach_policy", "ResourceNotFound.PolicyIdNotFound"),
    ];
    for (want_op, code) in own {
        let results = deletes(move || api_error(code)).await;
        let (_, r) = results.iter().find(|(op, _)| *op == want_op).unwrap();
        assert!(r.is_ok(), "{want_op} with {code}: {r:?}");
        // Another API's not-found code is not this delete's.
        let other = if code == "InvalidDiskId.NotFound" {
            "InvalidInstanceId.NotFound"
        } else {
            "InvalidDiskId.NotFound"
        };
        let results = deletes(move || api_error(other)).await;
        let (_, r) = results.iter().find(|(op, _)| *op == want_op).unwrap();
        assert!(r.is_err(), "{want_op} with {other} must fail");
    }
}

const BUCKETS: &str = "<ListAllMyBucketsResult><Owner><ID>qcs::cam::uin/1:uin/1</ID>\
    <DisplayName>1</DisplayName></Owner><Buckets><Bucket><Name>real-1250000000</Name>\
    <Location>ap-guangzhou</Location><CreationDate>2019-05-24T11:49:50Z</CreationDate>\
    </Bucket></Buckets></ListAllMyBucketsResult>";

/// `delete_object` in a bucket the account does not have is an error;
/// `NoSuchBucket` from COS too; a missing key is `Ok`.
#[tokio::test]
async fn delete_object_needs_the_bucket() {
    let server = Server::start(|_| xml(200, BUCKETS)).await;
    let p = provider(&server);
    let e = p
        .storage()
        .unwrap()
        .delete_object("mistyped", "k")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    let server = Server::start(|n| {
        if n == 0 {
            xml(200, BUCKETS)
        } else {
            cos_error(404, "NoSuchBucket")
        }
    })
    .await;
    let p = provider(&server);
    let e = p
        .storage()
        .unwrap()
        .delete_object("real", "k")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchBucket"));

    let server = Server::start(|n| {
        if n == 0 {
            xml(200, BUCKETS)
        } else {
            cos_error(404, "NoSuchKey")
        }
    })
    .await;
    let p = provider(&server);
    p.storage()
        .unwrap()
        .delete_object("real", "k")
        .await
        .unwrap();
}

/// Bad credentials are an error of `regions()`, not the static list.
#[tokio::test]
async fn regions_with_bad_credentials_are_an_error() {
    let server = Server::start(|_| api_error("AuthFailure.SignatureFailure")).await;
    let p = provider(&server);
    let e = p.regions().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert_eq!(e.code(), Some("AuthFailure.SignatureFailure"));
    assert_eq!(server.count(), 1, "not retried");
}

/// Unavailability (5xx after retries, `InternalError`, no listener) keeps
/// the static fallback list.
#[tokio::test]
async fn regions_fall_back_when_unavailable() {
    let fallback: Vec<String> = multicloud::tencent::config::FALLBACK_REGIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    for answer in [
        || canned(503),
        || api_error("InternalError"),
        || canned(502),
    ] {
        let server = Server::start(move |_| answer()).await;
        let p = provider(&server);
        let ids: Vec<String> = p
            .regions()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, fallback);
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let p = provider_at(&format!("http://{addr}/"));
    let ids: Vec<String> = p
        .regions()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, fallback);
}

/// A presign duration that overflows the clock is `InvalidArgument`
/// before anything is sent.
#[tokio::test]
async fn presign_rejects_huge_durations() {
    let server = Server::start(|_| xml(200, BUCKETS)).await;
    let p = provider(&server);
    let s = p.storage().unwrap();
    for secs in [u64::MAX, 9_300_000_000_000_000, 8_100_000_000_000, 0] {
        let e = s
            .presign(
                "real",
                "k",
                &PresignOptions {
                    method: PresignMethod::Get,
                    expires_secs: secs,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{secs}");
    }
    assert_eq!(server.count(), 0);
    let u = s
        .presign("real", "k", &PresignOptions::default())
        .await
        .unwrap();
    assert!(u.url.contains("q-sign-time="), "{}", u.url);
}

/// PutBucket retried after a failed attempt: `BucketAlreadyOwnedByYou` on
/// the retry means the earlier attempt made the bucket (success, once); on
/// the first attempt it means the bucket existed (`AlreadyExists`).
#[tokio::test]
async fn create_bucket_after_a_lost_attempt_succeeds_once() {
    let spec = multicloud::model::BucketSpec {
        name: "mine".into(),
        region: "ap-guangzhou".into(),
        ..Default::default()
    };
    let server = Server::start(|n| {
        if n == 0 {
            canned(503)
        } else {
            cos_error(409, "BucketAlreadyOwnedByYou")
        }
    })
    .await;
    let p = provider(&server);
    let b = p.storage().unwrap().create_bucket(&spec).await.unwrap();
    assert_eq!(b.name, "mine-1250000000");
    assert_eq!(server.count(), 2);

    let server = Server::start(|_| cos_error(409, "BucketAlreadyOwnedByYou")).await;
    let p = provider(&server);
    let e = p.storage().unwrap().create_bucket(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(server.count(), 1);
}

/// `delete_bucket` is `Ok` for a bucket absent from the account's list, but
/// a bucket list that cannot be read (a code-less 404 from a wrong
/// endpoint) is an error, not "already deleted".
#[tokio::test]
async fn delete_bucket_needs_a_readable_bucket_list() {
    let server = Server::start(|_| xml(200, BUCKETS)).await;
    let p = provider(&server);
    p.storage().unwrap().delete_bucket("gone").await.unwrap();

    let server = Server::start(|_| canned(404)).await;
    let p = provider(&server);
    let e = p.storage().unwrap().delete_bucket("any").await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
}
