//! Counting one message: runs for every message in every guild, so it is a handful of
//! kv increments and nothing else.
//!
//! Per message: `total`, `ch:<channel>`, `hour:<yyyymmddhh>` and the day marker
//! `du:<day>:<user>` (4 calls). Only when the marker shows the user's first message of
//! the day (once per user per day) does it go further: bump `dau:<day>`, touch the week
//! marker (and bump `wau:<week>` on the first day of the week) and prune a few stale
//! markers, so the markers do not pile up forever. Bots are counted as messages but
//! not as active users.

use crate::store::Kv;
use crate::{keys, time};
use astra_sdk::kv::KvError;

/// Stale markers deleted per first sighting; as each sighting adds one marker and may
/// remove this many, old days drain away.
const PRUNE_BATCH: u32 = 3;

/// One message to count.
pub struct Seen<'a> {
    pub channel: &'a str,
    pub user: &'a str,
    pub is_bot: bool,
    /// when it was sent (ms since the epoch)
    pub at_ms: u64,
}

pub fn record(kv: &mut impl Kv, msg: &Seen) -> Result<(), KvError> {
    kv.increment(keys::TOTAL, 1)?;
    kv.increment(&keys::channel(msg.channel), 1)?;
    kv.increment(&keys::hour(&time::hour_key(msg.at_ms)), 1)?;
    if msg.is_bot {
        return Ok(());
    }
    let day = time::day_key(msg.at_ms);
    if kv.increment(&keys::day_user(&day, msg.user), 1)? != 1 {
        return Ok(()); // seen today, so also seen this week
    }
    kv.increment(&keys::day_active(&day), 1)?;
    let yesterday = time::day_key(msg.at_ms.saturating_sub(time::MS_PER_DAY));
    prune(kv, keys::DAY_USER, &yesterday)?;

    let week = time::week_key(msg.at_ms);
    if kv.increment(&keys::week_user(&week, msg.user), 1)? == 1 {
        kv.increment(&keys::week_active(&week), 1)?;
        let last_week = time::week_key(msg.at_ms.saturating_sub(7 * time::MS_PER_DAY));
        prune(kv, keys::WEEK_USER, &last_week)?;
    }
    Ok(())
}

/// Delete up to [`PRUNE_BATCH`] of the oldest `prefix<date>:<user>` markers dated
/// before `keep_from` (markers are listed oldest first, as dates sort as text).
fn prune(kv: &mut impl Kv, prefix: &str, keep_from: &str) -> Result<(), KvError> {
    for (key, _) in kv.list_prefix(prefix, PRUNE_BATCH)? {
        let date = key.get(prefix.len()..prefix.len() + 8).unwrap_or_default();
        if date >= keep_from {
            break;
        }
        kv.delete(&key)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::mem::MemKv;

    // 2024-05-01 13:07:59 UTC, a Wednesday
    const T: u64 = 1_714_568_879_000;
    const DAY: u64 = time::MS_PER_DAY;

    fn seen(user: &str, at_ms: u64) -> Seen<'_> {
        Seen {
            channel: "general",
            user,
            is_bot: false,
            at_ms,
        }
    }

    #[test]
    fn messages_are_counted_by_total_channel_and_hour() {
        let mut kv = MemKv::default();
        record(&mut kv, &seen("a", T)).unwrap();
        record(
            &mut kv,
            &Seen {
                channel: "memes",
                ..seen("b", T)
            },
        )
        .unwrap();
        assert_eq!(kv.value("total"), 2);
        assert_eq!(kv.value("ch:general"), 1);
        assert_eq!(kv.value("ch:memes"), 1);
        assert_eq!(kv.value("hour:2024050113"), 2);
    }

    #[test]
    fn active_users_are_counted_once_a_day_and_once_a_week() {
        let mut kv = MemKv::default();
        for at in [T, T + 1_000, T + DAY, T + DAY + 1] {
            record(&mut kv, &seen("a", at)).unwrap();
        }
        record(&mut kv, &seen("b", T)).unwrap();
        assert_eq!(kv.value("dau:20240501"), 2);
        assert_eq!(kv.value("dau:20240502"), 1);
        assert_eq!(kv.value("wau:20240429"), 2);
        assert_eq!(kv.value("wu:20240429:a"), 2, "active on two days");
    }

    #[test]
    fn bots_count_as_messages_but_not_as_users() {
        let mut kv = MemKv::default();
        record(
            &mut kv,
            &Seen {
                is_bot: true,
                ..seen("bot", T)
            },
        )
        .unwrap();
        assert_eq!(kv.value("total"), 1);
        assert_eq!(kv.value("dau:20240501"), 0);
    }

    #[test]
    fn a_repeat_message_costs_four_kv_calls() {
        let mut kv = MemKv::default();
        record(&mut kv, &seen("a", T)).unwrap();
        let before = kv.calls;
        record(&mut kv, &seen("a", T + 1)).unwrap();
        assert_eq!(kv.calls - before, 4);
    }

    #[test]
    fn markers_older_than_yesterday_are_pruned() {
        let mut kv = MemKv::default();
        for user in ["a", "b", "c"] {
            record(&mut kv, &seen(user, T)).unwrap();
        }
        // next day: yesterday's markers stay
        record(&mut kv, &seen("d", T + DAY)).unwrap();
        assert!(kv.data.contains_key("du:20240501:a"));
        // two days later: each first sighting removes up to three stale markers
        record(&mut kv, &seen("e", T + 3 * DAY)).unwrap();
        assert!(!kv.data.keys().any(|k| k.starts_with("du:20240501")));
        assert!(kv.data.contains_key("du:20240502:d") && kv.data.contains_key("du:20240504:e"));
        // day counts survive pruning
        assert_eq!(kv.value("dau:20240501"), 3);
        // a new week prunes week markers from before last week
        let old_week = |kv: &MemKv| {
            kv.data
                .keys()
                .filter(|k| k.starts_with("wu:20240429"))
                .count()
        };
        assert_eq!(old_week(&kv), 5);
        record(&mut kv, &seen("f", T + 14 * DAY)).unwrap();
        assert_eq!(old_week(&kv), 2);
        record(&mut kv, &seen("g", T + 14 * DAY)).unwrap();
        assert_eq!(old_week(&kv), 0);
        assert_eq!(kv.value("wau:20240429"), 5);
    }
}
