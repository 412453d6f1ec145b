//! Synthetic chat for `astra bench` and `/test_concurrent`: abuse, questions to the bot,
//! help requests, ordinary chat and other bots' posts, mixed in fixed proportions and
//! spread over users. Deterministic (no randomness), so two runs send the same traffic.
//!
//! The abusive and ordinary lines are the security cog's labelled corpus, so the bench
//! exercises the same variety of text the detector is tested on. What priority a
//! message gets is decided by the cogs' triage, never here.

use crate::event::Message;
use crate::gateway::local;

const ABUSIVE: &str = include_str!("../../../plugins/security/corpus/abusive.txt");
const CLEAN: &str = include_str!("../../../plugins/security/corpus/clean.txt");

const QUESTIONS: [&str; 8] = [
    "@Astra tell me about space",
    "Hey Astra, what can you do?",
    "@Astra what's a good book to read this week?",
    "Astra, can you explain how black holes form?",
    "@Astra any tips for learning to draw?",
    "Hey Astra, what should we play tonight?",
    "@Astra summarise what we talked about",
    "Astra, how do volcanoes work?",
];

const HELP: [&str; 6] = [
    "Help! Bot commands not working!",
    "Error with quiz command",
    "How do I set up roles on this server?",
    "The music command is not working for me",
    "I get an error when I use the rank command",
    "Anyone know how to change my nickname?",
];

/// What kind of message to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// bad language, invite links, slurs: the security cog's CRITICAL work
    Abuse,
    /// addressed to the bot: the companion's HIGH work (one model call)
    Ask,
    /// help and error requests: the support cog's HIGH work
    Help,
    /// ordinary chat: NORMAL (the companion listens; analytics counts)
    Chat,
    /// another bot's post: only analytics wants it (LOW)
    Bot,
}

/// Proportions of each kind, in percent (they add up to 100).
#[derive(Debug, Clone, Copy)]
pub struct Mix(pub &'static [(Kind, u32)]);

pub const ALL_ABUSE: Mix = Mix(&[(Kind::Abuse, 100)]);
pub const ALL_ASK: Mix = Mix(&[(Kind::Ask, 100)]);
/// Busy general chat.
pub const MIXED: Mix = Mix(&[
    (Kind::Abuse, 20),
    (Kind::Ask, 20),
    (Kind::Help, 15),
    (Kind::Chat, 35),
    (Kind::Bot, 10),
]);
/// A flood: mostly chat and bot posts, a little of everything else.
pub const FLOOD: Mix = Mix(&[
    (Kind::Abuse, 2),
    (Kind::Ask, 2),
    (Kind::Help, 1),
    (Kind::Chat, 45),
    (Kind::Bot, 50),
]);

impl Mix {
    /// The kind of message number `i`. Consecutive messages visit the percent slots
    /// in a scrambled order (37 is coprime with 100), so every block of 100 holds the
    /// exact proportions and small runs still see every kind.
    pub fn kind(&self, i: usize) -> Kind {
        let slot = (i.wrapping_mul(37) % 100) as u32;
        let mut upto = 0;
        for &(kind, pct) in self.0 {
            upto += pct;
            if slot < upto {
                return kind;
            }
        }
        self.0.last().map_or(Kind::Chat, |(k, _)| *k)
    }
}

/// Where the traffic goes and how it is labelled.
#[derive(Debug, Clone)]
pub struct Place {
    pub guild: String,
    pub channel: String,
    pub bot_name: String,
    /// message ids are `{id_prefix}{n}`
    pub id_prefix: String,
}

/// `count` messages of `mix` from `users` users (message `i` is from user `i % users`),
/// in sending order.
pub fn generate(mix: Mix, count: usize, users: usize, place: &Place) -> Vec<Message> {
    let abusive = lines(ABUSIVE);
    let clean = lines(CLEAN);
    let users = users.max(1);
    (0..count)
        .map(|i| {
            let kind = mix.kind(i);
            // Spread each user's messages over different lines (no accidental
            // duplicate spam): the line index moves on by a prime per message.
            let pick = |list: &[&'static str]| list[(i * 7 + i / users) % list.len()];
            let (user, text) = match kind {
                Kind::Abuse => (format!("user{}", i % users), pick(&abusive)),
                Kind::Ask => (format!("user{}", i % users), pick(&QUESTIONS)),
                Kind::Help => (format!("user{}", i % users), pick(&HELP)),
                Kind::Chat => (format!("user{}", i % users), pick(&clean)),
                Kind::Bot => (format!("bot{}", i % 20), "status: 42 players online"),
            };
            let mut m = local::message(&user, text, &place.bot_name);
            m.id = format!("{}{i}", place.id_prefix);
            m.guild_id = place.guild.clone();
            m.channel_id = place.channel.clone();
            m.author.is_bot = kind == Kind::Bot;
            m
        })
        .collect()
}

/// Deal `messages` into `n` streams (message `i` to stream `i % n`), keeping order.
pub fn streams(messages: Vec<Message>, n: usize) -> Vec<Vec<Message>> {
    let n = n.max(1);
    let mut out: Vec<Vec<Message>> = (0..n).map(|_| Vec::new()).collect();
    for (i, m) in messages.into_iter().enumerate() {
        out[i % n].push(m);
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Non-empty, non-comment lines of a corpus file.
fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_of_a_hundred_has_the_exact_proportions() {
        let abuse = (0..1000).filter(|&i| FLOOD.kind(i) == Kind::Abuse).count();
        assert_eq!(abuse, 20);
        let kinds: std::collections::HashSet<_> =
            (0..20).map(|i| format!("{:?}", MIXED.kind(i))).collect();
        assert_eq!(kinds.len(), 5, "twenty messages see every kind");
    }
}
