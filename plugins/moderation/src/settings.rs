//! The guild's moderation settings, in two stages: raw JSON from `config` → a validated
//! [`Settings`]. A bad value falls back to its default and is reported in the host log,
//! so a typo in astra.toml never stops moderation.
//!
//! | key | JSON | default |
//! |---|---|---|
//! | `ladder` | list of `{"warnings", "within-hours", "action", "minutes"}` | 3/24 h → timeout 10 min, 5/168 h → kick, 7/720 h → ban |
//! | `warning-expiry-hours` | integer ≥ 1 | 720 (30 days) |
//! | `modlog-channel` | channel id string | unset: mod-log only through the host |

use crate::ladder::{self, Step};
use serde_json::Value;

pub const DEFAULT_WARNING_EXPIRY_HOURS: u64 = 720;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// steps of the escalation ladder, as configured (may be empty: no escalation)
    pub ladder: Vec<Step>,
    /// how long a warning counts towards the ladder
    pub warning_expiry_hours: u64,
    /// a channel that gets a copy of every mod-log line (`Action::Send`)
    pub modlog_channel: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            ladder: ladder::default_ladder(),
            warning_expiry_hours: DEFAULT_WARNING_EXPIRY_HOURS,
            modlog_channel: None,
        }
    }
}

impl Settings {
    /// Read this guild's settings from the host; problems go to the host log.
    pub fn load() -> Settings {
        let get = |key: &str| astra_sdk::config::get::<Value>(key);
        let (settings, problems) = Settings::from_raw(
            get("ladder"),
            get("warning-expiry-hours"),
            get("modlog-channel"),
        );
        for problem in problems {
            astra_sdk::log::warn(&format!("config: {problem}; using the default"));
        }
        settings
    }

    /// Validate raw values (absent = default); also returns what was wrong.
    pub fn from_raw(
        ladder: Option<Value>,
        expiry_hours: Option<Value>,
        modlog_channel: Option<Value>,
    ) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        if let Some(json) = ladder {
            match ladder::parse(&json) {
                Ok(steps) => settings.ladder = steps,
                Err(e) => problems.push(e),
            }
        }
        match expiry_hours {
            None => {}
            Some(v) => match v.as_u64() {
                Some(h) if h >= 1 => settings.warning_expiry_hours = h,
                _ => problems.push(format!(
                    "`warning-expiry-hours` is {v}; it must be a whole number of hours ≥ 1"
                )),
            },
        }
        match modlog_channel {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.trim().is_empty() => {}
            Some(Value::String(s)) => settings.modlog_channel = Some(s.trim().to_string()),
            Some(Value::Number(n)) => settings.modlog_channel = Some(n.to_string()),
            Some(v) => problems.push(format!(
                "`modlog-channel` is {v}; it must be a channel id in quotes"
            )),
        }
        (settings, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nothing_configured_means_defaults() {
        let (s, problems) = Settings::from_raw(None, None, None);
        assert_eq!(s, Settings::default());
        assert!(problems.is_empty());
    }

    #[test]
    fn valid_values_are_taken() {
        let (s, problems) = Settings::from_raw(
            Some(json!([{"warnings": 2, "within-hours": 1, "action": "ban"}])),
            Some(json!(48)),
            Some(json!("123")),
        );
        assert!(problems.is_empty());
        assert_eq!(s.ladder.len(), 1);
        assert_eq!(s.warning_expiry_hours, 48);
        assert_eq!(s.modlog_channel.as_deref(), Some("123"));
    }

    #[test]
    fn bad_values_fall_back_and_are_reported() {
        let (s, problems) = Settings::from_raw(
            Some(json!([{"warnings": 2}])),
            Some(json!(-3)),
            Some(json!(["x"])),
        );
        assert_eq!(s, Settings::default());
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
