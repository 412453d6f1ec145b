//! The slash commands, routed by one `match` on the command name. Each command lives in
//! its own file with its manifest entry (`spec`) next to its handler (`run`).
//!
//! A handler returns [`Failure::Usage`] for bad arguments (shown to the invoker only)
//! and [`Failure::Handler`] when the host should see an error (kv trouble).

mod args;
mod clearwarn;
mod purge;
mod sanction;
mod warn;
mod warnings;

use crate::ctx::Ctx;
use crate::store::Kv;
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

/// Why a command did not run.
#[derive(Debug)]
pub enum Failure {
    /// the invoker's mistake: answered with this text, ephemerally
    Usage(String),
    /// the host's or the store's: passed on as the handler error
    Handler(HandlerError),
}

impl From<HandlerError> for Failure {
    fn from(e: HandlerError) -> Self {
        Failure::Handler(e)
    }
}

/// Every command this cog offers, for the manifest.
pub fn specs() -> Vec<CommandBuilder> {
    vec![
        warn::spec(),
        warnings::spec(),
        clearwarn::spec(),
        sanction::spec(sanction::Sanction::Timeout),
        sanction::spec(sanction::Sanction::Kick),
        sanction::spec(sanction::Sanction::Ban),
        purge::spec(),
    ]
}

/// Run the command `cmd` names.
pub fn run<K: Kv>(ctx: &mut Ctx<K>, cmd: &CommandInvocation) -> Result<CommandReply, HandlerError> {
    let outcome = match cmd.name.as_str() {
        "warn" => warn::run(ctx, cmd),
        "warnings" => warnings::run(ctx, cmd),
        "clearwarn" => clearwarn::run(ctx, cmd),
        "timeout" => sanction::run(ctx, cmd, sanction::Sanction::Timeout),
        "kick" => sanction::run(ctx, cmd, sanction::Sanction::Kick),
        "ban" => sanction::run(ctx, cmd, sanction::Sanction::Ban),
        "purge" => purge::run(ctx, cmd),
        other => Err(Failure::Usage(format!(
            "moderation has no command `/{other}`"
        ))),
    };
    match outcome {
        Ok(reply) => Ok(reply),
        Err(Failure::Usage(text)) => Ok(reply_ephemeral(text)),
        Err(Failure::Handler(e)) => Err(e),
    }
}

#[cfg(test)]
pub mod testing {
    //! Building invocations for the command tests.
    use astra_sdk::{CommandInvocation, CommandOption, OptionValue, User};

    /// `/name` invoked by moderator `7` in channel `c1` with these options.
    pub fn invoke(name: &str, options: &[(&str, OptionValue)]) -> CommandInvocation {
        CommandInvocation {
            id: "cmd1".into(),
            name: name.into(),
            options: options
                .iter()
                .map(|(n, v)| CommandOption {
                    name: n.to_string(),
                    value: v.clone(),
                })
                .collect(),
            guild_id: "g1".into(),
            channel_id: "c1".into(),
            invoker: User {
                id: "7".into(),
                name: "mod".into(),
                roles: vec![],
                is_bot: false,
            },
            timestamp_ms: 0,
        }
    }

    pub fn user(id: &str) -> OptionValue {
        OptionValue::User(id.into())
    }
    pub fn text(s: &str) -> OptionValue {
        OptionValue::Text(s.into())
    }
    pub fn int(n: i64) -> OptionValue {
        OptionValue::Integer(n)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::ctx::test_ctx;

    #[test]
    fn unknown_commands_get_an_ephemeral_answer() {
        let reply = run(&mut test_ctx(0), &invoke("mute", &[])).unwrap();
        assert!(reply.ephemeral);
        assert!(reply.content.contains("/mute"));
    }

    #[test]
    fn every_command_is_declared_with_a_permission() {
        let specs: Vec<_> = specs()
            .into_iter()
            .map(|c| {
                astra_sdk::Manifest::new("m", "1", "d")
                    .command(c)
                    .build()
                    .commands
            })
            .flat_map(|c| c.into_iter())
            .collect();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "warn",
                "warnings",
                "clearwarn",
                "timeout",
                "kick",
                "ban",
                "purge"
            ]
        );
        assert!(specs
            .iter()
            .all(|s| !matches!(s.permission, Permission::Everyone)));
    }
}
