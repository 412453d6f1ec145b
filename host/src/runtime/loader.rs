//! Turning bytes into a [`LoadedCog`], or into a clear refusal.
//!
//! Order of checks ([`check`], then [`admit`]): is it a component at all; does it
//! target a compatible version of `astra:bot`; does its `init()` run, if it has one
//! (then the instances start from the snapshot, see `preinit.rs`); does it export the
//! `cog` world; does its `manifest()` run and make sense; are the capabilities it asks
//! for granted. Any failure names the file and the reason and nothing is loaded.

use super::bindings::{types as wit, CogPre, WIT_VERSION};
use super::cog::{CallLimits, LoadedCog};
use super::engine::CogEngine;
use super::host_api::{capability_name, CogState, Grants, Services};
use anyhow::{anyhow, bail, Context, Result};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, Linker};

/// Why a cog was refused.
#[derive(Debug, thiserror::Error)]
#[error("refused cog {origin}: {reason}")]
pub struct Refusal {
    pub origin: String,
    pub reason: String,
}

/// What the admin decided about a cog (from the config).
#[derive(Debug, Clone)]
pub struct CogPolicy {
    /// capabilities granted; `None` = grant what the manifest asks (bundled cogs)
    pub grants: Option<Grants>,
    pub limits: CallLimits,
}

/// The linker every cog is instantiated with: WASI (p2, with nothing granted) plus the
/// `astra:bot` imports.
pub fn make_linker(engine: &wasmtime::Engine) -> Result<Linker<CogState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .map_err(|e| anyhow!("{e}"))
        .context("linking WASI")?;
    super::bindings::Cog::add_to_linker::<_, wasmtime::component::HasSelf<CogState>>(
        &mut linker,
        |s| s,
    )
    .map_err(|e| anyhow!("{e}"))
    .context("linking the astra:bot imports")?;
    Ok(linker)
}

/// Check that every `astra:bot/...@x.y.z` import is a version this host can serve.
pub fn check_wit_version(component: &Component, engine: &wasmtime::Engine) -> Result<()> {
    let ty = component.component_type();
    let host = semver_parts(WIT_VERSION).expect("host WIT version");
    for (name, _) in ty.imports(engine) {
        let Some(rest) = name.strip_prefix("astra:bot/") else {
            continue;
        };
        let Some((iface, version)) = rest.split_once('@') else {
            bail!(
                "it imports `{name}` without a version; this host offers astra:bot@{WIT_VERSION}"
            );
        };
        let wanted = semver_parts(version)
            .ok_or_else(|| anyhow!("it imports `{name}` with an unreadable version"))?;
        let compatible = if host.0 == 0 {
            wanted.0 == 0 && wanted.1 == host.1 && wanted.2 <= host.2
        } else {
            wanted.0 == host.0 && (wanted.1, wanted.2) <= (host.1, host.2)
        };
        if !compatible {
            bail!(
                "it was built for astra:bot@{version} (import `{iface}`), but this host offers \
                 astra:bot@{WIT_VERSION}; rebuild the cog against the WIT in this host's `wit/` folder"
            );
        }
    }
    Ok(())
}

fn semver_parts(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split(['.', '-', '+']);
    Some((
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    ))
}

/// A component that passed [`check`]: pre-linked, with a valid manifest.
pub struct Checked {
    pre: CogPre<CogState>,
    manifest: wit::CogManifest,
}

/// Loading a cog from `bytes`, first half: compile (or load from the cache), check the
/// WIT version, pre-initialise, pre-link, read the manifest. CPU-heavy and independent
/// of the admin's policy (`Runtime::prepare` runs it on a blocking thread). `origin`
/// names the cog in errors (a path or `bundled:NAME`).
pub async fn check(
    engine: &CogEngine,
    linker: &Linker<CogState>,
    services: &Services,
    bytes: &[u8],
    origin: &str,
) -> Result<Checked, Refusal> {
    let refuse = |reason: String| Refusal {
        origin: origin.to_string(),
        reason,
    };
    let component = engine
        .component(bytes, origin)
        .map_err(|e| refuse(format!("{e:#}")))?;
    check_wit_version(&component, &engine.engine).map_err(|e| refuse(format!("{e:#}")))?;
    let component = if super::preinit::wants_init(&component, &engine.engine) {
        super::preinit::snapshot(engine, linker, services, bytes, origin)
            .await
            .map_err(|e| refuse(format!("pre-initialising it failed: {e:#}")))?
    } else {
        component
    };
    let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
        refuse(format!(
            "it needs imports this host does not offer ({e}); cogs may import only WASI \
             (p2) and astra:bot@{WIT_VERSION}"
        ))
    })?;
    let pre = CogPre::new(instance_pre).map_err(|e| {
        refuse(format!(
            "it does not export the astra:bot `cog` world ({e}); it must export manifest, \
             triage, handle-message, handle-command and on-event"
        ))
    })?;

    // Ask the cog who it is, in a throwaway instance with no capabilities.
    let manifest = read_manifest(engine, &pre, services)
        .await
        .map_err(|e| refuse(format!("its manifest() failed: {e:#}")))?;
    validate_manifest(&manifest).map_err(|e| refuse(format!("bad manifest: {e}")))?;
    Ok(Checked { pre, manifest })
}

/// Loading a cog, second half: are the capabilities the manifest asks for granted?
pub fn admit(
    checked: Checked,
    services: &Services,
    origin: &str,
    policy_for: impl Fn(&str) -> CogPolicy,
) -> Result<LoadedCog, Refusal> {
    let Checked { pre, manifest } = checked;
    let policy = policy_for(&manifest.name);
    let asked = Grants::from_caps(manifest.capabilities.iter().copied());
    let grants = policy.grants.unwrap_or(asked);
    let missing: Vec<&str> = manifest
        .capabilities
        .iter()
        .filter(|c| !grants.has(**c))
        .map(|c| capability_name(*c))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal {
            origin: origin.to_string(),
            reason: format!(
                "cog `{}` asks for capabilities that are not granted: {}. Grant them in \
                 astra.toml under [cogs.{}] grants = [...] if you trust it",
                manifest.name,
                missing.join(", "),
                manifest.name
            ),
        });
    }
    // A cog never gets more than it asked for.
    let grants = Grants::from_caps(manifest.capabilities.iter().copied());
    Ok(LoadedCog::new(
        pre,
        manifest,
        grants,
        services.clone(),
        policy.limits,
        64,
    ))
}

async fn read_manifest(
    engine: &CogEngine,
    pre: &CogPre<CogState>,
    services: &Services,
) -> Result<wit::CogManifest> {
    let mut store = LoadedCog::new_store(
        &engine.engine,
        Arc::from("(loading)"),
        Grants::none(),
        services.clone(),
        64 << 20,
    );
    let budget = Duration::from_secs(1);
    LoadedCog::start_budget(&mut store, budget);
    let bindings = pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| anyhow!("{e}"))
        .context("instantiating")?;
    let manifest = bindings
        .call_manifest(&mut store)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(manifest)
}

fn validate_manifest(m: &wit::CogManifest) -> Result<(), String> {
    let name_ok = !m.name.is_empty()
        && m.name.len() <= 64
        && m.name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(format!(
            "name {:?} must be 1-64 characters of a-z, 0-9, '-' or '_'",
            m.name
        ));
    }
    for c in &m.commands {
        let ok = !c.name.is_empty()
            && c.name.split(' ').count() <= 2
            && c.name.split(' ').all(|part| {
                !part.is_empty()
                    && part.len() <= 32
                    && part.chars().all(|ch| {
                        ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                    })
            });
        if !ok {
            return Err(format!(
                "command {:?}: names are 1-32 characters of a-z, 0-9, '-', '_' with at most one subcommand",
                c.name
            ));
        }
    }
    Ok(())
}
