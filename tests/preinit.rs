//! Pre-initialisation, on real compiled cogs: a cog's `init` runs once at load, its
//! memory is snapshotted into the component, and every instance (fresh ones included)
//! starts from that snapshot; a cog whose `init` fails is refused with the reason.

mod common;

use astra::event::{Action, OutcomeKind};
use common::*;

/// The replies of `n` concurrent "!init" messages to the test-init cog.
async fn replies(h: &mut Host, n: usize) -> Vec<String> {
    let mut senders = Vec::new();
    for i in 0..n {
        let d = h.dispatcher();
        senders.push(tokio::spawn(async move {
            let mut m = astra::gateway::local::message(&format!("user{i}"), "!init", "Astra");
            m.id = format!("init-{i}");
            d.submit(m).await;
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let outcomes = h.outcomes(n).await;
    outcomes
        .values()
        .map(|o| {
            assert_eq!(o.outcome, OutcomeKind::Processed, "{o:?}");
            match &o.actions[..] {
                [a] => match &a.action {
                    Action::Reply { content } => content.clone(),
                    other => panic!("expected a reply, got {other:?}"),
                },
                other => panic!("expected one action, got {other:?}"),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_runs_once_at_load_and_every_instance_starts_from_its_snapshot() {
    let dir = tempdir();
    // Twice: the first load makes the snapshot, the second finds it in the cache.
    for _ in 0..2 {
        let mut h = host(dir.path(), &["test-init"], "").await;
        h.start();
        // 40 at once: the pool starts empty, so most run in brand-new instances.
        let texts = replies(&mut h, 40).await;
        assert!(
            texts.iter().all(|t| t == "init runs 1; table built"),
            "every instance starts from the snapshot: {texts:?}"
        );
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_whose_init_panics_is_refused_with_the_panic_text() {
    let dir = tempdir();
    let app = astra::app::App::build(
        config(dir.path(), ""),
        astra::app::LoadOptions {
            extra_cogs: vec![cog_path("test-init-panics"), cog_path("test-echo")],
            store_path: Some(dir.path().join("astra.db")),
        },
    )
    .await
    .unwrap();
    assert!(app.runtime.cog("test-init-panics").is_none());
    assert!(app.runtime.cog("test-echo").is_some(), "the others load");
    let reason = &app.refused[0].reason;
    assert!(
        reason.contains("init()") && reason.contains("the word list is missing"),
        "{reason}"
    );
}
