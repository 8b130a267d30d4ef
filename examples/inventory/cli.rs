//! Command-line options of the inventory dump.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Inventory every configured account, region and resource kind, and write
/// one record per resource. With no `--config`, a built-in simulator of every
/// compiled-in cloud is started and inventoried instead.
#[derive(Debug, Parser)]
#[command(name = "inventory", version, about)]
pub struct Args {
    /// Accounts file (multicloud.toml). Without it, the simulator is used.
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,

    /// Write records to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    /// Only regions matching these globs (comma-separated, e.g. `cn-*,us-east-1`).
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,

    /// Only kinds matching these globs (comma-separated, e.g. `instances,vol*`).
    /// Kinds: instances volumes images vpcs subnets security_groups public_ips
    /// buckets objects users groups roles policies cost_lines balance.
    #[arg(long, value_delimiter = ',')]
    pub kinds: Vec<String>,

    /// Also list the objects of every bucket (off by default: it can be huge).
    #[arg(long)]
    pub objects: bool,

    /// Month of cost lines, `YYYY-MM` (default: the previous month).
    #[arg(long)]
    pub month: Option<String>,

    /// Error codes (the cloud's raw code or a kind such as `permission_denied`)
    /// that mark a scope `skipped` instead of `failed`.
    #[arg(long, value_delimiter = ',')]
    pub ignore_codes: Vec<String>,

    /// Also write the per-scope summary (account, provider, region, kind,
    /// count, status, detail) to this file as JSON.
    #[arg(long)]
    pub summary: Option<PathBuf>,

    /// Extra report to print after the summary.
    #[arg(long, value_enum)]
    pub report: Option<Report>,

    /// Scopes (account x region x kind) inventoried at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,

    /// Print nothing on stderr but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Simulator only: instances per region of the demo estate.
    #[arg(long, default_value_t = 100)]
    pub sim_instances_per_region: usize,

    /// Simulator only: regions per provider of the demo estate.
    #[arg(long, default_value_t = 2)]
    pub sim_regions: usize,

    /// Simulator only: seed of the demo estate.
    #[arg(long, default_value_t = 42)]
    pub sim_seed: u64,
}

/// Output format of the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header line.
    Csv,
    /// Aligned text columns.
    Table,
}

/// Extra reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Report {
    /// Unattached volumes, unbound public IPs, stopped instances still
    /// charging, security groups no instance uses, with their costs.
    Waste,
}
