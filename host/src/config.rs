//! Configuration in two stages: `RawConfig` is `astra.toml` as written (serde, unknown
//! keys refused), `Config` is the checked result the app builds its parts from. No
//! file is needed: every field has a default. A bad file fails at start with the file,
//! the line and what to fix.

use crate::dispatch::{DispatchConfig, RateSpec};
use crate::event::Priority;
use crate::runtime::bindings::types::Capability;
use crate::runtime::host_api::{capability_from_name, capability_name, ALL_CAPABILITIES};
use crate::runtime::{CallLimits, Grants};
use anyhow::Result;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration error: where and what.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    plugin_dir: Option<PathBuf>,
    store: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    bundled_cogs: Option<bool>,
    bot_name: Option<String>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    rate_limit: Option<RawRate>,
    #[serde(default)]
    llm: Option<toml::Table>,
    #[serde(default)]
    embed: Option<toml::Table>,
    #[serde(default)]
    cogs: BTreeMap<String, RawCog>,
    #[serde(default)]
    guilds: BTreeMap<String, RawGuild>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    queue_capacity: Option<NonZeroU32>,
    max_concurrent: Option<NonZeroU32>,
    reserved_critical: Option<u32>,
    task_timeout_ms: Option<NonZeroU32>,
    retries: Option<u32>,
    retry_backoff_ms: Option<u32>,
    triage_deadline_ms: Option<NonZeroU32>,
    handle_deadline_ms: Option<NonZeroU32>,
    memory_mib: Option<NonZeroU32>,
    llm_timeout_ms: Option<NonZeroU32>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawRate {
    messages: NonZeroU32,
    per_seconds: NonZeroU32,
    #[serde(default)]
    applies_to: Option<PriorityList>,
}

#[derive(Debug, Clone, Copy)]
struct PriorityList([bool; 4]);

impl<'de> Deserialize<'de> for PriorityList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<Priority>::deserialize(d)?;
        let mut set = [false; 4];
        for p in list {
            set[p.index()] = true;
        }
        Ok(PriorityList(set))
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawCog {
    enabled: Option<bool>,
    grants: Option<Vec<CapName>>,
    triage_deadline_ms: Option<NonZeroU32>,
    handle_deadline_ms: Option<NonZeroU32>,
    memory_mib: Option<NonZeroU32>,
    #[serde(default)]
    settings: toml::Table,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGuild {
    rate_limit: Option<RawRate>,
    #[serde(default)]
    cogs: BTreeMap<String, RawGuildCog>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGuildCog {
    enabled: Option<bool>,
    #[serde(default)]
    settings: toml::Table,
}

/// A capability name as written in `grants = [...]`.
#[derive(Debug, Clone, Copy)]
struct CapName(Capability);

impl<'de> Deserialize<'de> for CapName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        capability_from_name(&name).map(CapName).ok_or_else(|| {
            let known: Vec<&str> = ALL_CAPABILITIES
                .iter()
                .map(|c| capability_name(*c))
                .collect();
            serde::de::Error::custom(format!(
                "unknown capability `{name}`; known capabilities: {}",
                known.join(", ")
            ))
        })
    }
}

/// What the admin configured for one cog.
#[derive(Debug, Clone)]
pub struct CogConfig {
    pub enabled: bool,
    /// `None`: bundled cogs get what they ask, others get [`DEFAULT_GRANTS`]
    pub grants: Option<Grants>,
    pub limits: CallLimits,
    /// key → JSON text
    pub settings: BTreeMap<String, String>,
}

/// What a cog without an explicit `grants` list gets when it is not bundled: enough
/// to talk and remember, nothing that removes people or messages.
pub const DEFAULT_GRANTS: [Capability; 8] = [
    Capability::Log,
    Capability::Kv,
    Capability::Config,
    Capability::Clock,
    Capability::Reply,
    Capability::Send,
    Capability::React,
    Capability::Embed,
];

#[derive(Debug, Clone, Default)]
pub struct GuildConfig {
    pub cogs: BTreeMap<String, GuildCogConfig>,
}

#[derive(Debug, Clone, Default)]
pub struct GuildCogConfig {
    pub enabled: Option<bool>,
    pub settings: BTreeMap<String, String>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// the file it came from (`None`: defaults)
    pub source: Option<PathBuf>,
    pub plugin_dir: PathBuf,
    pub store_path: PathBuf,
    pub cache_dir: PathBuf,
    pub bundled_cogs: bool,
    pub bot_name: String,
    pub dispatch: DispatchConfig,
    pub default_limits: CallLimits,
    pub llm_timeout: Duration,
    pub llm: toml::Table,
    pub embed: toml::Table,
    pub cogs: BTreeMap<String, CogConfig>,
    pub guilds: BTreeMap<String, GuildConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), Path::new("."), None, "")
            .expect("the defaults are valid")
    }
}

impl Config {
    /// Load `path`, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            message: format!("cannot read the config file: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Parse `text` as if read from `path` (relative paths are resolved against its
    /// folder).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: e.span().map(|s| line_at(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        Config::from_raw(raw, base, Some(path), text)
    }

    fn from_raw(
        raw: RawConfig,
        base: &Path,
        source: Option<&Path>,
        text: &str,
    ) -> Result<Config, ConfigError> {
        let fail = |key: &str, message: String| ConfigError {
            file: source
                .map(Path::to_path_buf)
                .unwrap_or_else(|| "astra.toml".into()),
            line: line_of_key(text, key),
            message,
        };
        let l = &raw.limits;
        let max_concurrent = l.max_concurrent.map_or(50, |n| n.get() as usize);
        let reserved = l
            .reserved_critical
            .map_or(10.min(max_concurrent / 5), |n| n as usize);
        if reserved >= max_concurrent {
            return Err(fail(
                "reserved_critical",
                format!(
                    "reserved_critical ({reserved}) must be smaller than max_concurrent ({max_concurrent}) \
                     so non-critical work can run at all"
                ),
            ));
        }
        let default_limits = CallLimits {
            triage: ms(l.triage_deadline_ms, 10),
            handle: ms(l.handle_deadline_ms, 10_000),
            memory_bytes: l.memory_mib.map_or(64, |n| n.get() as usize) << 20,
        };
        let rate = |r: RawRate| RateSpec {
            messages: r.messages,
            per: Duration::from_secs(r.per_seconds.get() as u64),
        };
        let mut dispatch = DispatchConfig {
            queue_capacity: l.queue_capacity.map_or(1000, |n| n.get() as usize),
            max_concurrent,
            reserved_critical: reserved,
            task_timeout: ms(l.task_timeout_ms, 30_000),
            retries: l.retries.unwrap_or(3).min(10),
            retry_backoff: Duration::from_millis(l.retry_backoff_ms.unwrap_or(10) as u64),
            ..DispatchConfig::default()
        };
        if let Some(r) = raw.rate_limit {
            dispatch.rate_limit = rate(r);
            if let Some(PriorityList(set)) = r.applies_to {
                if set[Priority::Critical.index()] {
                    return Err(fail(
                        "applies_to",
                        "the rate limit cannot apply to critical messages (security work is never \
                         rate limited); remove \"critical\""
                            .into(),
                    ));
                }
                dispatch.rate_limited = Priority::ALL
                    .into_iter()
                    .filter(|p| set[p.index()])
                    .collect();
            }
        }
        let mut guilds = BTreeMap::new();
        for (id, g) in raw.guilds {
            if let Some(r) = g.rate_limit {
                dispatch.guild_rate_limits.insert(id.clone(), rate(r));
            }
            let cogs = g
                .cogs
                .into_iter()
                .map(|(name, c)| {
                    (
                        name,
                        GuildCogConfig {
                            enabled: c.enabled,
                            settings: settings_json(&c.settings),
                        },
                    )
                })
                .collect();
            guilds.insert(id, GuildConfig { cogs });
        }
        let cogs = raw
            .cogs
            .into_iter()
            .map(|(name, c)| {
                let cfg = CogConfig {
                    enabled: c.enabled.unwrap_or(true),
                    grants: c
                        .grants
                        .map(|list| Grants::from_caps(list.into_iter().map(|CapName(c)| c))),
                    limits: CallLimits {
                        triage: c.triage_deadline_ms.map_or(default_limits.triage, |n| {
                            Duration::from_millis(n.get() as u64)
                        }),
                        handle: c.handle_deadline_ms.map_or(default_limits.handle, |n| {
                            Duration::from_millis(n.get() as u64)
                        }),
                        memory_bytes: c
                            .memory_mib
                            .map_or(default_limits.memory_bytes, |n| (n.get() as usize) << 20),
                    },
                    settings: settings_json(&c.settings),
                };
                (name, cfg)
            })
            .collect();
        let resolve = |p: Option<PathBuf>, default: &str| {
            let p = p.unwrap_or_else(|| default.into());
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        };
        Ok(Config {
            source: source.map(Path::to_path_buf),
            plugin_dir: resolve(raw.plugin_dir, "plugins"),
            store_path: resolve(raw.store, "astra.db"),
            cache_dir: match raw.cache_dir {
                Some(p) => resolve(Some(p), ""),
                None => default_cache_dir(),
            },
            bundled_cogs: raw.bundled_cogs.unwrap_or(true),
            bot_name: raw.bot_name.unwrap_or_else(|| "Astra".into()),
            dispatch,
            default_limits,
            llm_timeout: ms(l.llm_timeout_ms, 20_000),
            llm: raw.llm.unwrap_or_default(),
            embed: raw.embed.unwrap_or_default(),
            cogs,
            guilds,
        })
    }

    /// The admin's configuration for cog `name` (defaults when absent).
    pub fn cog(&self, name: &str) -> CogConfig {
        self.cogs.get(name).cloned().unwrap_or(CogConfig {
            enabled: true,
            grants: None,
            limits: self.default_limits,
            settings: BTreeMap::new(),
        })
    }

    /// Is cog `name` on in `guild`?
    pub fn cog_enabled(&self, name: &str, guild: &str) -> bool {
        let global = self.cogs.get(name).is_none_or(|c| c.enabled);
        self.guilds
            .get(guild)
            .and_then(|g| g.cogs.get(name))
            .and_then(|c| c.enabled)
            .unwrap_or(global)
    }

    /// The cog's settings for `guild`: global settings overridden by the guild's.
    pub fn settings(&self, name: &str, guild: &str) -> BTreeMap<String, String> {
        let mut merged = self
            .cogs
            .get(name)
            .map(|c| c.settings.clone())
            .unwrap_or_default();
        if let Some(over) = self.guilds.get(guild).and_then(|g| g.cogs.get(name)) {
            merged.extend(over.settings.clone());
        }
        merged
    }
}

fn ms(v: Option<NonZeroU32>, default: u64) -> Duration {
    Duration::from_millis(v.map_or(default, |n| n.get() as u64))
}

fn settings_json(table: &toml::Table) -> BTreeMap<String, String> {
    table
        .iter()
        .map(|(k, v)| {
            let json = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
            (k.clone(), json)
        })
        .collect()
}

/// `$XDG_CACHE_HOME/astra` or `~/.cache/astra`, else `.astra/cache`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("astra");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("astra");
    }
    PathBuf::from(".astra").join("cache")
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line where `key = ...` is written, if it is.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/astra/astra.toml"))
    }

    #[test]
    fn no_file_gives_the_documented_defaults() {
        let c = Config::default();
        assert_eq!(c.dispatch.queue_capacity, 1000);
        assert_eq!(c.dispatch.max_concurrent, 50);
        assert_eq!(c.dispatch.task_timeout, Duration::from_secs(30));
        assert_eq!(c.dispatch.retries, 3);
        assert_eq!(c.dispatch.rate_limit.messages.get(), 5);
        assert_eq!(c.dispatch.rate_limit.per, Duration::from_secs(10));
        assert!(c.bundled_cogs);
    }

    #[test]
    fn a_syntax_error_names_file_and_line() {
        let e = parse("bot_name = \"x\"\n\n[limits]\nqueue_capacity = = 3\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.to_string().starts_with("/etc/astra/astra.toml:4:"), "{e}");
    }

    #[test]
    fn an_unknown_key_names_the_line_and_the_key() {
        let e = parse("[limits]\nqueue_capacty = 10\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("queue_capacty"), "{e}");
    }

    #[test]
    fn a_zero_limit_is_refused_with_its_line() {
        let e = parse("[limits]\nmax_concurrent = 0\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("nonzero"), "{e}");
    }

    #[test]
    fn an_unknown_capability_lists_the_known_ones() {
        let e = parse("[cogs.x]\ngrants = [\"kv\", \"root\"]\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("unknown capability `root`"), "{e}");
        assert!(e.message.contains("delete-messages"), "{e}");
    }

    #[test]
    fn reserved_permits_must_leave_room_for_other_work() {
        let e = parse("[limits]\nmax_concurrent = 4\nreserved_critical = 4\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("must be smaller"), "{e}");
    }

    #[test]
    fn critical_work_cannot_be_rate_limited() {
        let e = parse("[rate_limit]\nmessages = 1\nper_seconds = 1\napplies_to = [\"critical\"]\n")
            .unwrap_err();
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn guild_settings_override_cog_settings_and_switches() {
        let c = parse(
            "[cogs.security]\nsettings = { max-mentions = 5, shadow = [\"links\"] }\n\
             [guilds.\"42\".cogs.security]\nenabled = false\nsettings = { max-mentions = 9 }\n",
        )
        .unwrap();
        assert_eq!(c.settings("security", "1")["max-mentions"], "5");
        assert_eq!(c.settings("security", "42")["max-mentions"], "9");
        assert_eq!(c.settings("security", "42")["shadow"], "[\"links\"]");
        assert!(c.cog_enabled("security", "1"));
        assert!(!c.cog_enabled("security", "42"));
    }

    #[test]
    fn relative_paths_are_beside_the_config_file() {
        let c = parse("store = \"data/astra.db\"\n").unwrap();
        assert_eq!(c.store_path, Path::new("/etc/astra/data/astra.db"));
    }
}
