//! Watching the plugin folder and the config file. Events are debounced (a copy of a
//! big component fires many), then the folder is compared with what is loaded: a new
//! `.wasm` loads, a changed one is swapped (by content hash, not timestamp), a removed
//! one is unloaded. A changed config file is re-read; a bad one is refused with file
//! and line and the old config stays.

use super::{CogManager, Source};
use crate::config::Config;
use notify::{RecursiveMode, Watcher};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Quiet time after the last file event before acting on them.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Watch `plugin_dir` (and `config_file`, if any) until `shutdown` completes.
/// `known` are the plugin files already loaded at start, with their content hashes.
pub async fn watch(
    manager: CogManager,
    plugin_dir: PathBuf,
    config_file: Option<PathBuf>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<notify::Event>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = tx.send(event);
        }
    })?;
    std::fs::create_dir_all(&plugin_dir)?;
    watcher.watch(&plugin_dir, RecursiveMode::NonRecursive)?;
    if let Some(dir) = config_file.as_ref().and_then(|f| f.parent()) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    let mut known = hashes(&plugin_dir);
    let mut config_hash = config_file.as_deref().and_then(file_hash);
    tokio::pin!(shutdown);
    loop {
        // Wait for a first event, then for quiet.
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            event = rx.recv() => if event.is_none() { return Ok(()) },
        }
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                more = tokio::time::timeout(DEBOUNCE, rx.recv()) => match more {
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => break,
                },
            }
        }
        apply_plugin_changes(&manager, &plugin_dir, &mut known).await;
        if let Some(file) = &config_file {
            let now = file_hash(file);
            if now != config_hash {
                config_hash = now;
                reload_config(&manager, file);
            }
        }
    }
}

/// Compare the folder with `known` and load, swap or unload accordingly.
pub async fn apply_plugin_changes(
    manager: &CogManager,
    dir: &Path,
    known: &mut HashMap<PathBuf, [u8; 32]>,
) {
    let now = hashes(dir);
    for (path, hash) in &now {
        if known.get(path) != Some(hash) {
            // New or changed. On refusal the old version (if any) keeps serving.
            let _ = manager.load_file(path).await;
        }
    }
    for path in known.keys() {
        if !now.contains_key(path) {
            manager.unload_path(path);
        }
    }
    *known = now;
}

fn reload_config(manager: &CogManager, file: &Path) {
    match Config::load(Some(file)) {
        Ok(config) => {
            manager.policy().set_config(Arc::new(config));
            manager.event("config", format!("reloaded {}", file.display()));
        }
        Err(e) => manager.event("config", format!("change refused, old config kept: {e}")),
    }
}

/// SHA-256 of every `.wasm` file in `dir`.
pub fn hashes(dir: &Path) -> HashMap<PathBuf, [u8; 32]> {
    crate::app::plugin_files(dir)
        .into_iter()
        .filter_map(|p| file_hash(&p).map(|h| (p, h)))
        .collect()
}

fn file_hash(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path).ok().map(|b| Sha256::digest(&b).into())
}

impl CogManager {
    /// Remember bundled cogs as such (for `/plugins reload`).
    pub fn note_bundled(&self, name: &str) {
        self.note_source(name, Source::Bundled);
    }
}
