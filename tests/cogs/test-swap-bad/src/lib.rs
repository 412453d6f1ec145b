//! Version 2.0.0 of cog `test-swap`: traps on every message (a bad release). The host
//! must roll it back to 1.0.0 by itself.
use astra_sdk::prelude::*;

struct Bad;

impl Cog for Bad {
    fn manifest() -> CogManifest {
        Manifest::new("test-swap", "2.0.0", "the broken version")
            .capabilities([Capability::Reply])
            .build()
    }
    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Normal)
    }
    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        let index: usize = msg.content.len() + 100;
        let list = [1, 2, 3];
        Ok(vec![Action::Reply(format!(
            "{}",
            list[std::hint::black_box(index)]
        ))])
    }
}

astra_sdk::cog!(Bad);
