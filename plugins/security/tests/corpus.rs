//! Measures the content classifier on the labelled corpus in `corpus/` and holds it to
//! the bar: recall ≥ 0.95 on abusive messages, false-positive rate ≤ 1% on clean ones,
//! and every emergency caught as an emergency. Prints the numbers and every miss.

use security::corpus::{self, lines, score};
use security::{classify, Settings};

#[test]
fn abusive_messages_are_caught_and_clean_ones_pass() {
    let settings = Settings::default();
    let abusive = lines(corpus::ABUSIVE);
    let clean = lines(corpus::CLEAN);
    assert!(
        abusive.len() >= 150,
        "abusive corpus too small: {}",
        abusive.len()
    );
    assert!(
        clean.len() >= 300,
        "clean corpus too small: {}",
        clean.len()
    );

    let scores = score(&abusive, &clean, |line| {
        classify(line, &settings).is_some_and(|v| !v.rule.is_emergency())
    });
    println!("violations: {scores}");
    for line in &scores.missed {
        println!("  missed:  {line}");
    }
    for line in &scores.false_positives {
        let verdict = classify(line, &settings).map(|v| v.reason());
        println!("  flagged: {line}  ->  {verdict:?}");
    }
    assert!(scores.recall() >= 0.95, "recall {:.3}", scores.recall());
    assert!(
        scores.false_positive_rate() <= 0.01,
        "false-positive rate {:.3}",
        scores.false_positive_rate()
    );
}

#[test]
fn emergencies_are_recognised_as_emergencies() {
    let settings = Settings::default();
    let emergency = lines(corpus::EMERGENCY);
    let clean = lines(corpus::CLEAN);
    let scores = score(&emergency, &clean, |line| {
        classify(line, &settings).is_some_and(|v| v.rule.is_emergency())
    });
    println!("emergencies: {scores}");
    for line in &scores.missed {
        println!("  missed:  {line}");
    }
    for line in &scores.false_positives {
        println!("  flagged: {line}");
    }
    assert!(scores.recall() >= 0.95, "recall {:.3}", scores.recall());
    assert!(
        scores.false_positives.is_empty(),
        "hyperbole flagged as an emergency"
    );
}

#[test]
fn the_bundled_score_is_what_the_lead_reuses() {
    let scores = corpus::score_bundled();
    println!("all rules: {scores}");
    assert!(scores.recall() >= 0.95);
    assert!(scores.false_positive_rate() <= 0.01);
}

#[test]
fn classification_is_cheap() {
    let settings = Settings::default();
    let all: Vec<&str> = [corpus::ABUSIVE, corpus::CLEAN, corpus::EMERGENCY]
        .into_iter()
        .flat_map(lines)
        .collect();
    classify("warm up the dictionary", &settings);
    let start = std::time::Instant::now();
    for line in &all {
        classify(line, &settings);
    }
    let per_message = start.elapsed() / all.len() as u32;
    println!("{} messages, {per_message:?} per message", all.len());
}
