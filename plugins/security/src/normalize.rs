//! Undo the tricks people use to slip words and links past a filter, once per message,
//! so every detector reads the same cleaned-up text.
//!
//! [`Normalized::new`] produces several views of a message:
//! - `folded`: compatibility-decomposed (fullwidth and "fancy" math letters become
//!   ASCII), lowercased, accents and other combining marks dropped, zero-width and other
//!   invisible characters removed, and look-alike letters from other scripts (Cyrillic
//!   `о`, small caps `ᴀ`, regional indicators `🇦`, ...) mapped to Latin ones. Spacing and
//!   punctuation stay, so the link detector can still see dots and slashes.
//! - `nfkc`: the same minus the look-alike mapping, so a host written in Cyrillic still
//!   looks foreign (homograph detection).
//! - `plain`: `folded` without Discord markup (`<@id>`, `<:emoji:id>`) and with web
//!   addresses reduced to their host: what the language filters read.
//! - `words`: `plain` as word skeletons: leetspeak decoded inside words (`sh1t`,
//!   `@ss`), letters split by separators joined (`f.u.c.k`, `f u c k`), long repeats
//!   collapsed (`fuuuck`). What `/automod test` shows as "normalized".
//!
//! Everything here is pure and allocation-light; it runs in `triage`.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A message in the forms the detectors read. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Normalized {
    pub folded: String,
    pub nfkc: String,
    pub plain: String,
    pub words: Vec<String>,
    /// `words` with every repeated letter squeezed (see [`Normalized::squeezed`])
    squeezed: Vec<String>,
}

impl Normalized {
    pub fn new(text: &str) -> Normalized {
        let (folded, nfkc) = fold_both(text);
        let plain = strip_markup(&folded);
        let words = words(&plain);
        let squeezed = words.iter().map(|w| squeeze(w)).collect();
        Normalized {
            folded,
            nfkc,
            plain,
            words,
            squeezed,
        }
    }

    /// The words joined by single spaces: the "normalized text" shown to moderators.
    pub fn display(&self) -> String {
        self.words.join(" ")
    }

    /// The words with every repeated letter squeezed: the form phrase matching and
    /// duplicate detection compare (made once: the emergency, link and spam checks
    /// all read it).
    pub fn squeezed(&self) -> &[String] {
        &self.squeezed
    }
}

/// Characters that render as nothing (or as blank space that is not whitespace) and so
/// only serve to split a word invisibly.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
        | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// `folded` and `nfkc` in one pass (see the module docs).
fn fold_both(text: &str) -> (String, String) {
    if text.is_ascii() {
        // Most chat. ASCII decomposes to itself and holds no invisible or combining
        // character; its one look-alike is the backtick (a quote). Same result as
        // `fold_chars`, without its per-character table lookups.
        let nfkc = text.to_ascii_lowercase();
        let folded = if nfkc.contains('`') {
            nfkc.replace('`', "'")
        } else {
            nfkc.clone()
        };
        return (folded, nfkc);
    }
    fold_chars(text)
}

/// [`fold_both`] for any text, character by character.
fn fold_chars(text: &str) -> (String, String) {
    let mut folded = String::with_capacity(text.len());
    let mut nfkc = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_invisible(c) || is_combining_mark(c) {
            continue;
        }
        for lower in c.to_lowercase() {
            if is_combining_mark(lower) {
                continue;
            }
            nfkc.push(lower);
            folded.push(confusable(lower).unwrap_or(lower));
        }
    }
    (folded, nfkc)
}

/// Fold a short string (a host name, a configured word).
pub fn fold(text: &str) -> String {
    fold_both(text).0
}

/// The Latin letter a lowercase non-Latin character is commonly used to imitate, for the
/// characters that Unicode decomposition leaves alone.
pub fn confusable(c: char) -> Option<char> {
    let mapped = match c {
        // Negative circled, negative squared and regional-indicator letters.
        '\u{1F150}'..='\u{1F169}' => offset(c, 0x1F150),
        '\u{1F170}'..='\u{1F189}' => offset(c, 0x1F170),
        '\u{1F1E6}'..='\u{1F1FF}' => offset(c, 0x1F1E6),
        // Cyrillic.
        'а' => 'a',
        'в' | 'ь' | 'б' => 'b',
        'е' | 'ё' | 'є' | 'э' => 'e',
        'к' | 'ќ' => 'k',
        'м' => 'm',
        'н' | 'һ' | 'ћ' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' | 'ү' | 'ў' => 'y',
        'х' => 'x',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' | 'ш' => 'w',
        'ӏ' => 'l',
        'п' => 'n',
        'г' => 'r',
        // Greek.
        'α' => 'a',
        'β' => 'b',
        'γ' => 'y',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' | 'σ' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' | 'μ' => 'u',
        'χ' => 'x',
        'ω' => 'w',
        'ϲ' | 'ς' => 'c',
        // Latin extensions, small capitals, IPA and upside-down letters.
        'ı' | 'ɩ' | 'ɪ' => 'i',
        'ȷ' | 'ᴊ' => 'j',
        'ɑ' | 'ᴀ' | 'ɐ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' | 'đ' => 'd',
        'ᴇ' | 'ǝ' => 'e',
        'ƒ' | 'ꜰ' | 'ɟ' => 'f',
        'ɡ' | 'ɢ' => 'g',
        'ʜ' | 'ħ' | 'ɥ' => 'h',
        'ᴋ' | 'ʞ' => 'k',
        'ʟ' | 'ł' => 'l',
        'ᴍ' | 'ɯ' => 'm',
        'ɴ' => 'n',
        'ᴏ' | 'ø' => 'o',
        'ᴘ' => 'p',
        'ꞯ' => 'q',
        'ʀ' | 'ɹ' | 'ɾ' => 'r',
        'ꜱ' => 's',
        'ᴛ' | 'ŧ' | 'ʇ' => 't',
        'ᴜ' => 'u',
        'ᴠ' | 'ʋ' | 'ʌ' => 'v',
        'ᴡ' | 'ʍ' => 'w',
        'ʏ' | 'ʎ' => 'y',
        'ᴢ' => 'z',
        // Canadian syllabics used as letters.
        'ᗩ' => 'a',
        'ᗷ' => 'b',
        'ᑕ' => 'c',
        'ᗪ' => 'd',
        'ᕼ' => 'h',
        'ᒪ' => 'l',
        'ᗰ' => 'm',
        'ᑎ' => 'n',
        'ᑭ' => 'p',
        'ᖇ' => 'r',
        'ᔕ' => 's',
        'ᑌ' => 'u',
        'ᐯ' => 'v',
        'ᗯ' => 'w',
        // Typographic quotes and dots.
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '´' => '\'',
        '\u{3002}' | '\u{FF61}' | '\u{2024}' => '.',
        '\u{2044}' | '\u{2215}' | '\u{29F8}' => '/',
        _ => return None,
    };
    Some(mapped)
}

fn offset(c: char, base: u32) -> char {
    char::from_u32(u32::from(b'a') + (c as u32 - base)).unwrap_or(c)
}

/// Remove Discord markup (mentions, channel links, custom emoji, timestamps) and reduce
/// web addresses to their host, so neither ids nor URL paths read as words.
fn strip_markup(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let mut rest = folded;
    while let Some(start) = rest.find(['<', 'h']) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(len) = markup_len(tail) {
            out.push(' ');
            rest = &tail[len..];
        } else if let Some((host, len)) = url_host(tail) {
            out.push_str(host);
            rest = &tail[len..];
        } else {
            let c = tail.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &tail[c.len_utf8()..];
        }
    }
    out.push_str(rest);
    out
}

/// Length of `<@123>`, `<@!123>`, `<@&123>`, `<#123>`, `<:name:123>`, `<a:name:123>` or
/// `<t:123:R>` at the start of `s`.
fn markup_len(s: &str) -> Option<usize> {
    let inner_end = s.find('>')?;
    let inner = &s[1..inner_end];
    let ok = if let Some(id) = inner
        .strip_prefix("@&")
        .or_else(|| inner.strip_prefix("@!"))
        .or_else(|| inner.strip_prefix('@'))
        .or_else(|| inner.strip_prefix('#'))
    {
        !id.is_empty() && id.chars().all(|c| c.is_ascii_digit())
    } else if inner.starts_with(':') || inner.starts_with("a:") || inner.starts_with("t:") {
        inner.len() < 80
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '_')
    } else {
        false
    };
    ok.then_some(inner_end + 1)
}

/// `http(s)://host/...` at the start of `s`: the host and the length of the whole URL.
fn url_host(s: &str) -> Option<(&str, usize)> {
    let after = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))?;
    let len = s.len() - after.len() + after.find(char::is_whitespace).unwrap_or(after.len());
    let host_end = after
        .find(|c: char| matches!(c, '/' | '?' | '#' | ':') || c.is_whitespace())
        .unwrap_or(after.len());
    Some((&after[..host_end], len))
}

/// Split `plain` into word skeletons (see the module docs).
fn words(plain: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for chunk in plain.split_whitespace() {
        push_chunk(chunk, &mut words);
    }
    merge_spelled_out(words)
}

/// One whitespace-separated chunk → zero or more words.
fn push_chunk(chunk: &str, words: &mut Vec<String>) {
    let chars: Vec<char> = chunk.chars().collect();
    // Trim punctuation, keeping a leading `@`/`$` that starts a word (`@ss`, `$hit`).
    let mut start = 0;
    while start < chars.len() && !chars[start].is_alphanumeric() {
        let leading_leet = matches!(chars[start], '@' | '$')
            && chars.get(start + 1).is_some_and(|c| c.is_alphanumeric());
        if leading_leet {
            break;
        }
        start += 1;
    }
    // Trim trailing punctuation, keeping a `$`/`@` that ends a word (`ky$`, `n!gg@`).
    let mut end = chars.len();
    while end > start && !chars[end - 1].is_alphanumeric() {
        let trailing_leet = matches!(chars[end - 1], '@' | '$')
            && end - 1 > start
            && chars[end - 2].is_alphabetic();
        if trailing_leet {
            break;
        }
        end -= 1;
    }
    let core = &chars[start..end];
    if core.is_empty() {
        return;
    }
    let has_letter = core.iter().any(|c| c.is_alphabetic());
    let mut pieces: Vec<String> = vec![String::new()];
    for (i, &c) in core.iter().enumerate() {
        let inside = i > 0 && i + 1 < core.len();
        let c = if has_letter {
            leet(c, inside).unwrap_or(c)
        } else {
            c
        };
        if c.is_alphanumeric() {
            if let Some(piece) = pieces.last_mut() {
                piece.push(c);
            }
        } else if c != '\'' && pieces.last().is_some_and(|p| !p.is_empty()) {
            pieces.push(String::new());
        }
    }
    pieces.retain(|p| !p.is_empty());
    if !has_letter {
        words.append(&mut pieces);
    } else if pieces.len() > 1 && pieces.iter().all(|p| p.chars().count() == 1) {
        words.push(collapse_runs(&pieces.concat()));
    } else {
        words.extend(pieces.iter().map(|p| collapse_runs(p)));
    }
}

/// The letter a digit or symbol stands for inside a word. `!` and `|` only count
/// between other characters (a trailing `!` is punctuation).
fn leet(c: char, inside: bool) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        '@' => 'a',
        '$' => 's',
        '€' => 'e',
        '!' | '|' if inside => 'i',
        _ => return None,
    })
}

/// Runs of three or more single-letter words were spelled out: `f u c k` → `fuck`.
fn merge_spelled_out(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut Vec<String>| {
        if run.len() >= 3 {
            out.push(collapse_runs(&run.concat()));
        } else {
            out.append(run);
        }
        run.clear();
    };
    for word in words {
        let single_letter = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
        if single_letter {
            run.push(word);
        } else {
            flush(&mut run, &mut out);
            out.push(word);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Runs of three or more of one character become one (`fuuuck` → `fuck`, `!!!` → `!`);
/// doubled letters stay (`kill`).
pub fn collapse_runs(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let mut j = i;
        while j < chars.len() && chars[j] == chars[i] {
            j += 1;
        }
        let keep = if j - i >= 3 { 1 } else { j - i };
        out.extend(std::iter::repeat_n(chars[i], keep));
        i = j;
    }
    out
}

/// Every run of one character becomes one (`kill` → `kil`): compare squeezed to squeezed.
pub fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = None;
    for c in s.chars() {
        if last != Some(c) {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

/// A stable 64-bit FNV-1a hash (the std hasher's output may change between releases,
/// and these hashes are stored).
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display(text: &str) -> String {
        Normalized::new(text).display()
    }

    #[test]
    fn fancy_and_fullwidth_letters_fold_to_ascii() {
        assert_eq!(display("ｆｕｃｋ"), "fuck");
        assert_eq!(display("𝐟𝐮𝐜𝐤 𝓯𝓾𝓬𝓴"), "fuck fuck");
        assert_eq!(display("🅵🆄🅲🅺"), "fuck");
        assert_eq!(display("ⓕⓤⓒⓚ"), "fuck");
        assert_eq!(display("ꜰᴜᴄᴋ"), "fuck");
    }

    #[test]
    fn accents_invisibles_and_homoglyphs_go() {
        assert_eq!(display("fück"), "fuck");
        assert_eq!(display("f\u{200B}u\u{200D}c\u{FEFF}k"), "fuck");
        assert_eq!(display("f̶u̶c̶k̶"), "fuck");
        assert_eq!(display("ѕhіt"), "shit"); // Cyrillic ѕ and і
    }

    #[test]
    fn leetspeak_separators_and_repeats_are_undone() {
        assert_eq!(display("sh1t"), "shit");
        assert_eq!(display("@ss"), "ass");
        assert_eq!(display("$hit!"), "shit");
        assert_eq!(display("ky$"), "kys");
        assert_eq!(display("it costs 5$"), "it costs 5");
        assert_eq!(display("sh!t"), "shit");
        assert_eq!(display("f.u.c.k"), "fuck");
        assert_eq!(display("f-u-c-k you"), "fuck you");
        assert_eq!(display("f u c k"), "fuck");
        assert_eq!(display("fuuuuuck"), "fuck");
    }

    #[test]
    fn ordinary_text_survives() {
        assert_eq!(display("Hello, World!"), "hello world");
        assert_eq!(display("I'm at 1000 points"), "im at 1000 points");
        assert_eq!(display("Good morning everyone!"), "good morning everyone");
        assert_eq!(display("I need a b c"), "i need abc");
        assert_eq!(display("a b"), "a b");
    }

    #[test]
    fn markup_is_removed_and_urls_keep_only_their_host() {
        let n = Normalized::new("hey <@123> look <:kek:456> https://github.com/a/b?c=d ok");
        assert_eq!(n.plain, "hey   look   github.com ok");
        assert_eq!(n.display(), "hey look github com ok");
    }

    #[test]
    fn nfkc_keeps_foreign_letters_for_homograph_checks() {
        let n = Normalized::new("dіscord.gift"); // Cyrillic і
        assert_eq!(n.folded, "discord.gift");
        assert_eq!(n.nfkc, "dіscord.gift");
    }

    #[test]
    fn ascii_folds_as_every_other_text_does() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for text in [every_ascii.as_str(), "Hello `World` <@1> F.U.C.K", ""] {
            assert_eq!(fold_both(text), fold_chars(text), "{text:?}");
        }
    }

    #[test]
    fn squeeze_and_hash_are_stable() {
        assert_eq!(squeeze("kill"), "kil");
        assert_eq!(collapse_runs("kill"), "kill");
        assert_eq!(stable_hash("abc"), 0xe71f_a219_0541_574b);
    }
}
