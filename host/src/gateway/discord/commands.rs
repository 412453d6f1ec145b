//! Slash commands on Discord: registering the ones the loaded cogs (and the host)
//! declare, and answering invocations.
//!
//! Registration is a bulk overwrite — the guild's commands when a dev guild is
//! configured (instant), the global ones otherwise — made by one task
//! ([`sync_loop`]) at READY, whenever [`CommandSync::changed`] is called (hot reload),
//! and when a periodic comparison finds the declared set changed. A name with a space
//! becomes a subcommand (`"automod test"`), with two spaces a subcommand in a group.
//!
//! Answering: Discord wants a first response within 3 seconds. A cog that answers
//! within `defer_after` gets a direct reply; otherwise the interaction is deferred and
//! the answer follows. The host re-checks the invoker's permissions
//! (`Dispatcher::command`); the default member permissions registered here only hide
//! the command from members who cannot use it.

use super::actions::{Job, Target};
use super::events::permissions_to_discord;
use super::Shared;
use crate::dispatch::{Dispatcher, MAX_TEXT};
use crate::event::{Command, CommandResponse, Permission};
use crate::runtime::bindings::types::{OptionKind, OptionSpec};
use serenity::all::{
    CommandInteraction, CommandOptionType, CreateAllowedMentions, CreateCommand,
    CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, GuildId, Http,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Asks the registrar to bring Discord's slash commands in line with the loaded cogs.
/// Cheap to clone; hot reload calls [`CommandSync::changed`] after a swap.
#[derive(Clone)]
pub struct CommandSync {
    inner: Arc<SyncInner>,
}

struct SyncInner {
    wake: Notify,
    /// a shard has seen READY, so the application id is known
    ready: AtomicBool,
}

impl Default for CommandSync {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandSync {
    pub fn new() -> Self {
        CommandSync {
            inner: Arc::new(SyncInner {
                wake: Notify::new(),
                ready: AtomicBool::new(false),
            }),
        }
    }

    /// The set of cogs changed: register the commands again (if they differ).
    pub fn changed(&self) {
        self.inner.wake.notify_one();
    }

    pub(super) fn ready(&self) {
        self.inner.ready.store(true, Ordering::Release);
        self.inner.wake.notify_one();
    }
}

/// One slash command as declared by a cog or the host.
#[derive(Debug, Clone)]
struct Declared {
    name: String,
    description: String,
    permission: Permission,
    options: Vec<OptionSpec>,
}

fn declared(dispatcher: &Dispatcher) -> Vec<Declared> {
    let mut out: BTreeMap<String, Declared> = BTreeMap::new();
    for cog in dispatcher.runtime().cogs().iter() {
        for c in &cog.commands {
            out.entry(c.name.clone()).or_insert_with(|| Declared {
                name: c.name.clone(),
                description: c.description.clone(),
                permission: c.permission,
                options: c.options.clone(),
            });
        }
    }
    // The host's own commands are asked first by the dispatcher, so they win a clash.
    for h in dispatcher.host_commands().all() {
        out.insert(
            h.name().to_string(),
            Declared {
                name: h.name().to_string(),
                description: h.description().to_string(),
                permission: h.permission(),
                options: h.options(),
            },
        );
    }
    out.into_values().collect()
}

/// Discord's rules for command and option names: 1–32 lowercase letters, digits, `-`, `_`.
fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && name.chars().all(|c| {
            c == '-' || c == '_' || c.is_numeric() || (c.is_alphabetic() && !c.is_uppercase())
        })
}

fn description(text: &str, fallback: &str) -> String {
    let text = if text.trim().is_empty() {
        fallback
    } else {
        text.trim()
    };
    text.chars().take(100).collect()
}

fn option(spec: &OptionSpec) -> CreateCommandOption {
    let kind = match spec.kind {
        OptionKind::Text => CommandOptionType::String,
        OptionKind::Integer => CommandOptionType::Integer,
        OptionKind::Boolean => CommandOptionType::Boolean,
        OptionKind::User => CommandOptionType::User,
        OptionKind::Channel => CommandOptionType::Channel,
    };
    CreateCommandOption::new(kind, &spec.name, description(&spec.description, &spec.name))
        .required(spec.required)
}

/// Options in Discord's order (required first), at most 25; invalid names dropped.
fn options(d: &Declared) -> Vec<CreateCommandOption> {
    let mut specs: Vec<&OptionSpec> = d.options.iter().collect();
    specs.sort_by_key(|s| !s.required);
    specs
        .into_iter()
        .filter(|s| {
            let ok = valid_name(&s.name);
            if !ok {
                tracing::warn!(
                    "/{}: option `{}` is not a valid Discord name; left out",
                    d.name,
                    s.name
                );
            }
            ok
        })
        .take(25)
        .map(option)
        .collect()
}

/// The commands to register, grouped into subcommands; what cannot be registered is
/// logged and left out.
fn build(declared: &[Declared]) -> Vec<CreateCommand> {
    let mut groups: BTreeMap<&str, Vec<(Vec<&str>, &Declared)>> = BTreeMap::new();
    for d in declared {
        let words: Vec<&str> = d.name.split_whitespace().collect();
        if words.is_empty() || words.len() > 3 || !words.iter().all(|w| valid_name(w)) {
            tracing::warn!(
                "/{}: not a valid Discord command name (1-3 lowercase words of at most 32 \
                 characters); not registered",
                d.name
            );
            continue;
        }
        groups
            .entry(words[0])
            .or_default()
            .push((words[1..].to_vec(), d));
    }
    let mut out = Vec::new();
    for (top, entries) in groups {
        let (bare, subs): (Vec<_>, Vec<_>) =
            entries.into_iter().partition(|(rest, _)| rest.is_empty());
        if subs.is_empty() {
            let d = bare[0].1;
            let mut c = CreateCommand::new(top).description(description(&d.description, top));
            if let Some(bits) = permissions_to_discord(d.permission) {
                c = c.default_member_permissions(bits);
            }
            out.push(options(d).into_iter().fold(c, CreateCommand::add_option));
            continue;
        }
        if !bare.is_empty() {
            tracing::warn!("/{top} has subcommands, so Discord cannot invoke /{top} itself");
        }
        let mut c = CreateCommand::new(top).description(format!("/{top} commands"));
        // One default permission covers the whole command: the subcommands' own if they
        // agree, else none (each subcommand is still checked by the host).
        let mut perms = subs.iter().map(|(_, d)| d.permission);
        let first = perms.next();
        if let Some(p) = first.filter(|p| perms.all(|q| q == *p)) {
            if let Some(bits) = permissions_to_discord(p) {
                c = c.default_member_permissions(bits);
            }
        }
        let mut groups: BTreeMap<&str, CreateCommandOption> = BTreeMap::new();
        for (rest, d) in subs {
            let leaf = rest[rest.len() - 1];
            let sub = options(d).into_iter().fold(
                CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    leaf,
                    description(&d.description, leaf),
                ),
                CreateCommandOption::add_sub_option,
            );
            if rest.len() == 1 {
                c = c.add_option(sub);
            } else {
                let group = groups.remove(rest[0]).unwrap_or_else(|| {
                    CreateCommandOption::new(
                        CommandOptionType::SubCommandGroup,
                        rest[0],
                        format!("/{top} {} commands", rest[0]),
                    )
                });
                groups.insert(rest[0], group.add_sub_option(sub));
            }
        }
        out.push(groups.into_values().fold(c, CreateCommand::add_option));
    }
    out
}

/// The registrar: the only task that registers commands, so what was registered last
/// (`last`) needs no lock. Wakes at READY, on [`CommandSync::changed`] and every `poll`.
pub(super) async fn sync_loop(
    sync: CommandSync,
    http: Arc<Http>,
    dispatcher: Dispatcher,
    dev_guild: Option<GuildId>,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut last: Option<String> = None;
    loop {
        tokio::select! {
            _ = sync.inner.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if !sync.inner.ready.load(Ordering::Acquire) {
            continue;
        }
        let commands = build(&declared(&dispatcher));
        let fingerprint = serde_json::to_string(&commands).unwrap_or_default();
        if last.as_deref() == Some(fingerprint.as_str()) {
            continue;
        }
        let n = commands.len();
        let result = match dev_guild {
            Some(guild) => guild.set_commands(&http, commands).await,
            None => serenity::all::Command::set_global_commands(&http, commands).await,
        };
        match result {
            Ok(_) => {
                let scope = dev_guild.map_or("globally".to_string(), |g| format!("in guild {g}"));
                tracing::info!("registered {n} slash commands {scope}");
                last = Some(fingerprint);
            }
            // `last` stays as it was: the next wake or poll tries again.
            Err(e) => tracing::warn!("registering slash commands failed: {e}"),
        }
    }
}

/// Answer one slash command: run it, reply within Discord's window (deferring if the
/// cog is slow), then queue the actions it returned.
pub(super) async fn answer(
    shared: &Shared,
    http: &Arc<Http>,
    interaction: &CommandInteraction,
    command: Result<Command, String>,
) {
    let command = match command {
        Ok(c) => c,
        Err(why) => {
            tracing::warn!("a slash command could not be read: {why}");
            let reply = Reply::error(why);
            respond(http, interaction, &reply).await;
            return;
        }
    };
    let name = command.name.clone();
    let (guild, channel) = (command.guild_id.clone(), command.channel_id.clone());
    let work = shared.dispatcher.command(command);
    tokio::pin!(work);
    let result = if shared.defer_after.is_zero() {
        None
    } else {
        tokio::select! {
            biased;
            r = &mut work => Some(r),
            _ = tokio::time::sleep(shared.defer_after) => None,
        }
    };
    let result = match result {
        Some(r) => {
            respond(http, interaction, &Reply::from(&r)).await;
            r
        }
        None => {
            if let Err(e) = interaction.defer(http).await {
                tracing::warn!("/{name}: deferring failed: {e}");
            }
            let r = work.await;
            follow_up(http, interaction, &Reply::from(&r)).await;
            r
        }
    };
    match result {
        Ok(response) if !response.actions.is_empty() => {
            shared.actions.push(Job {
                source: format!("/{name}"),
                target: Target::Command { guild, channel },
                actions: response.actions,
            });
        }
        Ok(_) => {}
        Err(e) => tracing::info!("/{name} refused: {e}"),
    }
}

/// The text of an answer.
struct Reply {
    content: String,
    ephemeral: bool,
}

impl Reply {
    fn error(why: impl std::fmt::Display) -> Reply {
        Reply {
            content: format!("⚠️ {why}"),
            ephemeral: true,
        }
    }

    fn from(result: &Result<CommandResponse, crate::dispatch::CommandError>) -> Reply {
        match result {
            Ok(r) => {
                let mut content = if r.content.trim().is_empty() {
                    "Done.".to_string()
                } else {
                    r.content.clone()
                };
                if content.len() > MAX_TEXT {
                    let mut end = MAX_TEXT;
                    while !content.is_char_boundary(end) {
                        end -= 1;
                    }
                    content.truncate(end);
                }
                Reply {
                    content,
                    ephemeral: r.ephemeral,
                }
            }
            Err(e) => Reply::error(e),
        }
    }
}

/// The first (and only) response, in time.
async fn respond(http: &Http, interaction: &CommandInteraction, reply: &Reply) {
    let message = CreateInteractionResponseMessage::new()
        .content(&reply.content)
        .ephemeral(reply.ephemeral)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = interaction
        .create_response(http, CreateInteractionResponse::Message(message))
        .await
    {
        tracing::warn!("/{}: answering failed: {e}", interaction.data.name);
    }
}

/// After a deferral: fill in the "thinking…" message, or for an ephemeral answer send
/// it as an ephemeral follow-up and remove the public placeholder.
async fn follow_up(http: &Http, interaction: &CommandInteraction, reply: &Reply) {
    let result = if reply.ephemeral {
        let followup = CreateInteractionResponseFollowup::new()
            .content(&reply.content)
            .ephemeral(true)
            .allowed_mentions(CreateAllowedMentions::new());
        match interaction.create_followup(http, followup).await {
            Ok(_) => interaction.delete_response(http).await,
            Err(e) => Err(e),
        }
    } else {
        let edit = EditInteractionResponse::new()
            .content(&reply.content)
            .allowed_mentions(CreateAllowedMentions::new());
        interaction.edit_response(http, edit).await.map(|_| ())
    };
    if let Err(e) = result {
        tracing::warn!("/{}: the follow-up failed: {e}", interaction.data.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn d(name: &str, permission: Permission) -> Declared {
        Declared {
            name: name.into(),
            description: format!("does {name}"),
            permission,
            options: vec![
                OptionSpec {
                    name: "reason".into(),
                    description: "why".into(),
                    kind: OptionKind::Text,
                    required: false,
                },
                OptionSpec {
                    name: "user".into(),
                    description: "who".into(),
                    kind: OptionKind::User,
                    required: true,
                },
            ],
        }
    }

    #[test]
    fn spaced_names_become_subcommands_and_permissions_defaults() {
        let built = build(&[
            d("warn", Permission::ModerateMembers),
            d("automod test", Permission::ManageGuild),
            d("automod rules", Permission::ManageGuild),
            d("plugins list", Permission::Everyone),
            d("plugins load", Permission::Administrator),
            d("Bad Name", Permission::Everyone),
        ]);
        let json = serde_json::to_value(&built).unwrap();
        let names: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["automod", "plugins", "warn"]);
        let automod = &json[0];
        let subs: Vec<(&Value, &Value)> = automod["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (&o["name"], &o["type"]))
            .collect();
        assert_eq!(
            subs,
            [(&json!("test"), &json!(1)), (&json!("rules"), &json!(1))]
        );
        assert_eq!(automod["default_member_permissions"], "32"); // MANAGE_GUILD
        assert!(json[1]["default_member_permissions"].is_null());
        let warn = &json[2];
        assert_eq!(warn["default_member_permissions"], (1u64 << 40).to_string());
        // required options first
        assert_eq!(warn["options"][0]["name"], "user");
        assert_eq!(warn["options"][0]["required"], true);
    }
}
