//! `astra cog new | check | test`: the cog author's loop, offline.
//!
//! `new` scaffolds a cog folder in Rust, Python or JavaScript from templates embedded
//! in the binary; `check` tells whether this host would load a component and prints its
//! manifest; `test` runs one cog alone against a scenario file and prints its actions.
//! One file per subcommand, routed here; `main.rs` turns an error into exit code 1.

mod check;
mod new;
mod test;

pub use check::{inspect, Inspection};

use crate::cli::CogCmd;
use crate::config::Config;
use anyhow::Result;

/// Run one `astra cog ...` subcommand.
pub async fn run(action: CogCmd, config: Config) -> Result<()> {
    match action {
        CogCmd::New { name, lang, dir } => new::run(&name, lang, dir.as_deref()),
        CogCmd::Check { file } => check::run(&file, &config).await,
        CogCmd::Test {
            file,
            scenario,
            json,
        } => test::run(&file, &scenario, json, config).await,
    }
}
