//! Pre-initialisation probe: `init` counts its runs and builds a table; every reply
//! says how many times `init` had run in the memory the instance started from. With
//! the host's snapshot that is 1 in every instance, fresh ones included; without it, 0.
use astra_sdk::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

static INIT_RUNS: AtomicU32 = AtomicU32::new(0);
static SQUARES: OnceLock<Vec<u64>> = OnceLock::new();

struct InitProbe;

impl Cog for InitProbe {
    fn manifest() -> CogManifest {
        Manifest::new("test-init", "1.0.0", "reports what init() left behind")
            .capabilities([Capability::Reply])
            .build()
    }
    fn init() {
        INIT_RUNS.fetch_add(1, Ordering::Relaxed);
        SQUARES.get_or_init(|| (0..1000u64).map(|i| i * i).collect());
    }
    fn triage(msg: &Message) -> Option<Priority> {
        msg.content.starts_with("!init").then_some(Priority::Normal)
    }
    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        let table = SQUARES.get().map_or("missing", |_| "built");
        Ok(vec![Action::Reply(format!(
            "init runs {}; table {table}",
            INIT_RUNS.load(Ordering::Relaxed)
        ))])
    }
}

astra_sdk::cog!(InitProbe);
