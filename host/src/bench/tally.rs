//! Counting outcomes as they arrive: per priority, how each message ended and an
//! HdrHistogram of its latency (ingest → its most urgent actions ready: the early
//! outcome when it had one, else its outcome; the host's whole overhead plus the cogs'
//! own time); plus doubled ids and a sample of errors. Both `astra bench` and
//! `/test_concurrent` feed their outcomes through one [`Tally`].

use crate::event::{Outcome, OutcomeKind, Priority};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Errors kept verbatim (by message), so a report can say why things failed.
const ERROR_SAMPLES: usize = 5;

pub struct Tally {
    rows: [Row; 4],
    seen: HashSet<String>,
    doubled: u64,
    errors: BTreeMap<String, u64>,
}

struct Row {
    kinds: [u64; 4],
    latency: Histogram<u64>,
}

/// One priority's line of a report (latencies in microseconds).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriorityRow {
    pub priority: Priority,
    pub messages: u64,
    pub processed: u64,
    pub rate_limited: u64,
    pub shed: u64,
    pub failed: u64,
    pub min_us: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub avg_us: f64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            rows: std::array::from_fn(|_| Row {
                kinds: [0; 4],
                latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
            }),
            seen: HashSet::new(),
            doubled: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl Tally {
    /// Count a settled outcome (an early one is not counted: its message's settled
    /// outcome follows and carries when its most urgent actions were ready).
    pub fn add(&mut self, o: &Outcome) {
        if o.early {
            return;
        }
        if !self.seen.insert(o.id.clone()) {
            self.doubled += 1;
        }
        let row = &mut self.rows[o.priority.index()];
        row.kinds[o.outcome as usize] += 1;
        let _ = row.latency.record(o.ready_us().max(1));
        if let Some(e) = &o.error {
            if o.outcome == OutcomeKind::Failed
                && (self.errors.len() < ERROR_SAMPLES || self.errors.contains_key(e))
            {
                *self.errors.entry(e.clone()).or_default() += 1;
            }
        }
    }

    /// Outcomes counted.
    pub fn total(&self) -> u64 {
        self.rows.iter().flat_map(|r| r.kinds).sum()
    }

    /// Outcomes by kind (indexed by `OutcomeKind as usize`).
    pub fn kinds(&self) -> [u64; 4] {
        std::array::from_fn(|k| self.rows.iter().map(|r| r.kinds[k]).sum())
    }

    /// Ids seen more than once (must be zero).
    pub fn doubled(&self) -> u64 {
        self.doubled
    }

    /// A few failure messages with how often each occurred.
    pub fn error_samples(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|(e, n)| format!("{n}× {e}"))
            .collect()
    }

    /// Average latency over every message, microseconds.
    pub fn avg_us(&self) -> f64 {
        let (sum, n) = self.rows.iter().fold((0.0, 0u64), |(s, n), r| {
            (
                s + r.latency.mean() * r.latency.len() as f64,
                n + r.latency.len(),
            )
        });
        if n == 0 {
            0.0
        } else {
            sum / n as f64
        }
    }

    /// A row per priority that saw any message, most urgent first.
    pub fn rows(&self) -> Vec<PriorityRow> {
        Priority::ALL
            .into_iter()
            .zip(&self.rows)
            .filter(|(_, r)| !r.latency.is_empty())
            .map(|(priority, r)| PriorityRow {
                priority,
                messages: r.kinds.iter().sum(),
                processed: r.kinds[OutcomeKind::Processed as usize],
                rate_limited: r.kinds[OutcomeKind::RateLimited as usize],
                shed: r.kinds[OutcomeKind::Shed as usize],
                failed: r.kinds[OutcomeKind::Failed as usize],
                min_us: r.latency.min(),
                p50_us: r.latency.value_at_quantile(0.5),
                p99_us: r.latency.value_at_quantile(0.99),
                max_us: r.latency.max(),
                avg_us: r.latency.mean(),
            })
            .collect()
    }
}
