//! Process-wide counters and latency histograms (HdrHistogram, microseconds) per
//! priority and outcome, read by `/performance`, `astra bench` and the demo table.

use crate::event::{OutcomeKind, Priority};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    started: Instant,
    received: AtomicU64,
    retries: AtomicU64,
    outcomes: [AtomicU64; 4],
    // One histogram per priority; a lock held for one `record`.
    latency: [Mutex<Histogram<u64>>; 4],
}

/// Latency summary of one priority, microseconds.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LatencySummary {
    pub priority: String,
    pub count: u64,
    pub min_us: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

fn histogram() -> Mutex<Histogram<u64>> {
    // 1 µs .. 1 hour, 3 significant digits
    Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            inner: Arc::new(Inner {
                started: Instant::now(),
                received: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                outcomes: Default::default(),
                latency: [histogram(), histogram(), histogram(), histogram()],
            }),
        }
    }
}

impl Metrics {
    pub fn received(&self) {
        self.inner.received.fetch_add(1, Ordering::Relaxed);
    }

    pub fn retried(&self) {
        self.inner.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn settled(&self, priority: Priority, kind: OutcomeKind, latency: Duration) {
        self.inner.outcomes[kind as usize].fetch_add(1, Ordering::Relaxed);
        if let Ok(mut h) = self.inner.latency[priority.index()].lock() {
            let _ = h.record((latency.as_micros() as u64).max(1));
        }
    }

    pub fn retries(&self) -> u64 {
        self.inner.retries.load(Ordering::Relaxed)
    }

    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    pub fn latency(&self, priority: Priority) -> LatencySummary {
        let h = self.inner.latency[priority.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if h.is_empty() {
            return LatencySummary {
                priority: priority.name().into(),
                ..Default::default()
            };
        }
        LatencySummary {
            priority: priority.name().into(),
            count: h.len(),
            min_us: h.min(),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
            mean_us: h.mean(),
        }
    }
}
