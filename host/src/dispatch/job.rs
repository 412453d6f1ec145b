//! A message on its way through the dispatcher: the message, the priority triage gave
//! it, the cogs that want to handle it, and when it arrived.

use crate::event::{Message, Priority};
use crate::runtime::bindings::types as wit;
use crate::runtime::LoadedCog;
use std::sync::Arc;
use std::time::Instant;

pub struct Job {
    pub message: Arc<Message>,
    pub wit_message: Arc<wit::Message>,
    pub priority: Priority,
    /// cogs whose triage asked for the message, most urgent first
    pub handlers: Vec<(Arc<LoadedCog>, Priority)>,
    /// failures met so far (e.g. a cog's triage crashed)
    pub errors: Vec<String>,
    pub received: Instant,
}
