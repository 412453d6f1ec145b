//! A builder for the manifest a cog returns from `manifest()`.

use crate::{Capability, CogManifest, CommandSpec, EventKind, OptionKind, OptionSpec, Permission};

/// Builds a [`CogManifest`]: `Manifest::new(name, version, description)`, then
/// `.capabilities(..)` and `.command(..)`, then `.build()`.
pub struct Manifest(CogManifest);

impl Manifest {
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        Manifest(CogManifest {
            name: name.to_string(),
            version: version.to_string(),
            description: description.to_string(),
            capabilities: Vec::new(),
            commands: Vec::new(),
            events: Vec::new(),
        })
    }

    pub fn capabilities(mut self, caps: impl IntoIterator<Item = Capability>) -> Self {
        self.0.capabilities.extend(caps);
        self
    }

    pub fn command(mut self, command: CommandBuilder) -> Self {
        self.0.commands.push(command.0);
        self
    }

    /// Subscribe to events delivered to `Cog::on_event`.
    pub fn events(mut self, events: impl IntoIterator<Item = EventKind>) -> Self {
        self.0.events.extend(events);
        self
    }

    pub fn build(self) -> CogManifest {
        self.0
    }
}

/// One slash command for [`Manifest::command`].
pub struct CommandBuilder(CommandSpec);

impl CommandBuilder {
    /// A command anyone may use; `name` may contain a subcommand (`"plugins list"`).
    pub fn new(name: &str, description: &str) -> Self {
        CommandBuilder(CommandSpec {
            name: name.to_string(),
            description: description.to_string(),
            options: Vec::new(),
            permission: Permission::Everyone,
        })
    }

    /// The permission the host checks before calling the cog.
    pub fn permission(mut self, permission: Permission) -> Self {
        self.0.permission = permission;
        self
    }

    pub fn option(
        mut self,
        name: &str,
        kind: OptionKind,
        required: bool,
        description: &str,
    ) -> Self {
        self.0.options.push(OptionSpec {
            name: name.to_string(),
            description: description.to_string(),
            kind,
            required,
        });
        self
    }
}
