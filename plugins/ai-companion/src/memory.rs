//! The channel's short conversation memory: the last few user → bot exchanges, kept as
//! JSON in kv under `mem:<channel>` by `conversation` and cleared by `/forget`. This file
//! owns the format and the trimming rules; it makes no host calls.
use crate::text::truncate_chars;
use serde::{Deserialize, Serialize};

/// Longest user or bot text kept per turn, in characters.
pub const MAX_TURN_CHARS: usize = 500;

/// One exchange: what a member said and what the bot answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub user: String,
    pub bot: String,
    /// When it happened (ms since the Unix epoch), to forget stale talk.
    #[serde(default)]
    pub at_ms: u64,
}

/// The kv key holding `channel`'s memory.
pub fn key(channel_id: &str) -> String {
    format!("mem:{channel_id}")
}

/// Turns stored as JSON; anything unreadable is treated as no memory.
pub fn parse(json: Option<&str>) -> Vec<Turn> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

/// The turns still worth showing the model: younger than `ttl_ms` (0 = no limit), at
/// most the last `keep`.
pub fn recent(turns: Vec<Turn>, now_ms: u64, ttl_ms: u64, keep: usize) -> Vec<Turn> {
    let fresh: Vec<Turn> = turns
        .into_iter()
        .filter(|t| ttl_ms == 0 || now_ms.saturating_sub(t.at_ms) <= ttl_ms)
        .collect();
    let skip = fresh.len().saturating_sub(keep);
    fresh.into_iter().skip(skip).collect()
}

/// `turns` plus `turn` (texts cut to [`MAX_TURN_CHARS`]), keeping the last `keep`.
pub fn push(mut turns: Vec<Turn>, turn: Turn, keep: usize) -> Vec<Turn> {
    turns.push(Turn {
        user: truncate_chars(&turn.user, MAX_TURN_CHARS),
        bot: truncate_chars(&turn.bot, MAX_TURN_CHARS),
        at_ms: turn.at_ms,
    });
    let skip = turns.len().saturating_sub(keep);
    turns.split_off(skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(n: u64) -> Turn {
        Turn {
            user: format!("q{n}"),
            bot: format!("a{n}"),
            at_ms: n * 1000,
        }
    }

    #[test]
    fn memory_round_trips_through_json() {
        let turns = vec![turn(1), turn(2)];
        let json = serde_json::to_string(&turns).unwrap();
        assert_eq!(parse(Some(&json)), turns);
    }

    #[test]
    fn unreadable_memory_is_empty() {
        assert!(parse(None).is_empty());
        assert!(parse(Some("not json")).is_empty());
        assert!(parse(Some("{\"user\":1}")).is_empty());
    }

    #[test]
    fn pushing_keeps_only_the_last_turns() {
        let turns = (1..=6).map(turn).collect();
        let out = push(turns, turn(7), 3);
        assert_eq!(out, vec![turn(5), turn(6), turn(7)]);
    }

    #[test]
    fn memory_of_zero_keeps_nothing() {
        assert!(push(vec![turn(1)], turn(2), 0).is_empty());
    }

    #[test]
    fn long_texts_are_cut_before_they_are_stored() {
        let long = Turn {
            user: "x".repeat(5000),
            bot: "y ".repeat(5000),
            at_ms: 0,
        };
        let out = push(Vec::new(), long, 6);
        assert!(out[0].user.chars().count() <= MAX_TURN_CHARS);
        assert!(out[0].bot.chars().count() <= MAX_TURN_CHARS);
    }

    #[test]
    fn stale_turns_are_forgotten() {
        let turns = vec![turn(1), turn(50), turn(100)];
        let out = recent(turns.clone(), 100_000, 60_000, 10);
        assert_eq!(out, vec![turn(50), turn(100)]);
        assert_eq!(recent(turns.clone(), 100_000, 0, 10).len(), 3);
        assert_eq!(recent(turns, 100_000, 0, 1), vec![turn(100)]);
    }

    #[test]
    fn keys_are_per_channel() {
        assert_eq!(key("123"), "mem:123");
    }
}
