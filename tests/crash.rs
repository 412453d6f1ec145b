//! Crash safety of the store: the `astra` binary is fed messages through a pipe while
//! the echo cog counts them in `kv`, and is killed with SIGKILL mid-stream, three times
//! over. Every count the host reported (an outcome line says `(#n)` only after the
//! write committed) is in the SQLite file afterwards, `PRAGMA integrity_check` says
//! `ok`, and the next start carries on counting from there.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const USERS: usize = 40;

fn setup() -> tempfile::TempDir {
    let dir = common::tempdir();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(common::cog_path("test-echo"), plugins.join("echo.wasm")).unwrap();
    std::fs::write(
        dir.path().join("astra.toml"),
        format!(
            "bundled_cogs = false\ncache_dir = \"{}\"\n[llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n",
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    dir
}

fn replay(dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_astra"))
        .arg("--config")
        .arg(dir.join("astra.toml"))
        .args(["replay", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// `(#n)` at the end of an echo reply.
fn count_in(reply: &str) -> Option<u64> {
    let start = reply.rfind("(#")? + 2;
    reply[start..].trim_end_matches(')').parse().ok()
}

/// Run the host, feed it messages without pause (more than it can take: some are
/// shed), and SIGKILL it once `kill_after` processed outcomes were read. Returns the
/// highest count reported per user, and how many writes were reported.
fn run_and_kill(
    dir: &std::path::Path,
    round: usize,
    kill_after: usize,
) -> (HashMap<String, u64>, u64) {
    let mut child = replay(dir);
    let mut stdin = child.stdin.take().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let feeding = stop.clone();
    let feeder = std::thread::spawn(move || {
        let mut i = 0usize;
        while !feeding.load(Ordering::Relaxed) {
            let line = format!(
                "{{\"user\":\"u{}\",\"content\":\"hello {round}-{i}\",\"id\":\"r{round}-{i}\"}}\n",
                i % USERS
            );
            if stdin.write_all(line.as_bytes()).is_err() {
                break; // the host is gone
            }
            i += 1;
        }
    });
    let mut reported: HashMap<String, u64> = HashMap::new();
    let mut writes = 0u64;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["outcome"] == "processed" {
            let reply = v["actions"][0]["content"].as_str().unwrap();
            let n = count_in(reply).unwrap();
            let user = v["user"].as_str().unwrap().to_string();
            let best = reported.entry(user).or_default();
            *best = (*best).max(n);
            writes += 1;
        }
        if writes as usize == kill_after {
            child.kill().unwrap(); // SIGKILL: no shutdown, no flush
            break;
        }
    }
    let status = child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    feeder.join().unwrap();
    assert!(!status.success(), "killed, not exited: {status:?}");
    (reported, writes)
}

fn stored_counts(db: &std::path::Path) -> HashMap<String, u64> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "the store is not corrupt");
    let mut stmt = conn
        .prepare("SELECT key, value FROM kv WHERE cog = 'test-echo' AND guild = 'local'")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(|r| r.unwrap())
        .filter_map(|(k, v)| Some((k.strip_prefix("count:")?.to_string(), v.parse().ok()?)))
        .collect()
}

#[test]
fn every_write_reported_before_a_kill_9_is_there_after_restart_and_the_file_is_sound() {
    let dir = setup();
    let db = dir.path().join("astra.db");
    let mut total_reported = 0u64;
    for (round, kill_after) in [(0, 600), (1, 250), (2, 1000)] {
        let (reported, writes) = run_and_kill(dir.path(), round, kill_after);
        assert!(!reported.is_empty(), "round {round}: nothing was processed");
        let stored = stored_counts(&db);
        for (user, n) in &reported {
            let have = stored.get(user).copied().unwrap_or(0);
            assert!(
                have >= *n,
                "round {round}: {user} was reported at #{n} but the store has {have}"
            );
        }
        total_reported += writes;
    }
    // A clean run after the kills carries on from what was stored.
    let before = stored_counts(&db);
    let mut child = replay(dir.path());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"user\":\"u1\",\"content\":\"after the crashes\",\"id\":\"last\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    let n = count_in(line["actions"][0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        n,
        before["u1"] + 1,
        "counting goes on from the stored value"
    );
    println!(
        "crash: 3 SIGKILLs mid-stream; all {} writes reported before them were in the store; integrity_check ok",
        total_reported
    );
}
