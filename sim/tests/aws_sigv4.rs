//! The AWS frontend's SigV4 verifier against the published AWS test-suite
//! vectors (`fixtures/aws-sigv4/`) and against requests signed by botocore's
//! own signers (`tests/conformance/aws_sigv4.py`, run with the interpreter in
//! `MULTICLOUD_PYTHON`; skipped without it, except under `CI`, where it fails).
#![cfg(feature = "aws")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use multicloud_sim::frontends::aws::{AwsApi, AwsS3, sigv4};
use multicloud_sim::{Ctx, Estate, Frontend, GenConfig, SimRequest};
use serde_json::Value;
use sha2::Digest;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-sigv4")
}

fn header_pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Check one request with the low-level API: returns the verification and
/// the signature the request carries.
fn check(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    s3: bool,
) -> (sigv4::Verification, String) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let auth = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| sigv4::parse_authorization(v).unwrap())
        .unwrap_or_else(|| {
            let pairs = multicloud_sim::frontend::parse_urlencoded(query);
            sigv4::parse_presigned(&pairs).unwrap()
        });
    let find = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let date = find("x-amz-date").unwrap_or_else(|| {
        multicloud_sim::frontend::parse_urlencoded(query)
            .into_iter()
            .find(|(k, _)| k == "X-Amz-Date")
            .unwrap()
            .1
    });
    let payload = find("x-amz-content-sha256").unwrap_or_else(|| {
        if auth.presigned && s3 {
            "UNSIGNED-PAYLOAD".into()
        } else {
            hex::encode(sha2::Sha256::digest(body))
        }
    });
    let input = sigv4::CanonicalInput {
        method,
        path,
        query,
        headers,
        payload_hash: &payload,
        s3,
    };
    let sig = auth.signature.clone();
    (
        sigv4::expected_signature(&auth, secret, &date, &input).unwrap(),
        sig,
    )
}

#[test]
fn published_vectors_verify() {
    let mut n = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let secret = v["credentials"]["secret_access_key"].as_str().unwrap();
        let url = v["request"]["url"].as_str().unwrap();
        let path_and_query = &url[url.find("amazonaws.com").unwrap() + "amazonaws.com".len()..];
        let headers: Vec<(String, String)> = header_pairs(&v["request"]["headers"])
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
            .collect();
        let auth_header = header_pairs(&v["request"]["headers"])
            .into_iter()
            .find(|(n, _)| n == "Authorization")
            .unwrap();
        let mut all = headers.clone();
        all.push(auth_header);
        let body = v["request"]["body"].as_str().unwrap().as_bytes();
        let method = v["request"]["method"].as_str().unwrap();
        let (got, sent) = check(method, path_and_query, &all, body, secret, false);
        let want = v["expected"]["signature"].as_str().unwrap();
        assert_eq!(got.expected, want, "{}", path.display());
        assert_eq!(sent, want, "{}", path.display());
        if let Some(c) = v["expected"]["canonical_request"].as_str() {
            assert_eq!(got.canonical_request, c, "{}", path.display());
        }
        if let Some(s) = v["expected"]["string_to_sign"].as_str() {
            assert_eq!(got.string_to_sign, s, "{}", path.display());
        }
        // A changed secret must not verify.
        let (bad, _) = check(method, path_and_query, &all, body, "other-secret", false);
        assert_ne!(bad.expected, want);
        n += 1;
    }
    assert_eq!(n, 7, "every vector file is checked");
}

fn ctx_for(estate: &Estate) -> Ctx {
    Ctx {
        estate: estate.clone(),
        clock: estate.clock().clone(),
        tls: false,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
    }
}

fn sim_request(
    method: &str,
    host: &str,
    pq: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> SimRequest {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    SimRequest::new(
        Method::from_bytes(method.as_bytes()).unwrap(),
        host,
        pq,
        map,
        Bytes::copy_from_slice(body),
    )
}

#[test]
fn botocore_signed_requests_verify() {
    let Some(python) = std::env::var_os("MULTICLOUD_PYTHON") else {
        if std::env::var_os("CI").is_some() {
            panic!("MULTICLOUD_PYTHON is not set: the botocore SigV4 test cannot run in CI");
        }
        eprintln!(
            "skipping botocore SigV4 test: set MULTICLOUD_PYTHON to a python with tests/conformance/requirements-aws-sdk.txt"
        );
        return;
    };
    let estate = Estate::generate(&GenConfig {
        providers: vec!["aws".into()],
        instances_per_region: 1,
        ..GenConfig::default()
    });
    let account = estate.accounts("aws").remove(0);
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/aws_sigv4.py");
    let out = Command::new(python)
        .arg(script)
        .env("AWS_ACCESS_KEY_ID", &account.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", account.secret_access_key.expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let when = chrono::DateTime::parse_from_rfc3339(doc["time"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    estate
        .clock()
        .set_offset_ms((when - chrono::Utc::now()).num_milliseconds() + 30_000);
    let ctx = ctx_for(&estate);
    let api = AwsApi::new();
    let s3 = AwsS3::new();
    let secret = account.secret_access_key.expose().to_string();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 50, "at least 50 generated requests");
    let (mut via_frontend, mut low_level) = (0, 0);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let is_s3 = c["service"] == "s3";
        let method = c["method"].as_str().unwrap();
        let pq = c["path_and_query"].as_str().unwrap();
        let headers = header_pairs(&c["headers"]);
        let body = base64::engine::general_purpose::STANDARD
            .decode(c["body_b64"].as_str().unwrap())
            .unwrap();
        // Low level: the verifier's signature equals botocore's.
        let (v, sent) = check(method, pq, &headers, &body, &secret, is_s3);
        assert_eq!(v.expected, sent, "{name}\n{}", v.canonical_request);
        low_level += 1;
        if !c["session_token"].is_null() {
            continue;
        }
        // Through the frontend: accepted; tampered: refused.
        let host = c["host"].as_str().unwrap();
        let fe: &dyn Frontend = if is_s3 { &s3 } else { &api };
        let req = sim_request(method, host, pq, &headers, &body);
        assert!(fe.verify(&ctx, &req).is_ok(), "{name} refused");
        let tampered_pq = if pq.contains('?') {
            format!("{pq}&extra=1")
        } else {
            format!("{pq}?extra=1")
        };
        let bad = sim_request(method, host, &tampered_pq, &headers, &body);
        let r = fe.verify(&ctx, &bad).unwrap_err();
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            text.contains("SignatureDoesNotMatch")
                || text.contains("AuthFailure")
                || text.contains("InvalidSignatureException"),
            "{name}: {text}"
        );
        via_frontend += 1;
    }
    println!("botocore requests: {low_level} verified, {via_frontend} also through the frontends");
    assert!(via_frontend >= 30);
}
