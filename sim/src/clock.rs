//! The simulator's clock: real time plus an adjustable offset.
//!
//! Simulated transitions (Pending -> Running, ...) and the clock-skew check
//! read this clock, so a test can move the sim's "now" forward (to finish a
//! transition without sleeping) or skew it (to provoke expired-signature
//! errors) without touching the system clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A shared clock handle; clones see the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// A clock at real time (offset zero).
    pub fn new() -> Self {
        Clock::default()
    }

    /// The sim's current time: real UTC time plus the offset.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms())
    }

    /// The offset from real time, in milliseconds (may be negative).
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Set the offset from real time, in milliseconds.
    pub fn set_offset_ms(&self, ms: i64) {
        self.offset_ms.store(ms, Ordering::SeqCst);
    }

    /// Move the clock forward (or back, with a negative value) by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_now() {
        let c = Clock::new();
        let a = c.now();
        c.advance_ms(3_600_000);
        let b = c.now();
        assert!(b - a >= chrono::Duration::minutes(59));
        c.set_offset_ms(-1000);
        assert_eq!(c.offset_ms(), -1000);
    }
}
