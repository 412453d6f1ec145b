//! Hot reload and cog administration: swaps under load lose nothing, bad files are
//! refused while the old version serves, a crashing release is rolled back by itself,
//! the plugin folder and the config file are watched, and `/plugins` works.

mod common;

use astra::event::{Action, OptionValue, OutcomeKind, Permission};
use astra::reload::Source;
use common::*;
use std::time::Duration;

fn echo_bytes() -> Vec<u8> {
    std::fs::read(cog_path("test-echo")).unwrap()
}

/// Wait (politely) until `check` holds; fail after a generous limit. Not a timing
/// assertion: only a guard against hanging forever.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapping_a_cog_twenty_times_while_ten_thousand_messages_flow_loses_nothing() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo"],
        "[limits]\nqueue_capacity = 20000\n",
    )
    .await;
    h.start();
    let n = 10_000;
    let d = h.dispatcher();
    let sender = tokio::spawn(async move {
        for i in 0..n {
            let mut m = astra::gateway::local::message(&format!("u{}", i % 50), "hello", "Astra");
            m.id = format!("s{i}");
            d.submit(m).await;
            if i % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });
    let manager = h.app.manager.clone();
    let bytes = echo_bytes();
    let swapper = tokio::spawn(async move {
        for i in 0..20 {
            manager
                .load_bytes(
                    &bytes,
                    &format!("swap-{i}"),
                    Source::File(format!("swap-{i}.wasm").into()),
                )
                .await
                .expect("the same good cog loads again");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let outcomes = h.outcomes(n).await;
    sender.await.unwrap();
    swapper.await.unwrap();
    let ledger = h.dispatcher().ledger();
    assert_eq!(ledger.received, n as u64);
    assert_eq!(ledger.processed, n as u64, "{ledger:?}");
    assert!(outcomes
        .values()
        .all(|o| o.outcome == OutcomeKind::Processed && o.actions.len() == 1));
    let swaps = h
        .app
        .manager
        .events()
        .iter()
        .filter(|e| e.what.starts_with("swapped"))
        .count();
    assert_eq!(swaps, 20);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_file_and_an_incompatible_wit_file_are_refused_while_the_old_version_serves() {
    let dir = tempdir();
    let plugin = dir.path().join("echo.wasm");
    std::fs::write(&plugin, echo_bytes()).unwrap();
    let mut h = host(dir.path(), &[], "").await;
    h.app.manager.load_file(&plugin).await.unwrap();
    h.start();

    // A truncated copy over the same file.
    std::fs::write(&plugin, &echo_bytes()[..1000]).unwrap();
    let refusal = h.app.manager.load_file(&plugin).await.unwrap_err();
    assert!(
        refusal.reason.contains("not a valid WebAssembly component"),
        "{refusal}"
    );

    // The same cog built against another major version of the WIT.
    let mut other = echo_bytes();
    let (from, to) = (b"astra:bot/kv@0.1.0", b"astra:bot/kv@0.9.0");
    let mut replaced = 0;
    for i in 0..other.len() - from.len() {
        if &other[i..i + from.len()] == from {
            other[i..i + to.len()].copy_from_slice(to);
            replaced += 1;
        }
    }
    assert!(replaced > 0);
    std::fs::write(&plugin, &other).unwrap();
    let refusal = h.app.manager.load_file(&plugin).await.unwrap_err();
    assert!(
        refusal.reason.contains("built for astra:bot@0.9.0")
            && refusal.reason.contains("offers astra:bot@0.1.0"),
        "{refusal}"
    );

    // The old version still serves.
    h.say("alice", "still here").await;
    let o = h.one().await;
    assert!(
        matches!(&o.actions[0].action, Action::Reply { content } if content.starts_with("echo: still here"))
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_that_crashes_is_rolled_back_automatically() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-swap-good"], "").await;
    h.start();
    h.app
        .manager
        .load_file(&cog_path("test-swap-bad"))
        .await
        .unwrap();
    assert_eq!(
        h.app.runtime.cog("test-swap").unwrap().manifest.version,
        "2.0.0"
    );
    for i in 0..6 {
        h.say("alice", &format!("message {i}")).await;
        let o = h.one().await;
        assert_eq!(o.outcome, OutcomeKind::Failed);
    }
    h.app.manager.check_probation();
    assert_eq!(
        h.app.runtime.cog("test-swap").unwrap().manifest.version,
        "1.0.0"
    );
    let events = h.app.manager.events();
    let rollback = events
        .iter()
        .find(|e| e.what.starts_with("rolled back"))
        .expect("a rollback event");
    assert!(
        rollback.what.contains("2.0.0 → 1.0.0") && rollback.what.contains("crashed"),
        "{rollback:?}"
    );
    h.say("alice", "after").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Processed);
    assert!(matches!(&o.actions[0].action, Action::Reply { content } if content == "v1"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cogs_dropped_into_the_plugin_folder_go_live_and_removed_ones_are_unloaded() {
    let dir = tempdir();
    let plugins = dir.path().join("watched");
    std::fs::create_dir_all(&plugins).unwrap();
    let h = host(dir.path(), &[], "").await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(astra::reload::watch(
        h.app.manager.clone(),
        plugins.clone(),
        None,
        async {
            let _ = stopped.await;
        },
    ));
    // Give the watcher a moment to register before the first change.
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::write(plugins.join("echo.wasm"), echo_bytes()).unwrap();
    let runtime = h.app.runtime.clone();
    eventually("echo loaded", || runtime.cog("test-echo").is_some()).await;
    std::fs::remove_file(plugins.join("echo.wasm")).unwrap();
    eventually("echo unloaded", || runtime.cog("test-echo").is_none()).await;
    let _ = stop.send(());
    watcher.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_is_applied_and_a_bad_one_is_refused() {
    let dir = tempdir();
    let file = dir.path().join("live.toml");
    std::fs::write(&file, "[cogs.test-echo.settings]\ngreeting = \"hi\"\n").unwrap();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    h.app.policy.set_config(std::sync::Arc::new(
        astra::config::Config::load(Some(&file)).unwrap(),
    ));
    h.start();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(astra::reload::watch(
        h.app.manager.clone(),
        dir.path().join("watched"),
        Some(file.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::write(
        &file,
        "[cogs.test-echo.settings]\ngreeting = \"hello again\"\n",
    )
    .unwrap();
    let manager = h.app.manager.clone();
    eventually("config reloaded", || {
        manager
            .events()
            .iter()
            .any(|e| e.what.starts_with("reloaded"))
    })
    .await;
    h.say("alice", "x").await;
    let o = h.one().await;
    assert!(
        matches!(&o.actions[0].action, Action::Reply { content } if content.starts_with("hello again: x"))
    );

    std::fs::write(&file, "[cogs.test-echo.settings\ngreeting = 1\n").unwrap();
    eventually("bad config refused", || {
        manager
            .events()
            .iter()
            .any(|e| e.what.contains("change refused"))
    })
    .await;
    let refused = manager
        .events()
        .into_iter()
        .find(|e| e.what.contains("change refused"))
        .unwrap();
    assert!(refused.what.contains("live.toml:1"), "{refused:?}");
    h.say("alice", "y").await;
    let o = h.one().await;
    assert!(
        matches!(&o.actions[0].action, Action::Reply { content } if content.starts_with("hello again: y"))
    );
    let _ = stop.send(());
    watcher.await.unwrap().unwrap();
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_list_disable_enable_and_roll_back_cogs_with_slash_commands() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo", "test-swap-good"], "").await;
    h.app
        .manager
        .load_file(&cog_path("test-swap-bad"))
        .await
        .unwrap();
    h.start();
    let admin = [Permission::ManageGuild];
    let d = h.dispatcher();
    let list = d
        .command(command("plugins list", "root", &admin, &[]))
        .await
        .unwrap();
    assert!(
        list.content.contains("test-echo") && list.content.contains("test-swap"),
        "{}",
        list.content
    );
    assert!(list.content.contains("probation"), "{}", list.content);

    let denied = d
        .command(command("plugins list", "member", &[], &[]))
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("ManageGuild"), "{denied}");

    let name = |n: &str| vec![("name", OptionValue::Text(n.into()))];
    let r = d
        .command(command(
            "plugins rollback",
            "root",
            &admin,
            &name("test-swap"),
        ))
        .await
        .unwrap();
    assert!(r.content.contains("rolled back to 1.0.0"), "{}", r.content);

    d.command(command(
        "plugins disable",
        "root",
        &admin,
        &name("test-swap"),
    ))
    .await
    .unwrap();
    h.say("alice", "hi").await;
    let o = h.one().await;
    assert!(
        o.actions.iter().all(|a| a.cog != "test-swap"),
        "disabled here: {:?}",
        o.actions
    );
    d.command(command(
        "plugins enable",
        "root",
        &admin,
        &name("test-swap"),
    ))
    .await
    .unwrap();
    h.say("alice", "hi again").await;
    let o = h.one().await;
    assert!(
        o.actions.iter().any(|a| a.cog == "test-swap"),
        "{:?}",
        o.actions
    );

    let r = d
        .command(command(
            "plugins reload",
            "root",
            &admin,
            &name("test-echo"),
        ))
        .await
        .unwrap();
    assert!(r.content.contains("reloaded `test-echo`"), "{}", r.content);
    h.stop().await;
}
