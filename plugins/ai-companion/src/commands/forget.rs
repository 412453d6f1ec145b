//! `/forget`: clears this channel's conversation memory (moderators only), e.g. after the
//! talk went somewhere the bot should not follow.
use crate::{memory, replies};
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

pub const NAME: &str = "forget";

pub fn spec() -> CommandBuilder {
    CommandBuilder::new(
        NAME,
        "make the AI companion forget this channel's conversation",
    )
    .permission(Permission::ManageMessages)
}

pub fn run(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
    let existed = kv::delete(&memory::key(&cmd.channel_id))
        .map_err(|e| HandlerError::Transient(format!("could not clear memory: {e:?}")))?;
    Ok(reply_ephemeral(if existed {
        replies::FORGOT
    } else {
        replies::NOTHING_TO_FORGET
    }))
}
