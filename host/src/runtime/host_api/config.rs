//! `config`: the cog's settings for the guild being handled.

use super::CogState;
use crate::runtime::bindings::astra::bot::config::Host;
use crate::runtime::bindings::types::Capability;

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
        Ok(settings.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}
