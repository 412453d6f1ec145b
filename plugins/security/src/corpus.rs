//! The labelled corpus in `corpus/` and the scoring that measures automod on it, public
//! so the host's integration test can run the same lines through the compiled component
//! (`score(abusive, clean, |line| <triage says Critical>)`).
//!
//! - `abusive.txt`: messages that must be flagged (bad language, evasions, invite and
//!   scam links in obfuscated forms);
//! - `clean.txt`: messages that must pass (Scunthorpe-style words, chat, questions,
//!   ordinary links, heated but acceptable talk, hyperbole);
//! - `emergency.txt`: self-harm and threats, which must be flagged as emergencies.
//!
//! One message per line; blank lines and lines starting with `#` are comments.

use std::fmt;

use crate::classify::classify;
use crate::settings::Settings;

pub const ABUSIVE: &str = include_str!("../corpus/abusive.txt");
pub const CLEAN: &str = include_str!("../corpus/clean.txt");
pub const EMERGENCY: &str = include_str!("../corpus/emergency.txt");

/// The messages of a corpus file.
pub fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

/// How a filter did on labelled messages.
#[derive(Clone, Debug, Default)]
pub struct Scores {
    /// Flagged messages from the abusive set.
    pub true_positives: usize,
    /// Abusive messages let through.
    pub missed: Vec<String>,
    /// Clean messages flagged.
    pub false_positives: Vec<String>,
    /// Clean messages let through.
    pub true_negatives: usize,
}

impl Scores {
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.missed.len())
    }

    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives.len(),
        )
    }

    pub fn false_positive_rate(&self) -> f64 {
        ratio(
            self.false_positives.len(),
            self.false_positives.len() + self.true_negatives,
        )
    }
}

impl fmt::Display for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "to flag {} (caught {}), clean {} (flagged {}): precision {:.3}, recall {:.3}, false-positive rate {:.3}",
            self.true_positives + self.missed.len(),
            self.true_positives,
            self.false_positives.len() + self.true_negatives,
            self.false_positives.len(),
            self.precision(),
            self.recall(),
            self.false_positive_rate(),
        )
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Score any filter (`flagged(line)` = it would act) on abusive and clean messages.
pub fn score(abusive: &[&str], clean: &[&str], mut flagged: impl FnMut(&str) -> bool) -> Scores {
    let mut scores = Scores::default();
    for line in abusive {
        if flagged(line) {
            scores.true_positives += 1;
        } else {
            scores.missed.push(line.to_string());
        }
    }
    for line in clean {
        if flagged(line) {
            scores.false_positives.push(line.to_string());
        } else {
            scores.true_negatives += 1;
        }
    }
    scores
}

/// The content classifier with default settings on the bundled corpus; emergencies
/// count as flagged.
pub fn score_bundled() -> Scores {
    let settings = Settings::default();
    let mut abusive = lines(ABUSIVE);
    abusive.extend(lines(EMERGENCY));
    score(&abusive, &lines(CLEAN), |line| {
        classify(line, &settings).is_some()
    })
}
