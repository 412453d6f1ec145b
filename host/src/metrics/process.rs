//! The process's own footprint for `/performance` and `astra bench`: resident memory
//! (now and peak, from `/proc/self/status`) and CPU time (user + system, from
//! `/proc/self/stat`). Linux only; elsewhere the figures are absent, never invented.

use serde::Serialize;
use std::time::Duration;

/// Kernel clock ticks per second for `/proc/<pid>/stat` times (`USER_HZ`, which Linux
/// fixes at 100 for user space on every architecture we build for).
const TICKS_PER_SECOND: u64 = 100;

/// Memory and CPU at one instant.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcessSample {
    /// resident set size now, bytes
    pub rss_bytes: Option<u64>,
    /// highest resident set size so far, bytes
    pub rss_peak_bytes: Option<u64>,
    /// CPU time used since the process started (user + system)
    pub cpu: Option<Duration>,
    /// average CPU use since start, percent of one core
    pub cpu_pct_since_start: Option<f64>,
    /// CPU use since the previous sample, percent of one core (filled by `Metrics`)
    pub cpu_pct_recent: Option<f64>,
}

impl ProcessSample {
    /// Read `/proc`. `uptime` is how long the host has run, used for the average
    /// only when the process's own age cannot be read.
    pub fn read(uptime: Duration) -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let cpu = cpu_time();
        let uptime = process_age().unwrap_or(uptime);
        ProcessSample {
            rss_bytes: status_kib(&status, "VmRSS:").map(|k| k * 1024),
            rss_peak_bytes: status_kib(&status, "VmHWM:").map(|k| k * 1024),
            cpu,
            cpu_pct_since_start: cpu
                .filter(|_| !uptime.is_zero())
                .map(|c| 100.0 * c.as_secs_f64() / uptime.as_secs_f64()),
            cpu_pct_recent: None,
        }
    }
}

/// CPU time (user + system) the process has used, if `/proc/self/stat` is readable.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat_ticks(&stat).map(|ticks| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// How long ago the process started: the system's uptime minus the process's start
/// time (field 22 of `/proc/self/stat`, in ticks since boot).
fn process_age() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let start_ticks: u64 = rest.split_whitespace().nth(22 - 3)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let age = uptime - start_ticks as f64 / TICKS_PER_SECOND as f64;
    (age > 0.0).then(|| Duration::from_secs_f64(age))
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field N is at index N - 3.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// The kB value of line `key` in `/proc/self/status`.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_ticks_after_a_command_name_with_spaces() {
        let stat = "42 (astra (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0";
        assert_eq!(parse_stat_ticks(stat), Some(300));
    }

    #[test]
    fn reads_kib_lines_from_status() {
        let status = "Name:\tastra\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(1024));
        assert_eq!(status_kib(status, "VmHWM:"), Some(2048));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }
}
