//! `kv`: persistent key-value data private to the cog and scoped to the current guild.
//!
//! Limits (what a cog sees when it hits them): keys over 512 bytes or values over
//! 1 MiB get `too-large`; more than `kv_ops_per_call` operations in one call get
//! `quota-exceeded` for the rest of that call, and so does every operation past the
//! cog's `kv_ops_per_minute` in this guild (see `runtime/quota.rs`).
//!
//! The import is async (`runtime/bindings.rs`): with a network store (PostgreSQL) the
//! cog's fiber waits and the runtime thread does not, and the wait is not charged to
//! the cog's CPU deadline. SQLite answers when called, on the calling thread, so its
//! time is charged as it always was (see `store/mod.rs`).

use super::CogState;
use crate::runtime::bindings::astra::bot::kv::{Host, KvError};
use crate::runtime::bindings::types::Capability;
use crate::store::{Scope, StoreError, StoreFuture};
use std::time::{Duration, Instant};

const MAX_KEY: usize = 512;
pub(super) const MAX_VALUE: usize = 1 << 20;

impl CogState {
    /// [`CogState::admit`] for a `kv` operation, which uses the store.
    fn kv_admit(&mut self, key: &str) -> Result<(), KvError> {
        self.admit(key)?;
        self.used_store = true;
        Ok(())
    }

    /// Common checks before every kv and cache operation.
    pub(super) fn admit(&mut self, key: &str) -> Result<(), KvError> {
        if !self.grants.has(Capability::Kv) {
            return Err(KvError::Denied);
        }
        if key.len() > MAX_KEY {
            return Err(KvError::TooLarge);
        }
        self.kv_ops += 1;
        if self.kv_ops > self.services.kv_ops_per_call {
            return Err(KvError::QuotaExceeded);
        }
        if !self.services.quotas.kv(&self.cog, &self.guild) {
            let refused = self
                .services
                .quotas
                .kv_refused
                .load(std::sync::atomic::Ordering::Relaxed);
            if refused.is_power_of_two() {
                tracing::warn!(
                    cog = %self.cog,
                    guild = %self.guild,
                    "kv quota exceeded ({} operations per minute; {refused} refused so far)",
                    self.services.quotas.limits.kv_ops_per_minute
                );
            }
            return Err(KvError::QuotaExceeded);
        }
        Ok(())
    }
}

fn store_error(e: StoreError) -> KvError {
    match e {
        StoreError::NotAnInteger => KvError::NotAnInteger,
        StoreError::Backend(why) => KvError::Store(why),
    }
}

/// Await a store operation created by the caller; the time spent waiting (not the time
/// the store took to create the future) is added to `waited`, the CPU budget's
/// uncharged time. Callers borrow the state's fields one by one so that the store,
/// the scope and `cpu.waited` can be borrowed at once.
async fn wait_for_store<T>(
    waited: &mut Duration,
    pending: StoreFuture<'_, T>,
) -> Result<T, KvError> {
    let started = Instant::now();
    let result = pending.await;
    *waited += started.elapsed();
    result.map_err(store_error)
}

/// The scope of the call in progress, from the state's fields (see [`wait_for_store`]).
macro_rules! scope {
    ($state:ident) => {
        Scope {
            cog: &$state.cog,
            guild: &$state.guild,
        }
    };
}

impl Host for CogState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        let pending = self.services.store.get(scope!(self), &key);
        Ok(wait_for_store(&mut self.cpu.waited, pending).await)
    }

    async fn set(&mut self, key: String, value: String) -> wasmtime::Result<Result<(), KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        if value.len() > MAX_VALUE {
            return Ok(Err(KvError::TooLarge));
        }
        let pending = self.services.store.set(scope!(self), &key, &value);
        Ok(wait_for_store(&mut self.cpu.waited, pending).await)
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        let pending = self.services.store.delete(scope!(self), &key);
        Ok(wait_for_store(&mut self.cpu.waited, pending).await)
    }

    async fn increment(
        &mut self,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        let pending = self.services.store.increment(scope!(self), &key, delta);
        Ok(wait_for_store(&mut self.cpu.waited, pending).await)
    }

    async fn list_prefix(
        &mut self,
        prefix: String,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, KvError>> {
        if let Err(e) = self.kv_admit(&prefix) {
            return Ok(Err(e));
        }
        let limit = limit.min(10_000);
        let pending = self
            .services
            .store
            .list_prefix(scope!(self), &prefix, limit);
        Ok(wait_for_store(&mut self.cpu.waited, pending).await)
    }
}
