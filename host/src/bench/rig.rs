//! A fresh host for one bench scenario: the bundled cogs compiled by the real runtime,
//! a new SQLite file in a temporary folder (or the PostgreSQL database of `--store`),
//! the dispatcher and its scheduler, and a collector that counts every outcome as it
//! arrives. Scenarios send streams of messages through it and read back a
//! [`Measured`].
//!
//! Nothing is mocked but the model (the `stand-in` backend, a fixed delay).

use super::report::{stats_since, CogRow};
use super::tally::Tally;
use crate::app::{App, LoadOptions};
use crate::config::Config;
use crate::dispatch::{Dispatcher, LedgerSnapshot, Running};
use crate::event::Message;
use crate::runtime::{BreakerState, LoadedCog, StatsSnapshot};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Outcomes of messages in this guild are not counted (warm-up traffic).
pub const WARMUP_GUILD: &str = "bench-warmup";

/// The longest a scenario may take to settle before the rig gives up and reports
/// what is missing.
const SETTLE_LIMIT: Duration = Duration::from_secs(600);

pub struct Rig {
    pub app: App,
    dir: PathBuf,
    scheduler: Option<Running>,
    collector: Option<Collector>,
    /// cogs replaced during the run (their calls still count)
    retired: Arc<Mutex<Vec<Arc<LoadedCog>>>>,
    /// before the measured traffic: the ledger, CPU time, cog stats
    baseline: Option<Baseline>,
}

/// The outcome collector: tell it to stop, then join it for the tally and when the
/// last counted outcome arrived.
type Collector = (oneshot::Sender<()>, JoinHandle<(Tally, Option<Instant>)>);

struct Baseline {
    at: Instant,
    ledger: LedgerSnapshot,
    cpu: Option<Duration>,
    cogs: BTreeMap<String, StatsSnapshot>,
}

/// What a scenario's measured traffic did.
pub struct Measured {
    pub tally: Tally,
    pub ledger: LedgerSnapshot,
    pub elapsed: Duration,
    pub cpu: Option<Duration>,
    pub cogs: Vec<CogRow>,
    pub peak_active_jobs: u64,
    /// cogs whose circuit breaker was open at the end, with its reason
    pub suspended: Vec<String>,
}

impl Rig {
    /// Build a host from `toml` (limits, model, cog settings) on top of the bench's
    /// fixed base: the bundled cogs, no plugin folder, `base`'s compile cache.
    pub async fn start(base: &Config, name: &str, toml: &str) -> Result<Rig> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("astra-bench-{}-{name}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // `--store postgres://...` (or the config's): that database, shared by the
        // scenarios; else a fresh SQLite file per scenario.
        let store = base.store_url.as_ref().map_or(String::new(), |url| {
            format!(
                "store = {}\n",
                toml::Value::String(url.expose().to_string())
            )
        });
        let text = format!(
            "bundled_cogs = true\nplugin_dir = {}\ncache_dir = {}\n{store}{toml}\n",
            toml_path(&dir.join("no-plugins")),
            toml_path(&base.cache_dir),
        );
        let config = Config::parse(&text, &dir.join("bench.toml"))
            .map_err(|e| anyhow::anyhow!("bench config: {e}"))?;
        let mut app = App::build(
            config,
            LoadOptions {
                store_path: base.store_url.is_none().then(|| dir.join("bench.db")),
                ..Default::default()
            },
        )
        .await?;
        if let Some(r) = app.refused.first() {
            bail!("a bundled cog was refused: {r}");
        }
        // As in production (console, web page, Discord): a CRITICAL message's actions
        // are ready when its early outcome is sent, not when a model call ends.
        app.dispatcher.deliver_early();
        let outcomes = app.take_outcomes();
        let mut rig = Rig {
            app,
            dir,
            scheduler: None,
            collector: None,
            retired: Arc::default(),
            baseline: None,
        };
        rig.collector = Some(collect(outcomes));
        rig.scheduler = Some(rig.app.dispatcher.start());
        Ok(rig)
    }

    pub fn dispatcher(&self) -> Dispatcher {
        self.app.dispatcher.clone()
    }

    /// Where a swap puts the cogs it replaced, so their calls still count.
    pub fn retired(&self) -> Arc<Mutex<Vec<Arc<LoadedCog>>>> {
        self.retired.clone()
    }

    /// Send warm-up traffic (not counted) and wait for it to settle, so the measured
    /// run meets ready instances, as a running bot's messages do.
    pub async fn warm_up(&self, streams: Vec<Vec<Message>>) -> Result<()> {
        self.send(streams).await;
        self.settle().await
    }

    /// Start measuring: what happens from here on is the scenario's.
    pub fn mark(&mut self) {
        self.dispatcher().metrics().reset_peak_active_jobs();
        self.baseline = Some(Baseline {
            at: Instant::now(),
            ledger: self.dispatcher().ledger(),
            cpu: crate::metrics::cpu_time(),
            cogs: self.cog_stats(),
        });
    }

    /// Submit each stream from its own task (a stream's messages one after another,
    /// the streams at once) and return when every message has been submitted.
    pub async fn send(&self, streams: Vec<Vec<Message>>) {
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|stream| {
                let d = self.dispatcher();
                tokio::spawn(async move {
                    for m in stream {
                        d.submit(m).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Wait until every received message has its outcome.
    pub async fn settle(&self) -> Result<()> {
        let d = self.dispatcher();
        let deadline = Instant::now() + SETTLE_LIMIT;
        while d.ledger().in_flight > 0 {
            if Instant::now() > deadline {
                bail!(
                    "{} messages still in flight after {} s",
                    d.ledger().in_flight,
                    SETTLE_LIMIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }

    /// Wait for the measured traffic to settle, stop the host and report. The app
    /// stays readable (its config, its cogs) until the rig is dropped.
    pub async fn finish(&mut self) -> Result<Measured> {
        let settled = self.settle().await;
        let end_cpu = crate::metrics::cpu_time();
        if let Some(scheduler) = self.scheduler.take() {
            let _ = scheduler.stop().await;
        }
        let (tally, last) = match self.collector.take() {
            Some((done, handle)) => {
                let _ = done.send(());
                handle.await.context("the outcome collector stopped")?
            }
            None => (Tally::default(), None),
        };
        settled?;
        let base = self.baseline.take().context("the rig was never marked")?;
        let ledger = self.dispatcher().ledger();
        let now = self.cog_stats();
        let cogs = now
            .into_iter()
            .map(|(name, after)| {
                let before = base.cogs.get(&name).copied().unwrap_or_default();
                CogRow {
                    name,
                    stats: stats_since(before, after),
                }
            })
            .collect();
        let suspended = self
            .app
            .runtime
            .cogs()
            .iter()
            .filter_map(|c| match c.breaker.state() {
                BreakerState::Open { reason, .. } => Some(format!("`{}` {reason}", c.name)),
                _ => None,
            })
            .collect();
        Ok(Measured {
            suspended,
            ledger: minus(ledger, base.ledger),
            elapsed: last.map_or(Duration::ZERO, |t| t.saturating_duration_since(base.at)),
            cpu: end_cpu.zip(base.cpu).map(|(e, s)| e.saturating_sub(s)),
            cogs,
            peak_active_jobs: self.dispatcher().metrics().peak_active_jobs(),
            tally,
        })
    }

    /// Every cog's numbers, live and retired versions merged by name.
    fn cog_stats(&self) -> BTreeMap<String, StatsSnapshot> {
        let retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: BTreeMap<String, StatsSnapshot> = BTreeMap::new();
        for cog in self.app.runtime.cogs().iter().chain(retired.iter()) {
            let s = cog.stats.snapshot();
            let merged = out.entry(cog.name.to_string()).or_default();
            *merged = merge(*merged, s);
        }
        out
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Count outcomes until told to stop, then drain what is left; returns the tally and
/// when the last counted outcome arrived. Warm-up outcomes are skipped.
fn collect(mut rx: mpsc::UnboundedReceiver<crate::event::Outcome>) -> Collector {
    let (done_tx, mut done_rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let mut tally = Tally::default();
        let mut last = None;
        let mut count = |o: crate::event::Outcome, tally: &mut Tally| {
            if o.guild_id != WARMUP_GUILD {
                tally.add(&o);
                last = Some(Instant::now());
            }
        };
        loop {
            tokio::select! {
                biased;
                Some(o) = rx.recv() => count(o, &mut tally),
                _ = &mut done_rx => break,
            }
        }
        while let Ok(o) = rx.try_recv() {
            count(o, &mut tally);
        }
        (tally, last)
    });
    (done_tx, handle)
}

/// A path as a TOML string.
fn toml_path(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

fn minus(a: LedgerSnapshot, b: LedgerSnapshot) -> LedgerSnapshot {
    LedgerSnapshot {
        received: a.received - b.received,
        processed: a.processed - b.processed,
        rate_limited: a.rate_limited - b.rate_limited,
        shed: a.shed - b.shed,
        failed: a.failed - b.failed,
        in_flight: a.in_flight,
    }
}

/// Two versions of one cog as one: counts add up, the mean is weighted, the extremes
/// are the larger; p50/p99 are the busier version's.
fn merge(a: StatsSnapshot, b: StatsSnapshot) -> StatsSnapshot {
    let calls = a.calls + b.calls;
    let busier = if a.calls >= b.calls { a } else { b };
    StatsSnapshot {
        calls,
        errors: a.errors + b.errors,
        crashes: a.crashes + b.crashes,
        mean_us: if calls == 0 {
            0.0
        } else {
            (a.mean_us * a.calls as f64 + b.mean_us * b.calls as f64) / calls as f64
        },
        p50_us: busier.p50_us,
        p99_us: busier.p99_us,
        max_us: a.max_us.max(b.max_us),
    }
}
