//! The slash command `/automod test text:<...>`: shows moderators how automod reads a
//! piece of text (its normalized form) and which rule, if any, it would apply, without
//! posting anything. [`report`] is pure; [`run`] only adds the guild's settings.

use astra_sdk::prelude::*;

use crate::classify::detect_all;
use crate::normalize::Normalized;
use crate::settings::Settings;

/// The command's name as declared in the manifest.
pub const TEST: &str = "automod test";

/// Longest normalized text echoed back.
const SHOWN_CHARS: usize = 500;

pub fn run(cmd: &CommandInvocation) -> CommandReply {
    match cmd.name.as_str() {
        TEST => {
            let Some(text) = cmd.text("text") else {
                return reply_ephemeral("usage: `/automod test text:<message to check>`");
            };
            reply_ephemeral(report(text, &Settings::load()))
        }
        other => reply_ephemeral(format!("the security cog has no command `/{other}`")),
    }
}

/// The answer to `/automod test`: the normalized text and every rule that matched, the
/// one that would act first. Mention, flood and duplicate rules depend on who posts and
/// how often, so they are not part of a text test.
pub fn report(text: &str, settings: &Settings) -> String {
    let norm = Normalized::new(text);
    let mut shown: String = norm.display().chars().take(SHOWN_CHARS).collect();
    if shown.is_empty() {
        shown = "(nothing left)".to_string();
    }
    let mut out = format!("**Normalized:** `{}`\n", shown.replace('`', "ˋ"));
    let found = detect_all(&norm, settings);
    let mut acting = found.iter().filter(|v| settings.is_enabled(v.rule));
    match acting.next() {
        None => out.push_str("**Result:** no rule matched"),
        Some(v) => {
            let effect = if v.rule.is_emergency() {
                "care reply + moderator alert"
            } else if settings.is_shadow(v.rule) {
                "shadow: mod log only"
            } else {
                "delete + warn + mod log"
            };
            out.push_str(&format!(
                "**Result:** `{}` ({}) → {effect}",
                v.rule,
                v.detail.replace('`', "ˋ")
            ));
        }
    }
    for v in found.iter().skip(1) {
        let note = if settings.is_enabled(v.rule) {
            ""
        } else {
            " (disabled)"
        };
        out.push_str(&format!("\nalso: `{}`{note}", v.rule));
    }
    if let Some(v) = found.first().filter(|v| !settings.is_enabled(v.rule)) {
        out.push_str(&format!("\nalso: `{}` (disabled)", v.rule));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_shows_normalized_text_and_the_rule() {
        let r = report("ｆ u c k this", &Settings::default());
        assert!(r.contains("`fuck this`"), "{r}");
        assert!(r.contains("`profanity`"), "{r}");
        assert!(r.contains("delete + warn"), "{r}");
    }

    #[test]
    fn report_says_when_nothing_matched() {
        let r = report("Good morning everyone!", &Settings::default());
        assert!(r.ends_with("no rule matched"), "{r}");
    }

    #[test]
    fn report_marks_shadow_and_disabled_rules() {
        let s = Settings::from_json_pairs([("shadow", r#"["links"]"#)]);
        assert!(report("discord.gg/abc", &s).contains("shadow"));
        let s = Settings::from_json_pairs([("disabled", r#"["invite-link"]"#)]);
        let r = report("discord.gg/abc", &s);
        assert!(
            r.contains("no rule matched") && r.contains("(disabled)"),
            "{r}"
        );
    }
}
