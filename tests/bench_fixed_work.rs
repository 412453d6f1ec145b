//! `astra bench flood --no-shed`: the fixed-work flood, in a binary of its own (a
//! flood of spans on other threads while `tests/performance.rs` checks its own spans
//! hid them from its thread-local subscriber).

mod common;

use astra::bench::{run_scenario, Options, Scenario};
use common::*;

/// `astra bench flood --no-shed`: the queues hold the whole flood, so every message is
/// processed and msgs per CPU-second is the whole pipeline's cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_without_shedding_processes_every_message() {
    let dir = tempdir();
    let base = config(dir.path(), "");
    let options = Options {
        messages: Some(5000),
        model_delay_ms: Some(0),
        no_shed: true,
    };
    let report = run_scenario(&base, Scenario::Flood, &options)
        .await
        .expect("the bench runs");
    let l = &report.ledger;
    assert_eq!(l.received, 5000, "{l:?}");
    assert_eq!((l.shed, l.failed, l.in_flight), (0, 0, 0), "{l:?}");
    assert_eq!(l.processed + l.rate_limited, 5000, "{l:?}");
    assert!(report.about.contains("--no-shed"), "{}", report.about);
    assert!(
        report.notes.iter().all(|n| !n.contains("were shed")),
        "{:?}",
        report.notes
    );
}
