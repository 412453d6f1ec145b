//! The store suite: every behaviour of the store behind `kv`, run once on SQLite
//! (`sqlite::...`) and once on PostgreSQL (`postgres::...`, a fresh schema per test on
//! the server named by `ASTRA_TEST_POSTGRES`; see `support/postgres.rs`). Both must
//! give the same answers. Then what only a shared database can show: several hosts on
//! one database see each other's writes and never lose a count, start together
//! safely, and a cog waiting on the database is not charged for the wait.

mod common;
#[path = "support/postgres.rs"]
mod pg;

use astra::event::{Command, OptionValue, OutcomeKind, Permission, User};
use astra::store::{PostgresStore, Scope, SqliteStore, Store, StoreError};
use common::*;
use std::sync::Arc;

/// One backend under test: where its data lives, and how to open a handle on it.
enum Fixture {
    Sqlite(tempfile::TempDir),
    Postgres(pg::TestDatabase, tempfile::TempDir),
}

impl Fixture {
    fn sqlite() -> Fixture {
        Fixture::Sqlite(tempdir())
    }

    async fn postgres() -> Option<Fixture> {
        Some(Fixture::Postgres(pg::database().await?, tempdir()))
    }

    /// A new handle on the same data (a second open is what a restart does).
    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Fixture::Sqlite(dir) => Arc::new(SqliteStore::open(&dir.path().join("s.db")).unwrap()),
            Fixture::Postgres(db, _) => Arc::new(PostgresStore::connect(&db.url, 8).await.unwrap()),
        }
    }

    /// A folder for a host's files.
    fn dir(&self) -> &std::path::Path {
        match self {
            Fixture::Sqlite(dir) | Fixture::Postgres(_, dir) => dir.path(),
        }
    }

    /// Config lines that point a host at this store (SQLite: the test's own file).
    fn toml(&self) -> String {
        match self {
            Fixture::Sqlite(_) => String::new(),
            Fixture::Postgres(db, _) => format!("store = \"{}\"\n", db.url),
        }
    }
}

/// Each behaviour below, as `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&super::Fixture::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(fixture) = super::Fixture::postgres().await else { return };
                    super::$name(&fixture).await;
                }
            )*
        }
    };
}

on_both_stores!(
    each_cog_and_guild_has_its_own_keys,
    increment_list_and_delete_behave_like_a_key_value_store,
    increment_takes_the_integers_rust_parses_and_leaves_anything_else_unchanged,
    increment_saturates_at_the_bounds_of_i64,
    any_string_round_trips_and_keys_list_in_byte_order,
    list_prefix_takes_pattern_characters_literally,
    concurrent_increments_lose_no_update,
    written_data_survives_reopening_the_store,
    writes_are_durable_once_committed_and_writes_outside_calls_at_once,
    kv_data_written_by_a_cog_survives_a_host_restart,
    counters_bumped_inside_a_batch_read_list_count_and_persist_their_latest_value,
);

const S: Scope<'static> = Scope {
    cog: "c",
    guild: "g",
};

async fn each_cog_and_guild_has_its_own_keys(f: &Fixture) {
    let store = f.open().await;
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
    store.set(a, "k", "from a").await.unwrap();
    assert_eq!(store.get(b, "k").await.unwrap(), None);
    assert_eq!(store.get(a2, "k").await.unwrap(), None);
    assert_eq!(store.get(a, "k").await.unwrap().as_deref(), Some("from a"));
    assert_eq!(store.count_keys(a).await.unwrap(), 1);
    assert_eq!(store.count_keys(b).await.unwrap(), 0);
}

async fn increment_list_and_delete_behave_like_a_key_value_store(f: &Fixture) {
    let store = f.open().await;
    let s = S;
    assert_eq!(store.increment(s, "n", 5).await.unwrap(), 5);
    assert_eq!(store.increment(s, "n", -2).await.unwrap(), 3);
    assert_eq!(store.get(s, "n").await.unwrap().as_deref(), Some("3"));
    store.set(s, "word", "x").await.unwrap();
    assert!(matches!(
        store.increment(s, "word", 1).await,
        Err(StoreError::NotAnInteger)
    ));
    for k in ["p:1", "p:2", "p:3", "q:1"] {
        store.set(s, k, k).await.unwrap();
    }
    let listed = store.list_prefix(s, "p:", 2).await.unwrap();
    assert_eq!(
        listed,
        vec![("p:1".into(), "p:1".into()), ("p:2".into(), "p:2".into())]
    );
    store.set(s, "p:2", "overwritten").await.unwrap();
    assert_eq!(
        store.get(s, "p:2").await.unwrap().as_deref(),
        Some("overwritten")
    );
    assert!(store.delete(s, "p:1").await.unwrap());
    assert!(!store.delete(s, "p:1").await.unwrap());
    assert_eq!(store.get(s, "p:1").await.unwrap(), None);
    assert_eq!(store.count_keys(s).await.unwrap(), 6 - 1);
}

async fn increment_takes_the_integers_rust_parses_and_leaves_anything_else_unchanged(f: &Fixture) {
    let store = f.open().await;
    for (stored, after_plus_one) in [(" 7 ", 8), ("+3", 4), ("-0", 1), ("\t41\n", 42)] {
        store.set(S, "n", stored).await.unwrap();
        assert_eq!(
            store.increment(S, "n", 1).await.unwrap(),
            after_plus_one,
            "{stored:?} + 1"
        );
        assert_eq!(
            store.get(S, "n").await.unwrap(),
            Some(after_plus_one.to_string())
        );
    }
    for stored in [
        "",
        "x",
        "1.5",
        "1e3",
        "0x10",
        "1_000",
        "99999999999999999999",
        "5 5",
    ] {
        store.set(S, "n", stored).await.unwrap();
        assert!(
            matches!(
                store.increment(S, "n", 1).await,
                Err(StoreError::NotAnInteger)
            ),
            "{stored:?} is not an integer"
        );
        assert_eq!(
            store.get(S, "n").await.unwrap().as_deref(),
            Some(stored),
            "a refused increment leaves {stored:?} alone"
        );
    }
}

async fn increment_saturates_at_the_bounds_of_i64(f: &Fixture) {
    let store = f.open().await;
    store
        .set(S, "big", &(i64::MAX - 1).to_string())
        .await
        .unwrap();
    assert_eq!(store.increment(S, "big", 100).await.unwrap(), i64::MAX);
    assert_eq!(store.increment(S, "big", 1).await.unwrap(), i64::MAX);
    assert_eq!(
        store.increment(S, "small", i64::MIN).await.unwrap(),
        i64::MIN
    );
    assert_eq!(store.increment(S, "small", -1).await.unwrap(), i64::MIN);
    assert_eq!(
        store.get(S, "small").await.unwrap(),
        Some(i64::MIN.to_string())
    );
}

async fn any_string_round_trips_and_keys_list_in_byte_order(f: &Fixture) {
    let store = f.open().await;
    let mut keys: Vec<String> = ["b", "a", "a\0b", "ab", "a b", "Z", "é", "z", "😀", "日本"]
        .into_iter()
        .map(String::from)
        .collect();
    for (i, k) in keys.iter().enumerate() {
        let value = format!("{k}\0value {i} ✓\n'\"\\");
        store.set(S, k, &value).await.unwrap();
    }
    let big = "x".repeat(1 << 20);
    store.set(S, "big", &big).await.unwrap();
    assert_eq!(store.get(S, "big").await.unwrap().as_deref(), Some(&*big));
    store.delete(S, "big").await.unwrap();

    keys.sort(); // `str`'s order is the order of the UTF-8 bytes
    let listed = store.list_prefix(S, "", 100).await.unwrap();
    let listed_keys: Vec<&str> = listed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(listed_keys, keys);
    for (k, v) in &listed {
        assert!(v.starts_with(&format!("{k}\0value ")), "{k:?} → {v:?}");
        assert_eq!(store.get(S, k).await.unwrap().as_ref(), Some(v));
    }
    let a: Vec<String> = store
        .list_prefix(S, "a", 100)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut expected = vec!["a", "a\0b", "a b", "ab"];
    expected.sort();
    assert_eq!(a, expected);
}

async fn list_prefix_takes_pattern_characters_literally(f: &Fixture) {
    let store = f.open().await;
    for k in ["50%_off", "50%Xoff", "50x_off", "a.*", "ab", "[x]", "x"] {
        store.set(S, k, "1").await.unwrap();
    }
    let keys = |rows: Vec<(String, String)>| rows.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(
        keys(store.list_prefix(S, "50%_", 10).await.unwrap()),
        ["50%_off"]
    );
    assert_eq!(keys(store.list_prefix(S, "a.", 10).await.unwrap()), ["a.*"]);
    assert_eq!(keys(store.list_prefix(S, "[", 10).await.unwrap()), ["[x]"]);
    assert!(store
        .list_prefix(S, "nothing", 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_prefix(S, "x", 0).await.unwrap().is_empty());
}

async fn concurrent_increments_lose_no_update(f: &Fixture) {
    let store = f.open().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    store.increment(S, "hits", 1).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.get(S, "hits").await.unwrap().as_deref(), Some("400"));
}

async fn written_data_survives_reopening_the_store(f: &Fixture) {
    {
        let store = f.open().await;
        store.set(S, "kept", "yes").await.unwrap();
        store.increment(S, "n", 41).await.unwrap();
    } // every handle is dropped here
    let store = f.open().await;
    assert_eq!(store.get(S, "kept").await.unwrap().as_deref(), Some("yes"));
    assert_eq!(store.increment(S, "n", 1).await.unwrap(), 42);
}

/// Group commit (SQLite gathers the writes of running cog calls into one batch):
/// whatever the batching, reads see every write at once, and writes are durable once
/// `committed` resolves, at once after `commit_now`, and — made while no call is
/// running — when they return.
async fn writes_are_durable_once_committed_and_writes_outside_calls_at_once(f: &Fixture) {
    {
        let store = f.open().await;
        store.call_started(); // call A
        store.set(S, "a1", "1").await.unwrap();
        store.call_started(); // call B, concurrent
        store.increment(S, "b", 5).await.unwrap();
        store.call_ended().unwrap(); // B ends while A runs: its write may wait in the batch
        assert_eq!(
            store.get(S, "b").await.unwrap().as_deref(),
            Some("5"),
            "reads see it"
        );
        store.committed().await.unwrap(); // what the dispatcher awaits before reporting B
        store.set(S, "a2", "2").await.unwrap();
        store.commit_now().unwrap(); // a CRITICAL outcome or a command reply
        store.call_ended().unwrap(); // A ends
        store.set(S, "outside", "kept").await.unwrap(); // no call open
    } // every handle is dropped here
    let store = f.open().await;
    for (key, value) in [("a1", "1"), ("a2", "2"), ("b", "5"), ("outside", "kept")] {
        assert_eq!(
            store.get(S, key).await.unwrap().as_deref(),
            Some(value),
            "{key}"
        );
    }
}

/// Counters bumped many times while calls run (SQLite holds them in memory until the
/// batch commits): every read, listing and count sees the latest value, a `set` or a
/// `delete` replaces it, and the file has the final values once committed.
async fn counters_bumped_inside_a_batch_read_list_count_and_persist_their_latest_value(
    f: &Fixture,
) {
    {
        let store = f.open().await;
        store.call_started();
        for _ in 0..100 {
            store.increment(S, "total", 1).await.unwrap();
        }
        assert_eq!(store.get(S, "total").await.unwrap().as_deref(), Some("100"));
        store.increment(S, "gone", 3).await.unwrap();
        assert!(store.delete(S, "gone").await.unwrap(), "it existed");
        assert!(!store.delete(S, "gone").await.unwrap(), "and is gone");
        assert_eq!(store.get(S, "gone").await.unwrap(), None);
        store.increment(S, "replaced", 4).await.unwrap();
        store.set(S, "replaced", "text").await.unwrap();
        assert!(matches!(
            store.increment(S, "replaced", 1).await,
            Err(StoreError::NotAnInteger)
        ));
        store.increment(S, "total", 1).await.unwrap();
        let listed = store.list_prefix(S, "", 10).await.unwrap();
        let listed: Vec<(&str, &str)> = listed.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        assert_eq!(listed, [("replaced", "text"), ("total", "101")]);
        assert_eq!(store.count_keys(S).await.unwrap(), 2);
        assert_eq!(store.increment(S, "total", 1).await.unwrap(), 102);
        store.call_ended().unwrap();
        store.committed().await.unwrap();
    }
    let store = f.open().await;
    assert_eq!(store.get(S, "total").await.unwrap().as_deref(), Some("102"));
    assert_eq!(
        store.get(S, "replaced").await.unwrap().as_deref(),
        Some("text")
    );
    assert_eq!(store.get(S, "gone").await.unwrap(), None);
}

/// SQLite's group commit, seen from its one handle (the file is exclusive to it).
mod sqlite_group_commit {
    use super::*;

    fn open(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(&dir.path().join("s.db")).unwrap()
    }

    #[tokio::test]
    async fn the_batch_is_committed_when_the_last_running_call_ends() {
        let dir = tempdir();
        let store = open(&dir);
        store.call_started();
        store.call_started();
        store.set(S, "k", "v").await.unwrap();
        store.call_ended().unwrap(); // one call still runs
        store.call_ended().unwrap();
        assert!(!store.has_uncommitted_writes(), "no call runs: committed");
        store.set(S, "outside", "v").await.unwrap();
        assert!(
            !store.has_uncommitted_writes(),
            "outside calls: committed at once"
        );
    }

    #[tokio::test]
    async fn a_batch_held_open_by_a_long_call_is_committed_without_waiting_for_it() {
        let dir = tempdir();
        let store = open(&dir);
        store.call_started(); // an AI call waiting on its model, say
        store.set(S, "k", "v").await.unwrap();
        store.committed().await.unwrap(); // the flusher commits the batch
        assert!(!store.has_uncommitted_writes());
        store.call_ended().unwrap();
    }

    #[tokio::test]
    async fn commit_now_stores_the_batch_at_once() {
        let dir = tempdir();
        let store = open(&dir);
        store.call_started();
        store.set(S, "k", "v").await.unwrap();
        store.commit_now().unwrap();
        assert!(!store.has_uncommitted_writes());
        store.committed().await.unwrap(); // nothing left to wait for
        store.call_ended().unwrap();
    }

    /// The WAL is folded back into the database file (a checkpoint, which syncs the
    /// file: milliseconds) by the flusher while no call runs, not by whichever call
    /// happens to commit.
    #[tokio::test]
    async fn committed_writes_reach_the_database_file_once_the_host_is_idle() {
        let dir = tempdir();
        let store = open(&dir);
        let file = dir.path().join("s.db");
        let before = std::fs::metadata(&file).unwrap().len();
        let value = "x".repeat(1000);
        for i in 0..200 {
            store.call_started();
            store.set(S, &format!("k{i}"), &value).await.unwrap();
            store.call_ended().unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&file).unwrap().len() < before + 200_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "200 KB were committed but never checkpointed into {}",
                file.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(
            store.get(S, "k199").await.unwrap().as_deref(),
            Some(&*value)
        );
    }

    #[tokio::test]
    async fn writes_still_batched_when_the_store_closes_are_kept() {
        let dir = tempdir();
        {
            let store = open(&dir);
            store.call_started();
            for i in 0..100 {
                store.increment(S, "n", i).await.unwrap();
            }
        } // closed with the call still running
        let store = open(&dir);
        assert_eq!(store.get(S, "n").await.unwrap().as_deref(), Some("4950"));
    }
}

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

/// What a cog wrote through `kv` and was told is written survives a host restart.
async fn kv_data_written_by_a_cog_survives_a_host_restart(f: &Fixture) {
    let toml = f.toml();
    {
        let mut h = host(f.dir(), &["test-echo"], &toml).await;
        h.start();
        for i in 0..3 {
            h.say("alice", &format!("message {i}")).await;
        }
        h.outcomes(3).await;
        h.stop().await;
    } // the host is dropped here: its handles on the store are gone
    let h = host(f.dir(), &["test-echo"], &toml).await;
    assert_eq!(
        h.app.store.backend(),
        if toml.is_empty() {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let reply = h
        .dispatcher()
        .command(count_command("alice"))
        .await
        .unwrap();
    assert_eq!(reply.content, "alice sent 3 messages");
}

// ---- what only a shared database shows ------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_on_one_database_see_each_others_writes_and_lose_no_count() {
    let Some(db) = pg::database().await else {
        return;
    };
    let (a, b) = (
        Arc::new(PostgresStore::connect(&db.url, 4).await.unwrap()),
        Arc::new(PostgresStore::connect(&db.url, 4).await.unwrap()),
    );
    a.set(S, "infraction:1", "warned by host a").await.unwrap();
    assert_eq!(
        b.get(S, "infraction:1").await.unwrap().as_deref(),
        Some("warned by host a")
    );
    let count = |store: Arc<PostgresStore>| {
        tokio::spawn(async move {
            for _ in 0..100 {
                store.increment(S, "warnings", 1).await.unwrap();
            }
        })
    };
    let (ta, tb) = (count(a.clone()), count(b.clone()));
    ta.await.unwrap();
    tb.await.unwrap();
    assert_eq!(a.get(S, "warnings").await.unwrap().as_deref(), Some("200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_starting_together_apply_the_schema_once() {
    let Some(db) = pg::database().await else {
        return;
    };
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, 1).await })
        })
        .collect();
    for s in starts {
        s.await.unwrap().expect("every host starts");
    }
    assert_eq!(db.number("SELECT count(*) FROM astra_schema").await, 1);
    assert_eq!(
        db.number("SELECT max(version)::int8 FROM astra_schema")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_astra_is_refused() {
    let Some(db) = pg::database().await else {
        return;
    };
    PostgresStore::connect(&db.url, 1).await.unwrap();
    db.execute("INSERT INTO astra_schema (version) VALUES (999)")
        .await;
    let e = PostgresStore::connect(&db.url, 1)
        .await
        .err()
        .expect("refused");
    let text = format!("{e:#}");
    assert!(
        text.contains("version 999, newer than this astra"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_stops_the_start_naming_where_but_not_the_password() {
    // port 1 on loopback: nothing listens there
    let e = PostgresStore::connect("postgres://astra:hunter2@127.0.0.1:1/astra", 1)
        .await
        .err()
        .expect("no server there");
    let text = format!("{e:#}");
    assert!(text.contains("astra@127.0.0.1:1/astra"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_a_cog_waits_on_the_database_is_not_charged_to_its_cpu_deadline() {
    let Some(db) = pg::database().await else {
        return;
    };
    let dir = tempdir();
    // 20 ms of CPU per call; the kv call below waits far longer on a locked row.
    let toml = format!(
        "store = \"{}\"\n[cogs.test-echo]\nhandle_deadline_ms = 20\n",
        db.url
    );
    let mut h = host(dir.path(), &["test-echo"], &toml).await;
    h.start();
    h.say("alice", "first").await;
    assert_eq!(h.one().await.outcome, OutcomeKind::Processed);

    let mut client = db.client().await;
    let tx = client.transaction().await.unwrap();
    tx.execute(
        "SELECT 1 FROM astra_kv WHERE cog = 'test-echo' AND key = convert_to('count:alice', 'UTF8') FOR UPDATE",
        &[],
    )
    .await
    .unwrap();
    h.say("alice", "second").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        h.outcomes.try_recv().is_err(),
        "the cog's increment waits for the row lock"
    );
    tx.commit().await.unwrap();
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Processed, "{:?}", o.error);
    let cog = h.app.runtime.cog("test-echo").unwrap();
    assert_eq!(
        cog.stats.crashes.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no CPU deadline fired"
    );
    let reply = h
        .dispatcher()
        .command(count_command("alice"))
        .await
        .unwrap();
    assert_eq!(reply.content, "alice sent 2 messages");
    h.stop().await;
}
