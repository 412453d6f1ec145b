//! Version 1.0.0 of cog `test-swap`: replies "v1". Hot-reload tests swap it for the
//! crashing version 2.0.0 (`test-swap-bad`) and expect an automatic rollback to this.
use astra_sdk::prelude::*;

struct Good;

impl Cog for Good {
    fn manifest() -> CogManifest {
        Manifest::new("test-swap", "1.0.0", "the good version")
            .capabilities([Capability::Reply])
            .build()
    }
    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Normal)
    }
    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        Ok(vec![Action::Reply("v1".into())])
    }
}

astra_sdk::cog!(Good);
