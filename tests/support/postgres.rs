//! The PostgreSQL server the store suite's PostgreSQL variants run against: the URL in
//! `ASTRA_TEST_POSTGRES` (`.ci/run` starts a server on 127.0.0.1 and sets it). Each test
//! gets a schema of its own, created empty and dropped afterwards, so tests run in
//! parallel and start from nothing, migrations included.
//!
//! Without the variable the PostgreSQL tests fail and say how to run them, unless
//! `ASTRA_SKIP_POSTGRES=1` says to skip them (a machine with no server).

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the test server, e.g. `postgres://astra@127.0.0.1/astra_test`.
pub const URL_VAR: &str = "ASTRA_TEST_POSTGRES";
/// Set to `1` to skip the PostgreSQL tests when there is no server.
pub const SKIP_VAR: &str = "ASTRA_SKIP_POSTGRES";

/// A fresh, empty schema in the test database; dropped when this is dropped.
pub struct TestDatabase {
    /// the server's URL (the database's default schema)
    pub server: String,
    /// the URL of this test's schema (its `search_path`)
    pub url: String,
    pub schema: String,
}

/// The test server, or `None` (after saying so) when the tests are to be skipped.
/// Panics, saying what to set, when neither variable is set.
pub fn server() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") => {
            eprintln!("skipped: {SKIP_VAR}=1 and no {URL_VAR}");
            None
        }
        _ => panic!(
            "{URL_VAR} is not set: the PostgreSQL half of the store suite needs a server, \
             e.g. {URL_VAR}=postgres://astra@127.0.0.1/astra_test (`.ci/run` installs and \
             starts one; see README, \"Running past one machine\"), or set {SKIP_VAR}=1 \
             to skip these tests on a machine without PostgreSQL"
        ),
    }
}

/// A fresh schema for one test, or `None` when the PostgreSQL tests are skipped.
pub async fn database() -> Option<TestDatabase> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let server = server()?;
    let schema = format!(
        "astra_test_{}_{}_{}",
        std::process::id(),
        astra::event::now_ms(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    execute(&server, &format!("CREATE SCHEMA {schema}")).await;
    let sep = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{sep}options=-csearch_path%3D{schema}");
    Some(TestDatabase {
        server,
        url,
        schema,
    })
}

impl TestDatabase {
    /// Run `sql` in this test's schema.
    pub async fn execute(&self, sql: &str) {
        execute(&self.url, sql).await;
    }

    /// The first column of the first row of `sql` (an integer), in this schema.
    pub async fn number(&self, sql: &str) -> i64 {
        let client = connect(&self.url).await;
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// A connection to this schema (for holding locks and the like).
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Dropped inside a runtime (maybe while unwinding): clean up on a thread of
        // its own with a runtime of its own.
        let server = self.server.clone();
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok((client, conn)) =
                    tokio_postgres::connect(&server, tokio_postgres::NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = client.batch_execute(&sql).await;
                }
            });
        })
        .join();
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test server {URL_VAR}: {e}"));
    tokio::spawn(conn);
    client
}

async fn execute(url: &str, sql: &str) {
    connect(url)
        .await
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
