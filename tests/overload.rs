//! Overload: ten times more messages than the queues hold, sent as fast as four
//! producers can, while the handlers wait on a model. CRITICAL work is never shed,
//! every message gets exactly one outcome, the ledger balances, and memory stays
//! bounded (the peak RSS is printed; this test is alone in its binary so the figure is
//! its own).

mod common;

use astra::event::{OutcomeKind, Priority};
use common::*;
use std::collections::HashMap;

/// (current, peak) resident memory of this process, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_times_the_queue_capacity_sheds_only_lower_priorities_and_the_ledger_balances() {
    const CAPACITY: usize = 1000;
    const MESSAGES: usize = 10 * CAPACITY;
    const PRODUCERS: usize = 4;
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-abuser"],
        &format!(
            "[limits]\nqueue_capacity = {CAPACITY}\nmax_concurrent = 50\nreserved_critical = 10\n\
             triage_deadline_ms = 1000\n\
             llm_calls_per_minute = 0\n\
             [cogs.test-abuser]\ngrants = [\"log\", \"kv\", \"config\", \"llm\", \"reply\"]\n\
             [llm]\nbackend = \"stand-in\"\nstand_in_delay_ms = 20\n"
        ),
    )
    .await;
    h.start();
    let (rss_before, _) = rss_mib();
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let d = h.dispatcher();
        producers.push(tokio::spawn(async move {
            for i in (p..MESSAGES).step_by(PRODUCERS) {
                // 10% CRITICAL, 45% NORMAL and 45% LOW AI work that waits on the model.
                let text = match i % 20 {
                    0 | 1 => "!critical report",
                    n if n % 2 == 0 => "chat slow",
                    _ => "!low slow",
                };
                let mut m =
                    astra::gateway::local::message(&format!("user{}", i % 500), text, "Astra");
                m.id = format!("o{i}");
                d.submit(m).await;
            }
        }));
    }
    let outcomes = h.outcomes(MESSAGES).await;
    for p in producers {
        p.await.unwrap();
    }
    let (_, peak) = rss_mib();
    h.stop().await;

    let mut by: HashMap<(Priority, OutcomeKind), usize> = HashMap::new();
    for o in outcomes.values() {
        *by.entry((o.priority, o.outcome)).or_default() += 1;
    }
    let count = |p, k| by.get(&(p, k)).copied().unwrap_or(0);
    let critical = MESSAGES / 10;
    assert_eq!(
        count(Priority::Critical, OutcomeKind::Processed),
        critical,
        "every CRITICAL message processed, none shed: {by:?}"
    );
    let shed: usize = Priority::ALL
        .iter()
        .map(|p| count(*p, OutcomeKind::Shed))
        .sum();
    assert!(shed > 0, "the queues really overflowed: {by:?}");
    assert_eq!(count(Priority::Critical, OutcomeKind::Shed), 0);
    assert!(
        outcomes.values().all(|o| o.outcome != OutcomeKind::Failed),
        "overload sheds, it does not fail: {by:?}"
    );
    let ledger = h.dispatcher().ledger();
    assert!(ledger.balanced(), "{ledger:?}");
    assert_eq!(ledger.received, MESSAGES as u64);
    assert_eq!(ledger.in_flight, 0);
    assert_eq!(ledger.settled(), MESSAGES as u64);
    // Bounded: the queues hold at most CAPACITY jobs, CRITICAL waits instead of
    // piling up, so the growth is a few tens of MiB, not proportional to the traffic.
    let growth = peak - rss_before;
    println!(
        "overload: {MESSAGES} messages into a {CAPACITY}-job queue from {PRODUCERS} producers: \
         processed {}, shed {shed} (critical shed 0); peak RSS {peak:.0} MiB (start {rss_before:.0} MiB, +{growth:.0} MiB)",
        ledger.processed
    );
    assert!(growth < 256.0, "memory grew by {growth:.0} MiB");
}
