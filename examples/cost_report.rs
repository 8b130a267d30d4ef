//! Monthly cost by account, provider and service, one table per currency.
//! Amounts in different currencies are never added together.
//!
//! ```sh
//! cargo run --features full --example cost_report                      # simulator
//! cargo run --features full --example cost_report -- --config multicloud.toml --month 2026-10
//! ```

#[path = "common/demo.rs"]
mod demo;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate, Utc};
use clap::Parser;
use multicloud::Cloud;
use multicloud::model::{CostDimension, CostQuery};
use rust_decimal::Decimal;

/// Cost per account, provider and service for one month.
#[derive(Debug, Parser)]
#[command(name = "cost_report", about)]
struct Args {
    /// Accounts file; without it the built-in simulator is used.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Month, `YYYY-MM` (default: the current month).
    #[arg(long)]
    month: Option<String>,
}

/// (currency, account, provider, service) -> amount.
type Table = BTreeMap<(String, String, String, String), Decimal>;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let first = match &args.month {
        Some(m) => match NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                eprintln!("cost_report: --month `{m}` is not YYYY-MM");
                return ExitCode::from(1);
            }
        },
        None => {
            let today = Utc::now().date_naive();
            today.with_day(1).unwrap_or(today)
        }
    };
    let size = demo::DemoSize {
        seed: 42,
        regions: 2,
        instances_per_region: 20,
    };
    let (accounts, _demo) = match demo::accounts(args.config.as_deref(), size, false).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cost_report: {e}");
            return ExitCode::from(1);
        }
    };
    let mut query = CostQuery::month_of(first);
    query.group_by = vec![CostDimension::Service];
    let mut table = Table::new();
    let mut failures = 0;
    for account in &accounts.accounts {
        let groups = match Cloud::connect(account).await {
            Ok(p) => match p.billing() {
                Some(b) => b.cost_summary(&query).await,
                None => Err(multicloud::Error::unsupported("no billing service")),
            },
            Err(e) => Err(e),
        };
        match groups {
            Ok(groups) => {
                for g in groups {
                    let service = g
                        .keys
                        .get(&CostDimension::Service)
                        .cloned()
                        .unwrap_or_default();
                    *table
                        .entry((
                            g.currency,
                            account.name.clone(),
                            g.provider.to_string(),
                            service,
                        ))
                        .or_default() += g.amount;
                }
            }
            Err(e) => {
                failures += 1;
                eprintln!("cost_report: account {}: {e}", account.name);
            }
        }
    }
    print(&table, first);
    if failures > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn print(table: &Table, month: NaiveDate) {
    let currencies: Vec<&String> = {
        let mut c: Vec<&String> = table.keys().map(|k| &k.0).collect();
        c.dedup();
        c
    };
    if currencies.is_empty() {
        println!("No costs for {}.", month.format("%Y-%m"));
    }
    for currency in currencies {
        println!("\nCosts for {} in {currency}", month.format("%Y-%m"));
        println!(
            "{:<20} {:<10} {:<28} {:>16}",
            "account", "provider", "service", "amount"
        );
        let mut per_account: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
        let mut total = Decimal::ZERO;
        for ((c, account, provider, service), amount) in table {
            if c != currency {
                continue;
            }
            println!("{account:<20} {provider:<10} {service:<28} {amount:>16}");
            *per_account.entry((account, provider)).or_default() += *amount;
            total += *amount;
        }
        println!("{:-<77}", "");
        for ((account, provider), amount) in per_account {
            println!(
                "{account:<20} {provider:<10} {:<28} {amount:>16}",
                "(account total)"
            );
        }
        println!(
            "{:<20} {:<10} {:<28} {total:>16}",
            "all accounts", "", currency
        );
    }
}
