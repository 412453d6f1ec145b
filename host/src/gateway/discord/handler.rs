//! serenity's event handler: each gateway event is translated (`events`) and forwarded
//! — a message to the dispatcher, a slash command to `commands::answer`, READY to the
//! command registrar. No policy, no storage, no `unwrap` here. serenity runs each
//! event in its own task, so waiting on the dispatcher's back-pressure is fine.

use super::{commands, events, Shared};
use serenity::all::{Context, EventHandler, Interaction, Message, Ready, ResumedEvent};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub(super) struct Handler {
    shared: Arc<Shared>,
}

impl Handler {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Handler { shared }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(
            shard = ?ready.shard.map(|s| (s.id.0, s.total)),
            guilds = ready.guilds.len(),
            "connected to Discord as {}",
            ready.user.name
        );
        self.shared
            .bot_id
            .store(ready.user.id.get(), Ordering::Relaxed);
        self.shared.sync.ready();
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("Discord session resumed");
    }

    async fn message(&self, _ctx: Context, message: Message) {
        match events::message(&message, self.shared.bot_id()) {
            Ok(message) => self.shared.dispatcher.submit(message).await,
            Err(skip) => tracing::trace!(id = %message.id, "not forwarded: {skip:?}"),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Interaction::Command(interaction) = interaction else {
            return;
        };
        let command = events::command(&interaction);
        commands::answer(&self.shared, &ctx.http, &interaction, command).await;
    }
}
