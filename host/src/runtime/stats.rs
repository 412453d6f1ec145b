//! Per-cog call statistics: calls, errors, crashes (traps, deadlines, memory), and a
//! latency histogram. Read by `/plugins list`, `/performance`, the bench, and the
//! hot-reload watchdog that rolls back a new version that crashes too often.

use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub struct CogStats {
    pub calls: AtomicU64,
    /// calls that did not return a result (any [`super::CallError`])
    pub errors: AtomicU64,
    /// errors that were crashes of the sandbox (trap, CPU deadline, memory cap)
    pub crashes: AtomicU64,
    pub total_us: AtomicU64,
    // Held for one `record` per call.
    latency: Mutex<Histogram<u64>>,
}

impl Default for CogStats {
    fn default() -> Self {
        CogStats {
            calls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            crashes: AtomicU64::new(0),
            total_us: AtomicU64::new(0),
            latency: Mutex::new(
                Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds"),
            ),
        }
    }
}

/// A copy of the numbers at one instant.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StatsSnapshot {
    pub calls: u64,
    pub errors: u64,
    pub crashes: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl CogStats {
    pub fn record(&self, took: Duration, error: Option<bool>) {
        let us = took.as_micros() as u64;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.total_us.fetch_add(us, Ordering::Relaxed);
        if let Some(crash) = error {
            self.errors.fetch_add(1, Ordering::Relaxed);
            if crash {
                self.crashes.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Ok(mut h) = self.latency.lock() {
            let _ = h.record(us.max(1));
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let calls = self.calls.load(Ordering::Relaxed);
        let (p50, p99, max) = self
            .latency
            .lock()
            .map(|h| {
                if h.is_empty() {
                    (0, 0, 0)
                } else {
                    (h.value_at_quantile(0.5), h.value_at_quantile(0.99), h.max())
                }
            })
            .unwrap_or_default();
        StatsSnapshot {
            calls,
            errors: self.errors.load(Ordering::Relaxed),
            crashes: self.crashes.load(Ordering::Relaxed),
            mean_us: if calls == 0 {
                0.0
            } else {
                self.total_us.load(Ordering::Relaxed) as f64 / calls as f64
            },
            p50_us: p50,
            p99_us: p99,
            max_us: max,
        }
    }
}
