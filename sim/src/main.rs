//! `multicloud-sim`: run the simulator and print a ready-to-use accounts file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use multicloud_sim::estate::Granularity;
use multicloud_sim::{Estate, FaultConfig, GenConfig, Sim};

/// Local wire-level simulator of Alibaba, Huawei, Tencent, AWS, Azure and OpenStack.
#[derive(Debug, Parser)]
#[command(name = "multicloud-sim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a generated (or loaded) estate until SIGINT/SIGTERM. Prints a
    /// `multicloud.toml` accounts file for the seeded accounts on stdout.
    Serve(ServeArgs),
    /// Write a generated estate to a file (`.toml` or `.json`) and exit.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
struct EstateArgs {
    /// Seed of the generator, ids and fault randomness (same seed, same estate).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Regions per account.
    #[arg(long, default_value_t = 2)]
    regions: usize,
    /// Instances per region.
    #[arg(long, default_value_t = 10)]
    instances_per_region: usize,
    /// Accounts per provider.
    #[arg(long, default_value_t = 1)]
    accounts_per_provider: usize,
    /// Providers to seed, comma separated (default: the compiled-in
    /// frontends, or all six when none is compiled in).
    #[arg(long, value_delimiter = ',')]
    providers: Vec<String>,
    /// Months of cost lines.
    #[arg(long, default_value_t = 2)]
    cost_months: usize,
    /// One cost line per resource per day instead of per month.
    #[arg(long)]
    daily_costs: bool,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    estate: EstateArgs,
    /// Serve this estate file (`.toml` or JSON) instead of generating one.
    #[arg(long, value_name = "FILE")]
    estate_file: Option<PathBuf>,
    /// Latency added to every request, milliseconds.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// Faults file (TOML: `[[fault]]` tables with provider, action,
    /// latency_ms, rate_limit, burst, error_rate, reset_rate, truncate_rate,
    /// malformed_rate, lost_response_rate, max_clock_skew_secs; optional `[timings]`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Serve HTTPS with a generated CA (written to --ca-file).
    #[arg(long)]
    https: bool,
    /// Where to write the CA certificate with --https (default: a file in
    /// the temporary directory, named in the printed config).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Main port (0: any free port; the chosen address is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Request log size.
    #[arg(long, default_value_t = 10_000)]
    log_capacity: usize,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    #[command(flatten)]
    estate: EstateArgs,
    /// Output file (`.toml` is TOML, anything else JSON).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn gen_config(a: &EstateArgs) -> GenConfig {
    let mut providers = a.providers.clone();
    if providers.is_empty() {
        providers = multicloud_sim::frontends::compiled_in_providers()
            .into_iter()
            .map(str::to_string)
            .collect();
    }
    if providers.is_empty() {
        providers = ["alibaba", "huawei", "tencent", "aws", "azure", "openstack"]
            .into_iter()
            .map(str::to_string)
            .collect();
    }
    GenConfig {
        seed: a.seed,
        providers,
        regions: a.regions,
        instances_per_region: a.instances_per_region,
        accounts_per_provider: a.accounts_per_provider,
        cost_months: a.cost_months,
        cost_granularity: if a.daily_costs {
            Granularity::Daily
        } else {
            Granularity::Monthly
        },
        ..GenConfig::default()
    }
}

async fn serve(a: ServeArgs) -> Result<(), String> {
    let mut b = Sim::builder()
        .generator(gen_config(&a.estate))
        .https(a.https)
        .port(a.port)
        .log_capacity(a.log_capacity);
    if let Some(ms) = a.latency_ms {
        b = b.latency(Duration::from_millis(ms));
    }
    if let Some(p) = &a.config {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let cfg = FaultConfig::from_toml(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        b = b.fault_config(cfg);
    }
    if let Some(p) = &a.estate_file {
        b = b.estate_file(p);
    }
    let signals = Signals::register();
    let mut sim = b.start().await.map_err(|e| e.to_string())?;
    if sim.is_https() {
        let path = a.ca_file.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("multicloud-sim-{}-ca.pem", std::process::id()))
        });
        sim.write_ca_file(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", sim.accounts_toml());
        let _ = writeln!(out, "\n# end of accounts; serving until SIGINT or SIGTERM");
        let _ = out.flush();
    }
    eprintln!("multicloud-sim: listening on {}", sim.base_url());
    signals.wait().await;
    eprintln!("multicloud-sim: shutting down");
    sim.shutdown().await;
    Ok(())
}

/// SIGINT/SIGTERM, registered when created (before the config is printed,
/// so a signal sent as soon as the config appears is not missed).
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            if self.int.is_none() && self.term.is_none() {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
            tokio::select! {
                _ = recv(&mut self.int) => {}
                _ = recv(&mut self.term) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn generate(a: GenerateArgs) -> Result<(), String> {
    let cfg = gen_config(&a.estate);
    let e = Estate::empty(cfg.seed);
    for f in multicloud_sim::frontends::compiled_in() {
        f.setup(&e);
    }
    e.populate(&cfg);
    e.save(&a.out).map_err(|e| e.to_string())?;
    eprintln!("multicloud-sim: wrote {}", a.out.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("multicloud-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let res = match cli.command {
        Command::Serve(a) => rt.block_on(serve(a)),
        Command::Generate(a) => generate(a),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("multicloud-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
