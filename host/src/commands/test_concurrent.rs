//! `/test_concurrent [count]` (ManageGuild): inject `count` synthetic messages (mixed
//! traffic, default 100, at most 10,000) through the live pipeline, all at once, and
//! reply with the bench table for them.
//!
//! They are real messages to the dispatcher — triaged, queued, handled by the live
//! cogs, counted in the ledger — but marked: guild [`SYNTHETIC_GUILD`], a channel of
//! their own. Gateways skip their outcomes (nothing is ever sent to Discord) and this
//! command reads them through a metrics tap on that channel. Cog state they cause
//! (kv, infractions) is kept under the synthetic guild, apart from every real one.

use super::{reply, HostCommand};
use crate::bench::report::{counts, rate, stats_since, CogRow, LedgerCheck, Report, Setup};
use crate::bench::tally::Tally;
use crate::bench::traffic::{self, Place};
use crate::dispatch::{CommandError, Dispatcher};
use crate::event::{Command, CommandResponse, OptionValue, Permission, SYNTHETIC_GUILD};
use crate::runtime::bindings::types::{OptionKind, OptionSpec};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const DEFAULT_COUNT: i64 = 100;
const MAX_COUNT: i64 = 10_000;
/// Senders submitting at once (each a synthetic user's stream).
const MAX_STREAMS: usize = 50;

static RUNS: AtomicU64 = AtomicU64::new(1);

pub struct TestConcurrent;

impl HostCommand for TestConcurrent {
    fn name(&self) -> &str {
        "test_concurrent"
    }

    fn description(&self) -> &str {
        "inject N synthetic messages (count:N, default 100) through the live pipeline and show the bench table"
    }

    fn permission(&self) -> Permission {
        Permission::ManageGuild
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![OptionSpec {
            name: "count".into(),
            description: "how many synthetic messages (1 to 10,000; default 100)".into(),
            kind: OptionKind::Integer,
            required: false,
        }]
    }

    fn run<'a>(
        &'a self,
        dispatcher: &'a Dispatcher,
        command: Command,
    ) -> BoxFuture<'a, Result<CommandResponse, CommandError>> {
        async move {
            let count = count(&command)?;
            let report = inject(dispatcher, count).await;
            Ok(reply(format!("```\n{}```", report.render()), true))
        }
        .boxed()
    }
}

/// The `count` option: an integer (or text holding one) in 1..=10,000.
fn count(command: &Command) -> Result<usize, CommandError> {
    let value = command
        .options
        .iter()
        .find(|(k, _)| k == "count" || k == "text")
        .map(|(_, v)| match v {
            OptionValue::Integer(n) => Some(*n),
            OptionValue::Text(t) => t.trim().parse().ok(),
            _ => None,
        });
    let n = match value {
        None => DEFAULT_COUNT,
        Some(Some(n)) => n,
        Some(None) => -1,
    };
    if !(1..=MAX_COUNT).contains(&n) {
        return Err(CommandError::Invalid {
            command: command.name.clone(),
            message: format!("count must be a number from 1 to {MAX_COUNT}, e.g. count:100"),
        });
    }
    Ok(n as usize)
}

/// Send `count` synthetic messages and wait (at most the task timeout plus a margin)
/// for their outcomes.
pub async fn inject(d: &Dispatcher, count: usize) -> Report {
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let channel = format!("synthetic-{}-{run}", crate::event::now_ms());
    let place = Place {
        guild: SYNTHETIC_GUILD.into(),
        channel: channel.clone(),
        bot_name: "Astra".into(),
        id_prefix: format!("{channel}-"),
    };
    let streams = count.min(MAX_STREAMS);
    let mut messages = traffic::generate(traffic::MIXED, count, streams, &place);
    for m in &mut messages {
        // users of this run only: earlier runs' history cannot make this one a flood
        m.author.id = format!("{channel}-{}", m.author.id);
    }
    let mut tap = d.metrics().tap(&channel);
    let before = cog_stats(d);
    let cpu_before = crate::metrics::cpu_time();
    let started = Instant::now();

    let senders: Vec<_> = traffic::streams(messages, streams)
        .into_iter()
        .map(|stream| {
            let d = d.clone();
            tokio::spawn(async move {
                for m in stream {
                    d.submit(m).await;
                }
            })
        })
        .collect();
    let mut tally = Tally::default();
    let mut last = started;
    let give_up = started + d.config().task_timeout + Duration::from_secs(30);
    while tally.total() < count as u64 {
        match tokio::time::timeout_at(give_up.into(), tap.outcomes.recv()).await {
            Ok(Some(o)) => {
                tally.add(&o);
                last = Instant::now();
            }
            _ => break,
        }
    }
    for s in senders {
        let _ = s.await;
    }
    let cpu = crate::metrics::cpu_time()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b).as_secs_f64());
    let after = cog_stats(d);
    let elapsed = last.duration_since(started).as_secs_f64();

    let config = d.config();
    let (messages, kinds, success_pct) = counts(&tally);
    let m = d.metrics();
    Report {
        scenario: "test_concurrent".into(),
        about: format!("{count} synthetic messages through the live pipeline"),
        setup: Setup {
            cogs: format!("{} live cogs", after.len()),
            model: "the live model".into(),
            queue_capacity: config.queue_capacity,
            max_concurrent: config.max_concurrent,
            reserved_critical: config.reserved_critical,
            rate_limit: format!(
                "{}/{} s",
                config.rate_limit.messages,
                config.rate_limit.per.as_secs()
            ),
            users: streams,
            streams,
        },
        messages,
        processed: kinds[0],
        rate_limited: kinds[1],
        shed: kinds[2],
        failed: kinds[3],
        success_pct,
        elapsed_ms: elapsed * 1000.0,
        msgs_per_sec: rate(messages, elapsed),
        processed_per_sec: rate(kinds[0], elapsed),
        cpu_ms: cpu.map(|c| c * 1000.0),
        msgs_per_cpu_sec: cpu.filter(|c| *c > 0.0).map(|c| messages as f64 / c),
        peak_active_jobs: m.peak_active_jobs(),
        avg_us: tally.avg_us(),
        priorities: tally.rows(),
        cogs: after
            .into_iter()
            .map(|(name, a)| CogRow {
                stats: stats_since(before.get(&name).copied().unwrap_or_default(), a),
                name,
            })
            .collect(),
        ledger: LedgerCheck::from_outcomes(count as u64, &tally),
        old_bot: None,
        notes: vec![
            "shares the live host: cog figures and CPU include any real traffic meanwhile; peak jobs is since start".into(),
        ],
        errors: tally.error_samples(),
    }
}

fn cog_stats(d: &Dispatcher) -> BTreeMap<String, crate::runtime::StatsSnapshot> {
    d.runtime()
        .cogs()
        .iter()
        .map(|c| (c.name.to_string(), c.stats.snapshot()))
        .collect()
}
