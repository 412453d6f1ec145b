//! `/stats`: read the counters into a [`Snapshot`] (8 kv calls) and render it
//! (`report.rs`). Visible to everyone who asks.

use crate::report::{self, Snapshot};
use crate::store::{number, Kv};
use crate::{keys, time};
use astra_sdk::kv::KvError;
use astra_sdk::CommandBuilder;
use std::collections::BTreeMap;

/// Most channels / rules read (a guild has at most 500 channels).
const LIST_LIMIT: u32 = 1_000;

pub fn spec() -> CommandBuilder {
    CommandBuilder::new(
        "stats",
        "Message, activity and moderation statistics for this server",
    )
}

/// The report for this guild at `now_ms`.
pub fn run(kv: &mut impl Kv, now_ms: u64) -> Result<String, KvError> {
    Ok(report::render(&gather(kv, now_ms)?))
}

/// Read everything the report shows.
pub fn gather(kv: &mut impl Kv, now_ms: u64) -> Result<Snapshot, KvError> {
    let today = time::day_key(now_ms);
    let week = time::week_key(now_ms);

    // the last 24 hours lie in today and yesterday: two listings instead of 24 reads
    let yesterday = time::day_key(now_ms.saturating_sub(time::MS_PER_DAY));
    let mut by_hour: BTreeMap<String, u64> = counters(kv, &keys::hour(&yesterday), keys::HOUR)?
        .into_iter()
        .collect();
    by_hour.extend(counters(kv, &keys::hour(&today), keys::HOUR)?);
    let first = (now_ms / time::MS_PER_HOUR).saturating_sub(23);
    let hours = (first..first + 24)
        .map(|h| {
            let key = time::hour_key(h * time::MS_PER_HOUR);
            by_hour.get(&key).copied().unwrap_or(0)
        })
        .collect();

    Ok(Snapshot {
        total: number(kv.get(keys::TOTAL)?.as_deref()),
        channels: counters(kv, keys::CHANNEL, keys::CHANNEL)?,
        hours,
        first_hour: time::hour_of_day(first * time::MS_PER_HOUR),
        daily_active: number(kv.get(&keys::day_active(&today))?.as_deref()),
        weekly_active: number(kv.get(&keys::week_active(&week))?.as_deref()),
        week_start: week,
        rules: counters(kv, keys::RULE, keys::RULE)?,
        actions: counters(kv, keys::ACTION, keys::ACTION)?,
    })
}

/// `(key without `strip`, count)` for every counter whose key starts with `prefix`.
fn counters(kv: &mut impl Kv, prefix: &str, strip: &str) -> Result<Vec<(String, u64)>, KvError> {
    Ok(kv
        .list_prefix(prefix, LIST_LIMIT)?
        .into_iter()
        .map(|(k, v)| {
            let name = k.strip_prefix(strip).unwrap_or(&k).to_string();
            (name, number(Some(&v)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::{self, Seen};
    use crate::store::mem::MemKv;
    use crate::violations;
    use astra_sdk::{Action, Warning};

    // 2024-05-01 13:07:59 UTC
    const T: u64 = 1_714_568_879_000;
    const H: u64 = time::MS_PER_HOUR;

    fn message(kv: &mut MemKv, channel: &str, user: &str, at_ms: u64) {
        let seen = Seen {
            channel,
            user,
            is_bot: false,
            at_ms,
        };
        count::record(kv, &seen).unwrap();
    }

    #[test]
    fn the_snapshot_covers_the_last_24_hours_across_midnight() {
        let mut kv = MemKv::default();
        message(&mut kv, "a", "u1", T - 23 * H); // yesterday 14:07, oldest slot
        message(&mut kv, "a", "u1", T - 24 * H); // 13:07 yesterday: too old
        message(&mut kv, "b", "u2", T - 13 * H - 8 * 60_000); // 23:59:59 yesterday
        message(&mut kv, "b", "u2", T); // now
        message(&mut kv, "b", "u3", T);
        let snap = gather(&mut kv, T).unwrap();
        assert_eq!(snap.total, 5);
        assert_eq!(snap.first_hour, 14);
        assert_eq!(snap.hours.len(), 24);
        assert_eq!(snap.hours[0], 1);
        assert_eq!(snap.hours[9], 1); // 23:00
        assert_eq!(snap.hours[23], 2);
        assert_eq!(snap.hours.iter().sum::<u64>(), 4);
        assert_eq!(snap.daily_active, 2);
        assert_eq!(snap.weekly_active, 3);
        let mut channels = snap.channels.clone();
        channels.sort();
        assert_eq!(channels, vec![("a".into(), 2), ("b".into(), 3)]);
    }

    #[test]
    fn the_report_shows_violations_and_costs_eight_calls() {
        let mut kv = MemKv::default();
        message(&mut kv, "a", "u1", T);
        let warn = Action::Warn(Warning {
            user_id: "u1".into(),
            reason: "profanity: x".into(),
        });
        violations::record(&mut kv, &warn).unwrap();
        let before = kv.calls;
        let text = run(&mut kv, T).unwrap();
        assert_eq!(kv.calls - before, 8);
        assert!(text.contains("Violations by rule: profanity 1"), "{text}");
        assert!(text.contains("Moderation actions: warn 1"));
        assert!(text.contains("Top channels: <#a> 1"));
    }
}
