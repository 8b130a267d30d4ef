//! Alibaba Cloud signature verification, written from the vendor's
//! documentation (independent of the SDK's own signer):
//!
//! - ACS3-HMAC-SHA256 (the "V3" signature of the RPC APIs): canonical request
//!   `METHOD\nURI\nQUERY\nHEADERS\nSIGNED_HEADERS\nHEX(SHA256(body))`,
//!   string to sign `ACS3-HMAC-SHA256\nHEX(SHA256(canonical request))`,
//!   signature `HEX(HMAC-SHA256(secret, string to sign))`.
//! - The older RPC signature (`SignatureMethod=HMAC-SHA1`, version 1.0):
//!   `METHOD&%2F&enc(sorted, encoded query)` signed with `secret + "&"`, base64.
//! - OSS V1 (`Authorization: OSS ak:sig`, and presigned `OSSAccessKeyId`,
//!   `Expires`, `Signature`): base64 HMAC-SHA1 of
//!   `VERB\nContent-MD5\nContent-Type\nDate\nCanonicalizedOSSHeaders+CanonicalizedResource`.
//! - OSS V4 (`OSS4-HMAC-SHA256`, header and presigned query forms), with the
//!   signing key derived from `"aliyun_v4" + secret`, date, region, `oss`,
//!   `aliyun_v4_request`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::frontend::{SimRequest, percent_decode, percent_encode_strict};

/// HMAC-SHA256.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// HMAC-SHA1.
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Query pairs, decoded (`+` is a space, as form encoding writes it), in order.
fn raw_query_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(p, true), String::new()),
        })
        .collect()
}

// ----- ACS3-HMAC-SHA256 -----

/// The parts of an `Authorization: ACS3-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Auth {
    /// Access key id (`Credential=`).
    pub access_key_id: String,
    /// Signed header names, lower case.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parse an ACS3 authorization header; `None` when it is not one.
pub fn parse_acs3(header: &str) -> Option<Acs3Auth> {
    let rest = header.trim().strip_prefix("ACS3-HMAC-SHA256")?.trim();
    let mut ak = None;
    let mut sh = None;
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => ak = Some(v.trim().to_string()),
            "SignedHeaders" => {
                sh = Some(
                    v.split(';')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "Signature" => sig = Some(v.trim().to_string()),
            _ => {}
        }
    }
    Some(Acs3Auth {
        access_key_id: ak?,
        signed_headers: sh?,
        signature: sig?,
    })
}

/// The canonical query string of ACS3: pairs sorted by encoded name, names
/// and values RFC 3986 encoded, `name=value` joined by `&`.
pub fn acs3_canonical_query(pairs: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (percent_encode_strict(k), percent_encode_strict(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The ACS3 canonical request.
pub fn acs3_canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed: &[String],
    payload_hash: &str,
) -> String {
    let mut canon = String::new();
    for name in signed {
        let mut vals: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .collect();
        vals.sort();
        canon.push_str(&format!("{name}:{}\n", vals.join(",")));
    }
    let path = if path.is_empty() { "/" } else { path };
    format!(
        "{method}\n{path}\n{}\n{canon}\n{}\n{payload_hash}",
        acs3_canonical_query(query),
        signed.join(";")
    )
}

/// Hex ACS3 signature of a canonical request.
pub fn acs3_signature(secret: &str, canonical_request: &str) -> String {
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    hex::encode(hmac_sha256(secret.as_bytes(), sts.as_bytes()))
}

/// What the signature of `req` must be, given its parsed ACS3 header.
pub fn acs3_expected(req: &SimRequest, auth: &Acs3Auth, secret: &str) -> String {
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut signed = auth.signed_headers.clone();
    signed.sort();
    let payload = sha256_hex(&req.body);
    let cr = acs3_canonical_request(
        req.method.as_str(),
        req.path(),
        &raw_query_pairs(req.raw_query()),
        &headers,
        &signed,
        &payload,
    );
    acs3_signature(secret, &cr)
}

/// Sign a request the ACS3 way (for tests and simple clients): every given
/// header is signed; returns the `Authorization` value. `headers` must
/// include `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`,
/// `x-acs-signature-nonce` and `x-acs-content-sha256`.
pub fn acs3_authorization(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
    access_key_id: &str,
    secret: &str,
) -> String {
    let mut signed: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    signed.sort();
    signed.dedup();
    let cr = acs3_canonical_request(method, path, query, headers, &signed, &sha256_hex(body));
    format!(
        "ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={},Signature={}",
        signed.join(";"),
        acs3_signature(secret, &cr)
    )
}

// ----- RPC signature version 1.0 (HMAC-SHA1) -----

/// The RPC v1 signature (base64) of the given parameters (without `Signature`).
pub fn rpc_v1_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let canon = acs3_canonical_query(params);
    let sts = format!(
        "{method}&{}&{}",
        percent_encode_strict("/"),
        percent_encode_strict(&canon)
    );
    b64(&hmac_sha1(format!("{secret}&").as_bytes(), sts.as_bytes()))
}

// ----- OSS -----

/// Sub-resources that take part in the OSS V1 canonicalized resource.
const OSS_SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "bucketInfo",
    "callback",
    "callback-var",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "qos",
    "referer",
    "replication",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "startTime",
    "stat",
    "status",
    "symlink",
    "tagging",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "x-oss-process",
];

/// The OSS V1 canonicalized resource: `/bucket/key` (or `/`), plus the
/// sub-resources of `query` sorted by name.
pub fn oss_v1_resource(bucket: Option<&str>, key: &str, query: &[(String, String)]) -> String {
    let base = match bucket {
        Some(b) => format!("/{b}/{key}"),
        None => "/".to_string(),
    };
    let mut subs: Vec<&(String, String)> = query
        .iter()
        .filter(|(k, _)| OSS_SUBRESOURCES.contains(&k.as_str()))
        .collect();
    subs.sort();
    if subs.is_empty() {
        return base;
    }
    let s: Vec<String> = subs
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    format!("{base}?{}", s.join("&"))
}

/// The OSS V1 string to sign.
pub fn oss_v1_string_to_sign(
    req: &SimRequest,
    date: &str,
    bucket: Option<&str>,
    key: &str,
    query: &[(String, String)],
) -> String {
    let mut oss: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-oss-"))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    oss.sort();
    let heads: String = oss.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    format!(
        "{}\n{}\n{}\n{date}\n{heads}{}",
        req.method,
        req.header("content-md5").unwrap_or(""),
        req.header("content-type").unwrap_or(""),
        oss_v1_resource(bucket, key, query)
    )
}

/// Base64 HMAC-SHA1 of an OSS V1 string to sign.
pub fn oss_v1_signature(secret: &str, string_to_sign: &str) -> String {
    b64(&hmac_sha1(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// OSS V4 URI encoding (RFC 3986 unreserved kept; `/` kept when `keep_slash`).
pub fn oss_v4_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-_.~".contains(c) || (keep_slash && c == '/') {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The parts of an OSS V4 authorization (header or presigned query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OssV4Auth {
    /// Access key id.
    pub access_key_id: String,
    /// `yyyymmdd` of the scope.
    pub date: String,
    /// Region of the scope.
    pub region: String,
    /// Product of the scope (`oss`).
    pub product: String,
    /// Additional signed headers (lower case).
    pub additional: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parse `Credential=ak/date/region/oss/aliyun_v4_request`.
pub fn parse_oss_v4_credential(cred: &str) -> Option<(String, String, String, String)> {
    let mut it = cred.split('/');
    let ak = it.next()?.to_string();
    let date = it.next()?.to_string();
    let region = it.next()?.to_string();
    let product = it.next()?.to_string();
    (it.next()? == "aliyun_v4_request").then_some((ak, date, region, product))
}

/// Parse an `OSS4-HMAC-SHA256 Credential=..., AdditionalHeaders=..., Signature=...` header.
pub fn parse_oss_v4(header: &str) -> Option<OssV4Auth> {
    let rest = header.trim().strip_prefix("OSS4-HMAC-SHA256")?.trim();
    let mut cred = None;
    let mut add = Vec::new();
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => cred = parse_oss_v4_credential(v.trim()),
            "AdditionalHeaders" => {
                add = v
                    .split(';')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "Signature" => sig = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let (access_key_id, date, region, product) = cred?;
    Some(OssV4Auth {
        access_key_id,
        date,
        region,
        product,
        additional: add,
        signature: sig?,
    })
}

/// The OSS V4 signature of a request. `query` are the decoded query pairs
/// without `x-oss-signature`; `datetime` is `x-oss-date`.
pub fn oss_v4_signature(
    req: &SimRequest,
    auth: &OssV4Auth,
    secret: &str,
    bucket: Option<&str>,
    key: &str,
    query: &[(String, String)],
    datetime: &str,
) -> String {
    let uri = match bucket {
        Some(b) => oss_v4_encode(&format!("/{b}/{key}"), true),
        None => "/".to_string(),
    };
    let mut q: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (oss_v4_encode(k, false), oss_v4_encode(v, false)))
        .collect();
    q.sort();
    let cq: Vec<String> = q
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    let mut heads: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| {
            let k = k.as_str();
            k.starts_with("x-oss-")
                || k == "content-type"
                || k == "content-md5"
                || auth.additional.iter().any(|a| a == k)
        })
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    heads.sort();
    let ch: String = heads.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let mut add = auth.additional.clone();
    add.sort();
    let payload = req
        .header("x-oss-content-sha256")
        .unwrap_or("UNSIGNED-PAYLOAD");
    let cr = format!(
        "{}\n{uri}\n{}\n{ch}\n{}\n{payload}",
        req.method,
        cq.join("&"),
        add.join(";")
    );
    let scope = format!(
        "{}/{}/{}/aliyun_v4_request",
        auth.date, auth.region, auth.product
    );
    let sts = format!(
        "OSS4-HMAC-SHA256\n{datetime}\n{scope}\n{}",
        sha256_hex(cr.as_bytes())
    );
    let k = hmac_sha256(
        format!("aliyun_v4{secret}").as_bytes(),
        auth.date.as_bytes(),
    );
    let k = hmac_sha256(&k, auth.region.as_bytes());
    let k = hmac_sha256(&k, auth.product.as_bytes());
    let k = hmac_sha256(&k, b"aliyun_v4_request");
    hex::encode(hmac_sha256(&k, sts.as_bytes()))
}

/// Constant-time string comparison.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_headers(date: &str, nonce: &str) -> Vec<(String, String)> {
        vec![
            ("host".into(), "ecs.cn-shanghai.aliyuncs.com".into()),
            ("x-acs-action".into(), "RunInstances".into()),
            ("x-acs-content-sha256".into(), sha256_hex(b"")),
            ("x-acs-date".into(), date.into()),
            ("x-acs-signature-nonce".into(), nonce.into()),
            ("x-acs-version".into(), "2014-05-26".into()),
        ]
    }

    /// The worked example of "V3版本请求体&签名机制" (help.aliyun.com
    /// document 2593177): AccessKey `YourAccessKeyId` / `YourAccessKeySecret`.
    #[test]
    fn acs3_matches_the_documented_example() {
        let q = vec![
            (
                "ImageId".to_string(),
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd".to_string(),
            ),
            ("RegionId".to_string(), "cn-shanghai".to_string()),
        ];
        let auth = acs3_authorization(
            "POST",
            "/",
            &q,
            &doc_headers("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"),
            b"",
            "YourAccessKeyId",
            "YourAccessKeySecret",
        );
        assert_eq!(
            auth,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        // The ROA page's header example (same request, other date and nonce).
        let auth = acs3_authorization(
            "POST",
            "/",
            &q,
            &doc_headers("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0"),
            b"",
            "YourAccessKeyId",
            "YourAccessKeySecret",
        );
        assert!(
            auth.ends_with("e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"),
            "{auth}"
        );
        let parsed = parse_acs3(&auth).unwrap();
        assert_eq!(parsed.access_key_id, "YourAccessKeyId");
        assert_eq!(parsed.signed_headers.len(), 6);
    }

    /// A vector from the official `oss2` 2.19.1 `AuthV4` signer (its clock
    /// fixed at 2023-12-03T12:12:12Z), checked by this independent verifier.
    #[test]
    fn oss_v4_matches_the_oss2_signer() {
        use bytes::Bytes;
        use http::{HeaderMap, HeaderValue, Method};
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("content-type", "text/plain"),
            ("x-oss-meta-a", "b"),
            ("host", "examplebucket.oss-cn-hangzhou.aliyuncs.com"),
            ("x-oss-date", "20231203T121212Z"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ] {
            h.insert(k, HeaderValue::from_static(v));
        }
        let auth = "OSS4-HMAC-SHA256 Credential=ak-id/20231203/cn-hangzhou/oss/aliyun_v4_request, Signature=7708fcc984f716396e26bbc6a11c7943f67a68c1bd2a51bcd1f720b4f8db8669";
        h.insert("authorization", HeaderValue::from_static(auth));
        let req = SimRequest::new(
            Method::PUT,
            "examplebucket.oss-cn-hangzhou.aliyuncs.com",
            "/exam%20ple/obj.txt?partNumber=1&uploadId=U1",
            h,
            Bytes::new(),
        );
        let a = parse_oss_v4(auth).unwrap();
        assert_eq!(a.region, "cn-hangzhou");
        let q = req.query_pairs();
        let sig = |secret: &str| {
            oss_v4_signature(
                &req,
                &a,
                secret,
                Some("examplebucket"),
                "exam ple/obj.txt",
                &q,
                "20231203T121212Z",
            )
        };
        assert_eq!(sig("ak-secret"), a.signature);
        assert_ne!(sig("other-secret"), a.signature);
    }

    /// A vector from `alibabacloud-tea-openapi` 0.4.6 `Utils.get_rpcsignature`.
    #[test]
    fn rpc_v1_matches_the_tea_openapi_signer() {
        let p: Vec<(String, String)> = [
            ("Action", "DescribeRegions"),
            ("Version", "2014-05-26"),
            ("Format", "json"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "abc"),
            ("Timestamp", "2023-10-26T10:22:32Z"),
            ("RegionId", "cn-hangzhou"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            rpc_v1_signature("POST", &p, "testsecret"),
            "Yb66lgr5jyQo1HcCTESFs0EKCHc="
        );
    }

    #[test]
    fn oss_v1_resource_keeps_subresources_only() {
        let q = vec![
            ("uploadId".to_string(), "ABC".to_string()),
            ("partNumber".to_string(), "2".to_string()),
            ("max-keys".to_string(), "10".to_string()),
        ];
        assert_eq!(
            oss_v1_resource(Some("b"), "a/k.txt", &q),
            "/b/a/k.txt?partNumber=2&uploadId=ABC"
        );
        assert_eq!(oss_v1_resource(None, "", &[]), "/");
        assert_eq!(
            oss_v1_resource(Some("b"), "", &[("uploads".into(), String::new())]),
            "/b/?uploads"
        );
        assert_eq!(oss_v4_encode("/b/a b+c", true), "/b/a%20b%2Bc");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("a", "ab"));
    }
}
