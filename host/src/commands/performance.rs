//! `/performance`: how the host is doing right now, for moderators (ManageGuild):
//! messages per second now and at peak, queue depths, running jobs, latency per
//! priority, success rate, each cog's calls, errors and latency, and the process's
//! memory and CPU. The console runs it as `/performance`. With `view:history`
//! (console: `/performance history`) it shows the last 24 hours from the store
//! instead (`metrics/history.rs`).

use super::{reply, HostCommand};
use crate::bench::report::{thousands, us};
use crate::dispatch::{CommandError, Dispatcher};
use crate::event::{
    now_ms, Command, CommandResponse, OptionValue, OutcomeKind, Permission, Priority,
};
use crate::metrics::history::{self, HourRecord};
use crate::runtime::bindings::types::{OptionKind, OptionSpec};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::fmt::Write;

pub struct Performance;

impl HostCommand for Performance {
    fn name(&self) -> &str {
        "performance"
    }

    fn description(&self) -> &str {
        "throughput, queues, running jobs, latency per priority, cogs, memory and CPU"
    }

    fn permission(&self) -> Permission {
        Permission::ManageGuild
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![OptionSpec {
            name: "view".into(),
            description: "`now` (default) or `history`: the last 24 hours, per hour".into(),
            kind: OptionKind::Text,
            required: false,
        }]
    }

    fn run<'a>(
        &'a self,
        dispatcher: &'a Dispatcher,
        command: Command,
    ) -> BoxFuture<'a, Result<CommandResponse, CommandError>> {
        async move {
            let view = command
                .options
                .iter()
                .find(|(k, _)| k == "view" || k == "text")
                .map(|(_, v)| match v {
                    OptionValue::Text(t) => t.trim().to_lowercase(),
                    _ => String::new(),
                })
                .unwrap_or_default();
            match view.as_str() {
                "" | "now" => Ok(reply(render(dispatcher), true)),
                "history" => {
                    let store = dispatcher.runtime().store();
                    let hours = history::recent(store.as_ref(), now_ms(), HISTORY_HOURS)
                        .await
                        .map_err(|e| CommandError::Invalid {
                            command: "performance".into(),
                            message: format!("cannot read the history from the store: {e}"),
                        })?;
                    Ok(reply(render_history(&hours), true))
                }
                other => Err(CommandError::Invalid {
                    command: "performance".into(),
                    message: format!("unknown view `{other}`: use `now` or `history`"),
                }),
            }
        }
        .boxed()
    }
}

/// The report text.
pub fn render(d: &Dispatcher) -> String {
    let m = d.metrics();
    let config = d.config();
    let mut out = String::new();
    let up = m.uptime().as_secs();
    let _ = writeln!(
        out,
        "**Astra performance** (up {}h {:02}m {:02}s)",
        up / 3600,
        up / 60 % 60,
        up % 60
    );

    let (now, peak) = m.per_second();
    let outcomes = m.outcome_counts();
    let settled: u64 = outcomes.iter().sum();
    let success = if settled == 0 {
        100.0
    } else {
        100.0 * outcomes[OutcomeKind::Processed as usize] as f64 / settled as f64
    };
    let _ = writeln!(
        out,
        "messages/s: {now} now, {peak} peak · received {} · success {success:.1} % (processed {}, rate limited {}, shed {}, failed {}) · retries {}",
        thousands(m.received_count()),
        thousands(outcomes[OutcomeKind::Processed as usize]),
        thousands(outcomes[OutcomeKind::RateLimited as usize]),
        thousands(outcomes[OutcomeKind::Shed as usize]),
        thousands(outcomes[OutcomeKind::Failed as usize]),
        thousands(m.retries()),
    );
    let depths = d.queue_depths();
    let _ = writeln!(
        out,
        "queues: critical {} · high {} · normal {} · low {} (capacity {} in all)",
        depths[0], depths[1], depths[2], depths[3], config.queue_capacity
    );
    let _ = writeln!(
        out,
        "jobs: {} running, {} peak (limit {}, {} reserved for critical)",
        m.active_jobs(),
        m.peak_active_jobs(),
        config.max_concurrent,
        config.reserved_critical
    );

    let _ = writeln!(out, "```");
    let _ = writeln!(
        out,
        "{:<9} {:>9} {:>9} {:>9} {:>9}",
        "latency", "msgs", "p50", "p99", "max"
    );
    for p in Priority::ALL {
        let l = m.latency(p);
        if l.count == 0 {
            let _ = writeln!(
                out,
                "{:<9} {:>9} {:>9} {:>9} {:>9}",
                p.name(),
                0,
                "-",
                "-",
                "-"
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{:<9} {:>9} {:>9} {:>9} {:>9}",
            p.name(),
            thousands(l.count),
            us(l.p50_us as f64),
            us(l.p99_us as f64),
            us(l.max_us as f64)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<13} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9}",
        "cog", "calls", "errors", "crashes", "avg", "p99", "max"
    );
    for cog in d.runtime().cogs().iter() {
        let s = cog.stats.snapshot();
        let _ = writeln!(
            out,
            "{:<13} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9}",
            cog.name,
            thousands(s.calls),
            thousands(s.errors),
            thousands(s.crashes),
            us(s.mean_us),
            us(s.p99_us as f64),
            us(s.max_us as f64)
        );
    }
    let _ = writeln!(out, "```");

    let p = m.process();
    let mib = |b: Option<u64>| b.map_or("?".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0));
    let pct = |v: Option<f64>| v.map_or("?".into(), |v| format!("{v:.1} %"));
    let _ = write!(
        out,
        "process: memory {} (peak {}) · CPU {} in all, {} of a core since start, {} since the last /performance",
        mib(p.rss_bytes),
        mib(p.rss_peak_bytes),
        p.cpu.map_or("?".into(), |c| format!("{:.2} s", c.as_secs_f64())),
        pct(p.cpu_pct_since_start),
        pct(p.cpu_pct_recent),
    );
    out
}

/// Hours `/performance view:history` shows.
pub const HISTORY_HOURS: u32 = 24;

/// The history table: one line per hour with traffic (UTC), oldest first.
pub fn render_history(hours: &[(String, HourRecord)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**Astra performance, last {HISTORY_HOURS} hours** (UTC; hours without traffic left out)"
    );
    if hours.is_empty() {
        let _ = writeln!(
            out,
            "No history yet: figures are written every minute while the bot runs."
        );
        return out;
    }
    let _ = writeln!(out, "```");
    let _ = writeln!(
        out,
        "{:<13} {:>9} {:>7} {:>9} {:>7} {:>7} {:>11} {:>11}",
        "hour", "msgs", "msgs/s", "processed", "shed", "failed", "crit avg", "crit p99*"
    );
    for (key, r) in hours {
        let hour = key.trim_start_matches("hour:");
        let label = format!(
            "{}-{}-{} {}h",
            &hour[..4.min(hour.len())],
            hour.get(4..6).unwrap_or(""),
            hour.get(6..8).unwrap_or(""),
            hour.get(8..10).unwrap_or("")
        );
        let critical = r.latency.get(Priority::Critical.name());
        let _ = writeln!(
            out,
            "{:<13} {:>9} {:>7.1} {:>9} {:>7} {:>7} {:>11} {:>11}",
            label,
            thousands(r.received),
            r.received as f64 / 3600.0,
            thousands(r.processed),
            thousands(r.shed),
            thousands(r.failed),
            critical.map_or("-".into(), |l| us(l.avg_us() as f64)),
            critical.map_or("-".into(), |l| us(l.worst_p99_us as f64)),
        );
    }
    let _ = writeln!(out, "```");
    let _ = writeln!(out, "*p99: the worst minute of the hour.");
    out
}
