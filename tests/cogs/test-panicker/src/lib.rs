//! A hostile cog: panics while handling a message (and in `/boom`).
use astra_sdk::prelude::*;

struct Panicker;

impl Cog for Panicker {
    fn manifest() -> CogManifest {
        Manifest::new("test-panicker", "1.0.0", "panics")
            .command(astra_sdk::CommandBuilder::new("boom", "panics"))
            .build()
    }
    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Normal)
    }
    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        panic!("test-panicker refuses message {}", msg.id)
    }
    fn handle_command(_cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        panic!("boom")
    }
}

astra_sdk::cog!(Panicker);
