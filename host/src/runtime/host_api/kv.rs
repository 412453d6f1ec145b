//! `kv`: persistent key-value data private to the cog and scoped to the current guild.
//!
//! Limits (what a cog sees when it hits them): keys over 512 bytes or values over
//! 1 MiB get `too-large`; more than `kv_ops_per_call` operations in one call get
//! `quota-exceeded` for the rest of that call, and so does every operation past the
//! cog's `kv_ops_per_minute` in this guild (see `runtime/quota.rs`).

use super::CogState;
use crate::runtime::bindings::astra::bot::kv::{Host, KvError};
use crate::runtime::bindings::types::Capability;
use crate::store::{Scope, StoreError};

const MAX_KEY: usize = 512;
const MAX_VALUE: usize = 1 << 20;

impl CogState {
    /// Common checks before every kv operation.
    fn kv_admit(&mut self, key: &str) -> Result<(), KvError> {
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
            let refused = self.services.quotas.kv_refused.load(std::sync::atomic::Ordering::Relaxed);
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

    fn scope(&self) -> Scope<'_> {
        Scope {
            cog: &self.cog,
            guild: &self.guild,
        }
    }
}

fn store_error(e: StoreError) -> KvError {
    match e {
        StoreError::NotAnInteger => KvError::NotAnInteger,
        StoreError::Backend(why) => KvError::Store(why),
    }
}

impl Host for CogState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        Ok(self
            .services
            .store
            .get(self.scope(), &key)
            .map_err(store_error))
    }

    fn set(&mut self, key: String, value: String) -> wasmtime::Result<Result<(), KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        if value.len() > MAX_VALUE {
            return Ok(Err(KvError::TooLarge));
        }
        Ok(self
            .services
            .store
            .set(self.scope(), &key, &value)
            .map_err(store_error))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        Ok(self
            .services
            .store
            .delete(self.scope(), &key)
            .map_err(store_error))
    }

    fn increment(&mut self, key: String, delta: i64) -> wasmtime::Result<Result<i64, KvError>> {
        if let Err(e) = self.kv_admit(&key) {
            return Ok(Err(e));
        }
        Ok(self
            .services
            .store
            .increment(self.scope(), &key, delta)
            .map_err(store_error))
    }

    fn list_prefix(
        &mut self,
        prefix: String,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, KvError>> {
        if let Err(e) = self.kv_admit(&prefix) {
            return Ok(Err(e));
        }
        Ok(self
            .services
            .store
            .list_prefix(self.scope(), &prefix, limit.min(10_000))
            .map_err(store_error))
    }
}
