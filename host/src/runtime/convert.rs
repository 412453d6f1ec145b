//! Conversions between the gateway-neutral types in `event.rs` and the types that
//! `bindgen!` generated from the WIT. Kept in one place so neither side leaks into the
//! other.

use super::bindings::types as wit;
use crate::event::{self, Action, Priority};

pub fn priority_from_wit(p: wit::Priority) -> Priority {
    match p {
        wit::Priority::Critical => Priority::Critical,
        wit::Priority::High => Priority::High,
        wit::Priority::Normal => Priority::Normal,
        wit::Priority::Low => Priority::Low,
    }
}

fn user_to_wit(u: &event::User) -> wit::User {
    wit::User {
        id: u.id.clone(),
        name: u.name.clone(),
        roles: u.roles.clone(),
        is_bot: u.is_bot,
    }
}

pub fn message_to_wit(m: &event::Message) -> wit::Message {
    wit::Message {
        id: m.id.clone(),
        guild_id: m.guild_id.clone(),
        channel_id: m.channel_id.clone(),
        author: user_to_wit(&m.author),
        content: m.content.clone(),
        mentions: m.mentions.clone(),
        role_mentions: m.role_mentions.clone(),
        mentions_everyone: m.mentions_everyone,
        mentions_bot: m.mentions_bot,
        timestamp_ms: m.timestamp_ms,
    }
}

pub fn command_to_wit(c: &event::Command) -> wit::CommandInvocation {
    wit::CommandInvocation {
        id: c.id.clone(),
        name: c.name.clone(),
        options: c
            .options
            .iter()
            .map(|(name, value)| wit::CommandOption {
                name: name.clone(),
                value: match value {
                    event::OptionValue::Text(s) => wit::OptionValue::Text(s.clone()),
                    event::OptionValue::Integer(n) => wit::OptionValue::Integer(*n),
                    event::OptionValue::Boolean(b) => wit::OptionValue::Boolean(*b),
                    event::OptionValue::User(s) => wit::OptionValue::User(s.clone()),
                    event::OptionValue::Channel(s) => wit::OptionValue::Channel(s.clone()),
                },
            })
            .collect(),
        guild_id: c.guild_id.clone(),
        channel_id: c.channel_id.clone(),
        invoker: user_to_wit(&c.invoker),
        timestamp_ms: c.timestamp_ms,
    }
}

pub fn action_from_wit(a: wit::Action) -> Action {
    match a {
        wit::Action::Reply(content) => Action::Reply { content },
        wit::Action::Send(s) => Action::Send {
            channel_id: s.channel_id,
            content: s.content,
        },
        wit::Action::React(emoji) => Action::React { emoji },
        wit::Action::DeleteMessage(r) => Action::DeleteMessage {
            channel_id: r.channel_id,
            message_id: r.message_id,
        },
        wit::Action::Warn(w) => Action::Warn {
            user_id: w.user_id,
            reason: w.reason,
        },
        wit::Action::Timeout(t) => Action::Timeout {
            user_id: t.user_id,
            seconds: t.seconds,
            reason: t.reason,
        },
        wit::Action::Kick(k) => Action::Kick {
            user_id: k.user_id,
            reason: k.reason,
        },
        wit::Action::Ban(b) => Action::Ban {
            user_id: b.user_id,
            reason: b.reason,
        },
        wit::Action::Purge(p) => Action::Purge {
            channel_id: p.channel_id,
            count: p.count,
        },
        wit::Action::LogToModlog(content) => Action::LogToModlog { content },
    }
}

pub fn action_to_wit(a: &Action) -> wit::Action {
    match a.clone() {
        Action::Reply { content } => wit::Action::Reply(content),
        Action::Send {
            channel_id,
            content,
        } => wit::Action::Send(wit::SendMessage {
            channel_id,
            content,
        }),
        Action::React { emoji } => wit::Action::React(emoji),
        Action::DeleteMessage {
            channel_id,
            message_id,
        } => wit::Action::DeleteMessage(wit::MessageRef {
            channel_id,
            message_id,
        }),
        Action::Warn { user_id, reason } => wit::Action::Warn(wit::Warning { user_id, reason }),
        Action::Timeout {
            user_id,
            seconds,
            reason,
        } => wit::Action::Timeout(wit::TimeoutUser {
            user_id,
            seconds,
            reason,
        }),
        Action::Kick { user_id, reason } => wit::Action::Kick(wit::RemoveUser { user_id, reason }),
        Action::Ban { user_id, reason } => wit::Action::Ban(wit::RemoveUser { user_id, reason }),
        Action::Purge { channel_id, count } => {
            wit::Action::Purge(wit::PurgeMessages { channel_id, count })
        }
        Action::LogToModlog { content } => wit::Action::LogToModlog(content),
    }
}

/// The capability an action needs.
pub fn action_capability(a: &Action) -> wit::Capability {
    match a {
        Action::Reply { .. } => wit::Capability::Reply,
        Action::Send { .. } => wit::Capability::Send,
        Action::React { .. } => wit::Capability::React,
        Action::DeleteMessage { .. } | Action::Purge { .. } => wit::Capability::DeleteMessages,
        Action::Warn { .. } => wit::Capability::Warn,
        Action::Timeout { .. } => wit::Capability::Timeout,
        Action::Kick { .. } => wit::Capability::Kick,
        Action::Ban { .. } => wit::Capability::Ban,
        Action::LogToModlog { .. } => wit::Capability::Modlog,
    }
}

pub fn permission_from_wit(p: wit::Permission) -> event::Permission {
    match p {
        wit::Permission::Everyone => event::Permission::Everyone,
        wit::Permission::ManageMessages => event::Permission::ManageMessages,
        wit::Permission::ModerateMembers => event::Permission::ModerateMembers,
        wit::Permission::KickMembers => event::Permission::KickMembers,
        wit::Permission::BanMembers => event::Permission::BanMembers,
        wit::Permission::ManageGuild => event::Permission::ManageGuild,
        wit::Permission::Administrator => event::Permission::Administrator,
    }
}
