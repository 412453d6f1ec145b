//! Pre-initialisation: run a cog's optional `init` export once at load and snapshot
//! its memory into the component (Wizer), so every instance starts initialised.
//!
//! Why: a new instance starts from the component's data segments. A cog that builds
//! tables on first use (the security cog's word trie: ~25 ms in wasm) would pay that in
//! every new instance, and under load the host makes hundreds (one per concurrent call).
//! After the snapshot, the tables are part of the image that wasmtime maps copy-on-write
//! into each instance: a new instance costs tens of microseconds again.
//!
//! A cog opts in by targeting the `cog-init` world (the Rust SDK does, through
//! `Cog::init`). `init` runs with no capabilities, no guild and a CPU budget of
//! [`INIT_BUDGET`]; it must not keep host resources (WASI streams) in memory, since
//! they do not survive the snapshot. The snapshot is compiled once and kept in the
//! component cache under the original bytes' hash, so later starts skip all of this.

use super::cog::LoadedCog;
use super::engine::CogEngine;
use super::host_api::{CogState, Grants, Services};
use anyhow::{anyhow, Context, Result};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{types::ComponentItem, Component, Instance, Linker, WasmList};
use wasmtime::Store;
use wasmtime_wizer::{ComponentInstanceState, Wizer};

/// The export a cog may offer to be pre-initialised (world `cog-init` in `wit/`).
pub const INIT_EXPORT: &str = "init";

/// CPU budget of `init` (it runs once, at load, off the dispatch path).
pub const INIT_BUDGET: Duration = Duration::from_secs(5);

/// Tag of snapshot entries in the component cache.
const CACHE_TAG: &str = "init";

/// Does the component export `init: func()`?
pub fn wants_init(component: &Component, engine: &wasmtime::Engine) -> bool {
    let ty = component.component_type();
    let Some(export) = ty.get_export(engine, INIT_EXPORT) else {
        return false;
    };
    matches!(&export.ty, ComponentItem::ComponentFunc(f)
        if f.params().len() == 0 && f.results().len() == 0)
}

/// The pre-initialised form of `bytes` (from the cache, or made now): `bytes` run
/// through `init` and snapshotted. An error means `init` failed (the cog is broken) or
/// the component's shape is one the snapshotter does not support.
pub async fn snapshot(
    engine: &CogEngine,
    linker: &Linker<CogState>,
    services: &Services,
    bytes: &[u8],
    origin: &str,
) -> Result<Component> {
    if let Some(component) = engine.cached(bytes, CACHE_TAG) {
        return Ok(component);
    }
    let mut wizer = Wizer::new();
    // Keep `init` exported: the component's canonical lift of it refers to the core
    // export, which the rewrite would otherwise drop (a dangling alias).
    wizer.init_func(INIT_EXPORT).keep_init_func(true);
    let (cx, instrumented) = wizer
        .instrument_component(bytes)
        .map_err(|e| anyhow!("{e:#}"))
        .context("preparing the component for pre-initialisation")?;
    let component = Component::new(&engine.engine, &instrumented)
        .map_err(|e| anyhow!("{e:#}"))
        .context("compiling the instrumented component")?;

    let mut store = LoadedCog::new_store(
        &engine.engine,
        Arc::from(format!("(init of {origin})").as_str()),
        Grants::none(),
        services.clone(),
        256 << 20,
    );
    LoadedCog::start_budget(&mut store, INIT_BUDGET);
    let instance = linker
        .instantiate_async(&mut store, &component)
        .await
        .map_err(|e| anyhow!("{e:#}"))
        .context("instantiating")?;
    let init = instance
        .get_typed_func::<(), ()>(&mut store, INIT_EXPORT)
        .map_err(|e| anyhow!("{e:#}"))
        .context("finding `init`")?;
    if let Err(trap) = init.call_async(&mut store, ()).await {
        // A panic's text went to the cog's stderr; say it, not just "unreachable".
        let said = store
            .data()
            .last_stderr
            .lock()
            .map(|s| super::stdio::summarize(&s))
            .unwrap_or_default();
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(" ({said})")
        };
        anyhow::bail!(
            "its init() failed: {}{said}",
            super::cog::trap_summary(&trap)
        );
    }

    // The snapshot reads memories and globals through accessor calls: give them a
    // fresh budget (init may have used most of its own).
    LoadedCog::start_budget(&mut store, INIT_BUDGET);
    let mut access = Access {
        store: &mut store,
        instance,
        error: None,
    };
    let snapshot = wizer
        .snapshot_component(&cx, &mut access)
        .await
        .map_err(|e| anyhow!("{e:#}"))
        .context("snapshotting the initialised memory")?;
    if let Some(e) = access.error {
        return Err(e.context("reading the initialised memory for the snapshot"));
    }
    engine.compile_and_cache(&snapshot, bytes, CACHE_TAG, origin)
}

/// The snapshotter's view of the instance: it calls the accessor functions the
/// instrumentation added to read memories and globals. Wizer's interface takes plain
/// values, so a failed call (it should not happen: the accessors were generated into
/// this very component) is kept in `error`, answered with zeros, and refuses the cog
/// after the snapshot instead of panicking the loading task.
struct Access<'a> {
    store: &'a mut Store<CogState>,
    instance: Instance,
    error: Option<anyhow::Error>,
}

impl Access<'_> {
    async fn call<R>(&mut self, instance: &str, func: &str) -> Option<R>
    where
        R: wasmtime::component::Lift + Send + Sync + 'static,
    {
        match self.try_call(instance, func).await {
            Ok(value) => Some(value),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }

    async fn try_call<R>(&mut self, instance: &str, func: &str) -> Result<R>
    where
        R: wasmtime::component::Lift + Send + Sync + 'static,
    {
        let missing = || anyhow!("no snapshot accessor {instance}#{func}");
        let (_, exported) = self
            .instance
            .get_export(&mut *self.store, None, instance)
            .ok_or_else(missing)?;
        let (_, index) = self
            .instance
            .get_export(&mut *self.store, Some(&exported), func)
            .ok_or_else(missing)?;
        let f = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *self.store, index)
            .map_err(|e| anyhow!("{e:#}"))
            .with_context(|| format!("snapshot accessor {instance}#{func}"))?;
        let (value,) = f
            .call_async(&mut *self.store, ())
            .await
            .map_err(|e| anyhow!("{e:#}"))
            .with_context(|| format!("calling snapshot accessor {instance}#{func}"))?;
        Ok(value)
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        match self.call::<WasmList<u8>>(instance, func).await {
            Some(list) => contents(list.as_le_slice(&*self.store)),
            None => contents(&[]),
        }
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func).await.unwrap_or(0)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func).await.unwrap_or(0)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func)
            .await
            .map_or(0, f32::to_bits)
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func)
            .await
            .map_or(0, f64::to_bits)
    }
}
