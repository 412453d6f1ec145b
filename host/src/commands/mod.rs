//! Slash commands the host itself answers (not a cog): one file per command, routed
//! by name. The dispatcher asks these first, then the cogs. Each declares the
//! permission it requires; the dispatcher checks it before running it.

pub mod performance;
pub mod plugins;
pub mod test_concurrent;

use crate::dispatch::{CommandError, Dispatcher};
use crate::event::{Command, CommandResponse, Permission};
use futures::future::BoxFuture;
use std::sync::Arc;

/// One host command.
pub trait HostCommand: Send + Sync + 'static {
    /// Full name, e.g. `"plugins list"`.
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    fn permission(&self) -> Permission;
    /// Its options, as registered on Discord (none by default).
    fn options(&self) -> Vec<crate::runtime::bindings::types::OptionSpec> {
        Vec::new()
    }
    /// Run it. The permission is already checked.
    fn run<'a>(
        &'a self,
        dispatcher: &'a Dispatcher,
        command: Command,
    ) -> BoxFuture<'a, Result<CommandResponse, CommandError>>;
}

/// The set of host commands, looked up by name.
#[derive(Default, Clone)]
pub struct HostCommands {
    commands: Vec<Arc<dyn HostCommand>>,
}

impl HostCommands {
    pub fn add(&mut self, command: impl HostCommand) {
        self.commands.push(Arc::new(command));
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn HostCommand>> {
        self.commands.iter().find(|c| c.name() == name).cloned()
    }

    pub fn all(&self) -> &[Arc<dyn HostCommand>] {
        &self.commands
    }
}

/// A host reply with no actions.
pub fn reply(content: impl Into<String>, ephemeral: bool) -> CommandResponse {
    CommandResponse {
        cog: "host".into(),
        content: content.into(),
        ephemeral,
        actions: Vec::new(),
        dropped: Vec::new(),
    }
}

/// The host commands that need nothing but the dispatcher (`/performance`,
/// `/test_concurrent`); the app adds these and the ones that need more (`/plugins`).
pub fn register_defaults(commands: &mut HostCommands) {
    commands.add(performance::Performance);
    commands.add(test_concurrent::TestConcurrent);
}
