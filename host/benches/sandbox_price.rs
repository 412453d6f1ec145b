//! The sandbox's price: the security cog's logic compiled natively into this benchmark
//! vs the same crate compiled to a wasm component and called through Astra's runtime.
//!
//! Per message, the cog does `triage` and then `handle-message` (called here for every
//! line, flagged or not), and each of them loads its settings (through the `config`
//! import) and reads the text; the handler of a line triage flagged takes back the
//! reading triage kept (`security::reading`). So:
//! - `native/classifier`: the pure classifier twice, settings built once (both calls
//!   reading everything, as the cog did before it kept readings);
//! - `native/same-work`: what the cog does, natively: the very pairs the host hands
//!   the cog (`config::all()`) looked up in the cog's settings cache (validated again
//!   only when they change), then read the text for triage (keeping the reading of a
//!   message it flags) and for handle (taking that reading back, or reading again);
//! - `wasm/triage+handle`: the real cog through `LoadedCog::call` (instance pool, CPU
//!   deadline, memory cap, the `config` import, canonical-ABI copies), on the host's
//!   settings.
//!
//! Flood and duplicate tracking are switched off for all three (they live in `kv`,
//! i.e. SQLite, which only the cog has); the corpus's abusive and clean lines are the
//! messages. Run: `cargo bench -p astra --bench sandbox_price`.

use astra::app::{App, LoadOptions};
use astra::config::Config;
use astra::gateway::local;
use astra::runtime::convert::message_to_wit;
use astra::runtime::host_api::SettingsSource;
use astra::runtime::Export;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use security::corpus;
use security::{Reading, Recent, Settings, SettingsCache};
use std::hint::black_box;
use std::time::Duration;

/// The host binary's allocator, so "natively in the host" means with it.
#[global_allocator]
static ALLOCATOR: astra::HostAllocator = astra::HostAllocator;

const GUILD: &str = "bench";
const HOST_KEYS: [&str; 2] = ["bot-name", "commands"];

fn texts() -> Vec<&'static str> {
    let mut all = corpus::lines(corpus::ABUSIVE);
    all.extend(corpus::lines(corpus::CLEAN));
    all
}

fn config(dir: &std::path::Path) -> Config {
    let text = format!(
        "bundled_cogs = true\nplugin_dir = {:?}\ncache_dir = {:?}\n\
         [cogs.security.settings]\ndisabled = [\"flood\", \"duplicate\"]\n\
         [llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n",
        dir.join("no-plugins").display().to_string(),
        astra::config::default_cache_dir().display().to_string(),
    );
    Config::parse(&text, &dir.join("astra.toml")).expect("bench config")
}

fn sandbox_price(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let dir = std::env::temp_dir().join(format!("astra-sandbox-price-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let app = rt
        .block_on(App::build(
            config(&dir),
            LoadOptions {
                store_path: Some(dir.join("bench.db")),
                ..Default::default()
            },
        ))
        .expect("host builds");
    let cog = app.runtime.cog("security").expect("security is bundled");
    // What the cog's `config::all()` gets: the guild's settings without the keys the
    // host adds for every cog (`HOST_KEYS` in runtime/host_api/config.rs).
    let pairs: Vec<(String, String)> = app
        .policy
        .settings("security", GUILD)
        .iter()
        .filter(|(k, _)| !HOST_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let once = Settings::from_pairs(pairs.iter().map(|(k, v)| (k.clone(), v.clone()))).0;
    assert!(
        !once.is_enabled(security::Rule::Flood),
        "the host hands over `disabled`"
    );

    let texts = texts();
    let messages: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut m = local::message(&format!("user{i}"), t, "Astra");
            m.id = i.to_string();
            m.guild_id = GUILD.into();
            message_to_wit(&m)
        })
        .collect();

    let mut group = c.benchmark_group("security per message (triage + handle)");
    group
        .throughput(Throughput::Elements(texts.len() as u64))
        .sample_size(30)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(10));

    group.bench_function("native/classifier", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(security::classify_all(black_box(t), &once));
                black_box(security::classify_all(black_box(t), &once));
            }
        })
    });

    group.bench_function("native/same-work", |b| {
        let mut cache = SettingsCache::default();
        let mut recent = Recent::default();
        b.iter(|| {
            for (t, m) in texts.iter().zip(&messages) {
                // triage: read, and keep the reading of a flagged message
                let (s, _) = cache.get(black_box(pairs.clone()));
                let reading = Reading::for_triage(black_box(t), &s);
                if !reading.found.is_empty() {
                    recent.keep(&m.id, t, &s, reading);
                }
                // handle: take it back, or read again
                let (s, _) = cache.get(black_box(pairs.clone()));
                let reading = recent
                    .take(&m.id, t, &s)
                    .unwrap_or_else(|| Reading::full(black_box(t), &s));
                black_box(reading);
            }
        })
    });

    group.bench_function("wasm/triage+handle", |b| {
        b.to_async(&rt).iter(|| async {
            for m in &messages {
                black_box(cog.call(GUILD, Export::Triage(m)).await.is_ok());
                black_box(cog.call(GUILD, Export::Handle(m)).await.is_ok());
            }
        })
    });
    group.finish();
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, sandbox_price);
criterion_main!(benches);
