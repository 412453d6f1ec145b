//! The shared wasmtime engine: compiler settings, the pooling allocator, the epoch
//! ticker that drives CPU deadlines, and the on-disk cache of compiled components.
//!
//! Compiling a component takes tens of milliseconds for a Rust cog and ~20 s for a
//! Python or JavaScript one; loading it from the cache takes 1–3 ms. The cache key is
//! the SHA-256 of the component's bytes plus the engine's compatibility hash, so a new
//! wasmtime or different settings never load a stale artifact.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasmtime::component::Component;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy,
};

use super::limits::TICK;

/// Sizes of the pooling allocator.
#[derive(Debug, Clone)]
pub struct EngineLimits {
    /// most component instances alive at once, over all cogs
    pub max_instances: u32,
    /// memory cap of one instance
    pub memory_bytes: usize,
}

/// The engine plus the thread that advances its epoch.
#[derive(Clone)]
pub struct CogEngine {
    pub engine: Engine,
    cache_dir: Option<PathBuf>,
    ticker_stop: Arc<AtomicBool>,
}

impl CogEngine {
    pub fn new(limits: &EngineLimits, cache_dir: Option<PathBuf>) -> Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        let instances = limits.max_instances;
        pool.total_component_instances(instances)
            // a Rust cog is one core module plus a few small shims
            .total_core_instances(instances * 8)
            .total_memories(instances * 2)
            .total_tables(instances * 8)
            .total_stacks(instances)
            .max_memory_size(limits.memory_bytes)
            .max_memories_per_component(4)
            .max_tables_per_component(16)
            .max_core_instances_per_component(32);

        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .max_wasm_stack(512 * 1024)
            .async_stack_size(2 * 1024 * 1024);
        // `ASTRA_PERF_MAP=1`: name the cogs' compiled functions for `perf` (it writes
        // /tmp/perf-<pid>.map), so a profile shows which of a cog's functions cost.
        if std::env::var_os("ASTRA_PERF_MAP").is_some_and(|v| v != "0") {
            config.profiler(ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("could not start the WebAssembly engine")?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.clone();
        let stop = ticker_stop.clone();
        std::thread::Builder::new()
            .name("astra-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .context("could not start the epoch ticker thread")?;

        if let Some(dir) = &cache_dir {
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::warn!(
                    "component cache {} unusable ({e}); compiling every start",
                    dir.display()
                );
            }
        }
        Ok(CogEngine {
            engine,
            cache_dir,
            ticker_stop,
        })
    }

    /// Compile `bytes` (or load the compiled form from the cache). `origin` names the
    /// file in errors.
    pub fn component(&self, bytes: &[u8], origin: &str) -> Result<Component> {
        if let Some(component) = self.cached(bytes, "") {
            return Ok(component);
        }
        if !bytes.starts_with(b"\0asm") {
            anyhow::bail!("{origin} is not a WebAssembly file (it does not start with \\0asm)");
        }
        self.compile_and_cache(bytes, bytes, "", origin)
    }

    /// The cache entry for `key` (the bytes a component was made from) and `tag` (""
    /// for the component itself, "init" for its pre-initialised snapshot), if any.
    pub fn cached(&self, key: &[u8], tag: &str) -> Option<Component> {
        let path = self.cache_path(key, tag)?;
        if !path.exists() {
            return None;
        }
        // SAFETY: the file was written by `compile_and_cache` of an engine with the
        // same compatibility hash (part of the file name) and is only ever replaced
        // atomically by a rename.
        match unsafe { Component::deserialize_file(&self.engine, &path) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!("ignoring bad cache entry {}: {e}", path.display());
                None
            }
        }
    }

    /// Compile `wasm` and keep the result in the cache under `key` and `tag`.
    pub fn compile_and_cache(
        &self,
        wasm: &[u8],
        key: &[u8],
        tag: &str,
        origin: &str,
    ) -> Result<Component> {
        let compiled = self
            .engine
            .precompile_component(wasm)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{origin} is not a valid WebAssembly component"))?;
        if let Some(path) = self.cache_path(key, tag) {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, &compiled).is_ok() {
                let _ = std::fs::rename(&tmp, path);
            }
        }
        // SAFETY: `compiled` was just produced by this engine.
        unsafe { Component::deserialize(&self.engine, &compiled) }
            .map_err(anyhow::Error::from)
            .with_context(|| format!("could not load compiled {origin}"))
    }

    fn cache_path(&self, key: &[u8], tag: &str) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let digest = Sha256::digest(key);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let tag = if tag.is_empty() {
            String::new()
        } else {
            format!("-{tag}")
        };
        Some(dir.join(format!("{hex}-{:016x}{tag}.cwasm", engine_hash.finish())))
    }

    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache_dir.as_deref()
    }
}

impl Drop for CogEngine {
    fn drop(&mut self) {
        // Only the last handle stops the ticker.
        if Arc::strong_count(&self.ticker_stop) == 1 {
            self.ticker_stop.store(true, Ordering::Relaxed);
        }
    }
}
