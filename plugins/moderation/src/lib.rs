//! `moderation`: Astra's moderation cog.
//!
//! Moderators act through slash commands (`/warn`, `/warnings`, `/clearwarn`,
//! `/timeout`, `/kick`, `/ban`, `/purge`); other cogs' warnings arrive as
//! `moderation-actions` events. Every infraction is kept in kv, every action is written
//! to the mod-log, and warnings climb a per-guild escalation ladder with decay.
//! Messages are not triaged: this cog acts on commands and events only.
//!
//! Modules in data-flow order:
//! - [`manifest`]: what the cog asks for and offers
//! - [`ctx`]: kv + settings + time for one host call; [`settings`] reads the config
//! - [`commands`] (one file per command) and [`events`]: the entry points
//! - [`escalate`]: record a warning and apply [`ladder`] (pure)
//! - [`infraction`] (the record, its key and text), [`store`] (kv), [`modlog`], [`time`]

pub mod commands;
pub mod ctx;
pub mod escalate;
pub mod events;
pub mod infraction;
pub mod ladder;
pub mod manifest;
pub mod modlog;
pub mod settings;
pub mod store;
pub mod time;

use astra_sdk::prelude::*;

struct Moderation;

impl Cog for Moderation {
    fn manifest() -> CogManifest {
        manifest::build()
    }

    fn triage(_msg: &Message) -> Option<Priority> {
        None
    }

    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        commands::run(&mut ctx::Ctx::from_host(), &cmd)
    }

    fn on_event(event: Event) -> Result<Vec<Action>, HandlerError> {
        events::handle(&mut ctx::Ctx::from_host(), event)
    }
}

astra_sdk::cog!(Moderation);
