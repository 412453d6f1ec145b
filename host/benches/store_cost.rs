//! The store's cost per operation and per message: SQLite (a WAL file in a temp dir)
//! vs PostgreSQL (the server of `ASTRA_BENCH_POSTGRES`, else `ASTRA_TEST_POSTGRES`, in
//! a schema of its own that is dropped afterwards), through the same [`Store`] trait
//! the `kv` import calls.
//!
//! - `get`, `set`, `increment`, `list_prefix` (10 of 100 keys): one operation each;
//! - `message`: the kv work the bundled cogs do for one ordinary message: the security
//!   cog's flood/duplicate history (a get and a set of ~300 bytes, in triage) and the
//!   analytics cog's counters for a returning user (five increments: total, channel,
//!   hour, the user's day and week). Warnings add the moderation cog's writes, but
//!   most messages are not warnings.
//!
//! Each is awaited one at a time (a single cog's view: the latency a call adds); the
//! host runs many at once. Run: `cargo bench -p astra --bench store_cost`; without a
//! PostgreSQL URL only SQLite is measured.

use astra::store::{PostgresStore, Scope, SqliteStore, Store};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const SCOPE: Scope<'static> = Scope {
    cog: "bench",
    guild: "900000000000000001",
};

fn postgres_url() -> Option<String> {
    ["ASTRA_BENCH_POSTGRES", "ASTRA_TEST_POSTGRES"]
        .into_iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
}

/// Run `sql` on `url` (schema set-up and clean-up).
async fn execute(url: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("the bench's PostgreSQL server");
    tokio::spawn(conn);
    client.batch_execute(sql).await.expect(sql);
}

fn store_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let dir = std::env::temp_dir().join(format!("astra-store-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut stores: Vec<(&str, Arc<dyn Store>)> = vec![(
        "sqlite",
        Arc::new(SqliteStore::open(&dir.join("bench.db")).expect("sqlite")),
    )];
    let schema = format!("astra_bench_{}", std::process::id());
    let server = postgres_url();
    match &server {
        Some(server) => {
            rt.block_on(execute(server, &format!("CREATE SCHEMA {schema}")));
            let sep = if server.contains('?') { '&' } else { '?' };
            let url = format!("{server}{sep}options=-csearch_path%3D{schema}");
            let store = rt
                .block_on(PostgresStore::connect(&url, 8))
                .expect("postgres");
            stores.push(("postgres", Arc::new(store)));
        }
        None => eprintln!("no ASTRA_BENCH_POSTGRES / ASTRA_TEST_POSTGRES: measuring SQLite only"),
    }

    let history = format!(
        "{{\"seen\":[{}]}}",
        ["[1732900000000,123456789]"; 11].join(",")
    );
    for (name, store) in &stores {
        rt.block_on(async {
            for i in 0..100 {
                store
                    .set(SCOPE, &format!("p:{i:03}"), "value")
                    .await
                    .unwrap();
            }
        });
        let mut group = c.benchmark_group(format!("store/{name}"));
        group.bench_function("get", |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(store.get(SCOPE, "p:050").await.unwrap()) })
        });
        let n = AtomicU64::new(0);
        group.bench_function("set", |b| {
            b.to_async(&rt).iter(|| async {
                let i = n.fetch_add(1, Ordering::Relaxed) % 1000;
                store.set(SCOPE, &format!("s:{i}"), &history).await.unwrap()
            })
        });
        group.bench_function("increment", |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(store.increment(SCOPE, "hits", 1).await.unwrap()) })
        });
        group.bench_function("list_prefix", |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(store.list_prefix(SCOPE, "p:0", 10).await.unwrap()) })
        });
        let m = AtomicU64::new(0);
        group.bench_function("message", |b| {
            b.to_async(&rt).iter(|| async {
                let user = m.fetch_add(1, Ordering::Relaxed) % 100;
                let key = format!("history:{user}");
                black_box(store.get(SCOPE, &key).await.unwrap());
                store.set(SCOPE, &key, &history).await.unwrap();
                for counter in [
                    "total",
                    "ch:general",
                    "hour:13",
                    "du:20261130:",
                    "wu:2026w48:",
                ] {
                    let key = format!("{counter}{user}");
                    store.increment(SCOPE, &key, 1).await.unwrap();
                }
            })
        });
        group.finish();
    }

    if let Some(server) = &server {
        rt.block_on(execute(server, &format!("DROP SCHEMA {schema} CASCADE")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, store_cost);
criterion_main!(benches);
