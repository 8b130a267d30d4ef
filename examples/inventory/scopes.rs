//! Planning and running scopes: one (account, region, kind) each.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Utc};
use futures::StreamExt;
use globset::{Glob, GlobSet, GlobSetBuilder};
use multicloud::config::{AccountConfig, AccountsFile};
use multicloud::model::CostQuery;
use multicloud::{Cloud, Error, ErrorKind, Provider};

use crate::cli::{Args, Report};
use crate::kinds::{self, Kind, Record};
use crate::output::Writer;
use crate::progress::Progress;
use crate::waste::Waste;

/// What to inventory, from the command line.
pub struct Plan {
    regions: Option<GlobSet>,
    kinds: Vec<Kind>,
    month: CostQuery,
    ignore: BTreeSet<String>,
}

fn globs(patterns: &[String], what: &str) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("bad {what} glob `{p}`: {e}"))?);
    }
    b.build()
        .map(Some)
        .map_err(|e| format!("bad {what} globs: {e}"))
}

impl Plan {
    /// Validate the options into a plan; `Err` is a usage error.
    pub fn from_args(args: &Args) -> Result<Self, String> {
        let regions = globs(&args.regions, "region")?;
        let kind_globs = globs(&args.kinds, "kind")?;
        let kinds: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| match &kind_globs {
                Some(g) => g.is_match(k.name()),
                None => *k != Kind::Objects || args.objects,
            })
            .filter(|k| *k != Kind::Objects || args.objects || kind_globs.is_some())
            .collect();
        if kinds.is_empty() {
            return Err(format!("--kinds {:?} matches no kind", args.kinds));
        }
        let month = match &args.month {
            Some(m) => {
                let day = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                    .map_err(|_| format!("--month `{m}` is not YYYY-MM"))?;
                CostQuery::month_of(day)
            }
            None => {
                let today = Utc::now().date_naive();
                let this_month = today.with_day(1).unwrap_or(today);
                let prev = this_month.pred_opt().unwrap_or(this_month);
                CostQuery::month_of(prev)
            }
        };
        Ok(Plan {
            regions,
            kinds,
            month,
            ignore: args.ignore_codes.iter().cloned().collect(),
        })
    }
}

/// How a scope ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Skipped,
    Partial,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Partial => "partial",
            Status::Failed => "failed",
        }
    }
}

/// One scope's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScopeResult {
    pub account: String,
    pub provider: String,
    pub region: String,
    pub kind: &'static str,
    pub count: u64,
    pub status: Status,
    pub detail: String,
}

/// The whole run's result.
pub struct Outcome {
    pub scopes: Vec<ScopeResult>,
    pub records: u64,
    pub waste: Option<Waste>,
}

impl Outcome {
    /// 0 when all scopes are ok or skipped, 2 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self
            .scopes
            .iter()
            .any(|s| matches!(s.status, Status::Partial | Status::Failed))
        {
            2
        } else {
            0
        }
    }

    /// Whether the instances of (account, region) were listed completely.
    pub fn instances_complete(&self, account: &str, region: &str) -> bool {
        self.scopes.iter().any(|s| {
            s.account == account
                && s.region == region
                && s.kind == Kind::Instances.name()
                && s.status == Status::Ok
        })
    }

    /// The summary table: account x region x kind, count and status.
    pub fn write_summary(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "\nSummary ({} records, {} scopes)",
            self.records,
            self.scopes.len()
        )?;
        writeln!(
            out,
            "{:<16} {:<10} {:<16} {:<16} {:>8}  {:<8} detail",
            "account", "provider", "region", "kind", "count", "status"
        )?;
        let mut rows = self.scopes.clone();
        rows.sort_by(|a, b| (&a.account, &a.region, a.kind).cmp(&(&b.account, &b.region, b.kind)));
        for s in rows {
            writeln!(
                out,
                "{:<16} {:<10} {:<16} {:<16} {:>8}  {:<8} {}",
                s.account,
                s.provider,
                s.region,
                s.kind,
                s.count,
                s.status.as_str(),
                s.detail
            )?;
        }
        let count = |st: Status| self.scopes.iter().filter(|s| s.status == st).count();
        writeln!(
            out,
            "scopes: {} ok, {} partial, {} skipped, {} failed",
            count(Status::Ok),
            count(Status::Partial),
            count(Status::Skipped),
            count(Status::Failed)
        )
    }
}

fn describe(e: &Error) -> String {
    let mut s = format!("{}", e.kind());
    if let Some(c) = e.code() {
        s.push_str(&format!(" code={c}"));
    }
    if let Some(r) = e.request_id() {
        s.push_str(&format!(" request_id={r}"));
    }
    s.push_str(&format!(": {}", e.message()));
    s
}

fn ignored(plan: &Plan, e: &Error) -> bool {
    plan.ignore.contains(e.kind().as_str()) || e.code().is_some_and(|c| plan.ignore.contains(c))
}

struct Connected {
    config: AccountConfig,
    provider: Arc<dyn Provider>,
    /// (region id, enabled)
    regions: Vec<(String, bool)>,
}

/// Run every scope, writing records as they arrive.
pub async fn run(
    args: &Args,
    plan: &Plan,
    accounts: &AccountsFile,
    out: Box<dyn Write + Send>,
) -> Result<Outcome, String> {
    let mut results: Vec<ScopeResult> = Vec::new();
    let progress = Progress::new(args.quiet);

    // Phase 1: connect every account and discover its regions, concurrently.
    let connected: Vec<Result<Connected, ScopeResult>> =
        futures::stream::iter(accounts.accounts.iter())
            .map(|acct| async move {
                let fail = |e: &Error, kind: &'static str| ScopeResult {
                    account: acct.name.clone(),
                    provider: acct.provider.to_string(),
                    region: "-".into(),
                    kind,
                    count: 0,
                    status: Status::Failed,
                    detail: describe(e),
                };
                let provider = Cloud::connect(acct)
                    .await
                    .map_err(|e| fail(&e, "connect"))?;
                let regions = provider.regions().await.map_err(|e| fail(&e, "regions"))?;
                let regions = regions
                    .into_iter()
                    .filter(|r| plan.regions.as_ref().is_none_or(|g| g.is_match(&r.id)))
                    .map(|r| (r.id, r.enabled))
                    .collect();
                Ok(Connected {
                    config: acct.clone(),
                    provider,
                    regions,
                })
            })
            .buffer_unordered(args.concurrency.max(1))
            .collect()
            .await;
    let mut live = Vec::new();
    for c in connected {
        match c {
            Ok(c) => live.push(c),
            Err(r) => results.push(r),
        }
    }

    // Phase 2: plan the scopes.
    struct Scope<'a> {
        acct: &'a Connected,
        region: Option<String>,
        enabled: bool,
        kind: Kind,
    }
    let mut scopes = Vec::new();
    for c in &live {
        for &kind in &plan.kinds {
            if kind.regional() {
                for (r, enabled) in &c.regions {
                    scopes.push(Scope {
                        acct: c,
                        region: Some(r.clone()),
                        enabled: *enabled,
                        kind,
                    });
                }
            } else {
                scopes.push(Scope {
                    acct: c,
                    region: None,
                    enabled: true,
                    kind,
                });
            }
        }
    }
    for c in &live {
        let n = scopes.iter().filter(|s| std::ptr::eq(s.acct, c)).count();
        progress.add_account(&c.config.name, n as u64);
    }

    // Phase 3: run them, bounded, streaming records to one writer thread.
    let waste = (args.report == Some(Report::Waste)).then(Waste::default);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Record>(1024);
    let format = args.format;
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let mut w = Writer::new(out, format)?;
        while let Some(r) = rx.blocking_recv() {
            w.write(&r)?;
        }
        w.finish()
    });
    let month = &plan.month;
    let waste_ref = waste.as_ref();
    let progress_ref = &progress;
    let scope_results: Vec<ScopeResult> = futures::stream::iter(scopes)
        .map(|s| {
            let tx = tx.clone();
            async move {
                let acct = &s.acct.config.name;
                let provider_name = s.acct.provider.kind().to_string();
                let region_label = s.region.clone().unwrap_or_else(|| "-".into());
                let mut result = ScopeResult {
                    account: acct.clone(),
                    provider: provider_name.clone(),
                    region: region_label,
                    kind: s.kind.name(),
                    count: 0,
                    status: Status::Ok,
                    detail: String::new(),
                };
                if !s.enabled {
                    result.status = Status::Skipped;
                    result.detail = "region not enabled for the account".into();
                    progress_ref.scope_done(acct, 0, s.acct.provider.transport_stats());
                    return result;
                }
                let mut stream = kinds::list(
                    &s.acct.provider,
                    s.kind,
                    s.region.as_deref(),
                    month,
                    waste_ref,
                    acct,
                );
                while let Some(item) = stream.next().await {
                    match item {
                        Ok(record) => {
                            result.count += 1;
                            let rec = Record {
                                provider: provider_name.clone(),
                                account: acct.clone(),
                                region: s.region.clone(),
                                kind: s.kind.name(),
                                record,
                            };
                            if tx.send(rec).await.is_err() {
                                result.status = Status::Failed;
                                result.detail = "output closed".into();
                                break;
                            }
                        }
                        Err(e) => {
                            result.detail = describe(&e);
                            result.status = if e.kind() == ErrorKind::Unsupported {
                                Status::Skipped
                            } else if ignored(plan, &e) {
                                result.detail = format!("ignored: {}", result.detail);
                                Status::Skipped
                            } else if result.count > 0 {
                                Status::Partial
                            } else {
                                Status::Failed
                            };
                            break;
                        }
                    }
                }
                progress_ref.scope_done(acct, result.count, s.acct.provider.transport_stats());
                result
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    drop(tx);
    results.extend(scope_results);
    let records = writer
        .await
        .map_err(|e| format!("writer task failed: {e}"))?
        .map_err(|e| format!("cannot write records: {e}"))?;
    progress.finish();
    Ok(Outcome {
        scopes: results,
        records,
        waste,
    })
}
