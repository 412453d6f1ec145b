//! PostgreSQL implementation of [`Store`], for a bot run as several host processes
//! (shard ranges, machines) that must share one state: `store = "postgres://..."`.
//!
//! - **Pool**: deadpool-postgres over tokio-postgres, at most `store_connections`
//!   connections per process (each statement holds one only while it runs); prepared
//!   statements are cached per connection. No TLS in this build: reach the server over
//!   loopback, a private network or a local TLS proxy.
//! - **Schema**: the migrations in `migrations/postgres/` are applied at start, in one
//!   transaction under an advisory lock, so processes starting together neither race
//!   nor apply one twice; `astra_schema` records the versions applied. A database whose
//!   schema is newer than this binary knows is refused.
//! - **Durability like SQLite's**: `synchronous_commit=off` for astra's sessions unless
//!   the URL says otherwise: a committed write survives astra crashing or restarting
//!   (as with SQLite's WAL and synchronous=NORMAL); a crash of the database server or
//!   its machine may lose the last ~0.6 s of writes (never corrupting anything), as a
//!   machine crash may with SQLite. In exchange a write does not wait for a disk flush
//!   (half the cost, measured).
//! - **Same answers as SQLite**: keys and values are `bytea`, so any string round-trips
//!   and keys sort by their UTF-8 bytes; `increment` is one atomic statement
//!   (`INSERT ... ON CONFLICT DO UPDATE`), so two processes counting the same key never
//!   lose an update, and it accepts exactly the integers SQLite's does.
//! - **Failures**: every operation is bounded by [`OP_TIMEOUT`] (pool wait, connect and
//!   query together); a cog then gets `kv-error::store` and may ask for a retry. The
//!   details (server, SQL error) go to the log, at 1, 2, 4, 8, ... failures, never to
//!   the cog, and the password is never printed.

use super::{Scope, Store, StoreError, StoreFuture};
use anyhow::{anyhow, bail, Context, Result};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// Longest a kv operation may take, waiting for a connection included.
pub const OP_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a new connection may take (unless the URL says `connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `(version, SQL)`, applied in order, each once.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("migrations/postgres/0001_kv.sql"))];
/// The advisory lock that serialises migrations between processes ("astra_kv").
const MIGRATION_LOCK: i64 = 0x6173_7472_615f_6b76;

const GET: &str = "SELECT value FROM astra_kv WHERE cog = $1 AND guild = $2 AND key = $3";
const SET: &str = "INSERT INTO astra_kv (cog, guild, key, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (cog, guild, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM astra_kv WHERE cog = $1 AND guild = $2 AND key = $3";
/// One round trip, atomic under concurrency. The `WHERE` accepts what Rust's
/// `trim().parse::<i64>()` does (PostgreSQL 16 would also take `0x10` and `1_000`); a
/// value that is not an integer leaves the row unchanged and returns no row, one out of
/// i64's range fails the cast (22003). The sum saturates like `i64::saturating_add`.
const INCREMENT: &str = r"INSERT INTO astra_kv AS kv (cog, guild, key, value)
     VALUES ($1, $2, $3, convert_to($4::int8::text, 'UTF8'))
     ON CONFLICT (cog, guild, key) DO UPDATE
     SET value = convert_to(
         LEAST(GREATEST(convert_from(kv.value, 'UTF8')::int8::numeric + $4::int8,
                        -9223372036854775808), 9223372036854775807)::int8::text, 'UTF8')
     WHERE convert_from(kv.value, 'UTF8') ~ '^\s*[+-]?[0-9]+\s*$'
     RETURNING convert_from(kv.value, 'UTF8')::int8";
const LIST_PREFIX: &str = "SELECT key, value FROM astra_kv
     WHERE cog = $1 AND guild = $2 AND key >= $3 AND key < $4 ORDER BY key LIMIT $5";
const COUNT_KEYS: &str = "SELECT count(*) FROM astra_kv WHERE cog = $1 AND guild = $2";

pub struct PostgresStore {
    pool: Pool,
    /// `user@host:port/database`, for messages (never the password)
    target: String,
    /// failed operations so far (logged at powers of two)
    failures: AtomicU64,
}

impl PostgresStore {
    /// Connect to the database at `url` (a `postgres://` URL or a `key=value` string)
    /// with at most `connections` connections, and bring its schema up to date.
    pub async fn connect(url: &str, connections: usize) -> Result<Self> {
        let mut pg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| anyhow!("the store is not a valid PostgreSQL URL: {e}"))?;
        let target = describe(&pg);
        if pg.get_ssl_mode() == SslMode::Require {
            bail!(
                "the PostgreSQL store {target} asks for sslmode=require, but this build \
                 connects without TLS: reach the server over loopback, a private network \
                 or a local TLS proxy, and drop sslmode from the URL"
            );
        }
        if pg.get_application_name().is_none() {
            pg.application_name("astra");
        }
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(CONNECT_TIMEOUT);
        }
        // Durability like the SQLite store's (see the module comment): a write survives
        // astra crashing; not waiting for the disk on every commit makes it ~2x cheaper.
        // A URL that sets `synchronous_commit` (options=-csynchronous_commit%3Don) wins.
        let options = pg.get_options().unwrap_or_default().to_string();
        if !options.contains("synchronous_commit") {
            pg.options(format!("{options} -c synchronous_commit=off").trim());
        }
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(OP_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(OP_TIMEOUT))
            .build()
            .context("building the PostgreSQL connection pool")?;
        let store = PostgresStore {
            pool,
            target,
            failures: AtomicU64::new(0),
        };
        store
            .migrate()
            .await
            .with_context(|| format!("cannot prepare the PostgreSQL store {}", store.target))?;
        tracing::info!(
            "store: PostgreSQL {} (at most {} connections)",
            store.target,
            connections.max(1)
        );
        Ok(store)
    }

    /// Where the store is (`user@host:port/database`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Apply the migrations this database lacks (see the module comment).
    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(|e| anyhow!("{e}"))?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS astra_schema (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
        let current: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM astra_schema", &[])
            .await?
            .get(0);
        let newest = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > newest {
            bail!(
                "its schema is at version {current}, newer than this astra knows ({newest}); \
                 run the newer astra that upgraded it"
            );
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql)
                .await
                .with_context(|| format!("applying migration {version}"))?;
            tx.execute("INSERT INTO astra_schema (version) VALUES ($1)", &[version])
                .await?;
            tracing::info!("store: PostgreSQL schema migrated to version {version}");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Run `op` within [`OP_TIMEOUT`]; a failure is logged with the details and
    /// reaches the cog without them.
    async fn run<T>(&self, op: impl Future<Output = Result<T, Failure>>) -> Result<T, StoreError> {
        let failure = match tokio::time::timeout(OP_TIMEOUT, op).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(Failure::NotAnInteger)) => return Err(StoreError::NotAnInteger),
            Ok(Err(Failure::Backend(why))) => why,
            Err(_) => format!("no answer within {} s", OP_TIMEOUT.as_secs()),
        };
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(
                "store: PostgreSQL {} failed: {failure} ({n} failures so far)",
                self.target
            );
        }
        Err(StoreError::Backend(if failure.starts_with("no answer") {
            format!("the store gave {failure}")
        } else {
            "the store is unavailable (the host's log says why)".into()
        }))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, Failure> {
        self.pool
            .get()
            .await
            .map_err(|e| Failure::Backend(format!("no connection: {e}")))
    }
}

/// Why an operation failed, before it reaches the cog.
enum Failure {
    NotAnInteger,
    Backend(String),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            // only `increment` casts: a value too big for i64, or not a number at all
            Some(code)
                if *code == SqlState::NUMERIC_VALUE_OUT_OF_RANGE
                    || *code == SqlState::INVALID_TEXT_REPRESENTATION =>
            {
                Failure::NotAnInteger
            }
            _ => Failure::Backend(match e.as_db_error() {
                Some(db) => format!("{}: {}", db.code().code(), db.message()),
                None => e.to_string(),
            }),
        }
    }
}

fn text(bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|_| Failure::Backend("a stored text is not UTF-8".into()))
}

/// `user@host:port/database` of a connection config.
fn describe(pg: &tokio_postgres::Config) -> String {
    let host = match pg.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    let user = pg.get_user().unwrap_or("(default user)");
    let db = pg.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{db}")
}

impl Store for PostgresStore {
    fn get<'a>(&'a self, s: Scope<'a>, key: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(self.run(async move {
            let client = self.client().await?;
            let stmt = client.prepare_cached(GET).await?;
            let row = client
                .query_opt(&stmt, &[&s.cog, &s.guild, &key.as_bytes()])
                .await?;
            row.map(|r| text(r.get(0))).transpose()
        }))
    }

    fn set<'a>(&'a self, s: Scope<'a>, key: &'a str, value: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.run(async move {
            let client = self.client().await?;
            let stmt = client.prepare_cached(SET).await?;
            client
                .execute(
                    &stmt,
                    &[&s.cog, &s.guild, &key.as_bytes(), &value.as_bytes()],
                )
                .await?;
            Ok(())
        }))
    }

    fn delete<'a>(&'a self, s: Scope<'a>, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self.run(async move {
            let client = self.client().await?;
            let stmt = client.prepare_cached(DELETE).await?;
            let n = client
                .execute(&stmt, &[&s.cog, &s.guild, &key.as_bytes()])
                .await?;
            Ok(n > 0)
        }))
    }

    fn increment<'a>(&'a self, s: Scope<'a>, key: &'a str, delta: i64) -> StoreFuture<'a, i64> {
        Box::pin(self.run(async move {
            let client = self.client().await?;
            let stmt = client.prepare_cached(INCREMENT).await?;
            let row = client
                .query_opt(&stmt, &[&s.cog, &s.guild, &key.as_bytes(), &delta])
                .await?;
            row.map(|r| r.get::<_, i64>(0)).ok_or(Failure::NotAnInteger)
        }))
    }

    fn list_prefix<'a>(
        &'a self,
        s: Scope<'a>,
        prefix: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<(String, String)>> {
        Box::pin(self.run(async move {
            // Range scan on the primary key: [prefix, prefix + U+10FFFF), as in SQLite.
            let upper = format!("{prefix}\u{10FFFF}");
            let client = self.client().await?;
            let stmt = client.prepare_cached(LIST_PREFIX).await?;
            let rows = client
                .query(
                    &stmt,
                    &[
                        &s.cog,
                        &s.guild,
                        &prefix.as_bytes(),
                        &upper.as_bytes(),
                        &i64::from(limit),
                    ],
                )
                .await?;
            rows.into_iter()
                .map(|r| Ok((text(r.get(0))?, text(r.get(1))?)))
                .collect()
        }))
    }

    fn count_keys<'a>(&'a self, s: Scope<'a>) -> StoreFuture<'a, u64> {
        Box::pin(self.run(async move {
            let client = self.client().await?;
            let stmt = client.prepare_cached(COUNT_KEYS).await?;
            let row = client.query_one(&stmt, &[&s.cog, &s.guild]).await?;
            Ok(row.get::<_, i64>(0).max(0) as u64)
        }))
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
