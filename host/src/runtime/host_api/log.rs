//! `log`: a cog's log lines go to the host log, tagged with the cog's name.

use super::CogState;
use crate::runtime::bindings::astra::bot::log::{Host, Level};
use crate::runtime::bindings::types::Capability;

impl Host for CogState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        if !self.grants.has(Capability::Log) {
            return Ok(());
        }
        let message: String = message.chars().take(2000).collect();
        let cog = &*self.cog;
        match level {
            Level::Trace => tracing::trace!(cog, guild = %self.guild, "{message}"),
            Level::Debug => tracing::debug!(cog, guild = %self.guild, "{message}"),
            Level::Info => tracing::info!(cog, guild = %self.guild, "{message}"),
            Level::Warn => tracing::warn!(cog, guild = %self.guild, "{message}"),
            Level::Error => tracing::error!(cog, guild = %self.guild, "{message}"),
        }
        Ok(())
    }
}
