//! The inventory dump: every configured account, region and resource kind,
//! one normalized record per resource.
//!
//! ```sh
//! cargo run --release --features full --example inventory                # simulator
//! cargo run --release --features full --example inventory -- -c multicloud.toml --format csv -o inv.csv
//! ```
//!
//! Exit code: 0 when every scope is `ok` or `skipped`, 2 when any scope is
//! `partial` or `failed`, 1 on bad usage.

mod cli;
#[path = "../common/demo.rs"]
mod demo;
mod kinds;
mod output;
mod progress;
mod scopes;
mod waste;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Args;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("inventory: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let plan = match scopes::Plan::from_args(&args) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("inventory: {msg}");
            return ExitCode::from(1);
        }
    };
    // Keep the simulator alive for the whole run when we started one.
    let size = demo::DemoSize {
        seed: args.sim_seed,
        regions: args.sim_regions,
        instances_per_region: args.sim_instances_per_region,
    };
    let (accounts, _demo) = match demo::accounts(args.config.as_deref(), size, args.quiet).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("inventory: {e}");
            return ExitCode::from(1);
        }
    };
    let out: Box<dyn Write + Send> = match &args.out {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("inventory: cannot write {}: {e}", p.display());
                return ExitCode::from(1);
            }
        },
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    match scopes::run(&args, &plan, &accounts, out).await {
        Ok(outcome) => {
            if let Some(path) = &args.summary {
                let written = serde_json::to_vec_pretty(&outcome.scopes)
                    .map_err(std::io::Error::other)
                    .and_then(|json| std::fs::write(path, json));
                if let Err(e) = written {
                    eprintln!("inventory: cannot write {}: {e}", path.display());
                    return ExitCode::from(1);
                }
            }
            if !args.quiet {
                let mut err = std::io::stderr().lock();
                let _ = outcome.write_summary(&mut err);
                if let Some(w) = &outcome.waste {
                    let _ = w.write(&mut err, &|a, r| outcome.instances_complete(a, r));
                }
            }
            ExitCode::from(outcome.exit_code())
        }
        Err(e) => {
            eprintln!("inventory: {e}");
            ExitCode::from(1)
        }
    }
}
