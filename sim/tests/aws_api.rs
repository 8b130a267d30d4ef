//! The AWS frontends over HTTP: paging, error shapes per protocol, signature
//! failures, faults (throttle, 5xx, clock skew), `aws-chunked` uploads and
//! virtual-hosted S3. Requests are signed by a small SigV4 signer built on
//! the verifier's published primitives (themselves checked against the AWS
//! vectors and botocore in `aws_sigv4.rs`).
#![cfg(feature = "aws")]

use chrono::{DateTime, Utc};
use multicloud_sim::frontends::aws::sigv4;
use multicloud_sim::{FaultRule, Scope, Sim, SimHandle};
use sha2::Digest;

struct Signer {
    key: String,
    secret: String,
    token: Option<String>,
}

struct Req<'a> {
    method: &'a str,
    service: &'a str,
    region: &'a str,
    host: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    s3: bool,
    time: DateTime<Utc>,
}

impl Signer {
    /// Headers to send: the request's plus x-amz-date, token, content hash
    /// (S3) and Authorization. Returns the seed signature too.
    fn sign(&self, r: &Req) -> (Vec<(String, String)>, String) {
        let date = r.time.format("%Y%m%dT%H%M%SZ").to_string();
        let mut h = r.headers.clone();
        h.push(("host".into(), r.host.clone()));
        h.push(("x-amz-date".into(), date.clone()));
        if let Some(t) = &self.token {
            h.push(("x-amz-security-token".into(), t.clone()));
        }
        let payload = match h.iter().find(|(k, _)| k == "x-amz-content-sha256") {
            Some((_, v)) => v.clone(),
            None => {
                let p = hex::encode(sha2::Sha256::digest(&r.body));
                if r.s3 {
                    h.push(("x-amz-content-sha256".into(), p.clone()));
                }
                p
            }
        };
        let mut names: Vec<String> = h.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        let input = sigv4::CanonicalInput {
            method: r.method,
            path: &r.path,
            query: &r.query,
            headers: &h,
            payload_hash: &payload,
            s3: r.s3,
        };
        let auth = sigv4::SigV4Auth {
            access_key_id: self.key.clone(),
            date: date[..8].to_string(),
            region: r.region.into(),
            service: r.service.into(),
            signed_headers: names.clone(),
            signature: String::new(),
            presigned: false,
        };
        let v = sigv4::expected_signature(&auth, &self.secret, &date, &input).unwrap();
        h.push((
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                self.key,
                auth.scope(),
                names.join(";"),
                v.expected
            ),
        ));
        (h, v.expected)
    }
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn send(addr: std::net::SocketAddr, r: &Req<'_>, headers: Vec<(String, String)>) -> Resp {
    let url = format!(
        "http://{addr}{}{}",
        r.path,
        if r.query.is_empty() {
            String::new()
        } else {
            format!("?{}", r.query)
        }
    );
    let client = reqwest::Client::new();
    let mut b = client.request(
        reqwest::Method::from_bytes(r.method.as_bytes()).unwrap(),
        url,
    );
    for (k, v) in headers {
        b = b.header(k, v);
    }
    let resp = b.body(r.body.clone()).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Resp {
        status,
        headers,
        body: resp.text().await.unwrap(),
    }
}

struct Env {
    sim: SimHandle,
    signer: Signer,
    account: String,
    region: String,
}

async fn env(rules: Vec<FaultRule>) -> Env {
    let mut b = Sim::builder()
        .seed(5)
        .providers(&["aws"])
        .regions(2)
        .instances_per_region(23);
    for r in rules {
        b = b.fault(r);
    }
    let sim = b.start().await.unwrap();
    let a = sim.accounts("aws").remove(0);
    Env {
        signer: Signer {
            key: a.access_key_id.clone(),
            secret: a.secret_access_key.expose().to_string(),
            token: None,
        },
        account: a.id.clone(),
        region: a.regions[0].clone(),
        sim,
    }
}

impl Env {
    fn now(&self) -> DateTime<Utc> {
        self.sim.clock().now()
    }

    fn query_req(&self, service: &'static str, form: &str) -> Req<'static> {
        let region: &'static str = Box::leak(self.region.clone().into_boxed_str());
        Req {
            method: "POST",
            service,
            region: if service == "iam" {
                "us-east-1"
            } else {
                region
            },
            host: format!("{service}.{region}.amazonaws.com"),
            path: "/".into(),
            query: String::new(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: form.as_bytes().to_vec(),
            s3: false,
            time: self.now(),
        }
    }

    async fn call(&self, r: &Req<'_>) -> Resp {
        let (h, _) = self.signer.sign(r);
        let addr = if r.s3 {
            self.sim.frontend_addr("aws-s3").unwrap()
        } else {
            self.sim.frontend_addr("aws").unwrap()
        };
        send(addr, r, h).await
    }
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len()..];
        let j = after.find(close).unwrap();
        out.push(&after[..j]);
        rest = &after[j..];
    }
    out
}

#[tokio::test]
async fn ec2_describe_instances_pages_to_the_estate_count() {
    let e = env(vec![]).await;
    let want = e
        .sim
        .estate()
        .count_instances(&Scope::new("aws", &e.account, &e.region))
        .unwrap();
    let mut token: Option<String> = None;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let mut form = "Action=DescribeInstances&Version=2016-11-15&MaxResults=5".to_string();
        if let Some(t) = &token {
            form.push_str(&format!(
                "&NextToken={}",
                multicloud_sim::frontend::percent_encode_strict(t)
            ));
        }
        let r = e.call(&e.query_req("ec2", &form)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(
            "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
        ));
        assert!(r.body.contains("<requestId>"));
        let page: Vec<String> = between(&r.body, "<instanceId>", "</instanceId>")
            .into_iter()
            .map(str::to_string)
            .collect();
        assert!(page.len() <= 5);
        ids.extend(page);
        pages += 1;
        token = between(&r.body, "<nextToken>", "</nextToken>")
            .first()
            .map(|s| s.to_string());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(ids.len(), want);
    assert_eq!(pages, want.div_ceil(5));
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), want, "no duplicates across pages");
    assert!(ids.iter().all(|i| i.starts_with("i-") && i.len() == 19));

    // MaxResults below 5: the EC2 error shape.
    let r = e
        .call(&e.query_req(
            "ec2",
            "Action=DescribeInstances&Version=2016-11-15&MaxResults=3",
        ))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("</Errors><RequestID>"), "{}", r.body);
    // Unknown instance.
    let r = e
        .call(&e.query_req(
            "ec2",
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0000000000000000f",
        ))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>InvalidInstanceID.NotFound</Code>"));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn signature_failures_per_protocol() {
    let mut e = env(vec![]).await;
    // EC2: a bad signature and an unknown key are AuthFailure (401).
    let good = e.signer.secret.clone();
    e.signer.secret = "wrong".into();
    let r = e
        .call(&e.query_req("ec2", "Action=DescribeRegions&Version=2016-11-15"))
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("<Code>AuthFailure</Code>"));
    // IAM: SignatureDoesNotMatch in the ErrorResponse shape.
    let r = e
        .call(&e.query_req("iam", "Action=ListUsers&Version=2010-05-08"))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"), "{}", r.body);
    assert!(r.body.contains("<RequestId>"));
    e.signer.secret = good;
    let key = std::mem::replace(&mut e.signer.key, "AKIANOTAREALKEY00000".into());
    let r = e
        .call(&e.query_req("sts", "Action=GetCallerIdentity&Version=2011-06-15"))
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("<Code>InvalidClientTokenId</Code>"),
        "{}",
        r.body
    );
    let r = e
        .call(&e.query_req("ec2", "Action=DescribeRegions&Version=2016-11-15"))
        .await;
    assert!(r.body.contains("<Code>AuthFailure</Code>"));
    e.signer.key = key;
    // Clock skew beyond 15 minutes.
    let mut old = e.query_req("ec2", "Action=DescribeRegions&Version=2016-11-15");
    old.time = e.now() - chrono::Duration::minutes(20);
    let r = e.call(&old).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>RequestExpired</Code>"), "{}", r.body);
    let mut old = e.query_req("iam", "Action=ListUsers&Version=2010-05-08");
    old.time = e.now() - chrono::Duration::minutes(20);
    let r = e.call(&old).await;
    assert!(
        r.body.contains("<Code>SignatureDoesNotMatch</Code>")
            && r.body.contains("Signature expired")
    );
    // S3: InvalidAccessKeyId / RequestTimeTooSkewed.
    let s3 = |e: &Env| Req {
        method: "GET",
        service: "s3",
        region: "us-east-1",
        host: "s3.amazonaws.com".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![],
        body: vec![],
        s3: true,
        time: e.now(),
    };
    let mut r0 = s3(&e);
    r0.time = e.now() + chrono::Duration::minutes(30);
    let r = e.call(&r0).await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("<Code>RequestTimeTooSkewed</Code>"),
        "{}",
        r.body
    );
    let key = std::mem::replace(&mut e.signer.key, "AKIANOTAREALKEY00000".into());
    let r = e.call(&s3(&e)).await;
    assert!(
        r.body.contains("<Code>InvalidAccessKeyId</Code>"),
        "{}",
        r.body
    );
    e.signer.key = key;
    let r = e.call(&s3(&e)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<BucketRegion>"));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn faults_render_vendor_errors() {
    let e = env(vec![
        FaultRule::new("aws", "DescribeInstances").rate_limit(0.001, 1),
        FaultRule::new("aws", "ListUsers").rate_limit(0.001, 1),
        FaultRule::new("aws", "ListBuckets").rate_limit(0.001, 1),
        FaultRule::new("aws", "GetCostAndUsage").rate_limit(0.001, 1),
        FaultRule::new("aws", "DescribeVpcs").error_rate(1.0),
        FaultRule::new("aws", "DescribeRegions").max_clock_skew_secs(5),
    ])
    .await;
    // First call passes (burst 1), the second is throttled.
    let di = "Action=DescribeInstances&Version=2016-11-15";
    assert_eq!(e.call(&e.query_req("ec2", di)).await.status, 200);
    let r = e.call(&e.query_req("ec2", di)).await;
    assert_eq!(r.status, 503);
    assert!(
        r.body.contains("<Code>RequestLimitExceeded</Code>"),
        "{}",
        r.body
    );
    let lu = "Action=ListUsers&Version=2010-05-08";
    assert_eq!(e.call(&e.query_req("iam", lu)).await.status, 200);
    let r = e.call(&e.query_req("iam", lu)).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("<Code>Throttling</Code>") && r.body.contains("<Type>Sender</Type>"),
        "{}",
        r.body
    );
    let lb = Req {
        method: "GET",
        service: "s3",
        region: "us-east-1",
        host: "s3.amazonaws.com".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![],
        body: vec![],
        s3: true,
        time: e.now(),
    };
    assert_eq!(e.call(&lb).await.status, 200);
    let r = e.call(&lb).await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("<Code>SlowDown</Code>"));
    let ce = |e: &Env| {
        Req {
        method: "POST",
        service: "ce",
        region: "us-east-1",
        host: "ce.us-east-1.amazonaws.com".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            ("x-amz-target".into(), "AWSInsightsIndexService.GetCostAndUsage".into()),
        ],
        body: br#"{"TimePeriod":{"Start":"2020-01-01","End":"2020-02-01"},"Granularity":"MONTHLY","Metrics":["UnblendedCost"]}"#.to_vec(),
        s3: false,
        time: e.now(),
    }
    };
    assert_eq!(e.call(&ce(&e)).await.status, 200);
    let r = e.call(&ce(&e)).await;
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["__type"], "ThrottlingException");
    // 5xx.
    let r = e
        .call(&e.query_req("ec2", "Action=DescribeVpcs&Version=2016-11-15"))
        .await;
    assert_eq!(r.status, 500);
    assert!(r.body.contains("<Code>InternalError</Code>"));
    // Skew limit of 5 s: a request signed 60 s ago is RequestExpired.
    let mut old = e.query_req("ec2", "Action=DescribeRegions&Version=2016-11-15");
    old.time = e.now() - chrono::Duration::seconds(60);
    let r = e.call(&old).await;
    assert!(r.body.contains("<Code>RequestExpired</Code>"), "{}", r.body);
    assert_eq!(
        e.call(&e.query_req("ec2", "Action=DescribeRegions&Version=2016-11-15"))
            .await
            .status,
        200
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn iam_paging_and_ce_errors() {
    let e = env(vec![]).await;
    let mut marker: Option<String> = None;
    let mut names = Vec::new();
    loop {
        let mut form = "Action=ListUsers&Version=2010-05-08&MaxItems=1".to_string();
        if let Some(m) = &marker {
            form.push_str(&format!(
                "&Marker={}",
                multicloud_sim::frontend::percent_encode_strict(m)
            ));
        }
        let r = e.call(&e.query_req("iam", &form)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult>"));
        assert!(r.body.contains("<ResponseMetadata><RequestId>"));
        names.extend(
            between(&r.body, "<UserName>", "</UserName>")
                .into_iter()
                .map(str::to_string),
        );
        if r.body.contains("<IsTruncated>true</IsTruncated>") {
            marker = between(&r.body, "<Marker>", "</Marker>")
                .first()
                .map(|s| s.to_string());
            assert!(marker.is_some());
        } else {
            break;
        }
    }
    let want = e.sim.estate().users("aws", &e.account).unwrap().len();
    assert_eq!(names.len(), want);
    assert!(want >= 2);
    let r = e
        .call(&e.query_req("iam", "Action=GetUser&Version=2010-05-08&UserName=nobody"))
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("<Code>NoSuchEntity</Code>"));
    // CE validation error, JSON shape.
    let r = e
        .call(&Req {
            method: "POST",
            service: "ce",
            region: "us-east-1",
            host: "ce.us-east-1.amazonaws.com".into(),
            path: "/".into(),
            query: String::new(),
            headers: vec![
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                ("x-amz-target".into(), "AWSInsightsIndexService.GetCostAndUsage".into()),
            ],
            body: br#"{"TimePeriod":{"Start":"2020-01-01","End":"2020-02-01"},"Granularity":"HOURLY","Metrics":["UnblendedCost"]}"#.to_vec(),
            s3: false,
            time: e.now(),
        })
        .await;
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["__type"], "ValidationException");
    e.sim.shutdown().await;
}

fn chunked_body(
    data: &[u8],
    chunk: usize,
    key: &[u8],
    date: &str,
    scope: &str,
    seed: &str,
) -> Vec<u8> {
    let mut prev = seed.to_string();
    let mut body = Vec::new();
    let mut pieces: Vec<&[u8]> = data.chunks(chunk).collect();
    pieces.push(&[]);
    for p in pieces {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{scope}\n{prev}\n{}\n{}",
            sigv4::EMPTY_SHA256,
            sigv4::sha256_hex(p)
        );
        let sig = sigv4::sign(key, &sts);
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", p.len()).as_bytes());
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
        prev = sig;
    }
    body
}

#[tokio::test]
async fn s3_aws_chunked_uploads_and_virtual_hosts() {
    let e = env(vec![]).await;
    let bucket = e.sim.estate().buckets("aws", &e.account).unwrap().remove(0);
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    // Signed chunks: the request is signed first (seed), then each chunk.
    let now = e.now();
    let date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let region = bucket.region.clone();
    let scope = format!("{}/{region}/s3/aws4_request", &date[..8]);
    let key = sigv4::signing_key(&e.signer.secret, &date[..8], &region, "s3");
    let mk = |body: Vec<u8>, hash: &str, extra: Vec<(String, String)>| Req {
        method: "PUT",
        service: "s3",
        region: Box::leak(region.clone().into_boxed_str()),
        host: "s3.amazonaws.com".into(),
        path: format!("/{}/chunked.bin", bucket.name),
        query: String::new(),
        headers: [
            vec![
                ("x-amz-content-sha256".into(), hash.to_string()),
                ("content-encoding".into(), "aws-chunked".into()),
                (
                    "x-amz-decoded-content-length".into(),
                    data.len().to_string(),
                ),
            ],
            extra,
        ]
        .concat(),
        body,
        s3: true,
        time: now,
    };
    let probe = mk(Vec::new(), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", vec![]);
    let (_, seed) = e.signer.sign(&probe);
    let body = chunked_body(&data, 16_384, &key, &date, &scope, &seed);
    let r = e
        .call(&mk(
            body.clone(),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            vec![],
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = e
        .sim
        .estate()
        .get_object("aws", &e.account, &bucket.name, "chunked.bin")
        .unwrap();
    assert_eq!(stored.data, data);
    // A chunk signed with the wrong seed is refused.
    let bad = chunked_body(&data, 16_384, &key, &date, &scope, &"0".repeat(64));
    let r = e
        .call(&mk(bad, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", vec![]))
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("SignatureDoesNotMatch"));
    // Unsigned chunks with a trailing checksum (what SDKs send over TLS).
    let mut body = Vec::new();
    for p in data.chunks(30_000) {
        body.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    let r = e
        .call(&mk(
            body,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            vec![("x-amz-trailer".into(), "x-amz-checksum-crc32".into())],
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Virtual-hosted style on the main port (routed by Host).
    let vreq = Req {
        method: "GET",
        service: "s3",
        region: Box::leak(region.clone().into_boxed_str()),
        host: format!("{}.s3.{region}.amazonaws.com", bucket.name),
        path: "/chunked.bin".into(),
        query: String::new(),
        headers: vec![("range".into(), "bytes=100-199".into())],
        body: vec![],
        s3: true,
        time: e.now(),
    };
    let (h, _) = e.signer.sign(&vreq);
    let r = send(e.sim.addr(), &vreq, h).await;
    assert_eq!(r.status, 206, "{}", r.body);
    assert_eq!(
        r.headers.get("content-range").unwrap().to_str().unwrap(),
        format!("bytes 100-199/{}", data.len())
    );
    // Missing key: NoSuchKey with the S3 error shape.
    let mut miss = vreq;
    miss.path = "/nope".into();
    miss.headers.clear();
    let (h, _) = e.signer.sign(&miss);
    let r = send(e.sim.addr(), &miss, h).await;
    assert_eq!(r.status, 404);
    assert!(
        r.body.contains("<Error><Code>NoSuchKey</Code><Message>") && r.body.contains("<RequestId>"),
        "{}",
        r.body
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn ec2_lifecycle_terminate_supersedes_transitions() {
    let e = env(vec![]).await;
    let s = Scope::new("aws", &e.account, &e.region);
    let inst = e
        .sim
        .estate()
        .instances(&s, &Default::default(), &Default::default())
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.state == multicloud_sim::estate::InstanceState::Running)
        .unwrap();
    let form = |a: &str| format!("Action={a}&Version=2016-11-15&InstanceId.1={}", inst.id);
    let r = e.call(&e.query_req("ec2", &form("RebootInstances"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<return>true</return>"));
    // Still "running" on the wire while the estate reboots it.
    let r = e
        .call(&e.query_req("ec2", &form("DescribeInstances")))
        .await;
    assert!(
        r.body
            .contains("<instanceState><code>16</code><name>running</name></instanceState>"),
        "{}",
        r.body
    );
    let r = e.call(&e.query_req("ec2", &form("StopInstances"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<StoppingInstances") || r.body.contains("<instancesSet><item>"));
    assert!(
        r.body
            .contains("<previousState><code>16</code><name>running</name></previousState>"),
        "{}",
        r.body
    );
    // Terminate while stopping: allowed, as EC2 does.
    let r = e
        .call(&e.query_req("ec2", &form("TerminateInstances")))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("<currentState><code>32</code><name>shutting-down</name></currentState>")
            || r.body
                .contains("<currentState><code>48</code><name>terminated</name></currentState>"),
        "{}",
        r.body
    );
    // Starting a terminated instance: IncorrectInstanceState.
    let r = e.call(&e.query_req("ec2", &form("StartInstances"))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("<Code>IncorrectInstanceState</Code>"),
        "{}",
        r.body
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn ce_totals_match_the_estate_cost_lines() {
    let e = env(vec![]).await;
    let lines = e
        .sim
        .estate()
        .cost_lines(
            "aws",
            &e.account,
            chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
        )
        .unwrap();
    assert!(!lines.is_empty());
    let start = lines.iter().map(|l| l.period_start).min().unwrap();
    let end = lines.iter().map(|l| l.period_end).max().unwrap();
    let want: rust_decimal::Decimal = lines.iter().map(|l| l.list_amount).sum();
    let want_net: rust_decimal::Decimal = lines.iter().map(|l| l.payable_amount).sum();
    let body = format!(
        r#"{{"TimePeriod":{{"Start":"{start}","End":"{end}"}},"Granularity":"MONTHLY","Metrics":["UnblendedCost","NetUnblendedCost"],"GroupBy":[{{"Type":"DIMENSION","Key":"SERVICE"}},{{"Type":"DIMENSION","Key":"REGION"}}]}}"#
    );
    let req = |body: String, target: &str| Req {
        method: "POST",
        service: "ce",
        region: "us-east-1",
        host: "ce.us-east-1.amazonaws.com".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            (
                "x-amz-target".into(),
                format!("AWSInsightsIndexService.{target}"),
            ),
        ],
        body: body.into_bytes(),
        s3: false,
        time: e.now(),
    };
    let r = e.call(&req(body, "GetCostAndUsage")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let mut got = rust_decimal::Decimal::ZERO;
    let mut got_net = rust_decimal::Decimal::ZERO;
    for t in v["ResultsByTime"].as_array().unwrap() {
        for g in t["Groups"].as_array().unwrap() {
            assert_eq!(g["Keys"].as_array().unwrap().len(), 2);
            let m = &g["Metrics"];
            assert_eq!(m["UnblendedCost"]["Unit"], "USD");
            got += m["UnblendedCost"]["Amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap();
            got_net += m["NetUnblendedCost"]["Amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap();
        }
    }
    assert!(
        (got - want).abs() < rust_decimal::Decimal::new(1, 4),
        "{got} vs {want}"
    );
    assert!((got_net - want_net).abs() < rust_decimal::Decimal::new(1, 4));
    assert_eq!(v["GroupDefinitions"][0]["Key"], "SERVICE");
    // DAILY over the first month spreads each line evenly over its days.
    let first_end = start.checked_add_months(chrono::Months::new(1)).unwrap();
    let body = format!(
        r#"{{"TimePeriod":{{"Start":"{start}","End":"{first_end}"}},"Granularity":"DAILY","Metrics":["UnblendedCost"]}}"#
    );
    let r = e.call(&req(body, "GetCostAndUsage")).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let days = v["ResultsByTime"].as_array().unwrap();
    assert_eq!(days.len() as i64, (first_end - start).num_days());
    let month: rust_decimal::Decimal = lines
        .iter()
        .filter(|l| l.period_start == start)
        .map(|l| l.list_amount)
        .sum();
    let daily: rust_decimal::Decimal = days
        .iter()
        .map(|d| {
            d["Total"]["UnblendedCost"]["Amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert!(
        (daily - month).abs() < rust_decimal::Decimal::new(1, 3),
        "{daily} vs {month}"
    );
    // With resources: one group per resource id, filtered by region.
    let body = format!(
        r#"{{"TimePeriod":{{"Start":"{start}","End":"{end}"}},"Granularity":"MONTHLY","Metrics":["UnblendedCost"],"Filter":{{"Dimensions":{{"Key":"REGION","Values":["{}"]}}}},"GroupBy":[{{"Type":"DIMENSION","Key":"RESOURCE_ID"}}]}}"#,
        e.region
    );
    let r = e.call(&req(body, "GetCostAndUsageWithResources")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let ids: std::collections::BTreeSet<String> = v["ResultsByTime"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["Groups"].as_array().unwrap().clone())
        .map(|g| g["Keys"][0].as_str().unwrap().to_string())
        .collect();
    let want_ids: std::collections::BTreeSet<String> = lines
        .iter()
        .filter(|l| l.region.as_deref() == Some(e.region.as_str()))
        .filter_map(|l| l.resource_id.clone())
        .collect();
    assert_eq!(ids, want_ids);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn ec2_run_instances_without_name_tag() {
    let e = env(vec![]).await;
    let s = Scope::new("aws", &e.account, &e.region);
    let image = e
        .sim
        .estate()
        .images(&s, None, &Default::default(), &Default::default())
        .unwrap()
        .items
        .remove(0);
    let form = format!(
        "Action=RunInstances&Version=2016-11-15&ImageId={}&InstanceType=t3.micro&MinCount=2&MaxCount=2&ClientToken=abc",
        image.id
    );
    let r = e.call(&e.query_req("ec2", &form)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids = between(&r.body, "<instanceId>", "</instanceId>");
    assert_eq!(ids.len(), 2);
    assert!(
        !r.body.contains("<tagSet>"),
        "no Name tag invented: {}",
        r.body
    );
    // Same ClientToken: the same instances, no new ones.
    let again = e.call(&e.query_req("ec2", &form)).await;
    assert_eq!(between(&again.body, "<instanceId>", "</instanceId>"), ids);
    e.sim.shutdown().await;
}
