//! AWS Signature Version 4 verification.
//!
//! Both forms are read: the `Authorization: AWS4-HMAC-SHA256 Credential=...,
//! SignedHeaders=..., Signature=...` header and the presigned query
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature`). The canonical request follows
//! the published algorithm: the path is URI-encoded again (and normalized)
//! for every service but S3, which signs the path as sent; query pairs are
//! decoded, strictly re-encoded and sorted; header values are trimmed with
//! inner runs of spaces collapsed; the payload hash is the
//! `x-amz-content-sha256` header when present (S3: a hex digest,
//! `UNSIGNED-PAYLOAD` or `STREAMING-*`), otherwise the SHA-256 of the body.
//!
//! `aws-chunked` bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`,
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER`) are decoded by [`decode_chunked`];
//! chunk signatures are chained from the seed signature and checked with
//! [`verify_chunks`] (the trailer's own signature is not checked).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::frontend::{percent_decode, percent_encode_strict};

type HmacSha256 = Hmac<Sha256>;

/// The algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// SHA-256 of the empty string, hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The parts of a SigV4 signature, from the header or the presigned query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Auth {
    /// Access key id.
    pub access_key_id: String,
    /// Scope date, `YYYYMMDD`.
    pub date: String,
    /// Scope region.
    pub region: String,
    /// Scope service.
    pub service: String,
    /// Signed header names, lower case, in the order given.
    pub signed_headers: Vec<String>,
    /// The signature, hex.
    pub signature: String,
    /// Whether it came from the query (presigned URL).
    pub presigned: bool,
}

impl SigV4Auth {
    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

fn parse_credential(cred: &str) -> Option<(String, String, String, String)> {
    let mut it = cred.rsplitn(5, '/');
    let term = it.next()?;
    let service = it.next()?;
    let region = it.next()?;
    let date = it.next()?;
    let key = it.next()?;
    if term != "aws4_request" || key.is_empty() || date.len() != 8 {
        return None;
    }
    Some((key.into(), date.into(), region.into(), service.into()))
}

/// Parse an `Authorization: AWS4-HMAC-SHA256 ...` header value.
pub fn parse_authorization(value: &str) -> Option<SigV4Auth> {
    let rest = value.trim().strip_prefix(ALGORITHM)?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => cred = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => sig = Some(v.trim()),
            _ => {}
        }
    }
    let (access_key_id, date, region, service) = parse_credential(cred?)?;
    Some(SigV4Auth {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed?.split(';').map(|s| s.to_ascii_lowercase()).collect(),
        signature: sig?.to_ascii_lowercase(),
        presigned: false,
    })
}

/// Parse the presigned-URL query parameters (decoded pairs).
pub fn parse_presigned(query: &[(String, String)]) -> Option<SigV4Auth> {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("X-Amz-Algorithm")? != ALGORITHM {
        return None;
    }
    let (access_key_id, date, region, service) = parse_credential(get("X-Amz-Credential")?)?;
    Some(SigV4Auth {
        access_key_id,
        date,
        region,
        service,
        signed_headers: get("X-Amz-SignedHeaders")?
            .split(';')
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        signature: get("X-Amz-Signature")?.to_ascii_lowercase(),
        presigned: true,
    })
}

/// Remove `.` and `..` segments and empty segments (non-S3 normalization).
fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = format!("/{}", out.join("/"));
    if path.ends_with('/') && s.len() > 1 {
        s.push('/');
    }
    s
}

/// Encode a path as SigV4 does: everything but unreserved characters and `/`.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(percent_encode_strict)
        .collect::<Vec<_>>()
        .join("/")
}

/// The canonical URI: for S3 the path as sent, otherwise the normalized path
/// encoded once more.
pub fn canonical_uri(path: &str, s3: bool) -> String {
    if path.is_empty() {
        return "/".into();
    }
    if s3 {
        path.to_string()
    } else {
        encode_path(&normalize_path(path))
    }
}

/// The canonical query string of a raw query (`X-Amz-Signature` left out).
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_encode_strict(&percent_decode(k, false)),
                percent_encode_strict(&percent_decode(v, false)),
            )
        })
        .filter(|(k, _)| k != "X-Amz-Signature")
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A canonical header value: trimmed, inner runs of spaces collapsed.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The inputs of a canonical request.
#[derive(Debug, Clone)]
pub struct CanonicalInput<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as received (still encoded).
    pub path: &'a str,
    /// Raw query (no `?`).
    pub query: &'a str,
    /// Headers as (name, value); names in any case, repeats allowed.
    pub headers: &'a [(String, String)],
    /// Payload hash (hex, `UNSIGNED-PAYLOAD`, `STREAMING-...`).
    pub payload_hash: &'a str,
    /// S3 rules for the path.
    pub s3: bool,
}

/// Build the canonical request for the signed headers; `None` when a signed
/// header is missing.
pub fn canonical_request(input: &CanonicalInput, signed_headers: &[String]) -> Option<String> {
    let mut lines = String::new();
    for name in signed_headers {
        let values: Vec<String> = input
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| canonical_value(v))
            .collect();
        if values.is_empty() {
            return None;
        }
        lines.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    Some(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method,
        canonical_uri(input.path, input.s3),
        canonical_query(input.query),
        lines,
        signed_headers.join(";"),
        input.payload_hash
    ))
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut m = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The signing key for a scope.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// The hex signature of a string to sign.
pub fn sign(key: &[u8], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

/// Compare in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Everything needed to check one request's signature.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The canonical request the server built.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The expected signature.
    pub expected: String,
}

/// Compute what the signature of a request must be.
pub fn expected_signature(
    auth: &SigV4Auth,
    secret: &str,
    amz_date: &str,
    input: &CanonicalInput,
) -> Option<Verification> {
    let canonical = canonical_request(input, &auth.signed_headers)?;
    let sts = string_to_sign(amz_date, &auth.scope(), &canonical);
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    Some(Verification {
        expected: sign(&key, &sts),
        canonical_request: canonical,
        string_to_sign: sts,
    })
}

/// One decoded `aws-chunked` chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// `chunk-signature`, when the chunk was signed.
    pub signature: Option<String>,
    /// The chunk's data.
    pub data: Vec<u8>,
}

/// A decoded `aws-chunked` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chunked {
    /// Chunks in order, the final empty one included.
    pub chunks: Vec<Chunk>,
    /// Trailing headers (`x-amz-checksum-crc32`, `x-amz-trailer-signature`, ...).
    pub trailers: Vec<(String, String)>,
}

impl Chunked {
    /// The payload: every chunk's data joined.
    pub fn payload(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .flat_map(|c| c.data.iter().copied())
            .collect()
    }
}

fn read_line(body: &[u8], pos: &mut usize) -> Option<String> {
    let rest = body.get(*pos..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&rest[..end]).ok()?.to_string();
    *pos += end + 2;
    Some(line)
}

/// Decode an `aws-chunked` body; `None` when it is malformed.
pub fn decode_chunked(body: &[u8]) -> Option<Chunked> {
    let mut pos = 0;
    let mut out = Chunked::default();
    loop {
        let header = read_line(body, &mut pos)?;
        let (size, ext) = match header.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (header.as_str(), None),
        };
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        let signature = ext
            .and_then(|e| e.trim().strip_prefix("chunk-signature="))
            .map(str::to_string);
        let data = body.get(pos..pos.checked_add(size)?)?.to_vec();
        pos += size;
        out.chunks.push(Chunk { signature, data });
        if size == 0 {
            break;
        }
        if body.get(pos..pos + 2)? != b"\r\n" {
            return None;
        }
        pos += 2;
    }
    // Trailers (or the final CRLF).
    while pos < body.len() {
        let line = read_line(body, &mut pos).unwrap_or_else(|| {
            let l = String::from_utf8_lossy(&body[pos..]).into_owned();
            pos = body.len();
            l
        });
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once(':')?;
        out.trailers
            .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    Some(out)
}

/// Check the chained chunk signatures of a signed `aws-chunked` body,
/// starting from the seed (the request's) signature.
pub fn verify_chunks(
    chunked: &Chunked,
    key: &[u8],
    amz_date: &str,
    scope: &str,
    seed_signature: &str,
) -> bool {
    let mut prev = seed_signature.to_string();
    for c in &chunked.chunks {
        let Some(sig) = &c.signature else {
            return false;
        };
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{EMPTY_SHA256}\n{}",
            sha256_hex(&c.data)
        );
        let want = sign(key, &sts);
        if !same(&want, sig) {
            return false;
        }
        prev = want;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_paths() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=ABC",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "AKID");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.service, "iam");
        assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
        assert_eq!(a.signature, "abc");
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=x").is_none());
        assert_eq!(canonical_uri("/a/./b/../c//d", false), "/a/c/d");
        assert_eq!(canonical_uri("/a%20b", false), "/a%2520b");
        assert_eq!(canonical_uri("/a%20b", true), "/a%20b");
        assert_eq!(canonical_query("b=2&a=%7e&a=1&c"), "a=1&a=~&b=2&c=");
    }

    #[test]
    fn chunked_round_trip() {
        let key = signing_key("secret", "20240101", "us-east-1", "s3");
        let scope = "20240101/us-east-1/s3/aws4_request";
        let date = "20240101T000000Z";
        let seed = "00".repeat(32);
        let mut prev = seed.clone();
        let mut body = Vec::new();
        for data in [&b"hello world"[..], &b""[..]] {
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{scope}\n{prev}\n{EMPTY_SHA256}\n{}",
                sha256_hex(data)
            );
            let sig = sign(&key, &sts);
            body.extend_from_slice(
                format!("{:x};chunk-signature={sig}\r\n", data.len()).as_bytes(),
            );
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
            prev = sig;
        }
        let c = decode_chunked(&body).unwrap();
        assert_eq!(c.payload(), b"hello world");
        assert!(verify_chunks(&c, &key, date, scope, &seed));
        assert!(!verify_chunks(&c, &key, date, scope, &"11".repeat(32)));
        let unsigned = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let c = decode_chunked(unsigned).unwrap();
        assert_eq!(c.payload(), b"hello");
        assert_eq!(
            c.trailers,
            vec![("x-amz-checksum-crc32".into(), "AAAA".into())]
        );
        assert!(decode_chunked(b"zz\r\n").is_none());
    }
}
