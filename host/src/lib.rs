//! Astra: a Discord bot host whose features are sandboxed WebAssembly cogs.
//!
//! Layout, in data-flow order:
//! `gateway` (Discord via serenity; console / replay / web) → `event` (gateway-neutral types) →
//! `dispatch` (ingest, triage, priority queues, scheduler, rate limits, ledger) →
//! `runtime` (wasmtime sandbox, host side of the WIT imports) → actions back through
//! one channel to the gateway. `store`, `metrics` and `config` are handles wired in
//! by `app`.

pub mod app;
pub mod bench;
pub mod cli;
pub mod cog_tool;
pub mod cogs;
pub mod commands;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod event;
pub mod gateway;
pub mod metrics;
pub mod models;
pub mod reload;
pub mod runtime;
pub mod store;

/// The allocator the `astra` binary runs with (`main.rs`), named once so the benches
/// that compare with "natively in the host" (`benches/sandbox_price.rs`) declare the
/// same one. mimalloc: see README, Performance, twelfth round.
pub use mimalloc::MiMalloc as HostAllocator;
