//! Signature verification: TC3-HMAC-SHA256 (API 3.0) and the COS
//! `q-sign-algorithm=sha1` signature (Authorization header or presigned
//! query). Written from Tencent's signature documentation; independent of
//! the SDK's signer.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::frontend::{SimRequest, percent_decode, percent_encode_strict};

/// The parts of a `TC3-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tc3Auth {
    /// SecretId.
    pub(crate) secret_id: String,
    /// Credential scope date (`YYYY-MM-DD`).
    pub(crate) date: String,
    /// Credential scope service (`cvm`).
    pub(crate) service: String,
    /// Signed header names, lower case, in the order given.
    pub(crate) signed_headers: Vec<String>,
    /// Hex signature.
    pub(crate) signature: String,
}

/// Parse the Authorization header of an API 3.0 request.
pub(crate) fn parse_tc3(header: &str) -> Option<Tc3Auth> {
    let rest = header.trim().strip_prefix("TC3-HMAC-SHA256")?.trim();
    let mut cred = None;
    let mut signed = None;
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => cred = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => sig = Some(v.trim()),
            _ => {}
        }
    }
    let mut c = cred?.split('/');
    let secret_id = c.next()?.to_string();
    let date = c.next()?.to_string();
    let service = c.next()?.to_string();
    if c.next()? != "tc3_request" || c.next().is_some() {
        return None;
    }
    let signed_headers: Vec<String> = signed?
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if !signed_headers.iter().any(|h| h == "host")
        || !signed_headers.iter().any(|h| h == "content-type")
    {
        return None;
    }
    Some(Tc3Auth {
        secret_id,
        date,
        service,
        signed_headers,
        signature: sig?.to_ascii_lowercase(),
    })
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hmac1_hex(key: &[u8], msg: &[u8]) -> String {
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(msg);
            hex::encode(m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The TC3 canonical request of `req` for the signed headers in `auth`.
/// Header keys and values are lower-cased and trimmed; the payload hash is
/// of the body, or of `UNSIGNED-PAYLOAD` when `X-TC-Content-SHA256` says so.
pub(crate) fn tc3_canonical_request(req: &SimRequest, auth: &Tc3Auth) -> String {
    let mut names = auth.signed_headers.clone();
    names.sort();
    let mut canonical_headers = String::new();
    for n in &names {
        let v = req
            .headers
            .get_all(n.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        canonical_headers.push_str(&format!("{n}:{}\n", v.trim().to_ascii_lowercase()));
    }
    let unsigned = req
        .header("x-tc-content-sha256")
        .is_some_and(|v| v == "UNSIGNED-PAYLOAD");
    let payload_hash = if unsigned {
        sha256_hex(b"UNSIGNED-PAYLOAD")
    } else {
        sha256_hex(&req.body)
    };
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.as_str(),
        req.path(),
        req.raw_query(),
        canonical_headers,
        names.join(";"),
        payload_hash
    )
}

/// The TC3 signature over a canonical request.
pub(crate) fn tc3_signature(
    secret_key: &str,
    date: &str,
    service: &str,
    timestamp: &str,
    canonical_request: &str,
) -> String {
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac256(&k_date, service.as_bytes());
    let k_signing = hmac256(&k_service, b"tc3_request");
    hex::encode(hmac256(&k_signing, string_to_sign.as_bytes()))
}

/// The legacy (v1) signature: `HmacSHA1` or `HmacSHA256` over
/// `METHOD + host + path + "?" + sorted "k=v" pairs` (raw values, `_` in
/// names written as `.`, `Signature` excluded), base64.
pub(crate) fn v1_signature(
    method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
    secret_key: &str,
    sha256: bool,
) -> String {
    use base64::Engine as _;
    let mut pairs: Vec<(String, &str)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (k.replace('_', "."), v.as_str()))
        .collect();
    pairs.sort();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let text = format!("{method}{host}{path}?{query}");
    let mac = if sha256 {
        hmac256(secret_key.as_bytes(), text.as_bytes())
    } else {
        match Hmac::<Sha1>::new_from_slice(secret_key.as_bytes()) {
            Ok(mut m) => {
                m.update(text.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    };
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Compare two strings without an early exit.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The parts of a COS signature (`q-sign-algorithm=sha1&q-ak=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CosAuth {
    /// SecretId.
    pub(crate) ak: String,
    /// `start;end` of validity.
    pub(crate) sign_time: String,
    /// `start;end` the key was derived for.
    pub(crate) key_time: String,
    /// Signed header names (lower case, encoded).
    pub(crate) header_list: Vec<String>,
    /// Signed query parameter names (lower case, encoded).
    pub(crate) param_list: Vec<String>,
    /// Hex signature.
    pub(crate) signature: String,
    /// Whether it came from the query string (presigned URL).
    pub(crate) presigned: bool,
}

impl CosAuth {
    /// Start and end of `q-sign-time`, Unix seconds.
    pub(crate) fn window(&self) -> Option<(i64, i64)> {
        let (a, b) = self.sign_time.split_once(';')?;
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    }
}

fn parse_cos_pairs(pairs: &[(String, String)], presigned: bool) -> Option<CosAuth> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if get("q-sign-algorithm")? != "sha1" {
        return None;
    }
    let list = |s: Option<String>| -> Vec<String> {
        s.unwrap_or_default()
            .split(';')
            .filter(|x| !x.is_empty())
            .map(|x| x.to_ascii_lowercase())
            .collect()
    };
    Some(CosAuth {
        ak: get("q-ak")?,
        sign_time: get("q-sign-time")?,
        key_time: get("q-key-time")?,
        header_list: list(get("q-header-list")),
        param_list: list(get("q-url-param-list")),
        signature: get("q-signature")?.to_ascii_lowercase(),
        presigned,
    })
}

/// The COS signature of a request, from the Authorization header or the query.
pub(crate) fn parse_cos(req: &SimRequest) -> Option<CosAuth> {
    if let Some(h) = req.header("authorization").filter(|h| !h.is_empty()) {
        let pairs: Vec<(String, String)> = h
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        return parse_cos_pairs(&pairs, false);
    }
    let q = req.query_pairs();
    if q.iter().any(|(k, _)| k == "q-signature") {
        return parse_cos_pairs(&q, true);
    }
    None
}

/// The COS `HttpString`, `StringToSign` and signature of `req` for `auth`.
/// With `host_without_port`, a signed `host` is taken without its port
/// (the SDKs sign the URL's host name when they do not set `Host`).
pub(crate) fn cos_signature(
    req: &SimRequest,
    auth: &CosAuth,
    secret_key: &str,
    host_without_port: bool,
) -> String {
    // Query names and values, encoded strictly, keys lower case; the
    // signature's own parameters never take part.
    let mut params: Vec<(String, String)> = Vec::new();
    for (k, v) in req.query_pairs() {
        let ek = percent_encode_strict(&k).to_ascii_lowercase();
        if auth.param_list.contains(&ek) {
            params.push((ek, percent_encode_strict(&v)));
        }
    }
    params.sort();
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in req.headers.iter() {
        let ek = percent_encode_strict(name.as_str()).to_ascii_lowercase();
        if auth.header_list.contains(&ek) {
            let mut v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if host_without_port && ek == "host" {
                v = req.host.clone();
            }
            headers.push((ek, percent_encode_strict(&v)));
        }
    }
    headers.sort();
    let join = |v: &[(String, String)]| {
        v.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    let path = percent_decode(req.path(), false);
    let http_string = format!(
        "{}\n{}\n{}\n{}\n",
        req.method.as_str().to_ascii_lowercase(),
        path,
        join(&params),
        join(&headers)
    );
    let sha = hex::encode(Sha1::digest(http_string.as_bytes()));
    let string_to_sign = format!("sha1\n{}\n{sha}\n", auth.sign_time);
    let sign_key = hmac1_hex(secret_key.as_bytes(), auth.key_time.as_bytes());
    hmac1_hex(sign_key.as_bytes(), string_to_sign.as_bytes())
}

/// Whether the signed header list covers every header COS's SDKs sign that
/// the request carries (a missing signed header would be a mismatch).
pub(crate) fn cos_headers_present(req: &SimRequest, auth: &CosAuth) -> bool {
    auth.header_list
        .iter()
        .all(|h| req.headers.contains_key(h.as_str()))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    use super::*;

    /// The worked example of Tencent's "Signature v3" document.
    fn doc_request() -> SimRequest {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert("host", HeaderValue::from_static("cvm.tencentcloudapi.com"));
        SimRequest::new(
            Method::POST,
            "cvm.tencentcloudapi.com",
            "/",
            h,
            Bytes::from_static(
                br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#,
            ),
        )
    }

    #[test]
    fn tc3_matches_the_documented_example() {
        let req = doc_request();
        let auth = parse_tc3(
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
        )
        .unwrap();
        assert_eq!(auth.service, "cvm");
        let canonical = tc3_canonical_request(&req, &auth);
        assert!(
            canonical.ends_with("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let sig = tc3_signature(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "2019-02-25",
            "cvm",
            "1551113065",
            &canonical,
        );
        assert_eq!(sig, auth.signature);
        // A changed body changes the signature.
        let mut tampered = req.clone();
        tampered.body = Bytes::from_static(br#"{"Limit": 2}"#);
        let sig2 = tc3_signature(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "2019-02-25",
            "cvm",
            "1551113065",
            &tc3_canonical_request(&tampered, &auth),
        );
        assert_ne!(sig2, auth.signature);
        assert!(!same(&sig2, &auth.signature));
    }

    #[test]
    fn v1_signature_matches_the_documented_example() {
        // Tencent's "Signature" (v1) document: GET cvm.tencentcloudapi.com,
        // DescribeInstances with these parameters, HmacSHA1.
        let params: Vec<(String, String)> = [
            ("Action", "DescribeInstances"),
            ("InstanceIds.0", "ins-09dx96dg"),
            ("Limit", "20"),
            ("Nonce", "11886"),
            ("Offset", "0"),
            ("Region", "ap-guangzhou"),
            ("SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"),
            ("Timestamp", "1465185768"),
            ("Version", "2017-03-12"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sig = v1_signature(
            "GET",
            "cvm.tencentcloudapi.com",
            "/",
            &params,
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            false,
        );
        assert_eq!(sig, "EliP9YW3pW28FpsEdkXt/+WcGeI=");
    }

    #[test]
    fn tc3_header_parsing_rejects_garbage() {
        assert!(parse_tc3("Bearer x").is_none());
        assert!(
            parse_tc3("TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=host, Signature=x")
                .is_none()
        );
    }

    /// A vector computed by cos-python-sdk-v5 1.9.44 (`CosS3Auth`, time fixed
    /// at 1700000000): GET with a Range header and a versionId parameter.
    #[test]
    fn cos_signature_matches_the_python_sdk() {
        let host = "b-1250000000.cos.ap-guangzhou.myqcloud.com";
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static(host));
        h.insert("range", HeaderValue::from_static("bytes=0-4"));
        h.insert("user-agent", HeaderValue::from_static("not signed"));
        let mut req = SimRequest::new(
            Method::GET,
            host,
            "/dir/a%20b.txt?versionId=x+y",
            h,
            Bytes::new(),
        );
        let value = "q-sign-algorithm=sha1&q-ak=AKIDexample&q-sign-time=1699999940;1700000600&q-key-time=1699999940;1700000600&q-header-list=host;range&q-url-param-list=versionid&q-signature=0f9dabd1ca0b4b800cf5f3cf8051016a2b02abad";
        req.headers
            .insert("authorization", HeaderValue::from_static(value));
        let auth = parse_cos(&req).unwrap();
        assert!(!auth.presigned);
        assert_eq!(
            cos_signature(&req, &auth, "secretkey", false),
            auth.signature
        );
        assert_ne!(
            cos_signature(&req, &auth, "otherkey", false),
            auth.signature
        );
    }

    #[test]
    fn cos_signature_round_trip() {
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_static("b-1250000000.cos.ap-guangzhou.myqcloud.com"),
        );
        let req = SimRequest::new(
            Method::GET,
            "b-1250000000.cos.ap-guangzhou.myqcloud.com",
            "/a%20b.txt?max-keys=2",
            h,
            Bytes::new(),
        );
        let mut auth = CosAuth {
            ak: "AKID".into(),
            sign_time: "1700000000;1700000600".into(),
            key_time: "1700000000;1700000600".into(),
            header_list: vec!["host".into()],
            param_list: vec!["max-keys".into()],
            signature: String::new(),
            presigned: false,
        };
        let s1 = cos_signature(&req, &auth, "secret", false);
        assert_eq!(cos_signature(&req, &auth, "secret", true), s1);
        assert_eq!(s1.len(), 40);
        auth.param_list.clear();
        assert_ne!(cos_signature(&req, &auth, "secret", false), s1);
        assert_eq!(auth.window(), Some((1_700_000_000, 1_700_000_600)));
    }
}
