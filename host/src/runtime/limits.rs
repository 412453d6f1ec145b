//! The sandbox's limits for one store: a memory cap that remembers when it refused a
//! grow, and a CPU deadline that counts only time spent running the cog's code (time a
//! cog waits on an async import such as `llm` is not charged to it).
//!
//! The epoch ticker in `engine.rs` advances every millisecond; when a store's deadline
//! comes due, `CpuBudget::check` decides whether the call has used up its CPU budget.
//! A call starts with its deadline [`FIRST_CHECK_TICKS`] away and without reading the
//! CPU clock: most calls take microseconds and end before any check, and reading a
//! thread's CPU clock is a system call (it was ~2 % of a flood's CPU when every call
//! read it on entry).

use std::time::{Duration, Instant};
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// How long one epoch tick lasts.
pub const TICK: Duration = Duration::from_millis(1);

/// Memory cap of one cog instance; records when a grow was refused so the error can
/// say "memory limit" instead of a generic trap.
pub struct MemoryCap {
    inner: StoreLimits,
    pub refused: bool,
    pub cap_bytes: usize,
}

impl MemoryCap {
    pub fn new(cap_bytes: usize) -> Self {
        MemoryCap {
            inner: StoreLimitsBuilder::new()
                .memory_size(cap_bytes)
                .trap_on_grow_failure(true)
                .build(),
            refused: false,
            cap_bytes,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.cap_bytes;
        if !allowed {
            self.refused = true;
        }
        self.inner.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }
}

/// CPU budget of the call in progress.
///
/// It charges the *CPU time of the thread running the cog* between deadline checks,
/// not wall-clock time: under load a call may sit in the runtime's queue, and that
/// waiting must not count against the cog (it would make a busy host stop healthy
/// cogs and trip the circuit breaker on them). Time inside async imports is never
/// charged: after such a wait, or after the call yielded to the runtime, the next
/// check only takes a fresh baseline (the thread may be another one, or may have run
/// other tasks meanwhile).
#[derive(Debug, Clone)]
pub struct CpuBudget {
    pub started: Instant,
    pub budget: Duration,
    /// time spent waiting inside async imports during this call
    pub waited: Duration,
    pub exceeded: bool,
    /// CPU time charged so far
    used: Duration,
    /// (thread, its CPU clock) at the last check; `None` = take a baseline next
    sample: Option<(std::thread::ThreadId, Duration)>,
    waited_seen: Duration,
    checks_since_yield: u32,
}

/// What the epoch callback should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// keep running; check again in this many ticks
    Continue(u64),
    /// yield to the async runtime, then check again in this many ticks
    Yield(u64),
    /// the budget is spent: stop the call
    Stop,
}

/// Ticks from the start of a call to its first check, which takes the CPU clock's
/// baseline. That first tick is not charged — as the tick after each yield is not —
/// so a call that loops is stopped at most about a tick later than its budget says.
pub const FIRST_CHECK_TICKS: u64 = 1;

/// Checks between two yields to the async runtime (one check every ≤ 10 ms).
const CHECKS_PER_YIELD: u32 = 4;

impl CpuBudget {
    pub fn new(budget: Duration) -> Self {
        CpuBudget {
            started: Instant::now(),
            budget,
            waited: Duration::ZERO,
            exceeded: false,
            used: Duration::ZERO,
            // baseline at the first check (see FIRST_CHECK_TICKS)
            sample: None,
            waited_seen: Duration::ZERO,
            checks_since_yield: 0,
        }
    }

    /// CPU time charged so far.
    pub fn used(&self) -> Duration {
        self.used
    }

    /// Ticks until the budget would run out if the cog used every one of them.
    pub fn ticks_left(&self) -> u64 {
        let left = self.budget.saturating_sub(self.used);
        (left.as_millis() as u64).max(1)
    }

    /// Called when the epoch deadline comes due, on the thread running the cog.
    pub fn check(&mut self, max_ticks: u64) -> Next {
        let now = thread_cpu_time();
        let thread = std::thread::current().id();
        if self.waited != self.waited_seen {
            // An async import ran since the last check: re-baseline.
            self.waited_seen = self.waited;
            self.sample = None;
        }
        if let Some((last_thread, last)) = self.sample {
            if last_thread == thread {
                self.used += now.saturating_sub(last);
            }
        }
        self.sample = Some((thread, now));
        if self.used >= self.budget {
            self.exceeded = true;
            return Next::Stop;
        }
        self.checks_since_yield += 1;
        if self.checks_since_yield >= CHECKS_PER_YIELD {
            self.checks_since_yield = 0;
            // After the yield we may resume on another thread, or this one may have
            // run other tasks: baseline again one tick after resuming.
            self.sample = None;
            return Next::Yield(1);
        }
        Next::Continue(self.ticks_left().min(max_ticks))
    }
}

/// CPU time consumed by the calling thread (wall-clock time where the platform has no
/// per-thread CPU clock).
pub fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_is_not_charged_only_running_is() {
        let mut b = CpuBudget::new(Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(80)); // asleep: no CPU used
        assert!(matches!(b.check(10), Next::Continue(_)));
        assert_eq!(
            b.used(),
            Duration::ZERO,
            "the first check only takes a baseline"
        );
        std::thread::sleep(Duration::from_millis(80));
        assert!(matches!(b.check(10), Next::Continue(_)));
        assert!(b.used() < Duration::from_millis(50));
        // Run (not wait) for 60 ms of this thread's CPU time.
        let spin_until = thread_cpu_time() + Duration::from_millis(60);
        while thread_cpu_time() < spin_until {
            std::hint::black_box(0u64);
        }
        // The third check (the fourth would yield and re-baseline).
        assert_eq!(b.check(10), Next::Stop);
        assert!(b.exceeded);
    }
}
