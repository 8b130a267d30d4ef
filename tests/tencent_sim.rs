//! End-to-end tests of the Tencent Cloud provider against the simulator's
//! Tencent frontends (API 3.0 and COS), reached through the real host names
//! (`transport.resolve` in the accounts file the sim prints) over HTTPS
//! with the sim's CA.
#![cfg(feature = "tencent")]

mod behaviour;

use std::collections::BTreeSet;

use behaviour::harness::{self, Env, Harness, connect};
use chrono::Datelike;
use futures::TryStreamExt;
use multicloud::model::{InstanceSpec, ListInstances, ListObjects, ProviderKind};
use multicloud::{ErrorKind, Provider};
use multicloud_sim::{FaultKind, FaultRule, Scope, SimHandle};

/// The Tencent harness keeps the sim's own transition timings (the
/// lifecycle checks shorten them themselves).
fn tencent(seed: u64, instances: usize) -> Harness {
    Harness::new(ProviderKind::Tencent)
        .seed(seed)
        .instances(instances)
        .sim_timings()
}

async fn start(seed: u64, instances: usize) -> Env {
    tencent(seed, instances).start().await
}

async fn scope(p: &dyn Provider, sim: &SimHandle) -> Scope {
    behaviour::sim_scope(p, sim).await
}

#[tokio::test]
async fn identity_regions_and_zones() {
    let env = start(11, 3).await;
    let p = connect(&env.account).await;
    assert_eq!(p.kind(), ProviderKind::Tencent);
    let info = &env.sim.accounts("tencent")[0];
    let a = p.account().await.expect("account");
    assert_eq!(a.id, info.id);
    // Memoized: the second call sends nothing.
    let before = behaviour::requests_of(&env.sim, "tencent").len();
    assert_eq!(p.account().await.expect("account").id, info.id);
    let regions = p.regions().await.expect("regions");
    let ids: BTreeSet<_> = regions.iter().map(|r| r.id.clone()).collect();
    let want: BTreeSet<_> = info.regions.iter().cloned().collect();
    assert_eq!(ids, want, "regions filtered by the account's include list");
    // Cached: a second call sends nothing either.
    p.regions().await.expect("regions again");
    assert_eq!(
        behaviour::requests_of(&env.sim, "tencent").len(),
        before + 1,
        "account() memoized, regions() cached (one DescribeRegions)"
    );
    let zones = p.zones(&info.regions[0]).await.expect("zones");
    assert!(!zones.is_empty());
    assert!(zones.iter().all(|z| z.region == info.regions[0]));
    // Debug never shows the secret.
    let dbg = format!("{p:?}");
    assert!(!dbg.contains(info.secret_access_key.expose()), "{dbg}");
    env.sim.shutdown().await;
}

behaviour::suite! {
    harness: tencent(13, 6),
    checks: [
        list_with_filters,
        instance_lifecycle,
        missing_instance_is_not_found,
        volume_round_trip,
        network_round_trip(harness::ssh_rule("10.0.0.0/8", None)),
        public_ip_round_trip,
        storage_round_trip("behaviour"),
        iam_round_trip,
        throttled_action_succeeds("DescribeInstances"),
        read_only_sends_nothing_mutating,
        all_answers_lost_then_same_token_returns_the_instance("RunInstances"),
        lost_response_create_makes_exactly_one_instance("RunInstances"),
        throttled_volume_listing_succeeds("DescribeDisks"),
        empty_results("eip-00000000"),
        regions_zones_and_account,
        images_and_instance_types,
        assume_role_credentials(
            |account, role| format!("qcs::cam::uin/{account}:roleName/{role}"),
            "x-tc-token"
        ),
        balance_matches_estate(true),
        unusual_object_keys,
        storage_throttle_is_retried,
        object_pages_prefix_and_copy,
        caller_client_token_is_idempotent,
        delete_user_without_cleanup_conflicts,
        server_errors_are_retried("DescribeInstances"),
        empty_account_lists,
    ],
}

#[tokio::test]
async fn behaviour_list_every_page() {
    // Three VPCs (two subnets and a security group each) and three public
    // IPs per region, so page size 1 walks several pages of each list.
    let env = tencent(12, 5).per_region(3).start().await;
    let p = connect(&env.account).await;
    behaviour::list_every_page(&*p, &env.sim).await;
    // Page size 1 really means several pages.
    let s = scope(&*p, &env.sim).await;
    let n = env
        .sim
        .requests()
        .filter(|e| e.action == "DescribeInstances")
        .len();
    assert!(
        n >= behaviour::estate_instance_count(&env.sim, &s.provider, &s.account, &s.region),
        "one DescribeInstances per instance at page size 1, saw {n}"
    );
    env.sim.shutdown().await;
}

#[tokio::test]
async fn behaviour_cost_lines_sum_to_estate_total() {
    let env = start(20, 3).await;
    let p = connect(&env.account).await;
    let today = chrono::Utc::now().date_naive();
    let month = today.with_day(1).expect("first day");
    behaviour::cost_lines_sum_to_estate_total(&*p, &env.sim, month).await;
    let prev = month
        .checked_sub_months(chrono::Months::new(1))
        .expect("previous month");
    behaviour::cost_lines_sum_to_estate_total(&*p, &env.sim, prev).await;
    env.sim.shutdown().await;
}

/// The balance comes back in yuan (the API answers in fen).
#[tokio::test]
async fn balance_in_yuan() {
    let env = start(34, 1).await;
    let p = connect(&env.account).await;
    let id = env.sim.accounts("tencent")[0].id.clone();
    let want = env
        .sim
        .estate()
        .balance("tencent", &id)
        .expect("estate balance");
    let b = p
        .billing()
        .expect("billing")
        .balance()
        .await
        .expect("balance")
        .expect("a balance");
    assert_eq!(b.currency, "CNY");
    assert_eq!(b.available, want.available.round_dp(2));
    assert_eq!(b.credit, Some(want.credit.round_dp(2)));
    env.sim.shutdown().await;
}

/// A create whose response is lost is retried with the same ClientToken
/// and makes exactly one instance.
#[tokio::test]
async fn lost_create_response_makes_exactly_one_instance() {
    let env = start(24, 2).await;
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let (zone, image, ty) = env
        .sim
        .estate()
        .with_region(&s, |r| {
            let image = r
                .images
                .values()
                .find(|i| i.owner == multicloud_sim::estate::ImageOwner::System)
                .map(|i| i.id.clone())
                .expect("image");
            (r.zones[0].clone(), image, r.instance_types[0].id.clone())
        })
        .expect("region");
    let before = behaviour::estate_instance_count(&env.sim, &s.provider, &s.account, &s.region);
    env.sim
        .faults()
        .add(FaultRule::new("tencent", "RunInstances").lost_response_rate(0.5));
    let c = p.compute().expect("compute");
    let mut made = Vec::new();
    for n in 0..4 {
        let spec = InstanceSpec {
            region: s.region.clone(),
            zone: Some(zone.clone()),
            name: format!("lost-{n}"),
            instance_type: ty.clone(),
            image_id: image.clone(),
            ..InstanceSpec::default()
        };
        made.push(c.create_instance(&spec).await.expect("create").id);
    }
    env.sim.faults().clear();
    let runs = env.sim.requests().filter(|e| e.action == "RunInstances");
    let lost = runs
        .iter()
        .filter(|e| e.fault == Some(FaultKind::LostResponse))
        .count();
    assert!(lost > 0, "the sim never lost a RunInstances response");
    assert_eq!(
        behaviour::estate_instance_count(&env.sim, &s.provider, &s.account, &s.region),
        before + 4,
        "exactly one instance per create"
    );
    assert_eq!(made.iter().collect::<BTreeSet<_>>().len(), 4);
    // Every attempt of one create carried the same ClientToken.
    let tokens: Vec<String> = runs
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&e.body).expect("json body");
            v["ClientToken"].as_str().expect("ClientToken").to_string()
        })
        .collect();
    let distinct: BTreeSet<_> = tokens.iter().collect();
    assert_eq!(distinct.len(), 4, "one token per create, reused on retry");
    assert!(runs.len() > 4, "lost responses were retried");
    env.sim.shutdown().await;
}

/// More of the storage flow than the behaviour suite checks: bucket name
/// with the APPID, GET sizes and ranges, a streamed multipart upload (its
/// requests counted), delimiter listing at page size 1, presigned GET and a
/// tampered one, `Conflict` on a non-empty bucket, deletes.
#[tokio::test]
async fn storage_round_trip_details() {
    use bytes::Bytes;
    use multicloud::model::{GetOptions, ObjectEntry, PresignMethod, PresignOptions, PutOptions};
    let env = start(29, 1).await;
    let sim = &env.sim;
    let p = connect(&env.account).await;
    let s = scope(&*p, sim).await;
    let st = p.storage().expect("storage");
    let made = st
        .create_bucket(&multicloud::model::BucketSpec {
            name: "rt".into(),
            region: s.region.clone(),
            storage_class: None,
        })
        .await
        .expect("create bucket");
    let app_id = env.account.options.get("app_id").cloned().expect("app_id");
    assert_eq!(made.name, format!("rt-{app_id}"));
    let listed: Vec<_> = st.buckets().try_collect().await.expect("buckets");
    assert!(
        listed
            .iter()
            .any(|b| b.name == made.name && b.region.as_deref() == Some(s.region.as_str()))
    );
    assert_eq!(st.bucket_location("rt").await.expect("location"), s.region);
    let small = Bytes::from_static(b"hello behaviour suite");
    st.put_object(
        "rt",
        "dir/small.txt",
        small.clone().into(),
        &PutOptions::default(),
    )
    .await
    .expect("put");
    let got = st
        .get_object("rt", "dir/small.txt", &GetOptions::default())
        .await
        .expect("get");
    assert_eq!(got.meta.size, small.len() as u64, "GET Content-Length");
    assert_eq!(got.collect().await.expect("body"), small);
    let ranged = st
        .get_object(
            "rt",
            "dir/small.txt",
            &GetOptions {
                range: Some((6, Some(14))),
            },
        )
        .await
        .expect("range get");
    assert_eq!(ranged.range, Some((6, 14)));
    assert_eq!(
        ranged.meta.size,
        small.len() as u64,
        "total from Content-Range"
    );
    assert_eq!(&ranged.collect().await.expect("body")[..], b"behaviour");
    let big: Vec<u8> = (0..(5 * 1024 * 1024 + 4096))
        .map(|i| (i % 251) as u8)
        .collect();
    let opts = PutOptions {
        multipart_threshold: 1024,
        part_size: 5 * 1024 * 1024,
        ..PutOptions::default()
    };
    let before = behaviour::requests_of(sim, "tencent").len();
    // A streamed body of unknown size goes up in parts too.
    let chunks: Vec<multicloud::Result<Bytes>> = big
        .chunks(700_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    st.put_object(
        "rt",
        "big.bin",
        multicloud::model::PutBody::Stream {
            body: Box::pin(futures::stream::iter(chunks)),
            size: None,
        },
        &opts,
    )
    .await
    .expect("multipart put");
    let actions: Vec<String> = behaviour::requests_of(sim, "tencent")[before..]
        .iter()
        .map(|e| e.action.clone())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "UploadPart").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"InitiateMultipartUpload".to_string()));
    assert!(actions.contains(&"CompleteMultipartUpload".to_string()));
    let back = st
        .get_object("rt", "big.bin", &GetOptions::default())
        .await
        .expect("get big")
        .collect()
        .await
        .expect("body");
    assert!(back[..] == big[..], "multipart object content");
    let entries: Vec<_> = st
        .objects(&ListObjects {
            bucket: "rt".into(),
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
    assert_eq!(entries.len(), 2, "{entries:?}");
    let pre = st
        .presign(
            "rt",
            "dir/small.txt",
            &PresignOptions {
                method: PresignMethod::Get,
                expires_secs: 300,
            },
        )
        .await
        .expect("presign");
    let url = url::Url::parse(&pre.url).expect("presigned URL");
    let host = url.host_str().expect("host").to_string();
    let mut u = url.clone();
    let _ = u.set_port(Some(sim.addr().port()));
    let r = behaviour::plain_client(sim, &host)
        .get(u.as_str())
        .header("host", host.as_str())
        .send()
        .await
        .expect("presigned fetch");
    assert!(
        r.status().is_success(),
        "presigned GET status {}",
        r.status()
    );
    assert_eq!(r.bytes().await.expect("body"), small);
    // A tampered presigned URL is refused.
    let bad = u.as_str().replace("q-signature=", "q-signature=0");
    let r = behaviour::plain_client(sim, &host)
        .get(bad)
        .header("host", host.as_str())
        .send()
        .await
        .expect("tampered fetch");
    assert_eq!(r.status().as_u16(), 403);
    let e = st.delete_bucket("rt").await.expect_err("bucket not empty");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    for k in ["dir/small.txt", "big.bin"] {
        st.delete_object("rt", k).await.expect("delete object");
    }
    st.delete_object("rt", "big.bin")
        .await
        .expect("missing object is Ok");
    let e = st
        .get_object("rt", "big.bin", &GetOptions::default())
        .await
        .expect_err("deleted");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    st.delete_bucket("rt").await.expect("delete bucket");
    st.delete_bucket("rt").await.expect("second delete is Ok");
    env.sim.shutdown().await;
}

/// `credentials.source = "assume_role"`: the provider signs with the
/// temporary credentials STS hands out (X-TC-Token on API 3.0 calls,
/// x-cos-security-token on COS), acting as the role.
#[tokio::test]
async fn assume_role_credentials_sign_api_and_cos_calls() {
    use multicloud::config::{CredentialConfig, CredentialSourceKind};
    let env = start(30, 2).await;
    let info = env.sim.accounts("tencent")[0].clone();
    let role = env
        .sim
        .estate()
        .iam("tencent", &info.id, |i| i.roles.values().next().cloned())
        .expect("estate")
        .expect("the estate has a role");
    let mut account = env.account.clone();
    let base = account.credentials.clone();
    account.credentials = CredentialConfig {
        source: CredentialSourceKind::AssumeRole,
        role_arn: Some(format!("qcs::cam::uin/{}:roleName/{}", info.id, role.name)),
        role_session_name: Some("e2e".into()),
        base: Some(Box::new(base)),
        ..CredentialConfig::default()
    };
    let p = connect(&account).await;
    let a = p.account().await.expect("caller identity as the role");
    assert_eq!(a.id, info.id);
    let principal = a.principal.unwrap_or_default();
    assert!(principal.contains("assumed-role"), "{principal}");
    assert!(principal.ends_with("/e2e"), "{principal}");
    let s = scope(&*p, &env.sim).await;
    behaviour::listing_matches_estate(&*p, &env.sim, &s, None, "list with temporary credentials")
        .await;
    let tokens = env
        .sim
        .requests()
        .filter(|e| e.action == "DescribeInstances")
        .iter()
        .filter(|e| {
            e.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("x-tc-token"))
        })
        .count();
    assert!(tokens > 0, "API calls carry X-TC-Token");
    let st = p.storage().expect("storage");
    st.create_bucket(&multicloud::model::BucketSpec {
        name: "temp".into(),
        region: s.region.clone(),
        storage_class: None,
    })
    .await
    .expect("bucket with temporary credentials");
    st.put_object(
        "temp",
        "k",
        bytes::Bytes::from_static(b"v").into(),
        &Default::default(),
    )
    .await
    .expect("put");
    let pre = st
        .presign("temp", "k", &Default::default())
        .await
        .expect("presign");
    assert!(pre.url.contains("x-cos-security-token="), "{}", pre.url);
    let url = url::Url::parse(&pre.url).expect("url");
    let host = url.host_str().expect("host").to_string();
    let mut u = url.clone();
    let _ = u.set_port(Some(env.sim.addr().port()));
    let r = behaviour::plain_client(&env.sim, &host)
        .get(u.as_str())
        .header("host", host.as_str())
        .send()
        .await
        .expect("fetch");
    assert!(r.status().is_success(), "{}", r.status());
    st.delete_object("temp", "k").await.expect("delete");
    st.delete_bucket("temp").await.expect("delete bucket");
    env.sim.shutdown().await;
}

/// A wrong secret gets the cloud's signature error, classified as
/// Unauthenticated with the request id, and is not retried.
#[tokio::test]
async fn wrong_secret_is_unauthenticated() {
    let env = start(31, 1).await;
    let mut account = env.account.clone();
    account.credentials.secret_access_key = Some("not-the-secret".into());
    let p = connect(&account).await;
    let s = env.sim.accounts("tencent")[0].regions[0].clone();
    let e = p
        .compute()
        .expect("compute")
        .instance(&s, "ins-00000000")
        .await
        .expect_err("bad signature");
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert!(
        e.code().is_some_and(|c| c.starts_with("AuthFailure")),
        "{e:?}"
    );
    assert!(e.request_id().is_some());
    assert_eq!(e.attempts(), 1);
    let st = p.storage().expect("storage");
    let e = st
        .buckets()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("bad COS signature");
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    env.sim.shutdown().await;
}

/// A local clock five minutes off the cloud's gets `AuthFailure.SignatureExpire`,
/// surfaced as Unauthenticated with a message that names the clock.
#[tokio::test]
async fn clock_skew_is_a_clear_error() {
    let env = start(32, 1).await;
    let p = connect(&env.account).await;
    let region = env.sim.accounts("tencent")[0].regions[0].clone();
    env.sim.clock().set_offset_ms(10 * 60 * 1000);
    let e = p.zones(&region).await.expect_err("signature from the past");
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert_eq!(e.code(), Some("AuthFailure.SignatureExpire"));
    assert!(e.message().contains("clock"), "{e}");
    env.sim.clock().set_offset_ms(0);
    p.zones(&region).await.expect("in sync again");
    env.sim.shutdown().await;
}

/// When `DescribeRegions` keeps failing, `regions()` falls back to the
/// static list, still filtered by the account's include globs.
#[tokio::test]
async fn regions_fall_back_to_the_static_list() {
    let env = start(35, 1).await;
    let mut account = env.account.clone();
    account.transport.max_attempts = Some(2);
    let p = connect(&account).await;
    env.sim
        .faults()
        .add(FaultRule::new("tencent", "DescribeRegions").error_rate(1.0));
    let got: BTreeSet<String> = p
        .regions()
        .await
        .expect("fallback regions")
        .into_iter()
        .map(|r| r.id)
        .collect();
    let include = &env.sim.accounts("tencent")[0].regions;
    let want: BTreeSet<String> = multicloud::tencent::config::FALLBACK_REGIONS
        .iter()
        .map(|r| r.to_string())
        .filter(|r| include.contains(r))
        .collect();
    assert!(!want.is_empty(), "the sim's regions are public region ids");
    assert_eq!(got, want);
    let failed = env
        .sim
        .requests()
        .filter(|e| e.action == "DescribeRegions" && e.fault == Some(FaultKind::ServerError))
        .len();
    assert_eq!(failed, 2, "DescribeRegions tried (max_attempts = 2)");
    // The fallback is not cached: once the API answers, its list is used.
    env.sim.faults().clear();
    let got: BTreeSet<String> = p
        .regions()
        .await
        .expect("regions")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(got, include.iter().cloned().collect::<BTreeSet<_>>());
    env.sim.shutdown().await;
}

/// `options.endpoint_style = "regional"` sends API calls to
/// `{service}.{region}.tencentcloudapi.com`.
#[tokio::test]
async fn regional_endpoints() {
    let env = start(36, 2).await;
    let mut account = env.account.clone();
    account
        .options
        .insert("endpoint_style".into(), "regional".into());
    let p = connect(&account).await;
    let s = scope(&*p, &env.sim).await;
    env.sim.requests().clear();
    behaviour::listing_matches_estate(&*p, &env.sim, &s, None, "instances").await;
    let hosts: BTreeSet<String> = env
        .sim
        .requests()
        .filter(|e| e.action == "DescribeInstances")
        .into_iter()
        .map(|e| e.host)
        .collect();
    assert_eq!(
        hosts,
        BTreeSet::from([format!("cvm.{}.tencentcloudapi.com", s.region)])
    );
    env.sim.shutdown().await;
}

/// More ids than one call takes (100) are asked for in several calls.
#[tokio::test]
async fn more_than_a_hundred_ids() {
    let env = start(37, 105).await;
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let c = p.compute().expect("compute");
    let all: Vec<_> = c
        .instances(&ListInstances {
            region: s.region.clone(),
            ..ListInstances::default()
        })
        .try_collect()
        .await
        .expect("all");
    assert!(all.len() > 100, "{}", all.len());
    env.sim.requests().clear();
    let ids: Vec<String> = all.iter().map(|i| i.id.clone()).collect();
    let by_id: Vec<_> = c
        .instances(&ListInstances {
            region: s.region.clone(),
            ids: ids.clone(),
            ..ListInstances::default()
        })
        .try_collect()
        .await
        .expect("by ids");
    let got: BTreeSet<_> = by_id.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, ids.into_iter().collect::<BTreeSet<_>>());
    let calls = env
        .sim
        .requests()
        .filter(|e| e.action == "DescribeInstances");
    assert_eq!(calls.len(), 2, "two calls of at most 100 ids");
    env.sim.shutdown().await;
}

/// `StopOptions` become `StopType` and `StoppedMode`; a stopped instance
/// reports whether it stopped charging.
#[tokio::test]
async fn stop_options_reach_the_api() {
    use multicloud::model::{InstanceState, StopOptions};
    let env = start(38, 3).await;
    env.sim.estate().set_timings(behaviour::fast_timings());
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let c = p.compute().expect("compute");
    let running: Vec<_> = c
        .instances(&ListInstances {
            region: s.region.clone(),
            ..ListInstances::default()
        })
        .try_collect::<Vec<_>>()
        .await
        .expect("list")
        .into_iter()
        .filter(|i| i.state == InstanceState::Running)
        .collect();
    assert!(running.len() >= 2, "need two running instances");
    let w = behaviour::wait_opts();
    c.stop_instance(
        &s.region,
        &running[0].id,
        StopOptions {
            force: true,
            stop_charging: true,
        },
    )
    .await
    .expect("hard stop");
    c.stop_instance(&s.region, &running[1].id, StopOptions::default())
        .await
        .expect("soft stop");
    let a = c
        .wait_until_instance(&s.region, &running[0].id, InstanceState::Stopped, w)
        .await
        .expect("stopped")
        .expect("still there");
    assert_eq!(a.stopped_charging, Some(true));
    let b = c
        .wait_until_instance(&s.region, &running[1].id, InstanceState::Stopped, w)
        .await
        .expect("stopped")
        .expect("still there");
    assert_eq!(b.stopped_charging, Some(false));
    let bodies: Vec<serde_json::Value> = env
        .sim
        .requests()
        .filter(|e| e.action == "StopInstances")
        .iter()
        .map(|e| serde_json::from_slice(&e.body).expect("json"))
        .collect();
    assert_eq!(bodies[0]["StopType"], "HARD");
    assert_eq!(bodies[0]["StoppedMode"], "STOP_CHARGING");
    assert_eq!(bodies[1]["StopType"], "SOFT");
    assert_eq!(bodies[1]["StoppedMode"], "KEEP_CHARGING");
    env.sim.shutdown().await;
}

// ---------------------------------------------------------------------------
// Lost responses on every create: exactly one resource, returned (or, for
// token creates whose every answer is lost, a retryable error and the same
// resource on the next call with the same token).
// ---------------------------------------------------------------------------

/// Make `action` lose every answer (the sim still applies the request).
fn lose_all(sim: &SimHandle, action: &str) {
    sim.faults()
        .add(FaultRule::new("tencent", action).lost_response_rate(1.0));
}

/// The lost answers of `action`, checked to be at least one.
fn assert_lost(sim: &SimHandle, action: &str) -> usize {
    let n = harness::lost_answers(sim, action);
    assert!(n >= 1, "the sim lost no {action} answer");
    n
}

#[tokio::test]
async fn lost_create_disks_makes_one_disk() {
    let env = start(41, 0).await;
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let zone = env
        .sim
        .estate()
        .with_region(&s, |r| r.zones[0].clone())
        .expect("region");
    let c = p.compute().expect("compute");
    let spec = multicloud::model::VolumeSpec {
        region: s.region.clone(),
        zone: Some(zone),
        name: "lost-disk".into(),
        size_gib: 20,
        client_token: Some("mc-lost-disk-token-1".into()),
        ..Default::default()
    };
    lose_all(&env.sim, "CreateDisks");
    let first = c.create_volume(&spec).await;
    let sent = assert_lost(&env.sim, "CreateDisks");
    env.sim.faults().clear();
    let q = multicloud::model::ListVolumes {
        region: s.region.clone(),
        ..Default::default()
    };
    let named: Vec<_> = c
        .volumes(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("volumes")
        .into_iter()
        .filter(|v| v.name == "lost-disk")
        .collect();
    assert_eq!(named.len(), 1, "{sent} attempts made exactly one disk");
    match first {
        Ok(v) => assert_eq!(v.id, named[0].id),
        Err(e) => assert!(
            e.is_retryable() || e.kind() == ErrorKind::Unavailable,
            "{e}"
        ),
    }
    // The same token returns the same disk, creating nothing.
    let again = c.create_volume(&spec).await.expect("same token");
    assert_eq!(again.id, named[0].id);
    let n = c
        .volumes(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("volumes")
        .into_iter()
        .filter(|v| v.name == "lost-disk")
        .count();
    assert_eq!(n, 1);
    env.sim.shutdown().await;
}

#[tokio::test]
async fn lost_allocate_addresses_makes_one_eip() {
    let env = start(42, 0).await;
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let n = p.network().expect("network");
    let spec = multicloud::model::PublicIpSpec {
        region: s.region.clone(),
        name: Some("lost-eip".into()),
        client_token: Some("mc-lost-eip-token-1".into()),
        ..Default::default()
    };
    let q = multicloud::model::ListNetwork {
        region: s.region.clone(),
        ..Default::default()
    };
    let before = n
        .public_ips(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("eips")
        .len();
    lose_all(&env.sim, "AllocateAddresses");
    let first = n.allocate_public_ip(&spec).await;
    let sent = assert_lost(&env.sim, "AllocateAddresses");
    env.sim.faults().clear();
    let all = n
        .public_ips(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("eips");
    assert_eq!(
        all.len(),
        before + 1,
        "{sent} attempts made exactly one EIP"
    );
    let again = n.allocate_public_ip(&spec).await.expect("same token");
    if let Ok(ip) = first {
        assert_eq!(ip.id, again.id);
    }
    let after = n
        .public_ips(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("eips");
    assert_eq!(after.len(), before + 1, "the same token made nothing new");
    assert!(after.iter().any(|i| i.id == again.id));
    env.sim.shutdown().await;
}

#[tokio::test]
async fn lost_network_creates_make_one_of_each() {
    let env = start(43, 0).await;
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let zone = env
        .sim
        .estate()
        .with_region(&s, |r| r.zones[0].clone())
        .expect("region");
    let n = p.network().expect("network");
    let q = multicloud::model::ListNetwork {
        region: s.region.clone(),
        ..Default::default()
    };

    lose_all(&env.sim, "CreateVpc");
    let vpc = n
        .create_vpc(&multicloud::model::VpcSpec {
            region: s.region.clone(),
            name: "lost-vpc".into(),
            cidr: "10.42.0.0/16".into(),
            ..Default::default()
        })
        .await
        .expect("CreateVpc answer lost: found by name");
    assert_lost(&env.sim, "CreateVpc");
    env.sim.faults().clear();
    let vpcs: Vec<_> = n.vpcs(&q).try_collect::<Vec<_>>().await.expect("vpcs");
    let named: Vec<_> = vpcs.iter().filter(|v| v.name == "lost-vpc").collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, vpc.id);

    lose_all(&env.sim, "CreateSubnet");
    let subnet = n
        .create_subnet(&multicloud::model::SubnetSpec {
            region: s.region.clone(),
            zone: Some(zone),
            vpc_id: vpc.id.clone(),
            name: "lost-subnet".into(),
            cidr: "10.42.1.0/24".into(),
            ..Default::default()
        })
        .await
        .expect("CreateSubnet answer lost: found by name");
    assert_lost(&env.sim, "CreateSubnet");
    env.sim.faults().clear();
    let subnets: Vec<_> = n
        .subnets(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("subnets");
    let named: Vec<_> = subnets.iter().filter(|v| v.name == "lost-subnet").collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, subnet.id);

    lose_all(&env.sim, "CreateSecurityGroup");
    let sg = n
        .create_security_group(&multicloud::model::SecurityGroupSpec {
            region: s.region.clone(),
            vpc_id: Some(vpc.id.clone()),
            name: "lost-sg".into(),
            description: Some("lost".into()),
            ..Default::default()
        })
        .await
        .expect("CreateSecurityGroup answer lost: found by name");
    assert_lost(&env.sim, "CreateSecurityGroup");
    env.sim.faults().clear();
    let groups: Vec<_> = n
        .security_groups(&q)
        .try_collect::<Vec<_>>()
        .await
        .expect("groups");
    let named: Vec<_> = groups.iter().filter(|g| g.name == "lost-sg").collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, sg.id);
    env.sim.shutdown().await;
}

#[tokio::test]
async fn lost_add_user_makes_one_user() {
    let env = start(44, 0).await;
    let p = connect(&env.account).await;
    let i = p.iam().expect("iam");
    lose_all(&env.sim, "AddUser");
    let u = i
        .create_user(&multicloud::model::NewUser {
            name: "lost-user".into(),
            ..Default::default()
        })
        .await
        .expect("AddUser answer lost: found by name");
    assert_lost(&env.sim, "AddUser");
    env.sim.faults().clear();
    let users: Vec<_> = i.users().try_collect::<Vec<_>>().await.expect("users");
    let named: Vec<_> = users.iter().filter(|x| x.name == "lost-user").collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, u.id);
    env.sim.shutdown().await;
}

#[tokio::test]
async fn lost_put_bucket_makes_one_bucket() {
    let env = start(45, 0).await;
    let p = connect(&env.account).await;
    let s = scope(&*p, &env.sim).await;
    let st = p.storage().expect("storage");
    lose_all(&env.sim, "PutBucket");
    let b = st
        .create_bucket(&multicloud::model::BucketSpec {
            name: "lost-bucket".into(),
            region: s.region.clone(),
            ..Default::default()
        })
        .await
        .expect("PutBucket answers lost: the bucket is there");
    let sent = assert_lost(&env.sim, "PutBucket");
    env.sim.faults().clear();
    let buckets: Vec<_> = st.buckets().try_collect::<Vec<_>>().await.expect("buckets");
    let named: Vec<_> = buckets.iter().filter(|x| x.name == b.name).collect();
    assert_eq!(named.len(), 1, "{sent} attempts, one bucket");
    assert!(b.name.starts_with("lost-bucket"));
    // A create of a bucket that existed before is AlreadyExists.
    let e = st
        .create_bucket(&multicloud::model::BucketSpec {
            name: "lost-bucket".into(),
            region: s.region.clone(),
            ..Default::default()
        })
        .await
        .expect_err("exists");
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    env.sim.shutdown().await;
}
