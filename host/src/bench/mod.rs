//! `astra bench`: a load generator that drives the real pipeline — the bundled cogs
//! compiled by the real runtime, a real SQLite file in a temporary folder, the
//! dispatcher with its queues, permits, rate limits and ledger — and prints a table per
//! scenario (or, with `--json`, one JSON object per line).
//!
//! - `traffic`: the synthetic messages (also used by `/test_concurrent`);
//! - `rig`: a fresh host per scenario, sending streams, collecting outcomes;
//! - `tally`: outcomes → counts and latency histograms per priority;
//! - `scenarios`: what each scenario sends and which limits it runs under;
//! - `report`: the measured figures, as JSON and as a table.
//!
//! Benches measure; nothing here asserts a duration. The targets (DESIGN.md) are
//! printed beside the figures as met / NOT met.

pub mod report;
pub mod rig;
pub mod scenarios;
pub mod tally;
pub mod traffic;

pub use report::Report;

use crate::config::Config;
use anyhow::{bail, Result};
use clap::ValueEnum;

/// The scenarios, in the order `astra bench` runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// 10 users posting abuse at once (old bot: 100% success, 52 ms avg)
    Security,
    /// 10 users asking the bot at once (old bot: 298 ms avg)
    Ai,
    /// 20 users, mixed traffic (old bot: 234 ms avg)
    Mixed,
    /// 100 concurrent users, 500 mixed messages (old bot: 98% success, 445 ms avg)
    Stress,
    /// 100,000 messages as fast as possible, mixed priorities
    Flood,
    /// 1,000 AI requests (300 ms model) in flight while CRITICAL messages arrive
    PriorityInversion,
    /// the flood while the security cog is hot-swapped every 100 ms
    Swap,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::Security,
        Scenario::Ai,
        Scenario::Mixed,
        Scenario::Stress,
        Scenario::Flood,
        Scenario::PriorityInversion,
        Scenario::Swap,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Security => "security",
            Scenario::Ai => "ai",
            Scenario::Mixed => "mixed",
            Scenario::Stress => "stress",
            Scenario::Flood => "flood",
            Scenario::PriorityInversion => "priority-inversion",
            Scenario::Swap => "swap",
        }
    }
}

/// `astra bench [SCENARIO...] [--json] [--messages N] [--model-delay-ms MS]`
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Scenarios to run (default: all, in order)
    #[arg(value_enum)]
    pub scenarios: Vec<Scenario>,
    /// One JSON object per scenario on stdout instead of tables
    #[arg(long)]
    pub json: bool,
    /// Messages per scenario instead of each one's own number (for
    /// priority-inversion: the number of AI requests)
    #[arg(long, value_name = "N")]
    pub messages: Option<usize>,
    /// The stand-in model's delay per call (default 0 ms; priority-inversion 300 ms)
    #[arg(long, value_name = "MS")]
    pub model_delay_ms: Option<u64>,
    /// Run on this PostgreSQL database (`postgres://...`) instead of a fresh SQLite
    /// file, to measure the store's cost per message (also the config's `store`)
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// flood and swap: queues that hold the whole flood, so nothing is shed and every
    /// message is processed (the fixed-work measure of msgs per CPU-second; by
    /// default the production queue sheds LOW work, which the CPU figure then
    /// does not include)
    #[arg(long)]
    pub no_shed: bool,
}

/// What every scenario is run with.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub messages: Option<usize>,
    pub model_delay_ms: Option<u64>,
    /// flood and swap: size the queues so nothing is shed (`--no-shed`)
    pub no_shed: bool,
}

/// Run one scenario on a fresh host; `base` supplies only the compile cache folder.
pub async fn run_scenario(base: &Config, scenario: Scenario, options: &Options) -> Result<Report> {
    scenarios::run(base, scenario, options).await
}

/// `astra bench`: run the scenarios and print each report as it is done.
pub async fn run(mut base: Config, args: BenchArgs) -> Result<()> {
    if let Some(url) = &args.store {
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            bail!("--store {url}: write a PostgreSQL URL, e.g. postgres://astra@127.0.0.1/astra");
        }
        base.store_url = Some(crate::config::Secret::new(url.clone()));
    }
    let chosen = if args.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenarios.clone()
    };
    let options = Options {
        messages: args.messages,
        model_delay_ms: args.model_delay_ms,
        no_shed: args.no_shed,
    };
    if !args.json {
        println!("{}\n", machine());
    }
    let mut unbalanced = Vec::new();
    for scenario in chosen {
        let report = run_scenario(&base, scenario, &options).await?;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!("{}", report.render());
        }
        if !report.ledger.zero_lost {
            unbalanced.push(report.scenario.clone());
        }
    }
    if !unbalanced.is_empty() {
        bail!("messages unaccounted for in: {}", unbalanced.join(", "));
    }
    Ok(())
}

/// One line about where the figures come from: CPU model, cores, build.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    format!(
        "astra bench {} · {model} · {cores} cores · {build}",
        env!("CARGO_PKG_VERSION")
    )
}
