//! Scratch: score a holdout set (not shipped).
use security::corpus::{lines, score};
use security::{classify, Settings};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
    let (a, c, e) = (
        read("abusive.txt"),
        read("clean.txt"),
        read("emergency.txt"),
    );
    let s = Settings::default();
    let v = score(&lines(&a), &lines(&c), |l| {
        classify(l, &s).is_some_and(|v| !v.rule.is_emergency())
    });
    println!("violations: {v}");
    for m in &v.missed {
        println!("  missed: {m}");
    }
    for m in &v.false_positives {
        println!(
            "  flagged: {m} -> {:?}",
            classify(m, &s).map(|v| v.reason())
        );
    }
    let v = score(&lines(&e), &lines(&c), |l| {
        classify(l, &s).is_some_and(|v| v.rule.is_emergency())
    });
    println!("emergencies: {v}");
    for m in &v.missed {
        println!("  missed: {m} -> {:?}", classify(m, &s).map(|v| v.reason()));
    }
    for m in &v.false_positives {
        println!(
            "  flagged: {m} -> {:?}",
            classify(m, &s).map(|v| v.reason())
        );
    }
}
