//! What counts as a support request, decided from words alone because `triage` runs it on
//! every message: help/urgent/issue/problem/error/bug/broken/crash/support, "not working",
//! and support-style questions ("how do I ...", "how to ...", "can't ..."). Also turns a
//! message into the question text to match against the knowledge base. Pure.

/// Words that make any message a support request.
const SUPPORT_WORDS: &[&str] = &[
    "help", "helpp", "urgent", "issue", "issues", "problem", "problems", "error", "errors", "bug",
    "bugs", "buggy", "broken", "broke", "crash", "crashes", "crashed", "crashing", "support",
    "glitch", "glitched", "stuck", "fix", "fails", "failed", "failing", "cant", "cannot", "unable",
];

/// Negations that turn a following "work..." into a complaint ("not working").
const NEGATIONS: &[&str] = &[
    "not", "isnt", "doesnt", "dont", "wont", "didnt", "aint", "never", "stopped",
];

/// Two-word openings of a support question.
const QUESTION_OPENINGS: &[(&str, &str)] = &[
    ("how", "do"),
    ("how", "does"),
    ("how", "to"),
    ("how", "can"),
    ("how", "should"),
    ("where", "do"),
    ("where", "can"),
    ("why", "cant"),
    ("why", "does"),
    ("why", "is"),
    ("why", "was"),
    ("why", "am"),
    ("why", "did"),
];

/// Whether `text` asks for support.
pub fn is_support_request(text: &str) -> bool {
    let words = plain_words(text);
    if words.len() >= 2 && QUESTION_OPENINGS.contains(&(words[0].as_str(), words[1].as_str())) {
        return true;
    }
    let mut prev = "";
    for w in &words {
        if SUPPORT_WORDS.contains(&w.as_str())
            || (NEGATIONS.contains(&prev) && w.starts_with("work"))
            || (w == "how" && prev == "know")
        {
            return true;
        }
        prev = w;
    }
    // "how to ..." anywhere: "anyone know how to add roles"
    words.windows(2).any(|p| p[0] == "how" && p[1] == "to")
}

/// The question in `text`: user, role and channel mentions removed, whitespace collapsed.
pub fn question_text(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| !is_mention(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `<@123>`, `<@!123>`, `<@&123>` or `<#123>`, possibly followed by punctuation.
fn is_mention(word: &str) -> bool {
    let Some(rest) = word.strip_prefix("<@").or_else(|| word.strip_prefix("<#")) else {
        return false;
    };
    let rest = rest.trim_start_matches(['!', '&']);
    match rest.find('>') {
        Some(end) => end > 0 && rest[..end].bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Lowercase words with apostrophes dropped ("can't" → "cant").
fn plain_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_requests_are_support() {
        assert!(is_support_request("Help! Bot commands not working!"));
        assert!(is_support_request("Error with quiz command"));
        assert!(is_support_request("URGENT: someone is spamming"));
        assert!(is_support_request("the music bot is broken again"));
        assert!(is_support_request("I found a bug in /rank"));
        assert!(is_support_request("my game keeps crashing"));
        assert!(is_support_request("the bot doesn't work"));
        assert!(is_support_request("Need support with roles"));
    }

    #[test]
    fn support_style_questions_are_support() {
        assert!(is_support_request("How do I get a role?"));
        assert!(is_support_request("how to use /help"));
        assert!(is_support_request("I can't see the rules channel"));
        assert!(is_support_request("I cannot send messages"));
        assert!(is_support_request("anyone know how to add the bot?"));
        assert!(is_support_request("Why was my message deleted?"));
    }

    #[test]
    fn ordinary_chat_is_not_support() {
        assert!(!is_support_request("Anyone want to play games?"));
        assert!(!is_support_request("What's the weather like?"));
        assert!(!is_support_request("good morning everyone"));
        assert!(!is_support_request("how are you all doing"));
        assert!(!is_support_request("I'm working on my homework"));
        assert!(!is_support_request("helpful tip: drink water"));
        assert!(!is_support_request(""));
    }

    #[test]
    fn mentions_are_removed_from_the_question() {
        assert_eq!(
            question_text("<@123> help,  <@&9> <#77> roles <@!5>?"),
            "help, roles"
        );
        assert_eq!(question_text("email me <@abc>"), "email me <@abc>");
    }
}
