//! `/ask question`: talk to the companion without mentioning it. Same flow as a mention
//! (budget, memory, model, filter), answered in the channel.
use crate::conversation::{self, Outcome};
use crate::{replies, settings::Settings};
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

pub const NAME: &str = "ask";

pub fn spec() -> CommandBuilder {
    CommandBuilder::new(NAME, "ask the AI companion a question").option(
        "question",
        OptionKind::Text,
        true,
        "what you want to ask",
    )
}

pub fn run(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
    let question = cmd.text("question").unwrap_or_default().trim().to_string();
    if question.is_empty() {
        return Ok(reply_ephemeral(replies::ASK_USAGE));
    }
    let settings = Settings::load();
    let outcome = conversation::respond(
        &settings,
        conversation::Request {
            channel_id: &cmd.channel_id,
            user_id: &cmd.invoker.id,
            text: &question,
        },
    );
    Ok(match outcome {
        Outcome::OverBudget(text) => reply_ephemeral(text),
        other => reply(other.into_text()),
    })
}
