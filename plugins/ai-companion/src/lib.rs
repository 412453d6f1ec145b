//! `ai-companion`: a friendly chat companion that answers when it is spoken to.
//!
//! The host calls the four exports below; this file only routes them. Layout, in the
//! order a message flows through it:
//!
//! - [`addressing`]: is this message for the bot? (pure, cheap: `triage` runs it)
//! - [`settings`]: the per-guild settings, read once per call
//! - [`budget`]: per-user replies per hour (kv keys)
//! - [`memory`]: the channel's recent turns (kv key `mem:<channel>`)
//! - [`prompt`]: persona + memory + message → chat messages
//! - [`filter`]: clean and check the model's reply before it is sent
//! - [`replies`]: every canned sentence the cog says
//! - [`conversation`]: the one flow above, shared by messages and `/ask`
//! - [`commands`]: `/ask` and `/forget`
//!
//! Only `settings`, `conversation` and `commands` call the host; the rest is plain Rust
//! with native unit tests (natively the imports panic).
use astra_sdk::prelude::*;

pub mod addressing;
pub mod budget;
pub mod commands;
pub mod conversation;
pub mod filter;
pub mod memory;
pub mod prompt;
pub mod replies;
pub mod settings;
pub mod text;

struct Companion;

impl Cog for Companion {
    /// Build rustrict's dictionary (the reply filter's) once, for the host's snapshot:
    /// otherwise each new instance pays ~18 ms for it on its first reply.
    fn init() {
        let _ = filter::clean_reply("warming up", "Astra");
    }

    fn manifest() -> CogManifest {
        Manifest::new(
            "ai-companion",
            env!("CARGO_PKG_VERSION"),
            "a friendly chat companion: answers when mentioned or called by name",
        )
        .capabilities([
            Capability::Log,
            Capability::Kv,
            Capability::Config,
            Capability::Clock,
            Capability::Llm,
            Capability::Reply,
        ])
        .command(commands::ask::spec())
        .command(commands::forget::spec())
        .build()
    }

    fn triage(msg: &Message) -> Option<Priority> {
        if msg.author.is_bot {
            return None;
        }
        if msg.mentions_bot {
            return Some(Priority::High); // no need to read the settings
        }
        addressing::triage(
            &msg.content,
            false,
            &settings::bot_name(),
            settings::answer_open_questions(),
        )
        // Ordinary chat between members is NORMAL work for the companion: it listens,
        // so that when it is asked later it knows what the channel was talking about.
        .or_else(|| (!msg.content.trim().is_empty()).then_some(Priority::Normal))
    }

    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        let settings = settings::Settings::load();
        let wants_reply = msg.mentions_bot
            || addressing::triage(
                &msg.content,
                false,
                &settings.bot_name,
                settings::answer_open_questions(),
            )
            .is_some();
        if !wants_reply {
            conversation::observe(&settings, &msg.channel_id, &msg.author.name, &msg.content);
            return Ok(Vec::new());
        }
        let text = addressing::strip_address(&msg.content, &settings.bot_name);
        let outcome = conversation::respond(
            &settings,
            conversation::Request {
                channel_id: &msg.channel_id,
                user_id: &msg.author.id,
                text: &text,
            },
        );
        Ok(vec![Action::Reply(outcome.into_text())])
    }

    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        commands::run(cmd)
    }
}

astra_sdk::cog!(Companion);
