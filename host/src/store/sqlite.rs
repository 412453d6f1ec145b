//! SQLite implementation of [`Store`]: one table `kv(cog, guild, key, value)`.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and a kv call is a
//! few microseconds, so the statement runs when the [`Store`] method is called, on the
//! caller's thread, and the method returns a ready future: the lock is held for one
//! statement and never across an `.await`.
//!
//! Group commit: a commit (a WAL append and its locks) costs more than the statement.
//! While cog calls are running ([`Store::call_started`]), writes open one transaction
//! that the next call to end commits, so the analytics cog's four counters per message
//! cost one commit, and concurrent calls share theirs. Every call's writes are durable
//! when it ends (`call_ended` commits); a write made while no call is open commits at
//! once. (Only cogs write, through the `kv` import, so in the host every write is
//! inside a call; tests and tools use the store directly.) BEGIN and COMMIT are
//! prepared once and cached like every statement (parsing them on every call was a
//! tenth of the store's time in the flood).

use super::{Scope, Store, StoreError, StoreFuture};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct SqliteStore {
    // Mutex, not RwLock: every statement, read or write, needs `&mut`-like exclusive
    // use of the one connection's prepared-statement cache.
    conn: Mutex<Connection>,
    /// cog calls between `call_started` and `call_ended`
    open_calls: AtomicUsize,
}

/// The value at (cog, guild, key) (`get`, `increment`).
const SELECT_VALUE: &str = "SELECT value FROM kv WHERE cog=?1 AND guild=?2 AND key=?3";

/// Write `value` at (cog, guild, key), replacing what was there (`set`, `increment`).
const UPSERT: &str = "INSERT INTO kv (cog, guild, key, value) VALUES (?1, ?2, ?3, ?4)
                      ON CONFLICT (cog, guild, key) DO UPDATE SET value = excluded.value";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    cog   TEXT NOT NULL,
    guild TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (cog, guild, key)
) WITHOUT ROWID;
";

impl SqliteStore {
    /// Open (or create) the store file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the directory for {}", path.display())
                })?;
            }
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        Self::init(conn).with_context(|| {
            format!(
                "cannot prepare the store {} (is another astra process using it? one process \
                 owns a SQLite store; give each its own file, or share a PostgreSQL store)",
                path.display()
            )
        })
    }

    /// A private in-memory store (tests and benches that need no persistence).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        // WAL: readers never block the writer; synchronous=NORMAL: a commit survives a
        // crash of the process (the OS has it), at a fraction of FULL's cost.
        // locking_mode=EXCLUSIVE: this process owns the file for as long as it runs, so
        // SQLite takes its file lock once instead of three fcntl calls per statement
        // (a fifth of a kv write's cost). A second process gets "database is locked";
        // processes that share state use PostgreSQL.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            open_calls: AtomicUsize::new(0),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Backend("store lock poisoned".into()))?;
        f(&conn)
    }
}

impl SqliteStore {
    /// Run a writing statement: inside the calls' shared transaction while calls are
    /// open, else committed before returning.
    fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|c| {
            let batching = self.open_calls.load(Ordering::Acquire) > 0;
            if batching && c.is_autocommit() {
                c.prepare_cached("BEGIN")?.execute([])?;
            }
            let result = f(c)?;
            if !batching && !c.is_autocommit() {
                c.prepare_cached("COMMIT")?.execute([])?;
            }
            Ok(result)
        })
    }
}

/// The statements, run at once (the [`Store`] impl below wraps them in ready futures).
impl SqliteStore {
    fn get_now(&self, s: Scope<'_>, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            Ok(c.prepare_cached(SELECT_VALUE)?
                .query_row(params![s.cog, s.guild, key], |r| r.get(0))
                .optional()?)
        })
    }

    fn set_now(&self, s: Scope<'_>, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|c| {
            c.prepare_cached(UPSERT)?
                .execute(params![s.cog, s.guild, key, value])?;
            Ok(())
        })
    }

    fn delete_now(&self, s: Scope<'_>, key: &str) -> Result<bool, StoreError> {
        self.write(|c| {
            let n = c
                .prepare_cached("DELETE FROM kv WHERE cog=?1 AND guild=?2 AND key=?3")?
                .execute(params![s.cog, s.guild, key])?;
            Ok(n > 0)
        })
    }

    fn increment_now(&self, s: Scope<'_>, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.write(|c| {
            let current: Option<String> = c
                .prepare_cached(SELECT_VALUE)?
                .query_row(params![s.cog, s.guild, key], |r| r.get(0))
                .optional()?;
            let base = match current {
                None => 0,
                Some(text) => text
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| StoreError::NotAnInteger)?,
            };
            let next = base.saturating_add(delta);
            c.prepare_cached(UPSERT)?
                .execute(params![s.cog, s.guild, key, next.to_string()])?;
            Ok(next)
        })
    }

    fn list_prefix_now(
        &self,
        s: Scope<'_>,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            // Range scan on the primary key: [prefix, prefix + U+10FFFF).
            let upper = format!("{prefix}\u{10FFFF}");
            let mut stmt = c.prepare_cached(
                "SELECT key, value FROM kv WHERE cog=?1 AND guild=?2 AND key >= ?3 AND key < ?4
                 ORDER BY key LIMIT ?5",
            )?;
            let rows = stmt
                .query_map(params![s.cog, s.guild, prefix, upper, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn count_keys_now(&self, s: Scope<'_>) -> Result<u64, StoreError> {
        self.with(|c| {
            Ok(
                c.prepare_cached("SELECT COUNT(*) FROM kv WHERE cog=?1 AND guild=?2")?
                    .query_row(params![s.cog, s.guild], |r| r.get::<_, i64>(0))?
                    as u64,
            )
        })
    }
}

fn ready<'a, T: Send + 'a>(result: Result<T, StoreError>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

impl Store for SqliteStore {
    fn get<'a>(&'a self, scope: Scope<'a>, key: &'a str) -> StoreFuture<'a, Option<String>> {
        ready(self.get_now(scope, key))
    }

    fn set<'a>(&'a self, scope: Scope<'a>, key: &'a str, value: &'a str) -> StoreFuture<'a, ()> {
        ready(self.set_now(scope, key, value))
    }

    fn delete<'a>(&'a self, scope: Scope<'a>, key: &'a str) -> StoreFuture<'a, bool> {
        ready(self.delete_now(scope, key))
    }

    fn increment<'a>(&'a self, scope: Scope<'a>, key: &'a str, delta: i64) -> StoreFuture<'a, i64> {
        ready(self.increment_now(scope, key, delta))
    }

    fn list_prefix<'a>(
        &'a self,
        scope: Scope<'a>,
        prefix: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(String, String)>> {
        ready(self.list_prefix_now(scope, prefix, limit))
    }

    fn count_keys<'a>(&'a self, scope: Scope<'a>) -> StoreFuture<'a, u64> {
        ready(self.count_keys_now(scope))
    }

    fn call_started(&self) {
        self.open_calls.fetch_add(1, Ordering::AcqRel);
    }

    fn call_ended(&self) -> Result<(), StoreError> {
        self.open_calls.fetch_sub(1, Ordering::AcqRel);
        self.with(|c| {
            if !c.is_autocommit() {
                c.prepare_cached("COMMIT")?.execute([])?;
            }
            Ok(())
        })
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
