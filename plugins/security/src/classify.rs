//! The content classifier: what a piece of text, on its own, breaks. A pure function of
//! the text and the guild's [`Settings`], with no host calls, so it runs natively in
//! tests and on the labelled corpus exactly as it runs in `triage`.
//!
//! Who said it (roles, mentions) and how often (flood, duplicates) are judged elsewhere
//! (`spam`, `tracker`); `lib.rs` combines the three.

use crate::normalize::Normalized;
use crate::rules::{Rule, Verdict};
use crate::settings::Settings;
use crate::{emergency, links, profanity};

/// The rule `text` breaks first (emergencies before violations), if any.
pub fn classify(text: &str, settings: &Settings) -> Option<Verdict> {
    classify_all(text, settings).into_iter().next()
}

/// Every enabled rule `text` breaks, in precedence order.
pub fn classify_all(text: &str, settings: &Settings) -> Vec<Verdict> {
    classify_normalized(&Normalized::new(text), settings)
}

/// [`classify_all`] for a message normalized already.
pub fn classify_normalized(norm: &Normalized, settings: &Settings) -> Vec<Verdict> {
    let mut found = detect_all(norm, settings);
    found.retain(|v| settings.is_enabled(v.rule));
    found
}

/// Every content rule the text breaks, disabled ones included, in precedence order.
pub fn detect_all(norm: &Normalized, settings: &Settings) -> Vec<Verdict> {
    let mut found = emergency::check(norm);
    found.extend(links::check(norm, settings));
    found.extend(profanity::check(norm, settings));
    found.sort_by_key(|v| v.rule);
    found
}

/// [`classify_normalized`] within a triage deadline, and whether it was exactly that.
/// Exact once this instance has built the bad-language dictionary (from the start
/// under a pre-initialising host) and for texts up to [`TRIAGE_FULL_READ_MAX`];
/// otherwise bad language is only screened for, and a hit is a `profanity` verdict
/// that `handle_message` confirms or drops with the dictionary.
pub fn classify_for_triage(norm: &Normalized, settings: &Settings) -> (Vec<Verdict>, bool) {
    if profanity::dictionary_ready() && norm.plain.len() <= TRIAGE_FULL_READ_MAX {
        (classify_normalized(norm, settings), true)
    } else {
        (classify_screened(norm, settings), false)
    }
}

/// Longest text (bytes) that triage reads fully; rustrict takes milliseconds on a
/// long one (16 KB: ~30 ms natively), more than a triage deadline, so longer texts are
/// screened in triage and read fully by the handler.
pub const TRIAGE_FULL_READ_MAX: usize = 2048;

/// The cold-instance (and long-text) half of [`classify_for_triage`]: exact for every rule but bad
/// language, which is screened by stems.
pub fn classify_screened(norm: &Normalized, settings: &Settings) -> Vec<Verdict> {
    let mut found = emergency::check(norm);
    found.extend(links::check(norm, settings));
    if profanity::screen(norm, settings) {
        found.push(Verdict::new(
            Rule::Profanity,
            "possible bad language (quick screen)",
        ));
    }
    found.retain(|v| settings.is_enabled(v.rule));
    found.sort_by_key(|v| v.rule);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    fn rule(text: &str) -> Option<Rule> {
        classify(text, &Settings::default()).map(|v| v.rule)
    }

    #[test]
    fn the_demo_lines_behave() {
        assert_eq!(rule("This server fucking sucks!"), Some(Rule::Profanity));
        assert_eq!(
            rule("Check out discord.gg/spam-link"),
            Some(Rule::InviteLink)
        );
        assert_eq!(
            rule("Bitch please, shut the hell up"),
            Some(Rule::Profanity)
        );
        for clean in [
            "Anyone want to play games?",
            "Good morning everyone!",
            "What's the weather like?",
            "Help! Bot commands not working!",
            "Error with quiz command",
            "Hey Astra, what can you do?",
            "@Astra tell me about space",
        ] {
            assert_eq!(rule(clean), None, "{clean}");
        }
    }

    #[test]
    fn emergencies_come_before_violations() {
        assert_eq!(rule("I'm going to fucking kill you"), Some(Rule::Violence));
        let all = classify_all("I'm going to fucking kill you", &Settings::default());
        assert!(all.iter().any(|v| v.rule == Rule::Profanity));
    }

    #[test]
    fn the_screened_triage_finds_every_violation_classify_finds() {
        let s = Settings::default();
        let corpus = [crate::corpus::ABUSIVE, crate::corpus::EMERGENCY];
        for line in corpus.into_iter().flat_map(crate::corpus::lines) {
            let norm = Normalized::new(line);
            if !classify_normalized(&norm, &s).is_empty() {
                assert!(!classify_screened(&norm, &s).is_empty(), "{line}");
            }
        }
    }

    #[test]
    fn disabled_rules_are_skipped() {
        let s = Settings::from_json_pairs([("disabled", r#"["invite-link"]"#)]);
        assert_eq!(classify("discord.gg/abc", &s), None);
        assert!(classify("discord.gg/abc fuck", &s).is_some());
    }
}
