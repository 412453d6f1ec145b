//! The command line: `astra run | replay | demo | cog ...`. Parsing only; each
//! subcommand's work lives in its own module.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "astra",
    version,
    about = "A Discord bot host whose features are sandboxed WebAssembly cogs"
)]
pub struct Cli {
    /// Config file (default: ./astra.toml if it exists, else built-in defaults)
    #[arg(long, short, global = true)]
    pub config: Option<PathBuf>,

    /// Log filter, e.g. `info` or `astra=debug` (also RUST_LOG)
    #[arg(long, global = true)]
    pub log: Option<String>,

    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the bot. Without a Discord token: a local chat on the terminal
    /// (`name: message` per line, `/command key:value` for slash commands).
    Run,
    /// Replay JSON Lines messages from FILE (`-` = stdin); print one JSON outcome per line.
    Replay {
        /// input file, or `-` for stdin
        file: PathBuf,
    },
    /// Play the busy-general-chat scenario (ten users at once) and print what happened.
    Demo,
}

impl Cli {
    /// The config file to read: the flag, else `./astra.toml` if present.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            let default = PathBuf::from("astra.toml");
            default.exists().then_some(default)
        })
    }
}
