//! Messages settled per second, "now" (the last whole second) and at peak, kept with
//! four atomics so the hot path (one call per settled message) takes no lock.
//!
//! The second a count belongs to is decided by whoever first sees the clock move on;
//! a message settling exactly at the boundary may be counted in either second, which
//! is fine for a monitoring figure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct Throughput {
    /// the second (since start) being counted
    second: AtomicU64,
    /// messages settled in it so far
    count: AtomicU64,
    /// messages settled in the second before it (0 if that second was skipped)
    previous: AtomicU64,
    /// most in any whole second
    peak: AtomicU64,
}

impl Throughput {
    /// Count one message settled at `since_start`.
    pub fn tick(&self, since_start: Duration) {
        self.roll(since_start.as_secs());
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// (last whole second, peak) as seen at `since_start`.
    pub fn read(&self, since_start: Duration) -> (u64, u64) {
        self.roll(since_start.as_secs());
        (
            self.previous.load(Ordering::Relaxed),
            self.peak.load(Ordering::Relaxed),
        )
    }

    /// Move to second `now` if the clock has moved on.
    fn roll(&self, now: u64) {
        let current = self.second.load(Ordering::Relaxed);
        if now <= current {
            return;
        }
        if self
            .second
            .compare_exchange(current, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let done = self.count.swap(0, Ordering::Relaxed);
            self.peak.fetch_max(done, Ordering::Relaxed);
            let previous = if now == current + 1 { done } else { 0 };
            self.previous.store(previous, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_last_whole_second_and_keeps_the_peak() {
        let t = Throughput::default();
        for _ in 0..5 {
            t.tick(Duration::from_millis(100));
        }
        for _ in 0..3 {
            t.tick(Duration::from_millis(1500));
        }
        assert_eq!(t.read(Duration::from_millis(2100)), (3, 5));
        // A quiet stretch: "now" drops to zero, the peak stays.
        assert_eq!(t.read(Duration::from_secs(10)), (0, 5));
    }
}
