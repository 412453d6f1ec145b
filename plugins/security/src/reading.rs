//! A message's content, read once: its normalized views and the content rules it
//! breaks — and the few readings `triage` keeps so that `handle_message` of a message
//! it flagged does not read the same text again.
//!
//! Reading (normalizing, then rustrict, the link and emergency detectors) is most of
//! what a call costs, and the host calls `handle-message` for exactly the messages
//! `triage` flagged, a moment later and usually on the same instance (its pool hands
//! out the instance used last). So triage keeps the reading of a flagged message in
//! [`Recent`], and the handler takes it back when it is for the same message id, the
//! same text and the same settings (the very `Rc` the `SettingsCache` hands out while a
//! guild's settings do not change). Anything else — another instance, an edited text,
//! changed settings, a triage that only screened for bad language — reads again, so a
//! kept reading can make a handler faster but never different.

use std::rc::Rc;

use crate::classify;
use crate::normalize::Normalized;
use crate::rules::Verdict;
use crate::settings::Settings;

/// What a message's text is and breaks, before who sent it and how often is judged.
#[derive(Clone, Debug)]
pub struct Reading {
    pub norm: Normalized,
    /// the enabled content rules broken, in precedence order
    pub found: Vec<Verdict>,
    /// read as fully as a handler reads (see [`Reading::for_triage`])
    pub exact: bool,
}

impl Reading {
    /// The full reading, as `handle_message` needs it.
    pub fn full(text: &str, settings: &Settings) -> Reading {
        let norm = Normalized::new(text);
        let found = classify::classify_normalized(&norm, settings);
        Reading {
            norm,
            found,
            exact: true,
        }
    }

    /// The reading triage can afford: exact unless bad language could only be screened
    /// for (see [`classify::classify_for_triage`]).
    pub fn for_triage(text: &str, settings: &Settings) -> Reading {
        let norm = Normalized::new(text);
        let (found, exact) = classify::classify_for_triage(&norm, settings);
        Reading { norm, found, exact }
    }
}

/// Readings kept per instance: more than the messages one instance triages between a
/// flagged message's triage and its handler in all but the busiest moments.
const KEPT: usize = 8;

/// The readings of the last few messages triage flagged, most recent last.
#[derive(Default)]
pub struct Recent {
    kept: Vec<Kept>,
}

struct Kept {
    id: String,
    text: String,
    settings: Rc<Settings>,
    reading: Reading,
}

impl Recent {
    /// Keep an exact reading of message `id` (text `text`) under `settings`.
    pub fn keep(&mut self, id: &str, text: &str, settings: &Rc<Settings>, reading: Reading) {
        if !reading.exact {
            return;
        }
        self.kept.retain(|k| k.id != id);
        if self.kept.len() >= KEPT {
            self.kept.remove(0);
        }
        self.kept.push(Kept {
            id: id.to_string(),
            text: text.to_string(),
            settings: settings.clone(),
            reading,
        });
    }

    /// The reading kept for message `id`, if it was of this very text under these very
    /// settings. Taken: a message is handled once.
    pub fn take(&mut self, id: &str, text: &str, settings: &Rc<Settings>) -> Option<Reading> {
        let i = self.kept.iter().rposition(|k| k.id == id)?;
        let kept = self.kept.remove(i);
        (kept.text == text && Rc::ptr_eq(&kept.settings, settings)).then_some(kept.reading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    fn settings() -> Rc<Settings> {
        Rc::new(Settings::default())
    }

    #[test]
    fn a_handler_gets_back_what_triage_read_of_the_same_message() {
        let s = settings();
        let text = "check out discord.gg/abc";
        let mut recent = Recent::default();
        recent.keep("m1", text, &s, Reading::full(text, &s));
        let reading = recent.take("m1", text, &s).expect("kept");
        assert_eq!(reading.found[0].rule, Rule::InviteLink);
        assert!(recent.take("m1", text, &s).is_none(), "taken once");
    }

    #[test]
    fn another_text_or_other_settings_are_read_again() {
        let s = settings();
        let mut recent = Recent::default();
        recent.keep(
            "m1",
            "discord.gg/abc",
            &s,
            Reading::full("discord.gg/abc", &s),
        );
        assert!(recent.take("m1", "edited", &s).is_none(), "edited text");
        recent.keep(
            "m2",
            "discord.gg/abc",
            &s,
            Reading::full("discord.gg/abc", &s),
        );
        let other = settings();
        assert!(
            recent.take("m2", "discord.gg/abc", &other).is_none(),
            "new settings"
        );
    }

    #[test]
    fn only_exact_readings_are_kept_and_only_the_last_few() {
        let s = settings();
        let mut recent = Recent::default();
        let mut screened = Reading::full("fuck", &s);
        screened.exact = false;
        recent.keep("m0", "fuck", &s, screened);
        assert!(recent.take("m0", "fuck", &s).is_none());
        for i in 0..=KEPT {
            recent.keep(&i.to_string(), "hi", &s, Reading::full("hi", &s));
        }
        assert!(recent.take("0", "hi", &s).is_none(), "the oldest made room");
        assert!(recent.take(&KEPT.to_string(), "hi", &s).is_some());
    }
}
