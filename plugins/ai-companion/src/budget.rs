//! Per-user reply budget: how many model replies one member may get per hour. The count
//! lives in kv under `budget:<user>:<hour>` (hours since the Unix epoch), bumped with
//! `increment` so concurrent calls cannot lose a count; `conversation` deletes the
//! previous hour's key when a new hour starts, so one key per active user remains.
//! This file owns the key format and the rule; it makes no host calls.

const HOUR_MS: u64 = 3_600_000;

/// The hour `now_ms` falls in.
pub fn hour(now_ms: u64) -> u64 {
    now_ms / HOUR_MS
}

/// The kv key counting `user_id`'s replies during `hour`.
pub fn key(user_id: &str, hour: u64) -> String {
    format!("budget:{user_id}:{hour}")
}

/// Whether the `count`-th reply this hour is over `limit` (0 = no limit).
pub fn is_over(count: i64, limit: u32) -> bool {
    limit != 0 && count > i64::from(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_split_at_the_hour() {
        assert_eq!(hour(0), 0);
        assert_eq!(hour(HOUR_MS - 1), 0);
        assert_eq!(hour(HOUR_MS), 1);
    }

    #[test]
    fn keys_name_the_user_and_the_hour() {
        assert_eq!(key("42", 7), "budget:42:7");
    }

    #[test]
    fn the_limit_itself_is_allowed() {
        assert!(!is_over(20, 20));
        assert!(is_over(21, 20));
    }

    #[test]
    fn zero_means_unlimited() {
        assert!(!is_over(1_000_000, 0));
    }
}
