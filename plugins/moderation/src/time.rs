//! Calendar text for timestamps (`2024-05-01 13:07 UTC`) and durations (`10 min`, `2 d`),
//! without a date crate: the cog only ever shows UTC, so days-to-civil is enough.
//! Used by the `/warnings` listing and the mod-log lines.

const MS_PER_MINUTE: u64 = 60_000;
const MS_PER_HOUR: u64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: u64 = 24 * MS_PER_HOUR;

/// `(year, month, day)` of the proleptic Gregorian calendar for days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
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

/// `2024-05-01 13:07 UTC` for milliseconds since the epoch.
pub fn format_utc(ms: u64) -> String {
    let (y, m, d) = civil_from_days((ms / MS_PER_DAY) as i64);
    let minute_of_day = (ms % MS_PER_DAY) / MS_PER_MINUTE;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// A short duration for people: `45 s`, `10 min`, `3 h`, `2 d 4 h`.
pub fn format_duration(ms: u64) -> String {
    if ms < MS_PER_MINUTE {
        format!("{} s", ms / 1000)
    } else if ms < MS_PER_HOUR {
        format!("{} min", ms / MS_PER_MINUTE)
    } else if ms < MS_PER_DAY {
        let (h, min) = (ms / MS_PER_HOUR, (ms % MS_PER_HOUR) / MS_PER_MINUTE);
        if min == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {min} min")
        }
    } else {
        let (d, h) = (ms / MS_PER_DAY, (ms % MS_PER_DAY) / MS_PER_HOUR);
        if h == 0 {
            format!("{d} d")
        } else {
            format!("{d} d {h} h")
        }
    }
}

/// Milliseconds in `hours` hours (saturating).
pub fn hours_ms(hours: u64) -> u64 {
    hours.saturating_mul(MS_PER_HOUR)
}

/// Milliseconds in `minutes` minutes (saturating).
pub fn minutes_ms(minutes: u64) -> u64 {
    minutes.saturating_mul(MS_PER_MINUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_leap_days_are_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn utc_text_has_minutes() {
        // 2024-05-01 13:07:59 UTC
        assert_eq!(format_utc(1_714_568_879_000), "2024-05-01 13:07 UTC");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(30_000), "30 s");
        assert_eq!(format_duration(minutes_ms(10)), "10 min");
        assert_eq!(format_duration(hours_ms(3)), "3 h");
        assert_eq!(format_duration(hours_ms(3) + minutes_ms(5)), "3 h 5 min");
        assert_eq!(format_duration(hours_ms(52)), "2 d 4 h");
        assert_eq!(format_duration(hours_ms(720)), "30 d");
    }
}
