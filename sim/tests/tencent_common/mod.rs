//! Shared helpers of the Tencent frontend tests: a tiny TC3 and COS signer
//! written from Tencent's documentation, and request helpers.
#![allow(dead_code)]

use hmac::{Hmac, Mac};
use multicloud_sim::estate::AccountInfo;
use multicloud_sim::{Sim, SimHandle};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub fn hmac256(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// The Authorization header of a POST JSON call (signed headers content-type;host).
#[allow(clippy::too_many_arguments)]
pub fn tc3_authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    ts: i64,
    content_type: &str,
    query: &str,
    method: &str,
    body: &[u8],
) -> String {
    let date = chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let canonical = format!(
        "{method}\n/\n{query}\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        content_type.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        sha256_hex(body)
    );
    let sts = format!(
        "TC3-HMAC-SHA256\n{ts}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k = hmac256(format!("TC3{secret_key}").as_bytes(), &date);
    let k = hmac256(&k, service);
    let k = hmac256(&k, "tc3_request");
    let sig = hex::encode(hmac256(&k, &sts));
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={sig}"
    )
}

pub struct Api<'a> {
    pub sim: &'a SimHandle,
    pub client: reqwest::Client,
    pub id: String,
    pub key: String,
    pub region: String,
    pub token: Option<String>,
    pub ts_offset: i64,
}

impl<'a> Api<'a> {
    pub fn new(sim: &'a SimHandle) -> Self {
        let a: AccountInfo = sim.accounts("tencent").remove(0);
        let mut b = reqwest::Client::builder().pool_max_idle_per_host(0);
        for s in ["cvm", "cbs", "vpc", "cam", "billing", "sts"] {
            b = b.resolve(&format!("{s}.tencentcloudapi.com"), sim.addr());
        }
        Api {
            sim,
            client: b.build().unwrap(),
            id: a.access_key_id.clone(),
            key: a.secret_access_key.expose().to_string(),
            region: a.regions[0].clone(),
            token: None,
            ts_offset: 0,
        }
    }

    /// POST a JSON call to `{service}.tencentcloudapi.com`; returns (status, body).
    pub async fn call(&self, service: &str, action: &str, params: Value) -> (u16, Value) {
        let version = match service {
            "cam" => "2019-01-16",
            "billing" => "2018-07-09",
            "sts" => "2018-08-13",
            _ => "2017-03-12",
        };
        self.call_v(service, action, version, params).await
    }

    pub async fn call_v(
        &self,
        service: &str,
        action: &str,
        version: &str,
        params: Value,
    ) -> (u16, Value) {
        let host = format!("{service}.tencentcloudapi.com");
        let body = params.to_string().into_bytes();
        let ts = self.sim.clock().now().timestamp() + self.ts_offset;
        let ct = "application/json";
        let auth = tc3_authorization(
            &self.id, &self.key, service, &host, ts, ct, "", "POST", &body,
        );
        let mut rb = self
            .client
            .post(format!("http://{host}:{}/", self.sim.addr().port()))
            .header("host", &host)
            .header("content-type", ct)
            .header("authorization", auth)
            .header("x-tc-action", action)
            .header("x-tc-version", version)
            .header("x-tc-timestamp", ts.to_string())
            .header("x-tc-region", &self.region)
            .body(body);
        if let Some(t) = &self.token {
            rb = rb.header("x-tc-token", t);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }
}

/// `Response.Error.Code` or "".
pub fn code(v: &Value) -> &str {
    v["Response"]["Error"]["Code"].as_str().unwrap_or("")
}

pub async fn start(instances: usize) -> SimHandle {
    Sim::builder()
        .seed(3)
        .providers(&["tencent"])
        .regions(2)
        .instances_per_region(instances)
        .start()
        .await
        .unwrap()
}

/// The COS Authorization value for a request (host and listed params signed).
pub fn cos_authorization(
    secret_id: &str,
    secret_key: &str,
    method: &str,
    path: &str,
    host: &str,
    params: &[(&str, &str)],
    now: i64,
) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, SET).to_string();
    let mut ps: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (enc(k).to_lowercase(), enc(v)))
        .collect();
    ps.sort();
    let key_time = format!("{};{}", now - 60, now + 600);
    let http = format!(
        "{}\n{path}\n{}\nhost={}\n",
        method.to_lowercase(),
        ps.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&"),
        enc(host)
    );
    let sts = format!(
        "sha1\n{key_time}\n{}\n",
        hex::encode(Sha1::digest(http.as_bytes()))
    );
    let mut m = Hmac::<Sha1>::new_from_slice(secret_key.as_bytes()).unwrap();
    m.update(key_time.as_bytes());
    let sign_key = hex::encode(m.finalize().into_bytes());
    let mut m = Hmac::<Sha1>::new_from_slice(sign_key.as_bytes()).unwrap();
    m.update(sts.as_bytes());
    let sig = hex::encode(m.finalize().into_bytes());
    let plist = ps
        .iter()
        .map(|(k, _)| k.clone())
        .collect::<Vec<_>>()
        .join(";");
    format!(
        "q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}&q-header-list=host&q-url-param-list={plist}&q-signature={sig}"
    )
}
