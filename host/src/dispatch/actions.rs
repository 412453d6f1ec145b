//! Vetting what cogs return: every action is checked against the capabilities the
//! admin granted the cog; a forbidden one is dropped and logged, never executed. Also
//! caps how much one call may ask for: at most `MAX_ACTIONS_PER_CALL` actions are kept,
//! as many more are listed as dropped, the rest are discarded unread; texts are cut to
//! `MAX_TEXT` bytes.

use crate::event::{Action, CogAction};
use crate::runtime::bindings::types as wit;
use crate::runtime::convert::{action_capability, action_from_wit};
use crate::runtime::host_api::capability_name;
use crate::runtime::LoadedCog;

/// Most actions one call may return; the rest are dropped.
pub const MAX_ACTIONS_PER_CALL: usize = 50;
/// Longest text an action may carry (Discord's message limit).
pub const MAX_TEXT: usize = 2000;

#[derive(Default, Debug, Clone)]
pub struct Vetted {
    pub accepted: Vec<CogAction>,
    pub dropped: Vec<CogAction>,
}

impl Vetted {
    pub fn extend(&mut self, other: Vetted) {
        self.accepted.extend(other.accepted);
        self.dropped.extend(other.dropped);
    }
}

pub fn vet(cog: &LoadedCog, actions: Vec<wit::Action>) -> Vetted {
    let mut out = Vetted::default();
    let total = actions.len();
    if total > MAX_ACTIONS_PER_CALL {
        tracing::warn!(
            cog = %cog.name,
            "returned {total} actions; only the first {MAX_ACTIONS_PER_CALL} are kept and the \
             next {MAX_ACTIONS_PER_CALL} listed as dropped"
        );
    }
    // Past twice the cap nothing is even converted: the outcome stays small however
    // much a cog returns.
    for (i, raw) in actions
        .into_iter()
        .take(2 * MAX_ACTIONS_PER_CALL)
        .enumerate()
    {
        let mut action = action_from_wit(raw);
        truncate_text(&mut action);
        let entry = CogAction {
            cog: cog.name.to_string(),
            action,
        };
        let capability = action_capability(&entry.action);
        if i >= MAX_ACTIONS_PER_CALL {
            out.dropped.push(entry);
        } else if !cog.grants.has(capability) {
            tracing::warn!(
                cog = %cog.name,
                "dropped a `{}` action: capability `{}` is not granted",
                entry.action.kind(),
                capability_name(capability)
            );
            out.dropped.push(entry);
        } else {
            out.accepted.push(entry);
        }
    }
    out
}

fn truncate_text(action: &mut Action) {
    let text = match action {
        Action::Reply { content }
        | Action::Send { content, .. }
        | Action::LogToModlog { content } => content,
        Action::Warn { reason, .. }
        | Action::Timeout { reason, .. }
        | Action::Kick { reason, .. }
        | Action::Ban { reason, .. } => reason,
        _ => return,
    };
    cap_text(text);
}

/// Cut `text` to at most `MAX_TEXT` bytes, on a character boundary.
pub(super) fn cap_text(text: &mut String) {
    if text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}
