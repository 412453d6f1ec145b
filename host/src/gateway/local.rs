//! What the local gateways (console, replay, demo) share: building a `Message` from a
//! user name and text the way Discord would report it, and rendering actions.

use crate::event::{now_ms, Action, CogAction, Message, User};

/// The guild and channel local messages belong to unless a replay line says otherwise.
pub const LOCAL_GUILD: &str = "local";
pub const LOCAL_CHANNEL: &str = "general";

/// A message from `user` saying `content`, with mentions parsed from the text:
/// `@everyone`/`@here`, `@BotName` (the bot) and other `@name`s (users).
pub fn message(user: &str, content: &str, bot_name: &str) -> Message {
    let mut mentions = Vec::new();
    let mut mentions_bot = false;
    let mut mentions_everyone = false;
    for word in content.split_whitespace() {
        let Some(name) = word.strip_prefix('@') else {
            continue;
        };
        let name = name.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_');
        if name.is_empty() {
            continue;
        }
        if name.eq_ignore_ascii_case("everyone") || name.eq_ignore_ascii_case("here") {
            mentions_everyone = true;
        } else if name.eq_ignore_ascii_case(bot_name) {
            mentions_bot = true;
        } else {
            mentions.push(name.to_string());
        }
    }
    Message {
        id: String::new(),
        guild_id: LOCAL_GUILD.into(),
        channel_id: LOCAL_CHANNEL.into(),
        author: User {
            id: user.to_string(),
            name: user.to_string(),
            roles: Vec::new(),
            is_bot: false,
        },
        content: content.to_string(),
        mentions,
        role_mentions: Vec::new(),
        mentions_everyone,
        mentions_bot,
        timestamp_ms: now_ms(),
    }
}

/// One line describing an action, for people.
pub fn describe(a: &CogAction) -> String {
    let what = match &a.action {
        Action::Reply { content } => format!("reply: {content}"),
        Action::Send {
            channel_id,
            content,
        } => format!("send to #{channel_id}: {content}"),
        Action::React { emoji } => format!("react {emoji}"),
        Action::DeleteMessage { message_id, .. } => format!("delete message {message_id}"),
        Action::Warn { user_id, reason } => format!("warn {user_id}: {reason}"),
        Action::Timeout {
            user_id,
            seconds,
            reason,
        } => format!("timeout {user_id} for {seconds}s: {reason}"),
        Action::Kick { user_id, reason } => format!("kick {user_id}: {reason}"),
        Action::Ban { user_id, reason } => format!("ban {user_id}: {reason}"),
        Action::Purge { channel_id, count } => format!("purge {count} in #{channel_id}"),
        Action::LogToModlog { content } => format!("mod-log: {content}"),
    };
    format!("[{}] {}", a.cog, what)
}
