//! Counters of SQLite's open batch that SQLite has not been handed yet.
//!
//! In a flood the analytics cog bumps the same few counters (`total`, the channel's,
//! the hour's) for every message: a read and a write under the store's lock each.
//! Inside a batch those writes can wait, since nothing in the batch is durable before
//! its commit anyway. A counter's first bump in a batch goes to SQLite at once and is
//! remembered here; a later bump takes the value from here, and the commit writes it
//! once (a listing, which SQLite answers, first writes the held counters under its
//! prefix: the day markers analytics lists, not its hot counters). Only counters bumped again
//! wait: a CRITICAL outcome waits for its commit, and writing every first bump there
//! (say 100 senders' day markers) doubled `stress`'s CRITICAL p99. `set` and `delete`
//! go to SQLite at once (a value may be a megabyte), after dropping the key from here.

use super::Scope;
use std::collections::HashMap;

/// Counters held per batch at most; one more and the batch hands them to SQLite (keys
/// are at most 512 bytes, so this bounds the memory to a few megabytes).
pub const MAX_PENDING: usize = 4096;

/// A counter's value in the batch, and whether SQLite still lacks it.
#[derive(Clone, Copy)]
struct Held {
    value: i64,
    dirty: bool,
}

/// cog → guild → key → the counter's value in the batch.
#[derive(Default)]
pub struct Pending {
    by_cog: HashMap<String, HashMap<String, HashMap<String, Held>>>,
    len: usize,
}

/// One counter handed over: its place and its value.
pub struct Counter {
    pub cog: String,
    pub guild: String,
    pub key: String,
    pub value: i64,
}

impl Pending {
    /// The counter's value in the batch, if the batch changed it.
    pub fn get(&self, s: Scope<'_>, key: &str) -> Option<i64> {
        self.by_cog
            .get(s.cog)?
            .get(s.guild)?
            .get(key)
            .map(|h| h.value)
    }

    /// Record the counter's new value (allocates only for a key new to the batch).
    pub fn put(&mut self, s: Scope<'_>, key: &str, value: i64, dirty: bool) {
        let held = Held { value, dirty };
        if !self.by_cog.contains_key(s.cog) {
            self.by_cog.insert(s.cog.to_owned(), HashMap::new());
        }
        let Some(guilds) = self.by_cog.get_mut(s.cog) else {
            return;
        };
        if !guilds.contains_key(s.guild) {
            guilds.insert(s.guild.to_owned(), HashMap::new());
        }
        let Some(keys) = guilds.get_mut(s.guild) else {
            return;
        };
        match keys.get_mut(key) {
            Some(h) => *h = held,
            None => {
                keys.insert(key.to_owned(), held);
                self.len += 1;
            }
        }
    }

    /// Forget the key (it is about to be written or deleted in SQLite directly);
    /// whether the batch held it.
    pub fn remove(&mut self, s: Scope<'_>, key: &str) -> bool {
        let removed = self
            .by_cog
            .get_mut(s.cog)
            .and_then(|guilds| guilds.get_mut(s.guild))
            .and_then(|keys| keys.remove(key))
            .is_some();
        if removed {
            self.len -= 1;
        }
        removed
    }

    /// Mark the held counters of `s` whose keys start with `prefix` as handed to
    /// SQLite, and return those SQLite still lacked. They stay held, so their next
    /// bumps still run no statement.
    pub fn hand_over_prefix(&mut self, s: Scope<'_>, prefix: &str) -> Vec<Counter> {
        let Some(keys) = self
            .by_cog
            .get_mut(s.cog)
            .and_then(|guilds| guilds.get_mut(s.guild))
        else {
            return Vec::new();
        };
        keys.iter_mut()
            .filter(|(key, held)| held.dirty && key.starts_with(prefix))
            .map(|(key, held)| {
                held.dirty = false;
                Counter {
                    cog: s.cog.to_owned(),
                    guild: s.guild.to_owned(),
                    key: key.clone(),
                    value: held.value,
                }
            })
            .collect()
    }

    /// How many counters are held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Take the counters SQLite lacks out, emptying the batch's list.
    pub fn take(&mut self) -> Vec<Counter> {
        let mut out = Vec::with_capacity(self.len);
        for (cog, guilds) in self.by_cog.drain() {
            for (guild, keys) in guilds {
                for (key, Held { value, dirty }) in keys {
                    if !dirty {
                        continue; // SQLite has it
                    }
                    out.push(Counter {
                        cog: cog.clone(),
                        guild: guild.clone(),
                        key,
                        value,
                    });
                }
            }
        }
        self.len = 0;
        out
    }

    /// Drop every counter (their batch was rolled back).
    pub fn clear(&mut self) {
        self.by_cog.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Scope<'static> = Scope {
        cog: "analytics",
        guild: "g1",
    };
    const B: Scope<'static> = Scope {
        cog: "analytics",
        guild: "g2",
    };

    #[test]
    fn a_counter_is_held_per_cog_guild_and_key() {
        let mut p = Pending::default();
        p.put(A, "total", 1, true);
        p.put(A, "total", 2, true);
        p.put(B, "total", 7, true);
        assert_eq!(p.get(A, "total"), Some(2));
        assert_eq!(p.get(B, "total"), Some(7));
        assert_eq!(p.get(A, "other"), None);
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn removing_and_taking_empty_the_list() {
        let mut p = Pending::default();
        p.put(A, "x", 1, true);
        p.put(A, "y", 2, true);
        assert!(p.remove(A, "x"));
        assert!(!p.remove(A, "x"));
        assert_eq!(p.len(), 1);
        p.put(A, "clean", 3, false); // SQLite has it: nothing to write
        let taken = p.take();
        assert_eq!(taken.len(), 1);
        assert_eq!(
            (taken[0].cog.as_str(), taken[0].guild.as_str()),
            ("analytics", "g1")
        );
        assert_eq!((taken[0].key.as_str(), taken[0].value), ("y", 2));
        assert!(p.is_empty());
        assert_eq!(p.get(A, "y"), None);
        assert_eq!(p.get(A, "clean"), None);
    }

    #[test]
    fn a_prefix_hands_over_only_its_own_dirty_counters_and_keeps_them_held() {
        let mut p = Pending::default();
        p.put(A, "du:20240501:u1", 2, true);
        p.put(A, "du:20240501:u2", 1, false); // SQLite has it
        p.put(A, "total", 9, true);
        p.put(B, "du:20240501:u1", 5, true);
        let handed: Vec<_> = p
            .hand_over_prefix(A, "du:")
            .into_iter()
            .map(|c| (c.guild, c.key, c.value))
            .collect();
        assert_eq!(
            handed,
            vec![("g1".to_string(), "du:20240501:u1".to_string(), 2)]
        );
        assert!(p.hand_over_prefix(A, "du:").is_empty(), "now clean");
        assert_eq!(p.get(A, "du:20240501:u1"), Some(2), "still held");
        assert_eq!(p.len(), 4);
        let rest: Vec<_> = p.take().into_iter().map(|c| (c.guild, c.key)).collect();
        assert_eq!(rest.len(), 2, "{rest:?}");
        assert!(rest.contains(&("g1".to_string(), "total".to_string())));
        assert!(rest.contains(&("g2".to_string(), "du:20240501:u1".to_string())));
    }
}
