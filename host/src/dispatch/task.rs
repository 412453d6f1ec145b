//! Running one job: call each interested cog's `handle-message`, most urgent first and
//! no HIGH or NORMAL one after a more urgent one deleted the message (retrying transient
//! failures only, with backoff), vet the actions, deliver moderation actions to the
//! cogs that watch them, all under the task timeout; then give the permit back and,
//! once the cogs' writes are stored, settle the outcome.
//!
//! A CRITICAL job stops before its first HIGH or NORMAL handler: its actions so far go
//! out in an early outcome (when a gateway asked for them) and the rest of the message
//! is queued as a continuation job at that handler's priority. So a care reply never
//! waits for a model call, and a slow answer never holds a permit reserved for
//! CRITICAL work. When a gateway takes early outcomes, a CRITICAL job also stops
//! before its first LOW handler, so a warning never waits for analytics' bookkeeping;
//! that continuation runs at once, in the same task. A stopped CRITICAL job's
//! moderation events are delivered right after its early outcome, before the
//! continuation (with early outcomes a CRITICAL job stops for them even when no handler
//! is left), so the warning never waits for the watchers' store writes and an
//! escalation never waits for a model call. Each part runs under its own task timeout.

use super::actions::{vet, Vetted};
use super::job::{Carried, Job};
use super::queue::Pushed;
use super::Dispatcher;
use crate::event::{Action, CogAction, OutcomeKind, Priority};
use crate::runtime::bindings::types as wit;
use crate::runtime::convert::action_to_wit;
use crate::runtime::{CallError, Export, LoadedCog, Returned};
use crate::store::StoreError;
use std::sync::Arc;

/// What running a job's handlers gave.
struct Handled {
    vetted: Vetted,
    errors: Vec<String>,
    /// a CRITICAL job stopped here: the index of its first HIGH or NORMAL handler
    rest: Option<usize>,
    /// a call used the store (see [`LoadedCog::call_noting_store_use`])
    used_store: bool,
    /// a CRITICAL job that stopped (`rest`): its moderation actions, whose events the
    /// watching cogs hear of after its early outcome (`run_job`)
    events: Vec<CogAction>,
}

/// What a CRITICAL job's part did, handed on to its continuation.
struct Part {
    vetted: Vetted,
    errors: Vec<String>,
    /// how many of `vetted`'s actions an early outcome delivered, and when
    early: Option<(usize, std::time::Duration)>,
    /// its writes may not be committed yet
    uncommitted: bool,
}

impl Dispatcher {
    pub(super) async fn run_job(&self, job: Job, permit: tokio::sync::OwnedSemaphorePermit) {
        let active = self.inner.metrics.job_started();
        let timeout = self.inner.config.task_timeout;
        let work = self.handle(&job);
        let (kind, error, vetted, stored) = match tokio::time::timeout(timeout, work).await {
            Ok(Handled {
                vetted,
                errors,
                rest: Some(at),
                used_store,
                events,
            }) => {
                // An early outcome commits the part's writes first.
                let early = self.send_early_if_asked(&job, &vetted, used_store);
                let mut part = Part {
                    vetted,
                    errors,
                    uncommitted: used_store && early.is_none(),
                    early,
                };
                if !events.is_empty() {
                    // Right after the early outcome, before anything slower: the cogs
                    // that watch moderation hear of these actions (the moderation cog's
                    // escalation ladder, analytics' counters). They need the store, which
                    // the warning no longer waits for; their answers (an escalation)
                    // come in the message's outcome, never after a continuation's model
                    // call.
                    let mut used = false;
                    let delivered = self.deliver_moderation_events(&job, &events, &mut used);
                    match tokio::time::timeout(timeout, delivered).await {
                        Ok((vetted, errors)) => {
                            part.vetted.extend(vetted);
                            part.errors.extend(errors);
                        }
                        Err(_) => {
                            part.errors.push(format!(
                                "moderation events timed out after {} ms (task timeout)",
                                timeout.as_millis()
                            ));
                            used = true;
                        }
                    }
                    part.uncommitted |= used;
                }
                let Some(job) = self.hand_on(job, part, at) else {
                    return; // queued; the continuation settles the message
                };
                // Bookkeeping only, or no room in the queues: the continuation runs here
                // and now.
                drop(active);
                return Box::pin(self.run_job(job, permit)).await;
            }
            Ok(Handled {
                vetted,
                errors,
                used_store,
                ..
            }) => {
                let mut all = job.errors.clone();
                all.extend(errors);
                let stored = used_store || job.carried.as_ref().is_some_and(|c| c.uncommitted);
                if all.is_empty() {
                    (OutcomeKind::Processed, None, vetted, stored)
                } else {
                    (OutcomeKind::Failed, Some(all.join("; ")), vetted, stored)
                }
            }
            Err(_) => (
                OutcomeKind::Failed,
                Some(format!(
                    "timed out after {} ms (task timeout)",
                    timeout.as_millis()
                )),
                Vetted::default(),
                // a call cut off by the timeout may have used the store
                true,
            ),
        };
        // The cogs are done: the next job may run while this one's writes are stored.
        drop(active);
        drop(permit);
        let (kind, error) = match self.writes_durable(job.priority, stored).await {
            Ok(()) => (kind, error),
            Err(e) => (
                OutcomeKind::Failed,
                Some(format!("the cogs' writes could not be stored: {e}")),
            ),
        };
        self.settle(&job, kind, error, vetted);
    }

    /// Send a CRITICAL job's actions so far (`vetted`) in an early outcome, if a
    /// gateway asked for early outcomes; their writes are committed first when
    /// `used_store`. Returns the early delivery (how many actions, when); when there
    /// is one, the writes were committed.
    fn send_early_if_asked(
        &self,
        job: &Job,
        vetted: &Vetted,
        used_store: bool,
    ) -> Option<(usize, std::time::Duration)> {
        if vetted.accepted.is_empty() || !self.delivers_early() {
            return None;
        }
        // An outcome never reports a write a crash could lose (nor what a read saw of
        // others' writes): commit first, unless no handler used the store.
        let committed = if used_store {
            self.inner.runtime.store().commit_now()
        } else {
            Ok(())
        };
        match committed {
            Ok(()) => {
                let ready = job.received.elapsed();
                self.send_early(job, vetted.accepted.clone(), ready);
                Some((vetted.accepted.len(), ready))
            }
            Err(e) => {
                tracing::warn!(
                    id = %job.message.id,
                    "no early outcome: the writes could not be stored: {e}"
                );
                None
            }
        }
    }

    /// A CRITICAL job's handlers up to `at` are done (`part`, its early outcome sent
    /// and its moderation events delivered): queue the rest of the message as a
    /// continuation at the priority of handler `at`. Returns the continuation when the
    /// caller is to run it now: when only LOW bookkeeping (or nothing) is left, or the
    /// queues have no room for it.
    fn hand_on(&self, job: Job, part: Part, at: usize) -> Option<Job> {
        let Part {
            vetted,
            errors,
            early,
            uncommitted,
        } = part;
        let mut all_errors = job.errors;
        all_errors.extend(errors);
        let continuation = Job {
            // nothing left but settling (the job stopped only for its events)
            priority: job.handlers.get(at).map_or(Priority::Low, |(_, p)| *p),
            handlers: job.handlers[at..].to_vec(),
            errors: all_errors,
            carried: Some(Box::new(Carried {
                priority: job.priority,
                done: vetted,
                early,
                uncommitted,
            })),
            message: job.message,
            wit_message: job.wit_message,
            received: job.received,
        };
        if continuation.priority == Priority::Low {
            // Only bookkeeping is left (analytics' counters): it runs now, in this task,
            // as it did before the warning went out early — a second trip through the
            // queues would only run it on the background lane at the same time as the
            // next CRITICAL jobs, contending with them for the store.
            return Some(continuation);
        }
        match self.inner.queues.try_push(continuation) {
            Ok(Pushed::Queued) => None,
            Ok(Pushed::Displaced(shed)) => {
                let why = format!(
                    "queue full ({} jobs): shed to make room for more urgent work",
                    self.inner.queues.capacity()
                );
                self.settle(&shed, OutcomeKind::Shed, Some(why), Vetted::default());
                None
            }
            // Never shed a CRITICAL message's answer: run it now instead.
            Ok(Pushed::Rejected(job)) | Err(job) => Some(job),
        }
    }

    /// Wait until what the cogs wrote for this job is in the store, so an outcome never
    /// reports a write a crash could lose: CRITICAL work commits at once; the rest
    /// waits for the store's next group commit (SQLite: at most `MAX_BATCH_AGE`). A job
    /// whose calls never used the store (`stored` false: no write, and no read that
    /// could have seen another call's uncommitted write) has nothing to wait for.
    async fn writes_durable(&self, priority: Priority, stored: bool) -> Result<(), StoreError> {
        if !stored {
            return Ok(());
        }
        let store = self.inner.runtime.store();
        if priority == Priority::Critical {
            store.commit_now()
        } else {
            store.committed().await
        }
    }

    /// Run the handlers, most urgent first; returns the vetted actions and the failures.
    ///
    /// Once a handler has deleted the message, the handlers that asked for it at a
    /// less urgent HIGH or NORMAL priority (answers, conversation) are skipped: a
    /// deleted message cannot be replied to (Discord refuses a reply to an unknown
    /// message), nobody wants the companion's answer to abuse that was just removed,
    /// and the deletion's outcome must not wait for a model call. Handlers at the same
    /// priority still run, and so do LOW ones (bookkeeping: analytics still counts the
    /// message).
    ///
    /// A CRITICAL job stops before its first handler that is to run at a priority it
    /// hands on (see [`Dispatcher::hands_on_before`]; `Handled::rest`); the moderation
    /// events of its actions are delivered first.
    async fn handle(&self, job: &Job) -> Handled {
        let mut vetted = Vetted::default();
        let mut errors = Vec::new();
        let mut rest = None;
        let mut used_store = false;
        let guild = &job.message.guild_id;
        let mut deleted_at: Option<Priority> = None;
        for (i, (cog, priority)) in job.handlers.iter().enumerate() {
            if deleted_at.is_some_and(|at| at < *priority) && *priority != Priority::Low {
                tracing::debug!(cog = %cog.name, "not called: a more urgent cog deleted the message");
                continue;
            }
            if job.priority == Priority::Critical && self.hands_on_before(*priority) {
                rest = Some(i);
                break;
            }
            match self
                .call_with_retries(
                    cog,
                    guild,
                    Export::Handle(&job.wit_message),
                    &mut used_store,
                )
                .await
            {
                Ok(Returned::Actions(actions)) => {
                    let accepted = vet(cog, actions);
                    if deleted_at.is_none() && deletes(&accepted.accepted, &job.message.id) {
                        deleted_at = Some(*priority);
                    }
                    vetted.extend(accepted);
                }
                Ok(_) => {}
                // Suspended since triage: the other cogs serve the message.
                Err(CallError::Suspended { .. }) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        // The cogs that watch moderation hear of these actions — after the early
        // outcome when there is one (`run_job`): a CRITICAL job with early outcomes
        // stops here for them, even with no handler left.
        let mut events = Vec::new();
        if moderation(&vetted.accepted).next().is_some() {
            if rest.is_none()
                && job.priority == Priority::Critical
                && job.carried.is_none()
                && self.delivers_early()
                && self
                    .inner
                    .runtime
                    .cogs()
                    .iter()
                    .any(|c| self.watches(c, guild))
            {
                rest = Some(job.handlers.len());
            }
            if rest.is_some() {
                events = moderation(&vetted.accepted).cloned().collect();
            } else {
                let (event_vetted, event_errors) = self
                    .deliver_moderation_events(job, &vetted.accepted, &mut used_store)
                    .await;
                vetted.extend(event_vetted);
                errors.extend(event_errors);
            }
        }
        Handled {
            vetted,
            errors,
            rest,
            used_store,
            events,
        }
    }

    /// Does a CRITICAL job stop before a handler at `priority`, handing the rest of the
    /// message on as a continuation? Always before HIGH and NORMAL ones (a model call must
    /// not hold a CRITICAL permit); before LOW ones (bookkeeping: analytics' counters and
    /// their commit) only when a gateway takes early outcomes, so the warning goes out
    /// without waiting for them (the continuation then runs at once, see
    /// [`Dispatcher::hand_on`]) — without early outcomes the split would gain nothing.
    fn hands_on_before(&self, priority: Priority) -> bool {
        match priority {
            Priority::Critical => false,
            Priority::High | Priority::Normal => true,
            Priority::Low => self.delivers_early(),
        }
    }

    /// Call `export` on `cog`, retrying transient failures up to the configured number
    /// of times with doubling backoff. A trap, a deadline or the memory cap is never
    /// retried. Sets `used_store` when an attempt used the store.
    pub(super) async fn call_with_retries(
        &self,
        cog: &LoadedCog,
        guild: &str,
        export: Export<'_>,
        used_store: &mut bool,
    ) -> Result<Returned, CallError> {
        let retries = self.inner.config.retries;
        let mut backoff = self.inner.config.retry_backoff;
        let mut attempt = 0;
        loop {
            let export = match &export {
                Export::Triage(m) => Export::Triage(m),
                Export::Handle(m) => Export::Handle(m),
                Export::Command(c) => Export::Command(c),
                Export::Event(e) => Export::Event(e),
            };
            match cog.call_noting_store_use(guild, export, used_store).await {
                Err(e) if e.is_transient() && attempt < retries => {
                    attempt += 1;
                    self.inner.metrics.retried();
                    tracing::info!(cog = %cog.name, attempt, "retrying after transient failure: {e}");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Err(CallError::Transient { cog, reason }) => {
                    return Err(CallError::Transient {
                        cog,
                        reason: format!("{reason} (gave up after {} retries)", attempt),
                    })
                }
                other => return other,
            }
        }
    }

    /// Does `cog` hear of moderation actions in `guild`?
    fn watches(&self, cog: &LoadedCog, guild: &str) -> bool {
        cog.watches_moderation && self.inner.switches.enabled(&cog.name, guild)
    }

    /// The cogs enabled in `guild` that watch moderation actions.
    fn watchers(&self, guild: &str) -> Vec<Arc<LoadedCog>> {
        let cogs = self.inner.runtime.cogs();
        cogs.iter()
            .filter(|c| self.watches(c, guild))
            .cloned()
            .collect()
    }

    /// Deliver each warn/timeout/kick/ban in `accepted` to the cogs that watch
    /// moderation actions (not to the cog that returned it). One level only: what
    /// the watchers return is not delivered again.
    pub(super) async fn deliver_moderation_events(
        &self,
        at: impl Into<Place<'_>>,
        accepted: &[CogAction],
        used_store: &mut bool,
    ) -> (Vetted, Vec<String>) {
        let Place {
            guild,
            channel,
            message_id,
        } = at.into();
        let mut vetted = Vetted::default();
        let mut errors = Vec::new();
        let moderation: Vec<&CogAction> = moderation(accepted).collect();
        if moderation.is_empty() {
            return (vetted, errors);
        }
        let watchers = self.watchers(guild);
        for action in moderation {
            let event = wit::Event::ActionTaken(wit::ActionTaken {
                by_cog: action.cog.clone(),
                action: action_to_wit(&action.action),
                guild_id: guild.to_string(),
                channel_id: channel.to_string(),
                message_id: message_id.to_string(),
                timestamp_ms: crate::event::now_ms(),
            });
            for watcher in watchers.iter().filter(|w| *w.name != *action.cog) {
                match self
                    .call_with_retries(watcher, guild, Export::Event(&event), used_store)
                    .await
                {
                    Ok(Returned::Actions(actions)) => vetted.extend(vet(watcher, actions)),
                    Ok(_) => {}
                    Err(CallError::Suspended { .. }) => {}
                    Err(e) => errors.push(format!("event: {e}")),
                }
            }
        }
        (vetted, errors)
    }
}

/// Where moderation actions were taken: a message's (or a command's) guild, channel
/// and id, for the events that report them.
pub(super) struct Place<'a> {
    pub guild: &'a str,
    pub channel: &'a str,
    pub message_id: &'a str,
}

impl<'a> From<&'a Job> for Place<'a> {
    fn from(job: &'a Job) -> Self {
        Place {
            guild: &job.message.guild_id,
            channel: &job.message.channel_id,
            message_id: &job.message.id,
        }
    }
}

/// The moderation actions (warn, timeout, kick, ban) among `actions`: the
/// ones cogs that watch moderation hear of.
fn moderation(actions: &[CogAction]) -> impl Iterator<Item = &CogAction> {
    actions.iter().filter(|a| a.action.is_moderation())
}

/// Does one of `actions` delete message `id`?
fn deletes(actions: &[CogAction], id: &str) -> bool {
    actions
        .iter()
        .any(|a| matches!(&a.action, Action::DeleteMessage { message_id, .. } if message_id == id))
}
