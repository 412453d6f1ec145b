//! The store handle: persistent state behind the `kv` import.
//!
//! Two implementations of one [`Store`] trait, chosen by the config's `store` key:
//!
//! - `sqlite.rs` (the default, a path): one SQLite file in WAL mode beside the config;
//!   no server to start; one process.
//! - `postgres.rs` (a `postgres://` URL): a PostgreSQL database shared by every host
//!   process of the bot, so a guild's infractions, escalation counters, analytics and
//!   cog data are the same whichever process (shard range) handles its next message.
//!
//! Both give the same answers (the suite in `tests/store.rs` runs on each). A write
//! returns only after the database has committed it, so data a cog was told is written
//! survives a crash or restart of the host.
//!
//! The trait is asynchronous because a network store must not block a runtime thread
//! while it waits: the `kv` import is an async host function (`runtime/bindings.rs`), so
//! the cog's fiber is suspended and the thread runs other work. An implementation that
//! answers from local state (SQLite) does its work when called and returns a ready
//! future; one that waits on the network does the waiting inside the future. The `kv`
//! import charges the first to the cog's CPU budget and not the second (see
//! `runtime/host_api/kv.rs`).

mod cache;
mod pending;
mod postgres;
mod sqlite;

pub use cache::{Cache, CacheFull, MAX_TTL};

pub use postgres::PostgresStore;
pub use sqlite::{SqliteStore, MAX_BATCH_AGE};

use anyhow::Result;
use futures::future::BoxFuture;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the stored value is not an integer")]
    NotAnInteger,
    #[error("store error: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// Where a key lives: the cog that owns it and the guild it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub cog: &'a str,
    pub guild: &'a str,
}

/// What a store operation returns: a future borrowing the store, scope and key.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// The operations the host needs from a store. Keys and values are arbitrary strings;
/// keys compare as their UTF-8 bytes (`list_prefix` returns them in that order).
pub trait Store: Send + Sync + 'static {
    fn get<'a>(&'a self, scope: Scope<'a>, key: &'a str) -> StoreFuture<'a, Option<String>>;
    fn set<'a>(&'a self, scope: Scope<'a>, key: &'a str, value: &'a str) -> StoreFuture<'a, ()>;
    /// true when the key existed
    fn delete<'a>(&'a self, scope: Scope<'a>, key: &'a str) -> StoreFuture<'a, bool>;
    /// Add `delta` to the integer at `key` (0 when absent), saturating at the bounds of
    /// i64, atomically even when several processes share the store.
    fn increment<'a>(&'a self, scope: Scope<'a>, key: &'a str, delta: i64) -> StoreFuture<'a, i64>;
    fn list_prefix<'a>(
        &'a self,
        scope: Scope<'a>,
        prefix: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(String, String)>>;
    /// How many keys the scope holds (for quotas).
    fn count_keys<'a>(&'a self, scope: Scope<'a>) -> StoreFuture<'a, u64>;
    /// `sqlite` or `postgres` (logs, `astra bench`).
    fn backend(&self) -> &'static str;

    /// A cog call that may write begins. Until the matching [`Store::call_ended`], the
    /// store may gather writes into one transaction (SQLite: one commit per batch of
    /// concurrent calls, instead of one per write). Reads always see every write.
    fn call_started(&self) {}

    /// A cog call ended. Its writes are durable once [`Store::committed`] resolves (at
    /// once when no other call is running); an `Err` is a failed commit.
    fn call_ended(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Make every write so far durable now (before a CRITICAL outcome or a command's
    /// reply is reported).
    fn commit_now(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Resolves once every write made so far is durable, within [`MAX_BATCH_AGE`]
    /// (SQLite's group commit); an `Err` means they were lost.
    fn committed(&self) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Open the store the config names: PostgreSQL at `url` when there is one (with at
/// most `connections` connections), else the SQLite file at `path`.
pub async fn open(
    path: &Path,
    url: Option<&crate::config::Secret>,
    connections: usize,
) -> Result<Arc<dyn Store>> {
    Ok(match url {
        Some(url) => Arc::new(PostgresStore::connect(url.expose(), connections).await?),
        None => Arc::new(SqliteStore::open(path)?),
    })
}
