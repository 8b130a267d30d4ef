//! The server against the testing frontend: routing, faults (observed from
//! raw clients), request log, HTTPS.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use multicloud_sim::estate::AccountInfo;
use multicloud_sim::frontends::testing;
use multicloud_sim::{FaultKind, FaultRule, MALFORMED_BODY, Scope, Sim, SimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HOST: &str = "api.testing.sim";

async fn start() -> SimHandle {
    Sim::builder()
        .seed(11)
        .only_frontends(vec![])
        .with_testing_frontend()
        .regions(1)
        .instances_per_region(5)
        .start()
        .await
        .unwrap()
}

fn client(sim: &SimHandle) -> reqwest::Client {
    reqwest::Client::builder()
        .resolve(HOST, sim.addr())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn account(sim: &SimHandle) -> AccountInfo {
    sim.accounts("testing").remove(0)
}

fn url(sim: &SimHandle, query: &str) -> String {
    format!("{}://{HOST}:{}/?{query}", sim.scheme(), sim.addr().port())
}

async fn call(
    c: &reqwest::Client,
    sim: &SimHandle,
    action: &str,
    query: &str,
) -> reqwest::Result<reqwest::Response> {
    call_at(c, sim, action, query, chrono::Utc::now().timestamp()).await
}

async fn call_at(
    c: &reqwest::Client,
    sim: &SimHandle,
    action: &str,
    query: &str,
    date: i64,
) -> reqwest::Result<reqwest::Response> {
    let a = account(sim);
    let date = date.to_string();
    c.get(url(sim, query))
        .header("x-sim-action", action)
        .header("x-sim-date", &date)
        .header(
            "authorization",
            testing::authorization(
                "GET",
                "/",
                &date,
                &a.access_key_id,
                a.secret_access_key.expose(),
            ),
        )
        .send()
        .await
}

/// Send a signed request over a raw socket and read until the server closes.
async fn raw(sim: &SimHandle, action: &str) -> (std::io::Result<usize>, Vec<u8>) {
    let a = account(sim);
    let date = chrono::Utc::now().timestamp().to_string();
    let auth = testing::authorization(
        "GET",
        "/",
        &date,
        &a.access_key_id,
        a.secret_access_key.expose(),
    );
    let mut s = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let req = format!(
        "GET / HTTP/1.1\r\nhost: {HOST}\r\nx-sim-action: {action}\r\nx-sim-date: {date}\r\nauthorization: {auth}\r\nconnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .expect("server neither answered nor closed");
    (r, buf)
}

fn split_response(buf: &[u8]) -> (String, Vec<u8>) {
    let pos = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    (
        String::from_utf8_lossy(&buf[..pos]).to_lowercase(),
        buf[pos + 4..].to_vec(),
    )
}

#[tokio::test]
async fn routes_by_host_verifies_signatures_and_logs() {
    let sim = start().await;
    let c = client(&sim);
    let r = call(&c, &sim, "Hello", "").await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["hello"], "world");
    assert_eq!(v["account"], account(&sim).id);
    let r = call(
        &c,
        &sim,
        "ListInstances",
        &format!("region={}&limit=2", account(&sim).regions[0]),
    )
    .await
    .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["total"], 5);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    // Wrong signature: the frontend's error.
    let r = c
        .get(url(&sim, ""))
        .header("x-sim-action", "Hello")
        .header("x-sim-date", "1")
        .header(
            "authorization",
            format!("SIM {}:deadbeef", account(&sim).access_key_id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "SignatureDoesNotMatch");
    // Unknown host: no frontend.
    let other = reqwest::Client::builder()
        .resolve("ecs.example.invalid", sim.addr())
        .build()
        .unwrap();
    let r = other
        .get(format!("http://ecs.example.invalid:{}/", sim.addr().port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let log = sim.requests().entries();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].frontend.as_deref(), Some("testing"));
    assert_eq!(log[0].action, "Hello");
    assert_eq!(log[0].host, HOST);
    assert!(!log[0].mutating);
    assert_eq!(log[0].status, Some(200));
    assert!(
        log[0]
            .headers
            .iter()
            .any(|(k, v)| k == "x-sim-action" && v == "Hello")
    );
    assert_eq!(
        log[1].path,
        format!("/?region={}&limit=2", account(&sim).regions[0])
    );
    assert_eq!(log[2].status, Some(403));
    assert_eq!(log[3].frontend, None);
    assert_eq!(log[3].status, Some(404));
    sim.requests().clear();
    assert!(sim.requests().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn each_frontend_has_its_own_port() {
    let sim = start().await;
    let port: SocketAddr = sim.frontend_addr("testing").unwrap();
    assert_ne!(port, sim.addr());
    let a = account(&sim);
    let date = chrono::Utc::now().timestamp().to_string();
    // No resolve override, Host is just 127.0.0.1:port.
    let r = reqwest::Client::new()
        .post(format!("http://{port}/"))
        .header("x-sim-action", "Hello")
        .header("x-sim-date", &date)
        .header(
            "authorization",
            testing::authorization(
                "POST",
                "/",
                &date,
                &a.access_key_id,
                a.secret_access_key.expose(),
            ),
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log = sim.requests().entries();
    assert_eq!(log[0].host, "127.0.0.1");
    assert!(
        log[0].mutating,
        "POST counts as mutating for the testing frontend"
    );
    assert_eq!(&log[0].body[..], b"{}");
    // The same request on the main port has no frontend for host 127.0.0.1.
    let r = reqwest::Client::new()
        .get(format!("http://{}/", sim.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn latency_fault_delays_matching_actions_only() {
    let sim = start().await;
    sim.faults()
        .set(vec![FaultRule::new("testing", "Hel*").latency_ms(400)]);
    let c = client(&sim);
    let t = Instant::now();
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    let t = Instant::now();
    call(&c, &sim, "ListInstances", "region=x").await.unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    // Random range.
    sim.faults()
        .set(vec![FaultRule::new("*", "*").latency_range_ms(100, 150)]);
    let t = Instant::now();
    call(&c, &sim, "Hello", "").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn rate_limit_answers_with_the_throttle_response() {
    let sim = start().await;
    sim.faults()
        .set(vec![FaultRule::new("testing", "Hello").rate_limit(0.01, 2)]);
    let c = client(&sim);
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
    let r = call(&c, &sim, "Hello", "").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "Throttled");
    // Another action has its own bucket (no rule: unlimited).
    assert_eq!(
        call(&c, &sim, "ListInstances", "region=x")
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        sim.requests().entries()[2].fault,
        Some(FaultKind::Throttled)
    );
    // Refill: a fast rate lets requests through again.
    sim.faults()
        .set(vec![FaultRule::new("testing", "Hello").rate_limit(50.0, 1)]);
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
}

async fn error_sequence(seed: u64) -> Vec<u16> {
    let sim = Sim::builder()
        .seed(seed)
        .only_frontends(vec![])
        .with_testing_frontend()
        .regions(1)
        .instances_per_region(1)
        .fault(FaultRule::new("testing", "*").error_rate(0.5))
        .start()
        .await
        .unwrap();
    let c = client(&sim);
    let mut out = Vec::new();
    for _ in 0..40 {
        let r = call(&c, &sim, "Hello", "").await.unwrap();
        if r.status() == 503 {
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "ServiceUnavailable");
            out.push(503);
        } else {
            out.push(r.status().as_u16());
        }
    }
    out
}

#[tokio::test]
async fn server_error_rate_is_seeded() {
    let a = error_sequence(3).await;
    let b = error_sequence(3).await;
    let c = error_sequence(4).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let errors = a.iter().filter(|s| **s == 503).count();
    assert!((8..=32).contains(&errors), "{errors} of 40");
    assert!(a.iter().all(|s| *s == 200 || *s == 503));
}

#[tokio::test]
async fn reset_closes_the_connection_without_a_response() {
    let sim = start().await;
    sim.faults()
        .set(vec![FaultRule::new("testing", "Hello").reset_rate(1.0)]);
    let (r, buf) = raw(&sim, "Hello").await;
    match r {
        Ok(n) => assert_eq!(n, 0, "got a response: {:?}", String::from_utf8_lossy(&buf)),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
    }
    assert!(buf.is_empty());
    let c = client(&sim);
    assert!(call(&c, &sim, "Hello", "").await.is_err());
    let e = &sim.requests().entries()[0];
    assert_eq!(e.fault, Some(FaultKind::Reset));
    assert_eq!(e.status, None);
    // Other actions are unaffected.
    let (r, buf) = raw(&sim, "ListInstances").await;
    assert!(r.is_ok());
    assert!(buf.starts_with(b"HTTP/1.1 404"));
}

#[tokio::test]
async fn truncated_body_is_shorter_than_its_content_length() {
    let sim = start().await;
    sim.faults()
        .set(vec![FaultRule::new("testing", "Hello").truncate_rate(1.0)]);
    let (_r, buf) = raw(&sim, "Hello").await;
    let (head, body) = split_response(&buf);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    assert!(body.len() < len, "{} of {len}", body.len());
    let c = client(&sim);
    let r = call(&c, &sim, "Hello", "").await.unwrap();
    assert!(r.bytes().await.is_err());
    assert_eq!(
        sim.requests().entries()[0].fault,
        Some(FaultKind::Truncated)
    );
}

#[tokio::test]
async fn malformed_body_replaces_the_payload() {
    let sim = start().await;
    sim.faults()
        .set(vec![FaultRule::new("testing", "Hello").malformed_rate(1.0)]);
    let c = client(&sim);
    let r = call(&c, &sim, "Hello", "").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..], MALFORMED_BODY);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
}

#[tokio::test]
async fn clock_skew_gets_the_expired_signature_error() {
    let sim = start().await;
    sim.faults().set(vec![
        FaultRule::new("testing", "*").max_clock_skew_secs(300),
    ]);
    let c = client(&sim);
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
    // The client's clock is 10 minutes behind.
    let old = chrono::Utc::now().timestamp() - 600;
    let r = call_at(&c, &sim, "Hello", "", old).await.unwrap();
    assert_eq!(r.status(), 401);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "RequestExpired");
    // Skew the sim's clock instead: a correct client is now rejected.
    sim.clock().set_offset_ms(3_600_000);
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 401);
    assert_eq!(
        sim.requests().entries()[2].fault,
        Some(FaultKind::ClockSkew)
    );
    sim.clock().set_offset_ms(0);
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
}

#[tokio::test]
async fn lost_response_applies_the_change_then_drops_the_connection() {
    let sim = start().await;
    let a = account(&sim);
    let scope = Scope::new("testing", &a.id, &a.regions[0]);
    let before = sim.estate().count_instances(&scope).unwrap();
    sim.faults()
        .set(vec![FaultRule::new("testing", "*").lost_response_rate(1.0)]);
    let c = client(&sim);
    let q = format!("region={}&name=lost&token=tok-lost", a.regions[0]);
    // Read-only actions are not affected.
    assert_eq!(call(&c, &sim, "Hello", "").await.unwrap().status(), 200);
    let r = call(&c, &sim, "CreateInstance", &q).await;
    assert!(r.is_err(), "the client must not see a response");
    assert_eq!(sim.estate().count_instances(&scope).unwrap(), before + 1);
    let e = sim.requests().entries().pop().unwrap();
    assert_eq!(e.fault, Some(FaultKind::LostResponse));
    assert!(e.mutating);
    assert_eq!(e.status, None);
    // The retry with the same client token returns the first instance.
    sim.faults().clear();
    let v: serde_json::Value = call(&c, &sim, "CreateInstance", &q)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sim.estate().count_instances(&scope).unwrap(), before + 1);
    let id = v["id"].as_str().unwrap();
    assert_eq!(sim.estate().instance(&scope, id).unwrap().name, "lost");
}

#[tokio::test]
async fn https_with_the_generated_ca() {
    let sim = Sim::builder()
        .seed(5)
        .only_frontends(vec![])
        .with_testing_frontend()
        .regions(1)
        .instances_per_region(1)
        .https(true)
        .start()
        .await
        .unwrap();
    assert!(sim.is_https());
    let pem = sim.ca_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .resolve(HOST, sim.addr())
        .add_root_certificate(ca.clone())
        .build()
        .unwrap();
    let r = call(&c, &sim, "Hello", "").await.unwrap();
    assert_eq!(r.status(), 200);
    // The IP address and localhost are covered too.
    let c2 = reqwest::Client::builder()
        .add_root_certificate(ca.clone())
        .build()
        .unwrap();
    let r = c2
        .get(format!("https://127.0.0.1:{}/", sim.addr().port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let port = sim.frontend_addr("testing").unwrap().port();
    let r = c2
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "frontend port reached over TLS");
    // A name outside the certificate fails verification.
    let c3 = reqwest::Client::builder()
        .resolve("other.example.com", sim.addr())
        .add_root_certificate(ca)
        .build()
        .unwrap();
    assert!(
        c3.get(format!("https://other.example.com:{}/", sim.addr().port()))
            .send()
            .await
            .is_err()
    );
    // Without the CA, the certificate is not trusted.
    let plain = reqwest::Client::builder()
        .resolve(HOST, sim.addr())
        .build()
        .unwrap();
    assert!(call(&plain, &sim, "Hello", "").await.is_err());
}

#[tokio::test]
async fn accounts_toml_points_at_the_sim() {
    let sim = Sim::builder()
        .seed(1)
        .only_frontends(vec![])
        .providers(&["tencent", "alibaba", "testing"])
        .regions(2)
        .instances_per_region(1)
        .start()
        .await
        .unwrap();
    let text = sim.accounts_toml();
    let v: toml::Table = toml::from_str(&text).unwrap();
    let accts = v["account"].as_array().unwrap();
    assert_eq!(accts.len(), 2, "only SDK providers are listed: {text}");
    let t = accts
        .iter()
        .find(|a| a["provider"].as_str() == Some("tencent"))
        .unwrap();
    let info = &sim.accounts("tencent")[0];
    assert_eq!(t["name"].as_str(), Some(info.name.as_str()));
    assert_eq!(t["credentials"]["source"].as_str(), Some("static"));
    assert_eq!(
        t["credentials"]["access_key_id"].as_str(),
        Some(info.access_key_id.as_str())
    );
    assert_eq!(
        t["credentials"]["secret_access_key"].as_str(),
        Some(info.secret_access_key.expose())
    );
    assert_eq!(
        t["transport"]["resolve"]["*"].as_str(),
        Some(sim.addr().to_string().as_str())
    );
    assert_eq!(t["endpoints"]["allow_http"].as_bool(), Some(true));
    assert_eq!(
        t["options"]["app_id"].as_str(),
        Some(info.extras["app_id"].as_str())
    );
    assert_eq!(t["regions"]["include"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let sim = start().await;
    let addr = sim.addr();
    sim.shutdown().await;
    let r =
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await;
    assert!(matches!(r, Ok(Err(_))), "still accepting after shutdown");
}
