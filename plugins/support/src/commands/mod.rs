//! The support cog's slash commands, one file each, routed by name.
use astra_sdk::prelude::*;

pub mod help;
pub mod kb;

/// Runs the command `cmd` names.
pub fn run(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
    match cmd.name.as_str() {
        help::NAME => Ok(help::run()),
        kb::NAME => Ok(kb::run()),
        other => Ok(reply_ephemeral(format!("unknown command `/{other}`"))),
    }
}
