//! Progress on stderr: bars on a terminal, plain lines otherwise, nothing
//! with `--quiet`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

struct Line {
    total: u64,
    done: u64,
    found: u64,
}

enum Mode {
    Quiet,
    Bars(MultiProgress, Mutex<BTreeMap<String, ProgressBar>>),
    Plain(Mutex<(BTreeMap<String, Line>, Instant)>),
}

/// Progress of every account.
pub struct Progress {
    mode: Mode,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Pick the mode from `quiet` and whether stderr is a terminal.
    pub fn new(quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars(MultiProgress::new(), Mutex::new(BTreeMap::new()))
        } else {
            Mode::Plain(Mutex::new((BTreeMap::new(), Instant::now())))
        };
        Progress { mode }
    }

    /// Register an account with its number of scopes.
    pub fn add_account(&self, account: &str, scopes: u64) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bars(mp, bars) => {
                let bar = mp.add(ProgressBar::new(scopes));
                let style = ProgressStyle::with_template(
                    "{prefix:>16} [{bar:30}] {pos}/{len} scopes, {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style.progress_chars("=> "));
                bar.set_prefix(account.to_string());
                bar.set_message("0 resources");
                if let Ok(mut b) = bars.lock() {
                    b.insert(account.to_string(), bar);
                }
            }
            Mode::Plain(m) => {
                if let Ok(mut g) = m.lock() {
                    g.0.insert(
                        account.to_string(),
                        Line {
                            total: scopes,
                            done: 0,
                            found: 0,
                        },
                    );
                }
            }
        }
    }

    /// One scope of `account` finished with `found` resources.
    pub fn scope_done(&self, account: &str, found: u64) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bars(_, bars) => {
                if let Ok(b) = bars.lock() {
                    if let Some(bar) = b.get(account) {
                        bar.inc(1);
                        let prev: u64 = bar
                            .message()
                            .split(' ')
                            .next()
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        bar.set_message(format!("{} resources", prev + found));
                    }
                }
            }
            Mode::Plain(m) => {
                if let Ok(mut g) = m.lock() {
                    if let Some(l) = g.0.get_mut(account) {
                        l.done += 1;
                        l.found += found;
                    }
                    if g.1.elapsed() >= PLAIN_EVERY {
                        g.1 = Instant::now();
                        for (a, l) in &g.0 {
                            eprintln!(
                                "progress: {a}: {}/{} scopes, {} resources",
                                l.done, l.total, l.found
                            );
                        }
                    }
                }
            }
        }
    }

    /// Close the bars.
    pub fn finish(&self) {
        if let Mode::Bars(_, bars) = &self.mode {
            if let Ok(b) = bars.lock() {
                for bar in b.values() {
                    bar.finish();
                }
            }
        }
    }
}
