//! `config`: the cog's settings for the guild being handled.

use super::CogState;
use crate::runtime::bindings::astra::bot::config::Host;
use crate::runtime::bindings::types::Capability;

/// Settings the host supplies to every cog (see `app::HostPolicy`).
pub const HOST_KEYS: [&str; 2] = ["bot-name", "commands"];

impl Host for CogState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        if !self.grants.has(Capability::Config) {
            return Ok(None);
        }
        let settings = self.services.settings.settings(&self.cog, &self.guild);
        Ok(settings.get(&key).cloned())
    }

    fn all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        if !self.grants.has(Capability::Config) {
            return Ok(Vec::new());
        }
        let settings = self.services.settings.settings(&self.cog, &self.guild);
        // Host-provided keys are readable with `get` but are not the admin's settings.
        Ok(settings
            .iter()
            .filter(|(k, _)| !HOST_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}
