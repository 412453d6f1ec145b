//! Wiring: from a checked [`Config`] to a running host — store, model backends,
//! runtime with the bundled and configured cogs, dispatcher. Gateways and commands
//! (`run`, `replay`, `demo`, ...) start from an [`App`].

use crate::commands::HostCommands;
use crate::config::Config;
use crate::dispatch::{CogSwitches, Dispatcher};
use crate::event::Outcome;
use crate::metrics::Metrics;
use crate::reload::{CogManager, ProbationPolicy, Source};
use crate::runtime::host_api::{Settings, SettingsSource};
use crate::runtime::{CogPolicy, EngineLimits, LoadedCog, Refusal, Runtime, Services};
use crate::store::Store;
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
    /// live switches from `/plugins enable|disable` (cog, guild) → on; they win over
    /// the config until the host restarts
    overrides: DashMap<(String, String), bool>,
    /// (name, description) of the commands the host answers itself
    host_commands: RwLock<Vec<(String, String)>>,
    commands_json: RwLock<String>,
    cache: DashMap<(String, String), Settings>,
}

impl HostPolicy {
    pub fn new(config: Arc<Config>) -> Self {
        HostPolicy {
            config: RwLock::new(config),
            overrides: DashMap::new(),
            host_commands: RwLock::new(Vec::new()),
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

    /// The host's own commands, listed by `/help` with the cogs' ones.
    pub fn set_host_commands(&self, commands: &HostCommands) {
        *self
            .host_commands
            .write()
            .unwrap_or_else(|p| p.into_inner()) = commands
            .all()
            .iter()
            .map(|c| (c.name().to_string(), c.description().to_string()))
            .collect();
    }

    /// Switch cog `cog` on or off in `guild` (until restart).
    pub fn set_override(&self, cog: &str, guild: &str, enabled: bool) {
        self.overrides
            .insert((cog.to_string(), guild.to_string()), enabled);
    }

    /// Is `cog` on in `guild` (live switch, else config)?
    pub fn is_enabled(&self, cog: &str, guild: &str) -> bool {
        if self.overrides.is_empty() {
            return self.config().cog_enabled(cog, guild);
        }
        match self.overrides.get(&(cog.to_string(), guild.to_string())) {
            Some(on) => *on,
            None => self.config().cog_enabled(cog, guild),
        }
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
            .chain(
                self.host_commands
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .map(|(name, description)| {
                        serde_json::json!({"name": name, "description": description, "cog": "host"})
                    }),
            )
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
        self.is_enabled(cog, guild)
    }
}

/// What to load besides the config's cogs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// extra component files (tests, `astra cog test`)
    pub extra_cogs: Vec<PathBuf>,
    /// use this SQLite file instead of the config's store (file or PostgreSQL)
    pub store_path: Option<PathBuf>,
}

/// A built host, ready for a gateway.
pub struct App {
    /// cog administration and hot reload
    pub manager: CogManager,
    pub policy: Arc<HostPolicy>,
    pub runtime: Runtime,
    pub dispatcher: Dispatcher,
    pub outcomes: Option<mpsc::UnboundedReceiver<Outcome>>,
    pub store: Arc<dyn Store>,
    /// the memory behind the cogs' `cache` import
    pub cache: Arc<crate::store::Cache>,
    /// cogs that were refused at start, with the reason
    pub refused: Vec<Refusal>,
}

impl App {
    pub async fn build(config: Config, options: LoadOptions) -> Result<App> {
        let config = Arc::new(config);
        let store = match &options.store_path {
            Some(path) => crate::store::open(path, None, 0).await?,
            None => {
                crate::store::open(
                    &config.store_path,
                    config.store_url.as_ref(),
                    config.store_connections,
                )
                .await?
            }
        };
        let policy = Arc::new(HostPolicy::new(config.clone()));
        let (llm, embed) = crate::models::services(&config)
            .await
            .context("starting the model backends")?;
        let cache: Arc<crate::store::Cache> = Default::default();
        let services = Services {
            store: store.clone(),
            cache: cache.clone(),
            settings: policy.clone(),
            llm,
            embed,
            // the backend enforces [llm] timeout_ms; this is the host's backstop
            llm_timeout: std::time::Duration::from_millis(config.llm.timeout_ms + 1000),
            kv_ops_per_call: config.guards.kv_ops_per_call,
            quotas: Arc::new(crate::runtime::Quotas::new(config.guards)),
        };
        let limits = EngineLimits {
            // every running job holds one instance; the rest covers idle pools and triage
            max_instances: 1000.max(config.dispatch.max_concurrent as u32 + 500),
            memory_bytes: config
                .cogs
                .values()
                .map(|c| c.limits.memory_bytes)
                .chain([config.default_limits.memory_bytes])
                .max()
                .unwrap_or(64 << 20),
        };
        let runtime = Runtime::new(&limits, Some(config.cache_dir.clone()), services)?;

        let manager = CogManager::new(runtime.clone(), policy.clone(), ProbationPolicy::default());
        let mut refused = Vec::new();
        if config.bundled_cogs {
            for (name, bytes) in crate::cogs::bundled() {
                let origin = format!("bundled:{name}");
                if let Err(r) = manager.load_bytes(bytes, &origin, Source::Bundled).await {
                    refused.push(r);
                }
            }
        }
        for path in plugin_files(&config.plugin_dir)
            .into_iter()
            .chain(options.extra_cogs)
        {
            if let Err(r) = manager.load_file(&path).await {
                refused.push(r);
            }
        }
        for r in &refused {
            tracing::error!("{r}");
        }

        let (dispatcher, outcomes) = Dispatcher::new(
            runtime.clone(),
            policy.clone(),
            config.dispatch.clone(),
            Metrics::default(),
        );
        let mut host_commands = HostCommands::default();
        crate::commands::plugins::register(&mut host_commands, &manager);
        crate::commands::register_defaults(&mut host_commands);
        policy.set_host_commands(&host_commands);
        dispatcher.set_host_commands(host_commands);
        policy.set_commands(&runtime.cogs());
        Ok(App {
            manager,
            policy,
            runtime,
            dispatcher,
            outcomes: Some(outcomes),
            store,
            cache,
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
