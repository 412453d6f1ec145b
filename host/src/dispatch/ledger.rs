//! The ledger: every received message ends in exactly one recorded outcome, and
//! `received = processed + rate_limited + shed + failed + in_flight` holds at every
//! instant (the counts are updated under one lock).

use crate::event::OutcomeKind;
use serde::Serialize;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LedgerSnapshot {
    pub received: u64,
    pub processed: u64,
    pub rate_limited: u64,
    pub shed: u64,
    pub failed: u64,
    pub in_flight: u64,
}

impl LedgerSnapshot {
    /// Do the outcomes add up to what was received?
    pub fn balanced(&self) -> bool {
        self.received
            == self.processed + self.rate_limited + self.shed + self.failed + self.in_flight
    }

    pub fn settled(&self) -> u64 {
        self.processed + self.rate_limited + self.shed + self.failed
    }
}

#[derive(Default)]
pub struct Ledger {
    // One small lock so a snapshot is always consistent; held for a few adds.
    counts: Mutex<LedgerSnapshot>,
}

impl Ledger {
    /// A message arrived; returns its outcome sequence base (unused) — call
    /// [`Ledger::settle`] exactly once later.
    pub fn receive(&self) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.received += 1;
        c.in_flight += 1;
    }

    /// Record the one outcome of a received message; returns its settle order (1, 2, ...).
    pub fn settle(&self, kind: OutcomeKind) -> u64 {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.in_flight = c.in_flight.saturating_sub(1);
        match kind {
            OutcomeKind::Processed => c.processed += 1,
            OutcomeKind::RateLimited => c.rate_limited += 1,
            OutcomeKind::Shed => c.shed += 1,
            OutcomeKind::Failed => c.failed += 1,
        }
        c.settled()
    }

    pub fn snapshot(&self) -> LedgerSnapshot {
        *self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}
