//! Words for keyword matching: lowercase, apostrophes dropped, stopwords removed, and a
//! light stemmer so "crashed", "crashes" and "crashing" all become "crash". Slash
//! commands stay whole ("/quiz", plus "quiz"). Used by `keywords` on both the
//! knowledge base and the question, so the two sides always agree. Pure.

/// Words too common to say what a question is about.
const STOPWORDS: &[&str] = &[
    "a", "about", "again", "all", "also", "am", "an", "and", "any", "anybody", "anyone", "are",
    "as", "at", "be", "been", "being", "but", "by", "can", "could", "did", "didnt", "do", "does",
    "doesnt", "doing", "done", "dont", "for", "from", "get", "got", "guys", "had", "has", "have",
    "he", "hello", "help", "her", "here", "hey", "hi", "him", "his", "how", "i", "id", "if", "im",
    "in", "into", "is", "isnt", "it", "its", "ive", "just", "keep", "keeps", "know", "like", "me",
    "my", "need", "no", "not", "of", "ok", "on", "or", "our", "pls", "please", "plz", "really",
    "she", "should", "so", "some", "someone", "somebody", "still", "than", "thank", "thanks",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too",
    "u", "up", "ur", "us", "very", "want", "was", "we", "were", "what", "whats", "when", "where",
    "which", "who", "why", "will", "with", "would", "yes", "you", "your",
];

/// The matching words of `text`, in order, without duplicates.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let lower = text.to_lowercase().replace(['\'', '’'], "");
    for raw in lower.split(|c: char| !(c.is_alphanumeric() || c == '/')) {
        for (i, part) in raw.split('/').enumerate() {
            if part.is_empty() {
                continue;
            }
            // "/quiz" is a command name: keep it whole as well as the bare word
            if i == 1 && raw.starts_with('/') {
                push_unique(&mut out, format!("/{part}"));
            }
            if !STOPWORDS.contains(&part) {
                push_unique(&mut out, stem(part));
            }
        }
    }
    out
}

fn push_unique(out: &mut Vec<String>, word: String) {
    if !out.contains(&word) {
        out.push(word);
    }
}

/// A light English stemmer: good enough that a word and its usual inflections meet.
pub fn stem(word: &str) -> String {
    let mut w = word.to_string();
    let len = w.chars().count();
    if len <= 2 || !w.is_ascii() {
        return w;
    }
    let mut undouble = false;
    if w.ends_with("ies") && len > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with("ment") && len > 6 {
        w.truncate(w.len() - 4);
    } else if w.ends_with("ing") && len >= 5 {
        w.truncate(w.len() - 3);
        undouble = true;
    } else if w.ends_with("ed") && len >= 4 {
        w.truncate(w.len() - 2);
        undouble = true;
    } else if w.ends_with("es")
        && len > 4
        && ["s", "x", "z", "ch", "sh"]
            .iter()
            .any(|s| w[..w.len() - 2].ends_with(s))
    {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s')
        && len >= 4
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
    {
        w.truncate(w.len() - 1);
    }
    if undouble {
        let b = w.as_bytes();
        let n = b.len();
        if n >= 3 && b[n - 1] == b[n - 2] && !b"aeioulsz".contains(&b[n - 1]) {
            w.truncate(n - 1);
        }
    }
    if w.len() >= 3 && w.ends_with('e') {
        w.truncate(w.len() - 1);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_meet() {
        for (a, b) in [
            ("crashed", "crashing"),
            ("crashes", "crash"),
            ("working", "works"),
            ("roles", "role"),
            ("banned", "ban"),
            ("muted", "mute"),
            ("deleted", "delete"),
            ("errors", "error"),
            ("using", "use"),
            ("replies", "reply"),
            ("commands", "command"),
            ("harassment", "harassing"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} vs {b}");
        }
    }

    #[test]
    fn short_and_special_words_are_left_alone() {
        assert_eq!(stem("bot"), "bot");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("access"), "access");
        assert_eq!(stem("café"), "café");
    }

    #[test]
    fn stopwords_go_and_contractions_fold() {
        assert_eq!(tokens("How do I get the roles?"), vec!["rol"]);
        assert_eq!(tokens("I can't talk"), vec!["cant", "talk"]);
        assert_eq!(
            tokens("Help! Bot commands not working!"),
            vec!["bot", "command", "work"]
        );
    }

    #[test]
    fn slash_commands_stay_whole() {
        assert_eq!(tokens("/quiz fails"), vec!["/quiz", "quiz", "fail"]);
        assert_eq!(tokens("how to use /help"), vec!["us", "/help"]);
    }

    #[test]
    fn duplicates_are_dropped() {
        assert_eq!(tokens("error errors ERROR"), vec!["error"]);
    }
}
