//! Four bounded priority queues sharing one capacity.
//!
//! When full: the newest sheddable job of the lowest priority below the newcomer's is
//! shed to make room. Only a NORMAL or LOW *message* is sheddable ([`Job::sheddable`]):
//! not a HIGH one, and not a continuation queued at HIGH or NORMAL that is the rest of
//! a CRITICAL message (`task.rs`). If nothing sheddable is lower, a NORMAL or LOW
//! newcomer is shed itself; a CRITICAL or HIGH newcomer is never shed — `push` waits
//! for room instead, which back-pressures the gateway. So overload sheds only LOW and
//! NORMAL work: what a member asked for (HIGH) and what protects them (CRITICAL) wait,
//! never vanish.

use super::job::Job;
use crate::event::Priority;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

pub struct PriorityQueues {
    // One lock for all four queues so capacity and shedding are decided atomically;
    // held only for a push or pop, never across an `.await`.
    queues: Mutex<[VecDeque<Job>; 4]>,
    capacity: usize,
    /// signalled on every push (the general scheduler waits on it)
    any_item: Notify,
    /// signalled on every CRITICAL push (the reserved scheduler waits on it)
    critical_item: Notify,
    /// signalled on every pop (back-pressured CRITICAL and HIGH pushes wait on it)
    space: Notify,
}

/// What happened to a push.
pub enum Pushed {
    Queued,
    /// queued, and this other job was shed to make room
    Displaced(Job),
    /// the newcomer itself was shed (nothing lower to displace)
    Rejected(Job),
}

impl PriorityQueues {
    pub fn new(capacity: usize) -> Self {
        PriorityQueues {
            queues: Mutex::new(Default::default()),
            capacity: capacity.max(1),
            any_item: Notify::new(),
            critical_item: Notify::new(),
            space: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [VecDeque<Job>; 4]> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Push without waiting. `Err(job)` only for a CRITICAL or HIGH job when the
    /// queues are full of work at least as urgent.
    pub fn try_push(&self, job: Job) -> Result<Pushed, Job> {
        let priority = job.priority;
        let result = {
            let mut q = self.lock();
            let len: usize = q.iter().map(VecDeque::len).sum();
            if len < self.capacity {
                q[priority.index()].push_back(job);
                Pushed::Queued
            } else if let Some((lowest, at)) = (priority.index() + 1..4)
                .rev()
                .find_map(|i| q[i].iter().rposition(Job::sheddable).map(|at| (i, at)))
            {
                let shed = q[lowest].remove(at).expect("found");
                q[priority.index()].push_back(job);
                Pushed::Displaced(shed)
            } else if priority <= Priority::High {
                return Err(job);
            } else {
                Pushed::Rejected(job)
            }
        };
        if !matches!(result, Pushed::Rejected(_)) {
            self.any_item.notify_waiters();
            if priority == Priority::Critical {
                self.critical_item.notify_waiters();
            }
        }
        Ok(result)
    }

    /// Push, waiting for room only when a CRITICAL or HIGH job meets queues full of
    /// work at least as urgent.
    pub async fn push(&self, mut job: Job) -> Pushed {
        loop {
            let space = self.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            match self.try_push(job) {
                Ok(pushed) => return pushed,
                Err(back) => job = back,
            }
            space.await;
        }
    }

    fn try_pop(&self, critical_only: bool) -> Option<Job> {
        let job = {
            let mut q = self.lock();
            if critical_only {
                q[0].pop_front()
            } else {
                q.iter_mut().find_map(VecDeque::pop_front)
            }
        };
        if job.is_some() {
            self.space.notify_waiters();
        }
        job
    }

    /// The oldest job of the highest priority present; waits for one.
    pub async fn pop_any(&self) -> Job {
        loop {
            let notified = self.any_item.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(job) = self.try_pop(false) {
                return job;
            }
            notified.await;
        }
    }

    /// The oldest CRITICAL job; waits for one.
    pub async fn pop_critical(&self) -> Job {
        loop {
            let notified = self.critical_item.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(job) = self.try_pop(true) {
                return job;
            }
            notified.await;
        }
    }

    /// Is a CRITICAL job waiting?
    pub fn has_critical(&self) -> bool {
        !self.lock()[0].is_empty()
    }

    /// Jobs waiting, per priority (CRITICAL first).
    pub fn depths(&self) -> [usize; 4] {
        let q = self.lock();
        [q[0].len(), q[1].len(), q[2].len(), q[3].len()]
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Remove everything still queued (shutdown).
    pub fn drain(&self) -> Vec<Job> {
        let mut q = self.lock();
        q.iter_mut().flat_map(|d| d.drain(..)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::actions::Vetted;
    use crate::dispatch::job::Carried;
    use crate::event::Message;
    use crate::runtime::convert::message_to_wit;
    use std::sync::Arc;
    use std::time::Instant;

    fn job(id: &str, priority: Priority, continuation: bool) -> Job {
        let message = Message {
            id: id.into(),
            ..Default::default()
        };
        Job {
            wit_message: Arc::new(message_to_wit(&message)),
            message: Arc::new(message),
            priority,
            handlers: Vec::new(),
            errors: Vec::new(),
            received: Instant::now(),
            carried: continuation.then(|| {
                Box::new(Carried {
                    priority: Priority::Critical,
                    done: Vetted::default(),
                    early: None,
                    uncommitted: false,
                })
            }),
        }
    }

    fn id(pushed: &Pushed) -> (&'static str, &str) {
        match pushed {
            Pushed::Queued => ("queued", ""),
            Pushed::Displaced(j) => ("displaced", &j.message.id),
            Pushed::Rejected(j) => ("rejected", &j.message.id),
        }
    }

    #[test]
    fn a_full_queue_displaces_the_newest_ordinary_job_never_a_continuation() {
        let q = PriorityQueues::new(3);
        for j in [
            job("chat", Priority::Normal, false),
            job("rest-of-a-crisis", Priority::Normal, true),
            job("question", Priority::High, false),
        ] {
            assert_eq!(id(&q.try_push(j).ok().unwrap()).0, "queued");
        }
        // Full: a HIGH newcomer displaces the newest NORMAL job that is not a
        // continuation, although the continuation is newer.
        let pushed = q.try_push(job("question-2", Priority::High, false));
        assert_eq!(id(&pushed.ok().unwrap()), ("displaced", "chat"));
        // Only a continuation is lower now: a HIGH newcomer must wait for room, a LOW
        // one is shed itself; the continuation stays.
        assert!(q
            .try_push(job("question-3", Priority::High, false))
            .is_err());
        let pushed = q.try_push(job("stats", Priority::Low, false));
        assert_eq!(id(&pushed.ok().unwrap()), ("rejected", "stats"));
        assert_eq!(q.depths(), [0, 2, 1, 0]);
        let left: Vec<String> = q.drain().iter().map(|j| j.message.id.clone()).collect();
        assert!(left.contains(&"rest-of-a-crisis".to_string()), "{left:?}");
    }

    #[test]
    fn a_critical_newcomer_waits_rather_than_shed_what_a_member_asked_for() {
        let q = PriorityQueues::new(2);
        for j in [
            job("question", Priority::High, false),
            job("question-2", Priority::High, false),
        ] {
            assert_eq!(id(&q.try_push(j).ok().unwrap()).0, "queued");
        }
        assert!(q.try_push(job("abuse", Priority::Critical, false)).is_err());
        assert_eq!(q.depths(), [0, 2, 0, 0]);
    }
}
