//! `support`: answers help requests from a per-guild knowledge base, and pings the staff
//! when it does not know.
//!
//! The host calls the exports below; this file only routes them. Layout, in the order a
//! message flows through it:
//!
//! - [`request`]: is this a support request? (pure, cheap: `triage` runs it)
//! - [`settings`]: the per-guild settings
//! - [`kb`]: the knowledge base (guild setting or built-in `kb/default.json`)
//! - [`vectors`] + [`rank`]: matching by meaning (embeddings cached in kv)
//! - [`tokens`] + [`keywords`]: matching by words when no embedding model is loaded
//! - [`answer`]: the flow: find an entry, reply, or ping the staff
//! - [`replies`]: the texts
//! - [`commands`]: `/help` and `/kb`
//!
//! `settings`, `vectors`, `answer` and the command `run`s call the host; everything else is
//! plain Rust with native unit tests (natively the imports panic).
use astra_sdk::prelude::*;

pub mod answer;
pub mod commands;
pub mod kb;
pub mod keywords;
pub mod rank;
pub mod replies;
pub mod request;
pub mod settings;
pub mod tokens;
pub mod vectors;

struct Support;

/// The manifest (also read by `/help` to list this cog's own commands).
pub fn manifest() -> CogManifest {
    Manifest::new(
        "support",
        env!("CARGO_PKG_VERSION"),
        "answers help requests from a knowledge base and pings staff otherwise",
    )
    .capabilities([
        Capability::Log,
        Capability::Kv,
        Capability::Config,
        Capability::Embed,
        Capability::Reply,
        Capability::Send,
    ])
    .command(commands::help::spec())
    .command(commands::kb::spec())
    .build()
}

impl Cog for Support {
    fn manifest() -> CogManifest {
        manifest()
    }

    fn triage(msg: &Message) -> Option<Priority> {
        (!msg.author.is_bot && request::is_support_request(&msg.content)).then_some(Priority::High)
    }

    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        Ok(answer::handle(&msg))
    }

    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        commands::run(cmd)
    }
}

astra_sdk::cog!(Support);
