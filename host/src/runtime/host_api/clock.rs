//! `clock`: wall-clock time from the host (0 when not granted).

use super::CogState;
use crate::runtime::bindings::astra::bot::clock::Host;
use crate::runtime::bindings::types::Capability;

impl Host for CogState {
    fn now_ms(&mut self) -> wasmtime::Result<u64> {
        if !self.grants.has(Capability::Clock) {
            return Ok(0);
        }
        Ok(crate::event::now_ms())
    }
}
