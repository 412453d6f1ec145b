//! Gateway-neutral types: what a gateway hands the dispatcher (`Message`, `Command`)
//! and what comes back (`Action`, `Outcome`). Discord, the console and replay files all
//! speak these; nothing here knows about WebAssembly.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// How urgently a message must be handled (ordered: `Critical` is the smallest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical = 0,
    High = 1,
    Normal = 2,
    Low = 3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub is_bot: bool,
}

/// A chat message as every gateway reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub guild_id: String,
    pub channel_id: String,
    pub author: User,
    pub content: String,
    pub mentions: Vec<String>,
    pub role_mentions: Vec<String>,
    pub mentions_everyone: bool,
    pub mentions_bot: bool,
    pub timestamp_ms: u64,
}

/// Something a cog asked for, after the host accepted it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    Reply {
        content: String,
    },
    Send {
        channel_id: String,
        content: String,
    },
    React {
        emoji: String,
    },
    DeleteMessage {
        channel_id: String,
        message_id: String,
    },
    Warn {
        user_id: String,
        reason: String,
    },
    Timeout {
        user_id: String,
        seconds: u32,
        reason: String,
    },
    Kick {
        user_id: String,
        reason: String,
    },
    Ban {
        user_id: String,
        reason: String,
    },
    Purge {
        channel_id: String,
        count: u32,
    },
    LogToModlog {
        content: String,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Reply { .. } => "reply",
            Action::Send { .. } => "send",
            Action::React { .. } => "react",
            Action::DeleteMessage { .. } => "delete-message",
            Action::Warn { .. } => "warn",
            Action::Timeout { .. } => "timeout",
            Action::Kick { .. } => "kick",
            Action::Ban { .. } => "ban",
            Action::Purge { .. } => "purge",
            Action::LogToModlog { .. } => "log-to-modlog",
        }
    }

    /// warn / timeout / kick / ban: delivered to cogs that watch moderation actions.
    pub fn is_moderation(&self) -> bool {
        matches!(
            self,
            Action::Warn { .. } | Action::Timeout { .. } | Action::Kick { .. } | Action::Ban { .. }
        )
    }
}

/// An action together with the cog that returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CogAction {
    pub cog: String,
    #[serde(flatten)]
    pub action: Action,
}

/// A Discord-style permission required by a slash command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    Everyone,
    ManageMessages,
    ModerateMembers,
    KickMembers,
    BanMembers,
    ManageGuild,
    Administrator,
}

impl Permission {
    /// Does someone holding `held` satisfy this requirement?
    pub fn satisfied_by(self, held: &[Permission]) -> bool {
        self == Permission::Everyone
            || held.contains(&Permission::Administrator)
            || held.contains(&self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum OptionValue {
    Text(String),
    Integer(i64),
    Boolean(bool),
    User(String),
    Channel(String),
}

/// A slash command invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub id: String,
    /// full name as declared, e.g. `"warn"` or `"automod test"`
    pub name: String,
    pub options: Vec<(String, OptionValue)>,
    pub guild_id: String,
    pub channel_id: String,
    pub invoker: User,
    /// what the gateway knows the invoker may do (checked by the host)
    pub permissions: Vec<Permission>,
    pub timestamp_ms: u64,
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandResponse {
    pub cog: String,
    pub content: String,
    pub ephemeral: bool,
    pub actions: Vec<CogAction>,
    pub dropped: Vec<CogAction>,
}

/// How a message ended. Every received message gets exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Processed,
    RateLimited,
    Shed,
    Failed,
}

impl OutcomeKind {
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Processed => "processed",
            OutcomeKind::RateLimited => "rate_limited",
            OutcomeKind::Shed => "shed",
            OutcomeKind::Failed => "failed",
        }
    }
}

/// The result of one message: what was done and how long it took.
///
/// Every message is settled by exactly one outcome (`early == false`). A gateway that
/// asked for early delivery (`Dispatcher::deliver_early`) may first get an *early*
/// outcome of a CRITICAL message: the actions of its CRITICAL handlers, sent as soon as
/// they are done, while less urgent handlers (a model call) still run. The settled
/// outcome then lists every action, and `delivered_early` says how many of the first
/// ones the early outcome already carried: [`Outcome::to_deliver`] is what is new.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub user: String,
    #[serde(skip)]
    pub guild_id: String,
    #[serde(skip)]
    pub channel_id: String,
    pub priority: Priority,
    pub outcome: OutcomeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub actions: Vec<CogAction>,
    /// actions refused because the cog lacks the capability
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<CogAction>,
    /// ingest to outcome, microseconds
    pub latency_us: u64,
    /// ingest to the early outcome, microseconds, when there was one
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_us: Option<u64>,
    /// an early outcome: the message is not settled yet (never counted, never in a
    /// ledger; `outcome` is provisional)
    #[serde(skip)]
    pub early: bool,
    /// how many of `actions` (the first ones) an early outcome already delivered
    #[serde(skip_serializing_if = "is_zero")]
    pub delivered_early: usize,
    /// order in which outcomes were decided (1, 2, ...; 0 for an early outcome)
    #[serde(skip)]
    pub seq: u64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The guild of synthetic messages (`/test_concurrent`): they run through the live
/// pipeline and are counted in the ledger, but a gateway never delivers their actions.
pub const SYNTHETIC_GUILD: &str = "synthetic";

impl Outcome {
    /// Message `id` from `user` ended as `kind` with nothing done yet: the fields the
    /// dispatcher then fills in (place, error, actions, timings) are empty.
    pub fn new(id: String, user: String, priority: Priority, kind: OutcomeKind) -> Outcome {
        Outcome {
            id,
            user,
            guild_id: String::new(),
            channel_id: String::new(),
            priority,
            outcome: kind,
            error: None,
            actions: Vec::new(),
            dropped: Vec::new(),
            latency_us: 0,
            early_us: None,
            early: false,
            delivered_early: 0,
            seq: 0,
        }
    }

    /// The actions a gateway has not delivered yet: all of an early outcome's, and
    /// those of a settled one after what its early outcome carried.
    pub fn to_deliver(&self) -> &[CogAction] {
        &self.actions[self.delivered_early.min(self.actions.len())..]
    }

    /// Ingest to the message's most urgent actions being ready, microseconds: the
    /// early outcome's time when there was one (the CRITICAL handlers' actions were
    /// ready then), else the settled outcome's.
    pub fn ready_us(&self) -> u64 {
        self.early_us.unwrap_or(self.latency_us)
    }

    /// The outcome of a synthetic message? Gateways skip those.
    pub fn is_synthetic(&self) -> bool {
        self.guild_id == SYNTHETIC_GUILD
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
