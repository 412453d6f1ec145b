//! Performance tooling, checked for what it reports — never for how fast anything is:
//! a small bench scenario balances its ledger and has a row for every priority it sent,
//! `/performance` shows every section, and `/test_concurrent` runs synthetic messages
//! through the live pipeline without the gateway ever seeing them.

mod common;

use astra::bench::{run_scenario, Options, Scenario};
use astra::event::{OptionValue, Permission, Priority};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_mixed_bench_balances_its_ledger_and_reports_every_priority() {
    let dir = tempdir();
    let base = config(dir.path(), "");
    let options = Options {
        messages: Some(20),
        model_delay_ms: Some(0),
    };
    let report = run_scenario(&base, Scenario::Mixed, &options)
        .await
        .expect("the bench runs");
    assert_eq!(report.messages, 20);
    let l = &report.ledger;
    assert!(l.zero_lost, "{l:?}");
    assert_eq!(l.received, 20);
    assert_eq!(l.processed + l.rate_limited + l.shed + l.failed, 20);
    assert_eq!((l.in_flight, l.doubled), (0, 0));
    let priorities: Vec<Priority> = report.priorities.iter().map(|r| r.priority).collect();
    assert_eq!(
        priorities,
        Priority::ALL,
        "abuse, questions, chat and bot posts"
    );
    assert!(report
        .priorities
        .iter()
        .all(|r| r.messages > 0 && r.max_us >= r.min_us));
    assert!(report
        .cogs
        .iter()
        .any(|c| c.name == "security" && c.stats.calls > 0));
    let table = report.render();
    for needle in [
        "critical",
        "high",
        "normal",
        "low",
        "ledger: received 20",
        "zero lost",
        "old Python bot",
    ] {
        assert!(table.contains(needle), "{needle} missing from\n{table}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ledger"]["zero_lost"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn performance_shows_throughput_queues_jobs_latency_cogs_and_the_process() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    h.start();
    h.say("alice", "!critical").await;
    h.say("bob", "plain chat").await;
    h.outcomes(2).await;

    let d = h.dispatcher();
    let denied = d
        .command(command("performance", "bob", &[], &[]))
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("ManageGuild"), "{denied}");

    let reply = d
        .command(command(
            "performance",
            "mod",
            &[Permission::ManageGuild],
            &[],
        ))
        .await
        .expect("/performance answers");
    assert_eq!(reply.cog, "host");
    for needle in [
        "messages/s",
        "peak",
        "queues: critical 0",
        "jobs:",
        "critical",
        "low",
        "p99",
        "test-echo",
        "memory",
        "CPU",
        "success 100.0 %",
    ] {
        assert!(
            reply.content.contains(needle),
            "{needle} missing from\n{}",
            reply.content
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_concurrent_runs_synthetic_messages_that_the_gateway_never_sees() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], "bundled_cogs = true\n").await;
    h.start();
    let d = h.dispatcher();
    let reply = d
        .command(command(
            "test_concurrent",
            "mod",
            &[Permission::ManageGuild],
            &[("count", OptionValue::Integer(30))],
        ))
        .await
        .expect("/test_concurrent answers");
    let table = &reply.content;
    for needle in [
        "30 synthetic messages",
        "critical",
        "ledger: received 30",
        "zero lost",
    ] {
        assert!(table.contains(needle), "{needle} missing from\n{table}");
    }
    // They went through the live pipeline: counted in the ledger...
    let ledger = d.ledger();
    assert_eq!(ledger.received, 30);
    assert!(ledger.balanced() && ledger.in_flight == 0);
    // ...and their outcomes are marked so a gateway skips them.
    let outcomes = h.outcomes(30).await;
    assert!(outcomes.values().all(|o| o.is_synthetic()));

    let too_many = d
        .command(command(
            "test_concurrent",
            "mod",
            &[Permission::ManageGuild],
            &[("count", OptionValue::Integer(1_000_000))],
        ))
        .await
        .unwrap_err();
    assert!(too_many.to_string().contains("count must be"), "{too_many}");
    h.stop().await;
}
