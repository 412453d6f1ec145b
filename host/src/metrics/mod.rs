//! Process-wide counters and latency histograms (HdrHistogram, microseconds) per
//! priority and outcome, read by `/performance`, `astra bench` and the demo table.
//!
//! The dispatcher owns one [`Metrics`] handle and reports to it as messages settle and
//! jobs run. Parts:
//! - this file: counts per outcome, latency per priority, running jobs (now and peak);
//! - `throughput`: messages settled per second, now and peak;
//! - `process`: the process's memory and CPU time from `/proc`;
//! - `history`: per-hour figures kept in the store (`/performance view:history`);
//! - `prometheus`: all of it in Prometheus's text format, for `/metrics`;
//! - `taps`: copies of outcomes for one channel (how `/test_concurrent` sees its own
//!   synthetic messages settle without touching the gateway's outcome stream).

pub mod history;
mod process;
pub mod prometheus;
mod taps;
mod throughput;

pub use process::{cpu_time, ProcessSample};
pub use taps::Tap;

use crate::event::{Outcome, OutcomeKind, Priority};
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
    /// jobs running now, and the most ever running at once
    active: AtomicU64,
    active_peak: AtomicU64,
    throughput: throughput::Throughput,
    taps: taps::Taps,
    /// CPU time at the previous `/performance`, for "CPU % since last time"
    last_cpu: Mutex<Option<(Instant, Duration)>>,
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

/// Marks one running job; dropping it ends the job's count.
pub struct ActiveJob<'a> {
    metrics: &'a Metrics,
}

impl Drop for ActiveJob<'_> {
    fn drop(&mut self) {
        self.metrics.inner.active.fetch_sub(1, Ordering::Relaxed);
    }
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
                active: AtomicU64::new(0),
                active_peak: AtomicU64::new(0),
                throughput: throughput::Throughput::default(),
                taps: taps::Taps::default(),
                last_cpu: Mutex::new(None),
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

    /// A message settled as `kind`; `latency`: ingest to its most urgent actions ready.
    pub fn settled(&self, priority: Priority, kind: OutcomeKind, latency: Duration) {
        self.inner.outcomes[kind as usize].fetch_add(1, Ordering::Relaxed);
        self.inner.throughput.tick(self.inner.started.elapsed());
        if let Ok(mut h) = self.inner.latency[priority.index()].lock() {
            let _ = h.record((latency.as_micros() as u64).max(1));
        }
    }

    /// Show a settled outcome to the taps watching its channel (cheap when none is).
    pub fn observe(&self, outcome: &Outcome) {
        self.inner.taps.observe(outcome);
    }

    /// Receive a copy of every outcome settled in `channel` until the tap is dropped.
    pub fn tap(&self, channel: &str) -> Tap {
        self.inner.taps.open(channel)
    }

    /// A job starts running; it counts as active until the guard is dropped.
    pub fn job_started(&self) -> ActiveJob<'_> {
        let now = self.inner.active.fetch_add(1, Ordering::Relaxed) + 1;
        self.inner.active_peak.fetch_max(now, Ordering::Relaxed);
        ActiveJob { metrics: self }
    }

    /// Start counting the peak afresh from the jobs running now (a bench's measured part).
    pub fn reset_peak_active_jobs(&self) {
        let now = self.inner.active.load(Ordering::Relaxed);
        self.inner.active_peak.store(now, Ordering::Relaxed);
    }

    /// Jobs running now.
    pub fn active_jobs(&self) -> u64 {
        self.inner.active.load(Ordering::Relaxed)
    }

    /// The most jobs ever running at once.
    pub fn peak_active_jobs(&self) -> u64 {
        self.inner.active_peak.load(Ordering::Relaxed)
    }

    /// Messages received so far.
    pub fn received_count(&self) -> u64 {
        self.inner.received.load(Ordering::Relaxed)
    }

    /// Outcomes so far, indexed by `OutcomeKind as usize`.
    pub fn outcome_counts(&self) -> [u64; 4] {
        std::array::from_fn(|i| self.inner.outcomes[i].load(Ordering::Relaxed))
    }

    /// Messages settled in the last whole second, and the most in any second.
    pub fn per_second(&self) -> (u64, u64) {
        self.inner.throughput.read(self.inner.started.elapsed())
    }

    pub fn retries(&self) -> u64 {
        self.inner.retries.load(Ordering::Relaxed)
    }

    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// The process's memory and CPU now, with the CPU share since the previous call.
    pub fn process(&self) -> ProcessSample {
        let mut sample = ProcessSample::read(self.uptime());
        let now = Instant::now();
        let mut last = self
            .inner
            .last_cpu
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let (Some((at, cpu)), Some(total)) = (*last, sample.cpu) {
            let wall = now.duration_since(at).as_secs_f64();
            if wall > 0.0 {
                sample.cpu_pct_recent =
                    Some(100.0 * total.saturating_sub(cpu).as_secs_f64() / wall);
            }
        }
        if let Some(total) = sample.cpu {
            *last = Some((now, total));
        }
        sample
    }

    /// A copy of one priority's latency histogram (µs since start).
    pub fn latency_histogram(&self, priority: Priority) -> Histogram<u64> {
        self.inner.latency[priority.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
