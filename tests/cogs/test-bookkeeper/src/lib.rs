//! A bookkeeping cog for the host's tests, shaped like analytics: it asks for every
//! message at LOW priority and hears of every moderation action other cogs take. Each
//! event it hears is counted in kv (`heard:<action>`) and answered with a modlog
//! note, so a test can see where the event was delivered (in which outcome) and how
//! often.
use astra_sdk::prelude::*;

struct Bookkeeper;

impl Cog for Bookkeeper {
    fn manifest() -> CogManifest {
        Manifest::new(
            "test-bookkeeper",
            "1.0.0",
            "counts messages and the moderation actions it hears of",
        )
        .capabilities([Capability::Kv, Capability::Modlog])
        .events([EventKind::ModerationActions])
        .build()
    }

    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Low)
    }

    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        kv::increment("messages", 1).map_err(|e| HandlerError::Transient(e.to_string()))?;
        Ok(Vec::new())
    }

    fn on_event(event: Event) -> Result<Vec<Action>, HandlerError> {
        let Event::ActionTaken(taken) = event;
        let action = match taken.action {
            Action::Warn(_) => "warn",
            Action::Timeout(_) => "timeout",
            Action::Kick(_) => "kick",
            Action::Ban(_) => "ban",
            _ => "other",
        };
        let n = kv::increment(&format!("heard:{action}"), 1)
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        Ok(vec![Action::LogToModlog(format!(
            "bookkeeper heard {action} by {} (#{n})",
            taken.by_cog
        ))])
    }
}

astra_sdk::cog!(Bookkeeper);
