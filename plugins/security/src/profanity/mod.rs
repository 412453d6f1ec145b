//! The `profanity` rule: bad language, through evasions, without the Scunthorpe problem.
//!
//! The heavy lifting is rustrict's dictionary, replacement tables and false-positive
//! list (it already undoes leetspeak, spacing, repeats and most look-alike letters).
//! Around it this module adds what a chat server needs:
//! - a built-in list of innocent words and names rustrict flags (shiitake, Hancock,
//!   Fukushima, the country Niger, a garden hoe, ...), plus the guild's `allow-words`,
//!   blanked out before rustrict reads the text;
//! - the guild's `extra-words`, matched on the normalized word skeletons (so `fr3@k`
//!   and `f r e a k` match a configured "freak");
//! - a threshold per `profanity-level`: by default mild words ("hell", "damn") pass and
//!   moderate ones ("bitch") do not.

mod lists;

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use rustc_hash::FxHashSet;
use rustrict::{Censor, Type};

use crate::normalize::{squeeze, Normalized};
use crate::rules::{Rule, Verdict};
use crate::settings::{ProfanityLevel, Settings};

use lists::{BUILTIN_WORDS, MILD_STEMS, SAFE_PHRASES, SCREEN_WORDS, STEMS};

/// Set once this instance has built rustrict's dictionary (tens of milliseconds in
/// wasm, more than a triage deadline): from then on `triage` can afford [`check`].
static DICTIONARY_READY: AtomicBool = AtomicBool::new(false);

/// Has this instance built the dictionary yet?
pub fn dictionary_ready() -> bool {
    DICTIONARY_READY.load(Ordering::Relaxed)
}

/// A rustrict analysis counts as profanity at this level.
fn threshold(level: ProfanityLevel) -> Type {
    match level {
        ProfanityLevel::Strict => Type::INAPPROPRIATE | (Type::MEAN & Type::MODERATE_OR_HIGHER),
        ProfanityLevel::Moderate => {
            ((Type::PROFANE | Type::OFFENSIVE) & Type::MODERATE_OR_HIGHER)
                | ((Type::SEXUAL | Type::MEAN) & Type::SEVERE)
        }
        ProfanityLevel::Lenient => {
            (Type::PROFANE | Type::OFFENSIVE | Type::SEXUAL | Type::MEAN) & Type::SEVERE
        }
    }
}

/// The `profanity` verdict for a message, if any.
pub fn check(norm: &Normalized, settings: &Settings) -> Option<Verdict> {
    let (words, squeezed) = words_to_read(norm, &settings.allow_words);
    let extra = settings.extra_words.iter().map(String::as_str);
    if let Some(word) = extra_word(&squeezed, extra) {
        return Some(Verdict::new(
            Rule::Profanity,
            format!("blocked word \"{word}\""),
        ));
    }
    if let Some(word) = builtin_word(&squeezed, &settings.allow_words) {
        return Some(Verdict::new(
            Rule::Profanity,
            format!("offensive language ({word})"),
        ));
    }
    // First the text as written (rustrict undoes most evasions itself and knows where
    // words end), then our word skeletons, which also undo the evasions it misses
    // (`f a g`, mixed leetspeak).
    let texts = texts_to_read(norm, &words, &settings.allow_words, Reads::of);
    rustrict_verdict(&texts, threshold(settings.profanity_level))
}

/// The text as written and, when `reads` says it is worth it, the word skeletons
/// (`words` joined): what rustrict reads, in that order.
fn texts_to_read(
    norm: &Normalized,
    words: &[String],
    allow_words: &[String],
    reads: impl Fn(&str, &str) -> Reads,
) -> Vec<String> {
    let non_words = blank_non_words(&norm.plain);
    let as_written = match blank_safe_words(&non_words, allow_words) {
        Cow::Borrowed(_) => non_words,
        Cow::Owned(blanked) => blanked,
    };
    let skeletons = blank_non_words(&words.join(" "));
    match reads(&as_written, &skeletons) {
        Reads::Once => vec![as_written],
        Reads::Twice => vec![as_written, skeletons],
    }
}

/// How many times rustrict must read a message: its skeletons are worth a second
/// reading only when they undo something — a letter changed (`@ss`, `n1gga`), letters
/// merged (`f a g`), a repeat squeezed, a mark cut out of a word (`f.ck`). When they
/// differ from the text as written only by what rustrict reads through anyway (marks at
/// a word's edges, `that's` → `thats`, runs of spaces), the second reading is the first
/// one again; that is most ordinary chat (half of it has a comma, an apostrophe or a
/// question mark), and it halves rustrict's work there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    Once,
    Twice,
}

impl Reads {
    fn of(as_written: &str, skeletons: &str) -> Reads {
        let mut skeletons = skeletons.split_whitespace();
        for token in as_written.split_whitespace() {
            let core = token.trim_matches(|c: char| !c.is_alphanumeric());
            if core.is_empty() {
                continue;
            }
            let same = skeletons
                .next()
                .is_some_and(|word| core.chars().filter(|c| *c != '\'').eq(word.chars()));
            if !same {
                return Reads::Twice;
            }
        }
        if skeletons.next().is_some() {
            return Reads::Twice;
        }
        Reads::Once
    }
}

/// rustrict's verdict on the first of `texts` it finds bad at `threshold`.
fn rustrict_verdict(texts: &[String], threshold: Type) -> Option<Verdict> {
    texts
        .iter()
        .flat_map(|text| windows(text))
        .find_map(|text| {
            let analysis = analyze(text);
            DICTIONARY_READY.store(true, Ordering::Relaxed);
            analysis.is(threshold).then(|| {
                // Only a hit pays for the censored copy that names the words.
                let censored = Censor::from_str(text)
                    .with_censor_threshold(threshold)
                    .censor();
                let hits: Vec<&str> = censored
                    .split_whitespace()
                    .filter(|w| w.contains('*'))
                    .take(3)
                    .collect();
                let detail = if hits.is_empty() {
                    describe(analysis).to_string()
                } else {
                    format!("{} ({})", describe(analysis), hits.join(", "))
                };
                Verdict::new(Rule::Profanity, detail)
            })
        })
}

/// What rustrict makes of `text` (without building the censored copy).
fn analyze(text: &str) -> Type {
    Censor::from_str(text).analyze()
}

/// Bytes of text rustrict reads at once. Its work grows faster than the text on long
/// runs of short tokens (16 KB of `@u123` mentions took 0.6 s natively, more than a
/// second in wasm), so a long text is read in overlapping windows: linear in the
/// length, and a word split across a window edge is whole in the next window.
const WINDOW: usize = 512;

/// How far consecutive windows overlap, in bytes (more than any evasion's spread).
const OVERLAP: usize = 96;

/// `text` as overlapping windows of at most about [`WINDOW`] bytes, cut at whitespace
/// where possible (always on character boundaries).
fn windows(text: &str) -> Vec<&str> {
    if text.len() <= WINDOW {
        return vec![text];
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let mut end = floor((start + WINDOW).min(text.len()));
        if end < text.len() {
            // end at the last whitespace in the second half of the window, if any
            if let Some((i, _)) = text[start..end]
                .char_indices()
                .rev()
                .find(|(i, c)| c.is_whitespace() && *i > WINDOW / 2)
            {
                end = start + i;
            }
        }
        out.push(&text[start..end]);
        if end >= text.len() {
            return out;
        }
        // the next window starts OVERLAP bytes back, after a whitespace if there is one
        let back = floor(end.saturating_sub(OVERLAP).max(start + 1));
        start = text[back..end]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(back, |(i, c)| back + i + c.len_utf8());
        if start >= end {
            start = back.max(start.min(end));
        }
    }
}

/// The quick screen for a cold instance: could this be bad language? A superset of
/// [`check`] for the common words (any stem anywhere in the letters of the message,
/// spaces removed), plus the exact extra and built-in words. Microseconds, no
/// dictionary.
pub fn screen(norm: &Normalized, settings: &Settings) -> bool {
    let (words, squeezed) = words_to_read(norm, &settings.allow_words);
    if extra_word(&squeezed, settings.extra_words.iter().map(String::as_str)).is_some()
        || builtin_word(&squeezed, &[]).is_some()
    {
        return true;
    }
    if words.iter().any(|w| SCREEN_WORDS.contains(&w.as_str())) || self_censored(&norm.plain) {
        return true;
    }
    let letters: String = squeeze(&squeezed.concat());
    let strict = settings.profanity_level == ProfanityLevel::Strict;
    STEMS.iter().any(|stem| letters.contains(stem))
        || (strict && MILD_STEMS.iter().any(|stem| letters.contains(stem)))
}

/// A word with `*` inside (`f*ck`, `wh*re`): rustrict counts self-censoring as
/// profanity, so the screen must too.
fn self_censored(plain: &str) -> bool {
    plain.split_whitespace().any(|chunk| {
        let inner = chunk.trim_matches(|c: char| !c.is_alphanumeric());
        inner.contains('*') && inner.chars().any(char::is_alphabetic)
    })
}

/// The gravest category in an analysis, in words for the warning reason.
fn describe(analysis: Type) -> &'static str {
    if analysis.is(Type::OFFENSIVE & Type::SEVERE) {
        "slur or hate speech"
    } else if analysis.is(Type::MEAN & Type::SEVERE) {
        "abusive language"
    } else if analysis.is(Type::SEXUAL & Type::SEVERE) {
        "sexual language"
    } else if analysis.is(Type::OFFENSIVE) {
        "offensive language"
    } else if analysis.is(Type::PROFANE & Type::MODERATE_OR_HIGHER) {
        "bad language"
    } else if analysis.is(Type::SEXUAL & Type::MODERATE_OR_HIGHER) {
        "sexual language"
    } else {
        "bad language"
    }
}

/// The first configured extra word found in the message. A word matches a whole word of
/// the message (repeats squeezed), optionally with a plural or verb ending; a phrase
/// matches consecutive words.
fn extra_word<'w>(words: &[String], entries: impl IntoIterator<Item = &'w str>) -> Option<&'w str> {
    entries.into_iter().find(|entry| {
        let wanted: Vec<String> = entry.split(' ').map(squeeze).collect();
        phrase_matches(words, &wanted)
    })
}

/// [`extra_word`] for the built-in words the guild has not allowed, squeezed once per
/// instance rather than on every message.
fn builtin_word(words: &[String], allow_words: &[String]) -> Option<&'static str> {
    static SQUEEZED: OnceLock<Vec<(&'static str, Vec<String>)>> = OnceLock::new();
    let builtin = SQUEEZED.get_or_init(|| {
        BUILTIN_WORDS
            .iter()
            .map(|w| (*w, w.split(' ').map(squeeze).collect()))
            .collect()
    });
    builtin
        .iter()
        .filter(|(w, _)| !allow_words.iter().any(|a| a == w))
        .find(|(_, wanted)| phrase_matches(words, wanted))
        .map(|(w, _)| *w)
}

/// Do consecutive `words` read `wanted` (the last word may carry an ending)?
fn phrase_matches(words: &[String], wanted: &[String]) -> bool {
    let n = wanted.len();
    n > 0
        && words.windows(n).any(|window| {
            window[..n - 1] == wanted[..n - 1] && word_matches(&window[n - 1], &wanted[n - 1])
        })
}

/// The message's words and squeezed words without the safe phrases and allowed words
/// (see [`without_safe_phrases`]): borrowed from `norm` when it has none of them, as
/// most messages do.
fn words_to_read<'n>(
    norm: &'n Normalized,
    allow_words: &[String],
) -> (Cow<'n, [String]>, Cow<'n, [String]>) {
    match without_safe_phrases(&norm.words, allow_words) {
        Cow::Borrowed(words) => (Cow::Borrowed(words), Cow::Borrowed(norm.squeezed())),
        Cow::Owned(words) => {
            let squeezed = words.iter().map(|w| squeeze(w)).collect();
            (Cow::Owned(words), Cow::Owned(squeezed))
        }
    }
}

/// Words with the safe phrases and allowed words removed (so neither a configured or
/// built-in word nor the dictionary matches inside "spic and span"). Compared exactly:
/// squeezed, "nigger" would pass for "Niger". Borrowed when nothing is removed.
fn without_safe_phrases<'w>(words: &'w [String], allow_words: &[String]) -> Cow<'w, [String]> {
    let allowed = as_phrases(allow_words);
    let starts_at = |words: &[String], i: usize, phrase: &[&str]| {
        let n = phrase.len();
        i + n <= words.len() && words[i..i + n].iter().zip(phrase).all(|(w, p)| w == p)
    };
    let any = (0..words.len()).any(|i| safe_phrases(&allowed).any(|p| starts_at(words, i, p)));
    if !any {
        return Cow::Borrowed(words);
    }
    let mut words = words.to_vec();
    for i in 0..words.len() {
        for phrase in safe_phrases(&allowed) {
            if starts_at(&words, i, phrase) {
                words[i..i + phrase.len()]
                    .iter_mut()
                    .for_each(String::clear);
            }
        }
    }
    words.retain(|w| !w.is_empty());
    Cow::Owned(words)
}

/// The guild's allowed words, each as the list of words it is made of.
fn as_phrases(allow_words: &[String]) -> Vec<Vec<&str>> {
    allow_words.iter().map(|w| w.split(' ').collect()).collect()
}

/// The built-in safe phrases, then the guild's allowed ones (from [`as_phrases`]).
fn safe_phrases<'a>(allowed: &'a [Vec<&'a str>]) -> impl Iterator<Item = &'a [&'a str]> {
    SAFE_PHRASES
        .iter()
        .copied()
        .chain(allowed.iter().map(Vec::as_slice))
}

/// `word` is `wanted` or `wanted` plus a common ending.
fn word_matches(word: &str, wanted: &str) -> bool {
    const ENDINGS: [&str; 9] = ["", "s", "es", "ed", "er", "ers", "ing", "y", "z"];
    word.strip_prefix(wanted)
        .is_some_and(|ending| ENDINGS.contains(&ending))
}

/// `plain` without the chunks that are not words: numbers (`1234-5678`, which rustrict
/// would read as leetspeak) and code-like symbol runs (`^[a-z]+$`).
fn blank_non_words(plain: &str) -> String {
    let mut out = String::with_capacity(plain.len());
    let mut rest = plain;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        let total = chunk.chars().count();
        let alnum = chunk.chars().filter(|c| c.is_alphanumeric()).count();
        let letters = chunk.chars().any(char::is_alphabetic);
        let code = chunk.contains(['[', ']', '{', '}', '^', '\\', '<', '>', '=', ';']);
        if !letters || (code && alnum * 2 < total) {
            out.extend(std::iter::repeat_n(' ', total));
        } else {
            out.push_str(chunk);
        }
        let space = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..space]);
        rest = &tail[space..];
    }
    out
}

/// `plain` with the built-in safe phrases and the guild's allowed words replaced by
/// spaces, so rustrict never sees them.
fn blank_safe_words<'p>(plain: &'p str, allow_words: &[String]) -> Cow<'p, str> {
    let allowed = as_phrases(allow_words);
    // Most texts hold no word that starts a safe phrase: then nothing to blank, and no
    // need to cut the text into words and try every phrase at every word.
    let starts_a_phrase = |word: &str| {
        safe_first_words().contains(word) || allowed.iter().any(|p| p.first() == Some(&word))
    };
    if !plain
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| !word.is_empty() && starts_a_phrase(word))
    {
        return Cow::Borrowed(plain);
    }
    // Byte ranges of the alphanumeric runs, and their text.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in plain.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, plain.len()));
    }
    let words: Vec<&str> = spans.iter().map(|&(s, e)| &plain[s..e]).collect();

    let mut blank = vec![false; words.len()];
    for i in 0..words.len() {
        for phrase in safe_phrases(&allowed) {
            let n = phrase.len();
            if i + n <= words.len() && words[i..i + n] == phrase[..] {
                blank[i..i + n].iter_mut().for_each(|b| *b = true);
            }
        }
    }
    if !blank.contains(&true) {
        return Cow::Borrowed(plain);
    }
    let mut out = String::with_capacity(plain.len());
    let mut last = 0;
    for (&(s, e), &b) in spans.iter().zip(&blank) {
        if b {
            out.push_str(&plain[last..s]);
            out.push(' ');
            last = e;
        }
    }
    out.push_str(&plain[last..]);
    Cow::Owned(out)
}

/// The first words of the built-in safe phrases (built once per instance).
fn safe_first_words() -> &'static FxHashSet<&'static str> {
    static FIRST: OnceLock<FxHashSet<&'static str>> = OnceLock::new();
    FIRST.get_or_init(|| {
        SAFE_PHRASES
            .iter()
            .filter_map(|p| p.first().copied())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(text: &str) -> Option<Verdict> {
        check(&Normalized::new(text), &Settings::default())
    }

    /// What rustrict says of `text` (its reason, if any), reading its skeletons too
    /// always (`twice`, as before [`Reads`]) or when [`Reads`] asks for it.
    fn rustrict_says(text: &str, settings: &Settings, twice: bool) -> Option<String> {
        let norm = Normalized::new(text);
        let (words, _) = words_to_read(&norm, &settings.allow_words);
        let reads = |a: &str, s: &str| if twice { Reads::Twice } else { Reads::of(a, s) };
        let texts = texts_to_read(&norm, &words, &settings.allow_words, reads);
        rustrict_verdict(&texts, threshold(settings.profanity_level)).map(|v| v.reason())
    }

    #[test]
    fn skeletons_are_read_again_only_when_they_undo_an_evasion() {
        let once = |a: &str, b: &str| Reads::of(a, b) == Reads::Once;
        assert!(once(
            "hey astra, what can you do?",
            "hey astra what can you do"
        ));
        assert!(once("that's a classic", "thats a classic"));
        assert!(once("  united   won!", "united won"));
        assert!(!once("@ss", "ass"), "a letter changed");
        assert!(!once("f a g", "fag"), "letters merged");
        assert!(!once("f.ck off", "f ck off"), "a mark cut out of a word");
        assert!(!once("sooooo good", "so good"), "a repeat squeezed");
        assert!(!once("hello there", "hello"), "a word fewer");
        assert!(!once("hello", "hello there"), "a word more");
    }

    /// Reading once where [`Reads`] says it is enough never changes a verdict: on
    /// every corpus line, and on each with commas, apostrophes, exclamation and
    /// question marks at its words' edges (what makes chat read differently as written).
    #[test]
    fn reading_once_finds_what_reading_twice_finds() {
        let corpus = [
            include_str!("../../corpus/abusive.txt"),
            include_str!("../../corpus/clean.txt"),
            include_str!("../../corpus/emergency.txt"),
        ];
        let lines = corpus
            .iter()
            .flat_map(|c| c.lines())
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let mut compared = 0;
        for line in lines {
            let variants = [
                line.to_string(),
                line.replace(' ', ", "),
                line.replace(' ', "! "),
                line.replace(' ', "' "),
                format!("'{line}?!"),
                line.split(' ')
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join("  "),
            ];
            for level in [
                ProfanityLevel::Strict,
                ProfanityLevel::Moderate,
                ProfanityLevel::Lenient,
            ] {
                let settings = Settings {
                    profanity_level: level,
                    ..Settings::default()
                };
                for text in &variants {
                    assert_eq!(
                        rustrict_says(text, &settings, false),
                        rustrict_says(text, &settings, true),
                        "{text:?} at {level:?}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 10_000, "compared {compared}");
    }

    /// Byte offset of `part` inside `whole` (a window is a slice of the text).
    fn offset(whole: &str, part: &str) -> usize {
        part.as_ptr() as usize - whole.as_ptr() as usize
    }

    #[test]
    fn long_texts_are_read_in_overlapping_windows_that_cover_everything() {
        let text = "héllo wörld ".repeat(400) + &"x".repeat(2000);
        let w = windows(&text);
        assert!(w.len() > 1);
        assert_eq!(offset(&text, w[0]), 0);
        let last = w[w.len() - 1];
        assert_eq!(offset(&text, last) + last.len(), text.len());
        for pair in w.windows(2) {
            let end = offset(&text, pair[0]) + pair[0].len();
            assert!(pair[0].len() <= WINDOW);
            assert!(offset(&text, pair[1]) <= end, "no gap between windows");
            assert!(
                offset(&text, pair[1]) > offset(&text, pair[0]),
                "always moves on"
            );
        }
        assert_eq!(windows("short"), vec!["short"]);
    }

    #[test]
    fn a_bad_word_across_a_window_edge_is_still_found() {
        for shift in 0..12 {
            let text = format!(
                "{}{} you fucking idiot",
                "x".repeat(shift),
                " hello".repeat(84)
            );
            assert!(text.find("fucking").unwrap() > WINDOW - 12);
            assert!(flags(&text).is_some(), "shift {shift}");
        }
    }

    #[test]
    fn demo_lines() {
        assert!(flags("This server fucking sucks!").is_some());
        assert!(flags("Bitch please, shut the hell up").is_some());
        assert!(flags("go to hell").is_none());
        assert!(flags("damn it").is_none());
    }

    #[test]
    fn innocent_words_and_names_pass() {
        for text in [
            "Scunthorpe United won",
            "the assassin's creed",
            "shiitake mushrooms",
            "John Hancock signed it",
            "the Fukushima plant",
            "a sailor's sextant",
            "Niger is in West Africa",
            "grab the garden hoe",
            "Matsushita Electric",
            "Dick Van Dyke films",
        ] {
            assert_eq!(flags(text), None, "{text}");
        }
    }

    #[test]
    fn allow_words_silence_the_dictionary() {
        let s = Settings::from_json_pairs([("allow-words", r#"["bitch"]"#)]);
        assert!(check(&Normalized::new("my dog is a good bitch"), &s).is_none());
    }

    #[test]
    fn extra_words_match_through_evasions() {
        let s = Settings::from_json_pairs([("extra-words", r#"["pineapple", "free nitro"]"#)]);
        for text in [
            "PINEAPPLE!",
            "p1neapple",
            "p i n e a p p l e",
            "pineapples",
            "get fr33 n1tro",
        ] {
            let v = check(&Normalized::new(text), &s);
            assert_eq!(v.map(|v| v.rule), Some(Rule::Profanity), "{text}");
        }
        assert!(check(&Normalized::new("pine and apple"), &s).is_none());
    }

    #[test]
    fn the_quick_screen_catches_what_the_dictionary_catches() {
        let s = Settings::default();
        let corpus = [crate::corpus::ABUSIVE, crate::corpus::CLEAN];
        let mut screened_clean = 0;
        let mut missed = Vec::new();
        for line in corpus.into_iter().flat_map(crate::corpus::lines) {
            let norm = Normalized::new(line);
            if check(&norm, &s).is_some() && !screen(&norm, &s) {
                missed.push(line);
            }
        }
        assert!(missed.is_empty(), "the screen misses {missed:#?}");
        for line in crate::corpus::lines(crate::corpus::CLEAN) {
            screened_clean += usize::from(screen(&Normalized::new(line), &s));
        }
        println!("the screen lets {screened_clean} clean lines through to a closer look");
    }

    #[test]
    fn strict_level_counts_mild_words() {
        let s = Settings::from_json_pairs([("profanity-level", r#""strict""#)]);
        assert!(check(&Normalized::new("what the hell"), &s).is_some());
    }
}
