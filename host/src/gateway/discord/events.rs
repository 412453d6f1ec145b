//! Discord's types → ours: a MESSAGE_CREATE becomes a [`Message`], an application
//! command interaction a [`Command`], a member's permission bits our [`Permission`]
//! list (and back, for a command's default member permissions). Pure functions: no
//! I/O, no policy; the handler calls them and forwards the result.

use crate::event::{Command, Message, OptionValue, Permission, User};
use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandInteraction, Message as DiscordMessage,
    Permissions,
};

/// Discord's epoch (2015-01-01) in Unix milliseconds; snowflakes count from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Why a gateway message is not forwarded.
#[derive(Debug, PartialEq, Eq)]
pub enum Skip {
    /// the bot's own message (its warnings and replies)
    Own,
    /// not in a guild (the bot asks for no DM intents)
    NotInGuild,
}

/// The `Message` the dispatcher gets for a MESSAGE_CREATE; `bot_id` is the bot's user.
pub fn message(m: &DiscordMessage, bot_id: Option<u64>) -> Result<Message, Skip> {
    if Some(m.author.id.get()) == bot_id {
        return Err(Skip::Own);
    }
    let guild_id = m.guild_id.ok_or(Skip::NotInGuild)?;
    let nick = m.member.as_ref().and_then(|p| p.nick.clone());
    let name = nick
        .or_else(|| m.author.global_name.clone())
        .unwrap_or_else(|| m.author.name.clone());
    let roles = m
        .member
        .as_ref()
        .map(|p| p.roles.iter().map(|r| r.to_string()).collect())
        .unwrap_or_default();
    let mentions_bot = bot_id.is_some_and(|b| m.mentions.iter().any(|u| u.id.get() == b));
    Ok(Message {
        id: m.id.to_string(),
        guild_id: guild_id.to_string(),
        channel_id: m.channel_id.to_string(),
        author: User {
            id: m.author.id.to_string(),
            name,
            roles,
            is_bot: m.author.bot,
        },
        content: m.content.clone(),
        mentions: m
            .mentions
            .iter()
            .filter(|u| Some(u.id.get()) != bot_id)
            .map(|u| u.id.to_string())
            .collect(),
        role_mentions: m.mention_roles.iter().map(|r| r.to_string()).collect(),
        mentions_everyone: m.mention_everyone,
        mentions_bot,
        timestamp_ms: snowflake_ms(m.id.get()),
    })
}

/// When a snowflake was made, in Unix milliseconds.
pub fn snowflake_ms(id: u64) -> u64 {
    (id >> 22) + DISCORD_EPOCH_MS
}

/// The `Command` the dispatcher gets for a slash command interaction. A subcommand is
/// named by its path (`"automod test"`), as the cogs declare it.
pub fn command(i: &CommandInteraction) -> Result<Command, String> {
    let mut name = i.data.name.clone();
    let mut options: &[CommandDataOption] = &i.data.options;
    // Walk down subcommand groups and subcommands (at most two levels on Discord).
    while let [only] = options {
        match &only.value {
            CommandDataOptionValue::SubCommand(inner)
            | CommandDataOptionValue::SubCommandGroup(inner) => {
                name.push(' ');
                name.push_str(&only.name);
                options = inner;
            }
            _ => break,
        }
    }
    let options = options
        .iter()
        .map(|o| Ok((o.name.clone(), option_value(&o.value)?)))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| format!("/{name}: {e}"))?;
    let user = i.member.as_ref().map_or(&i.user, |m| &m.user);
    let invoker = User {
        id: user.id.to_string(),
        name: i
            .member
            .as_ref()
            .and_then(|m| m.nick.clone())
            .or_else(|| user.global_name.clone())
            .unwrap_or_else(|| user.name.clone()),
        roles: i
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default(),
        is_bot: user.bot,
    };
    // Discord sends the invoker's resolved permissions in the channel with a guild
    // interaction; outside a guild nobody holds anything.
    let held = i
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .map(permissions_from_discord)
        .unwrap_or_default();
    Ok(Command {
        id: i.id.to_string(),
        name,
        options,
        guild_id: i.guild_id.map(|g| g.to_string()).unwrap_or_default(),
        channel_id: i.channel_id.to_string(),
        invoker,
        permissions: held,
        timestamp_ms: snowflake_ms(i.id.get()),
    })
}

fn option_value(v: &CommandDataOptionValue) -> Result<OptionValue, String> {
    Ok(match v {
        CommandDataOptionValue::String(s) => OptionValue::Text(s.clone()),
        CommandDataOptionValue::Integer(n) => OptionValue::Integer(*n),
        CommandDataOptionValue::Boolean(b) => OptionValue::Boolean(*b),
        CommandDataOptionValue::User(u) => OptionValue::User(u.to_string()),
        CommandDataOptionValue::Channel(c) => OptionValue::Channel(c.to_string()),
        CommandDataOptionValue::Number(n) => OptionValue::Text(n.to_string()),
        CommandDataOptionValue::Role(r) => OptionValue::Text(r.to_string()),
        CommandDataOptionValue::Mentionable(m) => OptionValue::Text(m.to_string()),
        other => return Err(format!("unsupported option type {:?}", other.kind())),
    })
}

/// The Discord bit for each of our permissions (`Everyone` has none).
const BITS: [(Permission, Permissions); 6] = [
    (Permission::Administrator, Permissions::ADMINISTRATOR),
    (Permission::ManageGuild, Permissions::MANAGE_GUILD),
    (Permission::ManageMessages, Permissions::MANAGE_MESSAGES),
    (Permission::ModerateMembers, Permissions::MODERATE_MEMBERS),
    (Permission::KickMembers, Permissions::KICK_MEMBERS),
    (Permission::BanMembers, Permissions::BAN_MEMBERS),
];

/// What a member holding `bits` may do, in our terms (`Everyone` always).
pub fn permissions_from_discord(bits: Permissions) -> Vec<Permission> {
    std::iter::once(Permission::Everyone)
        .chain(
            BITS.iter()
                .filter(|(_, bit)| bits.contains(*bit))
                .map(|(p, _)| *p),
        )
        .collect()
}

/// The default member permissions a command requiring `p` is registered with
/// (`None`: everyone may see and use it).
pub fn permissions_to_discord(p: Permission) -> Option<Permissions> {
    BITS.iter().find(|(q, _)| *q == p).map(|(_, bit)| *bit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(id: u64, name: &str) -> serde_json::Value {
        json!({"id": id.to_string(), "username": name, "discriminator": "0",
               "global_name": null, "avatar": null, "bot": false})
    }

    #[test]
    fn a_guild_message_keeps_ids_mentions_and_roles() {
        let m: DiscordMessage = serde_json::from_value(json!({
            "id": "1300000000000000000", "channel_id": "20", "guild_id": "10",
            "author": user(7, "alice"), "member": {"roles": ["99"], "nick": "Al",
                "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false,
                "flags": 0},
            "content": "hey <@5> and <@1>", "timestamp": "2024-01-01T00:00:00.000000+00:00",
            "edited_timestamp": null, "tts": false, "mention_everyone": false,
            "mentions": [user(5, "astra"), user(1, "bob")], "mention_roles": ["3"],
            "attachments": [], "embeds": [], "pinned": false, "type": 0
        }))
        .unwrap();
        let ours = message(&m, Some(5)).unwrap();
        assert_eq!(ours.id, "1300000000000000000");
        assert_eq!(
            (ours.guild_id.as_str(), ours.channel_id.as_str()),
            ("10", "20")
        );
        assert_eq!(ours.author.name, "Al");
        assert_eq!(ours.author.roles, ["99"]);
        assert!(ours.mentions_bot);
        assert_eq!(ours.mentions, ["1"]);
        assert_eq!(ours.role_mentions, ["3"]);
        assert_eq!(ours.timestamp_ms, snowflake_ms(1_300_000_000_000_000_000));
        assert_eq!(message(&m, Some(7)), Err(Skip::Own));
    }

    #[test]
    fn permission_bits_map_both_ways() {
        let held = permissions_from_discord(Permissions::KICK_MEMBERS | Permissions::SEND_MESSAGES);
        assert_eq!(held, [Permission::Everyone, Permission::KickMembers]);
        assert!(Permission::KickMembers.satisfied_by(&held));
        assert!(!Permission::BanMembers.satisfied_by(&held));
        assert_eq!(permissions_to_discord(Permission::Everyone), None);
        assert_eq!(
            permissions_to_discord(Permission::ModerateMembers),
            Some(Permissions::MODERATE_MEMBERS)
        );
    }
}
