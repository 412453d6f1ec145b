//! The only module that touches kv and the clock: loads a user's [`History`] (key
//! `history:<user id>`, guild-scoped by the host), records the message, judges flood and
//! duplicates, and saves it back. Used by both `triage` (which must record every
//! message, since `handle_message` only sees the ones it flags) and `handle_message`.
//!
//! kv errors never fail a message: without a store, flood and duplicate detection are
//! simply off (and the error is logged once per instance).

use astra_sdk::{clock, kv};

use crate::normalize::{stable_hash, Normalized};
use crate::rules::{Rule, Verdict};
use crate::settings::Settings;
use crate::spam::{History, Seen};

/// One user's history, open for the current message.
pub struct Tracker {
    key: String,
    now: u64,
    history: History,
    text: u64,
}

impl Tracker {
    /// Load the author's history and record this message in it (saved when changed).
    pub fn record(
        user_id: &str,
        message_id: &str,
        norm: &Normalized,
        settings: &Settings,
    ) -> Tracker {
        let key = format!("history:{user_id}");
        let history = match kv::get_json::<History>(&key) {
            Ok(history) => history.unwrap_or_default(),
            Err(e) => {
                crate::warn_once(&format!(
                    "flood and duplicate checks are off: cannot read kv: {e}"
                ));
                History::default()
            }
        };
        let squeezed = norm.squeezed().join(" ");
        let text = if squeezed.chars().count() >= settings.duplicate_min_length {
            stable_hash(&squeezed).max(1)
        } else {
            0
        };
        let mut tracker = Tracker {
            key,
            now: clock::now_ms(),
            history,
            text,
        };
        let seen = Seen {
            at: tracker.now,
            id: stable_hash(message_id),
            text,
        };
        if tracker.history.record(seen, settings) {
            tracker.save();
        }
        tracker
    }

    /// `flood` or `duplicate` for the recorded message.
    pub fn verdicts(&self, settings: &Settings) -> Vec<Verdict> {
        let mut found = Vec::new();
        found.extend(self.history.flood(self.now, settings));
        found.extend(self.history.duplicate(self.now, self.text, settings));
        found
    }

    /// Whether to warn for `rule` now (first time in its window); remembers it.
    pub fn take_warning(&mut self, rule: Rule, settings: &Settings) -> bool {
        let before = self.history.clone();
        let warn = self.history.take_warning(rule, self.now, settings);
        if self.history != before {
            self.save();
        }
        warn
    }

    fn save(&self) {
        if let Err(e) = kv::set_json(&self.key, &self.history) {
            crate::warn_once(&format!(
                "flood and duplicate checks are off: cannot write kv: {e}"
            ));
        }
    }
}
