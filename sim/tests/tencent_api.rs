//! The Tencent API 3.0 frontend over HTTP: signature, paging, error shapes,
//! throttle, clock skew, temporary credentials.
#![cfg(feature = "tencent")]

mod tencent_common;

use std::collections::BTreeSet;

use multicloud_sim::estate::{GenConfig, SecretString};
use multicloud_sim::frontends::tencent;
use multicloud_sim::{Estate, FaultRule, Scope, Sim};
use serde_json::json;
use tencent_common::{Api, code, start};

const DOC_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const DOC_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const DOC_BODY: &str =
    r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
const DOC_SIG: &str = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";

/// The request of Tencent's "Signature v3" worked example, sent verbatim.
async fn doc_request(body: &str) -> (u16, serde_json::Value) {
    let e = Estate::empty(5);
    for f in tencent::frontends() {
        f.setup(&e);
    }
    e.populate(&GenConfig {
        providers: vec!["tencent".into()],
        regions: 1,
        instances_per_region: 3,
        ..GenConfig::default()
    });
    e.write(|d| {
        d.accounts[0].credentials.access_key_id = DOC_ID.into();
        d.accounts[0].credentials.secret_access_key = SecretString(DOC_KEY.into());
    });
    let sim = Sim::builder().estate(e).start().await.unwrap();
    let now_ms = chrono::Utc::now().timestamp_millis();
    sim.clock().set_offset_ms(1_551_113_065_000 - now_ms);
    let c = reqwest::Client::builder()
        .resolve("cvm.tencentcloudapi.com", sim.addr())
        .build()
        .unwrap();
    let r = c
        .post(format!("http://cvm.tencentcloudapi.com:{}/", sim.addr().port()))
        .header("host", "cvm.tencentcloudapi.com")
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "authorization",
            format!("TC3-HMAC-SHA256 Credential={DOC_ID}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature={DOC_SIG}"),
        )
        .header("x-tc-action", "DescribeInstances")
        .header("x-tc-version", "2017-03-12")
        .header("x-tc-timestamp", "1551113065")
        .header("x-tc-region", "ap-guangzhou")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let v = r.json().await.unwrap();
    sim.shutdown().await;
    (s, v)
}

#[tokio::test]
async fn documented_signature_example_is_accepted_and_tampering_rejected() {
    let (s, v) = doc_request(DOC_BODY).await;
    assert_eq!(s, 200);
    assert_eq!(code(&v), "", "{v}");
    assert_eq!(v["Response"]["TotalCount"], 0, "{v}"); // no instance named 未命名
    assert!(v["Response"]["RequestId"].is_string());
    let (s, v) = doc_request(&DOC_BODY.replace("\"Limit\": 1", "\"Limit\": 2")).await;
    assert_eq!(s, 200);
    assert_eq!(code(&v), "AuthFailure.SignatureFailure", "{v}");
    assert!(v["Response"]["Error"]["Message"].is_string());
}

#[tokio::test]
async fn describe_instances_pages_with_offset_limit_and_total_count() {
    let sim = start(23).await;
    let api = Api::new(&sim);
    let mut seen = BTreeSet::new();
    let mut sizes = Vec::new();
    for offset in (0..30).step_by(10) {
        let (s, v) = api
            .call(
                "cvm",
                "DescribeInstances",
                json!({"Offset": offset, "Limit": 10}),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["Response"]["TotalCount"], 23, "{v}");
        let set = v["Response"]["InstanceSet"].as_array().unwrap();
        sizes.push(set.len());
        for i in set {
            assert!(i["InstanceId"].as_str().unwrap().starts_with("ins-"));
            assert!(
                i["Placement"]["Zone"]
                    .as_str()
                    .unwrap()
                    .starts_with(&api.region)
            );
            seen.insert(i["InstanceId"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(sizes, vec![10, 10, 3]);
    assert_eq!(seen.len(), 23);
    // Default limit 20; Limit above 100 is rejected.
    let (_, v) = api.call("cvm", "DescribeInstances", json!({})).await;
    assert_eq!(v["Response"]["InstanceSet"].as_array().unwrap().len(), 20);
    let (s, v) = api
        .call("cvm", "DescribeInstances", json!({"Limit": 101}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(code(&v), "InvalidParameterValue.Range");
    // Filters by id, zone and tag.
    let first = seen.iter().next().unwrap().clone();
    let (_, v) = api
        .call("cvm", "DescribeInstances", json!({"InstanceIds": [first]}))
        .await;
    assert_eq!(v["Response"]["TotalCount"], 1);
    let zone = format!("{}-3", api.region);
    let (_, v) = api
        .call(
            "cvm",
            "DescribeInstances",
            json!({"Filters": [{"Name": "zone", "Values": [zone]}], "Limit": 100}),
        )
        .await;
    let n = v["Response"]["TotalCount"].as_u64().unwrap();
    assert!(n > 0 && n < 23, "{n}");
    let (_, v) = api
        .call(
            "cvm",
            "DescribeInstances",
            json!({"Filters": [{"Name": "tag:nope", "Values": ["x"]}]}),
        )
        .await;
    assert_eq!(v["Response"]["TotalCount"], 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_have_the_documented_shapes() {
    let sim = start(3).await;
    sim.estate()
        .set_timings(multicloud_sim::estate::Timings::instant());
    let mut api = Api::new(&sim);
    let (s, v) = api
        .call(
            "cvm",
            "StartInstances",
            json!({"InstanceIds": ["ins-missing1"]}),
        )
        .await;
    assert_eq!((s, code(&v)), (200, "InvalidInstanceId.NotFound"), "{v}");
    assert!(v["Response"]["RequestId"].is_string());
    // A running instance cannot be started.
    let scope = Scope::new("tencent", &sim.accounts("tencent")[0].id, &api.region);
    let running = sim
        .estate()
        .instances(&scope, &Default::default(), &Default::default())
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.state == multicloud_sim::estate::InstanceState::Running)
        .unwrap();
    let (_, v) = api
        .call(
            "cvm",
            "StartInstances",
            json!({"InstanceIds": [running.id]}),
        )
        .await;
    assert_eq!(code(&v), "UnsupportedOperation.InstanceStateRunning", "{v}");
    // In transition: stopping takes time.
    sim.estate()
        .set_timings(multicloud_sim::estate::Timings::default());
    let (_, v) = api
        .call(
            "cvm",
            "StopInstances",
            json!({"InstanceIds": [running.id], "StoppedMode": "STOP_CHARGING", "StopType": "SOFT"}),
        )
        .await;
    assert_eq!(code(&v), "", "{v}");
    let (_, v) = api
        .call(
            "cvm",
            "StartInstances",
            json!({"InstanceIds": [running.id]}),
        )
        .await;
    assert_eq!(
        code(&v),
        "OperationDenied.InstanceOperationInProgress",
        "{v}"
    );
    sim.clock().advance_ms(1_000);
    let (_, v) = api
        .call(
            "cvm",
            "DescribeInstances",
            json!({"InstanceIds": [running.id]}),
        )
        .await;
    let i = &v["Response"]["InstanceSet"][0];
    assert_eq!(i["InstanceState"], "STOPPED");
    assert_eq!(i["StopChargingMode"], "STOP_CHARGING");
    // A VPC with subnets cannot be deleted.
    let (_, v) = api.call("vpc", "DescribeVpcs", json!({})).await;
    let vpc = v["Response"]["VpcSet"][0]["VpcId"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = api.call("vpc", "DeleteVpc", json!({"VpcId": vpc})).await;
    assert_eq!(code(&v), "ResourceInUse", "{v}");
    let (_, v) = api
        .call("vpc", "DeleteVpc", json!({"VpcId": "vpc-nothere1"}))
        .await;
    assert_eq!(code(&v), "ResourceNotFound", "{v}");
    let (_, v) = api
        .call(
            "cbs",
            "TerminateDisks",
            json!({"DiskIds": ["disk-nothere1"]}),
        )
        .await;
    assert_eq!(code(&v), "InvalidDiskId.NotFound", "{v}");
    let (_, v) = api.call("cam", "GetUser", json!({"Name": "nobody"})).await;
    assert_eq!(code(&v), "ResourceNotFound.UserNotExist", "{v}");
    let (_, v) = api
        .call("cvm", "DescribeInstances", json!({"InstanceID": ["ins-1"]}))
        .await;
    assert_eq!(code(&v), "UnknownParameter", "{v}");
    let (_, v) = api.call("cvm", "NoSuchThing", json!({})).await;
    assert_eq!(code(&v), "InvalidAction", "{v}");
    let (_, v) = api
        .call_v("cvm", "DescribeRegions", "2099-01-01", json!({}))
        .await;
    assert_eq!(code(&v), "NoSuchVersion", "{v}");
    api.region = "ap-nowhere".into();
    let (_, v) = api.call("cvm", "DescribeInstances", json!({})).await;
    assert_eq!(code(&v), "UnsupportedRegion", "{v}");
    // Unknown SecretId; wrong key; skewed clock.
    api.region = sim.accounts("tencent")[0].regions[0].clone();
    let good_id = api.id.clone();
    api.id = "AKIDunknown".into();
    let (s, v) = api.call("cvm", "DescribeRegions", json!({})).await;
    assert_eq!((s, code(&v)), (200, "AuthFailure.SecretIdNotFound"));
    api.id = good_id;
    let good_key = api.key.clone();
    api.key = "wrong".into();
    let (_, v) = api.call("cvm", "DescribeRegions", json!({})).await;
    assert_eq!(code(&v), "AuthFailure.SignatureFailure");
    api.key = good_key;
    api.ts_offset = -600;
    let (s, v) = api.call("cvm", "DescribeRegions", json!({})).await;
    assert_eq!((s, code(&v)), (200, "AuthFailure.SignatureExpire"), "{v}");
    api.ts_offset = 0;
    let (_, v) = api.call("cvm", "DescribeRegions", json!({})).await;
    assert_eq!(code(&v), "");
    assert_eq!(v["Response"]["TotalCount"], 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn throttle_and_server_error_faults_are_http_200_errors() {
    let sim = Sim::builder()
        .seed(9)
        .providers(&["tencent"])
        .regions(1)
        .instances_per_region(2)
        .fault(FaultRule::new("tencent", "DescribeZones").rate_limit(0.001, 1))
        .fault(FaultRule::new("tencent", "DescribeImages").error_rate(1.0))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let (_, v) = api.call("cvm", "DescribeZones", json!({})).await;
    assert_eq!(code(&v), "");
    let (s, v) = api.call("cvm", "DescribeZones", json!({})).await;
    assert_eq!((s, code(&v)), (200, "RequestLimitExceeded"), "{v}");
    let (s, v) = api.call("cvm", "DescribeImages", json!({})).await;
    assert_eq!((s, code(&v)), (200, "InternalError"), "{v}");
    sim.shutdown().await;
}

#[tokio::test]
async fn clock_skew_fault_gives_signature_expire() {
    let sim = Sim::builder()
        .seed(9)
        .providers(&["tencent"])
        .regions(1)
        .instances_per_region(1)
        .fault(FaultRule::new("tencent", "*").max_clock_skew_secs(60))
        .start()
        .await
        .unwrap();
    let mut api = Api::new(&sim);
    api.ts_offset = -120;
    let (s, v) = api.call("cvm", "DescribeRegions", json!({})).await;
    assert_eq!((s, code(&v)), (200, "AuthFailure.SignatureExpire"), "{v}");
    sim.shutdown().await;
}

#[tokio::test]
async fn run_instances_is_idempotent_and_resources_round_trip() {
    let sim = start(2).await;
    sim.estate()
        .set_timings(multicloud_sim::estate::Timings::instant());
    let api = Api::new(&sim);
    let (_, v) = api.call("cvm", "DescribeImages", json!({"Limit": 1})).await;
    let image = v["Response"]["ImageSet"][0]["ImageId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(image.starts_with("img-"));
    let zone = format!("{}-4", api.region);
    let req = json!({"ImageId": image, "InstanceType": "S5.MEDIUM4", "Placement": {"Zone": zone},
                     "ClientToken": "tok-1", "InstanceName": "web",
                     "DataDisks": [{"DiskSize": 50, "DiskType": "CLOUD_SSD"}],
                     "TagSpecification": [{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "test"}]}]});
    let (_, a) = api.call("cvm", "RunInstances", req.clone()).await;
    let (_, b) = api.call("cvm", "RunInstances", req).await;
    assert_eq!(
        a["Response"]["InstanceIdSet"], b["Response"]["InstanceIdSet"],
        "{a} {b}"
    );
    let id = a["Response"]["InstanceIdSet"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = api
        .call(
            "cvm",
            "DescribeInstances",
            json!({"Filters": [{"Name": "tag:env", "Values": ["test"]}]}),
        )
        .await;
    assert_eq!(v["Response"]["TotalCount"], 1);
    assert_eq!(v["Response"]["InstanceSet"][0]["CPU"], 2);
    assert_eq!(v["Response"]["InstanceSet"][0]["Memory"], 4);
    let data = v["Response"]["InstanceSet"][0]["DataDisks"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        data.len(),
        1,
        "one data disk even after the retried RunInstances: {v}"
    );
    assert_eq!(
        (data[0]["DiskSize"].as_u64(), data[0]["DiskType"].as_str()),
        (Some(50), Some("CLOUD_SSD"))
    );
    let (_, v) = api
        .call(
            "cbs",
            "DescribeDisks",
            json!({"Filters": [{"Name": "instance-id", "Values": [id]}]}),
        )
        .await;
    assert_eq!(v["Response"]["TotalCount"], 2, "system and data disk: {v}");
    // Disk create, attach, detach, terminate.
    let (_, v) = api
        .call("cbs", "CreateDisks", json!({"Placement": {"Zone": zone}, "DiskChargeType": "POSTPAID_BY_HOUR",
                                            "DiskType": "CLOUD_PREMIUM", "DiskSize": 20, "ClientToken": "d1"}))
        .await;
    let disk = v["Response"]["DiskIdSet"][0].as_str().unwrap().to_string();
    assert!(disk.starts_with("disk-"), "{v}");
    let (_, v) = api
        .call(
            "cbs",
            "AttachDisks",
            json!({"DiskIds": [disk], "InstanceId": id}),
        )
        .await;
    assert_eq!(code(&v), "", "{v}");
    let (_, v) = api
        .call("cbs", "DescribeDisks", json!({"DiskIds": [disk]}))
        .await;
    assert_eq!(v["Response"]["DiskSet"][0]["DiskState"], "ATTACHED", "{v}");
    assert_eq!(v["Response"]["DiskSet"][0]["InstanceId"], id.as_str());
    let (_, v) = api
        .call("cbs", "TerminateDisks", json!({"DiskIds": [disk]}))
        .await;
    assert_eq!(code(&v), "ResourceUnavailable.Attached", "{v}");
    api.call("cbs", "DetachDisks", json!({"DiskIds": [disk]}))
        .await;
    let (_, v) = api
        .call("cbs", "TerminateDisks", json!({"DiskIds": [disk]}))
        .await;
    assert_eq!(code(&v), "", "{v}");
    // EIP allocate, associate, release.
    let (_, v) = api
        .call("vpc", "AllocateAddresses", json!({"AddressCount": 1}))
        .await;
    let eip = v["Response"]["AddressSet"][0].as_str().unwrap().to_string();
    assert!(eip.starts_with("eip-"));
    api.call(
        "vpc",
        "AssociateAddress",
        json!({"AddressId": eip, "InstanceId": id}),
    )
    .await;
    let (_, v) = api
        .call("vpc", "DescribeAddresses", json!({"AddressIds": [eip]}))
        .await;
    assert_eq!(
        v["Response"]["AddressSet"][0]["AddressStatus"], "BIND",
        "{v}"
    );
    let (_, v) = api
        .call("vpc", "ReleaseAddresses", json!({"AddressIds": [eip]}))
        .await;
    assert_eq!(code(&v), "InvalidAddressIdStatus.NotPermit", "{v}");
    api.call("vpc", "DisassociateAddress", json!({"AddressId": eip}))
        .await;
    let (_, v) = api
        .call("vpc", "ReleaseAddresses", json!({"AddressIds": [eip]}))
        .await;
    assert_eq!(code(&v), "", "{v}");
    // VPC, subnet, security group and policy.
    let (_, v) = api
        .call(
            "vpc",
            "CreateVpc",
            json!({"VpcName": "t", "CidrBlock": "10.9.0.0/16"}),
        )
        .await;
    let vpc = v["Response"]["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let (_, v) = api
        .call(
            "vpc",
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.9.1.0/24", "Zone": zone}),
        )
        .await;
    let subnet = v["Response"]["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(v["Response"]["Subnet"]["TotalIpAddressCount"], 253);
    let (_, v) = api
        .call(
            "vpc",
            "CreateSecurityGroup",
            json!({"GroupName": "g", "GroupDescription": "d"}),
        )
        .await;
    let sg = v["Response"]["SecurityGroup"]["SecurityGroupId"]
        .as_str()
        .unwrap()
        .to_string();
    api.call("vpc", "CreateSecurityGroupPolicies", json!({"SecurityGroupId": sg, "SecurityGroupPolicySet":
        {"Ingress": [{"Protocol": "TCP", "Port": "80-90", "CidrBlock": "10.0.0.0/8", "Action": "ACCEPT"}]}})).await;
    let (_, v) = api
        .call(
            "vpc",
            "DescribeSecurityGroupPolicies",
            json!({"SecurityGroupId": sg}),
        )
        .await;
    let p = &v["Response"]["SecurityGroupPolicySet"]["Ingress"][0];
    assert_eq!(
        (
            p["Protocol"].as_str(),
            p["Port"].as_str(),
            p["Action"].as_str()
        ),
        (Some("TCP"), Some("80-90"), Some("ACCEPT")),
        "{v}"
    );
    api.call(
        "vpc",
        "DeleteSecurityGroupPolicies",
        json!({"SecurityGroupId": sg, "SecurityGroupPolicySet": {"Ingress": [{"PolicyIndex": 0}]}}),
    )
    .await;
    let (_, v) = api
        .call(
            "vpc",
            "DescribeSecurityGroupPolicies",
            json!({"SecurityGroupId": sg}),
        )
        .await;
    assert_eq!(
        v["Response"]["SecurityGroupPolicySet"]["Ingress"],
        json!([])
    );
    for (svc, action, p) in [
        ("vpc", "DeleteSecurityGroup", json!({"SecurityGroupId": sg})),
        ("vpc", "DeleteSubnet", json!({"SubnetId": subnet})),
        ("vpc", "DeleteVpc", json!({"VpcId": vpc})),
        ("cvm", "TerminateInstances", json!({"InstanceIds": [id]})),
    ] {
        let (_, v) = api.call(svc, action, p).await;
        assert_eq!(code(&v), "", "{action}: {v}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn cam_billing_and_sts() {
    let sim = start(2).await;
    let mut api = Api::new(&sim);
    let (_, v) = api
        .call("cam", "AddUser", json!({"Name": "alice", "UseApi": 1}))
        .await;
    let uin = v["Response"]["Uin"].as_u64().unwrap();
    assert!(
        v["Response"]["SecretId"]
            .as_str()
            .unwrap()
            .starts_with("AKID")
    );
    let (_, v) = api.call("cam", "ListPolicies", json!({"Rp": 200})).await;
    let policy = v["Response"]["List"][0]["PolicyId"].as_u64().unwrap();
    let (_, v) = api
        .call(
            "cam",
            "AttachUserPolicy",
            json!({"PolicyId": policy, "AttachUin": uin}),
        )
        .await;
    assert_eq!(code(&v), "", "{v}");
    let (_, v) = api
        .call(
            "cam",
            "ListAttachedUserAllPolicies",
            json!({"TargetUin": uin, "Rp": 10, "Page": 1, "AttachType": 0}),
        )
        .await;
    assert_eq!(v["Response"]["TotalNum"], 1, "{v}");
    assert_eq!(
        v["Response"]["PolicyList"][0]["PolicyId"],
        policy.to_string()
    );
    let (_, v) = api
        .call("cam", "ListAccessKeys", json!({"TargetUin": uin}))
        .await;
    assert_eq!(v["Response"]["AccessKeys"].as_array().unwrap().len(), 1);
    let (_, v) = api
        .call("cam", "DeleteUser", json!({"Name": "alice"}))
        .await;
    assert_eq!(code(&v), "OperationDenied.HaveKeys", "{v}");
    let (_, v) = api
        .call("cam", "DeleteUser", json!({"Name": "alice", "Force": 1}))
        .await;
    assert_eq!(code(&v), "", "{v}");
    let (_, v) = api.call("cam", "ListUsers", json!({})).await;
    assert!(
        v["Response"]["Data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["Name"] != "alice")
    );
    let (_, v) = api
        .call("cam", "DescribeRoleList", json!({"Page": 1, "Rp": 20}))
        .await;
    let arn = v["Response"]["List"][0]["RoleArn"]
        .as_str()
        .unwrap()
        .to_string();
    // Billing: balance in cents; bill lines of a month sum to the estate's total.
    let acct = sim.accounts("tencent")[0].id.clone();
    let bal = sim.estate().balance("tencent", &acct).unwrap();
    let (_, v) = api
        .call("billing", "DescribeAccountBalance", json!({}))
        .await;
    let cents = (bal.available * rust_decimal::Decimal::from(100)).trunc();
    assert_eq!(
        v["Response"]["Balance"].as_i64().unwrap().to_string(),
        cents.to_string()
    );
    let month = chrono::Utc::now().date_naive();
    let total = sim.estate().cost_total("tencent", &acct, month).unwrap();
    let mut sum = rust_decimal::Decimal::ZERO;
    let mut offset = 0;
    loop {
        let (_, v) = api
            .call(
                "billing",
                "DescribeBillDetail",
                json!({"Offset": offset, "Limit": 3, "Month": month.format("%Y-%m").to_string()}),
            )
            .await;
        let set = v["Response"]["DetailSet"].as_array().unwrap().clone();
        for d in &set {
            let c: rust_decimal::Decimal = d["ComponentSet"][0]["RealCost"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            sum += c;
        }
        offset += 3;
        if offset >= v["Response"]["Total"].as_u64().unwrap() as usize {
            break;
        }
    }
    assert_eq!(Some(&sum), total.get("CNY"), "{total:?}");
    // STS: temporary credentials work with X-TC-Token and only with it.
    let (_, v) = api
        .call(
            "sts",
            "AssumeRole",
            json!({"RoleArn": arn, "RoleSessionName": "s1"}),
        )
        .await;
    let cred = &v["Response"]["Credentials"];
    api.id = cred["TmpSecretId"].as_str().unwrap().to_string();
    api.key = cred["TmpSecretKey"].as_str().unwrap().to_string();
    let (_, v) = api.call("sts", "GetCallerIdentity", json!({})).await;
    assert_eq!(code(&v), "AuthFailure.TokenFailure", "{v}");
    api.token = Some(cred["Token"].as_str().unwrap().to_string());
    let (_, v) = api.call("sts", "GetCallerIdentity", json!({})).await;
    assert_eq!(v["Response"]["Type"], "CAMRole", "{v}");
    assert_eq!(v["Response"]["AccountId"], acct.as_str());
    sim.shutdown().await;
}

#[tokio::test]
async fn legacy_v1_signature_get_is_verified() {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let sim = start(3).await;
    let api = Api::new(&sim);
    let ts = sim.clock().now().timestamp().to_string();
    let mut params = [
        ("Action", "DescribeInstances".to_string()),
        ("Limit", "2".to_string()),
        ("Nonce", "4711".to_string()),
        ("Region", api.region.clone()),
        ("SecretId", api.id.clone()),
        ("Timestamp", ts),
        ("Version", "2017-03-12".to_string()),
    ];
    params.sort();
    let q = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(api.key.as_bytes()).unwrap();
    m.update(format!("GETcvm.tencentcloudapi.com/?{q}").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
    let enc = |s: &str| {
        s.replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    };
    for (sig, want) in [
        (sig.clone(), ""),
        (format!("x{sig}"), "AuthFailure.SignatureFailure"),
    ] {
        let url = format!(
            "http://cvm.tencentcloudapi.com:{}/?{q}&Signature={}",
            sim.addr().port(),
            enc(&sig)
        );
        let v: serde_json::Value = api
            .client
            .get(url)
            .header("host", "cvm.tencentcloudapi.com")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(code(&v), want, "{v}");
        if want.is_empty() {
            assert_eq!(v["Response"]["InstanceSet"].as_array().unwrap().len(), 2);
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn https_on_a_regional_host_without_x_tc_region() {
    let sim = Sim::builder()
        .seed(12)
        .providers(&["tencent"])
        .regions(2)
        .instances_per_region(4)
        .https(true)
        .start()
        .await
        .unwrap();
    let a = sim.accounts("tencent").remove(0);
    let region = a.regions[1].clone();
    let host = format!("cvm.{region}.tencentcloudapi.com");
    let ca = reqwest::Certificate::from_pem(sim.ca_pem().unwrap().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .resolve(&host, sim.addr())
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let body = br#"{"Limit": 3}"#.to_vec();
    let ts = sim.clock().now().timestamp();
    let auth = tencent_common::tc3_authorization(
        &a.access_key_id,
        a.secret_access_key.expose(),
        "cvm",
        &host,
        ts,
        "application/json",
        "",
        "POST",
        &body,
    );
    let v: serde_json::Value = c
        .post(format!("https://{host}:{}/", sim.addr().port()))
        .header("host", &host)
        .header("content-type", "application/json")
        .header("authorization", auth)
        .header("x-tc-action", "DescribeInstances")
        .header("x-tc-version", "2017-03-12")
        .header("x-tc-timestamp", ts.to_string())
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), "", "{v}");
    assert_eq!(v["Response"]["TotalCount"], 4);
    let zone = v["Response"]["InstanceSet"][0]["Placement"]["Zone"]
        .as_str()
        .unwrap();
    assert!(zone.starts_with(&region), "{zone} not in {region}");
    sim.shutdown().await;
}
