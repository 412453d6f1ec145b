//! What a cog's store holds, and the host side of every WIT import (one file per
//! interface). Each import checks the cog's grants on every call: a cog without the
//! capability gets `denied` (never a trap — it is the cog's mistake, not the host's).

mod cache;
mod clock;
mod config;
mod embed;
mod kv;
mod llm;
mod log;

use super::bindings::types::Capability;
use super::limits::{CpuBudget, MemoryCap};
use super::stdio::LastStderr;
use crate::store::{Cache, Store};
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub use super::bindings::astra::bot::embed::EmbedError;
pub use super::bindings::astra::bot::llm::{ChatRequest, LlmError};

/// A set of capabilities (one bit each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants(u32);

impl Grants {
    pub fn all() -> Self {
        Grants(u32::MAX)
    }
    pub fn none() -> Self {
        Grants(0)
    }
    pub fn with(mut self, cap: Capability) -> Self {
        self.0 |= 1 << (cap as u32);
        self
    }
    pub fn has(&self, cap: Capability) -> bool {
        self.0 & (1 << (cap as u32)) != 0
    }
    pub fn from_caps(caps: impl IntoIterator<Item = Capability>) -> Self {
        caps.into_iter().fold(Grants::none(), Grants::with)
    }
}

/// The capability names used in `astra.toml` and in messages to admins.
pub fn capability_name(cap: Capability) -> &'static str {
    match cap {
        Capability::Log => "log",
        Capability::Kv => "kv",
        Capability::Config => "config",
        Capability::Llm => "llm",
        Capability::Embed => "embed",
        Capability::Clock => "clock",
        Capability::Reply => "reply",
        Capability::Send => "send",
        Capability::React => "react",
        Capability::DeleteMessages => "delete-messages",
        Capability::Warn => "warn",
        Capability::Timeout => "timeout",
        Capability::Kick => "kick",
        Capability::Ban => "ban",
        Capability::Modlog => "modlog",
    }
}

pub const ALL_CAPABILITIES: [Capability; 15] = [
    Capability::Log,
    Capability::Kv,
    Capability::Config,
    Capability::Llm,
    Capability::Embed,
    Capability::Clock,
    Capability::Reply,
    Capability::Send,
    Capability::React,
    Capability::DeleteMessages,
    Capability::Warn,
    Capability::Timeout,
    Capability::Kick,
    Capability::Ban,
    Capability::Modlog,
];

pub fn capability_from_name(name: &str) -> Option<Capability> {
    ALL_CAPABILITIES
        .into_iter()
        .find(|c| capability_name(*c) == name)
}

/// The language model behind the `llm` import.
pub trait LlmService: Send + Sync + 'static {
    fn complete(&self, request: ChatRequest) -> BoxFuture<'static, Result<String, LlmError>>;
}

/// The embedding model behind the `embed` import.
pub trait EmbedService: Send + Sync + 'static {
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'static, Result<Vec<Vec<f32>>, EmbedError>>;
}

/// A cog's settings for one guild: key → JSON text.
pub type Settings = Arc<BTreeMap<String, String>>;

/// Looks up a cog's settings for a guild (config merged with per-guild overrides).
pub trait SettingsSource: Send + Sync + 'static {
    fn settings(&self, cog: &str, guild: &str) -> Settings;
}

/// Everything the imports need from the host; shared by all stores.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    /// short-lived data behind the `cache` import, shared by every cog's instances
    pub cache: Arc<Cache>,
    pub settings: Arc<dyn SettingsSource>,
    pub llm: Option<Arc<dyn LlmService>>,
    pub embed: Option<Arc<dyn EmbedService>>,
    pub llm_timeout: Duration,
    /// most kv operations one call may make
    pub kv_ops_per_call: u32,
    /// per-minute quotas per cog and guild, and the circuit breaker's policy
    pub quotas: Arc<super::quota::Quotas>,
}

/// The data of one cog instance's store.
pub struct CogState {
    pub cog: Arc<str>,
    pub grants: Grants,
    pub services: Services,
    /// guild of the message or command being handled (scopes kv and config)
    pub guild: String,
    pub kv_ops: u32,
    /// the call in progress used the store (any `kv` operation: a read may see writes
    /// of other calls not committed yet)
    pub used_store: bool,
    pub cpu: CpuBudget,
    pub memory: MemoryCap,
    pub last_stderr: LastStderr,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl CogState {
    pub fn new(
        cog: Arc<str>,
        grants: Grants,
        services: Services,
        memory_bytes: usize,
        wasi: WasiCtx,
        last_stderr: LastStderr,
    ) -> Self {
        CogState {
            cog,
            grants,
            services,
            guild: String::new(),
            kv_ops: 0,
            used_store: false,
            cpu: CpuBudget::new(Duration::from_secs(1)),
            memory: MemoryCap::new(memory_bytes),
            last_stderr,
            wasi,
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for CogState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl super::bindings::astra::bot::types::Host for CogState {}
