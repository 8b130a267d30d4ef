//! The COS frontend over HTTP: signature (header and presigned forms),
//! buckets, listing, objects, ranges, copy, multipart, error bodies, throttle.
#![cfg(feature = "tencent")]

mod tencent_common;

use multicloud_sim::{FaultRule, Sim, SimHandle};
use reqwest::Method;
use tencent_common::cos_authorization;

struct Cos<'a> {
    sim: &'a SimHandle,
    c: reqwest::Client,
    id: String,
    key: String,
    appid: String,
    region: String,
}

impl<'a> Cos<'a> {
    fn new(sim: &'a SimHandle) -> Self {
        let a = sim.accounts("tencent").remove(0);
        Cos {
            sim,
            c: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            id: a.access_key_id.clone(),
            key: a.secret_access_key.expose().to_string(),
            appid: a.extras["app_id"].clone(),
            region: a.regions[0].clone(),
        }
    }

    fn host(&self, bucket: &str) -> String {
        if bucket.is_empty() {
            "service.cos.myqcloud.com".into()
        } else {
            format!("{bucket}-{}.cos.{}.myqcloud.com", self.appid, self.region)
        }
    }

    /// A signed request; `params` are the query pairs (all signed).
    async fn send(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let host = self.host(bucket);
        let now = self.sim.clock().now().timestamp();
        let auth = cos_authorization(
            &self.id,
            &self.key,
            method.as_str(),
            &format!("/{key}"),
            &host,
            params,
            now,
        );
        let mut url = reqwest::Url::parse(&format!("http://{}/{key}", self.sim.addr())).unwrap();
        for (k, v) in params {
            if v.is_empty() {
                let q = url
                    .query()
                    .map(|q| format!("{q}&{k}"))
                    .unwrap_or(k.to_string());
                url.set_query(Some(&q));
            } else {
                url.query_pairs_mut().append_pair(k, v);
            }
        }
        let mut rb = self
            .c
            .request(method, url)
            .header("host", host)
            .header("authorization", auth)
            .body(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.unwrap();
        let s = r.status().as_u16();
        let h = r.headers().clone();
        (s, h, r.bytes().await.unwrap().to_vec())
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn start() -> SimHandle {
    Sim::builder()
        .seed(4)
        .providers(&["tencent"])
        .regions(1)
        .instances_per_region(1)
        .fault(FaultRule::new("tencent", "ListParts").rate_limit(0.001, 1))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn bucket_and_object_round_trip() {
    let sim = start().await;
    let cos = Cos::new(&sim);
    let (s, _, b) = cos.send(Method::GET, "", "", &[], &[], vec![]).await;
    assert_eq!(s, 200, "{}", text(&b));
    let listing = text(&b);
    assert!(listing.contains("<ListAllMyBucketsResult>"), "{listing}");
    assert!(
        listing.contains(&format!("-{}</Name>", cos.appid)),
        "{listing}"
    );
    let (s, _, b) = cos.send(Method::PUT, "photos", "", &[], &[], vec![]).await;
    assert_eq!(s, 200, "{}", text(&b));
    let (s, h, _) = cos.send(Method::HEAD, "photos", "", &[], &[], vec![]).await;
    assert_eq!(s, 200);
    assert_eq!(h["x-cos-bucket-region"], cos.region.as_str());
    for k in ["a/1.txt", "a/2.txt", "a/b/3.txt", "c.txt"] {
        let (s, h, _) = cos
            .send(
                Method::PUT,
                "photos",
                k,
                &[],
                &[("content-type", "text/plain"), ("x-cos-meta-k", "v")],
                format!("data {k}").into_bytes(),
            )
            .await;
        assert_eq!(s, 200);
        assert!(h["etag"].to_str().unwrap().starts_with('"'));
    }
    // Listing with delimiter and paging by marker.
    let (_, _, b) = cos
        .send(
            Method::GET,
            "photos",
            "",
            &[("prefix", "a/"), ("delimiter", "/")],
            &[],
            vec![],
        )
        .await;
    let l = text(&b);
    assert!(
        l.contains("<Key>a/1.txt</Key>") && l.contains("<Prefix>a/b/</Prefix>"),
        "{l}"
    );
    assert!(l.contains("<IsTruncated>false</IsTruncated>"), "{l}");
    let (_, _, b) = cos
        .send(Method::GET, "photos", "", &[("max-keys", "2")], &[], vec![])
        .await;
    let l = text(&b);
    assert!(
        l.contains("<IsTruncated>true</IsTruncated>")
            && l.contains("<NextMarker>a/2.txt</NextMarker>"),
        "{l}"
    );
    let (_, _, b) = cos
        .send(
            Method::GET,
            "photos",
            "",
            &[("max-keys", "2"), ("marker", "a/2.txt")],
            &[],
            vec![],
        )
        .await;
    let l = text(&b);
    assert!(
        l.contains("<Key>a/b/3.txt</Key>") && l.contains("<Key>c.txt</Key>"),
        "{l}"
    );
    // Get, range, head.
    let (s, h, b) = cos
        .send(Method::GET, "photos", "c.txt", &[], &[], vec![])
        .await;
    assert_eq!((s, text(&b).as_str()), (200, "data c.txt"));
    assert_eq!(h["x-cos-meta-k"], "v");
    let (s, h, b) = cos
        .send(
            Method::GET,
            "photos",
            "c.txt",
            &[],
            &[("range", "bytes=5-7")],
            vec![],
        )
        .await;
    assert_eq!((s, text(&b).as_str()), (206, "c.t"));
    assert_eq!(h["content-range"], "bytes 5-7/10");
    let (s, h, b) = cos
        .send(Method::HEAD, "photos", "c.txt", &[], &[], vec![])
        .await;
    assert_eq!((s, b.len()), (200, 0));
    assert_eq!(h["content-length"], "10");
    // Copy.
    let src = format!("{}/c.txt", cos.host("photos"));
    let (s, _, b) = cos
        .send(
            Method::PUT,
            "photos",
            "copy.txt",
            &[],
            &[("x-cos-copy-source", &src)],
            vec![],
        )
        .await;
    assert_eq!(s, 200, "{}", text(&b));
    assert!(text(&b).contains("<CopyObjectResult>"));
    let (_, _, b) = cos
        .send(Method::GET, "photos", "copy.txt", &[], &[], vec![])
        .await;
    assert_eq!(text(&b), "data c.txt");
    // Errors: missing key, missing bucket, non-empty bucket.
    let (s, _, b) = cos
        .send(Method::GET, "photos", "nope", &[], &[], vec![])
        .await;
    assert_eq!(s, 404);
    assert!(text(&b).contains("<Code>NoSuchKey</Code>"), "{}", text(&b));
    let (s, _, b) = cos
        .send(Method::GET, "nobucket", "", &[], &[], vec![])
        .await;
    assert_eq!(s, 404);
    assert!(text(&b).contains("<Code>NoSuchBucket</Code>"));
    let (s, _, b) = cos
        .send(Method::DELETE, "photos", "", &[], &[], vec![])
        .await;
    assert_eq!(s, 409);
    assert!(text(&b).contains("BucketNotEmpty"));
    for k in ["a/1.txt", "a/2.txt", "a/b/3.txt", "c.txt", "copy.txt"] {
        let (s, _, _) = cos
            .send(Method::DELETE, "photos", k, &[], &[], vec![])
            .await;
        assert_eq!(s, 204);
    }
    let (s, _, _) = cos
        .send(Method::DELETE, "photos", "", &[], &[], vec![])
        .await;
    assert_eq!(s, 204);
    sim.shutdown().await;
}

#[tokio::test]
async fn multipart_upload() {
    let sim = start().await;
    let cos = Cos::new(&sim);
    cos.send(Method::PUT, "mp", "", &[], &[], vec![]).await;
    let (s, _, b) = cos
        .send(
            Method::POST,
            "mp",
            "big.bin",
            &[("uploads", "")],
            &[],
            vec![],
        )
        .await;
    assert_eq!(s, 200, "{}", text(&b));
    let x = text(&b);
    let id = x
        .split("<UploadId>")
        .nth(1)
        .unwrap()
        .split("</UploadId>")
        .next()
        .unwrap()
        .to_string();
    let mut parts = String::new();
    for n in 1..=3 {
        let ns = n.to_string();
        let (s, h, _) = cos
            .send(
                Method::PUT,
                "mp",
                "big.bin",
                &[("partNumber", &ns), ("uploadId", &id)],
                &[],
                vec![b'a' + n as u8; 10],
            )
            .await;
        assert_eq!(s, 200);
        parts.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
            h["etag"].to_str().unwrap()
        ));
    }
    let body = format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>");
    let (s, _, b) = cos
        .send(
            Method::POST,
            "mp",
            "big.bin",
            &[("uploadId", &id)],
            &[],
            body.into_bytes(),
        )
        .await;
    assert_eq!(s, 200, "{}", text(&b));
    assert!(text(&b).contains("<CompleteMultipartUploadResult>"));
    let (_, _, b) = cos
        .send(Method::GET, "mp", "big.bin", &[], &[], vec![])
        .await;
    assert_eq!(b.len(), 30);
    // Abort of an unknown upload.
    let (s, _, b) = cos
        .send(
            Method::DELETE,
            "mp",
            "big.bin",
            &[("uploadId", "nope")],
            &[],
            vec![],
        )
        .await;
    assert_eq!(s, 404);
    assert!(text(&b).contains("NoSuchUpload"));
    sim.shutdown().await;
}

#[tokio::test]
async fn signature_errors_presigned_urls_and_throttle() {
    let sim = start().await;
    let mut cos = Cos::new(&sim);
    cos.send(Method::PUT, "sig", "", &[], &[], vec![]).await;
    cos.send(Method::PUT, "sig", "k.txt", &[], &[], b"hello".to_vec())
        .await;
    // Presigned GET: the signature in the query, fetched by a plain client.
    let host = cos.host("sig");
    let now = sim.clock().now().timestamp();
    let auth = cos_authorization(&cos.id, &cos.key, "GET", "/k.txt", &host, &[], now);
    let url = format!("http://{}/k.txt?{auth}", sim.addr());
    let r = reqwest::Client::new()
        .get(&url)
        .header("host", &host)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "hello");
    let tampered = url.replace("/k.txt?", "/other.txt?");
    let r = reqwest::Client::new()
        .get(&tampered)
        .header("host", &host)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<Code>SignatureDoesNotMatch</Code>")
    );
    // Expired presigned URL.
    let old = cos_authorization(&cos.id, &cos.key, "GET", "/k.txt", &host, &[], now - 3600);
    let r = reqwest::Client::new()
        .get(format!("http://{}/k.txt?{old}", sim.addr()))
        .header("host", &host)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.unwrap().contains("Request has expired"));
    // Wrong key and unknown id in the header form.
    cos.key = "wrong".into();
    let (s, _, b) = cos
        .send(Method::GET, "sig", "k.txt", &[], &[], vec![])
        .await;
    assert_eq!(s, 403);
    assert!(text(&b).contains("SignatureDoesNotMatch"));
    cos.id = "AKIDunknown".into();
    let (s, _, b) = cos
        .send(Method::GET, "sig", "k.txt", &[], &[], vec![])
        .await;
    assert_eq!(s, 403);
    assert!(text(&b).contains("InvalidAccessKeyId"));
    // Throttle: SlowDown 503.
    let mut cos = Cos::new(&sim);
    cos.key = sim.accounts("tencent")[0]
        .secret_access_key
        .expose()
        .to_string();
    let (s, _, _) = cos
        .send(
            Method::GET,
            "sig",
            "k.txt",
            &[("uploadId", "x")],
            &[],
            vec![],
        )
        .await;
    assert_eq!(s, 501); // ListParts is not simulated; the bucket's one token is used
    let (s, _, b) = cos
        .send(
            Method::GET,
            "sig",
            "k.txt",
            &[("uploadId", "x")],
            &[],
            vec![],
        )
        .await;
    assert_eq!(s, 503, "{}", text(&b));
    assert!(text(&b).contains("<Code>SlowDown</Code>"));
    sim.shutdown().await;
}
