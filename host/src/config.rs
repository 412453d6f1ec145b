//! Configuration in two stages: `RawConfig` is `astra.toml` as written (serde, unknown
//! keys refused), `Config` is the checked result the app builds its parts from. No
//! file is needed: every field has a default. A bad file fails at start with the file,
//! the line and what to fix.

use crate::dispatch::{DispatchConfig, RateSpec};
use crate::event::Priority;
use crate::runtime::bindings::types::Capability;
use crate::runtime::host_api::{capability_from_name, capability_name, ALL_CAPABILITIES};
use crate::runtime::{BreakerPolicy, CallLimits, Grants, GuardLimits};
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
    store_connections: Option<NonZeroU32>,
    cache_dir: Option<PathBuf>,
    bundled_cogs: Option<bool>,
    bot_name: Option<String>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    rate_limit: Option<RawRate>,
    models_dir: Option<PathBuf>,
    #[serde(default)]
    llm: Option<astra_models::LlmSettings>,
    #[serde(default)]
    embed: Option<astra_models::EmbedSettings>,
    #[serde(default)]
    cogs: BTreeMap<String, RawCog>,
    #[serde(default)]
    guilds: BTreeMap<String, RawGuild>,
    #[serde(default)]
    discord: Option<RawDiscord>,
    #[serde(default)]
    web: Option<RawWeb>,
    #[serde(default)]
    metrics: Option<RawMetrics>,
}

/// `[metrics]` as written: where Prometheus metrics are served.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: Option<String>,
}

/// `[web]` as written: the local web page `astra run` serves beside the console.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    enabled: Option<bool>,
    listen: Option<String>,
    allow_remote: Option<bool>,
}

/// `[discord]` as written: where the token comes from, the dev guild, the mod-log
/// channel and which shards this process runs.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    token: Option<String>,
    token_env: Option<String>,
    dev_guild: Option<Snowflake>,
    modlog_channel: Option<Snowflake>,
    shards: Option<String>,
    total_shards: Option<NonZeroU32>,
    rest_proxy: Option<String>,
}

/// A Discord id written as a TOML integer or a string of digits.
#[derive(Debug, Clone, Copy)]
struct Snowflake(u64);

impl<'de> Deserialize<'de> for Snowflake {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(u64),
            Text(String),
        }
        let id = match Written::deserialize(d)? {
            Written::Number(n) => Some(n),
            Written::Text(t) => t.trim().parse().ok(),
        };
        match id {
            Some(n) if n > 0 => Ok(Snowflake(n)),
            _ => Err(serde::de::Error::custom(
                "expected a Discord id (digits, e.g. 123456789012345678)",
            )),
        }
    }
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
    // guard rails (runtime/quota.rs, runtime/breaker.rs)
    kv_ops_per_call: Option<NonZeroU32>,
    kv_ops_per_minute: Option<u32>,
    llm_calls_per_minute: Option<u32>,
    breaker_crashes: Option<u32>,
    breaker_window_ms: Option<NonZeroU32>,
    breaker_cooldown_ms: Option<NonZeroU32>,
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
    /// this cog's circuit breaker threshold (0 = never suspend it)
    breaker_crashes: Option<u32>,
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
    /// the SQLite file (unused when `store_url` is set)
    pub store_path: PathBuf,
    /// `store = "postgres://..."`: the PostgreSQL store several processes share
    pub store_url: Option<Secret>,
    /// most connections to the PostgreSQL store from this process
    pub store_connections: usize,
    pub cache_dir: PathBuf,
    pub bundled_cogs: bool,
    pub bot_name: String,
    pub dispatch: DispatchConfig,
    pub default_limits: CallLimits,
    /// quotas per cog and guild, and the circuit breaker (`[limits]`)
    pub guards: GuardLimits,
    /// where the offline models live (fetched once)
    pub models_dir: PathBuf,
    pub llm: astra_models::LlmSettings,
    pub embed: astra_models::EmbedSettings,
    pub cogs: BTreeMap<String, CogConfig>,
    pub guilds: BTreeMap<String, GuildConfig>,
    /// `[discord]`: used by `astra run` when a token is found
    pub discord: DiscordSettings,
    /// `[web]`: the local web page of `astra run` (chat and live dashboard)
    pub web: WebSettings,
    /// `[metrics] listen`: where `astra run` serves Prometheus metrics at `/metrics`
    /// (off when absent; the web page serves them too)
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// Read an `IP:PORT` (or `localhost:PORT`) address (`[web] listen`, `[metrics] listen`).
fn parse_address(text: &str, example: &str) -> Result<std::net::SocketAddr, String> {
    let trimmed = text.trim();
    let resolved = match trimmed.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => trimmed.to_string(),
    };
    resolved
        .parse()
        .map_err(|_| format!("`{text}`: write an address and port, e.g. \"{example}\""))
}

/// The checked `[web]` table: where `astra run` serves its local page. Slash commands
/// typed there run as an administrator, so it listens on loopback only unless the
/// admin sets `allow_remote` (and then only loopback visitors get admin rights).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    pub enabled: bool,
    pub listen: std::net::SocketAddr,
    pub allow_remote: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            enabled: true,
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_remote: false,
        }
    }
}

impl WebSettings {
    /// Check `listen` (`IP:PORT`, or `localhost:PORT`): a loopback address unless
    /// `allow_remote`. The error says what to write instead.
    pub fn parse_listen(listen: &str, allow_remote: bool) -> Result<std::net::SocketAddr, String> {
        let addr = parse_address(listen, "127.0.0.1:8080")?;
        if !addr.ip().is_loopback() && !allow_remote {
            return Err(format!(
                "`{listen}` is not a loopback address; the page runs slash commands \
                 as an administrator, so it serves 127.0.0.1 only unless you also set \
                 `allow_remote = true` in [web]"
            ));
        }
        Ok(addr)
    }
}

/// A secret (the bot token, a store URL with its password): never printed, not even
/// by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The shards one process runs: `first..=last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    /// `"A-B"` (or `"A"`) of `total` shards; the error says what is wrong.
    pub fn parse(range: &str, total: u32) -> Result<ShardRange, String> {
        let bad = || format!("shards `{range}`: write a range like `0-3` (first-last, inclusive)");
        let (first, last) = match range.trim().split_once('-') {
            Some((a, b)) => (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            ),
            None => {
                let n = range.trim().parse().map_err(|_| bad())?;
                (n, n)
            }
        };
        if first > last {
            return Err(format!(
                "shards `{range}`: the first shard is after the last"
            ));
        }
        if total == 0 || last >= total {
            return Err(format!(
                "shards `{range}` need total shards above {last} (got {total})"
            ));
        }
        Ok(ShardRange { first, last, total })
    }
}

/// The checked `[discord]` table. The token is looked up when the bot starts: the
/// file's `token`, else the environment variable `token_env` (`DISCORD_TOKEN`).
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: Option<Secret>,
    pub token_env: String,
    /// register slash commands in this guild only (instant; global ones take a while)
    pub dev_guild: Option<u64>,
    /// where `log-to-modlog` actions are posted
    pub modlog_channel: Option<u64>,
    /// `None`: the shard count Discord recommends, all in this process
    pub shards: Option<ShardRange>,
    /// send REST calls to this HTTP proxy (e.g. twilight-http-proxy) instead of
    /// discord.com, so processes sharing one bot token share its rate limits
    pub rest_proxy: Option<String>,
}

impl Default for DiscordSettings {
    fn default() -> Self {
        DiscordSettings {
            token: None,
            token_env: "DISCORD_TOKEN".into(),
            dev_guild: None,
            modlog_channel: None,
            shards: None,
            rest_proxy: None,
        }
    }
}

impl DiscordSettings {
    /// The bot token, if one is configured (file first, then the environment).
    pub fn token(&self) -> Option<Secret> {
        self.token.clone().or_else(|| {
            std::env::var(&self.token_env)
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .map(Secret)
        })
    }
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
            breaker_crashes: None,
        };
        let guard_defaults = GuardLimits::default();
        let guards = GuardLimits {
            kv_ops_per_call: l
                .kv_ops_per_call
                .map_or(guard_defaults.kv_ops_per_call, NonZeroU32::get),
            kv_ops_per_minute: l
                .kv_ops_per_minute
                .unwrap_or(guard_defaults.kv_ops_per_minute),
            llm_calls_per_minute: l
                .llm_calls_per_minute
                .unwrap_or(guard_defaults.llm_calls_per_minute),
            breaker: BreakerPolicy {
                crashes: l.breaker_crashes.unwrap_or(guard_defaults.breaker.crashes),
                window: l
                    .breaker_window_ms
                    .map_or(guard_defaults.breaker.window, |n| ms(Some(n), 0)),
                cooldown: l
                    .breaker_cooldown_ms
                    .map_or(guard_defaults.breaker.cooldown, |n| ms(Some(n), 0)),
            },
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
                        breaker_crashes: c.breaker_crashes,
                    },
                    settings: settings_json(&c.settings),
                };
                (name, cfg)
            })
            .collect();
        let discord = match raw.discord {
            None => DiscordSettings::default(),
            Some(d) => {
                let shards = match (d.shards, d.total_shards) {
                    (None, None) => None,
                    (None, Some(total)) => Some(ShardRange {
                        first: 0,
                        last: total.get() - 1,
                        total: total.get(),
                    }),
                    (Some(range), Some(total)) => Some(
                        ShardRange::parse(&range, total.get()).map_err(|e| fail("shards", e))?,
                    ),
                    (Some(range), None) => {
                        return Err(fail(
                            "shards",
                            format!("shards = \"{range}\" needs total_shards = N beside it"),
                        ))
                    }
                };
                DiscordSettings {
                    token: d.token.filter(|t| !t.trim().is_empty()).map(Secret),
                    token_env: d.token_env.unwrap_or_else(|| "DISCORD_TOKEN".into()),
                    dev_guild: d.dev_guild.map(|s| s.0),
                    modlog_channel: d.modlog_channel.map(|s| s.0),
                    shards,
                    rest_proxy: match d.rest_proxy {
                        Some(url)
                            if !url.starts_with("http://") && !url.starts_with("https://") =>
                        {
                            return Err(fail(
                                "rest_proxy",
                                format!(
                                    "rest_proxy `{url}`: write the proxy's base URL, \
                                     e.g. \"http://127.0.0.1:3000\""
                                ),
                            ))
                        }
                        url => url,
                    },
                }
            }
        };
        let web = match raw.web {
            None => WebSettings::default(),
            Some(w) => {
                let allow_remote = w.allow_remote.unwrap_or(false);
                WebSettings {
                    enabled: w.enabled.unwrap_or(true),
                    listen: match w.listen {
                        Some(listen) => WebSettings::parse_listen(&listen, allow_remote)
                            .map_err(|e| fail("listen", format!("[web] listen {e}")))?,
                        None => WebSettings::default().listen,
                    },
                    allow_remote,
                }
            }
        };
        let metrics_listen = match raw.metrics.and_then(|m| m.listen) {
            None => None,
            Some(listen) => Some(
                parse_address(&listen, "127.0.0.1:9184")
                    .map_err(|e| fail("listen", format!("[metrics] listen {e}")))?,
            ),
        };
        if let Some(llm) = &raw.llm {
            // What serde cannot check ([llm] backend = "openai" needs a url, ...): here,
            // so the error names the file and line instead of failing later at start.
            llm.validate().map_err(|e| {
                let message = e.to_string();
                let key = if message.contains(" needs `") {
                    "backend"
                } else {
                    ["timeout_ms", "threads", "max_tokens_field", "url"]
                        .into_iter()
                        .find(|k| message.contains(&format!("] {k} ")))
                        .unwrap_or("llm")
                };
                let mut error = fail(key, message);
                if error.line.is_none() {
                    error.line = line_of_key(text, "llm");
                }
                error
            })?;
        }
        // `store`: a PostgreSQL URL (checked here, so a typo names the line), else a path.
        let (store_file, store_url) = match raw.store {
            Some(p) if is_postgres_url(&p) => {
                let url = p.to_string_lossy().into_owned();
                url.parse::<tokio_postgres::Config>().map_err(|e| {
                    fail(
                        "store",
                        format!(
                            "store: not a valid PostgreSQL URL ({e}); write \
                             \"postgres://USER:PASSWORD@HOST:PORT/DATABASE\""
                        ),
                    )
                })?;
                (None, Some(Secret(url)))
            }
            other => (other, None),
        };
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
            store_path: resolve(store_file, "astra.db"),
            store_url,
            store_connections: raw.store_connections.map_or(8, |n| n.get() as usize),
            cache_dir: match raw.cache_dir {
                Some(p) => resolve(Some(p), ""),
                None => default_cache_dir(),
            },
            bundled_cogs: raw.bundled_cogs.unwrap_or(true),
            bot_name: raw.bot_name.unwrap_or_else(|| "Astra".into()),
            dispatch,
            default_limits,
            guards,
            models_dir: match raw.models_dir {
                Some(p) => resolve(Some(p), ""),
                None => default_models_dir(),
            },
            llm: raw.llm.unwrap_or_default(),
            embed: raw.embed.unwrap_or_default(),
            cogs,
            guilds,
            discord,
            web,
            metrics_listen,
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

/// `$ASTRA_MODELS_DIR`, else `models/` in the default cache folder.
pub fn default_models_dir() -> PathBuf {
    match std::env::var_os("ASTRA_MODELS_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => default_cache_dir().join("models"),
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    // Bytes, not `str` slicing: an offset inside a character must not panic.
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The line where `key = ...` is written; else the first line that mentions `key`
/// (an inline table, a dotted or quoted key); else the table header `[key]`.
/// Does `store` name a PostgreSQL database rather than a SQLite file?
fn is_postgres_url(store: &Path) -> bool {
    let text = store.to_string_lossy();
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let lines = || text.split('\n');
    lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .or_else(|| lines().position(|l| l.contains(key)))
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
    fn errors_in_inline_tables_and_the_llm_table_still_name_a_line() {
        let e = parse("bot_name = \"a\"\nlimits = { max_concurrent = 4, reserved_critical = 4 }\n")
            .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = parse("[llm]\nbackend = \"openai\"\nmodel = \"m\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("needs `url`"), "{e}");
        let e = parse("[llm]\nbackend = \"none\"\ntimeout_ms = 0\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let g = parse("[limits]\nbreaker_crashes = 3\nllm_calls_per_minute = 0\n").unwrap();
        assert_eq!(g.guards.breaker.crashes, 3);
        assert_eq!(g.guards.llm_calls_per_minute, 0);
        let c = parse("[cogs.security]\nbreaker_crashes = 0\n").unwrap();
        assert_eq!(c.cog("security").limits.breaker_crashes, Some(0));
        assert_eq!(c.cog("other").limits.breaker_crashes, None);
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

    #[test]
    fn a_postgres_store_is_a_url_checked_at_start_and_never_printed() {
        let url = "postgres://astra:hunter2@db.internal:5433/astra";
        let c = parse(&format!("store = \"{url}\"\nstore_connections = 4\n")).unwrap();
        assert_eq!(c.store_url.as_ref().map(Secret::expose), Some(url));
        assert_eq!(c.store_connections, 4);
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(parse("").unwrap().store_url, None);
        let e =
            parse("bot_name = \"x\"\nstore = \"postgres://a:hunter2@db:port/x\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("not a valid PostgreSQL URL"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn a_rest_proxy_is_a_base_url() {
        let c = parse("[discord]\nrest_proxy = \"http://127.0.0.1:3000\"\n").unwrap();
        assert_eq!(
            c.discord.rest_proxy.as_deref(),
            Some("http://127.0.0.1:3000")
        );
        let e = parse("[discord]\nrest_proxy = \"127.0.0.1:3000\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("http://127.0.0.1:3000"), "{e}");
    }

    #[test]
    fn the_discord_table_is_checked_and_the_token_never_printed() {
        let c = parse(
            "[discord]\ntoken = \"abc.def\"\ndev_guild = \"42\"\nmodlog_channel = 7\n\
             shards = \"2-3\"\ntotal_shards = 8\n",
        )
        .unwrap();
        let d = &c.discord;
        assert_eq!(d.token().unwrap().expose(), "abc.def");
        assert_eq!((d.dev_guild, d.modlog_channel), (Some(42), Some(7)));
        assert_eq!(
            d.shards,
            Some(ShardRange {
                first: 2,
                last: 3,
                total: 8
            })
        );
        assert!(!format!("{c:?}").contains("abc.def"));
        let e = parse("[discord]\nshards = \"0-3\"\ntotal_shards = 2\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("[discord]\ndev_guild = \"general\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("Discord id"), "{e}");
    }

    #[test]
    fn the_web_page_listens_on_loopback_unless_remote_is_allowed() {
        assert_eq!(Config::default().web, WebSettings::default());
        assert_eq!(Config::default().web.listen.to_string(), "127.0.0.1:8080");
        let c = parse("[web]\nlisten = \"localhost:9000\"\nenabled = false\n").unwrap();
        assert_eq!(c.web.listen.to_string(), "127.0.0.1:9000");
        assert!(!c.web.enabled);
        let e = parse("bot_name = \"a\"\n[web]\nlisten = \"0.0.0.0:8080\"\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("allow_remote = true"), "{e}");
        let c = parse("[web]\nlisten = \"0.0.0.0:8080\"\nallow_remote = true\n").unwrap();
        assert!(c.web.allow_remote);
        let e = parse("[web]\nlisten = \"eight-thousand\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }
}
