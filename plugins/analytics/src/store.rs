//! The seam between the counting logic and the host's kv import: the cog runs on
//! [`HostKv`], the native unit tests on [`mem::MemKv`] (the real imports panic outside
//! wasm), which also counts calls so tests can hold the per-message budget.

use astra_sdk::kv::KvError;
use astra_sdk::HandlerError;

/// The kv calls this cog uses.
pub trait Kv {
    fn get(&mut self, key: &str) -> Result<Option<String>, KvError>;
    fn delete(&mut self, key: &str) -> Result<bool, KvError>;
    fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError>;
    fn list_prefix(&mut self, prefix: &str, limit: u32) -> Result<Vec<(String, String)>, KvError>;
}

/// The host's kv import.
pub struct HostKv;

impl Kv for HostKv {
    fn get(&mut self, key: &str) -> Result<Option<String>, KvError> {
        astra_sdk::kv::get(key)
    }
    fn delete(&mut self, key: &str) -> Result<bool, KvError> {
        astra_sdk::kv::delete(key)
    }
    fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError> {
        astra_sdk::kv::increment(key, delta)
    }
    fn list_prefix(&mut self, prefix: &str, limit: u32) -> Result<Vec<(String, String)>, KvError> {
        astra_sdk::kv::list_prefix(prefix, limit)
    }
}

/// A failure while counting. Never retried: a retry would count the message twice,
/// and a lost count is the smaller harm.
pub fn count_failed(e: KvError) -> HandlerError {
    HandlerError::Permanent(format!("analytics kv: {e:?}"))
}

/// A failure while reading for `/stats`: a store hiccup is worth a retry.
pub fn read_failed(e: KvError) -> HandlerError {
    match e {
        KvError::Store(text) => HandlerError::Transient(format!("analytics kv: {text}")),
        other => HandlerError::Permanent(format!("analytics kv: {other:?}")),
    }
}

/// The integer in a counter's value (0 when absent or garbled).
pub fn number(value: Option<&str>) -> u64 {
    value.and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

#[cfg(test)]
pub mod mem {
    //! An in-memory [`Kv`] in key order, like the host's, counting its calls.
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct MemKv {
        pub data: BTreeMap<String, String>,
        pub calls: usize,
    }

    impl MemKv {
        pub fn value(&self, key: &str) -> u64 {
            number(self.data.get(key).map(String::as_str))
        }
    }

    impl Kv for MemKv {
        fn get(&mut self, key: &str) -> Result<Option<String>, KvError> {
            self.calls += 1;
            Ok(self.data.get(key).cloned())
        }
        fn delete(&mut self, key: &str) -> Result<bool, KvError> {
            self.calls += 1;
            Ok(self.data.remove(key).is_some())
        }
        fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError> {
            self.calls += 1;
            let now = match self.data.get(key) {
                Some(v) => v.parse::<i64>().map_err(|_| KvError::NotAnInteger)?,
                None => 0,
            } + delta;
            self.data.insert(key.to_string(), now.to_string());
            Ok(now)
        }
        fn list_prefix(
            &mut self,
            prefix: &str,
            limit: u32,
        ) -> Result<Vec<(String, String)>, KvError> {
            self.calls += 1;
            Ok(self
                .data
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit as usize)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        }
    }
}
