//! Cleans and checks the model's reply before the bot posts it. Small models echo role
//! tags ("assistant:", "Astra:"), leak chat-template tokens, and sometimes write the
//! user's next turn too; this cuts all that away, defuses `@everyone`/`@here`, refuses
//! inappropriate text (rustrict) and keeps the reply within Discord's 2000 characters.
//! Pure: `conversation` calls [`clean_reply`] on every model answer.
use crate::replies;
use crate::text::truncate_chars;
use rustrict::CensorStr;

/// Discord's message length limit, in characters.
pub const DISCORD_MAX_CHARS: usize = 2000;

/// Chat-template tokens that end the reply.
const END_TOKENS: &[&str] = &["<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>"];

/// Role tags a model may echo at the start of its reply (besides the bot's name).
const OWN_TAGS: &[&str] = &["assistant", "ai", "bot"];

/// Role tags that start someone else's turn: the reply ends before them.
const OTHER_TAGS: &[&str] = &["user", "human", "system"];

/// The text to post for the model's raw reply `raw`, spoken as `bot_name`.
pub fn clean_reply(raw: &str, bot_name: &str) -> String {
    let mut text = raw;
    for token in END_TOKENS {
        if let Some(i) = text.find(token) {
            text = &text[..i];
        }
    }
    let text = text.trim_start().trim_start_matches("<|im_start|>");
    let text = strip_own_tags(text, bot_name);
    let text = cut_at_other_turn(text, bot_name);
    let text = defuse_mass_mentions(text.trim());
    if text.is_empty() {
        return replies::EMPTY_REPLY.to_string();
    }
    if text.as_str().is_inappropriate() {
        return replies::FILTERED_REPLY.to_string();
    }
    truncate_chars(&text, DISCORD_MAX_CHARS)
}

/// The tag at the start of `line` if it is `tag:` (any case), returning what follows.
fn after_tag<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    let line = line.trim_start().trim_start_matches(['*', '_']);
    let head = line.get(..tag.len())?;
    if !head.eq_ignore_ascii_case(tag) {
        return None;
    }
    let rest = line[tag.len()..].trim_start_matches(['*', '_']);
    rest.strip_prefix(':')
        .map(|r| r.trim_start_matches(['*', '_']))
        .or_else(|| (rest.is_empty() || rest.starts_with('\n')).then_some(rest))
}

/// Drops leading "assistant:", "Astra:" and a bare "assistant" line, repeatedly.
fn strip_own_tags<'a>(mut text: &'a str, bot_name: &str) -> &'a str {
    loop {
        let before = text.len();
        for tag in OWN_TAGS.iter().copied().chain([bot_name.trim()]) {
            if tag.is_empty() {
                continue;
            }
            if let Some(rest) = after_tag(text, tag) {
                text = rest.trim_start();
            }
        }
        if text.len() == before {
            return text;
        }
    }
}

/// `text` up to the first line where another turn begins ("User: ...", a new
/// "<|im_start|>", or the bot's own tag again).
fn cut_at_other_turn<'a>(text: &'a str, bot_name: &str) -> &'a str {
    let mut end = text.find("<|im_start|>").unwrap_or(text.len());
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && offset < end {
            let starts_turn = OTHER_TAGS
                .iter()
                .copied()
                .chain(OWN_TAGS.iter().copied())
                .chain([bot_name.trim()])
                .filter(|t| !t.is_empty())
                .any(|t| after_tag(line, t).is_some_and(|_| line.contains(':')));
            if starts_turn {
                end = offset;
                break;
            }
        }
        offset += line.len();
    }
    &text[..end]
}

/// `@everyone` and `@here` with a zero-width space, so they ping nobody.
fn defuse_mass_mentions(text: &str) -> String {
    text.replace("@everyone", "@\u{200B}everyone")
        .replace("@here", "@\u{200B}here")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(raw: &str) -> String {
        clean_reply(raw, "Astra")
    }

    #[test]
    fn plain_replies_pass_unchanged() {
        assert_eq!(
            clean("Hi there! How can I help?"),
            "Hi there! How can I help?"
        );
    }

    #[test]
    fn echoed_role_tags_are_stripped() {
        assert_eq!(clean("assistant: Hello!"), "Hello!");
        assert_eq!(clean("Assistant: Astra: Hello!"), "Hello!");
        assert_eq!(clean("ASTRA: Hello!"), "Hello!");
        assert_eq!(clean("**Assistant:** Hello!"), "Hello!");
        assert_eq!(clean("<|im_start|>assistant\nHello!<|im_end|>"), "Hello!");
    }

    #[test]
    fn words_that_merely_start_like_a_tag_are_kept() {
        assert_eq!(clean("Aid is on the way"), "Aid is on the way");
        assert_eq!(clean("Botany is fun"), "Botany is fun");
        assert_eq!(clean("Astrals: a story"), "Astrals: a story");
    }

    #[test]
    fn the_model_writing_the_next_turn_is_cut_off() {
        assert_eq!(
            clean("Sure thing!\nUser: thanks\nAssistant: np"),
            "Sure thing!"
        );
        assert_eq!(clean("Sure!\n\nHuman: more"), "Sure!");
        assert_eq!(clean("Yes.<|im_start|>user\nok"), "Yes.");
        assert_eq!(clean("Yes.\nAstra: also this"), "Yes.");
    }

    #[test]
    fn multi_line_answers_survive() {
        assert_eq!(clean("Step one.\nStep two."), "Step one.\nStep two.");
    }

    #[test]
    fn empty_replies_get_a_fallback() {
        assert_eq!(clean(""), replies::EMPTY_REPLY);
        assert_eq!(clean("assistant:"), replies::EMPTY_REPLY);
        assert_eq!(clean("<|im_end|>"), replies::EMPTY_REPLY);
    }

    #[test]
    fn inappropriate_replies_are_replaced() {
        assert_eq!(
            clean("you are a f u c k i n g idiot"),
            replies::FILTERED_REPLY
        );
        assert_eq!(clean("sh1t happens"), replies::FILTERED_REPLY);
    }

    #[test]
    fn mass_mentions_are_defused() {
        let out = clean("hey @everyone and @here");
        assert!(!out.contains("@everyone"));
        assert!(!out.contains("@here"));
    }

    #[test]
    fn replies_fit_in_a_discord_message() {
        let out = clean(&"lorem ipsum ".repeat(400));
        assert!(out.chars().count() <= DISCORD_MAX_CHARS);
        assert!(out.ends_with('…'));
    }
}
