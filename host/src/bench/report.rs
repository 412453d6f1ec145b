//! What one scenario measured, as a serializable [`Report`] (`--json`) and as the
//! table people read (`render`). `/test_concurrent` replies with the same table.

use super::tally::{PriorityRow, Tally};
use crate::dispatch::LedgerSnapshot;
use crate::event::{OutcomeKind, Priority};
use crate::runtime::StatsSnapshot;
use serde::Serialize;
use std::fmt::Write;

/// The target for CRITICAL host overhead (ingest → actions ready), p99.
pub const CRITICAL_P99_TARGET_US: u64 = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    pub about: String,
    pub setup: Setup,
    pub messages: u64,
    pub processed: u64,
    pub rate_limited: u64,
    pub shed: u64,
    pub failed: u64,
    /// processed / messages
    pub success_pct: f64,
    pub elapsed_ms: f64,
    pub msgs_per_sec: f64,
    /// processed messages (every handler done) per second
    pub processed_per_sec: f64,
    /// CPU time the whole process used during the scenario (all threads)
    pub cpu_ms: Option<f64>,
    /// messages per CPU-second: throughput normalised to one core
    pub msgs_per_cpu_sec: Option<f64>,
    pub peak_active_jobs: u64,
    /// over every message, microseconds
    pub avg_us: f64,
    pub priorities: Vec<PriorityRow>,
    pub cogs: Vec<CogRow>,
    pub ledger: LedgerCheck,
    pub old_bot: Option<OldBot>,
    pub notes: Vec<String>,
    pub errors: Vec<String>,
}

/// How the host was set up for the run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Setup {
    pub cogs: String,
    pub model: String,
    pub queue_capacity: usize,
    pub max_concurrent: usize,
    pub reserved_critical: usize,
    pub rate_limit: String,
    pub users: usize,
    pub streams: usize,
}

/// One cog's calls during the run (latencies in microseconds).
#[derive(Debug, Clone, Serialize)]
pub struct CogRow {
    pub name: String,
    #[serde(flatten)]
    pub stats: StatsSnapshot,
}

/// Did every message end in exactly one outcome?
#[derive(Debug, Clone, Serialize)]
pub struct LedgerCheck {
    pub received: u64,
    pub processed: u64,
    pub rate_limited: u64,
    pub shed: u64,
    pub failed: u64,
    pub in_flight: u64,
    /// outcomes that came back to the sender
    pub outcomes_seen: u64,
    /// ids that came back more than once
    pub doubled: u64,
    /// received = processed + rate_limited + shed + failed, every outcome seen once
    pub zero_lost: bool,
}

impl LedgerCheck {
    /// Check the dispatcher's ledger against the outcomes the sender counted.
    pub fn new(ledger: LedgerSnapshot, tally: &Tally) -> Self {
        let k = tally.kinds();
        let matches = [
            ledger.processed,
            ledger.rate_limited,
            ledger.shed,
            ledger.failed,
        ] == k;
        LedgerCheck {
            received: ledger.received,
            processed: ledger.processed,
            rate_limited: ledger.rate_limited,
            shed: ledger.shed,
            failed: ledger.failed,
            in_flight: ledger.in_flight,
            outcomes_seen: tally.total(),
            doubled: tally.doubled(),
            zero_lost: ledger.balanced()
                && ledger.in_flight == 0
                && matches
                && tally.total() == ledger.received
                && tally.doubled() == 0,
        }
    }
}

impl LedgerCheck {
    /// For traffic sharing a live host (`/test_concurrent`): `sent` messages against
    /// the outcomes that came back for them.
    pub fn from_outcomes(sent: u64, tally: &Tally) -> Self {
        let k = tally.kinds();
        let seen = tally.total();
        LedgerCheck {
            received: sent,
            processed: k[0],
            rate_limited: k[1],
            shed: k[2],
            failed: k[3],
            in_flight: sent.saturating_sub(seen),
            outcomes_seen: seen,
            doubled: tally.doubled(),
            zero_lost: seen == sent && tally.doubled() == 0,
        }
    }
}

/// The old Python bot's published figures for the same scenario.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OldBot {
    pub messages: Option<u64>,
    pub success_pct: Option<f64>,
    pub avg_ms: f64,
}

/// Fill the counts of a report from a tally.
pub fn counts(tally: &Tally) -> (u64, [u64; 4], f64) {
    let total = tally.total();
    let kinds = tally.kinds();
    let success = if total == 0 {
        0.0
    } else {
        100.0 * kinds[OutcomeKind::Processed as usize] as f64 / total as f64
    };
    (total, kinds, success)
}

impl Report {
    pub fn critical(&self) -> Option<&PriorityRow> {
        self.priorities
            .iter()
            .find(|r| r.priority == Priority::Critical)
    }

    /// The table people read.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let s = &self.setup;
        let _ = writeln!(out, "== {} — {} ==", self.scenario, self.about);
        let _ = writeln!(
            out,
            "setup: {} · {} · queue {} · {} jobs ({} reserved for critical) · rate limit {} · {} users, {} streams",
            s.cogs, s.model, s.queue_capacity, s.max_concurrent, s.reserved_critical, s.rate_limit, s.users, s.streams
        );
        let mut line = format!(
            "{} messages in {} = {} msgs/s ({} processed/s)",
            thousands(self.messages),
            ms_or_s(self.elapsed_ms),
            thousands(self.msgs_per_sec.round() as u64),
            thousands(self.processed_per_sec.round() as u64)
        );
        if let (Some(cpu), Some(per)) = (self.cpu_ms, self.msgs_per_cpu_sec) {
            let _ = write!(
                line,
                " · CPU {} = {} msgs per CPU-second",
                ms_or_s(cpu),
                thousands(per.round() as u64)
            );
        }
        let _ = write!(line, " · peak {} jobs running", self.peak_active_jobs);
        let _ = writeln!(out, "{line}");
        let _ = writeln!(
            out,
            "outcomes: processed {} · rate limited {} · shed {} · failed {} · success {:.1} %",
            thousands(self.processed),
            thousands(self.rate_limited),
            thousands(self.shed),
            thousands(self.failed),
            self.success_pct
        );
        out.push('\n');
        let _ = writeln!(
            out,
            "{:<9} {:>8} {:>9} {:>8} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "priority",
            "msgs",
            "processed",
            "rate-ltd",
            "shed",
            "failed",
            "min",
            "p50",
            "p99",
            "max",
            "avg"
        );
        for r in &self.priorities {
            let _ = writeln!(
                out,
                "{:<9} {:>8} {:>9} {:>8} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
                r.priority.name(),
                thousands(r.messages),
                thousands(r.processed),
                thousands(r.rate_limited),
                thousands(r.shed),
                thousands(r.failed),
                us(r.min_us as f64),
                us(r.p50_us as f64),
                us(r.p99_us as f64),
                us(r.max_us as f64),
                us(r.avg_us)
            );
        }
        out.push('\n');
        if let Some(c) = self.critical() {
            let met = if c.p99_us < CRITICAL_P99_TARGET_US {
                "met"
            } else {
                "NOT met"
            };
            let _ = writeln!(
                out,
                "host overhead, critical (ingest → actions ready): p50 {}, p99 {}, max {} — target p99 < 1 ms: {met}",
                us(c.p50_us as f64),
                us(c.p99_us as f64),
                us(c.max_us as f64)
            );
        }
        if let Some(old) = &self.old_bot {
            let mut theirs = String::new();
            if let Some(n) = old.messages {
                let _ = write!(theirs, "{n} msgs, ");
            }
            if let Some(p) = old.success_pct {
                let _ = write!(theirs, "{p:.0}% success, ");
            }
            let ours_ms = self.avg_us / 1000.0;
            let factor = if ours_ms > 0.0 {
                old.avg_ms / ours_ms
            } else {
                0.0
            };
            let _ = writeln!(
                out,
                "old Python bot: {theirs}{} ms avg · Astra: {} msgs, {:.1}% success, {} avg ({:.0}× lower)",
                old.avg_ms,
                self.messages,
                self.success_pct,
                us(self.avg_us),
                factor
            );
        }
        if !self.cogs.is_empty() {
            out.push('\n');
            let _ = writeln!(
                out,
                "{:<13} {:>8} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9}",
                "cog", "calls", "errors", "crashes", "avg", "p50", "p99", "max"
            );
            for c in &self.cogs {
                let st = &c.stats;
                let _ = writeln!(
                    out,
                    "{:<13} {:>8} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9}",
                    c.name,
                    thousands(st.calls),
                    thousands(st.errors),
                    thousands(st.crashes),
                    us(st.mean_us),
                    us(st.p50_us as f64),
                    us(st.p99_us as f64),
                    us(st.max_us as f64)
                );
            }
        }
        let l = &self.ledger;
        let _ = writeln!(
            out,
            "\nledger: received {} = processed {} + rate_limited {} + shed {} + failed {} (in flight {}) · {} outcomes back, {} doubled · {}",
            thousands(l.received),
            thousands(l.processed),
            thousands(l.rate_limited),
            thousands(l.shed),
            thousands(l.failed),
            l.in_flight,
            thousands(l.outcomes_seen),
            l.doubled,
            if l.zero_lost { "zero lost ✓" } else { "MESSAGES UNACCOUNTED FOR ✗" }
        );
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        for e in &self.errors {
            let _ = writeln!(out, "error: {e}");
        }
        out
    }
}

/// A cog's calls between two snapshots: exact counts and mean; the percentiles and
/// maximum are the histogram's, which also holds the calls before `before`.
pub fn stats_since(before: StatsSnapshot, after: StatsSnapshot) -> StatsSnapshot {
    let calls = after.calls.saturating_sub(before.calls);
    let total = after.mean_us * after.calls as f64 - before.mean_us * before.calls as f64;
    StatsSnapshot {
        calls,
        errors: after.errors.saturating_sub(before.errors),
        crashes: after.crashes.saturating_sub(before.crashes),
        mean_us: if calls == 0 {
            0.0
        } else {
            (total / calls as f64).max(0.0)
        },
        ..after
    }
}

/// `n` per second over `secs` (0 when no time passed).
pub fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Microseconds for people: "850 µs", "1.25 ms", "2.10 s".
pub fn us(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2} s", us / 1e6)
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{us:.0} µs")
    }
}

fn ms_or_s(ms: f64) -> String {
    us(ms * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(us(850.0), "850 µs");
        assert_eq!(us(1250.0), "1.25 ms");
        assert_eq!(us(2_100_000.0), "2.10 s");
    }
}
