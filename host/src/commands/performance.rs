//! `/performance`: how the host is doing right now, for moderators (ManageGuild):
//! messages per second now and at peak, queue depths, running jobs, latency per
//! priority, success rate, each cog's calls, errors and latency, and the process's
//! memory and CPU. The console runs it as `/performance`.

use super::{reply, HostCommand};
use crate::bench::report::{thousands, us};
use crate::dispatch::{CommandError, Dispatcher};
use crate::event::{Command, CommandResponse, OutcomeKind, Permission, Priority};
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

    fn run<'a>(
        &'a self,
        dispatcher: &'a Dispatcher,
        _command: Command,
    ) -> BoxFuture<'a, Result<CommandResponse, CommandError>> {
        async move { Ok(reply(render(dispatcher), true)) }.boxed()
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
