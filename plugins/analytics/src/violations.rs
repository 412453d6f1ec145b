//! Moderation actions other cogs took (the `moderation-actions` event), counted per
//! action kind (`act:<kind>`) and, for warnings, per rule (`rule:<rule>`). The rule is
//! the text before the first `:` of the warning's reason (`"profanity: …"` →
//! `profanity`), lower-cased; a reason without one counts as `other`.

use crate::keys;
use crate::store::Kv;
use astra_sdk::kv::KvError;
use astra_sdk::Action;

/// Longest rule name kept (the rest is cut).
const MAX_RULE_CHARS: usize = 40;

/// The rule a warning's reason names.
pub fn rule_of(reason: &str) -> String {
    let rule = match reason.split_once(':') {
        Some((rule, _)) => rule.trim(),
        None => "",
    };
    if rule.is_empty() {
        return "other".to_string();
    }
    rule.chars()
        .take(MAX_RULE_CHARS)
        .collect::<String>()
        .to_lowercase()
}

/// Count `action` if it is a warn, timeout, kick or ban.
pub fn record(kv: &mut impl Kv, action: &Action) -> Result<(), KvError> {
    let kind = match action {
        Action::Warn(w) => {
            kv.increment(&keys::rule(&rule_of(&w.reason)), 1)?;
            "warn"
        }
        Action::Timeout(_) => "timeout",
        Action::Kick(_) => "kick",
        Action::Ban(_) => "ban",
        _ => return Ok(()),
    };
    kv.increment(&keys::action(kind), 1)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::mem::MemKv;
    use astra_sdk::{RemoveUser, Warning};

    #[test]
    fn the_rule_is_the_text_before_the_colon() {
        assert_eq!(rule_of("profanity: darn"), "profanity");
        assert_eq!(rule_of(" Spam : links: many"), "spam");
        assert_eq!(rule_of("no colon here"), "other");
        assert_eq!(rule_of(": empty"), "other");
        assert_eq!(
            rule_of(&format!("{}: x", "r".repeat(100))).len(),
            MAX_RULE_CHARS
        );
    }

    #[test]
    fn warnings_count_per_rule_and_all_actions_per_kind() {
        let mut kv = MemKv::default();
        let warn = |reason: &str| {
            Action::Warn(Warning {
                user_id: "42".into(),
                reason: reason.into(),
            })
        };
        record(&mut kv, &warn("profanity: a")).unwrap();
        record(&mut kv, &warn("profanity: b")).unwrap();
        record(&mut kv, &warn("spam: c")).unwrap();
        let ban = Action::Ban(RemoveUser {
            user_id: "42".into(),
            reason: "scam: d".into(),
        });
        record(&mut kv, &ban).unwrap();
        record(&mut kv, &Action::Reply("hi".into())).unwrap();
        assert_eq!(kv.value("rule:profanity"), 2);
        assert_eq!(kv.value("rule:spam"), 1);
        assert_eq!(kv.value("act:warn"), 3);
        assert_eq!(kv.value("act:ban"), 1);
        assert!(!kv.data.contains_key("rule:scam"));
        assert_eq!(kv.data.len(), 4);
    }
}
