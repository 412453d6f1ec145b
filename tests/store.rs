//! Persistence: what a cog wrote through `kv` and was told is written survives a host
//! restart, and each cog sees only its own data.

mod common;

use astra::event::{Command, OptionValue, Permission, User};
use astra::store::{Scope, SqliteStore, Store};
use common::*;

fn count_command(user: &str) -> Command {
    Command {
        id: "c1".into(),
        name: "count".into(),
        options: vec![("user".into(), OptionValue::User(user.into()))],
        guild_id: "local".into(),
        channel_id: "general".into(),
        invoker: User {
            id: "mod".into(),
            name: "mod".into(),
            roles: vec![],
            is_bot: false,
        },
        permissions: vec![Permission::Everyone],
        timestamp_ms: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_data_written_by_a_cog_survives_a_host_restart() {
    let dir = tempdir();
    {
        let mut h = host(dir.path(), &["test-echo"], "").await;
        h.start();
        for i in 0..3 {
            h.say("alice", &format!("message {i}")).await;
        }
        h.outcomes(3).await;
        h.stop().await;
    } // the host is dropped here: the process's handles on the file are gone
    let h = host(dir.path(), &["test-echo"], "").await;
    let reply = h
        .dispatcher()
        .command(count_command("alice"))
        .await
        .unwrap();
    assert_eq!(reply.content, "alice sent 3 messages");
}

#[test]
fn each_cog_and_guild_has_its_own_keys() {
    let dir = tempdir();
    let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    let a = Scope {
        cog: "a",
        guild: "g",
    };
    let b = Scope {
        cog: "b",
        guild: "g",
    };
    let a2 = Scope {
        cog: "a",
        guild: "h",
    };
    store.set(a, "k", "from a").unwrap();
    assert_eq!(store.get(b, "k").unwrap(), None);
    assert_eq!(store.get(a2, "k").unwrap(), None);
    assert_eq!(store.get(a, "k").unwrap().as_deref(), Some("from a"));
}

#[test]
fn increment_list_and_delete_behave_like_a_key_value_store() {
    let dir = tempdir();
    let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    let s = Scope {
        cog: "c",
        guild: "g",
    };
    assert_eq!(store.increment(s, "n", 5).unwrap(), 5);
    assert_eq!(store.increment(s, "n", -2).unwrap(), 3);
    store.set(s, "word", "x").unwrap();
    assert!(matches!(
        store.increment(s, "word", 1),
        Err(astra::store::StoreError::NotAnInteger)
    ));
    for k in ["p:1", "p:2", "p:3", "q:1"] {
        store.set(s, k, k).unwrap();
    }
    let listed = store.list_prefix(s, "p:", 2).unwrap();
    assert_eq!(
        listed,
        vec![("p:1".into(), "p:1".into()), ("p:2".into(), "p:2".into())]
    );
    assert!(store.delete(s, "p:1").unwrap());
    assert!(!store.delete(s, "p:1").unwrap());
    assert_eq!(store.count_keys(s).unwrap(), 6 - 1);
}
