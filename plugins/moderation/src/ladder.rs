//! The escalation ladder: which punishment a run of warnings earns.
//!
//! A guild configures steps (`[{"warnings":3,"within-hours":24,"action":"timeout",
//! "minutes":10}, ...]`); `escalate.rs` calls [`evaluate`] each time a warning is
//! recorded, with the times of the user's *active* warnings (not expired, not cleared).
//!
//! A step fires when the number of active warnings inside its window *reaches exactly*
//! its threshold. Each new warning adds exactly one to every window (expiry and
//! `/clearwarn` only take away), so a step fires once on the way up and again only
//! after the count has dropped below the threshold and climbed back: no repeated
//! timeouts for warning 4, 5, 6 of a "3 in 24h" step. When several steps fire at once
//! the most severe one wins.

use crate::time;
use serde::Deserialize;
use std::fmt;

/// Discord's longest timeout.
pub const MAX_TIMEOUT_MINUTES: u32 = 28 * 24 * 60;
/// Largest threshold a step may have (the store reads at most a few hundred records).
pub const MAX_WARNINGS: u32 = 100;

/// What a step does to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepAction {
    Timeout { minutes: u32 },
    Kick,
    Ban,
}

impl StepAction {
    /// Orders steps by severity: every timeout < kick < ban, longer timeouts higher.
    fn severity(self) -> (u8, u32) {
        match self {
            StepAction::Timeout { minutes } => (0, minutes),
            StepAction::Kick => (1, 0),
            StepAction::Ban => (2, 0),
        }
    }
}

impl fmt::Display for StepAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepAction::Timeout { minutes } => write!(
                f,
                "timeout {}",
                time::format_duration(time::minutes_ms(u64::from(*minutes)))
            ),
            StepAction::Kick => f.write_str("kick"),
            StepAction::Ban => f.write_str("ban"),
        }
    }
}

/// One validated rung: `warnings` active warnings within `within_hours` → `action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub warnings: u32,
    pub within_hours: u64,
    pub action: StepAction,
}

impl Step {
    /// How many of `warning_times` fall inside this step's window ending at `now_ms`.
    fn count(&self, warning_times: &[u64], now_ms: u64) -> u32 {
        let since = now_ms.saturating_sub(time::hours_ms(self.within_hours));
        warning_times.iter().filter(|&&t| t > since).count() as u32
    }
}

/// The ladder used when a guild sets none: 3 in a day → 10 min timeout, 5 in a week →
/// kick, 7 in 30 days → ban.
pub fn default_ladder() -> Vec<Step> {
    vec![
        Step {
            warnings: 3,
            within_hours: 24,
            action: StepAction::Timeout { minutes: 10 },
        },
        Step {
            warnings: 5,
            within_hours: 168,
            action: StepAction::Kick,
        },
        Step {
            warnings: 7,
            within_hours: 720,
            action: StepAction::Ban,
        },
    ]
}

/// A step as written in the config, before validation.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawStep {
    warnings: u32,
    within_hours: u64,
    action: String,
    #[serde(default)]
    minutes: Option<u32>,
}

/// Parse and check the `ladder` setting. The error names the step (1-based) and the fix.
pub fn parse(json: &serde_json::Value) -> Result<Vec<Step>, String> {
    let raw: Vec<RawStep> = serde_json::from_value(json.clone()).map_err(|e| {
        format!(
            "`ladder` must be a list of {{\"warnings\", \"within-hours\", \"action\", \
             \"minutes\"}} objects: {e}"
        )
    })?;
    let mut steps = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let n = i + 1;
        if !(1..=MAX_WARNINGS).contains(&r.warnings) {
            return Err(format!(
                "ladder step {n}: `warnings` must be 1..={MAX_WARNINGS}"
            ));
        }
        if r.within_hours == 0 {
            return Err(format!(
                "ladder step {n}: `within-hours` must be at least 1"
            ));
        }
        let action = match (r.action.as_str(), r.minutes) {
            ("timeout", Some(m)) if (1..=MAX_TIMEOUT_MINUTES).contains(&m) => {
                StepAction::Timeout { minutes: m }
            }
            ("timeout", _) => {
                return Err(format!(
                    "ladder step {n}: a timeout needs `minutes` in 1..={MAX_TIMEOUT_MINUTES}"
                ))
            }
            ("kick", _) => StepAction::Kick,
            ("ban", _) => StepAction::Ban,
            (other, _) => {
                return Err(format!(
                    "ladder step {n}: `action` is \"{other}\"; use \"timeout\", \"kick\" or \"ban\""
                ))
            }
        };
        steps.push(Step {
            warnings: r.warnings,
            within_hours: r.within_hours,
            action,
        });
    }
    Ok(steps)
}

/// The step (and its 1-based position in the ladder) that the newest warning triggers,
/// given the times of all active warnings including the newest. `None`: no escalation.
pub fn evaluate<'a>(
    ladder: &'a [Step],
    warning_times: &[u64],
    now_ms: u64,
) -> Option<(usize, &'a Step)> {
    ladder
        .iter()
        .enumerate()
        .filter(|(_, step)| step.count(warning_times, now_ms) == step.warnings)
        .max_by_key(|(_, step)| (step.action.severity(), step.warnings))
        .map(|(i, step)| (i + 1, step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const H: u64 = 3_600_000;
    const NOW: u64 = 1_000 * H;

    /// `n` warnings, one per `gap_h` hours, the newest at NOW.
    fn warnings(n: u64, gap_h: u64) -> Vec<u64> {
        (0..n).map(|i| NOW - i * gap_h * H).collect()
    }

    #[test]
    fn third_warning_in_a_day_times_out() {
        let ladder = default_ladder();
        assert_eq!(evaluate(&ladder, &warnings(2, 1), NOW), None);
        let (n, step) = evaluate(&ladder, &warnings(3, 1), NOW).unwrap();
        assert_eq!(n, 1);
        assert_eq!(step.action, StepAction::Timeout { minutes: 10 });
    }

    #[test]
    fn fourth_warning_does_not_repeat_the_timeout() {
        assert_eq!(evaluate(&default_ladder(), &warnings(4, 1), NOW), None);
    }

    #[test]
    fn warnings_spread_over_days_decay_out_of_the_short_window() {
        // three warnings 13 h apart: only two inside 24 h
        assert_eq!(evaluate(&default_ladder(), &warnings(3, 13), NOW), None);
    }

    #[test]
    fn fifth_in_a_week_kicks_and_seventh_in_a_month_bans() {
        let ladder = default_ladder();
        let (_, kick) = evaluate(&ladder, &warnings(5, 30), NOW).unwrap();
        assert_eq!(kick.action, StepAction::Kick);
        assert_eq!(evaluate(&ladder, &warnings(6, 30), NOW), None);
        let (n, ban) = evaluate(&ladder, &warnings(7, 30), NOW).unwrap();
        assert_eq!((n, ban.action), (3, StepAction::Ban));
    }

    #[test]
    fn the_most_severe_of_simultaneous_steps_wins() {
        let ladder = parse(&json!([
            {"warnings": 5, "within-hours": 168, "action": "kick"},
            {"warnings": 5, "within-hours": 24, "action": "timeout", "minutes": 60},
        ]))
        .unwrap();
        let (n, step) = evaluate(&ladder, &warnings(5, 1), NOW).unwrap();
        assert_eq!((n, step.action), (1, StepAction::Kick));
    }

    #[test]
    fn a_step_fires_again_after_the_count_fell_and_climbed_back() {
        let ladder = default_ladder();
        // two old warnings (25 h ago) no longer count in the 24 h window
        let mut times = vec![NOW - 25 * H, NOW - 26 * H];
        times.extend(warnings(3, 1));
        let (n, _) = evaluate(&ladder[..1], &times, NOW).unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn the_documented_default_parses_to_the_default_ladder() {
        let json = json!([
            {"warnings": 3, "within-hours": 24, "action": "timeout", "minutes": 10},
            {"warnings": 5, "within-hours": 168, "action": "kick"},
            {"warnings": 7, "within-hours": 720, "action": "ban"},
        ]);
        assert_eq!(parse(&json).unwrap(), default_ladder());
        assert_eq!(parse(&json!([])).unwrap(), vec![]);
    }

    #[test]
    fn bad_steps_are_named() {
        let no_minutes = json!([{"warnings": 3, "within-hours": 24, "action": "timeout"}]);
        assert!(parse(&no_minutes).unwrap_err().contains("step 1"));
        let too_long = json!([{"warnings": 3, "within-hours": 24, "action": "timeout",
                               "minutes": 50_000}]);
        assert!(parse(&too_long).unwrap_err().contains("minutes"));
        let unknown = json!([{"warnings": 3, "within-hours": 24, "action": "mute"}]);
        assert!(parse(&unknown).unwrap_err().contains("\"mute\""));
        let zero = json!([{"warnings": 0, "within-hours": 24, "action": "kick"}]);
        assert!(parse(&zero).unwrap_err().contains("warnings"));
        assert!(parse(&json!({"warnings": 3})).is_err());
        let typo = json!([{"warnings": 3, "within_hours": 24, "action": "kick"}]);
        assert!(parse(&typo).is_err());
    }
}
