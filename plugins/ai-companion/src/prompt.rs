//! Builds the chat messages sent to the model: the persona as the system message, the
//! channel's remembered turns, then the member's message. The offline default model is
//! tiny (SmolLM2-135M), so the persona is short and explicit and the whole prompt is kept
//! within a character budget by dropping the oldest turns first.
use crate::memory::Turn;
use crate::text::truncate_chars;
use astra_sdk::llm::{self, ChatMessage};

/// The default system prompt; `{name}` becomes the bot's name.
pub const DEFAULT_PERSONA: &str = "You are {name}, a friendly assistant in a Discord server. \
Answer the user directly in one to three short sentences. Be kind and honest. \
If you do not know something, say so.";

/// Longest member message passed to the model, in characters.
pub const MAX_USER_CHARS: usize = 1000;

/// Character budget for the whole prompt (the small model's context is 2048 tokens;
/// about four characters a token leaves room for the reply).
pub const MAX_PROMPT_CHARS: usize = 3000;

/// What the model is told when the member only said the bot's name.
pub const GREETING_ONLY: &str = "Hello!";

/// `template` with every `{name}` replaced by `bot_name`.
pub fn persona(template: &str, bot_name: &str) -> String {
    template.replace("{name}", bot_name)
}

/// System message, then as many recent `turns` as fit in `max_chars`, then `user_text`.
pub fn build(system: &str, turns: &[Turn], user_text: &str, max_chars: usize) -> Vec<ChatMessage> {
    let user_text = match user_text.trim() {
        "" => GREETING_ONLY.to_string(),
        t => truncate_chars(t, MAX_USER_CHARS),
    };
    let mut used = system.chars().count() + user_text.chars().count();
    let mut kept = 0;
    for turn in turns.iter().rev() {
        let size = turn.user.chars().count() + turn.bot.chars().count();
        if used + size > max_chars {
            break;
        }
        used += size;
        kept += 1;
    }
    let mut messages = vec![llm::system(system)];
    for turn in &turns[turns.len() - kept..] {
        messages.push(llm::user(turn.user.clone()));
        if !turn.bot.is_empty() {
            // an empty answer is chat the bot only listened to
            messages.push(llm::assistant(turn.bot.clone()));
        }
    }
    messages.push(llm::user(user_text));
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use astra_sdk::llm::Role;

    fn turn(user: &str, bot: &str) -> Turn {
        Turn {
            user: user.into(),
            bot: bot.into(),
            at_ms: 0,
        }
    }

    fn roles(messages: &[ChatMessage]) -> Vec<Role> {
        messages.iter().map(|m| m.role).collect()
    }

    #[test]
    fn system_first_then_memory_then_the_message() {
        let turns = [turn("hi", "hello!"), turn("how are you?", "great")];
        let out = build("be nice", &turns, "tell me a joke", MAX_PROMPT_CHARS);
        assert_eq!(
            roles(&out),
            vec![
                Role::System,
                Role::User,
                Role::Assistant,
                Role::User,
                Role::Assistant,
                Role::User
            ]
        );
        assert_eq!(out[0].content, "be nice");
        assert_eq!(out[1].content, "hi");
        assert_eq!(out[4].content, "great");
        assert_eq!(out[5].content, "tell me a joke");
    }

    #[test]
    fn the_oldest_turns_are_dropped_to_fit() {
        let turns = [turn(&"a".repeat(100), "old"), turn("recent", "yes")];
        let out = build("sys", &turns, "now", 30);
        assert_eq!(out.len(), 4);
        assert_eq!(out[1].content, "recent");
    }

    #[test]
    fn an_empty_message_becomes_a_greeting() {
        let out = build("sys", &[], "  ", MAX_PROMPT_CHARS);
        assert_eq!(out.last().unwrap().content, GREETING_ONLY);
    }

    #[test]
    fn very_long_messages_are_cut() {
        let out = build("sys", &[], &"word ".repeat(1000), MAX_PROMPT_CHARS);
        assert!(out.last().unwrap().content.chars().count() <= MAX_USER_CHARS);
    }

    #[test]
    fn the_default_persona_names_the_bot() {
        let p = persona(DEFAULT_PERSONA, "Astra");
        assert!(p.starts_with("You are Astra, a friendly"));
    }
}
