//! `analytics`: Astra's statistics cog.
//!
//! It looks at every message at low priority (it never delays other cogs' work) and
//! keeps per-guild counters in kv; it counts the moderation actions other cogs take;
//! `/stats` reports it all.
//!
//! Modules in data-flow order:
//! - [`manifest`]
//! - [`count`] (every message) and [`violations`] (moderation events): the writers
//! - [`stats`] reads a snapshot, [`report`] (pure) renders it
//! - [`keys`] (the kv layout), [`store`] (the kv seam), [`time`] (UTC buckets)

pub mod count;
pub mod keys;
pub mod manifest;
pub mod report;
pub mod stats;
pub mod store;
pub mod time;
pub mod violations;

use astra_sdk::prelude::*;
use store::HostKv;

struct Analytics;

impl Cog for Analytics {
    fn manifest() -> CogManifest {
        manifest::build()
    }

    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Low)
    }

    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        let at_ms = match msg.timestamp_ms {
            0 => clock::now_ms(),
            t => t,
        };
        let seen = count::Seen {
            channel: &msg.channel_id,
            user: &msg.author.id,
            is_bot: msg.author.is_bot,
            at_ms,
        };
        count::record(&mut HostKv, &seen).map_err(store::count_failed)?;
        Ok(Vec::new())
    }

    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        match cmd.name.as_str() {
            "stats" => {
                let text = stats::run(&mut HostKv, clock::now_ms()).map_err(store::read_failed)?;
                Ok(reply(text))
            }
            other => Ok(reply_ephemeral(format!(
                "analytics has no command `/{other}`"
            ))),
        }
    }

    fn on_event(event: Event) -> Result<Vec<Action>, HandlerError> {
        match event {
            Event::ActionTaken(taken) => {
                violations::record(&mut HostKv, &taken.action).map_err(store::count_failed)?;
            }
        }
        Ok(Vec::new())
    }
}

astra_sdk::cog!(Analytics);
