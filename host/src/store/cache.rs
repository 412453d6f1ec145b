//! The memory behind the `cache` import: short-lived key-value data that every
//! instance of a cog shares and that no store ever sees.
//!
//! Some of a cog's data is only worth keeping for seconds or minutes — who posted how
//! often lately (flood and duplicate detection), a recent answer — and a durable store
//! write per message for it is most of what a busy guild costs the store. The cache
//! keeps such entries in the host's memory, scoped to (cog, guild) like `kv`, each
//! until its time to live runs out, and loses them when the host stops. A cog cannot
//! fill the host's memory: each cog may hold at most [`Cache::new`]'s byte budget
//! (keys + values of live entries; expired ones are swept out as it fills). Entries
//! outlive hot swaps of the cog (the name is the same), as its `kv` data does.
//!
//! Time is a parameter of every operation so the tests can move it; the `cache`
//! import passes `Instant::now()`.

use dashmap::DashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest an entry lives, whatever time to live a cog asks for.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Expired entries are swept out at most this often (and whenever a cog's budget is
/// full), so a cog that stops reading its keys does not keep their memory.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Bytes of keys and values one cog may hold (as the WIT says).
pub const BUDGET_PER_COG: usize = 64 << 20;

/// A cog's entries would pass its byte budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheFull;

pub struct Cache {
    /// `scoped(cog, guild, key)` → entry
    entries: DashMap<String, Entry>,
    /// bytes of keys and values each cog holds
    held: DashMap<Arc<str>, usize>,
    budget_per_cog: usize,
    last_sweep: Mutex<Instant>,
}

struct Entry {
    cog: Arc<str>,
    value: String,
    size: usize,
    expires: Instant,
}

impl Default for Cache {
    /// An empty cache with the standard [`BUDGET_PER_COG`].
    fn default() -> Self {
        Cache::new(BUDGET_PER_COG)
    }
}

impl Cache {
    /// An empty cache in which each cog may hold `budget_per_cog` bytes.
    pub fn new(budget_per_cog: usize) -> Self {
        Cache {
            entries: DashMap::new(),
            held: DashMap::new(),
            budget_per_cog,
            last_sweep: Mutex::new(Instant::now()),
        }
    }

    /// The live value at `key`, if any.
    pub fn get(&self, cog: &str, guild: &str, key: &str, now: Instant) -> Option<String> {
        let scoped = scoped(cog, guild, key);
        {
            let entry = self.entries.get(&scoped)?;
            if entry.expires > now {
                return Some(entry.value.clone());
            }
        }
        self.remove_expired(&scoped, now);
        None
    }

    /// Keep `value` at `key` for `ttl` (at most [`MAX_TTL`]), replacing what was there.
    pub fn set(
        &self,
        cog: &Arc<str>,
        guild: &str,
        key: &str,
        value: &str,
        ttl: Duration,
        now: Instant,
    ) -> Result<(), CacheFull> {
        self.sweep_if_due(now, false);
        let scoped = scoped(cog, guild, key);
        let size = scoped.len() + value.len();
        // Would the cog pass its budget? Only a cog near it needs to count the entry
        // this replaces (one more lookup) and, failing that, sweep.
        let replaced = || self.entries.get(&scoped).map_or(0, |e| e.size);
        let over = |replaced: usize| {
            (self.held(cog) + size).saturating_sub(replaced) > self.budget_per_cog
        };
        if over(0) && over(replaced()) {
            self.sweep_if_due(now, true);
            if over(replaced()) {
                return Err(CacheFull);
            }
        }
        let entry = Entry {
            cog: cog.clone(),
            value: value.to_string(),
            size,
            expires: now + ttl.min(MAX_TTL),
        };
        let old = self.entries.insert(scoped, entry).map_or(0, |e| e.size);
        let mut held = self.held.entry(cog.clone()).or_insert(0);
        *held = (*held + size).saturating_sub(old);
        Ok(())
    }

    /// Remove `key`; true when it held a live value.
    pub fn delete(&self, cog: &str, guild: &str, key: &str, now: Instant) -> bool {
        match self.entries.remove(&scoped(cog, guild, key)) {
            Some((_, entry)) => {
                self.release(&entry);
                entry.expires > now
            }
            None => false,
        }
    }

    /// Bytes of keys and values `cog` holds (expired entries not yet swept included).
    pub fn held(&self, cog: &str) -> usize {
        self.held.get(cog).map_or(0, |h| *h)
    }

    /// Entries held, live or expired but not yet swept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn remove_expired(&self, scoped: &str, now: Instant) {
        if let Some((_, entry)) = self.entries.remove_if(scoped, |_, e| e.expires <= now) {
            self.release(&entry);
        }
    }

    fn release(&self, entry: &Entry) {
        if let Some(mut held) = self.held.get_mut(&entry.cog) {
            *held = held.saturating_sub(entry.size);
        }
    }

    /// Drop every expired entry, if the last sweep was [`SWEEP_EVERY`] ago (or `now`
    /// when `forced`, but still at most once per instant).
    fn sweep_if_due(&self, now: Instant, forced: bool) {
        {
            let Ok(mut last) = self.last_sweep.try_lock() else {
                return; // another thread is sweeping
            };
            let due = if forced {
                now > *last
            } else {
                now.saturating_duration_since(*last) >= SWEEP_EVERY
            };
            if !due {
                return;
            }
            *last = now;
        }
        let mut freed: Vec<(Arc<str>, usize)> = Vec::new();
        self.entries.retain(|_, e| {
            let live = e.expires > now;
            if !live {
                freed.push((e.cog.clone(), e.size));
            }
            live
        });
        for (cog, size) in freed {
            if let Some(mut held) = self.held.get_mut(&cog) {
                *held = held.saturating_sub(size);
            }
        }
    }
}

/// One map key for (cog, guild, key), unambiguous whatever the parts contain.
fn scoped(cog: &str, guild: &str, key: &str) -> String {
    format!("{}:{cog}{}:{guild}{key}", cog.len(), guild.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn cog(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    #[test]
    fn an_entry_lives_until_its_time_to_live_runs_out() {
        let cache = Cache::new(1 << 20);
        let t0 = Instant::now();
        let sec = cog("security");
        cache
            .set(&sec, "g1", "history:u1", "[1,2]", 10 * SECOND, t0)
            .unwrap();
        assert_eq!(
            cache
                .get("security", "g1", "history:u1", t0 + 9 * SECOND)
                .as_deref(),
            Some("[1,2]")
        );
        assert_eq!(
            cache.get("security", "g1", "history:u1", t0 + 10 * SECOND),
            None
        );
        assert!(cache.is_empty(), "an expired entry read is dropped");
        assert_eq!(cache.held("security"), 0);
    }

    #[test]
    fn entries_are_scoped_to_their_cog_and_guild() {
        let cache = Cache::new(1 << 20);
        let t0 = Instant::now();
        cache
            .set(&cog("a"), "g1", "k", "a in g1", SECOND, t0)
            .unwrap();
        cache
            .set(&cog("a"), "g2", "k", "a in g2", SECOND, t0)
            .unwrap();
        cache
            .set(&cog("b"), "g1", "k", "b in g1", SECOND, t0)
            .unwrap();
        // parts that would run together in a naive key stay apart
        cache
            .set(&cog("a"), "g", "1k", "a in g", SECOND, t0)
            .unwrap();
        assert_eq!(cache.get("a", "g1", "k", t0).as_deref(), Some("a in g1"));
        assert_eq!(cache.get("a", "g2", "k", t0).as_deref(), Some("a in g2"));
        assert_eq!(cache.get("b", "g1", "k", t0).as_deref(), Some("b in g1"));
        assert_eq!(cache.get("a", "g", "1k", t0).as_deref(), Some("a in g"));
        assert_eq!(cache.get("b", "g2", "k", t0), None);
    }

    #[test]
    fn setting_again_replaces_the_value_and_its_time_to_live() {
        let cache = Cache::new(1 << 20);
        let t0 = Instant::now();
        let a = cog("a");
        cache.set(&a, "g", "k", "first", SECOND, t0).unwrap();
        cache.set(&a, "g", "k", "second", 5 * SECOND, t0).unwrap();
        assert_eq!(
            cache.get("a", "g", "k", t0 + 2 * SECOND).as_deref(),
            Some("second")
        );
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.held("a"),
            scoped("a", "g", "k").len() + "second".len()
        );
    }

    #[test]
    fn delete_says_whether_a_live_value_was_there() {
        let cache = Cache::new(1 << 20);
        let t0 = Instant::now();
        let a = cog("a");
        cache.set(&a, "g", "k", "v", SECOND, t0).unwrap();
        assert!(cache.delete("a", "g", "k", t0));
        assert!(!cache.delete("a", "g", "k", t0));
        cache.set(&a, "g", "k", "v", SECOND, t0).unwrap();
        assert!(
            !cache.delete("a", "g", "k", t0 + 2 * SECOND),
            "it had expired"
        );
        assert_eq!(cache.held("a"), 0);
    }

    #[test]
    fn a_cog_cannot_hold_more_than_its_budget_and_expired_entries_make_room() {
        let entry = scoped("a", "g", "k0").len() + 10;
        let cache = Cache::new(3 * entry);
        let t0 = Instant::now();
        let a = cog("a");
        for i in 0..3 {
            cache
                .set(&a, "g", &format!("k{i}"), "0123456789", SECOND, t0)
                .unwrap();
        }
        assert_eq!(
            cache.set(&a, "g", "k3", "0123456789", SECOND, t0),
            Err(CacheFull)
        );
        // replacing an entry by one of the same size fits
        cache.set(&a, "g", "k0", "9876543210", SECOND, t0).unwrap();
        // another cog has its own budget
        cache
            .set(&cog("b"), "g", "k3", "0123456789", SECOND, t0)
            .unwrap();
        // once the old entries expire, the sweep makes room
        cache
            .set(&a, "g", "k3", "0123456789", SECOND, t0 + 2 * SECOND)
            .unwrap();
        assert_eq!(cache.held("a"), entry);
        assert_eq!(cache.get("a", "g", "k0", t0 + 2 * SECOND), None);
    }

    #[test]
    fn time_to_live_is_capped_at_a_day() {
        let cache = Cache::new(1 << 20);
        let t0 = Instant::now();
        cache
            .set(
                &cog("a"),
                "g",
                "k",
                "v",
                Duration::from_secs(7 * 86_400),
                t0,
            )
            .unwrap();
        assert!(cache.get("a", "g", "k", t0 + MAX_TTL - SECOND).is_some());
        assert!(cache.get("a", "g", "k", t0 + MAX_TTL).is_none());
    }

    #[test]
    fn expired_entries_nobody_reads_are_swept_out() {
        let cache = Cache::new(1 << 20);
        let t0 = Instant::now();
        let a = cog("a");
        for i in 0..100 {
            cache
                .set(&a, "g", &format!("k{i}"), "v", SECOND, t0)
                .unwrap();
        }
        // a write after the sweep interval sweeps
        cache
            .set(&a, "g", "fresh", "v", SECOND, t0 + 3 * SECOND)
            .unwrap();
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.held("a"), scoped("a", "g", "fresh").len() + 1);
    }
}
