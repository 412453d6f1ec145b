//! Taps: a copy of every outcome settled in one channel, for whoever opened the tap.
//!
//! `/test_concurrent` injects synthetic messages into a channel of its own and must see
//! them settle, but the outcome stream belongs to the gateway. The dispatcher shows
//! each settled outcome to [`Taps::observe`]; with no tap open that costs one atomic
//! load.

use crate::event::Outcome;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

#[derive(Default, Clone)]
pub struct Taps {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// taps open (the fast path reads only this)
    open: AtomicUsize,
    next_id: AtomicU64,
    // Held to look up, add or remove one tap; never across an `.await`.
    by_channel: Mutex<HashMap<String, (u64, Sender)>>,
}

type Sender = mpsc::UnboundedSender<Outcome>;

/// An open tap: outcomes of its channel arrive on `outcomes`; dropping it closes it.
pub struct Tap {
    pub outcomes: mpsc::UnboundedReceiver<Outcome>,
    channel: String,
    id: u64,
    taps: Taps,
}

impl Drop for Tap {
    fn drop(&mut self) {
        let mut map = self.taps.lock();
        // Remove only this tap, not one that replaced it on the same channel.
        if map.get(&self.channel).is_some_and(|(id, _)| *id == self.id) {
            map.remove(&self.channel);
            self.taps.inner.open.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Taps {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Sender)>> {
        self.inner
            .by_channel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Open a tap on `channel` (replacing an earlier tap on the same channel).
    pub fn open(&self, channel: &str) -> Tap {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        if self.lock().insert(channel.to_string(), (id, tx)).is_none() {
            self.inner.open.fetch_add(1, Ordering::Relaxed);
        }
        Tap {
            outcomes: rx,
            channel: channel.to_string(),
            id,
            taps: self.clone(),
        }
    }

    pub fn observe(&self, outcome: &Outcome) {
        if self.inner.open.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some((_, tx)) = self.lock().get(&outcome.channel_id) {
            let _ = tx.send(outcome.clone());
        }
    }
}
