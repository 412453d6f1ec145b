//! `security`: Astra's automod cog. It flags bad language (through leetspeak, spacing,
//! look-alike letters and invisible characters), invite and scam links (also when
//! broken up to dodge filters), mention spam, `@everyone` pings, floods and repeated
//! messages, and deletes, warns and logs. Messages about self-harm or threats of
//! violence are emergencies instead: a caring reply, an alert to the moderators, no
//! punishment.
//!
//! Modules, in data-flow order:
//! - [`settings`]: the guild's `config` → validated [`Settings`];
//! - [`normalize`]: a message → the cleaned-up views every detector reads;
//! - `emergency`, `links`, `profanity`: content detectors, combined by [`classify`]
//!   (pure: see [`classify()`], tested natively and on the [`corpus`]);
//! - `spam`: mention rules and the pure flood/duplicate history; `tracker` keeps that
//!   history in the host's short-lived `cache` (the only cache/clock user);
//! - [`reading`]: a message's normalized views and content verdicts, and the ones
//!   triage keeps for the handler;
//! - [`rules`]: the rule names and the [`Verdict`] type they share;
//! - `respond`: a verdict → actions (delete, warn, mod log; care + alert);
//! - `command`: `/automod test`.
//!
//! `triage` runs the same checks as `handle_message` and answers `Critical` for
//! anything that will be acted on, `None` otherwise. They take microseconds, and the
//! handler of a flagged message reuses what triage read of it (see [`reading`]). rustrict
//! builds its dictionary on first use (~25 ms in wasm, more than a triage deadline):
//! `init` builds it once at load and the host snapshots the result, so every instance
//! has it. Under a host that does not pre-initialise, until an instance has built it
//! in a handler call its triage screens bad language with a list of stems instead (a
//! superset; the handler decides).

pub mod classify;
pub mod corpus;
pub mod normalize;
pub mod reading;
pub mod rules;
pub mod settings;

mod command;
mod emergency;
mod links;
mod profanity;
mod respond;
mod spam;
mod tracker;

pub use classify::{classify, classify_all};
pub use normalize::Normalized;
pub use reading::{Reading, Recent};
pub use rules::{Rule, Verdict};
pub use settings::{Settings, SettingsCache};

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::Mutex;

use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

use tracker::Tracker;

/// Log a warning once per instance (a missing grant or a bad setting would otherwise
/// be reported on every message).
pub(crate) fn warn_once(message: &str) {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let Ok(mut seen) = SEEN.lock() else { return };
    if seen.len() < 64 && seen.insert(message.to_string()) {
        log::warn(message);
    }
}

/// The cog.
pub struct Security;

impl Cog for Security {
    fn manifest() -> CogManifest {
        Manifest::new(
            "security",
            env!("CARGO_PKG_VERSION"),
            "automod: bad language, invite and scam links, mention/flood/duplicate spam; care and moderator alerts for self-harm and threats",
        )
        .capabilities([
            Capability::Log,
            Capability::Kv,
            Capability::Config,
            Capability::Clock,
            Capability::Reply,
            Capability::DeleteMessages,
            Capability::Warn,
            Capability::Modlog,
        ])
        .command(
            CommandBuilder::new(command::TEST, "show how automod reads a text and which rule it would apply")
                .option("text", OptionKind::Text, true, "the message to check")
                .permission(Permission::ManageMessages),
        )
        .build()
    }

    /// Build rustrict's dictionary and every other lazy table now: the host snapshots
    /// this, so no instance pays the ~25 ms and triage reads bad language fully from
    /// the first message.
    fn init() {
        let _ = classify::classify("warming up: hello there, friend", &Settings::default());
    }

    fn triage(msg: &Message) -> Option<Priority> {
        if msg.author.is_bot {
            return None;
        }
        let settings = Settings::load();
        let reading = Reading::for_triage(&msg.content, &settings);
        judge(msg, &settings, &reading)?;
        RECENT.with_borrow_mut(|r| r.keep(&msg.id, &msg.content, &settings, reading));
        Some(Priority::Critical)
    }

    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        if msg.author.is_bot {
            return Ok(Vec::new());
        }
        let settings = Settings::load();
        let reading = RECENT
            .with_borrow_mut(|r| r.take(&msg.id, &msg.content, &settings))
            .unwrap_or_else(|| Reading::full(&msg.content, &settings));
        let Some((verdict, tracker)) = judge(&msg, &settings, &reading) else {
            return Ok(Vec::new());
        };
        let warn = match (verdict.rule, tracker) {
            (Rule::Flood | Rule::Duplicate, Some(mut tracker)) => {
                tracker.take_warning(verdict.rule, &settings)
            }
            _ => true,
        };
        log::info(&format!(
            "{} in message {} from {}",
            verdict.reason(),
            msg.id,
            msg.author.id
        ));
        Ok(respond::actions(&msg, &verdict, &settings, warn))
    }

    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        Ok(command::run(&cmd))
    }
}

thread_local! {
    /// The readings of the messages this instance's triage flagged last, for their
    /// handlers (see [`reading`]).
    static RECENT: RefCell<Recent> = RefCell::default();
}

/// The verdict that applies to `msg`, whose text reads as `reading`, if any, and the
/// author's spam tracker when it was opened. Records the message in the author's
/// history as a side effect.
fn judge(
    msg: &Message,
    settings: &Settings,
    reading: &Reading,
) -> Option<(Verdict, Option<Tracker>)> {
    let exempt = settings.is_exempt(&msg.author.roles);
    let mut found = reading.found.clone();
    let mut tracker = None;
    if !exempt {
        found.extend(spam::check_mentions(msg, settings));
        if settings.is_enabled(Rule::Flood) || settings.is_enabled(Rule::Duplicate) {
            let t = Tracker::record(&msg.author.id, &msg.id, &reading.norm, settings);
            found.extend(t.verdicts(settings));
            tracker = Some(t);
        }
    }
    found
        .into_iter()
        .filter(|v| settings.is_enabled(v.rule) && (v.rule.is_emergency() || !exempt))
        .min_by_key(|v| v.rule)
        .map(|v| (v, tracker))
}

astra_sdk::cog!(Security);
