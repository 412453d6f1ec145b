//! Cog administration and hot reload: which cogs are live, where each came from, the
//! versions they replaced, and the admin's switches.
//!
//! - `swap.rs`: load a file (or bytes) and make it live, or refuse it with the reason
//!   while the previous version keeps serving; unload; roll back.
//! - `watch.rs`: watch the plugin folder and the config file (debounced) and apply
//!   what changed.
//! - `probation.rs`: the watchdog that rolls a new version back when it crashes too
//!   often in its first calls.
//!
//! Swap semantics come from the runtime: installing a cog replaces one `Arc` in the live
//! list, so calls already running finish on the old version and new calls (triage of
//! new messages) get the new one. Nothing is queued or dropped by a swap.

mod probation;
mod swap;
mod watch;

pub use probation::ProbationPolicy;
pub use watch::watch;

use crate::app::HostPolicy;
use crate::runtime::{LoadedCog, Runtime, StatsSnapshot};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where a live cog came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Bundled,
    File(PathBuf),
}

/// Something that happened to a cog (kept for `/plugins list` and the dashboard).
#[derive(Debug, Clone, Serialize)]
pub struct ReloadEvent {
    pub at_ms: u64,
    pub cog: String,
    pub what: String,
}

/// One row of `/plugins list`.
#[derive(Debug, Clone, Serialize)]
pub struct CogStatus {
    pub name: String,
    pub version: String,
    /// `active`, `probation` (new version being watched), `suspended` (circuit breaker
    /// open after repeated crashes)
    pub state: String,
    /// why and for how long it is suspended (when `state` is `suspended`)
    pub suspended: Option<String>,
    pub source: String,
    pub stats: StatsSnapshot,
    /// older versions available for `/plugins rollback`
    pub previous: Vec<String>,
}

#[derive(Clone)]
pub struct CogManager {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Runtime,
    policy: Arc<HostPolicy>,
    probation: ProbationPolicy,
    // Locks below are held for map updates only, never across an `.await`.
    sources: Mutex<HashMap<String, Source>>,
    /// replaced versions per cog, newest last (at most 3)
    history: Mutex<HashMap<String, Vec<Arc<LoadedCog>>>>,
    /// new versions under watch: cog name → the version being watched
    on_probation: Mutex<HashMap<String, Arc<LoadedCog>>>,
    events: Mutex<VecDeque<ReloadEvent>>,
}

const MAX_HISTORY: usize = 3;
const MAX_EVENTS: usize = 200;

impl CogManager {
    pub fn new(runtime: Runtime, policy: Arc<HostPolicy>, probation: ProbationPolicy) -> Self {
        CogManager {
            inner: Arc::new(Inner {
                runtime,
                policy,
                probation,
                sources: Mutex::new(HashMap::new()),
                history: Mutex::new(HashMap::new()),
                on_probation: Mutex::new(HashMap::new()),
                events: Mutex::new(VecDeque::new()),
            }),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// Record where a cog loaded at start came from.
    pub fn note_source(&self, cog: &str, source: Source) {
        lock(&self.inner.sources).insert(cog.to_string(), source);
    }

    fn event(&self, cog: &str, what: String) {
        tracing::info!(cog, "{what}");
        let mut events = lock(&self.inner.events);
        events.push_back(ReloadEvent {
            at_ms: crate::event::now_ms(),
            cog: cog.to_string(),
            what,
        });
        while events.len() > MAX_EVENTS {
            events.pop_front();
        }
    }

    /// Recent hot-reload events, oldest first.
    pub fn events(&self) -> Vec<ReloadEvent> {
        lock(&self.inner.events).iter().cloned().collect()
    }

    /// The live cogs with their state and numbers.
    pub fn list(&self) -> Vec<CogStatus> {
        let probation = lock(&self.inner.on_probation);
        let sources = lock(&self.inner.sources);
        let history = lock(&self.inner.history);
        self.inner
            .runtime
            .cogs()
            .iter()
            .map(|cog| {
                let name = cog.name.to_string();
                let suspended = match cog.breaker.state() {
                    crate::runtime::BreakerState::Open { remaining, reason } => {
                        Some(format!("{reason}; {} s left", remaining.as_secs()))
                    }
                    _ => None,
                };
                let state = match probation.get(&name) {
                    _ if suspended.is_some() => "suspended",
                    Some(watched) if Arc::ptr_eq(watched, cog) => "probation",
                    _ => "active",
                };
                CogStatus {
                    version: cog.manifest.version.clone(),
                    state: state.into(),
                    source: match sources.get(&name) {
                        Some(Source::Bundled) => "bundled".into(),
                        Some(Source::File(p)) => p.display().to_string(),
                        None => "unknown".into(),
                    },
                    stats: cog.stats.snapshot(),
                    suspended,
                    previous: history
                        .get(&name)
                        .map(|v| v.iter().map(|c| c.manifest.version.clone()).collect())
                        .unwrap_or_default(),
                    name,
                }
            })
            .collect()
    }

    pub fn policy(&self) -> &Arc<HostPolicy> {
        &self.inner.policy
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
