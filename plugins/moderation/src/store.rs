//! Infractions in kv: the id counter, saving a record and listing a user's records.
//!
//! The [`Kv`] trait is the seam between this cog's logic and the host import: the cog
//! runs on [`HostKv`]; the native unit tests run on the in-memory [`mem::MemKv`]
//! (the real imports panic outside wasm).
//!
//! Keys (all scoped to the guild by the host):
//! - `next-id`: integer, last infraction id handed out
//! - `inf:<user>:<reversed time>:<id>`: one [`Infraction`] as JSON (see `infraction.rs`)

use crate::infraction::{self, Infraction};
use astra_sdk::kv::KvError;
use astra_sdk::HandlerError;

/// Most records read for one user; newest first, so only very old history is cut.
pub const LIST_LIMIT: u32 = 500;
const ID_KEY: &str = "next-id";

/// The kv calls this cog uses.
pub trait Kv {
    fn get(&mut self, key: &str) -> Result<Option<String>, KvError>;
    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError>;
    fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError>;
    fn list_prefix(&mut self, prefix: &str, limit: u32) -> Result<Vec<(String, String)>, KvError>;
}

/// The host's kv import.
pub struct HostKv;

impl Kv for HostKv {
    fn get(&mut self, key: &str) -> Result<Option<String>, KvError> {
        astra_sdk::kv::get(key)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError> {
        astra_sdk::kv::set(key, value)
    }
    fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError> {
        astra_sdk::kv::increment(key, delta)
    }
    fn list_prefix(&mut self, prefix: &str, limit: u32) -> Result<Vec<(String, String)>, KvError> {
        astra_sdk::kv::list_prefix(prefix, limit)
    }
}

/// A kv failure as the host should see it: a store hiccup is worth a retry, a denied
/// capability or a used-up quota is not.
pub fn failed(e: KvError) -> HandlerError {
    match e {
        KvError::Store(text) => HandlerError::Transient(format!("kv store: {text}")),
        other => HandlerError::Permanent(format!("kv: {other:?}")),
    }
}

/// The next infraction id of this guild (1, 2, ...).
pub fn next_id(kv: &mut impl Kv) -> Result<u64, HandlerError> {
    let id = kv.increment(ID_KEY, 1).map_err(failed)?;
    Ok(id.max(1) as u64)
}

/// Write (or overwrite) a record at its key.
pub fn save(kv: &mut impl Kv, record: &Infraction) -> Result<(), HandlerError> {
    let json = serde_json::to_string(record)
        .map_err(|e| HandlerError::Permanent(format!("encode infraction: {e}")))?;
    kv.set(&record.key(), &json).map_err(failed)
}

/// `user`'s records, newest (then highest id) first (at most [`LIST_LIMIT`]). Records that do not
/// decode, or belong to a user whose id merely starts the same way, are skipped.
pub fn list(kv: &mut impl Kv, user: &str) -> Result<Vec<Infraction>, HandlerError> {
    let rows = kv
        .list_prefix(&infraction::user_prefix(user), LIST_LIMIT)
        .map_err(failed)?;
    let mut records: Vec<Infraction> = rows
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_str::<Infraction>(&json).ok())
        .filter(|record| record.user == user)
        .collect();
    // keys already run newest first; this also orders records of the same millisecond
    records.sort_by_key(|r| std::cmp::Reverse((r.at_ms, r.id)));
    Ok(records)
}

#[cfg(test)]
pub mod mem {
    //! An in-memory [`Kv`] for native tests, in key order like the host's.
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct MemKv {
        pub data: BTreeMap<String, String>,
    }

    impl Kv for MemKv {
        fn get(&mut self, key: &str) -> Result<Option<String>, KvError> {
            Ok(self.data.get(key).cloned())
        }
        fn set(&mut self, key: &str, value: &str) -> Result<(), KvError> {
            self.data.insert(key.to_string(), value.to_string());
            Ok(())
        }
        fn increment(&mut self, key: &str, delta: i64) -> Result<i64, KvError> {
            let now = match self.data.get(key) {
                Some(v) => v.parse::<i64>().map_err(|_| KvError::NotAnInteger)?,
                None => 0,
            } + delta;
            self.data.insert(key.to_string(), now.to_string());
            Ok(now)
        }
        fn list_prefix(
            &mut self,
            prefix: &str,
            limit: u32,
        ) -> Result<Vec<(String, String)>, KvError> {
            Ok(self
                .data
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit as usize)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mem::MemKv;
    use super::*;
    use crate::infraction::{Issuer, Kind};

    fn record(id: u64, user: &str, at_ms: u64) -> Infraction {
        Infraction {
            id,
            user: user.into(),
            kind: Kind::Warn,
            reason: "spam: links".into(),
            by: Issuer::Moderator("7".into()),
            at_ms,
            expires_ms: None,
            cleared: None,
        }
    }

    #[test]
    fn ids_count_up_from_one() {
        let mut kv = MemKv::default();
        assert_eq!(next_id(&mut kv).unwrap(), 1);
        assert_eq!(next_id(&mut kv).unwrap(), 2);
    }

    #[test]
    fn listing_is_newest_first_and_only_that_user() {
        let mut kv = MemKv::default();
        save(&mut kv, &record(1, "4", 1_000)).unwrap();
        save(&mut kv, &record(2, "4", 3_000)).unwrap();
        save(&mut kv, &record(3, "42", 2_000)).unwrap();
        let ids: Vec<u64> = list(&mut kv, "4").unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![2, 1]);
    }
}
