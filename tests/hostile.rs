//! Hostile cogs, each a real compiled component: a cog that loops (in triage or in
//! its handler), eats memory, recurses without end, panics, traps on every one of
//! 10,000 calls, returns 100,000 actions or a 10 MB reply, hammers `kv` or spams `llm`.
//! For each: the other cogs keep serving, every message gets its outcome, the error
//! names the offending cog, and past the threshold its circuit breaker suspends it
//! (visible in `/plugins list`) until the cool-down ends or a fixed version is loaded.

mod common;

use astra::event::{Action, OptionValue, OutcomeKind, Permission};
use astra::runtime::BreakerState;

use common::*;
use std::sync::atomic::Ordering;

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

async fn admin(h: &Host, name: &str, options: &[(&str, OptionValue)]) -> String {
    h.dispatcher()
        .command(command(
            name,
            "admin",
            &[Permission::Administrator],
            options,
        ))
        .await
        .map(|r| r.content)
        .unwrap_or_else(|e| format!("error: {e}"))
}

/// What `test-abuser` asks for must be granted explicitly (it is not bundled).
const ABUSER: &str =
    "[cogs.test-abuser]\ngrants = [\"log\", \"kv\", \"config\", \"llm\", \"reply\"]\n";

fn replied_by(o: &astra::event::Outcome, cog: &str) -> bool {
    o.actions.iter().any(|a| a.cog == cog)
}

/// Send `trigger` six times to a host running `cog` next to `test-echo`, with a breaker
/// that opens after 3 crashes: the first three fail naming the cog (echo still
/// answers), then the cog is suspended and skipped, and `/plugins list` says why.
async fn crashes_then_suspended(cog: &str, trigger: &str, toml: &str, expect: &str) {
    let dir = tempdir();
    let toml = format!(
        "[limits]\nbreaker_crashes = 3\nbreaker_window_ms = 600000\nbreaker_cooldown_ms = 600000\n\
         triage_deadline_ms = 1000\n{toml}"
    );
    let mut h = host(dir.path(), &["test-echo", cog], &toml).await;
    h.start();
    for i in 0..6 {
        h.say("alice", &format!("{trigger} {i}")).await;
        let o = h.one().await;
        assert!(
            replied_by(&o, "test-echo"),
            "message {i}: the other cog still answers: {o:?}"
        );
        if i < 3 {
            assert_eq!(o.outcome, OutcomeKind::Failed, "message {i}");
            let error = o.error.unwrap();
            assert!(
                error.contains(cog) && error.contains(expect),
                "message {i}: {error}"
            );
        } else {
            assert_eq!(
                o.outcome,
                OutcomeKind::Processed,
                "message {i}: {:?}",
                o.error
            );
        }
    }
    let loaded = h.app.runtime.cog(cog).unwrap();
    assert_eq!(
        loaded.stats.crashes.load(Ordering::Relaxed),
        3,
        "not called once suspended"
    );
    assert!(loaded.breaker.refused.load(Ordering::Relaxed) >= 3);
    match loaded.breaker.state() {
        BreakerState::Open { reason, .. } => assert!(reason.contains("3 crashes"), "{reason}"),
        other => panic!("breaker should be open: {other:?}"),
    }
    let list = admin(&h, "plugins list", &[]).await;
    let row = list.lines().find(|l| l.starts_with(cog)).unwrap();
    assert!(row.contains("suspended"), "{list}");
    assert!(
        list.contains(&format!("{cog}: suspended for 600 s: 3 crashes")),
        "{list}"
    );
    h.stop().await;
    let ledger = h.dispatcher().ledger();
    assert!(ledger.balanced() && ledger.received == 6, "{ledger:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_looping_in_its_handler_is_suspended_after_three_deadlines() {
    crashes_then_suspended(
        "test-looper",
        "loop",
        "[cogs.test-looper]\nhandle_deadline_ms = 20\n",
        "CPU deadline",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_looping_in_triage_is_suspended_and_its_messages_still_settle() {
    crashes_then_suspended(
        "test-looper",
        "loop-triage",
        "[cogs.test-looper]\ntriage_deadline_ms = 5\n",
        "CPU deadline",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_allocating_without_bound_is_suspended_after_three_memory_caps() {
    crashes_then_suspended(
        "test-hog",
        "feed me",
        "[cogs.test-hog]\nmemory_mib = 16\n",
        "memory limit",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_that_recurses_without_end_traps_on_stack_overflow_and_is_suspended() {
    crashes_then_suspended("test-abuser", "recurse", ABUSER, "trapped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_cog_is_suspended_and_its_command_says_why() {
    crashes_then_suspended("test-panicker", "boom", "", "trapped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_cog_relapses_after_its_cool_down_and_a_reload_gives_it_a_fresh_start() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-panicker"],
        "[limits]\nbreaker_crashes = 2\nbreaker_window_ms = 600000\nbreaker_cooldown_ms = 1000\n",
    )
    .await;
    h.start();
    let runtime = h.app.runtime.clone();
    let panicker = move || runtime.cog("test-panicker").unwrap();
    for _ in 0..2 {
        h.say("alice", "boom").await;
        assert_eq!(h.one().await.outcome, OutcomeKind::Failed);
    }
    assert!(panicker().breaker.is_open());
    // Its slash command is refused with the reason, without calling it.
    let refused = admin(&h, "boom", &[]).await;
    assert!(
        refused.contains("test-panicker") && refused.contains("suspended"),
        "{refused}"
    );
    // Wait out the cool-down (no duration asserted: only the state is).
    while panicker().breaker.state() != BreakerState::HalfOpen {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.say("alice", "boom again").await;
    let relapse = h.one().await;
    assert_eq!(
        relapse.outcome,
        OutcomeKind::Failed,
        "called again after the cool-down"
    );
    match panicker().breaker.state() {
        BreakerState::Open { reason, .. } => {
            assert!(
                reason.contains("crashed again") && reason.contains("for 2 s"),
                "{reason}"
            )
        }
        other => panic!("relapse reopens it for twice as long: {other:?}"),
    }
    // An admin reloads the cog: a new version starts with a closed breaker.
    let reloaded = admin(
        &h,
        "plugins reload",
        &[("name", OptionValue::Text("test-panicker".into()))],
    )
    .await;
    assert!(reloaded.contains("reloaded"), "{reloaded}");
    assert_eq!(panicker().breaker.state(), BreakerState::Closed);
    h.say("alice", "boom after reload").await;
    let o = h.one().await;
    assert!(o.error.unwrap().contains("test-panicker"), "called again");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_exempted_from_the_breaker_is_called_however_often_it_crashes() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-panicker"],
        "[limits]\nbreaker_crashes = 2\n[cogs.test-panicker]\nbreaker_crashes = 0\n",
    )
    .await;
    h.start();
    for i in 0..6 {
        h.say("alice", &format!("boom {i}")).await;
        let o = h.one().await;
        assert!(
            o.error.unwrap().contains("test-panicker"),
            "message {i}: called"
        );
    }
    assert!(!h
        .app
        .runtime
        .cog("test-panicker")
        .unwrap()
        .breaker
        .is_open());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_storm_of_10000_calls_is_survived_and_every_message_gets_its_outcome() {
    const CALLS: usize = 10_000;
    let dir = tempdir();
    // Breaker off: every one of the calls really traps.
    let mut h = host(
        dir.path(),
        &["test-echo", "test-panicker"],
        "[limits]\nbreaker_crashes = 0\nqueue_capacity = 20000\ntriage_deadline_ms = 1000\n",
    )
    .await;
    h.start();
    let rss_before = peak_rss_mib();
    let d = h.dispatcher();
    let sender = tokio::spawn(async move {
        for i in 0..CALLS {
            let mut m = astra::gateway::local::message(&format!("u{}", i % 97), "storm", "Astra");
            m.id = format!("s{i}");
            d.submit(m).await;
        }
    });
    let outcomes = h.outcomes(CALLS).await;
    sender.await.unwrap();
    for o in outcomes.values() {
        assert_eq!(o.outcome, OutcomeKind::Failed, "{o:?}");
        assert!(o
            .error
            .as_deref()
            .unwrap()
            .contains("cog `test-panicker` trapped"));
        assert!(
            replied_by(o, "test-echo"),
            "the other cog answered every one"
        );
    }
    let panicker = h.app.runtime.cog("test-panicker").unwrap();
    assert_eq!(panicker.stats.crashes.load(Ordering::Relaxed), CALLS as u64);
    // A trapped instance is never reused, and its pool slot is given back: after
    // 10,000 traps (ten times the instance pool) new instances are still made.
    assert_eq!(panicker.idle_instances(), 0);
    h.say("bob", "still there").await;
    let after = h.one().await;
    assert!(replied_by(&after, "test-echo"));
    assert_eq!(
        h.dispatcher().metrics().retries(),
        0,
        "traps are never retried"
    );
    h.stop().await;
    let ledger = h.dispatcher().ledger();
    assert!(ledger.balanced(), "{ledger:?}");
    assert_eq!(
        ledger.failed,
        CALLS as u64 + 1,
        "the storm and the message after it"
    );
    println!(
        "trap storm: {CALLS} trapping calls survived; peak RSS {:.0} MiB (before {:.0} MiB)",
        peak_rss_mib(),
        rss_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returning_100000_actions_or_a_10_mb_reply_is_capped_and_the_host_goes_on() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo", "test-abuser"], ABUSER).await;
    h.start();
    let max = astra::dispatch::MAX_ACTIONS_PER_CALL;
    h.say("alice", "actions please").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Processed, "{:?}", o.error);
    let abuser: Vec<_> = o
        .actions
        .iter()
        .filter(|a| a.cog == "test-abuser")
        .collect();
    assert_eq!(abuser.len(), max, "only the first {max} are kept");
    assert_eq!(o.dropped.len(), max, "the outcome stays small");
    assert!(replied_by(&o, "test-echo"));

    h.say("alice", "big reply").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Processed, "{:?}", o.error);
    let reply = o
        .actions
        .iter()
        .find_map(|a| match (&a.action, a.cog.as_str()) {
            (Action::Reply { content }, "test-abuser") => Some(content),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        reply.len(),
        astra::dispatch::MAX_TEXT,
        "10 MB cut to Discord's limit"
    );
    assert!(replied_by(&o, "test-echo"));
    h.stop().await;
}

/// The number after `key=` in `text`.
fn number_after(text: &str, key: &str) -> u64 {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
    text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn reply_of(o: &astra::event::Outcome, cog: &str) -> String {
    o.actions
        .iter()
        .find_map(|a| match &a.action {
            Action::Reply { content } if a.cog == cog => Some(content.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no reply from {cog}: {o:?}"))
}

async fn in_guild(h: &mut Host, guild: &str, text: &str) -> astra::event::Outcome {
    let mut m = astra::gateway::local::message("alice", text, "Astra");
    m.guild_id = guild.into();
    h.send(m).await;
    h.one().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_in_a_tight_loop_meets_the_per_call_quota_then_the_per_minute_quota_per_guild() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-abuser"],
        &format!("[limits]\nkv_ops_per_call = 600\nkv_ops_per_minute = 1000\n{ABUSER}"),
    )
    .await;
    h.start();
    let first = reply_of(&in_guild(&mut h, "g1", "kv-loop").await, "test-abuser");
    assert_eq!(number_after(&first, "ops="), 600, "{first}");
    assert!(first.contains("QuotaExceeded"), "{first}");
    let second = in_guild(&mut h, "g1", "kv-loop").await;
    let text = reply_of(&second, "test-abuser");
    let ops = number_after(&text, "ops=");
    assert!(
        (400..600).contains(&ops),
        "the minute's quota ran out first: {text}"
    );
    // The echo cog in the same guild has its own quota and still counts.
    assert!(replied_by(&second, "test-echo"));
    assert_eq!(second.outcome, OutcomeKind::Processed);
    // Another guild has its own quota.
    let other = reply_of(&in_guild(&mut h, "g2", "kv-loop").await, "test-abuser");
    assert_eq!(number_after(&other, "ops="), 600, "{other}");
    let stored = h
        .app
        .store
        .get(
            astra::store::Scope {
                cog: "test-abuser",
                guild: "g1",
            },
            "hammer",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.parse::<u64>().unwrap(),
        600 + ops,
        "every op that succeeded is stored"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_spam_meets_the_budget_per_cog_and_guild_and_the_host_goes_on() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-abuser"],
        &format!("[limits]\nllm_calls_per_minute = 50\n{ABUSER}[llm]\nbackend = \"stand-in\"\nstand_in_delay_ms = 0\n"),
    )
    .await;
    h.start();
    let o = in_guild(&mut h, "g1", "llm-loop").await;
    let text = reply_of(&o, "test-abuser");
    let calls = number_after(&text, "calls=");
    assert!((50..60).contains(&calls), "{text}");
    assert!(text.contains("BudgetExceeded"), "{text}");
    assert!(replied_by(&o, "test-echo"));
    let again = reply_of(&in_guild(&mut h, "g1", "llm-loop").await, "test-abuser");
    assert!(
        number_after(&again, "calls=") < 10,
        "the budget is spent: {again}"
    );
    let other = reply_of(&in_guild(&mut h, "g2", "llm-loop").await, "test-abuser");
    assert!(
        number_after(&other, "calls=") >= 50,
        "another guild has its own: {other}"
    );
    h.stop().await;
}
