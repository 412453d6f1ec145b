//! The page's share of what happens: every outcome the dispatcher settles (main's
//! fan-out calls [`Hub::outcome`]), every chat message and command typed on the page,
//! and bench runs finishing, turned into JSON events and broadcast to each open
//! WebSocket. The hub also keeps what a newly opened tab or the dashboard needs: the
//! recent chat (so a second tab sees the conversation), recent moderation actions, and
//! the latency of outcomes since the sampler last looked.

use crate::event::{now_ms, Action, CogAction, CommandResponse, Outcome, OutcomeKind, Priority};
use crate::gateway::local;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Chat events kept for tabs opened later.
const RECENT_CHAT: usize = 200;
/// Moderation actions kept for the dashboard.
const RECENT_MODERATION: usize = 100;
/// Events a slow WebSocket may fall behind before it is told it missed some.
const LIVE_BUFFER: usize = 1024;

/// One event on the live stream. `seq` orders them; a tab drops one it already has.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// someone said something on the page
    Message {
        id: String,
        user: String,
        text: String,
        at_ms: u64,
    },
    /// a message (from the page, the console or elsewhere) was settled
    Outcome {
        id: String,
        user: String,
        /// typed on this page (its text was shown by a `message` event)
        from_page: bool,
        priority: Priority,
        outcome: OutcomeKind,
        /// the message's urgent actions, before its settled outcome brings the rest
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        early: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        latency_us: u64,
        actions: Vec<Shown>,
        dropped: Vec<Shown>,
        at_ms: u64,
    },
    /// a slash command typed on the page, and its answer
    Command {
        id: String,
        user: String,
        text: String,
        ok: bool,
        cog: String,
        content: String,
        actions: Vec<Shown>,
        at_ms: u64,
    },
    /// a bench run started or finished (the page then asks `/api/bench`)
    Bench { scenario: String, state: String },
}

/// An action as the page shows it: the action's fields plus one line for people.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub action: CogAction,
    pub text: String,
}

impl Shown {
    pub fn list(actions: &[CogAction]) -> Vec<Shown> {
        actions
            .iter()
            .map(|a| Shown {
                action: a.clone(),
                text: local::describe(a),
            })
            .collect()
    }
}

/// A moderation action for the dashboard's list.
#[derive(Debug, Clone, Serialize)]
pub struct Moderation {
    pub at_ms: u64,
    pub cog: String,
    pub kind: String,
    /// whose message or command led to it
    pub by: String,
    /// `message` (a cog acting on a message) or `command` (a slash command)
    pub via: &'static str,
    pub text: String,
}

/// A cloneable handle; see the module comment.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    live: broadcast::Sender<Arc<str>>,
    // Held to number an event, keep it and broadcast it, so `seq` order is send order;
    // never across an `.await`.
    chat: Mutex<Chat>,
    moderation: Mutex<VecDeque<Moderation>>,
    // Latency of outcomes since the last `take_latency`, per priority; held for one
    // `record` (or one swap).
    latency: Mutex<[Histogram<u64>; 4]>,
}

#[derive(Default)]
struct Chat {
    seq: u64,
    recent: VecDeque<(u64, Arc<str>)>,
}

fn histograms() -> [Histogram<u64>; 4] {
    // 1 µs .. 1 min at 2 significant digits: a chart point, not a report (longer
    // latencies count as a minute).
    std::array::from_fn(|_| Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid bounds"))
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            inner: Arc::new(Inner {
                live: broadcast::channel(LIVE_BUFFER).0,
                chat: Mutex::new(Chat::default()),
                moderation: Mutex::new(VecDeque::new()),
                latency: Mutex::new(histograms()),
            }),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Page message ids start with this, so an outcome tells whose text the page showed.
pub const PAGE_ID_PREFIX: &str = "web-";

impl Hub {
    /// Follow the live stream: the receiver, then the recent chat to show first
    /// (events in both are told apart by `seq`).
    pub fn subscribe(&self) -> (broadcast::Receiver<Arc<str>>, Vec<Arc<str>>) {
        let rx = self.inner.live.subscribe();
        let recent = lock(&self.inner.chat)
            .recent
            .iter()
            .map(|(_, e)| e.clone())
            .collect();
        (rx, recent)
    }

    /// Number `event`, broadcast it, and keep it for later tabs when `keep`.
    fn emit(&self, event: &Event, keep: bool) {
        let mut chat = lock(&self.inner.chat);
        chat.seq += 1;
        let seq = chat.seq;
        let mut value = match serde_json::to_value(event) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("web: an event could not be encoded: {e}");
                return;
            }
        };
        value["seq"] = seq.into();
        let text: Arc<str> = value.to_string().into();
        if keep {
            chat.recent.push_back((seq, text.clone()));
            while chat.recent.len() > RECENT_CHAT {
                chat.recent.pop_front();
            }
        }
        // No subscriber is fine: nobody has the page open.
        let _ = self.inner.live.send(text);
    }

    /// A message typed on the page, before it is submitted.
    pub fn message(&self, id: &str, user: &str, text: &str) {
        self.emit(
            &Event::Message {
                id: id.into(),
                user: user.into(),
                text: text.into(),
                at_ms: now_ms(),
            },
            true,
        );
    }

    /// An outcome (every one the dispatcher emits, from main's fan-out): an early one
    /// shows the CRITICAL actions at once, the settled one adds the rest.
    pub fn outcome(&self, o: &Outcome) {
        if !o.early {
            if let Ok(mut h) = self.inner.latency.lock() {
                h[o.priority.index()].saturating_record(o.ready_us().max(1));
            }
        }
        if o.is_synthetic() {
            return; // `/test_concurrent` traffic: counted in the charts, never shown as chat
        }
        self.note_moderation(&o.user, o.to_deliver(), "message");
        self.emit(
            &Event::Outcome {
                id: o.id.clone(),
                user: o.user.clone(),
                from_page: o.id.starts_with(PAGE_ID_PREFIX),
                priority: o.priority,
                outcome: o.outcome,
                early: o.early,
                error: o.error.clone(),
                latency_us: o.latency_us,
                actions: Shown::list(o.to_deliver()),
                dropped: Shown::list(&o.dropped),
                at_ms: now_ms(),
            },
            true,
        );
    }

    /// A slash command typed on the page and its answer (or error). Ephemeral
    /// answers are returned to the one tab that asked, never broadcast.
    pub fn command(
        &self,
        id: &str,
        user: &str,
        text: &str,
        answer: &Result<CommandResponse, String>,
    ) {
        let event = match answer {
            Ok(r) => {
                self.note_moderation(user, &r.actions, "command");
                if r.ephemeral {
                    return;
                }
                Event::Command {
                    id: id.into(),
                    user: user.into(),
                    text: text.into(),
                    ok: true,
                    cog: r.cog.clone(),
                    content: r.content.clone(),
                    actions: Shown::list(&r.actions),
                    at_ms: now_ms(),
                }
            }
            Err(e) => Event::Command {
                id: id.into(),
                user: user.into(),
                text: text.into(),
                ok: false,
                cog: String::new(),
                content: e.clone(),
                actions: Vec::new(),
                at_ms: now_ms(),
            },
        };
        self.emit(&event, true);
    }

    /// A bench run changed state.
    pub fn bench(&self, scenario: &str, state: &str) {
        self.emit(
            &Event::Bench {
                scenario: scenario.into(),
                state: state.into(),
            },
            false,
        );
    }

    fn note_moderation(&self, by: &str, actions: &[CogAction], via: &'static str) {
        let moderation: Vec<Moderation> = actions
            .iter()
            .filter(|a| {
                a.action.is_moderation()
                    || matches!(
                        a.action,
                        Action::DeleteMessage { .. } | Action::Purge { .. }
                    )
            })
            .map(|a| Moderation {
                at_ms: now_ms(),
                cog: a.cog.clone(),
                kind: a.action.kind().into(),
                by: by.into(),
                via,
                text: local::describe(a),
            })
            .collect();
        if moderation.is_empty() {
            return;
        }
        let mut list = lock(&self.inner.moderation);
        list.extend(moderation);
        while list.len() > RECENT_MODERATION {
            list.pop_front();
        }
    }

    /// Recent moderation actions, newest first.
    pub fn moderation(&self) -> Vec<Moderation> {
        lock(&self.inner.moderation).iter().rev().cloned().collect()
    }

    /// (p50, p99) per priority of the outcomes since the previous call, microseconds;
    /// `None` for a priority that had none.
    pub fn take_latency(&self) -> [Option<(u64, u64)>; 4] {
        let mut all = lock(&self.inner.latency);
        std::array::from_fn(|i| {
            let h = &mut all[i];
            let read =
                (!h.is_empty()).then(|| (h.value_at_quantile(0.5), h.value_at_quantile(0.99)));
            h.reset();
            read
        })
    }
}
