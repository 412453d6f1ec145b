//! The scheduler: two loops take jobs off the queues. The general loop holds one of
//! the general permits and takes the most urgent job of any priority; the reserved
//! loop holds one of the CRITICAL-only permits and takes only CRITICAL jobs. So a
//! burst of slow AI work can fill the general permits but never delay a security
//! warning. CRITICAL jobs run on the runtime that drives the scheduler, the rest on
//! the dispatcher's niced background lane (`lanes.rs`). While the scheduler runs, a
//! CRITICAL message with a free permit and none queued ahead of it skips the loops and
//! runs in the task that triaged it (`run_now`). `run` returns when shutdown is
//! signalled and every running job is done.

use super::job::Job;
use super::Dispatcher;
use crate::event::{OutcomeKind, Priority};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

/// A scheduler started by [`Dispatcher::start`].
pub struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Shut down: wait until every running job is done and whatever is still queued is
    /// settled (as shed, "the host shut down before it ran").
    pub async fn stop(self) -> Result<(), tokio::task::JoinError> {
        let _ = self.stop.send(());
        self.task.await
    }
}

impl Dispatcher {
    /// Start the scheduler on the current runtime; [`Running::stop`] shuts it down.
    pub fn start(&self) -> Running {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let me = self.clone();
        let task = tokio::spawn(async move {
            me.run(async {
                let _ = stopped.await;
            })
            .await
        });
        Running { stop, task }
    }

    /// Run the scheduler until `shutdown` completes; then wait for running jobs and
    /// settle whatever is still queued as shed ("shutting down").
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let general = self.clone().general_loop();
        let reserved = self.clone().reserved_loop();
        self.inner.scheduling.store(true, Ordering::Release);
        tokio::select! {
            _ = shutdown => {}
            _ = general => {}
            _ = reserved => {}
        }
        self.inner.scheduling.store(false, Ordering::Release);
        // Wait for running jobs: take every permit back.
        let inner = &self.inner;
        let general_total = inner.config.max_concurrent.max(1)
            - inner
                .config
                .reserved_critical
                .min(inner.config.max_concurrent.saturating_sub(1));
        let reserved_total = inner.config.max_concurrent.max(1) - general_total;
        let _g = inner.general.acquire_many(general_total as u32).await;
        let _r = inner.critical.acquire_many(reserved_total as u32).await;
        let _s = inner.settling.acquire_many(super::SETTLING_MAX).await;
        for job in inner.queues.drain() {
            self.settle(
                &job,
                OutcomeKind::Shed,
                Some("the host shut down before it ran".into()),
                Default::default(),
            );
        }
    }

    /// Start `job`, holding `permit` until its cogs are done; its outcome is settled
    /// after that, once their writes are stored (`run_job`), under a `settling`
    /// permit that shutdown waits for. CRITICAL jobs run here (the runtime that drives
    /// the scheduler, at normal CPU priority), the rest on the niced background lane.
    /// (A lane of its own for CRITICAL measured worse: waking another thread costs
    /// more than it saves.)
    async fn start_job(&self, job: Job, permit: OwnedSemaphorePermit) {
        let priority = job.priority;
        let Some(work) = self.job_work(job, permit).await else {
            return;
        };
        if priority == Priority::Critical {
            tokio::spawn(work);
        } else {
            self.inner.background.spawn(work);
        }
    }

    /// `job` to run under `permit`, traced as a `job` span, holding a `settling`
    /// permit until its outcome is settled (`None` only if the settling permits were
    /// closed, which never happens).
    async fn job_work(
        &self,
        job: Job,
        permit: OwnedSemaphorePermit,
    ) -> Option<impl Future<Output = ()> + Send + 'static> {
        let settling = self.inner.settling.clone().acquire_owned().await.ok()?;
        let span =
            tracing::debug_span!("job", id = %job.message.id, priority = job.priority.name());
        let me = self.clone();
        Some(
            async move {
                me.run_job(job, permit).await;
                drop(settling);
            }
            .instrument(span),
        )
    }

    /// A permit for a CRITICAL job to run at once in the task that triaged it
    /// (`run_now`): only while the scheduler runs, when no CRITICAL job is queued (it
    /// would overtake them) and a reserved or else a general permit is free.
    pub(super) fn permit_to_run_now(&self) -> Option<OwnedSemaphorePermit> {
        let inner = &self.inner;
        if !inner.scheduling.load(Ordering::Acquire) || inner.queues.has_critical() {
            return None;
        }
        inner
            .critical
            .clone()
            .try_acquire_owned()
            .or_else(|_| inner.general.clone().try_acquire_owned())
            .ok()
    }

    /// Run a CRITICAL `job` here and now, in the caller's task, under `permit` (from
    /// [`Dispatcher::permit_to_run_now`]).
    ///
    /// Spawned, its task would wait in the runtime's run queue behind every task that
    /// is triaging a message — tokio runs ready tasks in turn, without priorities —
    /// and a job started while another waits to run sends that one to the back: with
    /// a hundred members posting at once (`astra bench stress`), a warning waited 2–7
    /// ms there while its own handling took 15–60 µs. The task that triaged it is
    /// running now.
    pub(super) async fn run_now(&self, job: Job, permit: OwnedSemaphorePermit) {
        if let Some(work) = self.job_work(job, permit).await {
            work.await;
        }
    }

    async fn general_loop(self) {
        let permits: Arc<Semaphore> = self.inner.general.clone();
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let job = self.inner.queues.pop_any().await;
            self.start_job(job, permit).await;
        }
    }

    async fn reserved_loop(self) {
        let permits: Arc<Semaphore> = self.inner.critical.clone();
        if permits.available_permits() == 0 {
            return std::future::pending().await;
        }
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let job = self.inner.queues.pop_critical().await;
            self.start_job(job, permit).await;
        }
    }
}
