//! Cogs in other languages, loaded by the real host: the Python trivia cog
//! (componentize-py) and the JavaScript notes cog (ComponentizeJS) from `examples/`,
//! built once per source change (see `common/example_cogs.rs`), driven through the
//! dispatcher with messages and slash commands, restarted over the same SQLite file.
//!
//! A missing componentize-py or npm fails these tests with what to install;
//! `ASTRA_SKIP_OTHER_LANGUAGES=1` skips them.

mod common;
#[path = "common/example_cogs.rs"]
mod example_cogs;

use astra::dispatch::CommandError;
use astra::event::{Action, CommandResponse, OptionValue, OutcomeKind, Permission, Priority};
use common::{command, host_with_paths, tempdir, Host};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Config text sharing the examples' compile cache, plus `extra`.
fn toml(extra: &str) -> String {
    format!(
        "cache_dir = \"{}\"\n{extra}",
        example_cogs::shared_cache_dir().display()
    )
}

async fn start(dir: &Path, wasm: &PathBuf, extra: &str) -> (Host, Duration) {
    let started = Instant::now();
    let mut host = host_with_paths(dir, std::slice::from_ref(wasm), &toml(extra)).await;
    let took = started.elapsed();
    host.start();
    (host, took)
}

async fn run(
    host: &Host,
    name: &str,
    user: &str,
    options: &[(&str, OptionValue)],
) -> Result<CommandResponse, CommandError> {
    host.dispatcher()
        .command(command(name, user, &[], options))
        .await
}

async fn reply(host: &Host, name: &str, user: &str, options: &[(&str, OptionValue)]) -> String {
    match run(host, name, user, options).await {
        Ok(r) => r.content,
        Err(e) => panic!("/{name} failed: {e}"),
    }
}

fn replies(actions: &[astra::event::CogAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match &a.action {
            Action::Reply { content } => Some(content.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_trivia_cog_asks_scores_and_remembers_across_a_restart() {
    if example_cogs::skipped("python trivia") {
        return;
    }
    let wasm = example_cogs::example("python-trivia");
    let dir = tempdir();
    let (mut host, _) = start(dir.path(), &wasm, "").await;

    let asked = reply(&host, "trivia", "alice", &[]).await;
    assert_eq!(
        asked,
        "Trivia #1: What is the largest planet in our solar system?"
    );

    // A wrong answer: the cog triaged it (option<priority> = some(normal)), reacts.
    host.say("bob", "Saturn").await;
    let wrong = host.one().await;
    assert_eq!(wrong.outcome, OutcomeKind::Processed, "{wrong:?}");
    assert_eq!(wrong.priority, Priority::Normal);
    assert_eq!(wrong.actions.len(), 1, "{wrong:?}");
    assert_eq!(wrong.actions[0].cog, "trivia");
    assert!(matches!(&wrong.actions[0].action, Action::React { emoji } if emoji == "❌"));

    host.say("carol", "The Jupiter!").await;
    let right = host.one().await;
    assert_eq!(
        replies(&right.actions),
        ["🎉 carol got it: jupiter! carol now has 1 point."]
    );

    // The question is closed: triage answers none, nothing is done.
    host.say("dave", "jupiter").await;
    let late = host.one().await;
    assert_eq!(late.outcome, OutcomeKind::Processed);
    assert!(late.actions.is_empty(), "{late:?}");

    let score = reply(
        &host,
        "trivia-score",
        "alice",
        &[("user", OptionValue::User("carol".into()))],
    )
    .await;
    assert_eq!(score, "carol has 1 point.");

    // The host checks the permission the Python manifest declared.
    let forbidden = run(&host, "trivia-reveal", "alice", &[]).await;
    assert!(
        matches!(
            forbidden,
            Err(CommandError::Forbidden {
                required: Permission::ManageMessages,
                ..
            })
        ),
        "{forbidden:?}"
    );

    // A kv error inside the cog comes back as the WIT's handler-error (permanent).
    let too_long = "x".repeat(600);
    let failed = run(
        &host,
        "trivia-score",
        "alice",
        &[("user", OptionValue::User(too_long))],
    )
    .await;
    let error = failed
        .expect_err("a 600-byte kv key is refused")
        .to_string();
    assert!(error.contains("kv: TooLarge"), "{error}");
    host.stop().await;
    drop(host);

    // Restart over the same store: scores and the question counter are still there,
    // and the compiled component comes from the cache.
    let (mut host, restart) = start(dir.path(), &wasm, "").await;
    assert!(
        restart < Duration::from_secs(10),
        "a restart should load the cached compiled component, took {restart:?}"
    );
    let top = reply(&host, "trivia-top", "bob", &[]).await;
    assert_eq!(top, "Trivia leaderboard\n1. carol: 1 point");
    let next = reply(&host, "trivia", "bob", &[]).await;
    assert_eq!(next, "Trivia #2: How many legs does a spider have?");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_notes_cog_saves_lists_and_deletes_notes_across_a_restart() {
    if example_cogs::skipped("javascript notes") {
        return;
    }
    let wasm = example_cogs::example("js-notes");
    let dir = tempdir();
    let (mut host, _) = start(dir.path(), &wasm, "").await;

    host.say("alice", "!note buy milk").await;
    let saved = host.one().await;
    assert_eq!(saved.outcome, OutcomeKind::Processed, "{saved:?}");
    assert!(
        matches!(&saved.actions[..], [a] if a.action == Action::React { emoji: "📝".into() }),
        "{saved:?}"
    );

    let added = reply(
        &host,
        "note add",
        "alice",
        &[("text", OptionValue::Text("call mom".into()))],
    )
    .await;
    assert_eq!(added, "Saved note #2.");

    host.say("alice", "!notes").await;
    let listed = host.one().await;
    assert_eq!(
        replies(&listed.actions),
        ["Notes of alice:\n1. buy milk\n2. call mom"]
    );

    // Ordinary chat does not interest the cog (triage returns undefined = none).
    host.say("bob", "nice weather").await;
    assert!(host.one().await.actions.is_empty());

    // An s64 option arrives as a BigInt.
    let deleted = reply(
        &host,
        "note delete",
        "alice",
        &[("number", OptionValue::Integer(1))],
    )
    .await;
    assert_eq!(deleted, "Deleted note #1: buy milk");

    // A kv error inside the cog is thrown as the WIT's handler-error (permanent).
    let failed = run(
        &host,
        "note add",
        &"y".repeat(600),
        &[("text", OptionValue::Text("x".into()))],
    )
    .await;
    let error = failed
        .expect_err("a 600-byte kv key is refused")
        .to_string();
    assert!(error.contains("kv: too-large"), "{error}");
    host.stop().await;
    drop(host);

    // Restart with a setting: the notes are still there, and `max_notes` is read.
    let (mut host, restart) =
        start(dir.path(), &wasm, "[cogs.notes.settings]\nmax_notes = 1\n").await;
    assert!(
        restart < Duration::from_secs(10),
        "a restart should load the cached compiled component, took {restart:?}"
    );
    assert_eq!(
        reply(&host, "note list", "alice", &[]).await,
        "Notes of alice:\n1. call mom"
    );
    assert_eq!(
        reply(&host, "note list", "bob", &[]).await,
        "bob has no notes yet."
    );
    let full = reply(
        &host,
        "note add",
        "alice",
        &[("text", OptionValue::Text("one more".into()))],
    )
    .await;
    assert_eq!(
        full,
        "You already have 1 notes; delete one with /note delete first."
    );
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_and_a_javascript_cog_share_one_host_with_separate_kv() {
    if example_cogs::skipped("both languages") {
        return;
    }
    let trivia = example_cogs::example("python-trivia");
    let notes = example_cogs::example("js-notes");
    let dir = tempdir();
    let mut host = host_with_paths(dir.path(), &[trivia, notes], &toml("")).await;
    host.start();
    let names: Vec<String> = host
        .app
        .runtime
        .cogs()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(names, ["notes", "trivia"]);

    reply(&host, "trivia", "alice", &[]).await;
    // Both cogs see this message: it is a note and an (incorrect) answer.
    host.say("alice", "!note pluto").await;
    let both = host.one().await;
    let mut cogs: Vec<&str> = both.actions.iter().map(|a| a.cog.as_str()).collect();
    cogs.sort();
    assert_eq!(cogs, ["notes", "trivia"], "{both:?}");
    assert_eq!(
        reply(&host, "note list", "alice", &[]).await,
        "Notes of alice:\n1. pluto"
    );
    host.stop().await;
}
