//! End-to-end tests of the Discord gateway: the real serenity client — shards, REST
//! client, rate limiter — against a fake Discord on 127.0.0.1 (`tests/fake_discord/`),
//! with the five bundled cogs and a real SQLite store. Nothing leaves the machine:
//! serenity's reqwest client resolves `discord.com` to the fake's TLS port, and the
//! gateway URL is the one the fake hands out.

mod common;
mod fake_discord;

use astra::config::{DiscordSettings, Secret, ShardRange};
use astra::gateway::discord::{CommandSync, Delivery, Discord, DiscordOptions, INTENTS};
use fake_discord::{FakeDiscord, GatewayOp, CHANNEL_ID, GUILD_ID};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

const BUNDLED: &str =
    "bundled_cogs = true\n[llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n";
const MODLOG: u64 = 900_000_000_000_000_099;
/// MODERATE_MEMBERS | KICK_MEMBERS | BAN_MEMBERS | MANAGE_MESSAGES
const MODERATOR: u64 = (1 << 40) | (1 << 1) | (1 << 2) | (1 << 13);

struct Bot {
    fake: FakeDiscord,
    host: common::Host,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    sync: CommandSync,
    stop: Option<oneshot::Sender<()>>,
    gateway: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

struct Setup {
    defer_after: Duration,
    dev_guild: bool,
    shards: Option<ShardRange>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            defer_after: Duration::from_millis(1500),
            dev_guild: true,
            shards: None,
        }
    }
}

/// A host with the bundled cogs, connected through serenity to a fresh fake Discord.
async fn bot(setup: Setup) -> Bot {
    // `RUST_LOG=serenity=debug,astra=debug` shows the rate limiter and the adapter at work.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = common::tempdir();
    let fake = FakeDiscord::start().await;
    let mut host = common::host(dir.path(), &[], BUNDLED).await;
    host.start();
    let outcomes = std::mem::replace(&mut host.outcomes, mpsc::unbounded_channel().1);
    let (tx, deliveries) = mpsc::unbounded_channel();
    let settings = DiscordSettings {
        dev_guild: setup.dev_guild.then_some(GUILD_ID),
        modlog_channel: Some(MODLOG),
        shards: setup.shards,
        ..DiscordSettings::default()
    };
    let mut options = DiscordOptions::new(&settings, Secret::new("fake-token"));
    options.http_client = Some(fake.http_client());
    options.deliveries = Some(tx);
    options.defer_after = setup.defer_after;
    options.command_poll = Duration::from_millis(200);
    let discord = Discord::connect(host.dispatcher(), options)
        .await
        .expect("serenity builds against the fake");
    let sync = discord.command_sync();
    let (stop, stopped) = oneshot::channel::<()>();
    let gateway = tokio::spawn(discord.run(outcomes, async {
        let _ = stopped.await;
    }));
    fake.wait_sessions(1).await;
    Bot {
        fake,
        host,
        deliveries,
        sync,
        stop: Some(stop),
        gateway: Some(gateway),
        _dir: dir,
    }
}

impl Bot {
    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.gateway.take().unwrap().await.unwrap().unwrap();
        self.host.stop().await;
    }

    /// The next delivery of `source` (a message id or `/name`).
    async fn delivery(&mut self, source: &str) -> Delivery {
        let wait = async {
            loop {
                let d = self.deliveries.recv().await.expect("deliveries open");
                if d.source == source {
                    return d;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .unwrap_or_else(|_| panic!("no delivery for {source}"))
    }
}

fn user_option(name: &str, id: u64) -> Value {
    json!({"name": name, "type": 6, "value": id.to_string()})
}

fn text_option(name: &str, text: &str) -> Value {
    json!({"name": name, "type": 3, "value": text})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_ready_the_cogs_slash_commands_are_registered_in_the_dev_guild() {
    let bot = bot(Setup::default()).await;
    let put = bot
        .fake
        .wait_for("PUT", &format!("/guilds/{GUILD_ID}/commands"))
        .await;
    let commands = put.body.as_array().unwrap();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "warn", "warnings", "timeout", "kick", "ban", "purge", "stats", "help", "automod",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let automod = commands.iter().find(|c| c["name"] == "automod").unwrap();
    assert!(
        automod["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["type"] == 1 && o["name"] == "test"),
        "/automod test is a subcommand: {automod}"
    );
    let warn = commands.iter().find(|c| c["name"] == "warn").unwrap();
    assert_eq!(warn["default_member_permissions"], (1u64 << 40).to_string());
    match &bot.fake.ops()[0] {
        GatewayOp::Identify { intents, shard } => {
            assert_eq!(*intents, INTENTS.bits());
            assert_eq!(shard, &json!([0, 1]));
        }
        other => panic!("expected IDENTIFY, got {other:?}"),
    }
    // Unchanged commands are not registered again; a hot swap's nudge re-checks.
    bot.sync.changed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let puts = bot
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/commands"))
        .count();
    assert_eq!(puts, 1);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_dev_guild_the_commands_are_registered_globally() {
    let bot = bot(Setup {
        dev_guild: false,
        ..Setup::default()
    })
    .await;
    let put = bot
        .fake
        .wait_for(
            "PUT",
            &format!("/applications/{}/commands", fake_discord::APP_ID),
        )
        .await;
    assert!(!put.body.as_array().unwrap().is_empty());
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abusive_message_is_deleted_and_its_author_warned() {
    let mut bot = bot(Setup::default()).await;
    let id = bot
        .fake
        .message(4242, "User1", "This server fucking sucks!");
    bot.fake
        .wait_for("DELETE", &format!("/channels/{CHANNEL_ID}/messages/{id}"))
        .await;
    bot.fake
        .wait_until("the warning", |r, _| {
            r.iter().any(|r| {
                r.method == "POST"
                    && r.path == format!("/channels/{CHANNEL_ID}/messages")
                    && r.body["content"].as_str().unwrap_or("").contains("<@4242>")
            })
        })
        .await;
    let delivery = bot.delivery(&id.to_string()).await;
    assert!(delivery.failed.is_empty(), "{:?}", delivery.failed);
    let kinds: Vec<&str> = delivery.done.iter().map(|a| a.action.kind()).collect();
    assert!(
        kinds.contains(&"delete-message") && kinds.contains(&"warn"),
        "{kinds:?}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_of_the_bot_gets_a_reply_to_that_message() {
    let bot = bot(Setup::default()).await;
    let id = bot.fake.message(
        77,
        "User6",
        &format!("<@{}> tell me about space", fake_discord::BOT_ID),
    );
    bot.fake
        .wait_until("a reply", |r, _| {
            r.iter().any(|r| {
                r.method == "POST"
                    && r.body["message_reference"]["message_id"] == json!(id.to_string())
            })
        })
        .await;
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_addressed_to_the_bot_gets_its_care_reply_before_the_companion_answers() {
    let mut bot = bot(Setup::default()).await;
    // The care reply's mod-log post is slow: the companion's answer, ready at once,
    // must still wait for the early outcome's job.
    bot.fake.slow(
        "POST",
        &format!("/channels/{MODLOG}/messages"),
        Duration::from_millis(500),
    );
    let id = bot.fake.message(
        88,
        "User7",
        &format!("<@{}> I want to kill myself", fake_discord::BOT_ID),
    );
    // Two deliveries for the one message, in order: security's care reply (the early
    // outcome), then the companion's answer (the rest of the settled outcome, which
    // waits for the early job); nothing is delivered twice.
    let cogs_kinds = |d: &Delivery| -> Vec<(String, &'static str)> {
        assert!(d.failed.is_empty(), "{:?}", d.failed);
        d.done
            .iter()
            .map(|a| (a.cog.clone(), a.action.kind()))
            .collect()
    };
    let early = cogs_kinds(&bot.delivery(&id.to_string()).await);
    assert!(early.contains(&("security".into(), "reply")), "{early:?}");
    assert!(
        !early.iter().any(|(cog, _)| cog == "ai-companion"),
        "{early:?}"
    );
    let rest = cogs_kinds(&bot.delivery(&id.to_string()).await);
    assert_eq!(
        rest,
        vec![("ai-companion".to_string(), "reply")],
        "{rest:?}"
    );
    // Both were posted to Discord as replies to the member's message, care first.
    bot.fake
        .wait_until("two replies to the message, care first", |r, _| {
            let replies: Vec<&str> = r
                .iter()
                .filter(|r| {
                    r.method == "POST"
                        && r.body["message_reference"]["message_id"] == json!(id.to_string())
                })
                .map(|r| r.body["content"].as_str().unwrap_or(""))
                .collect();
            replies.len() == 2 && replies[0].contains("You matter")
        })
        .await;
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warn_command_is_answered_and_the_warning_is_stored() {
    let mut bot = bot(Setup::default()).await;
    let id = bot.fake.command(
        555,
        MODERATOR,
        "warn",
        json!([
            user_option("user", 123),
            text_option("reason", "spamming links")
        ]),
    );
    let callback = bot
        .fake
        .wait_for("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    assert_eq!(callback.body["type"], 4, "{}", callback.body);
    let content = callback.body["data"]["content"].as_str().unwrap();
    assert!(content.contains("Warned <@123>"), "{content}");
    // the warn action: the member is told in the channel
    let delivery = bot.delivery("/warn").await;
    assert!(delivery.failed.is_empty(), "{:?}", delivery.failed);
    assert!(delivery.done.iter().any(|a| a.action.kind() == "warn"));

    let id = bot.fake.command(
        555,
        MODERATOR,
        "warnings",
        json!([user_option("user", 123)]),
    );
    let callback = bot
        .fake
        .wait_for("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    let content = callback.body["data"]["content"].as_str().unwrap();
    assert!(content.contains("spamming links"), "{content}");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_command_is_deferred_then_followed_up() {
    let bot = bot(Setup {
        defer_after: Duration::ZERO,
        ..Setup::default()
    })
    .await;
    let id = bot.fake.command(
        555,
        MODERATOR,
        "warn",
        json!([user_option("user", 321), text_option("reason", "caps")]),
    );
    let callback = bot
        .fake
        .wait_for("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    assert_eq!(
        callback.body["type"], 5,
        "deferred first: {}",
        callback.body
    );
    let edit = bot
        .fake
        .wait_for("PATCH", &format!("/token-{id}/messages/@original"))
        .await;
    assert!(edit.body["content"]
        .as_str()
        .unwrap()
        .contains("Warned <@321>"));
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_needs_the_invokers_discord_permission() {
    let bot = bot(Setup::default()).await;
    let id = bot.fake.command(
        556,
        1 << 11, // SEND_MESSAGES only
        "ban",
        json!([user_option("user", 9), text_option("reason", "no")]),
    );
    let callback = bot
        .fake
        .wait_for("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    let data = &callback.body["data"];
    assert_eq!(data["flags"], 64, "refusals are ephemeral: {data}");
    assert!(
        data["content"].as_str().unwrap().contains("BanMembers"),
        "{data}"
    );
    assert!(!bot
        .fake
        .requests()
        .iter()
        .any(|r| r.path.contains("/bans/")));
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderation_commands_reach_the_member_ban_and_bulk_delete_routes() {
    let mut bot = bot(Setup::default()).await;
    let fake = bot.fake.clone();
    fake.command(
        555,
        MODERATOR,
        "timeout",
        json!([user_option("user", 11), {"name": "minutes", "type": 4, "value": 10}, text_option("reason", "cool down")]),
    );
    let patch = fake
        .wait_for("PATCH", &format!("/guilds/{GUILD_ID}/members/11"))
        .await;
    assert!(
        patch.body["communication_disabled_until"].is_string(),
        "{}",
        patch.body
    );
    fake.command(
        555,
        MODERATOR,
        "kick",
        json!([user_option("user", 12), text_option("reason", "bye")]),
    );
    fake.wait_for("DELETE", &format!("/guilds/{GUILD_ID}/members/12"))
        .await;
    fake.command(
        555,
        MODERATOR,
        "ban",
        json!([user_option("user", 13), text_option("reason", "raid")]),
    );
    fake.wait_for("PUT", &format!("/guilds/{GUILD_ID}/bans/13"))
        .await;
    fake.command(
        555,
        MODERATOR,
        "purge",
        json!([{"name": "count", "type": 4, "value": 5}]),
    );
    fake.wait_for("GET", &format!("/channels/{CHANNEL_ID}/messages?"))
        .await;
    let bulk = fake
        .wait_for(
            "POST",
            &format!("/channels/{CHANNEL_ID}/messages/bulk-delete"),
        )
        .await;
    assert_eq!(bulk.body["messages"].as_array().unwrap().len(), 5);
    // the moderation cog logs to the configured mod-log channel
    fake.wait_for("POST", &format!("/channels/{MODLOG}/messages"))
        .await;
    let purge = bot.delivery("/purge").await;
    assert!(purge.failed.is_empty(), "{:?}", purge.failed);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_discord_refuses_is_reported_failed_and_the_answer_still_sent() {
    let mut bot = bot(Setup::default()).await;
    bot.fake.refuse("PUT", "/bans/");
    let id = bot.fake.command(
        555,
        MODERATOR,
        "ban",
        json!([user_option("user", 14), text_option("reason", "raid")]),
    );
    bot.fake
        .wait_for("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    let delivery = bot.delivery("/ban").await;
    let failed: Vec<(&str, &str)> = delivery
        .failed
        .iter()
        .map(|f| (f.action.action.kind(), f.error.as_str()))
        .collect();
    assert!(
        failed
            .iter()
            .any(|(kind, error)| *kind == "ban" && error.contains("Missing Permissions")),
        "{failed:?}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_actions_under_429s_is_all_delivered() {
    let mut bot = bot(Setup::default()).await;
    bot.fake.rate_limit_every(3);
    let ids: Vec<u64> = (0..50)
        .map(|i| {
            bot.fake.message(
                10_000 + i,
                &format!("Raider{i}"),
                "discord.gg/spam-link join now",
            )
        })
        .collect();
    let fake = bot.fake.clone();
    let expected = ids.clone();
    fake.wait_until("every delete and warning delivered", move |r, _| {
        expected.iter().all(|id| {
            r.iter().any(|r| {
                r.method == "DELETE" && !r.limited && r.path.ends_with(&format!("/messages/{id}"))
            })
        }) && r
            .iter()
            .filter(|r| {
                r.method == "POST"
                    && !r.limited
                    && r.path == format!("/channels/{CHANNEL_ID}/messages")
            })
            .count()
            >= expected.len()
    })
    .await;
    assert!(
        fake.requests().iter().any(|r| r.limited),
        "the fake did answer with 429s"
    );
    let mut pending: std::collections::HashSet<String> = ids.iter().map(u64::to_string).collect();
    while !pending.is_empty() {
        let d = tokio::time::timeout(Duration::from_secs(20), bot.deliveries.recv())
            .await
            .expect("every message's actions are reported")
            .unwrap();
        if pending.remove(&d.source) {
            assert!(d.failed.is_empty(), "{}: {:?}", d.source, d.failed);
        }
    }
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_payload_is_skipped_and_the_connection_keeps_working() {
    let bot = bot(Setup::default()).await;
    bot.fake.send_raw("{this is not json");
    bot.fake.dispatch(
        "MESSAGE_CREATE",
        json!({"id": "not-a-snowflake", "content": 5}),
    );
    let id = bot
        .fake
        .message(4243, "User2", "This server fucking sucks!");
    bot.fake
        .wait_for("DELETE", &format!("/channels/{CHANNEL_ID}/messages/{id}"))
        .await;
    assert_eq!(bot.fake.ops().len(), 1, "no reconnect was needed");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_resumed() {
    let bot = bot(Setup::default()).await;
    bot.fake.drop_connection();
    bot.fake.wait_sessions(2).await;
    match &bot.fake.ops()[1] {
        GatewayOp::Resume { session_id, seq } => {
            assert_eq!(session_id, "fake-session");
            assert!(*seq >= 1);
        }
        other => panic!("expected RESUME, got {other:?}"),
    }
    let id = bot
        .fake
        .message(4244, "User3", "This server fucking sucks!");
    bot.fake
        .wait_for("DELETE", &format!("/channels/{CHANNEL_ID}/messages/{id}"))
        .await;
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_shard_range_identifies_as_those_shards() {
    let bot = bot(Setup {
        shards: Some(ShardRange {
            first: 1,
            last: 1,
            total: 2,
        }),
        ..Setup::default()
    })
    .await;
    match &bot.fake.ops()[0] {
        GatewayOp::Identify { shard, .. } => assert_eq!(shard, &json!([1, 2])),
        other => panic!("expected IDENTIFY, got {other:?}"),
    }
    bot.shutdown().await;
}
