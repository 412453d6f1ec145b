//! The cog runtime: loads WebAssembly components, keeps the set of live cogs, and runs
//! their exports inside the sandbox (CPU deadline, memory cap, WASI with nothing
//! granted, capability checks on every import).
//!
//! Swapping the set of cogs is one pointer swap (`RwLock<Arc<..>>`): calls already
//! running keep their `Arc<LoadedCog>` and finish on the old version.

pub mod bindings;
pub mod breaker;
pub mod cog;
pub mod convert;
pub mod engine;
pub mod host_api;
pub mod limits;
pub mod loader;
pub mod pool;
pub mod preinit;
pub mod quota;
pub mod stats;
pub mod stdio;

pub use breaker::{BreakerPolicy, BreakerState};
pub use cog::{CallError, CallLimits, CommandInfo, Export, LoadedCog, Returned};
pub use engine::{CogEngine, EngineLimits};
pub use host_api::{Grants, Services};
pub use loader::{CogPolicy, Refusal};
pub use quota::{GuardLimits, Quotas};
pub use stats::{CogStats, StatsSnapshot};

use anyhow::Result;
use host_api::CogState;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use wasmtime::component::Linker;

#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: CogEngine,
    linker: Linker<CogState>,
    services: Services,
    // RwLock held only to clone or replace the Arc; never across an `.await`.
    cogs: RwLock<Arc<Vec<Arc<LoadedCog>>>>,
}

impl Runtime {
    pub fn new(
        limits: &EngineLimits,
        cache_dir: Option<PathBuf>,
        services: Services,
    ) -> Result<Self> {
        let engine = CogEngine::new(limits, cache_dir)?;
        let linker = loader::make_linker(&engine.engine)?;
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                services,
                cogs: RwLock::new(Arc::new(Vec::new())),
            }),
        })
    }

    /// Compile and check a cog without installing it.
    ///
    /// Compiling (Cranelift) and pre-initialising take milliseconds to seconds of CPU,
    /// so that half runs on a blocking thread: the runtime's workers keep serving
    /// messages while an admin's new cog compiles.
    pub async fn prepare(
        &self,
        bytes: &[u8],
        origin: &str,
        policy_for: impl Fn(&str) -> CogPolicy,
    ) -> Result<Arc<LoadedCog>, Refusal> {
        let inner = self.inner.clone();
        let (owned, name) = (bytes.to_vec(), origin.to_string());
        let handle = tokio::runtime::Handle::current();
        let checked = tokio::task::spawn_blocking(move || {
            handle.block_on(loader::check(
                &inner.engine,
                &inner.linker,
                &inner.services,
                &owned,
                &name,
            ))
        })
        .await
        .map_err(|e| Refusal {
            origin: origin.to_string(),
            reason: format!("checking it stopped: {e}"),
        })??;
        loader::admit(checked, &self.inner.services, origin, policy_for).map(Arc::new)
    }

    /// Make `cog` live, replacing a cog of the same name; returns the one replaced.
    pub fn install(&self, cog: Arc<LoadedCog>) -> Option<Arc<LoadedCog>> {
        let mut guard = self.inner.cogs.write().unwrap_or_else(|p| p.into_inner());
        let mut next: Vec<Arc<LoadedCog>> = guard.as_ref().clone();
        let previous = match next.iter().position(|c| c.name == cog.name) {
            Some(i) => Some(std::mem::replace(&mut next[i], cog)),
            None => {
                next.push(cog);
                None
            }
        };
        next.sort_by(|a, b| a.name.cmp(&b.name));
        *guard = Arc::new(next);
        previous
    }

    /// Remove the cog called `name`; returns it if it was loaded.
    pub fn unload(&self, name: &str) -> Option<Arc<LoadedCog>> {
        let mut guard = self.inner.cogs.write().unwrap_or_else(|p| p.into_inner());
        let mut next: Vec<Arc<LoadedCog>> = guard.as_ref().clone();
        let i = next.iter().position(|c| &*c.name == name)?;
        let removed = next.remove(i);
        *guard = Arc::new(next);
        Some(removed)
    }

    /// The store behind the cogs' `kv` import.
    pub fn store(&self) -> &Arc<dyn crate::store::Store> {
        &self.inner.services.store
    }

    /// The live cogs, sorted by name (a snapshot).
    pub fn cogs(&self) -> Arc<Vec<Arc<LoadedCog>>> {
        self.inner
            .cogs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn cog(&self, name: &str) -> Option<Arc<LoadedCog>> {
        self.cogs().iter().find(|c| &*c.name == name).cloned()
    }

    /// The cog offering slash command `name`, and the command's declaration.
    pub fn command(&self, name: &str) -> Option<(Arc<LoadedCog>, CommandInfo)> {
        self.cogs().iter().find_map(|cog| {
            cog.commands
                .iter()
                .find(|c| c.name == name)
                .map(|c| (cog.clone(), c.clone()))
        })
    }

    pub fn engine(&self) -> &CogEngine {
        &self.inner.engine
    }
}
