//! SQLite implementation of [`Store`]: one table `kv(cog, guild, key, value)`.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and a kv call is a
//! few microseconds, so the statement runs when the [`Store`] method is called, on the
//! caller's thread, and the method returns a ready future: the lock is held for one
//! statement and never across an `.await`.
//!
//! Group commit: a commit (a WAL append of every page touched, and its locks) costs
//! more than the statements. While cog calls are running ([`Store::call_started`]),
//! their writes gather in one transaction, the *batch*. It is committed when the last
//! running call ends (so an idle host commits at once), when someone needs it durable
//! now ([`Store::commit_now`]: a CRITICAL outcome, a command's reply), or once it is
//! [`MAX_BATCH_AGE`] old, by a small flusher thread that sleeps while no batch is open.
//! [`Store::committed`] waits for that commit: the dispatcher reports an outcome only
//! after the writes it reports are in the file, so a `kill -9` loses no write anyone
//! was told about (tests/crash.rs), while a flood pays one commit per 2 ms instead of
//! one per call. Checkpoints (folding the WAL back into the file, which syncs it) run
//! on the flusher too, when no call is running. Inside a batch, a counter bumped again
//! is held in memory and reaches SQLite once when the batch commits, or when a listing
//! of a prefix it falls under is about to read it (`store/pending.rs`).
//! Reads always see every write. A write made while no call is running commits before
//! it returns. (Only cogs write, through the `kv` import, so in the
//! host every write is inside a call; tests and tools use the store directly.) BEGIN
//! and COMMIT are prepared once and cached like every statement.

use super::pending::{Counter, Pending, MAX_PENDING};
use super::{Scope, Store, StoreError, StoreFuture};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The longest the writes of running calls wait for their commit.
pub const MAX_BATCH_AGE: Duration = Duration::from_millis(2);

/// WAL pages after which a commit folds the WAL back into the database file (SQLite's
/// automatic checkpoint, which also syncs the file: milliseconds, in the way of
/// whoever commits). 10,000 pages is 40 MB; SQLite's default is 1,000.
const AUTO_CHECKPOINT_PAGES: u32 = 10_000;

/// Commits after which the flusher checkpoints at the next moment no call is running,
/// so the automatic checkpoint above is only the fallback of a host that is never idle.
const IDLE_CHECKPOINT_AFTER: u32 = 64;

/// Failed commits remembered for their waiters.
const FAILURES_KEPT: usize = 1024;

pub struct SqliteStore {
    shared: Arc<Shared>,
}

struct Shared {
    // Mutex, not RwLock: every statement, read or write, needs `&mut`-like exclusive
    // use of the one connection's prepared-statement cache.
    conn: Mutex<Batch>,
    /// cog calls between `call_started` and `call_ended`
    open_calls: AtomicUsize,
    /// how many batches have ended (committed or failed)
    ended: watch::Receiver<u64>,
}

/// The connection and the batch open on it, if any.
struct Batch {
    conn: Connection,
    /// when the open batch began
    since: Option<Instant>,
    /// batches ended so far; the open one is number `ended + 1`
    ended: watch::Sender<u64>,
    /// numbers of the recent batches whose commit failed (their writes are lost)
    failed: BTreeSet<u64>,
    /// woken when a batch begins, and when the host is idle and a checkpoint is due
    flusher: Option<std::thread::Thread>,
    /// commits since the last checkpoint
    commits: u32,
    /// counters bumped in the open batch, with the values SQLite lacks
    pending: Pending,
}

impl Batch {
    fn begin(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            self.conn.prepare_cached("BEGIN")?.execute([])?;
            self.since = Some(Instant::now());
            if let Some(flusher) = &self.flusher {
                flusher.unpark();
            }
        }
        Ok(())
    }

    /// The open batch's number, if a batch is open.
    fn open(&self) -> Option<u64> {
        (!self.conn.is_autocommit()).then(|| *self.ended.borrow() + 1)
    }

    /// Commit the open batch (if any), its held counters first, and tell its waiters.
    fn commit(&mut self) -> Result<(), StoreError> {
        let Some(number) = self.open() else {
            return Ok(());
        };
        self.since = None;
        let result = self.flush().and_then(|()| {
            self.conn
                .prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]))
                .map(|_| ())
                .map_err(StoreError::from)
        });
        match result {
            Ok(()) => {
                self.commits += 1;
                self.ended.send_replace(number);
                Ok(())
            }
            Err(e) => {
                self.abandon(number);
                Err(e)
            }
        }
    }

    /// Hand the batch's held counters to SQLite (inside the open batch).
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let counters = self.pending.take();
        self.write_counters(counters)
    }

    /// Write `counters` in the open batch.
    fn write_counters(&self, counters: Vec<Counter>) -> Result<(), StoreError> {
        if counters.is_empty() {
            return Ok(());
        }
        let mut upsert = self.conn.prepare_cached(UPSERT)?;
        for c in counters {
            upsert.execute(params![c.cog, c.guild, c.key, c.value.to_string()])?;
        }
        Ok(())
    }

    /// [`Batch::flush`] when the batch holds too many counters; before SQLite answers
    /// a listing (`Some((scope, prefix))`), only the held counters it is about to read
    /// (the others — the hot `total`, channel and hour counters while the day markers
    /// are listed — stay in memory; those written stay held, now clean). If it fails,
    /// the batch is lost, as a failed commit's.
    fn flush_or_abandon(&mut self, listing: Option<(Scope<'_>, &str)>) -> Result<(), StoreError> {
        let result = match listing {
            Some((s, prefix)) => {
                let counters = self.pending.hand_over_prefix(s, prefix);
                self.write_counters(counters)
            }
            None => self.flush(),
        };
        if result.is_err() {
            if let Some(number) = self.open() {
                self.abandon(number);
            }
        }
        result
    }

    /// Roll the open batch back: its writes are lost and its waiters told so.
    fn abandon(&mut self, number: u64) {
        self.since = None;
        self.pending.clear();
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.failed.insert(number);
        while self.failed.len() > FAILURES_KEPT {
            self.failed.pop_first();
        }
        self.ended.send_replace(number);
    }

    /// Whether enough was committed since the last checkpoint to fold the WAL back.
    fn checkpoint_due(&self) -> bool {
        self.commits >= IDLE_CHECKPOINT_AFTER
    }

    /// Fold the WAL back into the database file (no batch may be open).
    fn checkpoint(&mut self) {
        self.commits = 0;
        let result = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(e) = result {
            tracing::warn!("the store could not checkpoint its WAL: {e}");
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let batch = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = batch.commit() {
            tracing::error!("the store could not commit its last writes: {e}");
        }
        if let Some(flusher) = &batch.flusher {
            flusher.unpark(); // to see the store gone and end
        }
    }
}

/// Commit a batch once it is [`MAX_BATCH_AGE`] old (calls kept running, so none of
/// them committed it), and checkpoint when no call is running and one is due. Parks
/// while there is nothing to do; ends with the store.
fn start_flusher(shared: Weak<Shared>) -> Result<std::thread::Thread> {
    let handle = std::thread::Builder::new()
        .name("astra-sqlite-flush".into())
        .spawn(move || loop {
            let wait = {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let Ok(mut batch) = shared.conn.lock() else {
                    return;
                };
                match batch.since.map(|t| t.elapsed()) {
                    None => {
                        if batch.checkpoint_due() && shared.open_calls.load(Ordering::Acquire) == 0
                        {
                            batch.checkpoint();
                        }
                        None
                    }
                    Some(age) if age >= MAX_BATCH_AGE => {
                        if let Err(e) = batch.commit() {
                            tracing::error!("the store could not commit a batch of writes: {e}");
                        }
                        None
                    }
                    Some(age) => Some(MAX_BATCH_AGE - age),
                }
            };
            match wait {
                Some(left) => std::thread::sleep(left),
                None => std::thread::park(),
            }
        })
        .context("could not start the store's flusher thread")?;
    Ok(handle.thread().clone())
}

/// The value at (cog, guild, key) (`get`, `increment`).
const SELECT_VALUE: &str = "SELECT value FROM kv WHERE cog=?1 AND guild=?2 AND key=?3";

/// Write `value` at (cog, guild, key), replacing what was there (`set`, `increment`).
const UPSERT: &str = "INSERT INTO kv (cog, guild, key, value) VALUES (?1, ?2, ?3, ?4)
                      ON CONFLICT (cog, guild, key) DO UPDATE SET value = excluded.value";

/// The keys starting with a prefix, in key order (`list_prefix`). No `LIMIT ?`: SQLite
/// plans a query with its limit's value, so a bound limit made it prepare the statement
/// again on every call (a quarter of a listing's cost); the caller stops reading instead.
const LIST_PREFIX: &str = "SELECT key, value FROM kv WHERE cog=?1 AND guild=?2 AND key >= ?3 \
                           AND key < ?4 ORDER BY key";

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
        // Checkpoints (milliseconds: they sync the file) run on the flusher thread
        // while the host is idle; the automatic one is the fallback.
        conn.pragma_update(None, "wal_autocheckpoint", AUTO_CHECKPOINT_PAGES)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        conn.set_prepared_statement_cache_capacity(64);
        let (ended, ended_rx) = watch::channel(0);
        let shared = Arc::new(Shared {
            conn: Mutex::new(Batch {
                conn,
                since: None,
                ended,
                failed: BTreeSet::new(),
                flusher: None,
                commits: 0,
                pending: Pending::default(),
            }),
            open_calls: AtomicUsize::new(0),
            ended: ended_rx,
        });
        let flusher = start_flusher(Arc::downgrade(&shared))?;
        if let Ok(mut batch) = shared.conn.lock() {
            batch.flusher = Some(flusher);
        }
        Ok(SqliteStore { shared })
    }

    /// Whether writes wait in an open batch (not yet committed to the file).
    pub fn has_uncommitted_writes(&self) -> bool {
        self.with(|b| Ok(b.open().is_some())).unwrap_or(false)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Batch) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut batch = self
            .shared
            .conn
            .lock()
            .map_err(|_| StoreError::Backend("store lock poisoned".into()))?;
        f(&mut batch)
    }

    /// Run a writing statement on `key`: in the open batch while calls are running,
    /// else committed before returning. A counter the batch holds for the key is
    /// dropped first (the statement replaces it; its row is in SQLite, as a counter's
    /// first bump in a batch is written at once).
    fn write<T>(
        &self,
        s: Scope<'_>,
        key: &str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|b| {
            let batching = self.shared.open_calls.load(Ordering::Acquire) > 0;
            if batching {
                b.begin()?;
            }
            b.pending.remove(s, key);
            let result = f(&b.conn)?;
            if !batching {
                b.commit()?;
            }
            Ok(result)
        })
    }
}

/// The statements, run at once (the [`Store`] impl below wraps them in ready futures).
impl SqliteStore {
    fn get_now(&self, s: Scope<'_>, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|b| {
            if let Some(held) = b.pending.get(s, key) {
                return Ok(Some(held.to_string()));
            }
            Ok(b.conn
                .prepare_cached(SELECT_VALUE)?
                .query_row(params![s.cog, s.guild, key], |r| r.get(0))
                .optional()?)
        })
    }

    fn set_now(&self, s: Scope<'_>, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(s, key, |c| {
            c.prepare_cached(UPSERT)?
                .execute(params![s.cog, s.guild, key, value])?;
            Ok(())
        })
    }

    fn delete_now(&self, s: Scope<'_>, key: &str) -> Result<bool, StoreError> {
        self.write(s, key, |c| {
            let n = c
                .prepare_cached("DELETE FROM kv WHERE cog=?1 AND guild=?2 AND key=?3")?
                .execute(params![s.cog, s.guild, key])?;
            Ok(n > 0)
        })
    }

    /// Read the counter (from the batch, else SQLite) and hold its new value in the
    /// batch: no statement at all when the batch already holds it.
    fn increment_now(&self, s: Scope<'_>, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.with(|b| {
            let batching = self.shared.open_calls.load(Ordering::Acquire) > 0;
            let next = match b.pending.get(s, key) {
                Some(held) => {
                    // bumped before in this batch: a hot key, held until the commit
                    let next = held.saturating_add(delta);
                    b.pending.put(s, key, next, true);
                    next
                }
                None => {
                    let current: Option<String> = b
                        .conn
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
                    // a first bump goes to SQLite at once, so the commit only writes
                    // the keys bumped again
                    let next = base.saturating_add(delta);
                    b.begin()?;
                    b.conn.prepare_cached(UPSERT)?.execute(params![
                        s.cog,
                        s.guild,
                        key,
                        next.to_string()
                    ])?;
                    b.pending.put(s, key, next, false);
                    next
                }
            };
            if !batching {
                b.commit()?;
            } else if b.pending.len() > MAX_PENDING {
                b.flush_or_abandon(None)?;
            }
            Ok(next)
        })
    }

    fn list_prefix_now(
        &self,
        s: Scope<'_>,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|b| {
            // SQLite answers, so it must have the batch's counters under the prefix
            b.flush_or_abandon(Some((s, prefix)))?;
            let c = &b.conn;
            // Range scan on the primary key: [prefix, prefix + U+10FFFF), in key order,
            // read only as far as `limit` rows.
            let upper = format!("{prefix}\u{10FFFF}");
            let mut stmt = c.prepare_cached(LIST_PREFIX)?;
            let rows = stmt
                .query_map(params![s.cog, s.guild, prefix, upper], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .take(limit as usize)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn count_keys_now(&self, s: Scope<'_>) -> Result<u64, StoreError> {
        self.with(|b| {
            // no flush: a held counter's row is in SQLite (its first bump wrote it)
            Ok(b.conn
                .prepare_cached("SELECT COUNT(*) FROM kv WHERE cog=?1 AND guild=?2")?
                .query_row(params![s.cog, s.guild], |r| r.get::<_, i64>(0))? as u64)
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
        self.shared.open_calls.fetch_add(1, Ordering::AcqRel);
    }

    fn call_ended(&self) -> Result<(), StoreError> {
        let still_running = self.shared.open_calls.fetch_sub(1, Ordering::AcqRel) - 1;
        if still_running > 0 {
            return Ok(()); // the batch goes on; `committed` waits for it
        }
        self.with(|b| {
            b.commit()?;
            if b.checkpoint_due() {
                if let Some(flusher) = &b.flusher {
                    flusher.unpark(); // idle now: checkpoint off the caller's path
                }
            }
            Ok(())
        })
    }

    fn commit_now(&self) -> Result<(), StoreError> {
        self.with(|b| b.commit())
    }

    fn committed(&self) -> StoreFuture<'_, ()> {
        let number = match self.with(|b| Ok(b.open())) {
            Ok(Some(number)) => number,
            Ok(None) => return ready(Ok(())),
            Err(e) => return ready(Err(e)),
        };
        let mut ended = self.shared.ended.clone();
        Box::pin(async move {
            ended
                .wait_for(|n| *n >= number)
                .await
                .map_err(|_| StoreError::Backend("the store closed".into()))?;
            let failed = self.with(|b| Ok(b.failed.contains(&number)))?;
            if failed {
                return Err(StoreError::Backend(
                    "a batch of writes could not be committed (see the log)".into(),
                ));
            }
            Ok(())
        })
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    const SCOPE: Scope<'static> = Scope {
        cog: "analytics",
        guild: "g",
    };

    #[test]
    fn a_prefix_listing_is_prepared_once_whatever_its_prefix_and_limit() {
        let store = SqliteStore::in_memory().expect("store");
        let scope = SCOPE;
        for day in 1..=5 {
            store
                .set_now(scope, &format!("du:2024010{day}:u1"), "1")
                .expect("set");
        }
        let listed = store.list_prefix_now(scope, "du:", 3).expect("list");
        let keys: Vec<&str> = listed.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["du:20240101:u1", "du:20240102:u1", "du:20240103:u1"]);
        assert_eq!(
            store
                .list_prefix_now(scope, "du:20240105", 10)
                .expect("list")
                .len(),
            1
        );
        assert!(store
            .list_prefix_now(scope, "wu:", 2)
            .expect("list")
            .is_empty());
        let reprepared = store
            .with(|b| {
                Ok(b.conn
                    .prepare_cached(LIST_PREFIX)?
                    .get_status(StatementStatus::RePrepare))
            })
            .expect("status");
        assert_eq!(reprepared, 0);
    }

    /// How often the statement `sql` has run on this store's connection.
    fn runs(store: &SqliteStore, sql: &str) -> i32 {
        store
            .with(|b| Ok(b.conn.prepare_cached(sql)?.get_status(StatementStatus::Run)))
            .expect("status")
    }

    #[test]
    fn a_counter_bumped_by_many_calls_in_one_batch_is_read_once_and_its_later_bumps_written_once() {
        let store = SqliteStore::in_memory().expect("store");
        let scope = SCOPE;
        store.call_started(); // a call that outlives the others: one batch
        for _ in 0..50 {
            store.call_started();
            store.increment_now(scope, "total", 1).expect("increment");
            store.call_ended().expect("call ended");
        }
        assert_eq!(runs(&store, SELECT_VALUE), 1, "read from SQLite once");
        assert_eq!(runs(&store, UPSERT), 1, "the first bump written at once");
        assert_eq!(
            store.get_now(scope, "total").expect("get").as_deref(),
            Some("50")
        );
        store.call_ended().expect("last call ended: commit");
        assert_eq!(runs(&store, UPSERT), 2, "the other 49 written once");
        assert!(!store.has_uncommitted_writes());
        assert_eq!(
            store
                .increment_now(scope, "total", 1)
                .expect("outside a call"),
            51
        );
    }

    /// The analytics cog lists its day markers on a user's first message of the day,
    /// in the middle of a flood's batch: that listing must see the markers' latest
    /// values, and must not cost the hot counters their place in memory.
    #[test]
    fn a_listing_hands_sqlite_only_the_held_counters_under_its_prefix() {
        let store = SqliteStore::in_memory().expect("store");
        let scope = SCOPE;
        store.call_started(); // one batch
        for _ in 0..3 {
            for key in ["total", "du:20240501:u1"] {
                store.increment_now(scope, key, 1).expect("increment");
            }
        }
        assert_eq!(runs(&store, UPSERT), 2, "the two first bumps");
        let listed = store.list_prefix_now(scope, "du:", 10).expect("list");
        assert_eq!(
            listed,
            vec![("du:20240501:u1".to_string(), "3".to_string())]
        );
        assert_eq!(
            runs(&store, UPSERT),
            3,
            "only the marker written for the listing"
        );
        assert_eq!(
            store.list_prefix_now(scope, "du:", 10).expect("list")[0].1,
            "3"
        );
        assert_eq!(
            runs(&store, UPSERT),
            3,
            "listed again: nothing new to write"
        );
        for key in ["total", "du:20240501:u1"] {
            store.increment_now(scope, key, 1).expect("increment");
        }
        assert_eq!(runs(&store, SELECT_VALUE), 2, "both still held: no reads");
        assert_eq!(runs(&store, UPSERT), 3);
        store.call_ended().expect("commit");
        assert_eq!(runs(&store, UPSERT), 5, "both written at the commit");
        let values: Vec<_> = ["total", "du:20240501:u1"]
            .iter()
            .map(|k| store.get_now(scope, k).expect("get"))
            .collect();
        assert_eq!(values, [Some("4".to_string()), Some("4".to_string())]);
    }
}
