//! The sandbox, proven on real compiled cogs: a cog that loops, eats memory, panics,
//! or returns actions it was not granted is stopped or overruled; the call fails with
//! an error naming the cog and the reason; the host keeps serving and every message
//! still gets an outcome.

mod common;

use astra::event::{Action, OutcomeKind};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_looping_in_handle_is_stopped_by_its_cpu_deadline_and_others_still_answer() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-looper"],
        "[cogs.test-looper]\nhandle_deadline_ms = 50\n",
    )
    .await;
    h.start();
    h.say("alice", "hello loop").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Failed);
    let error = o.error.unwrap();
    assert!(
        error.contains("test-looper") && error.contains("CPU deadline"),
        "{error}"
    );
    // The well-behaved cog's reply is still there.
    assert!(o.actions.iter().any(|a| a.cog == "test-echo"));
    // And the host serves the next message.
    h.say("bob", "still there? loop").await;
    let next = h.one().await;
    assert!(next.actions.iter().any(|a| a.cog == "test-echo"));
    assert!(
        next.error.unwrap().contains("test-looper"),
        "stopped again, host still up"
    );
    h.stop().await;
    assert!(h.dispatcher().ledger().balanced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_looping_in_triage_is_stopped_and_the_message_still_gets_an_outcome() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-looper"],
        "[cogs.test-looper]\ntriage_deadline_ms = 20\n",
    )
    .await;
    h.start();
    h.say("alice", "loop-triage please").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Failed);
    let error = o.error.unwrap();
    assert!(
        error.contains("triage") && error.contains("test-looper"),
        "{error}"
    );
    assert!(o.actions.iter().any(|a| a.cog == "test-echo"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_that_allocates_without_bound_is_stopped_at_its_memory_cap() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-hog", "test-echo"],
        "[cogs.test-hog]\nmemory_mib = 16\n",
    )
    .await;
    h.start();
    h.say("alice", "feed me").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Failed);
    let error = o.error.unwrap();
    assert!(
        error.contains("test-hog") && error.contains("memory limit of 16 MiB"),
        "{error}"
    );
    h.say("alice", "again").await;
    let again = h.one().await;
    assert!(again.error.unwrap().contains("memory limit"));
    assert!(again.actions.iter().any(|a| a.cog == "test-echo"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_the_call_with_the_panic_message_and_the_instance_is_discarded() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-panicker"], "").await;
    h.start();
    for _ in 0..3 {
        let id = h.say("alice", "boom").await;
        let o = h.one().await;
        assert_eq!(o.outcome, OutcomeKind::Failed);
        let error = o.error.unwrap();
        // A reused trapped instance would say "cannot enter component instance".
        assert!(
            error.contains("test-panicker trapped")
                || error.contains("cog `test-panicker` trapped"),
            "{error}"
        );
        assert!(error.contains(&format!("refuses message {id}")), "{error}");
    }
    assert_eq!(
        h.dispatcher().metrics().retries(),
        0,
        "a trap is never retried"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_beyond_the_cogs_grants_is_dropped_and_the_rest_is_executed() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-forbidden"], "").await;
    h.start();
    h.say("alice", "hi").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Processed);
    assert_eq!(o.actions.len(), 1);
    assert!(matches!(o.actions[0].action, Action::Reply { .. }));
    assert_eq!(o.dropped.len(), 1);
    assert!(matches!(o.dropped[0].action, Action::Ban { .. }));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_asking_for_capabilities_not_granted_is_refused_with_the_reason() {
    let dir = tempdir();
    let app = astra::app::App::build(
        config(
            dir.path(),
            "[cogs.test-echo]\ngrants = [\"reply\", \"log\"]\n",
        ),
        astra::app::LoadOptions {
            extra_cogs: vec![cog_path("test-echo")],
            store_path: Some(dir.path().join("astra.db")),
        },
    )
    .await
    .unwrap();
    assert!(app.runtime.cog("test-echo").is_none());
    let reason = &app.refused[0].reason;
    assert!(
        reason.contains("not granted") && reason.contains("kv") && reason.contains("clock"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_component_is_refused_and_the_others_load() {
    let dir = tempdir();
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"this is not wasm").unwrap();
    let module = dir.path().join("module.wasm");
    std::fs::write(&module, b"\0asm\x01\0\0\0").unwrap();
    let app = astra::app::App::build(
        config(dir.path(), ""),
        astra::app::LoadOptions {
            extra_cogs: vec![junk, module, cog_path("test-echo")],
            store_path: Some(dir.path().join("astra.db")),
        },
    )
    .await
    .unwrap();
    assert!(app.runtime.cog("test-echo").is_some());
    assert_eq!(app.refused.len(), 2, "{:?}", app.refused);
    assert!(
        app.refused[0].reason.contains("not a WebAssembly file"),
        "{}",
        app.refused[0]
    );
    assert!(
        app.refused[1]
            .reason
            .contains("not a valid WebAssembly component"),
        "{}",
        app.refused[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_cannot_read_settings_of_other_guilds_and_gets_its_own() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo"],
        "[cogs.test-echo.settings]\ngreeting = \"hi\"\n[guilds.\"g2\".cogs.test-echo.settings]\ngreeting = \"hey\"\n",
    )
    .await;
    h.start();
    let mut m = astra::gateway::local::message("alice", "one", "Astra");
    m.guild_id = "g1".into();
    h.send(m).await;
    let o = h.one().await;
    assert!(
        matches!(&o.actions[0].action, Action::Reply { content } if content.starts_with("hi: one"))
    );
    let mut m = astra::gateway::local::message("alice", "two", "Astra");
    m.guild_id = "g2".into();
    h.send(m).await;
    let o = h.one().await;
    assert!(
        matches!(&o.actions[0].action, Action::Reply { content } if content.starts_with("hey: two (#1)")),
        "kv is per guild too: {:?}",
        o.actions
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compiled_components_are_cached_on_disk_so_a_restart_does_not_recompile() {
    let dir = tempdir();
    let cache = dir.path().join("cache");
    let first = host(dir.path(), &["test-echo"], "").await;
    // (one process owns a SQLite store at a time: the restart comes after it)
    drop(first);
    let mut entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    // The compiled component, and its pre-initialised snapshot (the SDK's cogs have
    // an `init`), both compiled once.
    assert_eq!(entries.len(), 2, "in {}: {entries:?}", cache.display());
    assert!(entries
        .iter()
        .all(|p| p.extension().is_some_and(|e| e == "cwasm")));
    assert_eq!(
        entries
            .iter()
            .filter(|p| p.to_string_lossy().ends_with("-init.cwasm"))
            .count(),
        1,
        "{entries:?}"
    );
    let written: Vec<_> = entries
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    let second = host(dir.path(), &["test-echo"], "").await;
    assert!(second.app.runtime.cog("test-echo").is_some());
    let again: Vec<_> = entries
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(again, written, "loaded, not rewritten");
}
