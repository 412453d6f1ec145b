//! A message on its way through the dispatcher: the message, the priority triage gave
//! it, the cogs that want to handle it, and when it arrived. A CRITICAL message whose
//! less urgent handlers are still to run after its CRITICAL ones is handed on as a
//! second job (a continuation) at the next handler's priority, carrying what the
//! first part did.

use super::actions::Vetted;
use crate::event::{Message, Priority};
use crate::runtime::bindings::types as wit;
use crate::runtime::LoadedCog;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Job {
    pub message: Arc<Message>,
    pub wit_message: Arc<wit::Message>,
    /// the priority this job is queued and run at
    pub priority: Priority,
    /// cogs whose triage asked for the message (and have not run yet), most urgent first
    pub handlers: Vec<(Arc<LoadedCog>, Priority)>,
    /// failures met so far (e.g. a cog's triage crashed)
    pub errors: Vec<String>,
    pub received: Instant,
    /// set on a continuation: what the message's CRITICAL part did
    pub carried: Option<Box<Carried>>,
}

/// What a continuation carries from its message's CRITICAL part.
pub struct Carried {
    /// the message's priority (CRITICAL), which its outcome reports
    pub priority: Priority,
    /// the CRITICAL handlers' vetted actions (and their moderation events')
    pub done: Vetted,
    /// how many of `done`'s actions an early outcome delivered, and when
    pub early: Option<(usize, Duration)>,
    /// the CRITICAL part used the store and its writes may not be committed yet
    pub uncommitted: bool,
}

impl Job {
    /// The priority triage gave the message (a continuation runs at a lower one).
    pub fn message_priority(&self) -> Priority {
        self.carried.as_ref().map_or(self.priority, |c| c.priority)
    }

    /// May overload shed it? Only a NORMAL or LOW message: never a HIGH or CRITICAL
    /// one, whatever priority its job is queued at (a continuation runs at the
    /// priority of its next handler).
    pub fn sheddable(&self) -> bool {
        self.message_priority() >= Priority::Normal
    }

    /// When an early outcome delivered this message's first actions, and how many.
    pub fn early(&self) -> Option<(usize, Duration)> {
        self.carried.as_ref().and_then(|c| c.early)
    }
}
