//! An infraction: one warn, timeout, kick or ban against a user, as stored in kv.
//!
//! Owns the record (serialised as JSON), its kv key and how it reads in `/warnings`.
//! `store.rs` writes and lists them; the commands, events and the ladder create them.
//!
//! Key layout: `inf:<user>:<13-digit reversed time>:<10-digit id>`. The time is
//! `9999999999999 - at_ms`, so a `list_prefix("inf:<user>:", limit)` returns the
//! *newest* records first and a bounded read never misses recent warnings.

use crate::time;
use astra_sdk::{Action, RemoveUser, TimeoutUser, Warning};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Prefix of every infraction key.
pub const PREFIX: &str = "inf:";
const TIME_FLIP: u64 = 9_999_999_999_999;

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Warn,
    Timeout,
    Kick,
    Ban,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Warn => "warn",
            Kind::Timeout => "timeout",
            Kind::Kick => "kick",
            Kind::Ban => "ban",
        })
    }
}

/// Who or what issued it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Issuer {
    /// a moderator's slash command (user id)
    Moderator(String),
    /// another cog's action (cog name; the rule is at the start of the reason)
    Cog(String),
    /// this cog's escalation ladder (1-based step)
    Ladder(usize),
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Issuer::Moderator(id) => write!(f, "<@{id}>"),
            Issuer::Cog(name) => write!(f, "cog `{name}`"),
            Issuer::Ladder(step) => write!(f, "ladder step {step}"),
        }
    }
}

/// A warning taken back with `/clearwarn`: kept for the history, no longer counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleared {
    /// moderator's user id
    pub by: String,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Infraction {
    /// per-guild number shown to moderators (`/clearwarn user id`)
    pub id: u64,
    pub user: String,
    pub kind: Kind,
    pub reason: String,
    pub by: Issuer,
    pub at_ms: u64,
    /// when a warning stops counting or a timeout ends; `None`: never (kick, ban)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared: Option<Cleared>,
}

/// The prefix that lists every infraction of `user`, newest first.
pub fn user_prefix(user: &str) -> String {
    format!("{PREFIX}{user}:")
}

impl Infraction {
    /// Where this record lives in kv.
    pub fn key(&self) -> String {
        format!(
            "{}{:013}:{:010}",
            user_prefix(&self.user),
            TIME_FLIP.saturating_sub(self.at_ms),
            self.id
        )
    }

    /// A warning that still counts towards the ladder at `now_ms`.
    pub fn is_active_warning(&self, now_ms: u64) -> bool {
        self.kind == Kind::Warn && self.cleared.is_none() && !self.has_expired(now_ms)
    }

    fn has_expired(&self, now_ms: u64) -> bool {
        self.expires_ms.is_some_and(|end| end <= now_ms)
    }

    /// One line for `/warnings`:
    /// `#12 warn · 2024-05-01 13:07 UTC · by cog `security` · profanity: … · expires …`.
    pub fn describe(&self, now_ms: u64) -> String {
        let mut line = format!("#{} {}", self.id, self.label());
        line.push_str(&format!(
            " · {} · by {} · {}",
            time::format_utc(self.at_ms),
            self.by,
            self.reason
        ));
        match (&self.cleared, self.expires_ms) {
            (Some(c), _) => line.push_str(&format!(
                " · cleared by <@{}> {}",
                c.by,
                time::format_utc(c.at_ms)
            )),
            (None, Some(end)) if self.kind == Kind::Warn => {
                let verb = if end <= now_ms { "expired" } else { "expires" };
                line.push_str(&format!(" · {verb} {}", time::format_utc(end)));
            }
            _ => {}
        }
        line
    }

    /// The action that carries this record out on Discord.
    pub fn action(&self) -> Action {
        let (user_id, reason) = (self.user.clone(), self.reason.clone());
        match self.kind {
            Kind::Warn => Action::Warn(Warning { user_id, reason }),
            Kind::Timeout => Action::Timeout(TimeoutUser {
                user_id,
                seconds: self.timeout_seconds(),
                reason,
            }),
            Kind::Kick => Action::Kick(RemoveUser { user_id, reason }),
            Kind::Ban => Action::Ban(RemoveUser { user_id, reason }),
        }
    }

    fn timeout_seconds(&self) -> u32 {
        let ms = self
            .expires_ms
            .unwrap_or(self.at_ms)
            .saturating_sub(self.at_ms);
        u32::try_from(ms / 1000).unwrap_or(u32::MAX)
    }

    /// Its mod-log line: `timeout 10 min #13 · <@42> · by <@7> · spamming links`.
    pub fn log_line(&self) -> String {
        format!(
            "{} #{} · <@{}> · by {} · {}",
            self.label(),
            self.id,
            self.user,
            self.by,
            self.reason
        )
    }

    /// `timeout 10 min` for timeouts, the kind otherwise.
    pub fn label(&self) -> String {
        match (self.kind, self.expires_ms) {
            (Kind::Timeout, Some(end)) => format!(
                "timeout {}",
                time::format_duration(end.saturating_sub(self.at_ms))
            ),
            (kind, _) => kind.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(id: u64, at_ms: u64) -> Infraction {
        Infraction {
            id,
            user: "42".into(),
            kind: Kind::Warn,
            reason: "profanity: word".into(),
            by: Issuer::Cog("security".into()),
            at_ms,
            expires_ms: Some(at_ms + 1_000),
            cleared: None,
        }
    }

    #[test]
    fn newer_records_sort_first() {
        let (old, new) = (warning(1, 1_000), warning(2, 2_000));
        assert!(new.key() < old.key());
        assert!(old.key().starts_with(&user_prefix("42")));
        assert_eq!(new.key(), "inf:42:9999999997999:0000000002");
    }

    #[test]
    fn warnings_stop_counting_when_expired_or_cleared() {
        let mut w = warning(1, 1_000);
        assert!(w.is_active_warning(1_999));
        assert!(!w.is_active_warning(2_000));
        w.cleared = Some(Cleared {
            by: "7".into(),
            at_ms: 1_500,
        });
        assert!(!w.is_active_warning(1_600));
    }

    #[test]
    fn records_round_trip_through_json() {
        let mut t = warning(3, 60_000);
        t.kind = Kind::Timeout;
        t.by = Issuer::Moderator("7".into());
        t.expires_ms = Some(660_000);
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains(r#""kind":"timeout""#), "{json}");
        assert!(json.contains(r#""by":{"moderator":"7"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Infraction>(&json).unwrap(), t);
    }

    #[test]
    fn descriptions_say_what_happened() {
        let w = warning(1, 1_714_568_879_000);
        let line = w.describe(0);
        assert!(line.starts_with("#1 warn · 2024-05-01 13:07 UTC · by cog `security`"));
        assert!(line.ends_with("· expires 2024-05-01 13:08 UTC"), "{line}");
        let mut t = warning(2, 0);
        t.kind = Kind::Timeout;
        t.expires_ms = Some(600_000);
        assert!(t.describe(0).starts_with("#2 timeout 10 min · "));
        assert!(matches!(t.action(), Action::Timeout(a) if a.seconds == 600 && a.user_id == "42"));
        assert_eq!(
            t.log_line(),
            "timeout 10 min #2 · <@42> · by cog `security` · profanity: word"
        );
    }
}
