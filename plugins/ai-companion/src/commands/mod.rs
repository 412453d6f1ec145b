//! The companion's slash commands, one file each, routed by name.
use astra_sdk::prelude::*;

pub mod ask;
pub mod forget;

/// Runs the command `cmd` names.
pub fn run(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
    match cmd.name.as_str() {
        ask::NAME => ask::run(cmd),
        forget::NAME => forget::run(cmd),
        other => Ok(reply_ephemeral(format!("unknown command `/{other}`"))),
    }
}
