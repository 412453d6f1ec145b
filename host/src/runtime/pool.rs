//! A pool of ready instances of one cog, reused across calls.
//!
//! Making a fresh instance costs tens of microseconds; calling a ready one costs about
//! one. An instance is returned to the pool only after a call that finished normally:
//! one that trapped, ran out of time or memory is dropped (wasmtime cannot enter it
//! again, and its memory may be half-written).

use super::bindings::Cog as CogBindings;
use super::host_api::CogState;
use std::sync::Mutex;
use wasmtime::Store;

/// One instance and its store.
pub struct Ready {
    pub store: Store<CogState>,
    pub bindings: CogBindings,
    /// no call has run in it yet (its first call pays for lazy initialisation)
    pub fresh: bool,
}

pub struct InstancePool {
    // A plain mutex: held only to push or pop, never across an `.await`.
    idle: Mutex<Vec<Ready>>,
    max_idle: usize,
}

impl InstancePool {
    pub fn new(max_idle: usize) -> Self {
        InstancePool {
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    pub fn take(&self) -> Option<Ready> {
        self.idle.lock().ok()?.pop()
    }

    /// Return a healthy instance; beyond `max_idle` it is dropped.
    pub fn give_back(&self, ready: Ready) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push(ready);
            }
        }
    }

    pub fn idle(&self) -> usize {
        self.idle.lock().map(|v| v.len()).unwrap_or(0)
    }
}
