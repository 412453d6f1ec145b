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
    /// (`name: message` per line, `/command key:value` for slash commands) and a local
    /// web page with the same chat and a live dashboard.
    Run(RunArgs),
    /// Replay JSON Lines messages from FILE (`-` = stdin); print one JSON outcome per line.
    Replay {
        /// input file, or `-` for stdin
        file: PathBuf,
    },
    /// Play the busy-general-chat scenario (ten users at once) and print what happened.
    Demo,
    /// Load-test the real pipeline (bundled cogs, SQLite in a temp folder, stand-in
    /// model) and print a table per scenario.
    Bench(crate::bench::BenchArgs),
    /// The offline models (SmolLM2 chat, MiniLM embeddings).
    Models {
        #[command(subcommand)]
        action: ModelsCmd,
    },
    /// Tools for cog authors: scaffold, check and test a cog offline.
    Cog {
        #[command(subcommand)]
        action: CogCmd,
    },
}

/// `astra run [--web ADDR | --no-web] [--shards A-B --total-shards N]`
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Serve the local web page on ADDR (e.g. 127.0.0.1:8080; port 0 picks a free one)
    /// instead of `[web] listen`; loopback only unless `[web] allow_remote = true`
    #[arg(long, value_name = "ADDR")]
    pub web: Option<String>,
    /// Do not serve the local web page
    #[arg(long, conflicts_with = "web")]
    pub no_web: bool,
    /// With a Discord token: run only shards A-B (inclusive) of --total-shards
    /// (default: `[discord] shards`, else the count Discord recommends)
    #[arg(long, value_name = "A-B", requires = "total_shards")]
    pub shards: Option<String>,
    /// The bot's total shard count across all processes (with --shards)
    #[arg(long, value_name = "N", requires = "shards")]
    pub total_shards: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum CogCmd {
    /// Create a folder NAME holding a cog that builds and loads as it is.
    New {
        /// the cog's name (a-z, 0-9, '-', '_'); also the folder's
        name: String,
        /// the language to write it in
        #[arg(long, value_enum, default_value_t = CogLang::Rust)]
        lang: CogLang,
        /// where to create the folder (default: ./NAME)
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Check a component against this host's WIT (version, imports, exports) and print
    /// its manifest. Exits non-zero when the host would refuse it.
    Check {
        /// the component (.wasm)
        file: PathBuf,
    },
    /// Run a cog alone (no other cogs, a fresh store) against a scenario of messages and
    /// slash commands (JSON Lines) and print what it did. Exits non-zero if any line
    /// failed or missed its `expect`.
    Test {
        /// the component (.wasm)
        file: PathBuf,
        /// the scenario: replay lines, plus `{"command": ...}` lines
        scenario: PathBuf,
        /// print one JSON object per line instead of text
        #[arg(long)]
        json: bool,
    },
}

/// Languages `astra cog new` can scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CogLang {
    Rust,
    Python,
    Js,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCmd {
    /// Download them once into the models folder (needs `python3 -m pip` and PyPI).
    Fetch,
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
