//! CPU priority for the dispatcher's work: a background lane for everything that is
//! not CRITICAL.
//!
//! Permits and queues decide *which* job runs, but once jobs run they share the CPU:
//! a burst of AI replies finishing at once (each cleaning and filtering its reply)
//! kept both cores busy for a quarter of a second, and a security warning waited in
//! tokio's run queue behind them (CRITICAL p99 242 ms in `astra bench
//! priority-inversion`). So the kernel's scheduler orders them:
//! - ingest and triage of every message, the scheduler and CRITICAL jobs run on the
//!   runtime that drives the dispatcher (the process's main runtime), at normal
//!   priority — a CRITICAL job, when it can, in the very task that triaged it
//!   (`Dispatcher::run_now`);
//! - HIGH, NORMAL and LOW jobs run on the **background lane**: a runtime of its own
//!   whose threads (`astra-work`) are niced to [`BACKGROUND_NICE`].
//!
//! Under contention Linux gives a nice-0 thread about ten times the CPU of a nice-10
//! one and lets it preempt on wake-up, so CRITICAL work runs almost as if the machine
//! were idle, while the background lane keeps a tenth of the CPU at worst and is never
//! starved. Raising a thread's nice value needs no privileges. Where it cannot be set
//! (not Linux), the lane still gives background work a run queue of its own.

use anyhow::{Context, Result};
use std::future::Future;
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

/// The background lane's nice value (0 = normal, 19 = lowest).
pub const BACKGROUND_NICE: i32 = 10;

/// The background runtime. Dropping it stops it without waiting for its tasks.
pub struct BackgroundLane {
    background: Option<Runtime>,
}

impl BackgroundLane {
    /// Start the background lane, one worker thread per core.
    pub fn new() -> Result<Self> {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let background = Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("astra-work")
            .on_thread_start(|| lower_this_thread(BACKGROUND_NICE))
            .enable_all()
            .build()
            .context("could not start the dispatcher's background lane")?;
        Ok(BackgroundLane {
            background: Some(background),
        })
    }

    /// Run `work` on the background lane.
    pub fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.background
            .as_ref()
            .expect("the lane runs until dropped")
            .spawn(work)
    }
}

impl Drop for BackgroundLane {
    fn drop(&mut self) {
        // The last handle may be dropped on the lane's own threads or inside another
        // runtime, where a blocking shutdown is not allowed.
        if let Some(runtime) = self.background.take() {
            runtime.shutdown_background();
        }
    }
}

/// Raise the calling thread's nice value (lower its CPU priority).
fn lower_this_thread(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain syscalls on the calling thread; failure only leaves the
        // priority as it was.
        let result = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice)
        };
        if result != 0 {
            tracing::debug!(
                "could not lower the background lane's priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}
