//! The store handle: persistent state behind the `kv` import (and the ledger's totals).
//!
//! The embedded default is one SQLite file in WAL mode beside the config; no server to
//! start. A write returns only after SQLite has committed it, so data a cog was told is
//! written survives a crash or restart of the host.

mod sqlite;

pub use sqlite::SqliteStore;

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

/// The operations the host needs from a store.
pub trait Store: Send + Sync + 'static {
    fn get(&self, scope: Scope<'_>, key: &str) -> Result<Option<String>, StoreError>;
    fn set(&self, scope: Scope<'_>, key: &str, value: &str) -> Result<(), StoreError>;
    fn delete(&self, scope: Scope<'_>, key: &str) -> Result<bool, StoreError>;
    fn increment(&self, scope: Scope<'_>, key: &str, delta: i64) -> Result<i64, StoreError>;
    fn list_prefix(
        &self,
        scope: Scope<'_>,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// How many keys the scope holds (for quotas).
    fn count_keys(&self, scope: Scope<'_>) -> Result<u64, StoreError>;
}
