//! A broken cog: its `init` panics, so pre-initialisation fails and the host refuses
//! it with the panic's text.
use astra_sdk::prelude::*;

struct BrokenInit;

impl Cog for BrokenInit {
    fn manifest() -> CogManifest {
        Manifest::new("test-init-panics", "1.0.0", "panics in init").build()
    }
    fn init() {
        panic!("the word list is missing");
    }
}

astra_sdk::cog!(BrokenInit);
