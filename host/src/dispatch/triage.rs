//! Triage: ask every cog enabled in the message's guild how urgent the message is, and
//! take the highest answer. Runs before queueing, under each cog's strict triage
//! deadline. A cog whose triage crashes is skipped for this message and the failure
//! is kept for the message's outcome; a cog suspended by its circuit breaker is
//! skipped silently.

use super::CogSwitches;
use crate::event::Priority;
use crate::runtime::bindings::types as wit;
use crate::runtime::convert::priority_from_wit;
use crate::runtime::{CallError, Export, LoadedCog, Returned};
use std::sync::Arc;

pub struct Triaged {
    /// highest priority any cog gave; `None` when no cog is interested
    pub priority: Option<Priority>,
    /// interested cogs, most urgent first
    pub handlers: Vec<(Arc<LoadedCog>, Priority)>,
    pub errors: Vec<String>,
}

pub async fn triage(
    cogs: &[Arc<LoadedCog>],
    switches: &dyn CogSwitches,
    message: &wit::Message,
) -> Triaged {
    let mut handlers = Vec::new();
    let mut errors = Vec::new();
    for cog in cogs {
        if !switches.enabled(&cog.name, &message.guild_id) {
            continue;
        }
        match cog.call(&message.guild_id, Export::Triage(message)).await {
            Ok(Returned::Triage(Some(p))) => handlers.push((cog.clone(), priority_from_wit(p))),
            Ok(_) => {}
            // Suspended by its circuit breaker: not interested, not a failure.
            Err(CallError::Suspended { .. }) => {}
            Err(e) => errors.push(format!("triage: {e}")),
        }
    }
    handlers.sort_by_key(|(_, p)| *p);
    Triaged {
        priority: handlers.first().map(|(_, p)| *p),
        handlers,
        errors,
    }
}
