//! The moderation cog's manifest: capabilities, the `moderation-actions` subscription
//! and the slash commands (whose specs live next to their handlers in `commands/`).

use crate::commands;
use astra_sdk::prelude::*;

pub fn build() -> CogManifest {
    let mut manifest = Manifest::new(
        "moderation",
        env!("CARGO_PKG_VERSION"),
        "warnings, timeouts, kicks, bans and purges, with an escalation ladder and a mod-log",
    )
    .capabilities([
        Capability::Log,
        Capability::Kv,
        Capability::Config,
        Capability::Clock,
        Capability::Reply,
        Capability::Send,
        Capability::Warn,
        Capability::Timeout,
        Capability::Kick,
        Capability::Ban,
        Capability::DeleteMessages,
        Capability::Modlog,
    ])
    .events([EventKind::ModerationActions]);
    for command in commands::specs() {
        manifest = manifest.command(command);
    }
    manifest.build()
}
