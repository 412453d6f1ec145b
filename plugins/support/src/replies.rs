//! Every message the support cog writes, in one place. Pure.
use crate::kb::Entry;

/// Discord's message length limit, in characters.
pub const DISCORD_MAX_CHARS: usize = 2000;

/// The reply for a matched entry: its question in bold, then the answer.
pub fn answer(entry: &Entry) -> String {
    fit(&format!("**{}**\n{}", entry.q, entry.a))
}

/// The reply when nothing in the knowledge base fits.
pub fn unknown(staff_mention: &str) -> String {
    format!("I don't know the answer to that, but I've pinged the staff: {staff_mention}")
}

/// The note posted in the staff channel about an unanswered question.
pub fn staff_notice(author_id: &str, channel_id: &str, question: &str) -> String {
    let quoted = question
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    fit(&format!(
        "Unanswered support question from <@{author_id}> in <#{channel_id}>:\n{quoted}"
    ))
}

/// `text` cut to Discord's limit.
pub fn fit(text: &str) -> String {
    if text.chars().count() <= DISCORD_MAX_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(DISCORD_MAX_CHARS - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_show_the_matched_question() {
        let e = Entry {
            q: "How?".into(),
            a: "Like this.".into(),
            keywords: vec![],
        };
        assert_eq!(answer(&e), "**How?**\nLike this.");
    }

    #[test]
    fn unknown_questions_ping_the_staff() {
        assert_eq!(
            unknown("<@&1>"),
            "I don't know the answer to that, but I've pinged the staff: <@&1>"
        );
    }

    #[test]
    fn staff_notices_quote_every_line() {
        assert_eq!(
            staff_notice("7", "8", "a\nb"),
            "Unanswered support question from <@7> in <#8>:\n> a\n> b"
        );
    }

    #[test]
    fn long_texts_fit_in_a_message() {
        let long = fit(&"x".repeat(5000));
        assert_eq!(long.chars().count(), DISCORD_MAX_CHARS);
    }
}
