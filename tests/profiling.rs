//! Profiling cogs: with `ASTRA_PERF_MAP=1` the engine names every compiled function of
//! every cog it loads in `/tmp/perf-<pid>.map`, so `perf report` shows a cog's own
//! functions (`wasm[0]::function[N]::triage`) instead of anonymous addresses.
//!
//! Its own test binary: the variable is read when an engine starts, and no other test
//! in this process may see it.

use astra::runtime::engine::{CogEngine, EngineLimits};

#[test]
fn a_cogs_functions_are_named_for_perf_when_asked() {
    std::env::set_var("ASTRA_PERF_MAP", "1");
    let limits = EngineLimits {
        max_instances: 4,
        memory_bytes: 64 << 20,
    };
    let engine = CogEngine::new(&limits, None).expect("engine starts");
    let (name, bytes) = astra::cogs::bundled()
        .iter()
        .find(|(name, _)| *name == "security")
        .expect("security is bundled");
    let _component = engine.component(bytes, name).expect("the cog compiles");

    let map = std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()));
    let text = std::fs::read_to_string(&map).expect("the perf map was written");
    let _ = std::fs::remove_file(&map);
    let named: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("wasm[0]::function["))
        .collect();
    assert!(named.len() > 100, "{} functions named", named.len());
    for export in ["triage", "handle-message"] {
        assert!(
            named.iter().any(|l| l.ends_with(&format!("::{export}"))),
            "`{export}` is named in the map"
        );
    }
}
