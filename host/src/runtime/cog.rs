//! One loaded cog: its compiled component, the pre-linked `InstancePre`, its manifest
//! and grants, and the pool of ready instances. `call` runs one export under the
//! sandbox's limits and turns every way it can fail into a [`CallError`].

use super::bindings::types as wit;
use super::bindings::{Cog as CogBindings, CogPre};
use super::host_api::{CogState, Grants, Services};
use super::limits::{CpuBudget, Next, FIRST_CHECK_TICKS};
use super::pool::{InstancePool, Ready};
use super::stats::CogStats;
use super::stdio::{CogOutput, LastStderr, Stream};
use crate::event::Permission;
use crate::store::{Store as KvStore, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;

/// A running cog yields to the async runtime at least this often (in epoch ticks).
const YIELD_TICKS: u64 = 10;

/// Least CPU budget of the first call into a new instance.
const FIRST_CALL_GRACE: Duration = Duration::from_millis(250);

/// Why a call into a cog did not produce a result.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum CallError {
    #[error("cog `{cog}` ran past its {limit_ms} ms CPU deadline and was stopped")]
    Deadline { cog: String, limit_ms: u64 },
    #[error("cog `{cog}` exceeded its memory limit of {limit_mib} MiB and was stopped")]
    Memory { cog: String, limit_mib: usize },
    #[error("cog `{cog}` trapped: {detail}")]
    Trap { cog: String, detail: String },
    #[error("cog `{cog}` failed: {reason}")]
    Permanent { cog: String, reason: String },
    #[error("cog `{cog}` failed transiently: {reason}")]
    Transient { cog: String, reason: String },
    /// The circuit breaker is open: the cog was not called (see `breaker.rs`).
    #[error("cog `{cog}` is {reason}")]
    Suspended { cog: String, reason: String },
}

impl CallError {
    /// Worth retrying? Only failures the cog or host call transient are; a trap,
    /// a deadline or the memory cap would happen again.
    pub fn is_transient(&self) -> bool {
        matches!(self, CallError::Transient { .. })
    }

    /// A crash of the sandbox (as opposed to a handled failure)?
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            CallError::Deadline { .. } | CallError::Memory { .. } | CallError::Trap { .. }
        )
    }
}

/// A slash command a cog offers, with the permission it requires.
#[derive(Debug, Clone)]
pub struct CommandInfo {
    pub name: String,
    pub description: String,
    pub permission: Permission,
    pub options: Vec<wit::OptionSpec>,
}

/// Limits for calls into one cog.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    pub triage: Duration,
    pub handle: Duration,
    pub memory_bytes: usize,
    /// this cog's `breaker_crashes` (`None`: the `[limits]` one; 0: never suspend)
    pub breaker_crashes: Option<u32>,
}

pub struct LoadedCog {
    pub name: Arc<str>,
    pub manifest: wit::CogManifest,
    pub commands: Vec<CommandInfo>,
    pub grants: Grants,
    pub watches_moderation: bool,
    pub limits: CallLimits,
    pub stats: CogStats,
    /// suspends the cog after repeated crashes
    pub breaker: super::breaker::Breaker,
    pre: CogPre<CogState>,
    services: Services,
    pool: InstancePool,
}

impl std::fmt::Debug for LoadedCog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedCog")
            .field("name", &self.name)
            .field("version", &self.manifest.version)
            .finish_non_exhaustive()
    }
}

/// A call's kv writes, gathered by the store into its current batch of writes
/// ([`KvStore::call_started`] .. [`KvStore::call_ended`], also when the call is
/// cancelled: a task timeout drops it). Whoever reports the call's result waits for
/// the batch's commit first (the dispatcher: `KvStore::committed` / `commit_now`).
struct WriteBatch<'a> {
    store: Option<&'a dyn KvStore>,
}

impl<'a> WriteBatch<'a> {
    fn start(store: &'a dyn KvStore) -> Self {
        store.call_started();
        WriteBatch { store: Some(store) }
    }

    fn finish(mut self) -> Result<(), StoreError> {
        self.store.take().map_or(Ok(()), |s| s.call_ended())
    }
}

impl Drop for WriteBatch<'_> {
    fn drop(&mut self) {
        if let Some(Err(e)) = self.store.take().map(|s| s.call_ended()) {
            tracing::error!("the store could not commit a cancelled call's writes: {e}");
        }
    }
}

/// Which export to call.
pub enum Export<'a> {
    Triage(&'a wit::Message),
    Handle(&'a wit::Message),
    Command(&'a wit::CommandInvocation),
    Event(&'a wit::Event),
}

/// What an export returned.
pub enum Returned {
    Triage(Option<wit::Priority>),
    Actions(Vec<wit::Action>),
    Reply(wit::CommandReply),
}

impl LoadedCog {
    /// Build the cog from a pre-linked component. `name` is what the manifest said
    /// (the caller has already read and checked it).
    pub fn new(
        pre: CogPre<CogState>,
        manifest: wit::CogManifest,
        grants: Grants,
        services: Services,
        limits: CallLimits,
        max_idle: usize,
    ) -> Self {
        let commands = manifest
            .commands
            .iter()
            .map(|c| CommandInfo {
                name: c.name.clone(),
                description: c.description.clone(),
                permission: super::convert::permission_from_wit(c.permission),
                options: c.options.clone(),
            })
            .collect();
        let watches_moderation = manifest
            .events
            .iter()
            .any(|e| matches!(e, wit::EventKind::ModerationActions));
        LoadedCog {
            name: manifest.name.as_str().into(),
            commands,
            grants,
            watches_moderation,
            limits,
            stats: CogStats::default(),
            breaker: super::breaker::Breaker::new(super::breaker::BreakerPolicy {
                crashes: limits
                    .breaker_crashes
                    .unwrap_or(services.quotas.limits.breaker.crashes),
                ..services.quotas.limits.breaker
            }),
            manifest,
            pre,
            services,
            pool: InstancePool::new(64),
        }
        .with_max_idle(max_idle)
    }

    fn with_max_idle(mut self, max_idle: usize) -> Self {
        self.pool = InstancePool::new(max_idle);
        self
    }

    pub fn idle_instances(&self) -> usize {
        self.pool.idle()
    }

    /// A store for a new instance of `component` (used by the loader for the manifest
    /// call, and by `fresh` for the pool).
    pub fn new_store(
        engine: &wasmtime::Engine,
        cog: Arc<str>,
        grants: Grants,
        services: Services,
        memory_bytes: usize,
    ) -> Store<CogState> {
        let last: LastStderr = Arc::new(Mutex::new(String::new()));
        // WASI with nothing: no files, no network, no environment, no arguments;
        // stdout/stderr go to the log under the cog's name.
        let wasi = WasiCtxBuilder::new()
            .stdout(CogOutput::new(cog.clone(), Stream::Stdout, last.clone()))
            .stderr(CogOutput::new(cog.clone(), Stream::Stderr, last.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let state = CogState::new(cog, grants, services, memory_bytes, wasi, last);
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.memory);
        store.epoch_deadline_callback(|mut ctx| {
            // A running cog yields to the async runtime every few checks so a long call
            // cannot hog its thread and a task timeout can fire.
            Ok(match ctx.data_mut().cpu.check(YIELD_TICKS) {
                Next::Continue(ticks) => UpdateDeadline::Continue(ticks),
                Next::Yield(ticks) => UpdateDeadline::Yield(ticks),
                Next::Stop => UpdateDeadline::Interrupt,
            })
        });
        store
    }

    /// Give `store`'s next call a fresh CPU budget: the budget and its first epoch
    /// check, one tick away, which takes the CPU clock's baseline (see `limits.rs`).
    pub(super) fn start_budget(store: &mut Store<CogState>, budget: std::time::Duration) {
        store.data_mut().cpu = CpuBudget::new(budget);
        store.set_epoch_deadline(FIRST_CHECK_TICKS);
    }

    async fn fresh(&self) -> Result<Ready, CallError> {
        let mut store = Self::new_store(
            self.pre.engine(),
            self.name.clone(),
            self.grants,
            self.services.clone(),
            self.limits.memory_bytes,
        );
        Self::start_budget(&mut store, self.limits.handle);
        let bindings = self.pre.instantiate_async(&mut store).await.map_err(|e| {
            // Out of pool slots or memory: another try later may succeed.
            CallError::Transient {
                cog: self.name.to_string(),
                reason: format!("could not create an instance: {e}"),
            }
        })?;
        Ok(Ready {
            store,
            bindings,
            fresh: true,
        })
    }

    /// Call one export for a message or command in `guild`.
    /// A cog whose circuit breaker is open is not called: `CallError::Suspended`.
    pub async fn call(&self, guild: &str, export: Export<'_>) -> Result<Returned, CallError> {
        self.call_noting_store_use(guild, export, &mut false).await
    }

    /// [`LoadedCog::call`], setting `used_store` when the call used the store (any `kv`
    /// operation, reads too: a read sees other calls' writes before their commit).
    /// Whoever reports the result of calls that never used it need not wait for a
    /// commit: nothing they report can be lost by a crash.
    pub async fn call_noting_store_use(
        &self,
        guild: &str,
        export: Export<'_>,
        used_store: &mut bool,
    ) -> Result<Returned, CallError> {
        if let Err(s) = self.breaker.admit() {
            return Err(CallError::Suspended {
                cog: self.name.to_string(),
                reason: format!("{} ({} s left)", s.reason, s.remaining.as_secs()),
            });
        }
        let started = std::time::Instant::now();
        let batch = self
            .grants
            .has(wit::Capability::Kv)
            .then(|| WriteBatch::start(&*self.services.store));
        let mut result = self.call_inner(guild, export, used_store).await;
        if let Some(Err(e)) = batch.map(WriteBatch::finish) {
            // The cog was told its writes were made: they were not. Worth a retry.
            result = Err(CallError::Transient {
                cog: self.name.to_string(),
                reason: format!("the store could not commit its writes: {e}"),
            });
        }
        self.stats.record(
            started.elapsed(),
            result.as_ref().err().map(CallError::is_crash),
        );
        let crash = result
            .as_ref()
            .err()
            .filter(|e| e.is_crash())
            .map(|e| e.to_string());
        if let Some(tripped) = self.breaker.record(&self.name, crash.as_deref()) {
            tracing::error!(cog = %self.name, "{tripped}");
        }
        result
    }

    async fn call_inner(
        &self,
        guild: &str,
        export: Export<'_>,
        used_store: &mut bool,
    ) -> Result<Returned, CallError> {
        let mut ready = match self.pool.take() {
            Some(ready) => ready,
            None => self.fresh().await?,
        };
        let mut budget = match export {
            Export::Triage(_) => self.limits.triage,
            _ => self.limits.handle,
        };
        if ready.fresh {
            // The first call into a new instance also runs the cog's lazy set-up (a
            // word list to index, tables to build): allow it a little more.
            budget = budget.max(FIRST_CALL_GRACE.min(self.limits.handle));
            ready.fresh = false;
        }
        {
            let state = ready.store.data_mut();
            state.guild.clear();
            state.guild.push_str(guild);
            state.kv_ops = 0;
            state.used_store = false;
            if let Ok(mut tail) = state.last_stderr.lock() {
                tail.clear();
            }
        }
        Self::start_budget(&mut ready.store, budget);

        let Ready {
            store, bindings, ..
        } = &mut ready;
        let outcome = run_export(bindings, store, export).await;
        *used_store |= store.data().used_store;
        match outcome {
            Ok(Ok(returned)) => {
                self.pool.give_back(ready);
                Ok(returned)
            }
            Ok(Err(handler_error)) => {
                // The cog returned an error normally: the instance is healthy.
                self.pool.give_back(ready);
                Err(match handler_error {
                    wit::HandlerError::Transient(reason) => CallError::Transient {
                        cog: self.name.to_string(),
                        reason,
                    },
                    wit::HandlerError::Permanent(reason) => CallError::Permanent {
                        cog: self.name.to_string(),
                        reason,
                    },
                })
            }
            Err(trap) => {
                // Never reuse an instance that trapped: drop `ready` here.
                let state = ready.store.data();
                let cog = self.name.to_string();
                let error = if state.cpu.exceeded {
                    CallError::Deadline {
                        cog,
                        limit_ms: budget.as_millis() as u64,
                    }
                } else if state.memory.refused {
                    CallError::Memory {
                        cog,
                        limit_mib: state.memory.cap_bytes >> 20,
                    }
                } else {
                    let stderr = state
                        .last_stderr
                        .lock()
                        .map(|s| super::stdio::summarize(&s))
                        .unwrap_or_default();
                    let mut detail = trap_summary(&trap);
                    if !stderr.is_empty() {
                        detail = format!("{detail} ({stderr})");
                    }
                    CallError::Trap { cog, detail }
                };
                tracing::warn!("{error}");
                Err(error)
            }
        }
    }
}

/// The first line of a trap's message (`wasm trap: unreachable`, ...).
pub(super) fn trap_summary(e: &wasmtime::Error) -> String {
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return trap.to_string();
    }
    e.to_string()
        .lines()
        .next()
        .unwrap_or("unknown error")
        .to_string()
}

type ExportResult = wasmtime::Result<Result<Returned, wit::HandlerError>>;

async fn run_export(
    bindings: &CogBindings,
    store: &mut Store<CogState>,
    export: Export<'_>,
) -> ExportResult {
    Ok(match export {
        Export::Triage(msg) => Ok(Returned::Triage(
            bindings.call_triage(&mut *store, msg).await?,
        )),
        Export::Handle(msg) => bindings
            .call_handle_message(&mut *store, msg)
            .await?
            .map(Returned::Actions),
        Export::Command(cmd) => bindings
            .call_handle_command(&mut *store, cmd)
            .await?
            .map(Returned::Reply),
        Export::Event(event) => bindings
            .call_on_event(&mut *store, event)
            .await?
            .map(Returned::Actions),
    })
}
