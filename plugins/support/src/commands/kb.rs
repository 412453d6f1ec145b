//! `/kb` (Manage Server): how many knowledge-base entries are in use, where they come
//! from (built-in or this server's `knowledge-base` setting, and why a setting was
//! rejected), whether their vectors are cached, and the questions themselves.
use crate::kb::{Kb, Source};
use crate::replies::fit;
use crate::{settings, vectors};
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

pub const NAME: &str = "kb";

pub fn spec() -> CommandBuilder {
    CommandBuilder::new(NAME, "show the support knowledge base in use")
        .permission(Permission::ManageGuild)
}

pub fn run() -> CommandReply {
    let kb = settings::load_kb();
    let cached = vectors::is_cached(&kb);
    reply_ephemeral(describe(&kb, cached))
}

/// The `/kb` text.
pub fn describe(kb: &Kb, cached: bool) -> String {
    let source = match &kb.source {
        Source::BuiltIn => "the built-in default".to_string(),
        Source::Guild => "this server's `knowledge-base` setting".to_string(),
        Source::InvalidGuild(why) => format!(
            "the built-in default, because this server's `knowledge-base` setting is unusable ({why})"
        ),
    };
    let vectors = if cached {
        "Embeddings: cached."
    } else {
        "Embeddings: not cached yet (built on the first question; keywords are used when no embedding model is loaded)."
    };
    let mut text = format!(
        "Knowledge base: {} entries from {source}.\n{vectors}\n",
        kb.entries.len()
    );
    for (i, e) in kb.entries.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, e.q));
    }
    fit(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_source_and_count_are_shown() {
        let kb = Kb::from_setting(None);
        let text = describe(&kb, false);
        assert!(text.starts_with(&format!(
            "Knowledge base: {} entries from the built-in default.",
            kb.entries.len()
        )));
        assert!(text.contains("not cached yet"));
        assert!(text.contains("\n1. "));
    }

    #[test]
    fn a_rejected_setting_is_explained() {
        let kb = Kb::from_setting(Some(serde_json::json!([])));
        let text = describe(&kb, true);
        assert!(text.contains("is unusable (no entry has both a question and an answer)"));
        assert!(text.contains("Embeddings: cached."));
    }
}
