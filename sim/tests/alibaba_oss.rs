//! The Alibaba Cloud OSS frontend from a raw HTTP client signing with OSS V1
//! (header and presigned): buckets, objects, listings, multipart, errors,
//! faults.
#![cfg(feature = "alibaba")]

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use multicloud_sim::frontends::alibaba::sign;
use multicloud_sim::{FaultRule, Sim, SimHandle, SimRequest};

const BUCKET: &str = "raw-bucket";

async fn start(rules: Vec<FaultRule>) -> SimHandle {
    let mut b = Sim::builder()
        .seed(9)
        .providers(&["alibaba"])
        .regions(1)
        .instances_per_region(1);
    for r in rules {
        b = b.fault(r);
    }
    b.start().await.unwrap()
}

fn region(sim: &SimHandle) -> String {
    sim.accounts("alibaba")[0].regions[0].clone()
}

fn host(sim: &SimHandle, bucket: Option<&str>) -> String {
    match bucket {
        Some(b) => format!("{b}.oss-{}.aliyuncs.com", region(sim)),
        None => format!("oss-{}.aliyuncs.com", region(sim)),
    }
}

fn client(sim: &SimHandle) -> reqwest::Client {
    let mut b = reqwest::Client::builder().pool_max_idle_per_host(0);
    for h in [
        host(sim, None),
        host(sim, Some(BUCKET)),
        host(sim, Some("nope")),
    ] {
        b = b.resolve(&h, sim.addr());
    }
    b.build().unwrap()
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn code(&self) -> String {
        let t = self.text();
        let s = t.find("<Code>").map(|i| i + 6).unwrap_or(0);
        let e = t.find("</Code>").unwrap_or(s);
        t[s..e].to_string()
    }
}

#[derive(Default)]
struct Req<'a> {
    method: &'a str,
    bucket: Option<&'a str>,
    key: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, String)>,
    body: Vec<u8>,
    /// Sign another key than the one sent.
    tamper: bool,
    /// Seconds to shift the Date header by.
    skew: i64,
    secret: Option<String>,
}

async fn send(c: &reqwest::Client, sim: &SimHandle, r: Req<'_>) -> Resp {
    let a = sim.accounts("alibaba").remove(0);
    let h = host(sim, r.bucket);
    let date = (sim.clock().now() + chrono::Duration::seconds(r.skew))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let mut hm = HeaderMap::new();
    hm.insert("date", HeaderValue::from_str(&date).unwrap());
    for (k, v) in &r.headers {
        hm.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let path = format!("/{}", r.key);
    let pq = if r.query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{}", r.query)
    };
    let method: Method = r.method.parse().unwrap();
    let sreq = SimRequest::new(
        method.clone(),
        &h,
        &pq,
        hm.clone(),
        Bytes::from(r.body.clone()),
    );
    let decoded = multicloud_sim::frontend::percent_decode(r.key, false);
    let signed_key = if r.tamper {
        "other-key"
    } else {
        decoded.as_str()
    };
    let sts = sign::oss_v1_string_to_sign(&sreq, &date, r.bucket, signed_key, &sreq.query_pairs());
    let secret = r
        .secret
        .unwrap_or_else(|| a.secret_access_key.expose().to_string());
    let sig = sign::oss_v1_signature(&secret, &sts);
    let url = format!("http://{h}:{}{pq}", sim.addr().port());
    let mut req = c
        .request(method, url)
        .header("authorization", format!("OSS {}:{sig}", a.access_key_id))
        .body(r.body);
    for (k, v) in hm.iter() {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    Resp {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.unwrap().to_vec(),
    }
}

async fn put(c: &reqwest::Client, sim: &SimHandle, key: &str, data: &str) -> Resp {
    send(
        c,
        sim,
        Req {
            method: "PUT",
            bucket: Some(BUCKET),
            key,
            headers: vec![("content-type", "text/plain".into())],
            body: data.as_bytes().to_vec(),
            ..Req::default()
        },
    )
    .await
}

async fn get(c: &reqwest::Client, sim: &SimHandle, key: &str, query: &str) -> Resp {
    send(
        c,
        sim,
        Req {
            method: "GET",
            bucket: Some(BUCKET),
            key,
            query,
            ..Req::default()
        },
    )
    .await
}

fn tags(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|s| s.split_once(&close).map(|(v, _)| v.to_string()))
        .collect()
}

async fn make_bucket(c: &reqwest::Client, sim: &SimHandle) {
    let r = send(
        c,
        sim,
        Req {
            method: "PUT",
            bucket: Some(BUCKET),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn buckets_and_objects_round_trip() {
    let sim = start(vec![]).await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    let r = send(
        &c,
        &sim,
        Req {
            method: "GET",
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200);
    let t = r.text();
    assert!(t.contains("<ListAllMyBucketsResult>"), "{t}");
    assert!(tags(&t, "Name").contains(&BUCKET.to_string()), "{t}");
    assert!(tags(&t, "Location").contains(&format!("oss-{}", region(&sim))));

    let r = get(&c, &sim, "", "location").await;
    assert_eq!(
        tags(&r.text(), "LocationConstraint"),
        vec![format!("oss-{}", region(&sim))]
    );
    let r = get(&c, &sim, "", "bucketInfo").await;
    assert_eq!(tags(&r.text(), "Name"), vec![BUCKET.to_string()]);

    let r = send(
        &c,
        &sim,
        Req {
            method: "PUT",
            bucket: Some(BUCKET),
            key: "a/b c.txt",
            headers: vec![
                ("content-type", "text/plain".into()),
                ("x-oss-meta-owner", "me".into()),
            ],
            body: b"hello world".to_vec(),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, "\"5EB63BBBE01EEED093CB22BB8F5ACDC3\"");

    let r = get(&c, &sim, "a/b%20c.txt", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello world");
    assert_eq!(r.headers["x-oss-meta-owner"], "me");
    assert_eq!(r.headers["content-type"], "text/plain");
    assert_eq!(r.headers["etag"].to_str().unwrap(), etag);

    let r = send(
        &c,
        &sim,
        Req {
            method: "HEAD",
            bucket: Some(BUCKET),
            key: "a/b%20c.txt",
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-length"], "11");
    assert_eq!(r.headers["etag"].to_str().unwrap(), etag);
    assert!(r.body.is_empty());

    let r = send(
        &c,
        &sim,
        Req {
            method: "GET",
            bucket: Some(BUCKET),
            key: "a/b%20c.txt",
            headers: vec![("range", "bytes=0-4".into())],
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"hello");
    assert_eq!(r.headers["content-range"], "bytes 0-4/11");

    let r = send(
        &c,
        &sim,
        Req {
            method: "PUT",
            bucket: Some(BUCKET),
            key: "copy.txt",
            headers: vec![("x-oss-copy-source", format!("/{BUCKET}/a/b%20c.txt"))],
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<CopyObjectResult>"));
    assert_eq!(get(&c, &sim, "copy.txt", "").await.body, b"hello world");

    let r = send(
        &c,
        &sim,
        Req {
            method: "DELETE",
            bucket: Some(BUCKET),
            key: "copy.txt",
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 204);
    let r = get(&c, &sim, "copy.txt", "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "NoSuchKey");
    assert_eq!(tags(&r.text(), "Key"), vec!["copy.txt".to_string()]);
    for k in ["RequestId", "HostId", "Message"] {
        assert_eq!(tags(&r.text(), k).len(), 1, "{k}: {}", r.text());
    }

    let r = send(
        &c,
        &sim,
        Req {
            method: "DELETE",
            bucket: Some(BUCKET),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "BucketNotEmpty");
}

#[tokio::test]
async fn listings_page_with_marker_and_continuation_token() {
    let sim = start(vec![]).await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    for k in ["d1/a", "d1/b", "d2/a", "e", "f", "g"] {
        assert_eq!(put(&c, &sim, k, k).await.status, 200);
    }
    // V1: marker.
    let mut marker = String::new();
    let mut keys = Vec::new();
    let mut pages = 0;
    loop {
        let q = if marker.is_empty() {
            "max-keys=2".to_string()
        } else {
            format!("max-keys=2&marker={}", marker.replace('/', "%2F"))
        };
        let r = get(&c, &sim, "", &q).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let t = r.text();
        pages += 1;
        keys.extend(tags(&t, "Key"));
        if tags(&t, "IsTruncated") == vec!["true".to_string()] {
            marker = tags(&t, "NextMarker").remove(0);
        } else {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(keys, ["d1/a", "d1/b", "d2/a", "e", "f", "g"]);

    // V2: continuation token and delimiter.
    let mut token = String::new();
    let mut entries = Vec::new();
    loop {
        let mut q = "list-type=2&delimiter=%2F&max-keys=2".to_string();
        if !token.is_empty() {
            q.push_str(&format!(
                "&continuation-token={}",
                token.replace('/', "%2F")
            ));
        }
        let r = get(&c, &sim, "", &q).await;
        let t = r.text();
        assert!(!tags(&t, "KeyCount").is_empty(), "{t}");
        entries.extend(tags(&t, "Key"));
        entries.extend(tags(&t, "Prefix").into_iter().filter(|p| !p.is_empty()));
        if tags(&t, "IsTruncated") == vec!["true".to_string()] {
            token = tags(&t, "NextContinuationToken").remove(0);
        } else {
            break;
        }
    }
    entries.sort();
    assert_eq!(entries, ["d1/", "d2/", "e", "f", "g"]);

    let r = get(&c, &sim, "", "list-type=2&max-keys=1001").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "InvalidArgument");
}

#[tokio::test]
async fn multipart_upload_round_trip() {
    let sim = start(vec![]).await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    let r = send(
        &c,
        &sim,
        Req {
            method: "POST",
            bucket: Some(BUCKET),
            key: "big",
            query: "uploads",
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = tags(&r.text(), "UploadId").remove(0);
    let mut parts = String::new();
    for (n, data) in [(1, "first-"), (2, "second")] {
        let q = format!("partNumber={n}&uploadId={id}");
        let r = send(
            &c,
            &sim,
            Req {
                method: "PUT",
                bucket: Some(BUCKET),
                key: "big",
                query: &q,
                body: data.as_bytes().to_vec(),
                ..Req::default()
            },
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let etag = r.headers["etag"].to_str().unwrap().to_string();
        parts.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    let q = format!("uploadId={id}");
    let r = send(
        &c,
        &sim,
        Req {
            method: "POST",
            bucket: Some(BUCKET),
            key: "big",
            query: &q,
            headers: vec![("content-type", "application/xml".into())],
            body: format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>")
                .into_bytes(),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<CompleteMultipartUploadResult>"));
    let r = get(&c, &sim, "big", "").await;
    assert_eq!(r.body, b"first-second");
    assert_eq!(r.headers["x-oss-object-type"], "Multipart");
    // Completing again: the upload is gone.
    let r = send(
        &c,
        &sim,
        Req {
            method: "POST",
            bucket: Some(BUCKET),
            key: "big",
            query: &q,
            body: format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>")
                .into_bytes(),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "NoSuchUpload");
}

#[tokio::test]
async fn signature_errors_and_presigned_urls() {
    let sim = start(vec![]).await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    put(&c, &sim, "k", "v").await;

    let r = send(
        &c,
        &sim,
        Req {
            method: "GET",
            bucket: Some(BUCKET),
            key: "k",
            tamper: true,
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "SignatureDoesNotMatch");
    let r = send(
        &c,
        &sim,
        Req {
            method: "GET",
            bucket: Some(BUCKET),
            key: "k",
            secret: Some("wrong".into()),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.code(), "SignatureDoesNotMatch");
    let r = send(
        &c,
        &sim,
        Req {
            method: "GET",
            bucket: Some(BUCKET),
            key: "k",
            skew: -20 * 60,
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "RequestTimeTooSkewed");

    let port = sim.addr().port();
    let h = host(&sim, Some(BUCKET));
    let r = c.get(format!("http://{h}:{port}/k")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<Code>AccessDenied</Code>")
    );
    let r = c
        .get(format!("http://{h}:{port}/k"))
        .header("authorization", "OSS LTAIunknownkey:abc")
        .header("date", "Fri, 27 Nov 2026 10:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<Code>InvalidAccessKeyId</Code>")
    );

    // Presigned V1: valid, then expired.
    let a = sim.accounts("alibaba").remove(0);
    let presign = |expires: i64| {
        let exp = expires.to_string();
        let sreq = SimRequest::new(Method::GET, &h, "/k", HeaderMap::new(), Bytes::new());
        let sts = sign::oss_v1_string_to_sign(&sreq, &exp, Some(BUCKET), "k", &[]);
        let sig = sign::oss_v1_signature(a.secret_access_key.expose(), &sts);
        format!(
            "http://{h}:{port}/k?OSSAccessKeyId={}&Expires={exp}&Signature={}",
            a.access_key_id,
            multicloud_sim::frontend::percent_encode_strict(&sig)
        )
    };
    let now = sim.clock().now().timestamp();
    let r = c.get(presign(now + 60)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "v");
    let r = c.get(presign(now - 60)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let t = r.text().await.unwrap();
    assert!(
        t.contains("<Code>AccessDenied</Code>") && t.contains("Request has expired."),
        "{t}"
    );

    // Another account's bucket is not found / not ours.
    let r = send(
        &c,
        &sim,
        Req {
            method: "GET",
            bucket: Some("nope"),
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "NoSuchBucket");
}

#[tokio::test]
async fn own_port_serves_path_style() {
    let sim = start(vec![]).await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    put(&c, &sim, "p/q", "path-style").await;
    let a = sim.accounts("alibaba").remove(0);
    let addr = sim.frontend_addr("alibaba-oss").unwrap();
    let date = sim
        .clock()
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let mut hm = HeaderMap::new();
    hm.insert("date", HeaderValue::from_str(&date).unwrap());
    let sreq = SimRequest::new(
        Method::GET,
        "127.0.0.1",
        &format!("/{BUCKET}/p/q"),
        hm,
        Bytes::new(),
    );
    let sts = sign::oss_v1_string_to_sign(&sreq, &date, Some(BUCKET), "p/q", &[]);
    let sig = sign::oss_v1_signature(a.secret_access_key.expose(), &sts);
    let r = c
        .get(format!("http://{addr}/{BUCKET}/p/q"))
        .header("date", &date)
        .header("authorization", format!("OSS {}:{sig}", a.access_key_id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "path-style");
    let log = sim.requests().entries();
    assert_eq!(log.last().unwrap().action, "GetObject");
    assert!(log.iter().any(|l| l.action == "PutObject" && l.mutating));
    assert!(log.iter().any(|l| l.action == "PutBucket" && l.mutating));
}

#[tokio::test]
async fn throttle_and_server_error_faults() {
    let sim = start(vec![
        FaultRule::new("alibaba", "GetObject").rate_limit(0.001, 1),
        FaultRule::new("alibaba", "HeadObject").error_rate(1.0),
    ])
    .await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    put(&c, &sim, "k", "v").await;
    assert_eq!(get(&c, &sim, "k", "").await.status, 200);
    let r = get(&c, &sim, "k", "").await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.code(), "QpsLimitExceeded");
    let r = send(
        &c,
        &sim,
        Req {
            method: "HEAD",
            bucket: Some(BUCKET),
            key: "k",
            ..Req::default()
        },
    )
    .await;
    assert_eq!(r.status, 500);
}

/// PutBucket of the caller's own bucket, same region and storage class, is
/// `200 OK` and leaves one bucket (OSS's PutBucket reference: later
/// PutBucket calls on the same bucket modify its metadata); another storage
/// class is `409 BucketAlreadyExists` ("Cannot modify existing bucket's
/// storage class."), as is a name another account owns.
#[tokio::test]
async fn put_bucket_again_is_ok_for_its_owner() {
    let sim = start(vec![]).await;
    let c = client(&sim);
    make_bucket(&c, &sim).await;
    make_bucket(&c, &sim).await;
    let a = sim.accounts("alibaba").remove(0);
    let mine: Vec<_> = sim
        .estate()
        .buckets("alibaba", &a.id)
        .unwrap()
        .into_iter()
        .filter(|b| b.name == BUCKET)
        .collect();
    assert_eq!(mine.len(), 1);
    let archive = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <CreateBucketConfiguration><StorageClass>Archive</StorageClass></CreateBucketConfiguration>";
    let r = send(
        &c,
        &sim,
        Req {
            method: "PUT",
            bucket: Some(BUCKET),
            body: archive.to_vec(),
            ..Req::default()
        },
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (409, "BucketAlreadyExists"));
    assert!(r.text().contains("storage class"), "{}", r.text());
    // A name held by another account.
    let sim = Sim::builder()
        .generator(multicloud_sim::estate::GenConfig {
            seed: 9,
            providers: vec!["alibaba".into()],
            accounts_per_provider: 2,
            regions: 1,
            instances_per_region: 1,
            ..Default::default()
        })
        .start()
        .await
        .unwrap();
    let c = client(&sim);
    let other = sim.accounts("alibaba").remove(1);
    sim.estate()
        .create_bucket(
            &multicloud_sim::Scope::new("alibaba", &other.id, &other.regions[0]),
            "nope",
            None,
        )
        .unwrap();
    let r = send(
        &c,
        &sim,
        Req {
            method: "PUT",
            bucket: Some("nope"),
            ..Req::default()
        },
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (409, "BucketAlreadyExists"));
    assert!(r.text().contains("not available"), "{}", r.text());
}
