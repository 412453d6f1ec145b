//! Automatic rollback: a newly swapped version is on probation for its first
//! `window` calls. If its crashes (traps, CPU deadlines, memory cap) reach
//! `max_crash_rate` of those calls, the previous version is put back and the event
//! says why; once it has passed `window` calls it is simply active.

use super::{lock, CogManager};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct ProbationPolicy {
    /// calls watched after a swap
    pub window: u64,
    /// crashes / calls at or above which the swap is undone
    pub max_crash_rate: f64,
    /// least calls before judging (so one early crash does not decide)
    pub min_calls: u64,
}

impl Default for ProbationPolicy {
    fn default() -> Self {
        ProbationPolicy {
            window: 50,
            max_crash_rate: 0.2,
            min_calls: 5,
        }
    }
}

impl CogManager {
    /// Judge every cog on probation once.
    pub fn check_probation(&self) {
        let policy = self.inner.probation;
        let watched: Vec<(String, std::sync::Arc<crate::runtime::LoadedCog>)> =
            lock(&self.inner.on_probation)
                .iter()
                .map(|(n, c)| (n.clone(), c.clone()))
                .collect();
        for (name, cog) in watched {
            let calls = cog.stats.calls.load(Ordering::Relaxed);
            let crashes = cog.stats.crashes.load(Ordering::Relaxed);
            if calls >= policy.min_calls && crashes as f64 >= policy.max_crash_rate * calls as f64 {
                let why = format!(
                    "{crashes} of its first {calls} calls crashed (limit {:.0}%)",
                    policy.max_crash_rate * 100.0
                );
                match self.rollback(&name, &why) {
                    Ok(_) => tracing::warn!(cog = %name, "automatic rollback: {why}"),
                    Err(e) => {
                        tracing::error!(cog = %name, "wanted to roll back ({why}) but {e}");
                        lock(&self.inner.on_probation).remove(&name);
                    }
                }
            } else if calls >= policy.window {
                lock(&self.inner.on_probation).remove(&name);
                self.event(
                    &name,
                    format!("passed probation ({crashes} crashes in {calls} calls)"),
                );
            }
        }
    }

    /// Run the watchdog until `shutdown` completes.
    pub async fn run_probation(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(Duration::from_millis(20)) => self.check_probation(),
            }
        }
    }
}
