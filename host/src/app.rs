//! Wiring: from a checked [`Config`] to a running host — store, model backends,
//! runtime with the bundled and configured cogs, dispatcher. Gateways and commands
//! (`run`, `replay`, `demo`, ...) start from an [`App`].

use crate::config::Config;
use crate::dispatch::{CogSwitches, Dispatcher};
use crate::event::Outcome;
use crate::metrics::Metrics;
use crate::runtime::host_api::{Settings, SettingsSource};
use crate::runtime::{CogPolicy, EngineLimits, LoadedCog, Refusal, Runtime, Services};
use crate::store::{SqliteStore, Store};
use anyhow::{Context, Result};
use dashmap::DashMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;

/// Settings and on/off switches, read from the current config. Also supplies the
/// host-provided settings every cog can read: `bot-name` and `commands` (all slash
/// commands the loaded cogs declare).
pub struct HostPolicy {
    config: RwLock<Arc<Config>>,
    commands_json: RwLock<String>,
    cache: DashMap<(String, String), Settings>,
}

impl HostPolicy {
    pub fn new(config: Arc<Config>) -> Self {
        HostPolicy {
            config: RwLock::new(config),
            commands_json: RwLock::new("[]".into()),
            cache: DashMap::new(),
        }
    }

    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replace the config (a reload); cached settings are dropped.
    pub fn set_config(&self, config: Arc<Config>) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
        self.cache.clear();
    }

    /// Refresh the `commands` setting from the live cogs.
    pub fn set_commands(&self, cogs: &[Arc<LoadedCog>]) {
        let list: Vec<serde_json::Value> = cogs
            .iter()
            .flat_map(|cog| {
                cog.commands.iter().map(move |c| {
                    serde_json::json!({
                        "name": c.name,
                        "description": c.description,
                        "cog": &*cog.name,
                    })
                })
            })
            .collect();
        *self
            .commands_json
            .write()
            .unwrap_or_else(|p| p.into_inner()) = serde_json::Value::Array(list).to_string();
        self.cache.clear();
    }
}

impl SettingsSource for HostPolicy {
    fn settings(&self, cog: &str, guild: &str) -> Settings {
        let key = (cog.to_string(), guild.to_string());
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let config = self.config();
        let mut merged: BTreeMap<String, String> = BTreeMap::new();
        merged.insert(
            "bot-name".into(),
            serde_json::to_string(&config.bot_name).unwrap_or_default(),
        );
        merged.insert(
            "commands".into(),
            self.commands_json
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        );
        merged.extend(config.settings(cog, guild));
        let settings = Arc::new(merged);
        self.cache.insert(key, settings.clone());
        settings
    }
}

impl CogSwitches for HostPolicy {
    fn enabled(&self, cog: &str, guild: &str) -> bool {
        self.config().cog_enabled(cog, guild)
    }
}

/// What to load besides the config's cogs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// extra component files (tests, `astra cog test`)
    pub extra_cogs: Vec<PathBuf>,
    /// use this store instead of the config's file
    pub store_path: Option<PathBuf>,
}

/// A built host, ready for a gateway.
pub struct App {
    pub policy: Arc<HostPolicy>,
    pub runtime: Runtime,
    pub dispatcher: Dispatcher,
    pub outcomes: Option<mpsc::UnboundedReceiver<Outcome>>,
    pub store: Arc<dyn Store>,
    /// cogs that were refused at start, with the reason
    pub refused: Vec<Refusal>,
}

impl App {
    pub async fn build(config: Config, options: LoadOptions) -> Result<App> {
        let config = Arc::new(config);
        let store_path = options
            .store_path
            .clone()
            .unwrap_or_else(|| config.store_path.clone());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_path)?);
        let policy = Arc::new(HostPolicy::new(config.clone()));
        let (llm, embed) = crate::models::services(&config)
            .await
            .context("starting the model backends")?;
        let services = Services {
            store: store.clone(),
            settings: policy.clone(),
            llm,
            embed,
            llm_timeout: config.llm_timeout,
            kv_ops_per_call: 10_000,
        };
        let limits = EngineLimits {
            max_instances: 1000,
            memory_bytes: config
                .cogs
                .values()
                .map(|c| c.limits.memory_bytes)
                .chain([config.default_limits.memory_bytes])
                .max()
                .unwrap_or(64 << 20),
        };
        let runtime = Runtime::new(&limits, Some(config.cache_dir.clone()), services)?;

        let mut refused = Vec::new();
        let mut sources: Vec<(String, Vec<u8>, bool)> = Vec::new();
        if config.bundled_cogs {
            for (name, bytes) in crate::cogs::bundled() {
                sources.push((format!("bundled:{name}"), bytes.to_vec(), true));
            }
        }
        for path in plugin_files(&config.plugin_dir)
            .into_iter()
            .chain(options.extra_cogs)
        {
            match std::fs::read(&path) {
                Ok(bytes) => sources.push((path.display().to_string(), bytes, false)),
                Err(e) => refused.push(Refusal {
                    origin: path.display().to_string(),
                    reason: format!("cannot read it: {e}"),
                }),
            }
        }
        for (origin, bytes, bundled) in sources {
            let cfg = config.clone();
            let policy_for = move |name: &str| policy_for(&cfg, name, bundled);
            match runtime.prepare(&bytes, &origin, policy_for).await {
                Ok(cog) => {
                    tracing::info!(cog = %cog.name, version = %cog.manifest.version, "loaded {origin}");
                    if let Some(old) = runtime.install(cog) {
                        tracing::info!(cog = %old.name, "{origin} replaces the earlier cog of that name");
                    }
                }
                Err(refusal) => {
                    tracing::error!("{refusal}");
                    refused.push(refusal);
                }
            }
        }
        policy.set_commands(&runtime.cogs());

        let (dispatcher, outcomes) = Dispatcher::new(
            runtime.clone(),
            policy.clone(),
            config.dispatch.clone(),
            Metrics::default(),
        );
        Ok(App {
            policy,
            runtime,
            dispatcher,
            outcomes: Some(outcomes),
            store,
            refused,
        })
    }

    pub fn take_outcomes(&mut self) -> mpsc::UnboundedReceiver<Outcome> {
        self.outcomes.take().expect("outcomes already taken")
    }
}

/// The admin's policy for cog `name`: configured grants, or for bundled cogs what the
/// manifest asks, or for others the default grants.
pub fn policy_for(config: &Config, name: &str, bundled: bool) -> CogPolicy {
    let cog = config.cog(name);
    let grants = match cog.grants {
        Some(g) => Some(g),
        None if bundled => None,
        None => Some(crate::runtime::Grants::from_caps(
            crate::config::DEFAULT_GRANTS,
        )),
    };
    CogPolicy {
        grants,
        limits: cog.limits,
    }
}

/// `.wasm` files in the plugin folder, sorted (a missing folder is empty).
pub fn plugin_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
