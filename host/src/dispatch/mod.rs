//! The dispatcher: one path for every message, replacing per-cog listeners.
//!
//! `submit` = ingest (id, receive time, ledger) → triage → rate limit → priority
//! queues. `run` = the scheduler: it takes jobs in priority order under a concurrency
//! limit with permits reserved for CRITICAL, runs the interested cogs' handlers with a
//! timeout and transient-only retries, vets their actions, and emits one [`Outcome`]
//! per message on the outcome channel (back to the gateway).

mod actions;
mod bounds;
mod commands;
mod job;
mod lanes;
mod ledger;
mod queue;
mod rate_limit;
mod scheduler;
mod task;
mod triage;

pub use actions::{MAX_ACTIONS_PER_CALL, MAX_TEXT};
pub use bounds::{MAX_CONTENT, MAX_LIST};
pub use commands::CommandError;
pub use ledger::LedgerSnapshot;
pub use rate_limit::RateSpec;

use crate::commands::HostCommands;
use crate::event::{CogAction, Message, Outcome, OutcomeKind, Priority};
use crate::metrics::Metrics;
use crate::runtime::convert::message_to_wit;
use crate::runtime::Runtime;
use job::Job;
use lanes::BackgroundLane;
use ledger::Ledger;
use queue::{PriorityQueues, Pushed};
use rate_limit::UserRateLimits;
pub use scheduler::Running;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use tracing::Instrument;

/// Most messages in triage at once. A triage that waits on the store (PostgreSQL)
/// holds a cog instance meanwhile; without a bound, a burst of messages could take
/// every instance slot and starve the handlers. Past it, `submit` waits: back-pressure
/// to the gateway, as when the queues are full of CRITICAL work.
pub const TRIAGE_CONCURRENCY: usize = 256;

/// Jobs whose cogs are done, waiting for their writes to be stored before their
/// outcome is settled (permits of `Inner::settling`; shutdown takes them all back).
const SETTLING_MAX: u32 = 1 << 20;

/// Which cogs are on in which guild.
pub trait CogSwitches: Send + Sync + 'static {
    fn enabled(&self, cog: &str, guild: &str) -> bool;
}

/// Every cog on everywhere.
pub struct AllEnabled;
impl CogSwitches for AllEnabled {
    fn enabled(&self, _cog: &str, _guild: &str) -> bool {
        true
    }
}

/// The dispatcher's limits (see `astra.toml`, `[limits]` and `[rate_limit]`).
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// total capacity of the four queues; past it, lower priorities are shed
    pub queue_capacity: usize,
    /// most jobs running at once
    pub max_concurrent: usize,
    /// of those, permits only CRITICAL jobs may use
    pub reserved_critical: usize,
    /// a job still running after this fails with a timeout
    pub task_timeout: Duration,
    /// retries of a cog call that failed transiently
    pub retries: u32,
    /// wait before the first retry (doubles each time)
    pub retry_backoff: Duration,
    pub rate_limit: RateSpec,
    pub guild_rate_limits: HashMap<String, RateSpec>,
    /// priorities the per-user rate limit applies to
    pub rate_limited: Vec<Priority>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            queue_capacity: 1000,
            max_concurrent: 50,
            reserved_critical: 10,
            task_timeout: Duration::from_secs(30),
            retries: 3,
            retry_backoff: Duration::from_millis(10),
            rate_limit: RateSpec {
                messages: 5.try_into().expect("non-zero"),
                per: Duration::from_secs(10),
            },
            guild_rate_limits: HashMap::new(),
            rate_limited: vec![Priority::High],
        }
    }
}

/// A cloneable handle to the dispatcher.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Runtime,
    switches: Arc<dyn CogSwitches>,
    config: DispatchConfig,
    queues: PriorityQueues,
    ledger: Ledger,
    limits: UserRateLimits,
    metrics: Metrics,
    /// permits any job may take
    general: Arc<Semaphore>,
    /// permits reserved for CRITICAL jobs
    critical: Arc<Semaphore>,
    /// [`TRIAGE_CONCURRENCY`] slots for messages in triage
    triage_slots: Semaphore,
    /// [`SETTLING_MAX`] permits: one per job from its start until it is settled
    settling: Arc<Semaphore>,
    /// the niced threads HIGH/NORMAL/LOW jobs run on (CPU priority by urgency)
    background: BackgroundLane,
    /// the scheduler is running (set by `run`): a CRITICAL job may run at once in the
    /// task that triaged it (`Dispatcher::run_now`)
    scheduling: AtomicBool,
    outcomes: mpsc::UnboundedSender<Outcome>,
    /// send early outcomes (a gateway asked: `deliver_early`)
    early_delivery: AtomicBool,
    next_id: AtomicU64,
    /// commands the host answers itself (set once by the app)
    host_commands: std::sync::OnceLock<HostCommands>,
}

impl Dispatcher {
    /// A dispatcher over `runtime`'s cogs; outcomes go to the returned receiver.
    pub fn new(
        runtime: Runtime,
        switches: Arc<dyn CogSwitches>,
        config: DispatchConfig,
        metrics: Metrics,
    ) -> (Self, mpsc::UnboundedReceiver<Outcome>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let reserved = config
            .reserved_critical
            .min(config.max_concurrent.saturating_sub(1));
        let general = config.max_concurrent.max(1) - reserved;
        let inner = Inner {
            runtime,
            switches,
            queues: PriorityQueues::new(config.queue_capacity),
            ledger: Ledger::default(),
            limits: UserRateLimits::new(config.rate_limit, &config.guild_rate_limits),
            metrics,
            general: Arc::new(Semaphore::new(general)),
            critical: Arc::new(Semaphore::new(reserved)),
            triage_slots: Semaphore::new(TRIAGE_CONCURRENCY),
            settling: Arc::new(Semaphore::new(SETTLING_MAX as usize)),
            background: BackgroundLane::new()
                .expect("starting the dispatcher's background threads"),
            scheduling: AtomicBool::new(false),
            outcomes: tx,
            early_delivery: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            host_commands: std::sync::OnceLock::new(),
            config,
        };
        (
            Dispatcher {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    /// Ingest one message. Returns once it is queued (or settled); waits only when a
    /// CRITICAL or HIGH message meets queues full of CRITICAL and HIGH work
    /// (back-pressure). A CRITICAL message is run before `submit` returns when a permit
    /// is free and no other CRITICAL message is queued (`run_now`). Ingest runs on the
    /// caller's task, at normal CPU priority (see `lanes.rs`).
    /// Each message is traced as a `message` span (its id, guild and author) and its
    /// job as a `job` span (id and priority), at debug level (`--log astra=debug`).
    pub async fn submit(&self, mut message: Message) {
        let received = Instant::now();
        if message.id.is_empty() {
            message.id = self
                .inner
                .next_id
                .fetch_add(1, Ordering::Relaxed)
                .to_string();
        }
        let span = tracing::debug_span!(
            "message",
            id = %message.id,
            guild = %message.guild_id,
            user = %message.author.id,
        );
        self.ingest(message, received).instrument(span).await;
        // Then let the scheduler, and the CRITICAL job it may start, run: a gateway
        // handing over messages back to back would otherwise keep this worker thread
        // for tokio's whole cooperative budget, a hundred-odd triages (milliseconds)
        // while a security warning waits in the run queue.
        tokio::task::yield_now().await;
    }

    async fn ingest(&self, mut message: Message, received: Instant) {
        let inner = &self.inner;
        inner.ledger.receive();
        inner.metrics.received();
        if message.timestamp_ms == 0 {
            message.timestamp_ms = crate::event::now_ms();
        }
        if bounds::bound(&mut message) {
            tracing::debug!(id = %message.id, "oversized message cut to the ingest bounds");
        }
        let wit_message = Arc::new(message_to_wit(&message));
        let message = Arc::new(message);

        let cogs = inner.runtime.cogs();
        let triaged = {
            // never closed, so `acquire` cannot fail
            let _slot = inner.triage_slots.acquire().await;
            triage::triage(&cogs, inner.switches.as_ref(), &wit_message).await
        };
        let mut job = Job {
            message,
            wit_message,
            priority: triaged.priority.unwrap_or(Priority::Normal),
            handlers: triaged.handlers,
            errors: triaged.errors,
            received,
            carried: None,
        };

        if job.handlers.is_empty() {
            // Nobody is interested: settled at once (failed if a triage crashed).
            let kind = if job.errors.is_empty() {
                OutcomeKind::Processed
            } else {
                OutcomeKind::Failed
            };
            let error = (!job.errors.is_empty()).then(|| job.errors.join("; "));
            self.settle(&job, kind, error, Default::default());
            return;
        }

        if inner.config.rate_limited.contains(&job.priority)
            && !inner
                .limits
                .allow(&job.message.guild_id, &job.message.author.id)
        {
            job.errors.clear();
            self.settle(&job, OutcomeKind::RateLimited, None, Default::default());
            return;
        }

        // A CRITICAL message runs here and now when a permit is free and none is
        // queued ahead of it; queued, it would wait for the scheduler's turn and then
        // in the run queue behind every message being triaged (`run_now`).
        if job.priority == Priority::Critical {
            if let Some(permit) = self.permit_to_run_now() {
                self.run_now(job, permit).await;
                return;
            }
        }
        match inner.queues.push(job).await {
            Pushed::Queued => {}
            Pushed::Displaced(shed) => {
                let why = format!(
                    "queue full ({} jobs): shed to make room for more urgent work",
                    inner.queues.capacity()
                );
                self.settle(&shed, OutcomeKind::Shed, Some(why), Default::default());
            }
            Pushed::Rejected(job) => {
                let why = format!(
                    "queue full ({} jobs) of equal or more urgent work",
                    inner.queues.capacity()
                );
                self.settle(&job, OutcomeKind::Shed, Some(why), Default::default());
            }
        }
    }

    /// Ask for early outcomes: a CRITICAL message's CRITICAL actions are sent as soon
    /// as its CRITICAL handlers are done, before its HIGH or NORMAL handlers (a model
    /// call) finish. For gateways that deliver actions (console, web page, Discord);
    /// off by default, so every other reader gets exactly one outcome per message.
    pub fn deliver_early(&self) {
        self.inner.early_delivery.store(true, Ordering::Relaxed);
    }

    fn delivers_early(&self) -> bool {
        self.inner.early_delivery.load(Ordering::Relaxed)
    }

    /// Send a CRITICAL message's early outcome: `actions` (its CRITICAL handlers') are
    /// ready `at` after ingest. Not settled, not counted: the message's one outcome
    /// follows.
    fn send_early(&self, job: &Job, actions: Vec<CogAction>, at: Duration) {
        let at_us = at.as_micros() as u64;
        let _ = self.inner.outcomes.send(Outcome {
            actions,
            latency_us: at_us,
            early_us: Some(at_us),
            early: true,
            ..outcome_of(job, OutcomeKind::Processed)
        });
    }

    /// Record the message's one outcome and send it to the gateway. A continuation's
    /// outcome lists its CRITICAL part's actions first.
    fn settle(&self, job: &Job, kind: OutcomeKind, error: Option<String>, vetted: actions::Vetted) {
        let inner = &self.inner;
        let seq = inner.ledger.settle(kind);
        let latency = job.received.elapsed();
        let early = job.early();
        let priority = job.message_priority();
        // The message's latency is when its most urgent actions were ready.
        inner
            .metrics
            .settled(priority, kind, early.map_or(latency, |(_, at)| at));
        let vetted = match &job.carried {
            Some(carried) => {
                let mut all = carried.done.clone();
                all.extend(vetted);
                all
            }
            None => vetted,
        };
        let outcome = Outcome {
            error,
            actions: vetted.accepted,
            dropped: vetted.dropped,
            latency_us: latency.as_micros() as u64,
            early_us: early.map(|(_, at)| at.as_micros() as u64),
            delivered_early: early.map_or(0, |(n, _)| n),
            seq,
            ..outcome_of(job, kind)
        };
        inner.metrics.observe(&outcome);
        // The receiver is gone only at shutdown; the ledger already has the outcome.
        let _ = inner.outcomes.send(outcome);
    }

    /// Account for input that could not even become a message (a malformed replay
    /// line, an undecodable gateway payload): received and failed with `error`.
    pub fn reject(&self, id: String, user: String, error: String) {
        let inner = &self.inner;
        inner.ledger.receive();
        inner.metrics.received();
        let seq = inner.ledger.settle(OutcomeKind::Failed);
        inner
            .metrics
            .settled(Priority::Normal, OutcomeKind::Failed, Duration::ZERO);
        let _ = inner.outcomes.send(Outcome {
            error: Some(error),
            seq,
            ..Outcome::new(id, user, Priority::Normal, OutcomeKind::Failed)
        });
    }

    /// Install the host's own commands (once, at start).
    pub fn set_host_commands(&self, commands: HostCommands) {
        let _ = self.inner.host_commands.set(commands);
    }

    pub fn host_commands(&self) -> HostCommands {
        self.inner.host_commands.get().cloned().unwrap_or_default()
    }

    pub fn ledger(&self) -> LedgerSnapshot {
        self.inner.ledger.snapshot()
    }

    pub fn queue_depths(&self) -> [usize; 4] {
        self.inner.queues.depths()
    }

    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn config(&self) -> &DispatchConfig {
        &self.inner.config
    }
}

/// `job`'s message ended as `kind`, at its message's priority: an outcome with nothing
/// done yet, for `send_early` and `settle` to fill in.
fn outcome_of(job: &Job, kind: OutcomeKind) -> Outcome {
    Outcome {
        guild_id: job.message.guild_id.clone(),
        channel_id: job.message.channel_id.clone(),
        ..Outcome::new(
            job.message.id.clone(),
            job.message.author.name.clone(),
            job.message_priority(),
            kind,
        )
    }
}
