//! Past one machine: `astra run --shards A-B --total-shards N` processes that share one
//! PostgreSQL store behave as one bot. Real `astra` binaries run against the fake
//! Discord (`tests/fake_discord/`, reached through `[discord] rest_proxy`), which
//! delivers each guild's events to the shard Discord would, `(guild_id >> 22) % N`, and
//! against a fresh schema on the PostgreSQL server of `ASTRA_TEST_POSTGRES`
//! (`support/postgres.rs`; skipped only with `ASTRA_SKIP_POSTGRES=1`).
//!
//! The story: process A runs shard 0 and process B shard 1 of 2. A user is warned twice
//! in a guild of shard 0 (by A) and once in a guild of shard 1 (by B). Then A's machine
//! dies (SIGKILL) and a new process C takes over shard 0 — nothing of A's memory
//! survives, only the database. The user's third warning in the shard-0 guild, handled
//! by C, is the third within 24 hours there, so the moderation cog escalates it to a
//! timeout: the count A started was shared. In the shard-1 guild the user has one
//! warning and no timeout: kv stays per guild.

mod fake_discord;
#[path = "support/postgres.rs"]
mod pg;

use fake_discord::{FakeDiscord, GatewayOp};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOTAL_SHARDS: u64 = 2;
/// A guild on shard 0 and one on shard 1 of 2.
const GUILD_0: u64 = 900_000_000_000 << 22;
const GUILD_1: u64 = (900_000_000_001 << 22) + 7;
const CHANNEL_0: u64 = 910_000_000_000_000_001;
const CHANNEL_1: u64 = 910_000_000_000_000_002;
const ALICE: u64 = 920_000_000_000_000_001;

/// One `astra run` process; killed when dropped.
struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Process {
    fn start(name: &'static str, config: &Path, shards: &str) -> Process {
        let log = config.with_file_name(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_astra"))
            .arg("--config")
            .arg(config)
            .args(["--log", "astra=info", "run", "--no-web", "--shards", shards])
            .args(["--total-shards", &TOTAL_SHARDS.to_string()])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("the astra binary starts");
        Process { name, child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kill it (SIGKILL: the machine it ran on is gone).
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait (at most 3 minutes: a first start compiles the bundled cogs) until `ready`,
/// failing at once with its log if a process exits.
async fn until(what: &str, procs: &mut [&mut Process], mut ready: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while !ready().await {
        for p in procs.iter_mut() {
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!(
                    "{} exited ({status}) while waiting for {what}:\n{}",
                    p.name,
                    p.log()
                );
            }
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = procs
                .iter()
                .map(|p| format!("--- {}\n{}", p.name, p.log()))
                .collect();
            panic!("timed out waiting for {what}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn identifies(fake: &FakeDiscord) -> usize {
    fake.ops()
        .iter()
        .filter(|op| matches!(op, GatewayOp::Identify { .. }))
        .count()
}

/// How many of `user`'s infractions of `kind` the moderation cog stored for `guild`.
async fn infractions(db: &pg::TestDatabase, guild: u64, user: u64, kind: &str) -> i64 {
    db.number(&format!(
        "SELECT count(*) FROM astra_kv WHERE cog = 'moderation' AND guild = '{guild}' \
         AND convert_from(key, 'UTF8') LIKE 'inf:{user}:%' \
         AND convert_from(value, 'UTF8')::jsonb ->> 'kind' = '{kind}'"
    ))
    .await
}

/// The analytics cog's count of `act:<kind>` in `guild` (0 when absent).
async fn analytics(db: &pg::TestDatabase, guild: u64, kind: &str) -> i64 {
    db.number(&format!(
        "SELECT coalesce(max(convert_from(value, 'UTF8')::int8), 0) FROM astra_kv \
         WHERE cog = 'analytics' AND guild = '{guild}' AND key = convert_to('act:{kind}', 'UTF8')"
    ))
    .await
}

fn timeouts_of(fake: &FakeDiscord, guild: u64, user: u64) -> usize {
    let path = format!("/guilds/{guild}/members/{user}");
    fake.requests()
        .iter()
        .filter(|r| {
            r.method == "PATCH"
                && r.path.starts_with(&path)
                && !r.limited
                && r.body["communication_disabled_until"].is_string()
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_different_shards_share_escalation_counts_and_kv_through_postgres() {
    let Some(db) = pg::database().await else {
        return;
    };
    assert_eq!(FakeDiscord::shard_of(GUILD_0, TOTAL_SHARDS), 0);
    assert_eq!(FakeDiscord::shard_of(GUILD_1, TOTAL_SHARDS), 1);
    let fake = FakeDiscord::start().await;
    let dir = tempfile::Builder::new()
        .prefix("astra-shards-")
        .tempdir()
        .unwrap();
    let config = dir.path().join("astra.toml");
    std::fs::write(
        &config,
        format!(
            "bundled_cogs = true\nplugin_dir = \"no-plugins\"\ncache_dir = \"cache\"\n\
             store = \"{}\"\n\
             [llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n\
             [discord]\ntoken = \"fake-token\"\nrest_proxy = \"{}\"\n",
            db.url,
            fake.rest_proxy_url()
        ),
    )
    .unwrap();

    // A runs shard 0, then B shard 1 (after A, so B finds the cogs compiled).
    let mut a = Process::start("process A (shard 0)", &config, "0-0");
    until(
        "process A to identify as shard 0",
        &mut [&mut a],
        async || fake.shard_connected(0),
    )
    .await;
    let mut b = Process::start("process B (shard 1)", &config, "1-1");
    until(
        "process B to identify as shard 1",
        &mut [&mut a, &mut b],
        async || fake.shard_connected(1),
    )
    .await;

    // Two warnings in the shard-0 guild (handled by A), one in the shard-1 guild (B).
    fake.message_in(
        GUILD_0,
        CHANNEL_0,
        ALICE,
        "alice",
        "This server fucking sucks!",
    );
    until(
        "A to record the first warning",
        &mut [&mut a, &mut b],
        async || infractions(&db, GUILD_0, ALICE, "warn").await == 1,
    )
    .await;
    fake.message_in(
        GUILD_0,
        CHANNEL_0,
        ALICE,
        "alice",
        "shut the fuck up, all of you",
    );
    fake.message_in(
        GUILD_1,
        CHANNEL_1,
        ALICE,
        "alice",
        "This server fucking sucks!",
    );
    until(
        "A and B to record their warnings",
        &mut [&mut a, &mut b],
        async || {
            infractions(&db, GUILD_0, ALICE, "warn").await == 2
                && infractions(&db, GUILD_1, ALICE, "warn").await == 1
        },
    )
    .await;
    assert_eq!(
        timeouts_of(&fake, GUILD_0, ALICE),
        0,
        "two warnings do not escalate"
    );

    // A's machine dies; C takes over shard 0 with nothing but the database.
    a.kill();
    let before = identifies(&fake);
    let mut c = Process::start("process C (shard 0, after A)", &config, "0-0");
    until(
        "process C to identify as shard 0",
        &mut [&mut b, &mut c],
        async || identifies(&fake) > before && fake.shard_connected(0),
    )
    .await;

    // The third warning in 24 hours in the shard-0 guild: C escalates to a timeout.
    fake.message_in(
        GUILD_0,
        CHANNEL_0,
        ALICE,
        "alice",
        "what the fuck is this bot",
    );
    until(
        "C to time alice out in the shard-0 guild",
        &mut [&mut b, &mut c],
        async || timeouts_of(&fake, GUILD_0, ALICE) == 1,
    )
    .await;
    until(
        "C to record the timeout",
        &mut [&mut b, &mut c],
        async || infractions(&db, GUILD_0, ALICE, "timeout").await == 1,
    )
    .await;
    assert_eq!(infractions(&db, GUILD_0, ALICE, "warn").await, 3);
    // Analytics counted A's warnings and C's in one counter.
    until(
        "analytics to count three warnings",
        &mut [&mut b, &mut c],
        async || analytics(&db, GUILD_0, "warn").await == 3,
    )
    .await;

    // The shard-1 guild keeps its own count: one warning, no timeout.
    assert_eq!(infractions(&db, GUILD_1, ALICE, "warn").await, 1);
    assert_eq!(infractions(&db, GUILD_1, ALICE, "timeout").await, 0);
    assert_eq!(timeouts_of(&fake, GUILD_1, ALICE), 0);
    assert_eq!(analytics(&db, GUILD_1, "warn").await, 1);

    for p in [b, c] {
        let log = p.log();
        assert!(log.contains("store: PostgreSQL astra"), "{}: {log}", p.name);
        assert!(
            !log.lines()
                .any(|l| l.contains("store: PostgreSQL") && l.contains("failed")),
            "{}: {log}",
            p.name
        );
    }
}
