//! The knowledge base: question/answer entries with optional keywords. A guild can set
//! its own in the `knowledge-base` setting (a JSON list, or a string holding one);
//! otherwise the built-in default from `kb/default.json` is used. This file parses and
//! validates it and fingerprints the texts that get embedded, so cached vectors are tied
//! to one version of the knowledge base. Pure.
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The built-in knowledge base, compiled in.
pub const DEFAULT_KB: &str = include_str!("../kb/default.json");

/// Entries beyond this many are ignored (each costs an embedding).
pub const MAX_ENTRIES: usize = 500;

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub q: String,
    pub a: String,
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Where the entries in use came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    BuiltIn,
    Guild,
    /// The guild's `knowledge-base` was unusable (the text says why); built-in in use.
    InvalidGuild(String),
}

/// The entries in use and their origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Kb {
    pub entries: Vec<Entry>,
    pub source: Source,
}

impl Kb {
    /// The knowledge base for the `knowledge-base` setting `setting` (JSON, if set).
    pub fn from_setting(setting: Option<Value>) -> Kb {
        let value = match setting {
            None | Some(Value::Null) => return Kb::builtin(Source::BuiltIn),
            Some(Value::String(text)) => match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => return Kb::builtin(Source::InvalidGuild(format!("not JSON: {e}"))),
            },
            Some(v) => v,
        };
        match parse_entries(value) {
            Ok(entries) => Kb {
                entries,
                source: Source::Guild,
            },
            Err(why) => Kb::builtin(Source::InvalidGuild(why)),
        }
    }

    fn builtin(source: Source) -> Kb {
        Kb {
            entries: builtin_entries(),
            source,
        }
    }

    /// The text embedded for each entry: its question.
    pub fn embed_texts(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.q.clone()).collect()
    }
}

/// The built-in entries.
pub fn builtin_entries() -> Vec<Entry> {
    // The file is checked by a unit test, so this cannot fail in a build that passed.
    parse_entries(serde_json::from_str(DEFAULT_KB).unwrap_or(Value::Null)).unwrap_or_default()
}

/// Valid entries from a JSON list: blank questions or answers are dropped, text trimmed.
fn parse_entries(value: Value) -> Result<Vec<Entry>, String> {
    let entries: Vec<Entry> = serde_json::from_value(value)
        .map_err(|e| format!("expected a list of {{\"q\", \"a\", \"keywords\"}}: {e}"))?;
    let entries: Vec<Entry> = entries
        .into_iter()
        .filter(|e| !e.q.trim().is_empty() && !e.a.trim().is_empty())
        .take(MAX_ENTRIES)
        .map(|e| Entry {
            q: e.q.trim().to_string(),
            a: e.a.trim().to_string(),
            keywords: e.keywords,
        })
        .collect();
    if entries.is_empty() {
        return Err("no entry has both a question and an answer".into());
    }
    Ok(entries)
}

/// A short stable fingerprint (FNV-1a, 64 bits, hex) of `texts`.
pub fn fingerprint(texts: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for text in texts {
        for byte in text.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_builtin_knowledge_base_is_valid_and_complete() {
        let all: Vec<Entry> = serde_json::from_str(DEFAULT_KB).expect("kb/default.json parses");
        let kept = builtin_entries();
        assert_eq!(all.len(), kept.len(), "no entry is blank");
        assert!(kept.len() >= 15);
        assert!(kept.iter().all(|e| !e.keywords.is_empty()));
    }

    #[test]
    fn no_setting_means_the_builtin() {
        let kb = Kb::from_setting(None);
        assert_eq!(kb.source, Source::BuiltIn);
        assert_eq!(kb.entries, builtin_entries());
    }

    #[test]
    fn a_guild_list_replaces_the_builtin() {
        let kb = Kb::from_setting(Some(json!([
            {"q": " How do I join? ", "a": "Click join.", "keywords": ["join"]},
            {"q": "No keywords?", "a": "Fine."},
            {"q": "", "a": "dropped"}
        ])));
        assert_eq!(kb.source, Source::Guild);
        assert_eq!(kb.entries.len(), 2);
        assert_eq!(kb.entries[0].q, "How do I join?");
        assert!(kb.entries[1].keywords.is_empty());
    }

    #[test]
    fn a_list_inside_a_string_is_accepted() {
        let kb = Kb::from_setting(Some(json!("[{\"q\": \"a?\", \"a\": \"b\"}]")));
        assert_eq!(kb.source, Source::Guild);
        assert_eq!(kb.entries.len(), 1);
    }

    #[test]
    fn an_unusable_setting_falls_back_and_says_why() {
        for bad in [
            json!({"q": 1}),
            json!("nope"),
            json!([]),
            json!([{"q": "x", "a": " "}]),
        ] {
            let kb = Kb::from_setting(Some(bad.clone()));
            assert!(
                matches!(kb.source, Source::InvalidGuild(_)),
                "{bad} should be invalid"
            );
            assert_eq!(kb.entries, builtin_entries());
        }
    }

    #[test]
    fn fingerprints_change_with_the_texts() {
        let a = fingerprint(&["x".into(), "y".into()]);
        assert_eq!(a, fingerprint(&["x".into(), "y".into()]));
        assert_ne!(a, fingerprint(&["xy".into()]));
        assert_ne!(a, fingerprint(&["y".into(), "x".into()]));
        assert_eq!(a.len(), 16);
    }
}
