//! The sandbox's limits for one store: a memory cap that remembers when it refused a
//! grow, and a CPU deadline that counts only time spent running the cog's code (time a
//! cog waits on an async import such as `llm` is not charged to it).
//!
//! The epoch ticker in `engine.rs` advances every millisecond; when a store's deadline
//! comes due, `check_deadline` decides whether the call has used up its CPU budget.

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
#[derive(Debug, Clone)]
pub struct CpuBudget {
    pub started: Instant,
    pub budget: Duration,
    /// time spent waiting inside async imports during this call
    pub waited: Duration,
    pub exceeded: bool,
}

impl CpuBudget {
    pub fn new(budget: Duration) -> Self {
        CpuBudget {
            started: Instant::now(),
            budget,
            waited: Duration::ZERO,
            exceeded: false,
        }
    }

    /// Ticks until the budget would run out if the cog used every one of them.
    pub fn ticks_left(&self) -> u64 {
        let used = self.started.elapsed().saturating_sub(self.waited);
        let left = self.budget.saturating_sub(used);
        (left.as_millis() as u64).max(1)
    }

    /// Called when the epoch deadline comes due: `Some(ticks)` to keep going,
    /// `None` when the budget is spent.
    pub fn check_deadline(&mut self) -> Option<u64> {
        let used = self.started.elapsed().saturating_sub(self.waited);
        if used >= self.budget {
            self.exceeded = true;
            None
        } else {
            Some(self.ticks_left())
        }
    }
}
