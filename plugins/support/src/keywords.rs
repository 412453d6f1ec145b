//! Matching by words, for when no embedding model is loaded: each entry's question and
//! keywords become a bag of stemmed words ([`tokens`]), weighted by how rare each word is
//! across the knowledge base (IDF), and the question is compared to each bag by weighted
//! cosine. Words the knowledge base never uses count fully against a match. Pure.
use crate::kb::Entry;
use crate::tokens::tokens;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// An index over one knowledge base.
pub struct Index {
    docs: Vec<Vec<String>>,
    idf: BTreeMap<String, f32>,
    unknown_idf: f32,
}

impl Index {
    pub fn new(entries: &[Entry]) -> Self {
        let docs: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                let mut doc = tokens(&e.q);
                for word in tokens(&e.keywords.join(" , ")) {
                    if !doc.contains(&word) {
                        doc.push(word);
                    }
                }
                doc
            })
            .collect();
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for doc in &docs {
            for word in doc {
                *df.entry(word.clone()).or_default() += 1;
            }
        }
        let n = docs.len().max(1) as f32;
        let idf = df
            .into_iter()
            .map(|(w, d)| (w, (1.0 + n / d as f32).ln()))
            .collect();
        Index {
            docs,
            idf,
            unknown_idf: (1.0 + n).ln(),
        }
    }

    /// The index for `entries`, built once per instance and reused while the knowledge
    /// base stays the same (tokenizing every entry was most of a support answer).
    pub fn for_entries(entries: &[Entry]) -> Rc<Index> {
        thread_local! {
            static LAST: RefCell<Option<(Vec<Entry>, Rc<Index>)>> = const { RefCell::new(None) };
        }
        LAST.with_borrow_mut(|last| match last {
            Some((seen, index)) if seen.as_slice() == entries => index.clone(),
            _ => {
                let index = Rc::new(Index::new(entries));
                *last = Some((entries.to_vec(), index.clone()));
                index
            }
        })
    }

    fn weight(&self, word: &str) -> f32 {
        self.idf.get(word).copied().unwrap_or(self.unknown_idf)
    }

    /// Every entry's score for `question`, 0 to 1.
    pub fn scores(&self, question: &str) -> Vec<f32> {
        let query = tokens(question);
        let query_norm: f32 = query
            .iter()
            .map(|w| self.weight(w).powi(2))
            .sum::<f32>()
            .sqrt();
        self.docs
            .iter()
            .map(|doc| {
                let doc_norm: f32 = doc
                    .iter()
                    .map(|w| self.weight(w).powi(2))
                    .sum::<f32>()
                    .sqrt();
                if query_norm == 0.0 || doc_norm == 0.0 {
                    return 0.0;
                }
                let shared: f32 = query
                    .iter()
                    .filter(|w| doc.contains(w))
                    .map(|w| self.weight(w).powi(2))
                    .sum();
                shared / (query_norm * doc_norm)
            })
            .collect()
    }

    /// The best entry for `question` as (index, score), if any word matched at all.
    pub fn best(&self, question: &str) -> Option<(usize, f32)> {
        crate::rank::best_score(&self.scores(question))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::builtin_entries;

    /// The default threshold (see `settings`).
    const THRESHOLD: f32 = crate::settings::DEFAULT_MIN_KEYWORD_SCORE;

    fn answer(question: &str) -> Option<String> {
        let entries = builtin_entries();
        let (i, score) = Index::new(&entries).best(question)?;
        (score >= THRESHOLD).then(|| entries[i].q.clone())
    }

    fn assert_matches(question: &str, expected_fragment: &str) {
        let got = answer(question);
        assert!(
            got.as_deref()
                .is_some_and(|q| q.contains(expected_fragment)),
            "{question:?} matched {got:?}, expected an entry with {expected_fragment:?}"
        );
    }

    #[test]
    fn on_topic_questions_find_their_entry() {
        assert_matches(
            "Help! Bot commands not working!",
            "commands are not working",
        );
        assert_matches("Error with quiz command", "quiz command");
        assert_matches("/quiz keeps failing", "quiz command");
        assert_matches("slash commands don't show up", "not showing up");
        assert_matches("how do I get a role?", "get a role");
        assert_matches("how can I appeal my ban", "appeal");
        assert_matches(
            "someone is harassing me, how do I report them",
            "report a user",
        );
        assert_matches("the bot is offline", "offline");
        assert_matches("I found a bug", "bug");
        assert_matches("how to use /help", "/help");
        assert_matches("why was my message deleted", "deleted");
        assert_matches("it says I don't have permission", "permission");
        assert_matches("someone keeps harassing me", "report a user");
        assert_matches("why am I muted", "timed out");
        assert_matches("how do I change the prefix", "settings");
        assert_matches(
            "nothing happens when I type /rank",
            "commands are not working",
        );
    }

    #[test]
    fn off_topic_questions_find_nothing() {
        for q in [
            "help my cat is sick",
            "What's the weather like?",
            "Anyone want to play games?",
            "help",
            "how do I bake bread",
            "can someone help me with my homework",
            "my pc crashed when playing minecraft",
            "",
        ] {
            assert_eq!(answer(q), None, "{q:?}");
        }
    }

    #[test]
    fn the_index_is_built_again_only_for_another_knowledge_base() {
        let entries = builtin_entries();
        let first = Index::for_entries(&entries);
        assert!(Rc::ptr_eq(&first, &Index::for_entries(&entries)));
        let fewer = &entries[..1];
        let other = Index::for_entries(fewer);
        assert!(!Rc::ptr_eq(&first, &other));
        assert_eq!(
            other.scores("anything").len(),
            1,
            "the index of the new entries"
        );
    }

    #[test]
    fn an_empty_knowledge_base_matches_nothing() {
        assert_eq!(Index::new(&[]).best("anything"), None);
    }
}
