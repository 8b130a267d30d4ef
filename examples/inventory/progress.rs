//! Progress on stderr: bars on a terminal, plain lines otherwise, nothing
//! with `--quiet`. Each account shows its scopes done out of planned, the
//! resources found so far, and its throttle waits: the times a call waited
//! for the provider's client-side rate limiter plus the answers the cloud
//! throttled (read from [`Provider::transport_stats`]).
//!
//! [`Provider::transport_stats`]: multicloud::Provider::transport_stats

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use multicloud::transport::TransportStats;

/// What one account has done so far.
#[derive(Default)]
struct Line {
    total: u64,
    done: u64,
    found: u64,
    /// Calls that waited for the client-side rate limiter.
    limiter_waits: u64,
    /// Answers the cloud throttled (each one retried after a backoff).
    throttled: u64,
}

impl Line {
    fn message(&self) -> String {
        format!(
            "{} resources, {} throttle waits ({} limiter, {} throttled by the cloud)",
            self.found,
            self.limiter_waits + self.throttled,
            self.limiter_waits,
            self.throttled
        )
    }
}

enum Mode {
    Quiet,
    Bars(MultiProgress, BTreeMap<String, ProgressBar>),
    Plain(Instant),
}

struct State {
    mode: Mode,
    lines: BTreeMap<String, Line>,
}

/// Progress of every account.
pub struct Progress {
    state: Mutex<State>,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Pick the mode from `quiet` and whether stderr is a terminal.
    pub fn new(quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars(MultiProgress::new(), BTreeMap::new())
        } else {
            Mode::Plain(Instant::now())
        };
        Progress {
            state: Mutex::new(State {
                mode,
                lines: BTreeMap::new(),
            }),
        }
    }

    /// Register an account with its number of scopes.
    pub fn add_account(&self, account: &str, scopes: u64) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let line = Line {
            total: scopes,
            ..Line::default()
        };
        if let Mode::Bars(mp, bars) = &mut st.mode {
            let bar = mp.add(ProgressBar::new(scopes));
            let style =
                ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} scopes, {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.set_prefix(account.to_string());
            bar.set_message(line.message());
            bars.insert(account.to_string(), bar);
        }
        st.lines.insert(account.to_string(), line);
    }

    /// One scope of `account` finished with `found` resources; `stats` are
    /// the account's transport counters at that moment (cumulative).
    pub fn scope_done(&self, account: &str, found: u64, stats: Option<TransportStats>) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let State { mode, lines } = &mut *st;
        if matches!(mode, Mode::Quiet) {
            return;
        }
        let Some(line) = lines.get_mut(account) else {
            return;
        };
        line.done += 1;
        line.found += found;
        if let Some(s) = stats {
            // Counters are cumulative; scopes finish out of order, so keep
            // the largest reading.
            line.limiter_waits = line.limiter_waits.max(s.limiter.waits);
            line.throttled = line.throttled.max(s.throttled);
        }
        match mode {
            Mode::Quiet => {}
            Mode::Bars(_, bars) => {
                if let Some(bar) = bars.get(account) {
                    bar.inc(1);
                    bar.set_message(line.message());
                }
            }
            Mode::Plain(last) => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    print_plain(lines);
                }
            }
        }
    }

    /// Close the bars, or print the last plain lines.
    pub fn finish(&self) {
        let Ok(st) = self.state.lock() else {
            return;
        };
        match &st.mode {
            Mode::Quiet => {}
            Mode::Bars(_, bars) => {
                for bar in bars.values() {
                    bar.finish();
                }
            }
            Mode::Plain(_) => print_plain(&st.lines),
        }
    }
}

fn print_plain(lines: &BTreeMap<String, Line>) {
    for (account, l) in lines {
        eprintln!(
            "progress: {account}: {}/{} scopes, {}",
            l.done,
            l.total,
            l.message()
        );
    }
}
