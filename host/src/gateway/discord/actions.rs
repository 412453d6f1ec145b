//! The action queue: what cogs asked for, carried out on Discord.
//!
//! Outcomes (from the dispatcher) and command responses (from `commands`) become
//! [`Job`]s in one unbounded queue, so a burst — a raid — is queued, never lost. At most
//! `concurrency` jobs run at once (an owned permit moves into each job's task); a job's
//! actions run in order. Every REST call goes through serenity's rate limiter, which
//! waits out per-route buckets, the global limit and 429 `retry_after`s; a call that
//! still fails transiently (5xx, a 429 without `retry_after`, a network error) is
//! retried up to [`RETRIES`] times. Each job ends in a [`Delivery`]; a failed action is
//! logged with its message and reported there. A message's settled outcome runs after
//! its early outcome's job has finished, so a care reply is posted before the answer
//! that followed it.

use crate::event::{Action, CogAction, Outcome};
use serenity::all::{
    ChannelId, CreateAllowedMentions, CreateMessage, EditMember, GetMessages, GuildId, Http,
    HttpError, MessageId, MessageReference, ReactionType, Timestamp, UserId,
};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

/// Retries of a transiently failed REST call (after serenity's own 429 handling).
pub const RETRIES: u32 = 3;
/// Discord's longest timeout.
pub const MAX_TIMEOUT_SECS: u32 = 28 * 24 * 3600;
/// Discord's longest audit-log reason.
const MAX_REASON: usize = 512;
/// Bulk delete refuses messages older than this.
const BULK_DELETE_MAX_AGE_MS: u64 = 14 * 24 * 3600 * 1000;

/// Where a job's actions apply.
#[derive(Debug, Clone)]
pub enum Target {
    /// actions returned for a message: replies and reactions go to it
    Message {
        guild: String,
        channel: String,
        message: String,
    },
    /// actions returned by a slash command: replies go to its channel
    Command { guild: String, channel: String },
}

/// The actions of one outcome or command, to run in order.
#[derive(Debug, Clone)]
pub struct Job {
    /// the message id, or `/name` for a command
    pub source: String,
    pub target: Target,
    pub actions: Vec<CogAction>,
}

/// How one job went.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// the message id, or `/name` for a command
    pub source: String,
    pub done: Vec<CogAction>,
    pub failed: Vec<Failed>,
    /// not attempted, with why (e.g. no mod-log channel configured)
    pub skipped: Vec<(CogAction, String)>,
}

#[derive(Debug, Clone)]
pub struct Failed {
    pub action: CogAction,
    pub error: String,
}

/// The sending side of the queue.
#[derive(Clone)]
pub(super) struct ActionQueue {
    tx: mpsc::UnboundedSender<Job>,
}

impl ActionQueue {
    pub(super) fn new(tx: mpsc::UnboundedSender<Job>) -> Self {
        ActionQueue { tx }
    }

    pub(super) fn push(&self, job: Job) {
        if let Err(lost) = self.tx.send(job) {
            // Only after shutdown has drained the queue.
            tracing::warn!("the action queue is closed; {} not executed", lost.0.source);
        }
    }
}

/// What the executor needs.
pub(super) struct Executor {
    pub http: Arc<Http>,
    pub modlog_channel: Option<u64>,
    pub concurrency: usize,
    pub deliveries: Option<mpsc::UnboundedSender<Delivery>>,
}

/// Execute outcomes and command jobs until `stop`; then finish what is queued and in
/// flight before returning.
pub(super) async fn run(
    executor: Executor,
    mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    mut stop: watch::Receiver<bool>,
) {
    let executor = Arc::new(executor);
    let permits = Arc::new(Semaphore::new(executor.concurrency));
    let mut early = EarlyJobs::default();
    loop {
        let next = tokio::select! {
            Some(outcome) = outcomes.recv() => Next::Outcome(outcome),
            Some(job) = jobs.recv() => Next::Command(job),
            _ = stop.wait_for(|s| *s) => break,
        };
        match next {
            Next::Outcome(outcome) => early.run(&executor, &permits, outcome).await,
            Next::Command(job) => {
                spawn(&executor, &permits, job, None).await;
            }
        }
    }
    // Drain: everything already accepted still runs.
    outcomes.close();
    jobs.close();
    while let Some(outcome) = outcomes.recv().await {
        early.run(&executor, &permits, outcome).await;
    }
    while let Some(job) = jobs.recv().await {
        spawn(&executor, &permits, job, None).await;
    }
    let _all = permits.acquire_many(executor.concurrency as u32).await;
}

/// What the executor takes next: a message's outcome, or a command's actions.
enum Next {
    Outcome(Outcome),
    Command(Job),
}

/// The running jobs of early outcomes, by message id, until their message's settled
/// outcome (which always follows) takes its place behind them.
#[derive(Default)]
struct EarlyJobs(HashMap<String, JoinHandle<()>>);

impl EarlyJobs {
    async fn run(&mut self, executor: &Arc<Executor>, permits: &Arc<Semaphore>, o: Outcome) {
        let (id, is_early) = (o.id.clone(), o.early);
        let after = if is_early { None } else { self.0.remove(&id) };
        if let Some(job) = job_for(o) {
            let running = spawn(executor, permits, job, after).await;
            if is_early {
                self.0.insert(id, running);
            }
        }
    }
}

/// The job for an outcome's actions (none without actions, none for `/test_concurrent`'s
/// synthetic messages: they are never sent to Discord).
fn job_for(o: Outcome) -> Option<Job> {
    // An early outcome's actions, or a settled one's that were not delivered early.
    let actions = o.to_deliver().to_vec();
    (!actions.is_empty() && !o.is_synthetic()).then(|| Job {
        source: o.id.clone(),
        target: Target::Message {
            guild: o.guild_id,
            channel: o.channel_id,
            message: o.id,
        },
        actions,
    })
}

/// Wait for a permit (the queue holds the rest), then run the job in its own task,
/// once `after` (the same message's early job) has finished.
async fn spawn(
    executor: &Arc<Executor>,
    permits: &Arc<Semaphore>,
    job: Job,
    after: Option<JoinHandle<()>>,
) -> JoinHandle<()> {
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return tokio::spawn(async {}); // never closed
    };
    let executor = executor.clone();
    tokio::spawn(async move {
        if let Some(early) = after {
            let _ = early.await;
        }
        let delivery = execute(&executor, job).await;
        for f in &delivery.failed {
            tracing::warn!(
                source = %delivery.source,
                "[{}] {} failed: {}",
                f.action.cog,
                f.action.action.kind(),
                f.error
            );
        }
        if let Some(tx) = &executor.deliveries {
            let _ = tx.send(delivery);
        }
        drop(permit);
    })
}

async fn execute(executor: &Executor, job: Job) -> Delivery {
    let mut delivery = Delivery {
        source: job.source.clone(),
        done: Vec::new(),
        failed: Vec::new(),
        skipped: Vec::new(),
    };
    for action in job.actions {
        match perform(executor, &job.target, &action.action).await {
            Ok(Performed::Done) => delivery.done.push(action),
            Ok(Performed::Skipped(why)) => delivery.skipped.push((action, why)),
            Err(error) => delivery.failed.push(Failed { action, error }),
        }
    }
    delivery
}

enum Performed {
    Done,
    Skipped(String),
}

fn id(text: &str, what: &str) -> Result<u64, String> {
    text.trim()
        .trim_start_matches(['<', '@', '!', '#', '&'])
        .trim_end_matches('>')
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a Discord {what} id"))
}

fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Carry out one action.
async fn perform(
    executor: &Executor,
    target: &Target,
    action: &Action,
) -> Result<Performed, String> {
    let http = &*executor.http;
    let (guild, channel, message) = match target {
        Target::Message {
            guild,
            channel,
            message,
        } => (guild, channel, Some(message)),
        Target::Command { guild, channel } => (guild, channel, None),
    };
    let guild = || id(guild, "guild").map(GuildId::new);
    let channel = || id(channel, "channel").map(ChannelId::new);
    let no_pings = CreateAllowedMentions::new;
    match action {
        Action::Reply { content } => {
            let channel = channel()?;
            let mut msg = CreateMessage::new()
                .content(content)
                .allowed_mentions(no_pings());
            if let Some(m) = message {
                let mut reference =
                    MessageReference::from((channel, MessageId::new(id(m, "message")?)));
                // the message may be gone (deleted by another cog): post anyway
                reference.fail_if_not_exists = Some(false);
                msg = msg.reference_message(reference);
            }
            retry(|| channel.send_message(http, msg.clone())).await?;
        }
        Action::Send {
            channel_id,
            content,
        } => {
            let to = ChannelId::new(id(channel_id, "channel")?);
            let msg = CreateMessage::new()
                .content(content)
                .allowed_mentions(no_pings());
            retry(|| to.send_message(http, msg.clone())).await?;
        }
        Action::React { emoji } => {
            let Some(m) = message else {
                return Ok(Performed::Skipped(
                    "a command has no message to react to".into(),
                ));
            };
            let (channel, m) = (channel()?, MessageId::new(id(m, "message")?));
            let reaction = ReactionType::try_from(emoji.as_str())
                .map_err(|e| format!("emoji `{emoji}`: {e}"))?;
            retry(|| channel.create_reaction(http, m, reaction.clone())).await?;
        }
        Action::DeleteMessage {
            channel_id,
            message_id,
        } => {
            let channel = ChannelId::new(id(channel_id, "channel")?);
            let m = MessageId::new(id(message_id, "message")?);
            retry(|| channel.delete_message(http, m)).await?;
        }
        Action::Warn { user_id, reason } => {
            let (channel, user) = (channel()?, UserId::new(id(user_id, "user")?));
            let msg = CreateMessage::new()
                .content(format!("<@{user}> ⚠️ {reason}"))
                .allowed_mentions(CreateAllowedMentions::new().users([user]));
            retry(|| channel.send_message(http, msg.clone())).await?;
        }
        Action::Timeout {
            user_id,
            seconds,
            reason,
        } => {
            let (guild, user) = (guild()?, UserId::new(id(user_id, "user")?));
            let secs = (*seconds).min(MAX_TIMEOUT_SECS) as i64;
            let edit = if secs == 0 {
                EditMember::new().enable_communication()
            } else {
                let until =
                    Timestamp::from_unix_timestamp(Timestamp::now().unix_timestamp() + secs)
                        .map_err(|e| format!("timeout end: {e}"))?;
                EditMember::new().disable_communication_until_datetime(until)
            };
            let reason = clip(reason, MAX_REASON);
            retry(|| guild.edit_member(http, user, edit.clone().audit_log_reason(&reason))).await?;
        }
        Action::Kick { user_id, reason } => {
            let (guild, user) = (guild()?, UserId::new(id(user_id, "user")?));
            let reason = clip(reason, MAX_REASON);
            retry(|| guild.kick_with_reason(http, user, &reason)).await?;
        }
        Action::Ban { user_id, reason } => {
            let (guild, user) = (guild()?, UserId::new(id(user_id, "user")?));
            let reason = clip(reason, MAX_REASON);
            retry(|| guild.ban_with_reason(http, user, 0, &reason)).await?;
        }
        Action::Purge { channel_id, count } => {
            let channel = ChannelId::new(id(channel_id, "channel")?);
            purge(http, channel, (*count).clamp(1, 100) as u8).await?;
        }
        Action::LogToModlog { content } => {
            let Some(modlog) = executor.modlog_channel else {
                return Ok(Performed::Skipped(
                    "no mod-log channel ([discord] modlog_channel)".into(),
                ));
            };
            let msg = CreateMessage::new()
                .content(content)
                .allowed_mentions(no_pings());
            retry(|| ChannelId::new(modlog).send_message(http, msg.clone())).await?;
        }
    }
    Ok(Performed::Done)
}

/// Delete the last `count` messages of `channel`: one bulk delete for those young
/// enough, one by one for the rest.
async fn purge(http: &Http, channel: ChannelId, count: u8) -> Result<(), String> {
    let messages = retry(|| channel.messages(http, GetMessages::new().limit(count))).await?;
    let now = crate::event::now_ms();
    let (young, old): (Vec<MessageId>, Vec<MessageId>) =
        messages.iter().map(|m| m.id).partition(|m| {
            now.saturating_sub(super::events::snowflake_ms(m.get())) < BULK_DELETE_MAX_AGE_MS
        });
    match young.len() {
        0 => {}
        1 => retry(|| channel.delete_message(http, young[0])).await?,
        _ => retry(|| channel.delete_messages(http, &young)).await?,
    }
    for m in old {
        retry(|| channel.delete_message(http, m)).await?;
    }
    Ok(())
}

/// Is this failure worth another try?
fn transient(e: &serenity::Error) -> Option<Duration> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            let code = r.status_code.as_u16();
            (code == 429 || code >= 500).then_some(Duration::from_millis(250))
        }
        serenity::Error::Http(HttpError::Request(_)) => Some(Duration::from_millis(250)),
        _ => None,
    }
}

/// Run `call`, retrying transient failures with doubling waits.
async fn retry<T, F, Fut>(mut call: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => match transient(&e) {
                Some(wait) if attempt < RETRIES => {
                    tracing::debug!("transient Discord error, retrying: {e}");
                    tokio::time::sleep(wait * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                _ => return Err(e.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_plain_digits_or_mentions() {
        assert_eq!(id("123", "user"), Ok(123));
        assert_eq!(id("<@!123>", "user"), Ok(123));
        assert_eq!(id("<#45>", "channel"), Ok(45));
        assert!(id("alice", "user")
            .unwrap_err()
            .contains("not a Discord user id"));
    }

    #[test]
    fn reasons_are_clipped_on_a_character_boundary() {
        let long = "é".repeat(400);
        let clipped = clip(&long, MAX_REASON);
        assert!(clipped.len() <= MAX_REASON);
        assert!(long.starts_with(&clipped));
    }
}
