//! The `/stats` text, from numbers already read (`stats.rs` reads them): total
//! messages, top channels, the last 24 hours by hour, daily and weekly active users,
//! and violations. Pure, so it is tested natively; stays well under 2000 characters.

use crate::time;

/// How many channels the report names.
pub const TOP_CHANNELS: usize = 5;
/// How many rules the report names.
const TOP_RULES: usize = 8;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Everything the report shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub total: u64,
    /// (channel id, messages), any order
    pub channels: Vec<(String, u64)>,
    /// messages per hour for the last 24 hours, oldest first, the current hour last
    pub hours: Vec<u64>,
    /// the UTC hour of day of `hours[0]`
    pub first_hour: u64,
    pub daily_active: u64,
    pub weekly_active: u64,
    /// `yyyymmdd` of this week's Monday
    pub week_start: String,
    /// (rule, warnings), any order
    pub rules: Vec<(String, u64)>,
    /// (warn/timeout/kick/ban, count), any order
    pub actions: Vec<(String, u64)>,
}

pub fn render(s: &Snapshot) -> String {
    let last_day: u64 = s.hours.iter().sum();
    let mut out = String::from("**Server stats**\n");
    out.push_str(&format!(
        "Messages: {} total · {} in the last 24 h\n",
        grouped(s.total),
        grouped(last_day)
    ));

    let channels = top(&s.channels, TOP_CHANNELS);
    if channels.is_empty() {
        out.push_str("Top channels: none yet\n");
    } else {
        let list: Vec<String> = channels
            .iter()
            .map(|(id, n)| format!("<#{id}> {}", grouped(*n)))
            .collect();
        out.push_str(&format!("Top channels: {}\n", list.join(" · ")));
    }

    out.push_str(&hourly(&s.hours, s.first_hour));

    out.push_str(&format!(
        "Active users: {} today · {} this week (since Monday {})\n",
        grouped(s.daily_active),
        grouped(s.weekly_active),
        time::pretty_date(&s.week_start)
    ));

    let rules = top(&s.rules, TOP_RULES);
    if rules.is_empty() {
        out.push_str("Violations by rule: none recorded\n");
    } else {
        let list: Vec<String> = rules
            .iter()
            .map(|(rule, n)| format!("{rule} {}", grouped(*n)))
            .collect();
        out.push_str(&format!("Violations by rule: {}\n", list.join(" · ")));
    }
    let actions: Vec<String> = ["warn", "timeout", "kick", "ban"]
        .iter()
        .map(|kind| {
            let n = s
                .actions
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            format!("{kind} {}", grouped(n))
        })
        .collect();
    out.push_str(&format!("Moderation actions: {}", actions.join(" · ")));
    out
}

/// The `n` largest entries, largest first (ties by name).
fn top(entries: &[(String, u64)], n: usize) -> Vec<(String, u64)> {
    let mut sorted: Vec<(String, u64)> = entries.iter().filter(|(_, c)| *c > 0).cloned().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted.truncate(n);
    sorted
}

/// A sparkline plus the counts, six hours per row, in a code block.
fn hourly(hours: &[u64], first_hour: u64) -> String {
    let peak = hours.iter().copied().max().unwrap_or(0);
    if peak == 0 {
        return "Last 24 h by hour (UTC): no messages\n".to_string();
    }
    let spark: String = hours
        .iter()
        .map(|&n| {
            if n == 0 {
                '·'
            } else {
                BARS[((n * (BARS.len() as u64 - 1)).div_ceil(peak)) as usize]
            }
        })
        .collect();
    let peak_at = hours.iter().position(|&n| n == peak).unwrap_or(0) as u64;
    let mut out = format!(
        "Last 24 h by hour (UTC): {spark} peak {} at {:02}:00\n```\n",
        grouped(peak),
        (first_hour + peak_at) % 24
    );
    let width = peak.to_string().len();
    for (row, chunk) in hours.chunks(6).enumerate() {
        let start = (first_hour + row as u64 * 6) % 24;
        let cells: Vec<String> = chunk.iter().map(|n| format!("{n:>width$}")).collect();
        out.push_str(&format!("{start:02}h {}\n", cells.join(" ")));
    }
    out.push_str("```\n");
    out
}

/// `12,345`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, u64)]) -> Vec<(String, u64)> {
        items.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    fn sample() -> Snapshot {
        let mut hours = vec![0; 24];
        hours[6] = 45;
        hours[23] = 5;
        Snapshot {
            total: 12_345,
            channels: pairs(&[
                ("1", 10),
                ("2", 5_000),
                ("3", 7),
                ("4", 1),
                ("5", 3),
                ("6", 2),
            ]),
            hours,
            first_hour: 14,
            daily_active: 40,
            weekly_active: 1_200,
            week_start: "20240429".into(),
            rules: pairs(&[("spam", 3), ("profanity", 12)]),
            actions: pairs(&[("warn", 15), ("ban", 1)]),
        }
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn the_report_has_every_section() {
        let text = render(&sample());
        assert!(
            text.contains("Messages: 12,345 total · 50 in the last 24 h"),
            "{text}"
        );
        assert!(text.contains("Top channels: <#2> 5,000 · <#1> 10 · <#3> 7 · <#5> 3 · <#6> 2\n"));
        assert!(text.contains("peak 45 at 20:00"));
        assert!(text.contains("\n14h  0  0  0  0  0  0\n20h 45  0"));
        assert!(text.contains("\n08h  0  0  0  0  0  5\n```"));
        assert!(text.contains("Active users: 40 today · 1,200 this week (since Monday 2024-04-29)"));
        assert!(text.contains("Violations by rule: profanity 12 · spam 3"));
        assert!(text.ends_with("Moderation actions: warn 15 · timeout 0 · kick 0 · ban 1"));
        assert!(text.chars().count() < 2_000);
    }

    #[test]
    fn the_sparkline_marks_quiet_hours_and_the_peak() {
        let text = render(&sample());
        let spark: String = text
            .lines()
            .find(|l| l.starts_with("Last 24 h"))
            .unwrap()
            .chars()
            .filter(|c| *c == '·' || BARS.contains(c))
            .collect();
        assert_eq!(spark.chars().count(), 24);
        assert_eq!(spark.chars().nth(6), Some('█'));
        assert_eq!(spark.chars().nth(23), Some('▂'));
        assert_eq!(spark.chars().next(), Some('·'));
    }

    #[test]
    fn an_empty_guild_reads_sensibly() {
        let text = render(&Snapshot {
            hours: vec![0; 24],
            week_start: "20240429".into(),
            ..Snapshot::default()
        });
        assert!(text.contains("Top channels: none yet"));
        assert!(text.contains("Last 24 h by hour (UTC): no messages"));
        assert!(text.contains("Violations by rule: none recorded"));
    }
}
