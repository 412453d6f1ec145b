//! Bounds on what one message may carry into the cogs, applied at ingest.
//!
//! Discord never delivers more than 4,000 characters of content, 250 roles or a few
//! hundred mentions in one message, but the local gateways (replay files, the console)
//! and a buggy adapter can. Handing a cog a 100,000-entry mention list costs more than
//! its whole triage deadline just to copy in (found by `tests/bad_input.rs`: every
//! cog's triage timed out, the message reached no cog, security included). So content
//! past `MAX_CONTENT` bytes is cut (on a character boundary) and lists past `MAX_LIST`
//! entries are shortened; a mention-spam rule still sees hundreds of mentions.

use crate::event::Message;

/// Most bytes of content passed to cogs (4,000 characters of up to 4 bytes each).
pub const MAX_CONTENT: usize = 16 * 1024;
/// Most entries of any list (mentions, role mentions, the author's roles).
pub const MAX_LIST: usize = 250;
/// Most bytes of an id or a name.
pub const MAX_ID: usize = 256;

/// Cut `message` to the bounds; returns whether anything was cut.
pub fn bound(message: &mut Message) -> bool {
    let mut cut = cap(&mut message.content, MAX_CONTENT);
    for list in [
        &mut message.mentions,
        &mut message.role_mentions,
        &mut message.author.roles,
    ] {
        if list.len() > MAX_LIST {
            list.truncate(MAX_LIST);
            cut = true;
        }
        for item in list.iter_mut() {
            cut |= cap(item, MAX_ID);
        }
    }
    for field in [
        &mut message.id,
        &mut message.guild_id,
        &mut message.channel_id,
        &mut message.author.id,
        &mut message.author.name,
    ] {
        cut |= cap(field, MAX_ID);
    }
    cut
}

fn cap(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_messages_are_cut_on_character_boundaries() {
        let mut m = Message {
            content: "é".repeat(MAX_CONTENT),
            mentions: (0..100_000).map(|i| format!("u{i}")).collect(),
            ..Message::default()
        };
        assert!(bound(&mut m));
        assert!(m.content.len() <= MAX_CONTENT && m.content.chars().all(|c| c == 'é'));
        assert_eq!(m.mentions.len(), MAX_LIST);
        let mut small = Message {
            content: "hello".into(),
            ..Message::default()
        };
        assert!(!bound(&mut small));
        assert_eq!(small.content, "hello");
    }
}
