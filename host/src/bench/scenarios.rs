//! The bench scenarios: the old Python bot's four (security, ai, mixed, stress) and the
//! larger loads (flood, priority-inversion, swap). Each builds a fresh [`Rig`], warms
//! it up, sends its traffic and turns what the rig measured into a [`Report`].
//!
//! Limits are the production defaults unless a scenario says otherwise (and the report
//! prints the ones used). The model is the `stand-in` backend: a fixed delay and no
//! CPU, so the figures are the host's.

use super::report::{counts, rate, LedgerCheck, OldBot, Report, Setup};
use super::rig::{Measured, Rig, WARMUP_GUILD};
use super::traffic::{self, Mix, Place};
use super::{Options, Scenario};
use crate::config::Config;
use crate::event::Priority;
use crate::gateway::local;
use anyhow::{Context, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most warm-up messages a scenario sends before it measures.
const WARMUP_MAX: usize = 2000;

/// The flood target: messages per CPU-second through triage + security + analytics.
const FLOOD_TARGET_PER_CPU_SEC: f64 = 20_000.0;

/// A scenario that is one burst of traffic.
struct Burst {
    about: String,
    mix: Mix,
    messages: usize,
    users: usize,
    streams: usize,
    model_delay_ms: u64,
    limits: String,
    old_bot: Option<OldBot>,
}

pub async fn run(base: &Config, scenario: Scenario, options: &Options) -> Result<Report> {
    let n = options.messages;
    let delay = options.model_delay_ms;
    let at_once = |default: usize| n.unwrap_or(default).max(1);
    let burst = match scenario {
        Scenario::PriorityInversion => return priority_inversion(base, options).await,
        Scenario::Swap => return swap(base, options).await,
        Scenario::Security => {
            let m = at_once(10);
            Burst {
                about: format!("{m} users posting abuse at once"),
                mix: traffic::ALL_ABUSE,
                messages: m,
                users: m,
                streams: m,
                model_delay_ms: delay.unwrap_or(0),
                limits: String::new(),
                old_bot: Some(OldBot {
                    messages: Some(10),
                    success_pct: Some(100.0),
                    avg_ms: 52.0,
                }),
            }
        }
        Scenario::Ai => {
            let m = at_once(10);
            Burst {
                about: format!("{m} users asking the bot at once"),
                mix: traffic::ALL_ASK,
                messages: m,
                users: m,
                streams: m,
                model_delay_ms: delay.unwrap_or(0),
                limits: String::new(),
                old_bot: Some(OldBot {
                    messages: None,
                    success_pct: None,
                    avg_ms: 298.0,
                }),
            }
        }
        Scenario::Mixed => {
            let m = at_once(20);
            Burst {
                about: format!("{m} users, mixed traffic at once"),
                mix: traffic::MIXED,
                messages: m,
                users: m,
                streams: m,
                model_delay_ms: delay.unwrap_or(0),
                limits: String::new(),
                old_bot: Some(OldBot {
                    messages: None,
                    success_pct: None,
                    avg_ms: 234.0,
                }),
            }
        }
        Scenario::Stress => {
            let m = at_once(500);
            let users = (m / 5).max(50).min(m);
            Burst {
                about: format!("{users} concurrent users, {m} mixed messages"),
                mix: traffic::MIXED,
                messages: m,
                users,
                streams: users,
                model_delay_ms: delay.unwrap_or(0),
                limits: String::new(),
                old_bot: Some(OldBot {
                    messages: None,
                    success_pct: Some(98.0),
                    avg_ms: 445.0,
                }),
            }
        }
        Scenario::Flood => flood(n, delay, options.no_shed),
    };
    let mut rig = Rig::start(
        base,
        scenario.name(),
        &host_toml(&burst.limits, burst.model_delay_ms),
    )
    .await?;
    let measured = play(&mut rig, &burst).await?;
    let mut report = report(scenario, &burst, &rig, measured);
    if scenario == Scenario::Flood {
        flood_notes(&mut report);
    }
    Ok(report)
}

/// 100,000 messages (or `n`) as fast as four senders can submit them, mostly chat and
/// other bots' posts; production limits, so the queues overflow and shed honestly.
/// The flood pipeline: triage + security + analytics (the companion, support
/// and moderation are off; `stress` and `mixed` run all five).
const FLOOD_COGS: &str = "[cogs.ai-companion]\nenabled = false\n[cogs.support]\nenabled = false\n\
                          [cogs.moderation]\nenabled = false\n";

/// The flood burst (see [`FLOOD_COGS`]). With `no_shed`, the queues hold the whole
/// flood: every message is processed, so msgs per CPU-second is the cost of the whole
/// pipeline, not partly of shedding.
fn flood(n: Option<usize>, delay: Option<u64>, no_shed: bool) -> Burst {
    let m = n.unwrap_or(100_000).max(1);
    let mut limits = FLOOD_COGS.to_string();
    if no_shed {
        limits += &format!("[limits]\nqueue_capacity = {}\n", m + 1000);
    }
    Burst {
        about: format!(
            "{m} messages as fast as possible, mixed priorities, through security + analytics{}",
            if no_shed {
                ", queues that hold them all (--no-shed)"
            } else {
                ""
            }
        ),
        mix: traffic::FLOOD,
        messages: m,
        // five messages per user: a flood of people, not of one spammer
        users: (m / 5).max(1),
        streams: 4,
        model_delay_ms: delay.unwrap_or(0),
        limits,
        old_bot: None,
    }
}

/// Warm up, then send the burst and measure it.
async fn play(rig: &mut Rig, burst: &Burst) -> Result<Measured> {
    let warm = traffic::generate(
        burst.mix,
        burst.messages.min(WARMUP_MAX),
        burst.users,
        &place(WARMUP_GUILD, "warm-"),
    );
    rig.warm_up(traffic::streams(warm, burst.streams)).await?;
    let messages = traffic::generate(burst.mix, burst.messages, burst.users, &place("bench", "m"));
    let streams = traffic::streams(messages, burst.streams);
    rig.mark();
    rig.send(streams).await;
    rig.finish().await
}

/// 1,000 AI requests (or `--messages`) whose model takes 300 ms each, all running at
/// once, while CRITICAL messages keep arriving (one per millisecond). Enough permits
/// that every AI request runs at once: the general ones are all taken by AI work, so
/// CRITICAL messages get through only by their reserved permits.
/// Self-harm messages addressed to the bot (priority-inversion's emergencies).
const CRISIS_TO_BOT: [&str; 3] = [
    "@Astra I want to kill myself",
    "@Astra i just want to end my life",
    "@Astra i dont want to live anymore",
];

async fn priority_inversion(base: &Config, options: &Options) -> Result<Report> {
    let ai = options.messages.unwrap_or(1000).max(1);
    let critical = (ai / 5).max(50);
    let delay = options.model_delay_ms.unwrap_or(300);
    let limits = format!(
        "[limits]\nmax_concurrent = {}\nreserved_critical = 10\nqueue_capacity = {}\n",
        ai + 10,
        ai + critical + 100
    );
    let burst = Burst {
        about: format!(
            "{ai} AI requests ({delay} ms model) in flight while {critical} critical messages arrive (one in five: a crisis addressed to the bot)"
        ),
        mix: traffic::MIXED,
        messages: ai + critical,
        users: ai + critical,
        streams: 4,
        model_delay_ms: delay,
        limits,
        old_bot: None,
    };
    let mut rig = Rig::start(base, "priority-inversion", &host_toml(&burst.limits, delay)).await?;
    let warm = traffic::generate(traffic::MIXED, 200, 200, &place(WARMUP_GUILD, "warm-"));
    rig.warm_up(traffic::streams(warm, 20)).await?;

    let asks = traffic::generate(traffic::ALL_ASK, ai, ai, &place("bench", "ai-"));
    let crit = place("bench", "crit-");
    let mut abuse = traffic::generate(traffic::ALL_ABUSE, critical, critical, &crit);
    for (i, m) in abuse.iter_mut().enumerate() {
        // Every fifth is someone in crisis talking to the bot: CRITICAL for security
        // (a care reply) and HIGH for the companion (a model call). Its care reply is
        // ready, and counted, before the model has answered.
        if i % 5 == 0 {
            let text = CRISIS_TO_BOT[i / 5 % CRISIS_TO_BOT.len()];
            let mut crisis = local::message(&m.author.id, text, &crit.bot_name);
            crisis.id = m.id.clone();
            crisis.guild_id = m.guild_id.clone();
            crisis.channel_id = m.channel_id.clone();
            *m = crisis;
        }
        m.author.id = format!("reporter-{}", m.author.id);
        m.author.name = m.author.id.clone();
    }
    rig.mark();
    rig.send(traffic::streams(asks, 4)).await;
    let d = rig.dispatcher();
    let waited = Instant::now();
    while d.metrics().active_jobs() < ai as u64 && waited.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut lo, mut hi) = (u64::MAX, 0);
    for m in abuse {
        tick.tick().await;
        let running = d.metrics().active_jobs();
        lo = lo.min(running);
        hi = hi.max(running);
        d.submit(m).await;
    }
    let measured = rig.finish().await?;
    let mut report = report(Scenario::PriorityInversion, &burst, &rig, measured);
    report.notes.push(format!(
        "each critical message arrived while {lo}–{hi} jobs were running: the AI requests can hold all {ai} general permits, critical work also has 10 reserved ones"
    ));
    Ok(report)
}

/// The flood while the security cog is re-installed every 100 ms: prepared again from
/// its bytes and installed, exactly as hot reload swaps a cog. Running calls finish on
/// the old version; nothing may be lost or fail.
async fn swap(base: &Config, options: &Options) -> Result<Report> {
    let burst = Burst {
        about: String::new(),
        ..flood(options.messages, options.model_delay_ms, options.no_shed)
    };
    let mut rig = Rig::start(
        base,
        "swap",
        &host_toml(&burst.limits, burst.model_delay_ms),
    )
    .await?;
    let warm = traffic::generate(
        burst.mix,
        burst.messages.min(WARMUP_MAX),
        burst.users,
        &place(WARMUP_GUILD, "warm-"),
    );
    rig.warm_up(traffic::streams(warm, burst.streams)).await?;
    let messages = traffic::generate(burst.mix, burst.messages, burst.users, &place("bench", "m"));
    let streams = traffic::streams(messages, burst.streams);

    let (_, bytes) = crate::cogs::bundled()
        .iter()
        .find(|(name, _)| *name == "security")
        .context("the security cog is not bundled")?;
    let runtime = rig.app.runtime.clone();
    let config = rig.app.policy.config();
    let retired = rig.retired();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    rig.mark();
    let swapper = tokio::spawn({
        let (stop, swaps) = (stop.clone(), swaps.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let policy = |name: &str| crate::app::policy_for(&config, name, true);
                match runtime.prepare(bytes, "bundled:security", policy).await {
                    Ok(cog) => {
                        if let Some(old) = runtime.install(cog) {
                            retired.lock().unwrap_or_else(|p| p.into_inner()).push(old);
                        }
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => tracing::error!("swap: {e}"),
                }
            }
        }
    });
    rig.send(streams).await;
    stop.store(true, Ordering::Relaxed);
    let _ = swapper.await;
    let measured = rig.finish().await?;
    let n = swaps.load(Ordering::Relaxed);
    let burst = Burst {
        about: format!(
            "the flood ({} messages) while security is hot-swapped every 100 ms",
            burst.messages
        ),
        ..burst
    };
    let mut report = report(Scenario::Swap, &burst, &rig, measured);
    flood_notes(&mut report);
    report.notes.push(format!(
        "security was swapped {n} times (prepare + install of the same bytes); target: zero lost and zero failed — {}",
        if report.ledger.zero_lost && report.failed == 0 { "met" } else { "NOT met" }
    ));
    Ok(report)
}

/// The host's config for a scenario: its limits, the stand-in model, no embeddings.
fn host_toml(limits: &str, model_delay_ms: u64) -> String {
    format!(
        "{limits}\n[llm]\nbackend = \"stand-in\"\nstand_in_delay_ms = {model_delay_ms}\n\n[embed]\nbackend = \"none\"\n"
    )
}

/// "5 bundled cogs", or which of them are on in the bench guild when not all are.
fn on_in_bench(rig: &Rig) -> String {
    let cogs = rig.app.runtime.cogs();
    let on: Vec<&str> = cogs
        .iter()
        .filter(|c| rig.app.policy.is_enabled(&c.name, "bench"))
        .map(|c| &*c.name)
        .collect();
    if on.len() == cogs.len() {
        format!("{} bundled cogs", cogs.len())
    } else {
        format!("bundled cogs on: {}", on.join(" + "))
    }
}

fn place(guild: &str, id_prefix: &str) -> Place {
    Place {
        guild: guild.into(),
        channel: "general".into(),
        bot_name: "Astra".into(),
        id_prefix: id_prefix.into(),
    }
}

fn report(scenario: Scenario, burst: &Burst, rig: &Rig, m: Measured) -> Report {
    let config = rig.app.policy.config();
    let d = &config.dispatch;
    let rate_on: Vec<&str> = d.rate_limited.iter().map(|p| p.name()).collect();
    let (messages, kinds, success_pct) = counts(&m.tally);
    let secs = m.elapsed.as_secs_f64();
    let cpu_secs = m.cpu.map(|c| c.as_secs_f64());
    let notes: Vec<String> = m
        .suspended
        .iter()
        .map(|s| format!("SUSPENDED by its circuit breaker during the run: cog {s}"))
        .collect();
    Report {
        scenario: scenario.name().into(),
        about: burst.about.clone(),
        setup: Setup {
            cogs: format!(
                "{}, {}",
                on_in_bench(rig),
                match rig.app.store.backend() {
                    "sqlite" => "SQLite in a temp dir",
                    _ => "PostgreSQL (--store)",
                }
            ),
            model: format!("stand-in model {} ms", burst.model_delay_ms),
            queue_capacity: d.queue_capacity,
            max_concurrent: d.max_concurrent,
            reserved_critical: d.reserved_critical,
            rate_limit: format!(
                "{}/{} s on {}",
                d.rate_limit.messages,
                d.rate_limit.per.as_secs(),
                rate_on.join("+")
            ),
            users: burst.users,
            streams: burst.streams,
        },
        messages,
        processed: kinds[0],
        rate_limited: kinds[1],
        shed: kinds[2],
        failed: kinds[3],
        success_pct,
        elapsed_ms: secs * 1000.0,
        msgs_per_sec: rate(messages, secs),
        processed_per_sec: rate(kinds[0], secs),
        cpu_ms: cpu_secs.map(|c| c * 1000.0),
        msgs_per_cpu_sec: cpu_secs.filter(|c| *c > 0.0).map(|c| messages as f64 / c),
        peak_active_jobs: m.peak_active_jobs,
        avg_us: m.tally.avg_us(),
        priorities: m.tally.rows(),
        cogs: m.cogs,
        ledger: LedgerCheck::new(m.ledger, &m.tally),
        old_bot: burst.old_bot,
        notes,
        errors: m.tally.error_samples(),
    }
}

/// The flood's targets: throughput per CPU-second, and shedding only LOW/NORMAL.
fn flood_notes(report: &mut Report) {
    if let Some(per) = report.msgs_per_cpu_sec {
        report.notes.push(format!(
            "target ≥ 20,000 msgs per CPU-second (one core) through triage + handlers: {} ({:.0})",
            if per >= FLOOD_TARGET_PER_CPU_SEC {
                "met"
            } else {
                "NOT met"
            },
            per
        ));
    }
    let shed = |p: Priority| {
        report
            .priorities
            .iter()
            .find(|r| r.priority == p)
            .map_or(0, |r| r.shed)
    };
    let urgent_shed = shed(Priority::Critical) + shed(Priority::High);
    let shed_all = shed(Priority::Normal) + shed(Priority::Low) + urgent_shed;
    if shed_all > 0 {
        report.notes.push(format!(
            "{shed_all} of {} messages were shed, and msgs per CPU-second counts them too: `--no-shed` measures with every message processed",
            report.messages
        ));
    }
    report.notes.push(format!(
        "shed by priority: critical {}, high {}, normal {}, low {} — {}",
        shed(Priority::Critical),
        shed(Priority::High),
        shed(Priority::Normal),
        shed(Priority::Low),
        if urgent_shed == 0 {
            "only low/normal shed ✓"
        } else {
            "urgent work was shed ✗"
        }
    ));
}
