//! The emergency rules: `self-harm` (the author talks about hurting or killing
//! themselves) and `violence` (the author threatens to hurt someone). Neither is
//! punished: the cog answers with care and alerts the moderators (see `respond`).
//!
//! Detection is phrase matching on the normalized, squeezed words (so `k1lll myself`
//! and `kill my self` read the same), with the context checks that separate a cry for
//! help or a threat from everyday hyperbole:
//! - intent or first person where the phrase alone is ambiguous ("I want to die" but not
//!   "people who want to die"; "going to cut myself" but not "I cut myself shaving");
//! - negation just before ("I would never hurt you", "I don't want to die");
//! - idioms after ("killing myself laughing", "die of embarrassment", "shoot you a
//!   message") and, for threats only, game talk and jokes ("kill you in Minecraft lol").
//!
//! "This joke killed me" and "I could kill for a pizza" never match: "killed me" is not
//! self-directed intent and "kill for" has no victim.

mod lexicon;

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

use crate::normalize::Normalized;
use crate::rules::{Rule, Verdict};

use lexicon::*;

/// The emergency verdicts for a message: self-harm first, then violence.
pub fn check(norm: &Normalized) -> Vec<Verdict> {
    let words = &Words::new(norm.squeezed());
    let joking = norm.folded.contains(['😂', '🤣', '😆', '😜']);
    let mut found = Vec::new();
    let quote = |(start, end): (usize, usize)| format!("\"{}\"", norm.words[start..end].join(" "));
    if let Some(span) = self_harm(words) {
        found.push(Verdict::new(Rule::SelfHarm, quote(span)));
    }
    if let Some(span) = violence(words, joking) {
        found.push(Verdict::new(Rule::Violence, quote(span)));
    }
    found
}

/// The span of words that reads as self-harm talk.
fn self_harm(words: &Words) -> Option<(usize, usize)> {
    for i in 0..words.len() {
        // "kill myself", "hang myself" ...
        if let Some(v) = any_at(words, i, SELF_FATAL) {
            if let Some(r) = any_at(words, i + v, REFLEXIVE) {
                if !negated(words, i) && !idiom_after(words, i + v + r, SELF_IDIOMS) {
                    return Some((i, i + v + r));
                }
            }
        }
        // "going to cut myself", "I keep hurting myself".
        if let Some(v) = any_at(words, i, SELF_INJURY) {
            if let Some(r) = any_at(words, i + v, REFLEXIVE) {
                let intent =
                    (i.saturating_sub(4)..i).any(|j| any_at(words, j, SELF_INTENT).is_some());
                if intent && !negated(words, i) && !idiom_after(words, i + v + r, SELF_IDIOMS) {
                    return Some((i, i + v + r));
                }
            }
        }
        if let Some(n) = any_at(words, i, SELF_PHRASES) {
            let numeric_before = i > 0 && words[i - 1].chars().all(|c| c.is_ascii_digit());
            let is_kms = words[i] == "kms";
            let distance_unit = is_kms && numeric_before;
            if !distance_unit && !negated(words, i) {
                return Some((i, i + n));
            }
        }
        if let Some(n) = any_at(words, i, SELF_FIRST_PERSON) {
            let first_person =
                (i.saturating_sub(4)..i).any(|j| any_at(words, j, FIRST_PERSON).is_some());
            if first_person && !negated(words, i) && !idiom_after(words, i + n, SELF_IDIOMS) {
                return Some((i, i + n));
            }
        }
    }
    None
}

/// The span of words that reads as a threat.
fn violence(words: &Words, joking: bool) -> Option<(usize, usize)> {
    let banter = joking
        || words.iter().any(|w| lexicon().banter.contains(w.as_str()))
        || (0..words.len()).any(|i| any_at(words, i, VIOLENT_IDIOMS).is_some());
    if banter {
        return None;
    }
    for i in 0..words.len() {
        if let Some(n) = any_at(words, i, THREATS) {
            return Some((i, i + n));
        }
        let Some(intent) = any_at(words, i, INTENT) else {
            continue;
        };
        if negated(words, i) {
            continue;
        }
        // intent, up to three fillers ("literally", "fucking"), verb, at most one filler, target
        for verb_at in (i + intent)..=(i + intent + 3) {
            let Some(verb) = any_at(words, verb_at, VIOLENT) else {
                continue;
            };
            for target_at in (verb_at + verb)..=(verb_at + verb + 1) {
                let Some(target) = target_len(words, target_at) else {
                    continue;
                };
                let filler = words
                    .get(verb_at + verb)
                    .filter(|_| target_at > verb_at + verb);
                if filler.is_some_and(|w| NOT_FILLERS.iter().any(|n| same(w, n))) {
                    continue;
                }
                let end = target_at + target;
                let verb_word = words[verb_at].as_str();
                if same(verb_word, "end") && !same(&words[target_at], "you") {
                    continue;
                }
                if verb == 1
                    && same(verb_word, "beat")
                    && !(end..end + 2).any(|j| words.get(j).is_some_and(|w| same(w, "up")))
                    && !words.get(verb_at + 1).is_some_and(|w| same(w, "up"))
                {
                    continue;
                }
                if same(verb_word, "burn")
                    && !words[target_at..end].iter().any(|w| same(w, "house"))
                {
                    continue;
                }
                if idiom_after(words, end, THREAT_IDIOMS) {
                    continue;
                }
                return Some((i, end));
            }
        }
    }
    None
}

/// The length of the target of a threat at `words[i..]`: a pronoun, or a determiner,
/// at most one more word ("whole", "stupid") and a person ("my roommate").
fn target_len(words: &Words, i: usize) -> Option<usize> {
    if let Some(n) = any_at(words, i, PRONOUNS) {
        return Some(n);
    }
    let d = any_at(words, i, DETERMINERS)?;
    let possessive = d == 1
        && !["the", "this", "that", "these", "those"]
            .iter()
            .any(|w| same(&words[i], w));
    (0..=1).find_map(|extra| {
        let at = i + d + extra;
        let p = any_at(words, at, PERSONS)?;
        // "kill the boss" is a video game; "kill my boss" is not.
        let game_boss = same(&words[at], "boss") && !possessive;
        (!game_boss).then_some(d + extra + p)
    })
}

/// A negation within the two words before `i`.
fn negated(words: &Words, i: usize) -> bool {
    (i.saturating_sub(2)..i).any(|j| any_at(words, j, NEGATIONS).is_some_and(|n| j + n <= i))
}

/// One of `idioms` starts right at `i`.
fn idiom_after(words: &Words, i: usize, idioms: &'static [&'static str]) -> bool {
    any_at(words, i, idioms).is_some()
}

/// The length in words of the first of `phrases` found at `words[i..]`. Only the
/// phrases whose first word is `words[i]` can match, and [`Words`] looked those up
/// once per word.
fn any_at(words: &Words, i: usize, phrases: &'static [&'static str]) -> Option<usize> {
    let list = phrases.as_ptr() as usize;
    words
        .starts
        .get(i)?
        .iter()
        .filter(|(of, _)| *of == list)
        .find_map(|(_, phrase)| phrase_at(words, i, phrase))
}

/// A message's squeezed words, each with the phrases (of every list) that begin with
/// it: one hash lookup per word, however many lists are asked about it.
struct Words<'a> {
    words: &'a [String],
    starts: Vec<&'static [(usize, &'static str)]>,
}

impl<'a> Words<'a> {
    fn new(words: &'a [String]) -> Self {
        let index = &lexicon().starts;
        let starts = words
            .iter()
            .map(|w| index.get(w.as_str()).map_or(&[][..], Vec::as_slice))
            .collect();
        Words { words, starts }
    }
}

impl std::ops::Deref for Words<'_> {
    type Target = [String];

    fn deref(&self) -> &[String] {
        self.words
    }
}

/// Every phrase list of the lexicon. The index tells them apart by address, so each is
/// a `static` (one address) and no two are alike (so none can be merged).
fn lists() -> [&'static [&'static str]; 19] {
    [
        SELF_FATAL,
        SELF_INJURY,
        REFLEXIVE,
        SELF_INTENT,
        SELF_PHRASES,
        SELF_FIRST_PERSON,
        FIRST_PERSON,
        SELF_IDIOMS,
        INTENT,
        VIOLENT,
        PRONOUNS,
        DETERMINERS,
        PERSONS,
        NOT_FILLERS,
        VIOLENT_IDIOMS,
        THREATS,
        THREAT_IDIOMS,
        BANTER,
        NEGATIONS,
    ]
}

/// The phrase lists, indexed once per instance (the cog's `init` builds it before the
/// snapshot): every phrase by its first word (squeezed), tagged with its list (the
/// list's address: the lists are statics), in list order; and the banter words.
struct Lexicon {
    starts: FxHashMap<String, Vec<(usize, &'static str)>>,
    banter: FxHashSet<String>,
}

fn lexicon() -> &'static Lexicon {
    // Fx, not SipHash: the keys are our own phrases, never user text, and SipHash was
    // ~2 % of a security call in wasm.
    static BUILT: OnceLock<Lexicon> = OnceLock::new();
    BUILT.get_or_init(|| {
        let all = lists();
        let mut starts: FxHashMap<String, Vec<(usize, &'static str)>> = FxHashMap::default();
        for list in all {
            for phrase in list {
                let first = phrase.split(' ').next().unwrap_or_default();
                starts
                    .entry(squeezed(first))
                    .or_default()
                    .push((list.as_ptr() as usize, *phrase));
            }
        }
        Lexicon {
            starts,
            // `same(word, b)` is `word == squeezed(b)`
            banter: BANTER.iter().map(|b| squeezed(b)).collect(),
        }
    })
}

/// `pattern` with runs of one character cut to one (as [`same`] compares).
fn squeezed(pattern: &str) -> String {
    let mut last = None;
    pattern
        .chars()
        .filter(|&c| {
            let keep = last != Some(c);
            last = Some(c);
            keep
        })
        .collect()
}

/// The length in words of `phrase` when `words[i..]` starts with it.
fn phrase_at(words: &[String], i: usize, phrase: &str) -> Option<usize> {
    let mut n = 0;
    for part in phrase.split(' ') {
        if !same(words.get(i + n)?, part) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// `word` (already squeezed) equals `pattern` squeezed: `kil` matches "kill".
fn same(word: &str, pattern: &str) -> bool {
    let mut last = None;
    let mut squeezed = pattern.chars().filter(|&c| {
        let keep = last != Some(c);
        last = Some(c);
        keep
    });
    let mut word_chars = word.chars();
    loop {
        match (word_chars.next(), squeezed.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Option<Rule> {
        check(&Normalized::new(text)).first().map(|v| v.rule)
    }

    #[test]
    fn every_phrase_list_is_known_by_its_own_address() {
        let addresses: FxHashSet<usize> = lists().iter().map(|l| l.as_ptr() as usize).collect();
        assert_eq!(addresses.len(), lists().len());
    }

    #[test]
    fn self_harm_is_recognised() {
        for text in [
            "I want to kill myself",
            "i'm going to k1ll mys3lf tonight",
            "I've been cutting myself again",
            "i just want to end my life",
            "honestly I want to die",
            "everyone would be better off without me",
            "I'm feeling suicidal",
            "i dont want to live anymore",
            "thinking about suicide a lot lately",
            "gonna kms",
        ] {
            assert_eq!(rule(text), Some(Rule::SelfHarm), "{text}");
        }
    }

    #[test]
    fn threats_are_recognised() {
        for text in [
            "I'm going to kill you",
            "i will fucking stab him",
            "I'm gonna shoot up the school tomorrow",
            "I know where you live",
            "ill beat you up after class",
            "I'm going to hurt your family",
        ] {
            assert_eq!(rule(text), Some(Rule::Violence), "{text}");
        }
    }

    #[test]
    fn hyperbole_and_idioms_are_not_emergencies() {
        for text in [
            "this joke killed me",
            "I could kill for a pizza",
            "I'm dying of laughter",
            "I was killing myself laughing",
            "I cut myself shaving this morning",
            "I want to die of embarrassment",
            "I'll shoot you a message later",
            "I'm going to kill you in minecraft lol",
            "I would never hurt you",
            "I don't want to die",
            "how many people commit suicide every year?",
            "the suicide squad movie was fun",
            "I want to die on this hill",
            "I'm going to end it with her",
            "we drove 5 kms",
            "kill the process and restart it",
            "she killed it on stage",
            "my mom is going to kill me",
            "I'm going to destroy you at chess",
            "cut myself some slack",
        ] {
            assert_eq!(rule(text), None, "{text}");
        }
    }
}
