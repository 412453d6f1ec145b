//! The one `bindgen!` of the host: Rust types and traits generated from `wit/`.
//!
//! Imports that wait on I/O (`llm`, `embed`, and `kv`, whose store may be PostgreSQL
//! across the network) are async so a slow model or database never blocks a runtime
//! thread; every import is `trappable` so a host bug or a bad handle traps the calling
//! cog (outer `Result`) while ordinary failures reach the cog as WIT errors (inner
//! `Result`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "astra:bot/cog",
    imports: {
        "astra:bot/llm.complete": async | trappable,
        "astra:bot/embed.embed": async | trappable,
        "astra:bot/kv": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

pub use astra::bot::types;

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "0.1.0";
