//! `astra cog check FILE`: would this host load the component, and if not, why?
//!
//! The verdict is the loader's own (`runtime::loader` via [`Runtime::prepare`]), so
//! `check` and a real start can never disagree. Around it, this file explains in plain
//! words what the loader only refuses: a file that is not WebAssembly or is a core
//! module, which import the host does not offer, which export is missing, which WIT
//! version the cog was built for. On success it prints the manifest, with the
//! capabilities an admin must grant beyond a plugin's defaults. `cog test` uses
//! [`inspect`] to refuse early with the same words.

use crate::app::HostPolicy;
use crate::config::{Config, DEFAULT_GRANTS};
use crate::runtime::bindings::{types as wit, WIT_VERSION};
use crate::runtime::host_api::capability_name;
use crate::runtime::{loader, CogPolicy, EngineLimits, Runtime, Services};
use crate::store::SqliteStore;
use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::types::ComponentItem;

/// The exports of the `cog` world, which every cog must have.
const REQUIRED_EXPORTS: [&str; 5] = [
    "manifest",
    "triage",
    "handle-message",
    "handle-command",
    "on-event",
];

/// What `check` found out about a component that loads.
pub struct Inspection {
    pub manifest: wit::CogManifest,
    /// the astra:bot version its imports name (`None`: it imports none)
    pub built_for: Option<String>,
    pub size: usize,
    pub compile_time: Duration,
    /// false when the compiled form came from the cache
    pub compiled_now: bool,
    pub imports: Vec<String>,
}

/// `astra cog check FILE`: print the report; an error when the host would refuse it.
pub async fn run(file: &Path, config: &Config) -> Result<()> {
    let inspection = inspect(file, config).await?;
    print!("{}", report(file, &inspection, config));
    println!("ok: this host (astra:bot@{WIT_VERSION}) would load it");
    Ok(())
}

/// Load `file` the way the host would (compile cache included) and return what it is,
/// or an error that explains the refusal.
pub async fn inspect(file: &Path, config: &Config) -> Result<Inspection> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let origin = file.display().to_string();
    explain_format(&bytes, &origin)?;

    let runtime = runtime_for_checks(config)?;
    let cached_before = cache_entries(&config.cache_dir);
    let started = Instant::now();
    let component = runtime
        .engine()
        .component(&bytes, &origin)
        .map_err(|e| anyhow!("refused: {e:#}"))?;
    let compile_time = started.elapsed();
    let compiled_now = cache_entries(&config.cache_dir) > cached_before;

    // Explain the component's shape before asking the loader for its verdict.
    let engine = &runtime.engine().engine;
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let exports: Vec<(String, bool)> = ty
        .exports(engine)
        .map(|(name, item)| {
            (
                name.to_string(),
                matches!(item.ty, ComponentItem::ComponentFunc(_)),
            )
        })
        .collect();
    let built_for = imports
        .iter()
        .filter_map(|name| name.strip_prefix("astra:bot/"))
        .filter_map(|rest| rest.split_once('@').map(|(_, v)| v.to_string()))
        .next();
    if let Err(e) = loader::check_wit_version(&component, engine) {
        bail!("refused: {e:#}");
    }

    // The loader's verdict (imports, types of the exports, the manifest call and its
    // validation). Grant what the manifest asks: `check` reports what an admin must
    // grant instead of refusing over it.
    let verdict = runtime
        .prepare(&bytes, &origin, |_| CogPolicy {
            grants: None,
            limits: config.default_limits,
        })
        .await;
    let cog = match verdict {
        Ok(cog) => cog,
        Err(refusal) => bail!(
            "refused: {}{}",
            refusal.reason,
            plain_words(&imports, &exports)
        ),
    };
    Ok(Inspection {
        manifest: cog.manifest.clone(),
        built_for,
        size: bytes.len(),
        compile_time,
        compiled_now,
        imports,
    })
}

/// The refusal in plain words: which imports the host does not offer, which exports
/// of the `cog` world are missing.
fn plain_words(imports: &[String], exports: &[(String, bool)]) -> String {
    let mut out = String::new();
    let foreign: Vec<&String> = imports.iter().filter(|name| !offered(name)).collect();
    if !foreign.is_empty() {
        out.push_str(&format!(
            "\n  in plain words: it imports {}, which this host does not offer (a cog may \
             import only astra:bot@{WIT_VERSION} and WASI 0.2)",
            join(foreign.iter().map(|s| format!("`{s}`")))
        ));
        if foreign.iter().any(|name| name.starts_with("wasi:http/")) {
            out.push_str(
                "\n  a JavaScript cog pulls in wasi:http unless it is built with \
                 `componentize-js ... -d http fetch-event`",
            );
        }
    }
    let missing: Vec<&str> = REQUIRED_EXPORTS
        .iter()
        .copied()
        .filter(|want| !exports.iter().any(|(name, func)| name == want && *func))
        .collect();
    if !missing.is_empty() {
        out.push_str(&format!(
            "\n  in plain words: it does not export {} of the `cog` world (it exports: {}); \
             build it for world `cog` of this host's wit/astra.wit",
            join(missing.iter().map(|s| format!("`{s}`"))),
            if exports.is_empty() {
                "nothing".to_string()
            } else {
                join(exports.iter().map(|(name, _)| format!("`{name}`")))
            }
        ));
    }
    out
}

/// A runtime with no cogs, an in-memory store and no model: enough to compile a
/// component and call its `manifest`. It shares the config's compile cache.
fn runtime_for_checks(config: &Config) -> Result<Runtime> {
    let services = Services {
        store: Arc::new(SqliteStore::in_memory()?),
        cache: Default::default(),
        settings: Arc::new(HostPolicy::new(Arc::new(config.clone()))),
        llm: None,
        embed: None,
        llm_timeout: Duration::from_secs(1),
        kv_ops_per_call: 10_000,
        quotas: Default::default(),
    };
    let limits = EngineLimits {
        max_instances: 8,
        memory_bytes: config
            .cogs
            .values()
            .map(|c| c.limits.memory_bytes)
            .chain([config.default_limits.memory_bytes])
            .max()
            .unwrap_or(64 << 20),
    };
    Runtime::new(&limits, Some(config.cache_dir.clone()), services)
}

/// How many compiled components the cache holds (to tell a compile from a cache hit).
fn cache_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
                .count()
        })
        .unwrap_or(0)
}

/// Plain words for bytes that are not a component at all.
fn explain_format(bytes: &[u8], origin: &str) -> Result<()> {
    if !bytes.starts_with(b"\0asm") || bytes.len() < 8 {
        bail!(
            "refused: {origin} is not a WebAssembly file (it does not start with \\0asm). \
             Build the cog first: `cargo build --release --target wasm32-wasip2`, \
             componentize-py or componentize-js (see sdk/README.md)"
        );
    }
    // Bytes 4..8: version and layer; a core module has layer 0, a component layer 1.
    if bytes[6..8] == [0, 0] {
        bail!(
            "refused: {origin} is a core WebAssembly module, not a component. Build for \
             `wasm32-wasip2` (Rust), or wrap a core module with `wasm-tools component new`"
        );
    }
    Ok(())
}

/// Is `import` one the host's linker serves?
fn offered(import: &str) -> bool {
    if import.starts_with("astra:bot/") {
        return true;
    }
    let Some(rest) = import.strip_prefix("wasi:") else {
        return false;
    };
    let package = rest.split('/').next().unwrap_or("");
    let version_ok = rest
        .split_once('@')
        .is_some_and(|(_, v)| v.starts_with("0.2."));
    version_ok
        && matches!(
            package,
            "cli" | "io" | "clocks" | "random" | "filesystem" | "sockets"
        )
}

/// The human report of a cog that loads.
pub fn report(file: &Path, inspection: &Inspection, config: &Config) -> String {
    let m = &inspection.manifest;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("{} {} — {}", m.name, m.version, m.description));
    line(format!(
        "file: {} ({:.1} MB), built for astra:bot@{}",
        file.display(),
        inspection.size as f64 / 1e6,
        inspection
            .built_for
            .as_deref()
            .unwrap_or("? (it imports no astra:bot interface)")
    ));
    if inspection.compiled_now {
        line(format!(
            "compiled in {:.1} s, now cached in {} (the next load takes milliseconds)",
            inspection.compile_time.as_secs_f64(),
            config.cache_dir.display()
        ));
    } else {
        line(format!(
            "loaded in {:.0} ms from the compile cache in {}",
            inspection.compile_time.as_secs_f64() * 1000.0,
            config.cache_dir.display()
        ));
    }
    let astra: Vec<&str> = inspection
        .imports
        .iter()
        .filter_map(|i| i.strip_prefix("astra:bot/"))
        .map(|i| i.split('@').next().unwrap_or(i))
        .collect();
    let wasi = inspection
        .imports
        .iter()
        .filter(|i| i.starts_with("wasi:"))
        .count();
    line(format!(
        "imports: astra:bot {{{}}}, {wasi} WASI interface(s)",
        astra.join(", ")
    ));
    let asked: Vec<&str> = m.capabilities.iter().map(|c| capability_name(*c)).collect();
    line(format!(
        "capabilities asked: {}",
        if asked.is_empty() {
            "none".into()
        } else {
            asked.join(", ")
        }
    ));
    let beyond: Vec<&str> = m
        .capabilities
        .iter()
        .filter(|c| !DEFAULT_GRANTS.contains(c))
        .map(|c| capability_name(*c))
        .collect();
    if beyond.is_empty() {
        line("  all within what a plugin is granted by default".into());
    } else {
        line(format!(
            "  beyond a plugin's defaults: {} — an admin grants them in astra.toml: \
             [cogs.{}] grants = [{}]",
            beyond.join(", "),
            m.name,
            asked
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if m.commands.is_empty() {
        line("commands: none".into());
    } else {
        line("commands:".into());
        for c in &m.commands {
            let permission =
                serde_json::to_value(crate::runtime::convert::permission_from_wit(c.permission))
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
            let options: Vec<String> = c
                .options
                .iter()
                .map(|o| {
                    format!(
                        "{}:{}{}",
                        o.name,
                        option_kind(o.kind),
                        if o.required { "" } else { "?" }
                    )
                })
                .collect();
            line(format!(
                "  /{:<20} {:<16} {}{}",
                c.name,
                permission,
                c.description,
                if options.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", options.join(" "))
                }
            ));
        }
    }
    let events: Vec<&str> = m
        .events
        .iter()
        .map(|e| match e {
            wit::EventKind::ModerationActions => "moderation-actions",
        })
        .collect();
    line(format!(
        "events: {}",
        if events.is_empty() {
            "none".into()
        } else {
            events.join(", ")
        }
    ));
    out
}

fn option_kind(kind: wit::OptionKind) -> &'static str {
    match kind {
        wit::OptionKind::Text => "text",
        wit::OptionKind::Integer => "integer",
        wit::OptionKind::Boolean => "boolean",
        wit::OptionKind::User => "user",
        wit::OptionKind::Channel => "channel",
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}
