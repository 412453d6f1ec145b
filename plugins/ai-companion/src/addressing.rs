//! Who a message is for. `triage` runs this on every message in the guild, so it is pure
//! string work with no host calls: the bot is addressed when it is mentioned (a Discord
//! reply to the bot pings it, so replies count too), when its name appears as a whole
//! word, or when the message opens with a vocative such as "hey bot,". Open questions
//! between members are left alone unless the guild opts in, and support requests are
//! left to the support cog unless they are addressed to the bot.
//!
//! [`strip_address`] removes the mention or the name before the text reaches the model.
use astra_sdk::Priority;

/// Greetings that may come before the bot's name ("hey Astra", "hi bot").
const GREETINGS: &[&str] = &["hey", "hi", "hello", "yo", "ok", "okay", "oi", "dear"];

/// Words that make a message a support request (the support cog's job).
const SUPPORT_WORDS: &[&str] = &[
    "help", "urgent", "issue", "issues", "problem", "problems", "error", "errors", "bug", "bugs",
    "broken", "crash", "crashes", "crashed", "crashing", "support",
];

/// Openings that make a message a question even without a `?`.
const QUESTION_OPENERS: &[&str] = &[
    "what", "what's", "whats", "who", "who's", "why", "how", "when", "where", "which", "can",
    "could", "would", "should", "is", "are", "do", "does", "did", "will", "anyone", "anybody",
    "somebody", "someone",
];

/// How urgently the companion wants `text`: `High` when addressed, `Normal` for an
/// open question when `answer_open` is set, else `None`.
pub fn triage(
    text: &str,
    mentions_bot: bool,
    bot_name: &str,
    answer_open: bool,
) -> Option<Priority> {
    if text.trim().is_empty() && !mentions_bot {
        return None;
    }
    if is_addressed(text, mentions_bot, bot_name) {
        return Some(Priority::High);
    }
    if answer_open && is_question(text) && !is_support_request(text) {
        return Some(Priority::Normal);
    }
    None
}

/// The bot is mentioned, named as a whole word, or called with a vocative ("hey bot").
pub fn is_addressed(text: &str, mentions_bot: bool, bot_name: &str) -> bool {
    mentions_bot || find_word(text, bot_name).is_some() || opens_with_vocative(text)
}

/// A question: ends with `?` or opens with a question word.
pub fn is_question(text: &str) -> bool {
    let text = text.trim();
    text.ends_with('?')
        || words(text)
            .next()
            .is_some_and(|w| QUESTION_OPENERS.contains(&w.as_str()))
}

/// Mentions help, an error, a bug, something broken or not working.
pub fn is_support_request(text: &str) -> bool {
    let lower = text.to_lowercase().replace('’', "'");
    let mut prev = String::new();
    for w in words(&lower) {
        if SUPPORT_WORDS.contains(&w.as_str())
            || (matches!(prev.as_str(), "not" | "isn't" | "doesn't" | "won't")
                && w.starts_with("work"))
        {
            return true;
        }
        prev = w;
    }
    false
}

/// `text` without the mention, greeting and name that address the bot, e.g.
/// `"<@1> hey Astra, what's up?"` → `"what's up?"`, `"thanks, Astra!"` → `"thanks!"`.
/// Empty when the message was only the address.
pub fn strip_address(text: &str, bot_name: &str) -> String {
    let mut rest = text.trim();
    loop {
        let before = rest.len();
        rest = strip_leading_mention(rest);
        rest = strip_leading_name(rest, bot_name);
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || ",:;!.-—".contains(c));
        if rest.len() == before {
            break;
        }
    }
    strip_trailing_name(rest, bot_name)
}

/// Byte range of the first case-insensitive, whole-word occurrence of `word` in `text`.
/// Whole word: no letter, digit or `_` right before or after ("astrality" ≠ "Astra").
pub fn find_word(text: &str, word: &str) -> Option<(usize, usize)> {
    let word: Vec<char> = word.trim().chars().flat_map(char::to_lowercase).collect();
    if word.is_empty() {
        return None;
    }
    let mut prev: Option<char> = None;
    for (start, c) in text.char_indices() {
        if !prev.is_some_and(is_word_char) {
            if let Some(end) = match_at(text, start, &word) {
                if !text[end..].chars().next().is_some_and(is_word_char) {
                    return Some((start, end));
                }
            }
        }
        prev = Some(c);
    }
    None
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// End of `word` (already lowercase) matched case-insensitively at `start`, if it is there.
fn match_at(text: &str, start: usize, word: &[char]) -> Option<usize> {
    let mut i = 0;
    for (offset, c) in text[start..].char_indices() {
        for lower in c.to_lowercase() {
            if word.get(i) != Some(&lower) {
                return None;
            }
            i += 1;
        }
        if i == word.len() {
            return Some(start + offset + c.len_utf8());
        }
    }
    None
}

/// Lowercase words, keeping inner apostrophes ("what's") and a leading `/` ("/help").
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(is_word_char(c) || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’').to_lowercase())
        .filter(|w| !w.is_empty())
}

/// "hey bot", "hi bot", or "bot," / "bot:" at the very start (not "Bot commands ...").
fn opens_with_vocative(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    let mut parts = lower.split_whitespace();
    let first = parts.next().unwrap_or("");
    let first_word = first.trim_end_matches(|c: char| !is_word_char(c));
    if first_word == "bot" && first.len() > 3 {
        return matches!(first.as_bytes()[3], b',' | b':');
    }
    GREETINGS.contains(&first_word)
        && first_word == first
        && parts
            .next()
            .is_some_and(|w| w.trim_end_matches(|c: char| !is_word_char(c)) == "bot")
}

/// Drops leading user mentions such as `<@123>` or `<@!123>`.
fn strip_leading_mention(text: &str) -> &str {
    let Some(body) = text.strip_prefix("<@") else {
        return text;
    };
    let body = body.strip_prefix('!').unwrap_or(body);
    let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    match body[digits..].strip_prefix('>') {
        Some(rest) if digits > 0 => rest.trim_start(),
        _ => text,
    }
}

/// Drops a leading "@Astra", "Astra", "hey Astra" or "hey bot".
fn strip_leading_name<'a>(text: &'a str, bot_name: &str) -> &'a str {
    let mut rest = text.strip_prefix('@').unwrap_or(text);
    if let Some((greeting, after)) = split_first_word(rest) {
        if GREETINGS.contains(&greeting.to_lowercase().as_str()) {
            let after = after.trim_start();
            let after = after.strip_prefix('@').unwrap_or(after);
            if let Some(r) = strip_word_prefix(after, bot_name).or(strip_word_prefix(after, "bot"))
            {
                return r;
            }
            // "hey, what's up?": the greeting alone is kept as the user's words.
            return text;
        }
    }
    rest = strip_word_prefix(rest, bot_name).unwrap_or(text);
    if rest.len() == text.len() && opens_with_vocative(text) {
        return strip_word_prefix(text, "bot").unwrap_or(text);
    }
    rest
}

/// `text` after `word` when it opens with it as a whole word.
fn strip_word_prefix<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    match find_word(text, word) {
        Some((0, end)) => Some(&text[end..]),
        _ => None,
    }
}

fn split_first_word(text: &str) -> Option<(&str, &str)> {
    let end = text.find(|c: char| !is_word_char(c)).unwrap_or(text.len());
    (end > 0).then(|| (&text[..end], &text[end..]))
}

/// Drops a trailing ", Astra" (keeping the final punctuation): "thanks, Astra!" → "thanks!".
fn strip_trailing_name(text: &str, bot_name: &str) -> String {
    let body = text.trim_end_matches(|c: char| "?!.".contains(c) || c.is_whitespace());
    let tail = &text[body.len()..];
    let body_lower = body.to_lowercase();
    let name_lower = bot_name.trim().to_lowercase();
    if name_lower.is_empty() || !body_lower.ends_with(&name_lower) || body_lower.len() != body.len()
    {
        return text.to_string();
    }
    let before = &body[..body.len() - name_lower.len()];
    let before = before.trim_end().trim_end_matches('@');
    match before.strip_suffix(',') {
        Some(head) => format!("{}{}", head.trim_end(), tail.trim()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn for_bot(text: &str) -> Option<Priority> {
        triage(text, false, "Astra", false)
    }

    #[test]
    fn a_mention_is_high_priority() {
        assert_eq!(
            triage("<@42> hi", true, "Astra", false),
            Some(Priority::High)
        );
    }

    #[test]
    fn the_name_as_a_word_addresses_the_bot() {
        assert_eq!(for_bot("Hey Astra, what can you do?"), Some(Priority::High));
        assert_eq!(for_bot("astra: tell me a joke"), Some(Priority::High));
        assert_eq!(for_bot("what do you think, ASTRA?"), Some(Priority::High));
        assert_eq!(for_bot("I like Astra's answers"), Some(Priority::High));
    }

    #[test]
    fn the_name_inside_another_word_does_not() {
        assert_eq!(for_bot("astrality is a word now"), None);
        assert_eq!(for_bot("astra_fan wrote this"), None);
        assert_eq!(for_bot("Astras everywhere"), None);
    }

    #[test]
    fn open_questions_between_members_are_not_for_the_bot() {
        assert_eq!(for_bot("What's the weather like?"), None);
        assert_eq!(for_bot("Anyone want to play games?"), None);
    }

    #[test]
    fn open_questions_are_answered_when_the_guild_opts_in() {
        let open = |t| triage(t, false, "Astra", true);
        assert_eq!(open("What's the weather like?"), Some(Priority::Normal));
        assert_eq!(open("Anyone want to play games?"), Some(Priority::Normal));
        assert_eq!(open("nice weather today"), None);
    }

    #[test]
    fn support_requests_belong_to_the_support_cog() {
        assert_eq!(for_bot("Help! Bot commands not working!"), None);
        assert_eq!(for_bot("Error with quiz command"), None);
        let open = |t| triage(t, false, "Astra", true);
        assert_eq!(open("Help! Bot commands not working?"), None);
        assert_eq!(open("why is the quiz command broken?"), None);
    }

    #[test]
    fn support_requests_addressed_to_the_bot_are_answered() {
        assert_eq!(
            for_bot("Astra, help! commands not working"),
            Some(Priority::High)
        );
        assert_eq!(
            triage("Error with quiz command", true, "Astra", false),
            Some(Priority::High)
        );
    }

    #[test]
    fn vocatives_address_the_bot() {
        assert_eq!(for_bot("hey bot, how are you"), Some(Priority::High));
        assert_eq!(for_bot("bot: tell me a joke"), Some(Priority::High));
        assert_eq!(for_bot("Bot commands are slow today"), None);
        assert_eq!(for_bot("the bot is slow"), None);
    }

    #[test]
    fn a_custom_name_is_used() {
        assert_eq!(
            triage("hi Nova!", false, "Nova", false),
            Some(Priority::High)
        );
        assert_eq!(triage("hi Astra!", false, "Nova", false), None);
        assert_eq!(
            triage("hello R2-D2", false, "r2-d2", false),
            Some(Priority::High)
        );
    }

    #[test]
    fn empty_messages_are_ignored() {
        assert_eq!(for_bot("   "), None);
    }

    #[test]
    fn mentions_and_names_are_stripped() {
        assert_eq!(strip_address("<@42> what's up?", "Astra"), "what's up?");
        assert_eq!(
            strip_address("<@!42>  hey Astra, how are you?", "Astra"),
            "how are you?"
        );
        assert_eq!(
            strip_address("Hey Astra, what can you do?", "Astra"),
            "what can you do?"
        );
        assert_eq!(
            strip_address("@Astra tell me a joke", "astra"),
            "tell me a joke"
        );
        assert_eq!(strip_address("astra: joke please", "Astra"), "joke please");
        assert_eq!(strip_address("hey bot, sing", "Astra"), "sing");
        assert_eq!(strip_address("bot: sing", "Astra"), "sing");
        assert_eq!(strip_address("thanks, Astra!", "Astra"), "thanks!");
        assert_eq!(
            strip_address("what do you think, Astra?", "Astra"),
            "what do you think?"
        );
    }

    #[test]
    fn names_in_the_middle_and_plain_greetings_are_kept() {
        assert_eq!(
            strip_address("I like Astra a lot", "Astra"),
            "I like Astra a lot"
        );
        assert_eq!(strip_address("hey, what's up?", "Astra"), "hey, what's up?");
        assert_eq!(strip_address("astrality rules", "Astra"), "astrality rules");
        assert_eq!(strip_address("Ask Astra?", "Astra"), "Ask Astra?");
    }

    #[test]
    fn an_address_alone_leaves_nothing() {
        assert_eq!(strip_address("<@42>", "Astra"), "");
        assert_eq!(strip_address("Astra!", "Astra"), "");
        assert_eq!(strip_address("hey astra", "Astra"), "");
    }

    #[test]
    fn find_word_reports_byte_ranges() {
        assert_eq!(find_word("Hey Astra!", "astra"), Some((4, 9)));
        assert_eq!(find_word("Ça va, Élodie?", "élodie"), Some((8, 15)));
        assert_eq!(find_word("anything", ""), None);
    }
}
