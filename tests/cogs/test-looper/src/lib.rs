//! A hostile cog: loops forever in `triage` when the text says `loop-triage`, and in
//! `handle-message` for any other message it takes (those containing `loop` or
//! `spin`). The host must stop it by its CPU deadline.
use astra_sdk::prelude::*;

struct Looper;

fn spin() -> ! {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

impl Cog for Looper {
    fn manifest() -> CogManifest {
        Manifest::new("test-looper", "1.0.0", "never returns").build()
    }
    fn triage(msg: &Message) -> Option<Priority> {
        if msg.content.contains("loop-triage") {
            spin()
        }
        let wanted = msg.content.contains("loop") || msg.content.contains("spin");
        wanted.then_some(Priority::Normal)
    }
    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        spin()
    }
}

astra_sdk::cog!(Looper);
