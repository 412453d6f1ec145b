//! Typed wrappers over the host imports. Each module needs its capability granted to the
//! cog; without it the host answers `denied` (or drops the log line).

/// Persistent key-value data, private to this cog and scoped to the current guild.
pub mod kv {
    use crate::bindings::astra::bot::kv as raw;
    use serde::{de::DeserializeOwned, Serialize};

    pub use raw::KvError;

    /// The value stored at `key`, if any.
    pub fn get(key: &str) -> Result<Option<String>, KvError> {
        raw::get(key)
    }

    /// Store `value` at `key`. Returns once the store has it (it survives a restart).
    pub fn set(key: &str, value: &str) -> Result<(), KvError> {
        raw::set(key, value)
    }

    /// Remove `key`; true when it existed.
    pub fn delete(key: &str) -> Result<bool, KvError> {
        raw::delete(key)
    }

    /// Add `delta` to the integer at `key` (0 when absent) and return the new value.
    pub fn increment(key: &str, delta: i64) -> Result<i64, KvError> {
        raw::increment(key, delta)
    }

    /// Up to `limit` (key, value) pairs whose key starts with `prefix`, in key order.
    pub fn list_prefix(prefix: &str, limit: u32) -> Result<Vec<(String, String)>, KvError> {
        raw::list_prefix(prefix, limit)
    }

    /// The JSON value at `key` decoded as `T`; `None` when absent or not a `T`.
    pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, KvError> {
        Ok(get(key)?.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Store `value` as JSON at `key`.
    pub fn set_json<T: Serialize>(key: &str, value: &T) -> Result<(), KvError> {
        let text = serde_json::to_string(value).map_err(|e| KvError::Store(e.to_string()))?;
        set(key, &text)
    }
}

/// Short-lived data in the host's memory, shared by every instance of this cog and
/// scoped to the current guild like [`kv`](crate::kv): each entry lives until its time
/// to live runs out (at most a day) and everything is lost when the host stops. For
/// what is only worth keeping for seconds or minutes (who posted how often lately)
/// without a store write per message. Needs the `kv` capability.
pub mod cache {
    use crate::bindings::astra::bot::cache as raw;
    use serde::{de::DeserializeOwned, Serialize};
    use std::time::Duration;

    pub use crate::bindings::astra::bot::kv::KvError;

    /// The live value at `key`, if any.
    pub fn get(key: &str) -> Result<Option<String>, KvError> {
        raw::get(key)
    }

    /// Keep `value` at `key` for `ttl` (at most a day; rounded down to milliseconds).
    pub fn set(key: &str, value: &str, ttl: Duration) -> Result<(), KvError> {
        let ms = u32::try_from(ttl.as_millis()).unwrap_or(u32::MAX);
        raw::set(key, value, ms)
    }

    /// Remove `key`; true when it held a live value.
    pub fn delete(key: &str) -> Result<bool, KvError> {
        raw::delete(key)
    }

    /// The JSON value at `key` decoded as `T`; `None` when absent, expired or not a `T`.
    pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, KvError> {
        Ok(get(key)?.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Keep `value` as JSON at `key` for `ttl`.
    pub fn set_json<T: Serialize>(key: &str, value: &T, ttl: Duration) -> Result<(), KvError> {
        let text = serde_json::to_string(value).map_err(|e| KvError::Store(e.to_string()))?;
        set(key, &text, ttl)
    }
}

/// This cog's settings for the current guild (`[cogs.NAME.settings]` in astra.toml).
pub mod config {
    use crate::bindings::astra::bot::config as raw;
    use serde::de::DeserializeOwned;

    /// The setting `key` decoded as `T`; `None` when absent or of another type.
    pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
        raw::get(key).and_then(|json| serde_json::from_str(&json).ok())
    }

    /// The setting `key`, or `default` when it is absent or of another type.
    pub fn get_or<T: DeserializeOwned>(key: &str, default: T) -> T {
        get(key).unwrap_or(default)
    }

    /// Every setting as (key, JSON text).
    pub fn all() -> Vec<(String, String)> {
        raw::all()
    }
}

/// The host's log, tagged with this cog's name.
pub mod log {
    use crate::bindings::astra::bot::log as raw;
    pub use raw::Level;

    pub fn log(level: Level, message: &str) {
        raw::log(level, message)
    }
    pub fn debug(message: &str) {
        raw::log(Level::Debug, message)
    }
    pub fn info(message: &str) {
        raw::log(Level::Info, message)
    }
    pub fn warn(message: &str) {
        raw::log(Level::Warn, message)
    }
    pub fn error(message: &str) {
        raw::log(Level::Error, message)
    }
}

/// Chat completion through the host's model backend.
pub mod llm {
    use crate::bindings::astra::bot::llm as raw;
    pub use raw::{ChatMessage, ChatRequest, LlmError, Role};

    /// Ask the model; `messages` in order (system first).
    pub fn complete(
        messages: Vec<ChatMessage>,
        max_tokens: u32,
        temperature: f32,
    ) -> Result<String, LlmError> {
        raw::complete(&ChatRequest {
            messages,
            max_tokens,
            temperature,
        })
    }

    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: Role::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// Sentence embeddings (unit vectors: the dot product is the cosine similarity).
pub mod embed {
    use crate::bindings::astra::bot::embed as raw;
    pub use raw::EmbedError;

    pub fn embed(texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        raw::embed(texts)
    }

    /// Cosine similarity of two unit vectors.
    pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }
}

/// Time from the host.
pub mod clock {
    /// Milliseconds since the Unix epoch.
    pub fn now_ms() -> u64 {
        crate::bindings::astra::bot::clock::now_ms()
    }
}
