//! The companion's per-guild settings, read from `config` once per call and clamped to
//! sane ranges, so the rest of the cog works with plain typed values.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `bot-name` | `"Astra"` | the name that addresses the bot |
//! | `answer-open-questions` | `false` | also answer questions nobody addressed to the bot |
//! | `persona` | [`prompt::DEFAULT_PERSONA`] | system prompt; `{name}` becomes the bot's name |
//! | `memory-turns` | `6` | exchanges remembered per channel (0 turns memory off, max 20) |
//! | `memory-ttl-minutes` | `120` | older exchanges are forgotten (0 = never) |
//! | `max-tokens` | `120` | reply length limit for the model (1..=1024) |
//! | `temperature` | `0.7` | sampling temperature (0..=2) |
//! | `user-budget-per-hour` | `20` | replies per user per hour (0 = unlimited) |
use crate::prompt;
use astra_sdk::config;

pub const DEFAULT_BOT_NAME: &str = "Astra";

/// Everything `conversation` needs, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub bot_name: String,
    /// The system prompt with `{name}` filled in.
    pub persona: String,
    pub memory_turns: usize,
    pub memory_ttl_ms: u64,
    pub max_tokens: u32,
    pub temperature: f32,
    pub user_budget_per_hour: u32,
}

impl Settings {
    /// Reads every setting for the current guild (host calls: capability `config`).
    pub fn load() -> Self {
        Raw {
            bot_name: bot_name(),
            persona: config::get("persona"),
            memory_turns: config::get_or("memory-turns", 6),
            memory_ttl_minutes: config::get_or("memory-ttl-minutes", 120),
            max_tokens: config::get_or("max-tokens", 120),
            temperature: config::get_or("temperature", 0.7),
            user_budget_per_hour: config::get_or("user-budget-per-hour", 20),
        }
        .validate()
    }
}

/// The bot's name (`bot-name`), never empty. Cheap enough for `triage`.
pub fn bot_name() -> String {
    normalize_name(config::get::<String>("bot-name"))
}

/// Whether questions nobody addressed to the bot get an answer (`answer-open-questions`).
pub fn answer_open_questions() -> bool {
    config::get_or("answer-open-questions", false)
}

/// Settings as read, before clamping.
#[derive(Debug, Clone)]
pub struct Raw {
    pub bot_name: String,
    pub persona: Option<String>,
    pub memory_turns: u64,
    pub memory_ttl_minutes: u64,
    pub max_tokens: u64,
    pub temperature: f64,
    pub user_budget_per_hour: u64,
}

impl Raw {
    /// Clamps every number into its range and fills in the persona.
    pub fn validate(self) -> Settings {
        let template = self
            .persona
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| prompt::DEFAULT_PERSONA.to_string());
        let temperature = if self.temperature.is_finite() {
            self.temperature.clamp(0.0, 2.0) as f32
        } else {
            0.7
        };
        Settings {
            persona: prompt::persona(&template, &self.bot_name),
            bot_name: self.bot_name,
            memory_turns: self.memory_turns.min(20) as usize,
            memory_ttl_ms: self.memory_ttl_minutes.min(60 * 24 * 365) * 60_000,
            max_tokens: self.max_tokens.clamp(1, 1024) as u32,
            temperature,
            user_budget_per_hour: self.user_budget_per_hour.min(u32::MAX as u64) as u32,
        }
    }
}

/// A configured name, trimmed, or the default when absent or blank.
pub fn normalize_name(name: Option<String>) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => DEFAULT_BOT_NAME.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Raw {
        Raw {
            bot_name: "Astra".into(),
            persona: None,
            memory_turns: 6,
            memory_ttl_minutes: 120,
            max_tokens: 120,
            temperature: 0.7,
            user_budget_per_hour: 20,
        }
    }

    #[test]
    fn defaults_pass_through_unchanged() {
        let s = raw().validate();
        assert_eq!(s.memory_turns, 6);
        assert_eq!(s.memory_ttl_ms, 120 * 60_000);
        assert_eq!(s.max_tokens, 120);
        assert!((s.temperature - 0.7).abs() < 1e-6);
        assert_eq!(s.user_budget_per_hour, 20);
        assert!(s.persona.contains("Astra"));
        assert!(!s.persona.contains("{name}"));
    }

    #[test]
    fn out_of_range_numbers_are_clamped() {
        let s = Raw {
            memory_turns: 500,
            max_tokens: 0,
            temperature: 9.0,
            ..raw()
        }
        .validate();
        assert_eq!(s.memory_turns, 20);
        assert_eq!(s.max_tokens, 1);
        assert_eq!(s.temperature, 2.0);
    }

    #[test]
    fn a_custom_persona_gets_the_name() {
        let s = Raw {
            bot_name: "Nova".into(),
            persona: Some("You are {name}, a pirate.".into()),
            ..raw()
        }
        .validate();
        assert_eq!(s.persona, "You are Nova, a pirate.");
    }

    #[test]
    fn a_blank_persona_falls_back_to_the_default() {
        let s = Raw {
            persona: Some("  ".into()),
            ..raw()
        }
        .validate();
        assert!(s.persona.starts_with("You are Astra"));
    }

    #[test]
    fn blank_names_fall_back_to_astra() {
        assert_eq!(normalize_name(None), "Astra");
        assert_eq!(normalize_name(Some("  ".into())), "Astra");
        assert_eq!(normalize_name(Some(" Nova ".into())), "Nova");
    }
}
