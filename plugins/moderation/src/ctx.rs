//! What every handler of this cog works with: the kv store, this guild's settings and
//! the time of the call. Built once per host call in `lib.rs` (from the imports) and by
//! the unit tests (from memory), so the logic below it never touches an import.

use crate::settings::Settings;
use crate::store::{HostKv, Kv};

pub struct Ctx<K: Kv> {
    pub kv: K,
    pub settings: Settings,
    /// milliseconds since the epoch, from the host's clock; all windows use it
    pub now_ms: u64,
}

impl Ctx<HostKv> {
    /// The context of the current host call.
    pub fn from_host() -> Self {
        Ctx {
            kv: HostKv,
            settings: Settings::load(),
            now_ms: astra_sdk::clock::now_ms(),
        }
    }
}

/// A context over an empty in-memory store with default settings, at `now_ms`.
#[cfg(test)]
pub fn test_ctx(now_ms: u64) -> Ctx<crate::store::mem::MemKv> {
    Ctx {
        kv: Default::default(),
        settings: Settings::default(),
        now_ms,
    }
}
