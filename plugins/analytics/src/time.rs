//! UTC time buckets as sortable text: day `yyyymmdd`, hour `yyyymmddhh` and week (the
//! date of its Monday, `yyyymmdd`). Used for kv keys by `count.rs` and to find the
//! last 24 hours, today and this week in `stats.rs`. No date crate needed.

pub const MS_PER_HOUR: u64 = 3_600_000;
pub const MS_PER_DAY: u64 = 24 * MS_PER_HOUR;

/// `(year, month, day)` for days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days(ms: u64) -> i64 {
    (ms / MS_PER_DAY) as i64
}

fn date_key(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// `yyyymmdd` of the UTC day of `ms`.
pub fn day_key(ms: u64) -> String {
    date_key(days(ms))
}

/// `yyyymmddhh` of the UTC hour of `ms`.
pub fn hour_key(ms: u64) -> String {
    format!("{}{:02}", day_key(ms), hour_of_day(ms))
}

/// The UTC hour (0..24) of `ms`.
pub fn hour_of_day(ms: u64) -> u64 {
    (ms % MS_PER_DAY) / MS_PER_HOUR
}

/// `yyyymmdd` of the Monday that starts the (UTC, Monday-first) week of `ms`.
pub fn week_key(ms: u64) -> String {
    let d = days(ms);
    // 1970-01-01 was a Thursday: (d + 3) % 7 is 0 on Mondays
    date_key(d - (d + 3).rem_euclid(7))
}

/// `2024-04-29` from a `yyyymmdd` key, for people.
pub fn pretty_date(key: &str) -> String {
    match (key.get(0..4), key.get(4..6), key.get(6..8)) {
        (Some(y), Some(m), Some(d)) => format!("{y}-{m}-{d}"),
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-05-01 13:07:59 UTC, a Wednesday
    const T: u64 = 1_714_568_879_000;

    #[test]
    fn keys_are_utc_and_sortable() {
        assert_eq!(day_key(T), "20240501");
        assert_eq!(hour_key(T), "2024050113");
        assert_eq!(hour_of_day(T), 13);
        assert_eq!(day_key(0), "19700101");
        assert!(hour_key(T) < hour_key(T + MS_PER_HOUR));
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_key(T), "20240429");
        assert_eq!(week_key(T + 4 * MS_PER_DAY), "20240429"); // Sunday 5 May
        assert_eq!(week_key(T + 5 * MS_PER_DAY), "20240506"); // Monday 6 May
        assert_eq!(week_key(0), "19691229");
    }

    #[test]
    fn dates_read_with_dashes() {
        assert_eq!(pretty_date("20240429"), "2024-04-29");
    }
}
