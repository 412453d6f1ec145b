//! Security, proven on real compiled cogs: a cog cannot read files, open sockets, read
//! environment variables, use imports it was not granted, or see another cog's kv
//! data; every moderator and admin command is refused by the host to an invoker
//! without the permission, before any cog runs; and secrets (the LLM key, the bot
//! token) reach neither a cog nor the log, even when the model's server echoes them.

mod common;
#[path = "support/fake_llm.rs"]
mod fake_llm;

use astra::event::{Action, OutcomeKind, Permission};
use astra::store::Scope;
use common::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

/// Everything any test of this binary logs, at every level (set up once).
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buffer
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What `test-abuser` asks for must be granted explicitly (it is not bundled).
const ABUSER: &str =
    "[cogs.test-abuser]\ngrants = [\"log\", \"kv\", \"config\", \"llm\", \"reply\"]\n";

fn reply_of(o: &astra::event::Outcome, cog: &str) -> String {
    o.actions
        .iter()
        .find_map(|a| match &a.action {
            Action::Reply { content } if a.cog == cog => Some(content.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no reply from {cog}: {o:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_cannot_read_files_open_sockets_read_the_environment_or_use_ungranted_imports() {
    let _log = captured_log();
    // Something worth stealing in the host's environment.
    std::env::set_var("ASTRA_TEST_PROBE_SECRET", "do-not-leak-0xC0FFEE");
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-sneaky"],
        "[cogs.test-sneaky.settings]\ngreeting = \"hi\"\n[llm]\nbackend = \"stand-in\"\nstand_in_delay_ms = 0\n",
    )
    .await;
    h.start();
    h.say("mallory", "probe").await;
    let o = h.one().await;
    assert_eq!(
        o.outcome,
        OutcomeKind::Processed,
        "nothing trapped: {:?}",
        o.error
    );
    let report = reply_of(&o, "test-sneaky");
    let got: BTreeMap<&str, &str> = report.lines().filter_map(|l| l.split_once('=')).collect();
    let failed = |name: &str| {
        let v = got
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from {report}"));
        assert!(v.starts_with("err:"), "{name} must fail: {v}");
    };
    for name in [
        "fs_read_passwd",
        "fs_write",
        "tcp_connect",
        "tcp_listen",
        "udp_bind",
        "dns",
    ] {
        failed(name);
    }
    let listing = got["fs_read_dir"];
    assert!(
        listing.starts_with("err:") || listing == "ok:",
        "no directory to list: {listing}"
    );
    assert_eq!(got["env_vars"], "ok:0:", "no environment variables");
    assert_eq!(got["env_args"], "ok:0:", "no arguments");
    // Imports it was not granted: each says `denied` (or empty), none traps.
    for import in ["kv_get", "kv_set", "cache_set", "llm", "embed"] {
        let v = got[import];
        assert!(
            v.starts_with("err:") && v.ends_with("Denied"),
            "{import}: {v}"
        );
    }
    assert_eq!(
        got["config_all"], "ok:0:[]",
        "the settings are not its to read"
    );
    assert_eq!(got["clock"], "ok:0");
    assert_eq!(got["log"], "ok:returned");
    assert!(
        !report.contains("C0FFEE") && !report.contains("root:"),
        "{report}"
    );
    assert!(
        !String::from_utf8_lossy(&captured_log().lock().unwrap()).contains("sneaky was here"),
        "a cog without `log` does not write to the log"
    );
    let cog = h.app.runtime.cog("test-sneaky").unwrap();
    assert_eq!(cog.stats.crashes.load(Ordering::Relaxed), 0);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cog_cannot_see_another_cogs_kv_or_cache_data() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo", "test-abuser"], ABUSER).await;
    h.start();
    h.say("alice", "hello").await;
    h.one().await;
    // The echo cog's counter and its cached last message are there...
    let echo = Scope {
        cog: "test-echo",
        guild: "local",
    };
    assert_eq!(
        h.app
            .store
            .get(echo, "count:alice")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
    let now = std::time::Instant::now();
    assert_eq!(
        h.app
            .cache
            .get("test-echo", "local", "last:alice", now)
            .as_deref(),
        Some("hello")
    );
    // ...and the other cog, asking for the same keys and listing everything it can,
    // finds nothing of them.
    h.say("alice", "peek").await;
    let o = h.one().await;
    let peek = reply_of(&o, "test-abuser");
    assert_eq!(
        peek, "peek count:alice=None keys=[] last:alice=None",
        "{peek}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_moderator_and_admin_command_is_refused_without_permission_before_any_cog_runs() {
    let dir = tempdir();
    let h = host(
        dir.path(),
        &[],
        "bundled_cogs = true\n[llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n",
    )
    .await;
    let d = h.dispatcher();
    let mut guarded: Vec<(String, Permission)> = h
        .app
        .runtime
        .cogs()
        .iter()
        .flat_map(|c| c.commands.iter().map(|i| (i.name.clone(), i.permission)))
        .chain(
            d.host_commands()
                .all()
                .iter()
                .map(|c| (c.name().to_string(), c.permission())),
        )
        .filter(|(_, p)| *p != Permission::Everyone)
        .collect();
    guarded.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = guarded.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "ban",
        "kick",
        "warn",
        "timeout",
        "purge",
        "clearwarn",
        "warnings",
        "plugins list",
        "plugins reload",
        "plugins enable",
        "plugins disable",
        "plugins rollback",
        "performance",
    ] {
        assert!(
            names.contains(&expected),
            "/{expected} is guarded: {names:?}"
        );
    }
    let calls = |h: &Host| -> u64 {
        h.app
            .runtime
            .cogs()
            .iter()
            .map(|c| c.stats.calls.load(Ordering::Relaxed))
            .sum()
    };
    let before = calls(&h);
    for (name, required) in &guarded {
        // Nothing, and every permission but the one required (and administrator).
        let others: Vec<Permission> = [
            Permission::ManageMessages,
            Permission::ModerateMembers,
            Permission::KickMembers,
            Permission::BanMembers,
            Permission::ManageGuild,
        ]
        .into_iter()
        .filter(|p| p != required)
        .collect();
        for held in [vec![], others] {
            let e = d
                .command(command(name, "mallory", &held, &[]))
                .await
                .expect_err(name);
            assert!(
                matches!(e, astra::dispatch::CommandError::Forbidden { .. }),
                "/{name} with {held:?}: {e}"
            );
            assert!(e.to_string().contains("requires"), "/{name}: {e}");
        }
    }
    assert_eq!(calls(&h), before, "no cog ran for a refused command");
    println!(
        "{} guarded commands refused without permission: {names:?}",
        guarded.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_neither_a_cog_nor_the_log_even_when_the_model_server_echoes_them() {
    const LLM_KEY: &str = "sk-astra-test-9f8e7d6c5b4a39281706";
    const BOT_TOKEN: &str = "MTIzNDU2Nzg5.astra-test-bot-token.xyz";
    let log = captured_log();
    std::env::set_var("ASTRA_TEST_LLM_KEY", LLM_KEY);
    let server = fake_llm::start(fake_llm::Behaviour::EchoCredentials).await;
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-abuser"],
        &format!(
            "[discord]\ntoken = \"{BOT_TOKEN}\"\n{ABUSER}\
             [cogs.test-abuser.settings]\nmood = \"curious\"\n\
             [llm]\nbackend = \"openai\"\nurl = \"{}\"\nmodel = \"m\"\napi_key_env = \"ASTRA_TEST_LLM_KEY\"\ntimeout_ms = 5000\n",
            server.url
        ),
    )
    .await;
    h.start();
    // Everything the cog can read of the config: its own settings only.
    h.say("alice", "dump-config").await;
    let dump = reply_of(&h.one().await, "test-abuser");
    assert!(dump.contains("mood=\"curious\""), "{dump}");
    for secret in [LLM_KEY, BOT_TOKEN, "ASTRA_TEST_LLM_KEY", "api_key", "token"] {
        assert!(!dump.contains(secret), "{secret} in {dump}");
    }
    // The model server answers 401 and repeats the Authorization header it got.
    h.say("alice", "ask anything").await;
    let o = h.one().await;
    assert!(
        server.last_head.lock().unwrap().contains(LLM_KEY),
        "the key was sent to the model server"
    );
    let error = o.error.expect("the cog failed the message");
    assert!(
        error.contains("Incorrect API key") && error.contains("***"),
        "{error}"
    );
    assert!(
        !error.contains(LLM_KEY),
        "the cog never saw the key: {error}"
    );
    h.stop().await;
    assert!(!format!("{:?}", h.app.policy.config()).contains(BOT_TOKEN));
    let logged = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(!logged.is_empty(), "the log was captured");
    assert!(!logged.contains(LLM_KEY), "the key is not in the log");
    assert!(!logged.contains(BOT_TOKEN), "the token is not in the log");
}
