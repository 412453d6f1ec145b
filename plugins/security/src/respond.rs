//! What the cog does about a verdict, as a pure function of the message, the verdict
//! and the settings (so the wording and the shadow-mode rules are tested natively).
//!
//! - Emergency (`self-harm`, `violence`): never punished. A caring reply with the
//!   `help-resources`, and a mod-log alert that mentions the `alert-role`.
//! - Violation in shadow mode: a mod-log line only ("would have deleted").
//! - Violation: delete the message, warn the author with `"<rule>: <detail>"` (the
//!   moderation cog keeps that as the record) and log it. For a burst of flood or
//!   duplicate spam only the first message of a window is warned and logged; the rest
//!   are just deleted.
//!
//! Quoted user text in the mod log is defanged: no pings, no links, no markdown.

use astra_sdk::{Action, Message, MessageRef, Warning};

use crate::rules::{Rule, Verdict};
use crate::settings::Settings;

/// Longest excerpt of the message quoted in the mod log.
const EXCERPT_CHARS: usize = 200;

/// The actions for `verdict` on `msg`. `warn` is false for the later messages of a
/// spam burst already warned.
pub fn actions(msg: &Message, verdict: &Verdict, settings: &Settings, warn: bool) -> Vec<Action> {
    if verdict.rule.is_emergency() {
        return emergency(msg, verdict, settings);
    }
    let who = format!("**{}** (`{}`)", defang(&msg.author.name), msg.author.id);
    let place = format!("<#{}>", msg.channel_id);
    let quote = excerpt(&msg.content);
    if settings.is_shadow(verdict.rule) {
        if !warn {
            return Vec::new();
        }
        return vec![Action::LogToModlog(format!(
            "👁️ [shadow] `{}` would have deleted a message from {who} in {place}: {}\n> {quote}",
            verdict.rule,
            defang(&verdict.detail),
        ))];
    }
    let mut actions = vec![Action::DeleteMessage(MessageRef {
        channel_id: msg.channel_id.clone(),
        message_id: msg.id.clone(),
    })];
    if warn {
        actions.push(Action::Warn(Warning {
            user_id: msg.author.id.clone(),
            reason: verdict.reason(),
        }));
        actions.push(Action::LogToModlog(format!(
            "🛡️ `{}`: deleted a message from {who} in {place} and warned them: {}\n> {quote}",
            verdict.rule,
            defang(&verdict.detail),
        )));
    }
    actions
}

/// Care for the author (or the people threatened) and an alert for the moderators.
fn emergency(msg: &Message, verdict: &Verdict, settings: &Settings) -> Vec<Action> {
    let resources: String = settings
        .help_resources
        .iter()
        .map(|line| format!("\n• {line}"))
        .collect();
    let (reply, what) = match verdict.rule {
        Rule::SelfHarm => (
            format!(
                "{}, {}{resources}\nI've let the moderators know so a real person can check in with you.",
                msg.author.name, settings.care_message
            ),
            "possible self-harm or suicide risk",
        ),
        _ => (
            format!(
                "{}, that sounded like a threat to hurt someone, and the moderators have been asked to look at it. If you're struggling or anyone is in danger, please reach out:{resources}",
                msg.author.name
            ),
            "possible threat of violence",
        ),
    };
    let alert = format!(
        "{} ⚠️ **{what}** from **{}** (`{}`) in <#{}> (message `{}`, matched {}). Not punished; a caring reply with help resources was posted. Please check in.\n> {}",
        settings.alert_role,
        defang(&msg.author.name),
        msg.author.id,
        msg.channel_id,
        msg.id,
        defang(&verdict.detail),
        excerpt(&msg.content),
    );
    vec![Action::Reply(reply), Action::LogToModlog(alert)]
}

/// The message as a one-line, inline-code quote: it cannot ping, embed or format.
fn excerpt(content: &str) -> String {
    let flat: String = content
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut short: String = flat.chars().take(EXCERPT_CHARS).collect();
    if flat.chars().count() > EXCERPT_CHARS {
        short.push('…');
    }
    format!("`{}`", short.replace('`', "ˋ").replace('@', "@\u{200B}"))
}

/// Text we put outside code spans: mentions and markdown made inert.
fn defang(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '@' => out.push_str("@\u{200B}"),
            '`' => out.push('ˋ'),
            '*' | '_' | '~' | '|' | '>' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use astra_sdk::User;

    fn message(content: &str) -> Message {
        Message {
            id: "m1".into(),
            guild_id: "g1".into(),
            channel_id: "c1".into(),
            author: User {
                id: "u1".into(),
                name: "sam".into(),
                roles: Vec::new(),
                is_bot: false,
            },
            content: content.into(),
            mentions: Vec::new(),
            role_mentions: Vec::new(),
            mentions_everyone: false,
            mentions_bot: false,
            timestamp_ms: 0,
        }
    }

    #[test]
    fn violations_delete_warn_and_log() {
        let v = Verdict::new(Rule::InviteLink, "invite discord.gg/x");
        let actions = actions(
            &message("discord.gg/x @everyone"),
            &v,
            &Settings::default(),
            true,
        );
        assert!(
            matches!(&actions[0], Action::DeleteMessage(r) if r.channel_id == "c1" && r.message_id == "m1")
        );
        assert!(
            matches!(&actions[1], Action::Warn(w) if w.user_id == "u1" && w.reason == "invite-link: invite discord.gg/x")
        );
        let Action::LogToModlog(log) = &actions[2] else {
            panic!("expected a mod-log line, got {actions:?}");
        };
        assert!(log.contains("invite-link") && !log.contains("@everyone"));
    }

    #[test]
    fn later_spam_in_a_burst_is_only_deleted() {
        let v = Verdict::new(Rule::Flood, "7 messages in 10 s");
        let actions = actions(&message("hi"), &v, &Settings::default(), false);
        assert_eq!(actions.len(), 1);
        assert!(matches!(actions[0], Action::DeleteMessage(_)));
    }

    #[test]
    fn shadow_rules_only_log() {
        let s = Settings::from_json_pairs([("shadow", r#"["links"]"#)]);
        let v = Verdict::new(Rule::InviteLink, "invite discord.gg/x");
        let actions = actions(&message("discord.gg/x"), &v, &s, true);
        assert_eq!(actions.len(), 1);
        assert!(matches!(&actions[0], Action::LogToModlog(l) if l.contains("[shadow]")));
    }

    #[test]
    fn emergencies_get_care_and_an_alert_never_a_punishment() {
        let s = Settings::from_json_pairs([
            ("alert-role", r#""42""#),
            ("help-resources", r#"["Call 988"]"#),
        ]);
        let v = Verdict::new(Rule::SelfHarm, "\"kill myself\"");
        let actions = actions(&message("I want to kill myself"), &v, &s, true);
        assert_eq!(actions.len(), 2);
        assert!(matches!(&actions[0], Action::Reply(r) if r.contains("Call 988")));
        assert!(matches!(&actions[1], Action::LogToModlog(l) if l.starts_with("<@&42>")));
        assert!(!actions
            .iter()
            .any(|a| matches!(a, Action::DeleteMessage(_) | Action::Warn(_))));
    }
}
