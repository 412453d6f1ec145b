//! The support cog's per-guild settings, read from `config` once per call.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `knowledge-base` | built-in `kb/default.json` | list of `{"q", "a", "keywords"}` |
//! | `min-similarity` | `0.30` | cosine needed to answer by meaning (embeddings) |
//! | `min-keyword-score` | `0.25` | score needed to answer by keywords (no embeddings) |
//! | `staff-role` | `"@staff"` | pinged when nothing matches; a bare id becomes `<@&id>` |
//! | `staff-channel` | unset | channel id that also gets unanswered questions |
//! | `commands` | unset | set by the host: every loaded cog's commands, for `/help` |
use crate::kb::Kb;
use astra_sdk::config;

pub const DEFAULT_MIN_SIMILARITY: f32 = 0.30;
pub const DEFAULT_MIN_KEYWORD_SCORE: f32 = 0.25;
pub const DEFAULT_STAFF_ROLE: &str = "@staff";

/// What answering a message needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub kb: Kb,
    pub min_similarity: f32,
    pub min_keyword_score: f32,
    /// Ready to paste into a message.
    pub staff_mention: String,
    pub staff_channel: Option<String>,
}

impl Settings {
    /// Reads the settings for the current guild (capability `config`).
    pub fn load() -> Self {
        Settings {
            kb: load_kb(),
            min_similarity: threshold(config::get("min-similarity"), DEFAULT_MIN_SIMILARITY),
            min_keyword_score: threshold(
                config::get("min-keyword-score"),
                DEFAULT_MIN_KEYWORD_SCORE,
            ),
            staff_mention: staff_mention(config::get::<String>("staff-role").as_deref()),
            staff_channel: config::get::<String>("staff-channel")
                .map(|c| {
                    c.trim()
                        .trim_start_matches("<#")
                        .trim_end_matches('>')
                        .to_string()
                })
                .filter(|c| !c.is_empty()),
        }
    }
}

/// The knowledge base in use for this guild.
pub fn load_kb() -> Kb {
    Kb::from_setting(config::get("knowledge-base"))
}

/// A configured threshold within 0..=1, or `default`.
pub fn threshold(value: Option<f32>, default: f32) -> f32 {
    match value {
        Some(v) if v.is_finite() => v.clamp(0.0, 1.0),
        _ => default,
    }
}

/// The staff role as a mention: a bare id becomes `<@&id>`, anything else is kept.
pub fn staff_mention(role: Option<&str>) -> String {
    let role = role.map(str::trim).filter(|r| !r.is_empty());
    match role {
        None => DEFAULT_STAFF_ROLE.to_string(),
        Some(id) if id.bytes().all(|b| b.is_ascii_digit()) => format!("<@&{id}>"),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_roles_become_mentions() {
        assert_eq!(staff_mention(None), "@staff");
        assert_eq!(staff_mention(Some("  ")), "@staff");
        assert_eq!(staff_mention(Some("123456")), "<@&123456>");
        assert_eq!(staff_mention(Some("<@&9>")), "<@&9>");
        assert_eq!(staff_mention(Some("@mods")), "@mods");
    }

    #[test]
    fn thresholds_stay_between_zero_and_one() {
        assert_eq!(threshold(None, 0.3), 0.3);
        assert_eq!(threshold(Some(2.0), 0.3), 1.0);
        assert_eq!(threshold(Some(-1.0), 0.3), 0.0);
        assert_eq!(threshold(Some(f32::NAN), 0.3), 0.3);
        assert_eq!(threshold(Some(0.45), 0.3), 0.45);
    }
}
