//! The request log: a bounded ring of every request the sim received.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;

/// Which fault (if any) shaped the answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// Throttle response.
    Throttled,
    /// Generic 5xx response.
    ServerError,
    /// Connection closed without a response.
    Reset,
    /// Body cut short.
    Truncated,
    /// Body replaced by garbage.
    Malformed,
    /// Applied, then the connection was closed.
    LostResponse,
    /// Rejected for clock skew.
    ClockSkew,
}

/// One logged request.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// Sequence number (from 0, never reused).
    pub seq: u64,
    /// Sim time of arrival.
    pub at: DateTime<Utc>,
    /// Method.
    pub method: String,
    /// Host header (no port).
    pub host: String,
    /// Path and query.
    pub path: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
    /// Frontend that handled it (`None`: no frontend matched).
    pub frontend: Option<String>,
    /// Action name.
    pub action: String,
    /// Whether the action mutates.
    pub mutating: bool,
    /// Response status; `None` when no response was sent.
    pub status: Option<u16>,
    /// Fault applied.
    pub fault: Option<FaultKind>,
}

struct Inner {
    capacity: usize,
    next: u64,
    entries: VecDeque<LoggedRequest>,
}

/// Shared handle to the request log.
#[derive(Clone)]
pub struct RequestLog {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = self.inner.lock();
        f.debug_struct("RequestLog")
            .field("capacity", &g.capacity)
            .field("len", &g.entries.len())
            .finish()
    }
}

/// Default ring size.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog::new(DEFAULT_LOG_CAPACITY)
    }
}

impl RequestLog {
    /// A log keeping the last `capacity` requests.
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            inner: Arc::new(Mutex::new(Inner {
                capacity,
                next: 0,
                entries: VecDeque::new(),
            })),
        }
    }

    /// Record a request (its `seq` is assigned here); returns the seq.
    pub fn push(&self, mut r: LoggedRequest) -> u64 {
        let mut g = self.inner.lock();
        r.seq = g.next;
        g.next += 1;
        if g.capacity == 0 {
            return r.seq;
        }
        while g.entries.len() >= g.capacity {
            g.entries.pop_front();
        }
        let seq = r.seq;
        g.entries.push_back(r);
        seq
    }

    /// Every kept entry, oldest first.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.inner.lock().entries.iter().cloned().collect()
    }

    /// Entries for which `f` holds.
    pub fn filter(&self, f: impl Fn(&LoggedRequest) -> bool) -> Vec<LoggedRequest> {
        self.inner
            .lock()
            .entries
            .iter()
            .filter(|e| f(e))
            .cloned()
            .collect()
    }

    /// Mutating entries.
    pub fn mutating(&self) -> Vec<LoggedRequest> {
        self.filter(|e| e.mutating)
    }

    /// Action names, oldest first.
    pub fn actions(&self) -> Vec<String> {
        self.inner
            .lock()
            .entries
            .iter()
            .map(|e| e.action.clone())
            .collect()
    }

    /// Kept entries.
    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests received since start (including ones no longer kept).
    pub fn total(&self) -> u64 {
        self.inner.lock().next
    }

    /// Forget every entry (sequence numbers continue).
    pub fn clear(&self) {
        self.inner.lock().entries.clear();
    }

    /// Ring size.
    pub fn capacity(&self) -> usize {
        self.inner.lock().capacity
    }

    /// Change the ring size (drops the oldest entries if smaller).
    pub fn set_capacity(&self, capacity: usize) {
        let mut g = self.inner.lock();
        g.capacity = capacity;
        while g.entries.len() > capacity {
            g.entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, mutating: bool) -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            at: Utc::now(),
            method: "GET".into(),
            host: "h".into(),
            path: "/".into(),
            headers: vec![],
            body: Bytes::new(),
            frontend: None,
            action: action.into(),
            mutating,
            status: Some(200),
            fault: None,
        }
    }

    #[test]
    fn ring_keeps_the_newest() {
        let log = RequestLog::new(3);
        for i in 0..5 {
            log.push(entry(&format!("A{i}"), i % 2 == 0));
        }
        assert_eq!(log.actions(), vec!["A2", "A3", "A4"]);
        assert_eq!(log.total(), 5);
        assert_eq!(log.entries()[0].seq, 2);
        assert_eq!(log.mutating().len(), 2);
        log.set_capacity(1);
        assert_eq!(log.actions(), vec!["A4"]);
        log.clear();
        assert!(log.is_empty());
    }
}
