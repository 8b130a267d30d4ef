//! The Alibaba Cloud RPC frontend (ECS, VPC, RAM, BSS, STS) from raw HTTP
//! clients: ACS3 and HMAC-SHA1 signatures, routing, paging, error bodies,
//! faults.
#![cfg(feature = "alibaba")]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use multicloud_sim::estate::{
    AccountState, Balance, Credentials, IamState, NewSubnet, NewVpc, SecretString,
};
use multicloud_sim::frontend::percent_encode_strict;
use multicloud_sim::frontends::alibaba::{AlibabaRpc, sign};
use multicloud_sim::{
    Ctx, Estate, FaultKind, FaultRule, Frontend, Scope, Sim, SimHandle, SimRequest,
};
use rust_decimal::Decimal;
use serde_json::Value;

const HOSTS: &[&str] = &[
    "ecs.cn-hangzhou.aliyuncs.com",
    "ecs.aliyuncs.com",
    "vpc.cn-hangzhou.aliyuncs.com",
    "ram.aliyuncs.com",
    "business.ap-southeast-1.aliyuncs.com",
    "sts.aliyuncs.com",
];

async fn start(instances: usize) -> SimHandle {
    Sim::builder()
        .seed(5)
        .providers(&["alibaba"])
        .regions(1)
        .instances_per_region(instances)
        .start()
        .await
        .unwrap()
}

fn client(sim: &SimHandle) -> reqwest::Client {
    let mut b = reqwest::Client::builder().pool_max_idle_per_host(0);
    for h in HOSTS {
        b = b.resolve(h, sim.addr());
    }
    b.build().unwrap()
}

/// One RPC call description.
struct Call<'a> {
    host: &'a str,
    action: &'a str,
    version: &'a str,
    params: Vec<(String, String)>,
    ak: String,
    sk: String,
    token: Option<String>,
    date: DateTime<Utc>,
}

impl<'a> Call<'a> {
    fn new(sim: &SimHandle, host: &'a str, action: &'a str, version: &'a str) -> Self {
        let a = sim.accounts("alibaba").remove(0);
        Call {
            host,
            action,
            version,
            params: Vec::new(),
            ak: a.access_key_id,
            sk: a.secret_access_key.expose().to_string(),
            token: None,
            date: sim.clock().now(),
        }
    }

    fn p(mut self, k: &str, v: &str) -> Self {
        self.params.push((k.into(), v.into()));
        self
    }
}

fn query_string(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode_strict(k), percent_encode_strict(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Send an ACS3-signed call; `tamper` changes a parameter after signing.
async fn send_acs3(
    c: &reqwest::Client,
    sim: &SimHandle,
    call: &Call<'_>,
    tamper: bool,
) -> (u16, Value) {
    let host = format!("{}:{}", call.host, sim.addr().port());
    let date = call.date.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.clone()),
        ("x-acs-action".into(), call.action.into()),
        ("x-acs-version".into(), call.version.into()),
        ("x-acs-date".into(), date),
        ("x-acs-signature-nonce".into(), format!("{}", rand_nonce())),
        ("x-acs-content-sha256".into(), sign::sha256_hex(b"")),
    ];
    if let Some(t) = &call.token {
        headers.push(("x-acs-security-token".into(), t.clone()));
    }
    let auth =
        sign::acs3_authorization("POST", "/", &call.params, &headers, b"", &call.ak, &call.sk);
    let mut params = call.params.clone();
    if tamper {
        params.push(("Extra".into(), "1".into()));
    }
    let url = format!("http://{host}/?{}", query_string(&params));
    let mut req = c.post(url).header("authorization", auth);
    for (k, v) in &headers {
        if k != "host" {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn rand_nonce() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    u128::from(N.fetch_add(1, Ordering::SeqCst)) * 7919 + 12345
}

async fn acs3(c: &reqwest::Client, sim: &SimHandle, call: &Call<'_>) -> (u16, Value) {
    send_acs3(c, sim, call, false).await
}

fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["Code"], code, "{v}");
    for k in ["RequestId", "HostId", "Message", "Recommend"] {
        assert!(v[k].is_string(), "{k} missing in {v}");
    }
}

fn region(sim: &SimHandle) -> String {
    sim.accounts("alibaba")[0].regions[0].clone()
}

// ----- the documented example, at the frontend level -----

fn doc_estate() -> Estate {
    let e = Estate::empty(1);
    e.add_account(AccountState {
        provider: "alibaba".into(),
        id: "1234567890123456".into(),
        name: "doc".into(),
        credentials: Credentials {
            access_key_id: "YourAccessKeyId".into(),
            secret_access_key: SecretString("YourAccessKeySecret".into()),
        },
        extras: BTreeMap::new(),
        regions: BTreeMap::new(),
        iam: IamState::default(),
        costs: Vec::new(),
        balance: Balance {
            available: Decimal::ZERO,
            credit: Decimal::ZERO,
            currency: "CNY".into(),
        },
    })
    .unwrap();
    e
}

fn doc_request(region: &str) -> SimRequest {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("host", "ecs.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "RunInstances"),
        ("x-acs-version", "2014-05-26"),
        ("x-acs-date", "2023-10-26T10:22:32Z"),
        ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
        (
            "x-acs-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "authorization",
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
        ),
    ] {
        h.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    SimRequest::new(
        Method::POST,
        "ecs.cn-shanghai.aliyuncs.com",
        &format!("/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId={region}"),
        h,
        Bytes::new(),
    )
}

#[test]
fn documented_acs3_example_verifies_and_tampering_is_rejected() {
    let estate = doc_estate();
    let signed_at = Utc.with_ymd_and_hms(2023, 10, 26, 10, 22, 32).unwrap();
    estate
        .clock()
        .set_offset_ms((signed_at - Utc::now()).num_milliseconds());
    let ctx = Ctx {
        estate: estate.clone(),
        clock: estate.clock().clone(),
        tls: false,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let fe = AlibabaRpc::new();
    let id = fe.verify(&ctx, &doc_request("cn-shanghai")).unwrap();
    assert_eq!(id.account, "1234567890123456");
    assert_eq!(fe.action(&doc_request("cn-shanghai")), "RunInstances");

    let err = fe.verify(&ctx, &doc_request("cn-beijing")).unwrap_err();
    assert_eq!(err.status.as_u16(), 400);
    let v: Value = serde_json::from_slice(&err.body).unwrap();
    assert_error(&v, "SignatureDoesNotMatch");
    assert_eq!(v["HostId"], "ecs.cn-shanghai.aliyuncs.com");

    // The same request an hour later is expired.
    estate.clock().advance_ms(3_600_000);
    let err = fe.verify(&ctx, &doc_request("cn-shanghai")).unwrap_err();
    let v: Value = serde_json::from_slice(&err.body).unwrap();
    assert_error(&v, "InvalidTimeStamp.Expired");
}

// ----- over the wire -----

#[tokio::test]
async fn signed_requests_route_by_host_and_version() {
    let sim = start(4).await;
    let c = client(&sim);
    let r = region(&sim);
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, "ecs.aliyuncs.com", "DescribeRegions", "2014-05-26"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Regions"]["Region"][0]["RegionId"], r.as_str());
    assert!(v["RequestId"].is_string());
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(
            &sim,
            "vpc.cn-hangzhou.aliyuncs.com",
            "DescribeVpcs",
            "2016-04-28",
        )
        .p("RegionId", &r),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        v["Vpcs"]["Vpc"].as_array().is_some_and(|a| !a.is_empty()),
        "{v}"
    );
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, "ram.aliyuncs.com", "ListUsers", "2015-05-01"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["IsTruncated"], false);
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(
            &sim,
            "business.ap-southeast-1.aliyuncs.com",
            "QueryAccountBalance",
            "2017-12-14",
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Success"], true);
    assert_eq!(v["Data"]["Currency"], "CNY");
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, "sts.aliyuncs.com", "GetCallerIdentity", "2015-04-01"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["AccountId"], sim.accounts("alibaba")[0].id.as_str());
    assert_eq!(v["IdentityType"], "Account");
    // The request log names the actions.
    let actions = sim.requests().actions();
    for a in [
        "DescribeRegions",
        "DescribeVpcs",
        "ListUsers",
        "QueryAccountBalance",
        "GetCallerIdentity",
    ] {
        assert!(actions.iter().any(|x| x == a), "{actions:?}");
    }
    assert!(sim.requests().mutating().is_empty());
}

#[tokio::test]
async fn instances_page_by_number_and_by_token() {
    let sim = start(23).await;
    let c = client(&sim);
    let r = region(&sim);
    let host = "ecs.cn-hangzhou.aliyuncs.com";
    let mut seen = Vec::new();
    for page in 1..=5 {
        let (s, v) = acs3(
            &c,
            &sim,
            &Call::new(&sim, host, "DescribeInstances", "2014-05-26")
                .p("RegionId", &r)
                .p("PageNumber", &page.to_string())
                .p("PageSize", "5"),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["TotalCount"], 23);
        assert_eq!(v["PageNumber"], page);
        assert_eq!(v["PageSize"], 5);
        let items = v["Instances"]["Instance"].as_array().unwrap();
        assert_eq!(items.len(), if page < 5 { 5 } else { 3 });
        seen.extend(
            items
                .iter()
                .map(|i| i["InstanceId"].as_str().unwrap().to_string()),
        );
    }
    let mut d = seen.clone();
    d.sort();
    d.dedup();
    assert_eq!(d.len(), 23);
    assert!(
        seen.iter().all(|i| i.starts_with("i-") && i.len() == 22),
        "{seen:?}"
    );

    // Past the end: an empty page, same total.
    let (_, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, host, "DescribeInstances", "2014-05-26")
            .p("RegionId", &r)
            .p("PageNumber", "6")
            .p("PageSize", "5"),
    )
    .await;
    assert_eq!(v["Instances"]["Instance"].as_array().unwrap().len(), 0);
    assert_eq!(v["TotalCount"], 23);

    // NextToken / MaxResults.
    let mut token: Option<String> = None;
    let mut by_token = Vec::new();
    let mut pages = 0;
    loop {
        let mut call = Call::new(&sim, host, "DescribeInstances", "2014-05-26")
            .p("RegionId", &r)
            .p("MaxResults", "10");
        if let Some(t) = &token {
            call = call.p("NextToken", t);
        }
        let (s, v) = acs3(&c, &sim, &call).await;
        assert_eq!(s, 200, "{v}");
        pages += 1;
        by_token.extend(
            v["Instances"]["Instance"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["InstanceId"].as_str().unwrap().to_string()),
        );
        match v["NextToken"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(by_token, seen);

    // Limits as documented.
    for (k, val, code) in [
        ("PageSize", "101", "InvalidPageSize"),
        ("PageNumber", "0", "InvalidPageNumber"),
        ("NextToken", "bogus", "InvalidNextToken"),
    ] {
        let (s, v) = acs3(
            &c,
            &sim,
            &Call::new(&sim, host, "DescribeInstances", "2014-05-26")
                .p("RegionId", &r)
                .p(k, val),
        )
        .await;
        assert_eq!(s, 400, "{k}={val}: {v}");
        assert_error(&v, code);
    }

    // MaxResults is clamped to 10..=100, as documented.
    for (mr, n) in [("1", 10), ("101", 23)] {
        let (s, v) = acs3(
            &c,
            &sim,
            &Call::new(&sim, host, "DescribeInstances", "2014-05-26")
                .p("RegionId", &r)
                .p("MaxResults", mr),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            v["Instances"]["Instance"].as_array().unwrap().len(),
            n,
            "MaxResults={mr}"
        );
    }

    // Filters: ids as a JSON array, tags.
    let ids = format!("[\"{}\",\"{}\"]", seen[0], seen[1]);
    let (_, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, host, "DescribeInstances", "2014-05-26")
            .p("RegionId", &r)
            .p("InstanceIds", &ids),
    )
    .await;
    assert_eq!(v["TotalCount"], 2, "{v}");
}

#[tokio::test]
async fn ram_users_page_with_marker() {
    let sim = start(1).await;
    let c = client(&sim);
    let mut marker: Option<String> = None;
    let mut names = Vec::new();
    loop {
        let mut call =
            Call::new(&sim, "ram.aliyuncs.com", "ListUsers", "2015-05-01").p("MaxItems", "1");
        if let Some(m) = &marker {
            call = call.p("Marker", m);
        }
        let (s, v) = acs3(&c, &sim, &call).await;
        assert_eq!(s, 200, "{v}");
        names.extend(
            v["Users"]["User"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["UserName"].as_str().unwrap().to_string()),
        );
        if v["IsTruncated"] == true {
            marker = v["Marker"].as_str().map(str::to_string);
        } else {
            assert!(v.get("Marker").is_none());
            break;
        }
    }
    let all = sim
        .estate()
        .users("alibaba", &sim.accounts("alibaba")[0].id)
        .unwrap();
    assert_eq!(names.len(), all.len());
    assert!(names.len() >= 2);
}

#[tokio::test]
async fn errors_have_the_vendor_shape_and_status() {
    let sim = start(2).await;
    let c = client(&sim);
    let r = region(&sim);
    let host = "ecs.cn-hangzhou.aliyuncs.com";
    let ecs = |a: &'static str| Call::new(&sim, host, a, "2014-05-26").p("RegionId", &r);

    let (s, v) = acs3(
        &c,
        &sim,
        &ecs("StartInstance").p("InstanceId", "i-doesnotexist00000000"),
    )
    .await;
    assert_eq!(s, 404);
    assert_error(&v, "InvalidInstanceId.NotFound");
    assert_eq!(v["HostId"], host);

    let (s, v) = acs3(
        &c,
        &sim,
        &ecs("DetachDisk")
            .p("DiskId", "d-doesnotexist00000000")
            .p("InstanceId", "i-doesnotexist00000000"),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    assert_error(&v, "InvalidDiskId.NotFound");
    // DeleteDisk ignores a DiskId that does not exist (API reference).
    let (s, v) = acs3(
        &c,
        &sim,
        &ecs("DeleteDisk").p("DiskId", "d-doesnotexist00000000"),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    let (s, v) = acs3(&c, &sim, &ecs("StartInstance")).await;
    assert_eq!(s, 400);
    assert_error(&v, "MissingInstanceId");

    let (s, v) = acs3(&c, &sim, &ecs("NoSuchThing")).await;
    assert_eq!(s, 404);
    assert_error(&v, "InvalidApi.NotFound");

    // A running instance: start is a wrong state, delete needs Force.
    let scope = Scope::new("alibaba", sim.accounts("alibaba")[0].id.clone(), r.clone());
    sim.clock().advance_ms(60_000);
    let running = sim
        .estate()
        .instances(&scope, &Default::default(), &Default::default())
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.state == multicloud_sim::estate::InstanceState::Running)
        .unwrap();
    let (s, v) = acs3(
        &c,
        &sim,
        &ecs("StartInstance")
            .p("InstanceId", &running.id)
            .date_now(&sim),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert_error(&v, "IncorrectInstanceStatus");
    let (s, v) = acs3(
        &c,
        &sim,
        &ecs("DeleteInstance")
            .p("InstanceId", &running.id)
            .date_now(&sim),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert_error(&v, "IncorrectInstanceStatus");

    // A VPC with a vSwitch cannot be deleted.
    let vpc = sim
        .estate()
        .create_vpc(
            &scope,
            NewVpc {
                name: "v".into(),
                cidr: "10.9.0.0/16".into(),
                ..Default::default()
            },
        )
        .unwrap();
    sim.estate()
        .create_subnet(
            &scope,
            NewSubnet {
                vpc_id: vpc.id.clone(),
                name: "s".into(),
                zone: None,
                cidr: "10.9.1.0/24".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(
            &sim,
            "vpc.cn-hangzhou.aliyuncs.com",
            "DeleteVpc",
            "2016-04-28",
        )
        .p("RegionId", &r)
        .p("VpcId", &vpc.id)
        .date_now(&sim),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert_error(&v, "DependencyViolation.VSwitch");
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(
            &sim,
            "vpc.cn-hangzhou.aliyuncs.com",
            "DeleteVpc",
            "2016-04-28",
        )
        .p("RegionId", &r)
        .p("VpcId", "vpc-missing")
        .date_now(&sim),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    assert_error(&v, "InvalidVpcId.NotFound");

    // Unknown key, wrong signature.
    let mut call = ecs("DescribeRegions").date_now(&sim);
    call.ak = "LTAInobodyhasthiskey00".into();
    let (s, v) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 404);
    assert_error(&v, "InvalidAccessKeyId.NotFound");
    let (s, v) = send_acs3(&c, &sim, &ecs("DescribeRegions").date_now(&sim), true).await;
    assert_eq!(s, 400);
    assert_error(&v, "SignatureDoesNotMatch");
    let mut call = ecs("DescribeRegions").date_now(&sim);
    call.sk.push('x');
    let (s, v) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 400);
    assert_error(&v, "SignatureDoesNotMatch");
}

impl Call<'_> {
    fn date_now(mut self, sim: &SimHandle) -> Self {
        self.date = sim.clock().now();
        self
    }
}

#[tokio::test]
async fn run_instances_is_idempotent_with_client_token() {
    let sim = start(1).await;
    let c = client(&sim);
    let r = region(&sim);
    let scope = Scope::new("alibaba", sim.accounts("alibaba")[0].id.clone(), r.clone());
    let (image, ty) = sim
        .estate()
        .with_region(&scope, |x| {
            (
                x.images.keys().next().unwrap().clone(),
                x.instance_types[0].id.clone(),
            )
        })
        .unwrap();
    let before = sim.estate().count_instances(&scope).unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (s, v) = acs3(
            &c,
            &sim,
            &Call::new(
                &sim,
                "ecs.cn-hangzhou.aliyuncs.com",
                "RunInstances",
                "2014-05-26",
            )
            .p("RegionId", &r)
            .p("ImageId", &image)
            .p("InstanceType", &ty)
            .p("InstanceName", "web")
            .p("ClientToken", "tok-1"),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        ids.push(
            v["InstanceIdSets"]["InstanceIdSet"][0]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(sim.estate().count_instances(&scope).unwrap(), before + 1);
    let log = sim.requests().mutating();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|l| l.action == "RunInstances"));
}

#[tokio::test]
async fn throttle_fault_answers_throttling_user() {
    let sim = Sim::builder()
        .seed(5)
        .providers(&["alibaba"])
        .regions(1)
        .instances_per_region(1)
        .fault(FaultRule::new("alibaba", "DescribeInstances").rate_limit(0.001, 1))
        .start()
        .await
        .unwrap();
    let c = client(&sim);
    let r = region(&sim);
    let call = || {
        Call::new(
            &sim,
            "ecs.cn-hangzhou.aliyuncs.com",
            "DescribeInstances",
            "2014-05-26",
        )
        .p("RegionId", &r)
    };
    let (s, _) = acs3(&c, &sim, &call()).await;
    assert_eq!(s, 200);
    let (s, v) = acs3(&c, &sim, &call()).await;
    assert_eq!(s, 400, "{v}");
    assert_error(&v, "Throttling.User");
    assert_eq!(v["Message"], "Request was denied due to user flow control.");
    let last = sim.requests().entries().pop().unwrap();
    assert_eq!(last.fault, Some(FaultKind::Throttled));
    // Other actions are not limited.
    let (s, _) = acs3(
        &c,
        &sim,
        &Call::new(&sim, "ecs.aliyuncs.com", "DescribeRegions", "2014-05-26"),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn server_error_fault_answers_internal_error() {
    let sim = Sim::builder()
        .seed(5)
        .providers(&["alibaba"])
        .regions(1)
        .instances_per_region(1)
        .fault(FaultRule::new("alibaba", "DescribeRegions").error_rate(1.0))
        .start()
        .await
        .unwrap();
    let c = client(&sim);
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, "ecs.aliyuncs.com", "DescribeRegions", "2014-05-26"),
    )
    .await;
    assert_eq!(s, 500, "{v}");
    assert_error(&v, "InternalError");
}

#[tokio::test]
async fn clock_skew_answers_expired_timestamp() {
    let sim = start(1).await;
    let c = client(&sim);
    // Signed 20 minutes in the past: beyond the 15 minutes Alibaba allows.
    let mut call = Call::new(&sim, "ecs.aliyuncs.com", "DescribeRegions", "2014-05-26");
    call.date = sim.clock().now() - chrono::Duration::minutes(20);
    let (s, v) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 400, "{v}");
    assert_error(&v, "InvalidTimeStamp.Expired");
    // The sim clock skewed instead.
    sim.clock().set_offset_ms(30 * 60 * 1000);
    let mut call = Call::new(&sim, "ecs.aliyuncs.com", "DescribeRegions", "2014-05-26");
    call.date = Utc::now();
    let (s, v) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 400, "{v}");
    assert_error(&v, "InvalidTimeStamp.Expired");

    // The fault's tighter limit.
    let sim = Sim::builder()
        .seed(5)
        .providers(&["alibaba"])
        .regions(1)
        .instances_per_region(1)
        .fault(FaultRule::new("alibaba", "*").max_clock_skew_secs(60))
        .start()
        .await
        .unwrap();
    let c = client(&sim);
    let mut call = Call::new(&sim, "ecs.aliyuncs.com", "DescribeRegions", "2014-05-26");
    call.date = sim.clock().now() - chrono::Duration::minutes(3);
    let (s, v) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 400, "{v}");
    assert_error(&v, "InvalidTimeStamp.Expired");
    assert_eq!(
        sim.requests().entries().pop().unwrap().fault,
        Some(FaultKind::ClockSkew)
    );
}

#[tokio::test]
async fn hmac_sha1_rpc_signature_is_verified() {
    let sim = start(3).await;
    let c = client(&sim);
    let a = sim.accounts("alibaba").remove(0);
    let ts = sim.clock().now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut params: Vec<(String, String)> = [
        ("Action", "DescribeInstances"),
        ("Version", "2014-05-26"),
        ("Format", "JSON"),
        ("RegionId", a.regions[0].as_str()),
        ("AccessKeyId", a.access_key_id.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "nonce-1"),
        ("Timestamp", ts.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let sig = sign::rpc_v1_signature("GET", &params, a.secret_access_key.expose());
    params.push(("Signature".into(), sig));
    let port = sim.addr().port();
    let r = c
        .get(format!(
            "http://ecs.aliyuncs.com:{port}/?{}",
            query_string(&params)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["TotalCount"], 3, "{v}");
    // Tampered: another region.
    let tampered: Vec<(String, String)> = params
        .into_iter()
        .map(|(k, v)| {
            if k == "RegionId" {
                (k, "cn-beijing".into())
            } else {
                (k, v)
            }
        })
        .collect();
    let r = c
        .get(format!(
            "http://ecs.aliyuncs.com:{port}/?{}",
            query_string(&tampered)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_error(&v, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn assume_role_issues_keys_accepted_with_their_token() {
    let sim = start(1).await;
    let c = client(&sim);
    let account = sim.accounts("alibaba")[0].id.clone();
    let role = sim
        .estate()
        .iam("alibaba", &account, |i| i.roles.values().next().cloned())
        .unwrap()
        .unwrap();
    let arn = format!("acs:ram::{account}:role/{}", role.name);
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, "sts.aliyuncs.com", "AssumeRole", "2015-04-01")
            .p("RoleArn", &arn)
            .p("RoleSessionName", "s1")
            .p("DurationSeconds", "900"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let cred = &v["Credentials"];
    let mut call = Call::new(&sim, "sts.aliyuncs.com", "GetCallerIdentity", "2015-04-01");
    call.ak = cred["AccessKeyId"].as_str().unwrap().into();
    call.sk = cred["AccessKeySecret"].as_str().unwrap().into();
    call.token = cred["SecurityToken"].as_str().map(str::to_string);
    let (s, who) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 200, "{who}");
    assert_eq!(who["IdentityType"], "AssumedRoleUser");
    assert_eq!(who["AccountId"], account.as_str());
    call.token = None;
    let (s, e) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 400);
    assert_error(&e, "InvalidSecurityToken.MismatchWithAccessKey");
    // After the 900 seconds the token is expired.
    sim.clock().advance_ms(901_000);
    call.token = cred["SecurityToken"].as_str().map(str::to_string);
    call.date = sim.clock().now();
    let (s, e) = acs3(&c, &sim, &call).await;
    assert_eq!(s, 400, "{e}");
    assert_error(&e, "InvalidSecurityToken.Expired");
}

#[tokio::test]
async fn instance_bill_pages_with_next_token_and_sums_to_the_estate() {
    let sim = start(6).await;
    let c = client(&sim);
    let account = sim.accounts("alibaba")[0].id.clone();
    let lines = sim
        .estate()
        .with_account("alibaba", &account, |a| a.costs.clone())
        .unwrap();
    let month = lines
        .iter()
        .find(|l| l.granularity == multicloud_sim::estate::Granularity::Monthly)
        .unwrap()
        .period_start;
    let cycle = month.format("%Y-%m").to_string();
    let host = "business.ap-southeast-1.aliyuncs.com";
    let mut token: Option<String> = None;
    let mut sum = Decimal::ZERO;
    let mut n = 0;
    let mut pages = 0;
    loop {
        let mut call = Call::new(&sim, host, "DescribeInstanceBill", "2017-12-14")
            .p("BillingCycle", &cycle)
            .p("MaxResults", "2");
        if let Some(t) = &token {
            call = call.p("NextToken", t);
        }
        let (s, v) = acs3(&c, &sim, &call).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["Code"], "Success");
        pages += 1;
        for item in v["Data"]["Items"].as_array().unwrap() {
            n += 1;
            sum += Decimal::from_str_exact(&item["PretaxAmount"].to_string()).unwrap();
        }
        match v["Data"]["NextToken"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    assert!(pages >= 2, "pages={pages}");
    let want = sim.estate().cost_total("alibaba", &account, month).unwrap();
    let total = want.values().copied().sum::<Decimal>();
    assert!(n >= 2);
    assert!(
        (sum - total).abs() < Decimal::new(1, 2),
        "sum={sum} total={total}"
    );

    // DAILY needs a BillingDate.
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(&sim, host, "DescribeInstanceBill", "2017-12-14")
            .p("BillingCycle", &cycle)
            .p("Granularity", "DAILY"),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert_error(&v, "MissingBillingDate");
}

#[tokio::test]
async fn tag_filter_selects_instances() {
    let sim = start(5).await;
    let c = client(&sim);
    let r = region(&sim);
    let scope = Scope::new("alibaba", sim.accounts("alibaba")[0].id.clone(), r.clone());
    let ids: Vec<String> = sim
        .estate()
        .instances(&scope, &Default::default(), &Default::default())
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.id)
        .collect();
    for id in &ids[..2] {
        sim.estate()
            .tag_instance(&scope, id, &[("team".into(), Some("blue-sim".into()))])
            .unwrap();
    }
    let (s, v) = acs3(
        &c,
        &sim,
        &Call::new(
            &sim,
            "ecs.cn-hangzhou.aliyuncs.com",
            "DescribeInstances",
            "2014-05-26",
        )
        .p("RegionId", &r)
        .p("Tag.1.Key", "team")
        .p("Tag.1.Value", "blue-sim"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["TotalCount"], 2);
    let tags = &v["Instances"]["Instance"][0]["Tags"]["Tag"];
    assert!(
        tags.as_array()
            .unwrap()
            .iter()
            .any(|t| t["TagKey"] == "team" && t["TagValue"] == "blue-sim"),
        "{tags}"
    );
}

#[tokio::test]
async fn ram_group_membership_lists_joins_and_leaves() {
    let sim = start(1).await;
    let c = client(&sim);
    let account = sim.accounts("alibaba")[0].id.clone();
    sim.estate()
        .create_user(
            "alibaba",
            &account,
            multicloud_sim::estate::NewIamUser {
                name: "grouped".into(),
                display_name: None,
                email: None,
                tags: Default::default(),
            },
        )
        .unwrap();
    let ram = |action| Call::new(&sim, "ram.aliyuncs.com", action, "2015-05-01");
    let groups_of = |v: &Value| -> Vec<String> {
        v["Groups"]["Group"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["GroupName"].as_str().unwrap().to_string())
            .collect()
    };

    let (s, v) = acs3(&c, &sim, &ram("ListGroupsForUser").p("UserName", "grouped")).await;
    assert_eq!(s, 200, "{v}");
    assert!(groups_of(&v).is_empty());

    let (s, v) = acs3(
        &c,
        &sim,
        &ram("AddUserToGroup")
            .p("UserName", "grouped")
            .p("GroupName", "admins"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["RequestId"].is_string());

    let (s, v) = acs3(&c, &sim, &ram("ListGroupsForUser").p("UserName", "grouped")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(groups_of(&v), vec!["admins"]);
    let g = &v["Groups"]["Group"][0];
    for k in ["GroupId", "Comments", "JoinDate"] {
        assert!(g[k].is_string(), "{k} missing in {g}");
    }
    assert!(v["RequestId"].is_string());

    // A member of a group cannot be deleted.
    let (s, v) = acs3(&c, &sim, &ram("DeleteUser").p("UserName", "grouped")).await;
    assert_eq!(s, 409, "{v}");
    assert_error(&v, "DeleteConflict.User.Group");

    let (s, v) = acs3(
        &c,
        &sim,
        &ram("RemoveUserFromGroup")
            .p("UserName", "grouped")
            .p("GroupName", "admins"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = acs3(&c, &sim, &ram("ListGroupsForUser").p("UserName", "grouped")).await;
    assert!(groups_of(&v).is_empty());
    let (s, v) = acs3(&c, &sim, &ram("DeleteUser").p("UserName", "grouped")).await;
    assert_eq!(s, 200, "{v}");

    // Unknown user, unknown group.
    let (s, v) = acs3(&c, &sim, &ram("ListGroupsForUser").p("UserName", "grouped")).await;
    assert_eq!(s, 404, "{v}");
    assert_error(&v, "EntityNotExist.User");
    let (s, v) = acs3(
        &c,
        &sim,
        &ram("RemoveUserFromGroup")
            .p("UserName", "user-0")
            .p("GroupName", "no-such-group"),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    assert_error(&v, "EntityNotExist.Group");
}
