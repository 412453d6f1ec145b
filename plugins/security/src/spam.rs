//! The spam rules as pure logic: `mention-spam` and `everyone-ping` read the message's
//! mention fields; `flood` and `duplicate` read a user's recent [`History`].
//!
//! The history is plain data: `tracker` loads it from kv, lets [`History::record`] add
//! the message, and stores it again. Recording is idempotent per message id, because
//! both `triage` and `handle_message` see each message.

use astra_sdk::Message;
use serde::{Deserialize, Serialize};

use crate::rules::{Rule, Verdict};
use crate::settings::Settings;

/// Most entries kept per user, whatever the windows: bounds the kv value.
const MAX_ENTRIES: usize = 64;

/// `everyone-ping` and `mention-spam`, the graver first.
pub fn check_mentions(msg: &Message, settings: &Settings) -> Vec<Verdict> {
    let mut found = Vec::new();
    if msg.mentions_everyone && !settings.may_ping_everyone(&msg.author.roles) {
        found.push(Verdict::new(
            Rule::EveryonePing,
            "@everyone/@here without an allowed role",
        ));
    }
    let mut users: Vec<&String> = msg.mentions.iter().collect();
    users.sort();
    users.dedup();
    let mut roles: Vec<&String> = msg.role_mentions.iter().collect();
    roles.sort();
    roles.dedup();
    let count = users.len() + roles.len();
    if count > settings.max_mentions as usize {
        found.push(Verdict::new(
            Rule::MentionSpam,
            format!("{count} mentions (limit {})", settings.max_mentions),
        ));
    }
    found
}

/// One message in a user's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// When it was seen, ms since the Unix epoch.
    #[serde(rename = "t")]
    pub at: u64,
    /// Hash of the message id (recording twice is a no-op).
    #[serde(rename = "i")]
    pub id: u64,
    /// Hash of the normalized text; 0 when too short to count as a duplicate.
    #[serde(rename = "h")]
    pub text: u64,
}

/// A user's recent messages and when automod last warned them for spam.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(rename = "seen", default)]
    pub seen: Vec<Seen>,
    #[serde(rename = "wf", default)]
    pub flood_warned_at: u64,
    #[serde(rename = "wd", default)]
    pub duplicate_warned_at: u64,
}

impl History {
    /// How long a history matters after its last change: the longer of the flood and
    /// duplicate windows (older messages and warnings count for nothing).
    pub fn kept_for(settings: &Settings) -> std::time::Duration {
        std::time::Duration::from_millis(Self::keep_ms(settings))
    }

    fn keep_ms(settings: &Settings) -> u64 {
        window_ms(settings.flood_seconds.max(settings.duplicate_seconds))
    }

    /// Add a message unless it is already there, and forget what is older than both
    /// windows. True when something changed (the caller then saves it).
    pub fn record(&mut self, seen: Seen, settings: &Settings) -> bool {
        let before = self.seen.len();
        let keep_ms = Self::keep_ms(settings);
        self.seen.retain(|s| seen.at.saturating_sub(s.at) < keep_ms);
        let pruned = self.seen.len() != before;
        if self.seen.iter().any(|s| s.id == seen.id) {
            return pruned;
        }
        self.seen.push(seen);
        if self.seen.len() > MAX_ENTRIES {
            self.seen.drain(..self.seen.len() - MAX_ENTRIES);
        }
        true
    }

    /// `flood` when more than `flood-messages` were seen within `flood-seconds` of `now`.
    pub fn flood(&self, now: u64, settings: &Settings) -> Option<Verdict> {
        let window = window_ms(settings.flood_seconds);
        let count = self
            .seen
            .iter()
            .filter(|s| now.saturating_sub(s.at) < window)
            .count();
        (count > settings.flood_messages as usize).then(|| {
            Verdict::new(
                Rule::Flood,
                format!("{count} messages in {} s", settings.flood_seconds),
            )
        })
    }

    /// `duplicate` when the text hashed `text` was seen `duplicate-count` times within
    /// `duplicate-seconds` of `now`.
    pub fn duplicate(&self, now: u64, text: u64, settings: &Settings) -> Option<Verdict> {
        if text == 0 {
            return None;
        }
        let window = window_ms(settings.duplicate_seconds);
        let count = self
            .seen
            .iter()
            .filter(|s| s.text == text && now.saturating_sub(s.at) < window)
            .count();
        (count >= settings.duplicate_count as usize).then(|| {
            Verdict::new(
                Rule::Duplicate,
                format!(
                    "same message {count} times in {} s",
                    settings.duplicate_seconds
                ),
            )
        })
    }

    /// Should a spam `rule` caught at `now` be warned (and logged)? Only the first time
    /// per window; later messages of the same burst are just deleted. Marks the warning.
    pub fn take_warning(&mut self, rule: Rule, now: u64, settings: &Settings) -> bool {
        let (last, seconds) = match rule {
            Rule::Flood => (&mut self.flood_warned_at, settings.flood_seconds),
            Rule::Duplicate => (&mut self.duplicate_warned_at, settings.duplicate_seconds),
            _ => return true,
        };
        if *last != 0 && now.saturating_sub(*last) < window_ms(seconds) {
            return false;
        }
        *last = now;
        true
    }
}

fn window_ms(seconds: u32) -> u64 {
    u64::from(seconds) * 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use astra_sdk::User;

    fn message(mentions: usize, roles: usize, everyone: bool, author_roles: &[&str]) -> Message {
        Message {
            id: "m1".into(),
            guild_id: "g".into(),
            channel_id: "c".into(),
            author: User {
                id: "u".into(),
                name: "user".into(),
                roles: author_roles.iter().map(|r| r.to_string()).collect(),
                is_bot: false,
            },
            content: String::new(),
            mentions: (0..mentions).map(|i| format!("user{i}")).collect(),
            role_mentions: (0..roles).map(|i| format!("role{i}")).collect(),
            mentions_everyone: everyone,
            mentions_bot: false,
            timestamp_ms: 0,
        }
    }

    fn rules(found: Vec<Verdict>) -> Vec<Rule> {
        found.into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn mentions_over_the_limit_are_spam() {
        let s = Settings::default();
        assert!(check_mentions(&message(5, 0, false, &[]), &s).is_empty());
        assert_eq!(
            rules(check_mentions(&message(4, 2, false, &[]), &s)),
            [Rule::MentionSpam]
        );
        let mut repeated = message(0, 0, false, &[]);
        repeated.mentions = vec!["same".into(); 9];
        assert!(check_mentions(&repeated, &s).is_empty());
    }

    #[test]
    fn everyone_pings_need_an_allowed_role() {
        let s = Settings::from_json_pairs([("everyone-roles", r#"["mods"]"#)]);
        assert_eq!(
            rules(check_mentions(&message(0, 0, true, &["members"]), &s)),
            [Rule::EveryonePing]
        );
        assert!(check_mentions(&message(0, 0, true, &["mods"]), &s).is_empty());
    }

    fn seen(at: u64, id: u64, text: u64) -> Seen {
        Seen { at, id, text }
    }

    #[test]
    fn flood_is_more_than_n_messages_in_the_window() {
        let s = Settings::default(); // 6 in 10 s
        let mut h = History::default();
        for i in 0..6 {
            h.record(seen(1_000 + i * 500, i, i), &s);
        }
        assert!(h.flood(3_500, &s).is_none());
        h.record(seen(4_000, 99, 99), &s);
        assert_eq!(h.flood(4_000, &s).map(|v| v.rule), Some(Rule::Flood));
        // Ten seconds later the burst has aged out.
        assert!(h.flood(20_000, &s).is_none());
    }

    #[test]
    fn recording_is_idempotent_and_prunes() {
        let s = Settings::default();
        let mut h = History::default();
        assert!(h.record(seen(1_000, 1, 0), &s));
        assert!(!h.record(seen(1_000, 1, 0), &s));
        assert_eq!(h.seen.len(), 1);
        assert!(h.record(seen(1_000_000, 2, 0), &s));
        assert_eq!(h.seen.len(), 1, "old entries are dropped");
    }

    #[test]
    fn duplicates_count_the_same_text() {
        let s = Settings::default(); // 3 in 60 s
        let mut h = History::default();
        h.record(seen(0, 1, 7), &s);
        h.record(seen(5_000, 2, 7), &s);
        assert!(h.duplicate(5_000, 7, &s).is_none());
        h.record(seen(9_000, 3, 7), &s);
        assert_eq!(
            h.duplicate(9_000, 7, &s).map(|v| v.rule),
            Some(Rule::Duplicate)
        );
        assert!(
            h.duplicate(9_000, 0, &s).is_none(),
            "short texts never count"
        );
    }

    #[test]
    fn spam_is_warned_once_per_window() {
        let s = Settings::default();
        let mut h = History::default();
        assert!(h.take_warning(Rule::Flood, 1_000, &s));
        assert!(!h.take_warning(Rule::Flood, 5_000, &s));
        assert!(h.take_warning(Rule::Duplicate, 5_000, &s));
        assert!(h.take_warning(Rule::Flood, 12_000, &s));
        assert!(h.take_warning(Rule::Profanity, 12_000, &s));
    }

    #[test]
    fn history_round_trips_through_json() {
        let h = History {
            seen: vec![seen(1, 2, 3)],
            flood_warned_at: 4,
            duplicate_warned_at: 0,
        };
        let json = serde_json::to_string(&h).unwrap_or_default();
        assert_eq!(json, r#"{"seen":[{"t":1,"i":2,"h":3}],"wf":4,"wd":0}"#);
        assert_eq!(serde_json::from_str::<History>(&json).ok(), Some(h));
    }
}
