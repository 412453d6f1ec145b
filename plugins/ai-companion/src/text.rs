//! Small string helpers shared by `memory`, `prompt` and `filter`: cutting text to a
//! number of characters (Discord and the model both count characters, not bytes).

/// `s` cut to at most `max` characters, ending in `…` when it was cut. Prefers to cut at
/// a space in the last fifth so words stay whole.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let keep = max - 1; // room for the ellipsis
    let cut = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    let head = &s[..cut];
    let at_word_end = s[cut..].starts_with(char::is_whitespace);
    let floor = keep - keep / 5;
    let head = match head.rfind(char::is_whitespace) {
        Some(i) if !at_word_end && head[..i].chars().count() >= floor => &head[..i],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_as_is() {
        assert_eq!(truncate_chars("hello", 5), "hello");
    }

    #[test]
    fn long_text_is_cut_at_a_word_and_marked() {
        assert_eq!(
            truncate_chars("one two three four five", 14),
            "one two three…"
        );
        assert_eq!(
            truncate_chars("alpha beta gamma delta epsilon", 20),
            "alpha beta gamma…"
        );
        assert_eq!(truncate_chars("one two three", 6), "one t…");
    }

    #[test]
    fn cutting_respects_multibyte_characters() {
        let out = truncate_chars("ééééééééééé", 4);
        assert_eq!(out, "ééé…");
    }

    #[test]
    fn zero_budget_gives_nothing() {
        assert_eq!(truncate_chars("abc", 0), "");
    }
}
