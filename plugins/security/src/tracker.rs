//! The only module that touches the host's data and clock: loads a user's [`History`]
//! (key `history:<user id>`, guild-scoped by the host), records the message, judges
//! flood and duplicates, and saves it back. Used by both `triage` (which must record
//! every message, since `handle_message` only sees the ones it flags) and
//! `handle_message`.
//!
//! The history lives in the host's `cache`, not in `kv`: it only matters for the
//! flood and duplicate windows (seconds), every instance must see it (a user's next
//! message may reach another instance), and a durable store write for every message
//! of every member was most of what a busy guild cost the store. Each entry lives as
//! long as the longer window; a restart of the host forgets who posted lately, which
//! at worst lets one burst in progress start counting again.
//!
//! Errors never fail a message: without the cache, flood and duplicate detection are
//! simply off (and the error is logged once per instance).

use astra_sdk::{cache, clock};

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
        let history = match cache::get_json::<History>(&key) {
            Ok(history) => history.unwrap_or_default(),
            Err(e) => {
                crate::warn_once(&format!(
                    "flood and duplicate checks are off: cannot read the cache: {e}"
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
            tracker.save(settings);
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
            self.save(settings);
        }
        warn
    }

    /// Keep the history for as long as it matters (the longer window).
    fn save(&self, settings: &Settings) {
        let keep = History::kept_for(settings);
        if let Err(e) = cache::set_json(&self.key, &self.history, keep) {
            crate::warn_once(&format!(
                "flood and duplicate checks are off: cannot write the cache: {e}"
            ));
        }
    }
}
