//! Starting a simulator: [`Sim::builder`] and the running [`SimHandle`].

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::estate::{AccountInfo, Estate, EstateFileError, GenConfig, Timings};
use crate::faults::{FaultConfig, FaultRule, Faults};
use crate::frontend::{Ctx, Frontend};
use crate::frontends;
use crate::log::{DEFAULT_LOG_CAPACITY, RequestLog};
use crate::server::{Shared, serve};

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Binding or serving a socket.
    #[error("simulator I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Generating the CA or the TLS configuration.
    #[error("simulator TLS: {0}")]
    Tls(String),
    /// Loading the estate file.
    #[error(transparent)]
    Estate(#[from] EstateFileError),
    /// Bad settings.
    #[error("simulator configuration: {0}")]
    Config(String),
}

/// Entry point: `Sim::builder().seed(42).regions(2).start().await`.
#[derive(Debug, Clone, Copy)]
pub struct Sim;

impl Sim {
    /// A builder with the defaults: seed 42, the compiled-in frontends and
    /// their providers (or, without frontends, the providers whose features
    /// are on), 2 regions, 10 instances per region, plain HTTP on an
    /// ephemeral port of 127.0.0.1, one extra port per frontend.
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }
}

/// Configures and starts a simulator.
pub struct SimBuilder {
    gen_cfg: GenConfig,
    providers_set: bool,
    estate: Option<Estate>,
    estate_file: Option<PathBuf>,
    rules: Vec<FaultRule>,
    latency: Option<(u64, u64)>,
    https: bool,
    ip: IpAddr,
    port: u16,
    frontend_ports: bool,
    log_capacity: usize,
    frontends: Vec<Arc<dyn Frontend>>,
    timings: Option<Timings>,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder {
            gen_cfg: GenConfig::default(),
            providers_set: false,
            estate: None,
            estate_file: None,
            rules: Vec::new(),
            latency: None,
            https: false,
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            frontend_ports: true,
            log_capacity: DEFAULT_LOG_CAPACITY,
            frontends: frontends::compiled_in(),
            timings: None,
        }
    }
}

impl std::fmt::Debug for SimBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimBuilder")
            .field("gen", &self.gen_cfg)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SimBuilder {
    /// Seed of the generator, the ids and the fault randomness.
    pub fn seed(mut self, seed: u64) -> Self {
        self.gen_cfg.seed = seed;
        self
    }

    /// Providers to seed accounts for (any names; default: the served frontends').
    pub fn providers(mut self, providers: &[&str]) -> Self {
        self.gen_cfg.providers = providers.iter().map(|s| s.to_string()).collect();
        self.providers_set = true;
        self
    }

    /// Regions per account.
    pub fn regions(mut self, n: usize) -> Self {
        self.gen_cfg.regions = n;
        self
    }

    /// Instances per region.
    pub fn instances_per_region(mut self, n: usize) -> Self {
        self.gen_cfg.instances_per_region = n;
        self
    }

    /// The whole generator configuration (its `providers`, when not empty,
    /// count as set).
    pub fn generator(mut self, cfg: GenConfig) -> Self {
        self.providers_set = !cfg.providers.is_empty();
        self.gen_cfg = cfg;
        self
    }

    /// Serve this estate instead of generating one.
    pub fn estate(mut self, estate: Estate) -> Self {
        self.estate = Some(estate);
        self
    }

    /// Load the estate from a file (`.toml` or JSON) instead of generating one.
    pub fn estate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.estate_file = Some(path.into());
        self
    }

    /// Fixed latency on every request.
    pub fn latency(mut self, d: Duration) -> Self {
        let ms = d.as_millis() as u64;
        self.latency = Some((ms, ms));
        self
    }

    /// Random latency on every request, `min..=max`.
    pub fn latency_range(mut self, min: Duration, max: Duration) -> Self {
        self.latency = Some((min.as_millis() as u64, max.as_millis() as u64));
        self
    }

    /// Add a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Add the rules of a faults file.
    pub fn fault_config(mut self, cfg: FaultConfig) -> Self {
        self.rules.extend(cfg.rules);
        if cfg.timings.is_some() {
            self.timings = cfg.timings;
        }
        self
    }

    /// Serve HTTPS with a generated CA (see [`SimHandle::ca_pem`]).
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// Main port (0: ephemeral).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Listen address (default 127.0.0.1).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }

    /// Whether each frontend also gets a port of its own (default true).
    pub fn frontend_ports(mut self, on: bool) -> Self {
        self.frontend_ports = on;
        self
    }

    /// Request log size.
    pub fn log_capacity(mut self, n: usize) -> Self {
        self.log_capacity = n;
        self
    }

    /// Serve another frontend (after the compiled-in ones).
    pub fn frontend(mut self, f: Arc<dyn Frontend>) -> Self {
        self.frontends.push(f);
        self
    }

    /// Serve only these frontends (drops the compiled-in ones).
    pub fn only_frontends(mut self, fs: Vec<Arc<dyn Frontend>>) -> Self {
        self.frontends = fs;
        self
    }

    /// Serve the small JSON testing frontend ([`frontends::testing`]).
    pub fn with_testing_frontend(self) -> Self {
        self.frontend(Arc::new(frontends::testing::TestingFrontend::new()))
    }

    /// Transition delays.
    pub fn timings(mut self, t: Timings) -> Self {
        self.timings = Some(t);
        self
    }

    /// Build the estate, bind the sockets and start serving.
    pub async fn start(self) -> Result<SimHandle, SimError> {
        let seed = self.gen_cfg.seed;
        let estate = match (self.estate, &self.estate_file) {
            (Some(e), _) => {
                for f in &self.frontends {
                    f.setup(&e);
                }
                e
            }
            (None, Some(p)) => {
                let e = Estate::load(p)?;
                for f in &self.frontends {
                    f.setup(&e);
                }
                e
            }
            (None, None) => {
                let e = Estate::empty(seed);
                for f in &self.frontends {
                    f.setup(&e);
                }
                let mut cfg = self.gen_cfg.clone();
                if !self.providers_set {
                    cfg.providers = Vec::new();
                    for f in &self.frontends {
                        if !cfg.providers.iter().any(|p| p == f.name()) {
                            cfg.providers.push(f.name().to_string());
                        }
                    }
                    if cfg.providers.is_empty() {
                        cfg.providers = frontends::compiled_in_providers()
                            .into_iter()
                            .map(str::to_string)
                            .collect();
                    }
                }
                e.populate(&cfg);
                e
            }
        };
        if let Some(t) = self.timings {
            estate.set_timings(t);
        }
        let mut rules = Vec::new();
        if let Some((lo, hi)) = self.latency {
            rules.push(FaultRule::new("*", "*").latency_range_ms(lo, hi));
        }
        rules.extend(self.rules);
        let faults = Faults::new(seed, rules);
        let log = RequestLog::new(self.log_capacity);

        let (tls, ca_pem) = if self.https {
            let mut names = Vec::new();
            for p in estate.providers() {
                let regions: Vec<String> = estate
                    .accounts(&p)
                    .into_iter()
                    .flat_map(|a| a.regions)
                    .collect();
                names.extend(crate::tls::default_cert_names(&p, &regions));
            }
            for f in &self.frontends {
                let regions: Vec<String> = estate
                    .accounts(f.name())
                    .into_iter()
                    .flat_map(|a| a.regions)
                    .collect();
                names.extend(f.cert_names(&regions));
            }
            let t = crate::tls::generate(&names).map_err(SimError::Tls)?;
            (
                Some(tokio_rustls::TlsAcceptor::from(t.server_config.clone())),
                Some(t.ca_pem),
            )
        } else {
            (None, None)
        };

        let main = TcpListener::bind(SocketAddr::new(self.ip, self.port)).await?;
        let addr = main.local_addr()?;
        let mut fe_listeners = Vec::new();
        if self.frontend_ports {
            for (i, f) in self.frontends.iter().enumerate() {
                let l = TcpListener::bind(SocketAddr::new(self.ip, 0)).await?;
                fe_listeners.push((i, f.id().to_string(), f.name().to_string(), l));
            }
        }
        let shared = Arc::new(Shared {
            ctx: Ctx {
                estate: estate.clone(),
                clock: estate.clock().clone(),
                tls: tls.is_some(),
                addr,
            },
            faults: faults.clone(),
            log: log.clone(),
            frontends: self.frontends.clone(),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(serve(
            main,
            shared.clone(),
            None,
            tls.clone(),
            stop_rx.clone(),
        )));
        let mut frontend_addrs = Vec::new();
        for (i, id, name, l) in fe_listeners {
            frontend_addrs.push((id, name, l.local_addr()?));
            tasks.push(tokio::spawn(serve(
                l,
                shared.clone(),
                Some(i),
                tls.clone(),
                stop_rx.clone(),
            )));
        }
        Ok(SimHandle {
            addr,
            frontend_addrs,
            ca_pem,
            ca_file: None,
            estate,
            faults,
            log,
            stop: stop_tx,
            tasks,
            seed,
        })
    }
}

/// A running simulator. Dropping it stops the server (as [`SimHandle::shutdown`]
/// does, without waiting).
pub struct SimHandle {
    addr: SocketAddr,
    frontend_addrs: Vec<(String, String, SocketAddr)>,
    ca_pem: Option<String>,
    ca_file: Option<PathBuf>,
    estate: Estate,
    faults: Faults,
    log: RequestLog,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    seed: u64,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("https", &self.ca_pem.is_some())
            .field("frontends", &self.frontend_addrs)
            .finish_non_exhaustive()
    }
}

/// Quote a string for TOML.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Providers the SDK's accounts file knows.
const SDK_PROVIDERS: [&str; 6] = ["alibaba", "huawei", "tencent", "aws", "azure", "openstack"];

impl SimHandle {
    /// The main address (routes by Host header).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` or `https://...`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.addr)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// Whether the sim serves HTTPS.
    pub fn is_https(&self) -> bool {
        self.ca_pem.is_some()
    }

    /// The port of a frontend (by id, else by provider name), where the Host
    /// header is not needed.
    pub fn frontend_addr(&self, id_or_provider: &str) -> Option<SocketAddr> {
        self.frontend_addrs
            .iter()
            .find(|(id, _, _)| id == id_or_provider)
            .or_else(|| {
                self.frontend_addrs
                    .iter()
                    .find(|(_, n, _)| n == id_or_provider)
            })
            .map(|(_, _, a)| *a)
    }

    /// Every frontend port: `(id, provider, address)`.
    pub fn frontend_addrs(&self) -> Vec<(String, String, SocketAddr)> {
        self.frontend_addrs.clone()
    }

    /// The CA certificate (PEM) clients must trust, when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Write the CA to a file and reference it as `transport.ca_file` in
    /// [`SimHandle::accounts_toml`].
    pub fn write_ca_file(&mut self, path: &Path) -> std::io::Result<()> {
        if let Some(pem) = &self.ca_pem {
            std::fs::write(path, pem)?;
            self.ca_file = Some(path.to_path_buf());
        }
        Ok(())
    }

    /// The estate (read it, change it while the sim runs).
    pub fn estate(&self) -> &Estate {
        &self.estate
    }

    /// The sim clock (skew it, or advance it to finish transitions).
    pub fn clock(&self) -> &Clock {
        self.estate.clock()
    }

    /// Fault rules, changeable at runtime.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The request log.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Seeded accounts of a provider with their credentials.
    pub fn accounts(&self, provider: &str) -> Vec<AccountInfo> {
        self.estate.accounts(provider)
    }

    /// A `multicloud.toml` accounts file pointing every seeded account of
    /// the six SDK providers at this sim (static keys, `resolve = { "*" =
    /// addr }`, `allow_http` on plain HTTP, the CA file on HTTPS when
    /// written, provider extras as `options`).
    pub fn accounts_toml(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "# multicloud accounts file written by multicloud-sim (seed {})\n# listening on {}\n",
            self.seed,
            self.base_url()
        ));
        for (id, name, a) in &self.frontend_addrs {
            out.push_str(&format!(
                "# frontend {id} ({name}) also on {}://{a}\n",
                self.scheme()
            ));
        }
        let mut providers = self.estate.providers();
        providers.sort_by_key(|p| SDK_PROVIDERS.iter().position(|x| x == p).unwrap_or(99));
        for p in providers {
            if !SDK_PROVIDERS.contains(&p.as_str()) {
                continue;
            }
            for a in self.accounts(&p) {
                out.push_str("\n[[account]]\n");
                out.push_str(&format!("name = {}\n", q(&a.name)));
                out.push_str(&format!("provider = {}\n", q(&p)));
                out.push_str(&format!(
                    "credentials = {{ source = \"static\", access_key_id = {}, secret_access_key = {} }}\n",
                    q(&a.access_key_id),
                    q(a.secret_access_key.expose())
                ));
                let regions: Vec<String> = a.regions.iter().map(|r| q(r)).collect();
                out.push_str(&format!(
                    "regions = {{ include = [{}] }}\n",
                    regions.join(", ")
                ));
                if !self.is_https() {
                    out.push_str("endpoints = { allow_http = true }\n");
                }
                let mut transport =
                    format!("resolve = {{ \"*\" = {} }}", q(&self.addr.to_string()));
                if let Some(f) = &self.ca_file {
                    transport.push_str(&format!(", ca_file = {}", q(&f.display().to_string())));
                }
                out.push_str(&format!("transport = {{ {transport} }}\n"));
                if !a.extras.is_empty() {
                    let opts: BTreeMap<&String, &String> = a.extras.iter().collect();
                    let items: Vec<String> = opts
                        .iter()
                        .map(|(k, v)| format!("{} = {}", k, q(v)))
                        .collect();
                    out.push_str(&format!("options = {{ {} }}\n", items.join(", ")));
                }
            }
        }
        out
    }

    /// Stop accepting, close every connection, and wait for the server tasks.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
