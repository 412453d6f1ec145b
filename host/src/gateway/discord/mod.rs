//! The Discord gateway: serenity's shards, REST client and rate limiter on one side,
//! the dispatcher on the other. `astra run` starts it when a bot token is configured.
//!
//! - `handler`: serenity's event handler. READY, MESSAGE_CREATE and INTERACTION_CREATE
//!   are translated and forwarded; nothing else happens there.
//! - `events`: Discord's types → our `Message`, `Command` and `Permission`s (pure).
//! - `commands`: registering the slash commands the loaded cogs declare
//!   ([`CommandSync`]) and answering interactions inside Discord's 3-second window.
//! - `actions`: the action queue: each [`Action`](crate::event::Action) becomes a REST
//!   call through serenity's rate limiter; transient failures are retried, and every
//!   outcome's execution is reported as a [`Delivery`].
//!
//! Malformed gateway payloads are logged and skipped by serenity's shard runner, and
//! a dropped connection is resumed (or re-identified) by it; neither reaches us.

mod actions;
mod commands;
mod events;
mod handler;

pub use actions::{Delivery, Failed};
pub use commands::CommandSync;
pub use events::{permissions_from_discord, permissions_to_discord};

use crate::config::{DiscordSettings, Secret, ShardRange};
use crate::dispatch::Dispatcher;
use crate::event::Outcome;
use anyhow::{Context as _, Result};
use serenity::all::{GatewayIntents, GuildId, HttpBuilder};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What the cogs need: guild messages with their content (privileged), and members
/// (privileged) for moderation. `GUILDS` lets serenity see the guild list.
pub const INTENTS: GatewayIntents = GatewayIntents::GUILDS
    .union(GatewayIntents::GUILD_MESSAGES)
    .union(GatewayIntents::MESSAGE_CONTENT)
    .union(GatewayIntents::GUILD_MEMBERS);

/// How the Discord gateway runs. Built from `[discord]` by [`DiscordOptions::new`].
pub struct DiscordOptions {
    pub token: Secret,
    /// register slash commands in this guild (instant) instead of globally
    pub dev_guild: Option<u64>,
    /// channel for `log-to-modlog`; without one those actions are skipped
    pub modlog_channel: Option<u64>,
    /// `None`: as many shards as Discord recommends, all in this process
    pub shards: Option<ShardRange>,
    /// REST calls go to this proxy instead of discord.com (`[discord] rest_proxy`):
    /// several processes on one token then share one view of its rate limits (the
    /// proxy enforces them; serenity's own limiter is off)
    pub rest_proxy: Option<String>,
    /// a slash command whose cog has not answered by then is deferred (Discord
    /// allows 3 s for the first response) and answered with a follow-up
    pub defer_after: Duration,
    /// most outcomes whose actions execute at once; the rest wait in the queue
    pub action_concurrency: usize,
    /// how often the declared commands are compared with what was registered (a
    /// hot swap is noticed even without [`CommandSync::changed`])
    pub command_poll: Duration,
    /// serenity's HTTP client instead of its default (tests: one that resolves
    /// `discord.com` to a loopback fake and trusts its certificate)
    pub http_client: Option<reqwest::Client>,
    /// every executed outcome or command is also reported here
    pub deliveries: Option<mpsc::UnboundedSender<Delivery>>,
}

impl DiscordOptions {
    /// Options from the config's `[discord]` table with `token`.
    pub fn new(settings: &DiscordSettings, token: Secret) -> Self {
        DiscordOptions {
            token,
            dev_guild: settings.dev_guild,
            modlog_channel: settings.modlog_channel,
            shards: settings.shards,
            rest_proxy: settings.rest_proxy.clone(),
            defer_after: Duration::from_millis(1500),
            action_concurrency: 16,
            command_poll: Duration::from_secs(5),
            http_client: None,
            deliveries: None,
        }
    }
}

/// What the handler, the command answerer and the action queue share.
pub(crate) struct Shared {
    dispatcher: Dispatcher,
    actions: actions::ActionQueue,
    sync: CommandSync,
    defer_after: Duration,
    /// the bot's own user id, known from READY (0 until then)
    bot_id: AtomicU64,
}

impl Shared {
    fn bot_id(&self) -> Option<u64> {
        match self.bot_id.load(Ordering::Relaxed) {
            0 => None,
            id => Some(id),
        }
    }
}

/// A connected-but-not-started Discord gateway.
pub struct Discord {
    client: serenity::Client,
    shared: Arc<Shared>,
    options: RunOptions,
    jobs: mpsc::UnboundedReceiver<actions::Job>,
}

struct RunOptions {
    shards: Option<ShardRange>,
    dev_guild: Option<GuildId>,
    modlog_channel: Option<u64>,
    action_concurrency: usize,
    command_poll: Duration,
    deliveries: Option<mpsc::UnboundedSender<Delivery>>,
}

impl Discord {
    /// Build serenity's client (this asks Discord for the gateway URL).
    pub async fn connect(dispatcher: Dispatcher, options: DiscordOptions) -> Result<Discord> {
        let mut http = HttpBuilder::new(options.token.expose());
        if let Some(client) = options.http_client {
            http = http.client(client);
        }
        if let Some(proxy) = &options.rest_proxy {
            // The proxy (twilight-http-proxy, nirn-proxy) keeps the token's rate limits
            // for every process; serenity sends through it only with its own limiter
            // off.
            http = http.proxy(proxy.as_str()).ratelimiter_disabled(true);
        }
        // The executor delivers a CRITICAL message's early outcome at once.
        dispatcher.deliver_early();
        let (jobs_tx, jobs) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            dispatcher,
            actions: actions::ActionQueue::new(jobs_tx),
            sync: CommandSync::new(),
            defer_after: options.defer_after,
            bot_id: AtomicU64::new(0),
        });
        let client = serenity::all::ClientBuilder::new_with_http(http.build(), INTENTS)
            .event_handler(handler::Handler::new(shared.clone()))
            .await
            .context("building the Discord client")?;
        Ok(Discord {
            client,
            shared,
            options: RunOptions {
                shards: options.shards,
                dev_guild: options.dev_guild.map(GuildId::new),
                modlog_channel: options.modlog_channel,
                action_concurrency: options.action_concurrency.max(1),
                command_poll: options.command_poll,
                deliveries: options.deliveries,
            },
            jobs,
        })
    }

    /// The handle hot reload calls after swapping cogs, so the slash commands on
    /// Discord follow the loaded set at once.
    pub fn command_sync(&self) -> CommandSync {
        self.shared.sync.clone()
    }

    /// Run the shards until `shutdown`, executing the actions of every outcome that
    /// arrives on `outcomes`. On shutdown the shards stop first, then the work already
    /// accepted is finished: in-flight messages settle and their actions execute.
    pub async fn run(
        self,
        outcomes: mpsc::UnboundedReceiver<Outcome>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let Discord {
            mut client,
            shared,
            options,
            jobs,
        } = self;
        let http = client.http.clone();
        let (stop_tx, stop_rx) = watch::channel(false);

        let executor = tokio::spawn(actions::run(
            actions::Executor {
                http: http.clone(),
                modlog_channel: options.modlog_channel,
                concurrency: options.action_concurrency,
                deliveries: options.deliveries,
            },
            outcomes,
            jobs,
            stop_rx.clone(),
        ));
        let syncer = tokio::spawn(commands::sync_loop(
            shared.sync.clone(),
            http,
            shared.dispatcher.clone(),
            options.dev_guild,
            options.command_poll,
            stop_rx,
        ));

        let shard_manager = client.shard_manager.clone();
        let shards = async move {
            match options.shards {
                Some(r) => {
                    tracing::info!(
                        "starting shards {}-{} of {} in this process",
                        r.first,
                        r.last,
                        r.total
                    );
                    // serenity's range end is inclusive here
                    client.start_shard_range(r.first..r.last, r.total).await
                }
                None => client.start_autosharded().await,
            }
        };
        let result = tokio::select! {
            r = shards => r.context("the Discord gateway stopped"),
            _ = shutdown => {
                shard_manager.shutdown_all().await;
                Ok(())
            }
        };

        // Let what was already received settle; its actions still execute.
        let dispatcher = &shared.dispatcher;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while dispatcher.ledger().in_flight > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop_tx.send(true);
        executor.await.context("the action queue panicked")?;
        syncer.await.context("the command registrar panicked")?;
        result
    }
}
