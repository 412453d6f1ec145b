//! The dashboard's history: once a second the sampler reads the dispatcher (ledger,
//! queue depths, running jobs), the hub (latency of the outcomes of that second), the
//! cogs' counters and the process, and keeps the sample in a ring of the last ten
//! minutes, so a dashboard opened late still draws its charts from the start of that
//! window. Rates are computed here, from the previous sample, so every tab sees the
//! same numbers.

use super::hub::Hub;
use crate::dispatch::{Dispatcher, LedgerSnapshot};
use crate::event::now_ms;
use crate::metrics::{cpu_time, ProcessSample};
use crate::reload::CogManager;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Samples kept: ten minutes at one a second.
pub const KEEP: usize = 600;
/// How often the sampler looks.
pub const EVERY: Duration = Duration::from_secs(1);

/// The host at one instant, with rates over the second before it.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Unix milliseconds
    pub t_ms: u64,
    pub ledger: LedgerSnapshot,
    pub received_per_sec: f64,
    pub settled_per_sec: f64,
    /// waiting jobs per priority (critical, high, normal, low)
    pub queues: [usize; 4],
    pub active_jobs: u64,
    /// latency of the outcomes settled since the previous sample, per priority
    /// (`null`: none settled)
    pub p50_us: [Option<u64>; 4],
    pub p99_us: [Option<u64>; 4],
    pub cogs: Vec<CogSample>,
    pub rss_bytes: Option<u64>,
    /// CPU use since the previous sample, percent of one core
    pub cpu_pct: Option<f64>,
}

/// One cog's counters at the sample, with its rates since the previous one.
#[derive(Debug, Clone, Serialize)]
pub struct CogSample {
    pub name: String,
    pub calls: u64,
    pub errors: u64,
    pub calls_per_sec: f64,
    pub errors_per_sec: f64,
    pub p99_us: u64,
}

/// The ring of samples.
#[derive(Default)]
pub struct History {
    // Held to push one sample or copy some out; never across an `.await`.
    samples: Mutex<VecDeque<Sample>>,
}

impl History {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sample>> {
        self.samples.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Samples taken after `t_ms` (all of them for 0), oldest first.
    pub fn since(&self, t_ms: u64) -> Vec<Sample> {
        self.lock()
            .iter()
            .filter(|s| s.t_ms > t_ms)
            .cloned()
            .collect()
    }

    pub fn latest(&self) -> Option<Sample> {
        self.lock().back().cloned()
    }

    fn push(&self, sample: Sample) {
        let mut samples = self.lock();
        samples.push_back(sample);
        while samples.len() > KEEP {
            samples.pop_front();
        }
    }
}

/// What the previous sample saw, for rates.
struct Previous {
    at: Instant,
    ledger: LedgerSnapshot,
    cpu: Option<Duration>,
    cogs: HashMap<String, (u64, u64)>,
}

/// Sample every [`EVERY`] into `history` until `shutdown` completes.
pub async fn sample(
    history: &History,
    dispatcher: &Dispatcher,
    manager: &CogManager,
    hub: &Hub,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut previous = Previous {
        at: Instant::now(),
        ledger: dispatcher.ledger(),
        cpu: cpu_time(),
        cogs: HashMap::new(),
    };
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = ticks.tick() => history.push(take(dispatcher, manager, hub, &mut previous)),
        }
    }
}

fn take(
    dispatcher: &Dispatcher,
    manager: &CogManager,
    hub: &Hub,
    previous: &mut Previous,
) -> Sample {
    let now = Instant::now();
    let secs = now.duration_since(previous.at).as_secs_f64().max(1e-3);
    let per_sec = |now: u64, before: u64| now.saturating_sub(before) as f64 / secs;
    let ledger = dispatcher.ledger();
    let latency = hub.take_latency();
    let cpu = cpu_time();
    let process = ProcessSample::read(dispatcher.metrics().uptime());
    let cogs: Vec<CogSample> = manager
        .list()
        .into_iter()
        .map(|c| {
            // A swapped-in version starts from zero: no negative rates.
            let (calls, errors) = previous
                .cogs
                .get(&c.name)
                .copied()
                .unwrap_or((c.stats.calls, c.stats.errors));
            CogSample {
                calls_per_sec: per_sec(c.stats.calls, calls),
                errors_per_sec: per_sec(c.stats.errors, errors),
                calls: c.stats.calls,
                errors: c.stats.errors,
                p99_us: c.stats.p99_us,
                name: c.name,
            }
        })
        .collect();
    let sample = Sample {
        t_ms: now_ms(),
        received_per_sec: per_sec(ledger.received, previous.ledger.received),
        settled_per_sec: per_sec(ledger.settled(), previous.ledger.settled()),
        queues: dispatcher.queue_depths(),
        active_jobs: dispatcher.metrics().active_jobs(),
        p50_us: latency.map(|l| l.map(|(p50, _)| p50)),
        p99_us: latency.map(|l| l.map(|(_, p99)| p99)),
        rss_bytes: process.rss_bytes,
        cpu_pct: match (cpu, previous.cpu) {
            (Some(now), Some(before)) => {
                Some(100.0 * now.saturating_sub(before).as_secs_f64() / secs)
            }
            _ => None,
        },
        ledger,
        cogs,
    };
    previous.at = now;
    previous.ledger = ledger;
    previous.cpu = cpu;
    previous.cogs = sample
        .cogs
        .iter()
        .map(|c| (c.name.clone(), (c.calls, c.errors)))
        .collect();
    sample
}
