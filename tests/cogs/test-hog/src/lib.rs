//! A hostile cog: allocates memory without bound while handling a message. The host's
//! memory cap must stop it.
use astra_sdk::prelude::*;

struct Hog;

impl Cog for Hog {
    fn manifest() -> CogManifest {
        Manifest::new("test-hog", "1.0.0", "eats memory").build()
    }
    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Normal)
    }
    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

astra_sdk::cog!(Hog);
