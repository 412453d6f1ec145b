//! `cache`: short-lived key-value data in the host's memory, shared by the cog's
//! instances and scoped to the current guild (see `store/cache.rs`). Gated by the `kv`
//! capability and counted toward the same quotas; keys over 512 bytes or values over
//! 1 MiB get `too-large`, and a cog past its memory budget gets `quota-exceeded`.
//!
//! Synchronous: the memory answers at once, so a call costs no suspension of the
//! cog's fiber and its (tiny) time is charged to the cog like any of its own work.

use super::kv::MAX_VALUE;
use super::CogState;
use crate::runtime::bindings::astra::bot::cache::Host;
use crate::runtime::bindings::astra::bot::kv::KvError;
use std::time::{Duration, Instant};

impl Host for CogState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, KvError>> {
        if let Err(e) = self.admit(&key) {
            return Ok(Err(e));
        }
        let cache = &self.services.cache;
        Ok(Ok(cache.get(&self.cog, &self.guild, &key, Instant::now())))
    }

    fn set(
        &mut self,
        key: String,
        value: String,
        ttl_ms: u32,
    ) -> wasmtime::Result<Result<(), KvError>> {
        if let Err(e) = self.admit(&key) {
            return Ok(Err(e));
        }
        if value.len() > MAX_VALUE {
            return Ok(Err(KvError::TooLarge));
        }
        let ttl = Duration::from_millis(u64::from(ttl_ms));
        let cache = &self.services.cache;
        Ok(cache
            .set(&self.cog, &self.guild, &key, &value, ttl, Instant::now())
            .map_err(|_| KvError::QuotaExceeded))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, KvError>> {
        if let Err(e) = self.admit(&key) {
            return Ok(Err(e));
        }
        let cache = &self.services.cache;
        Ok(Ok(cache.delete(
            &self.cog,
            &self.guild,
            &key,
            Instant::now(),
        )))
    }
}
