//! Scratch probe (not shipped).
use rustrict::{Censor, Type};
fn main() {
    let input = std::io::read_to_string(std::io::stdin()).unwrap();
    for line in input.lines() {
        let (c, a) = Censor::from_str(line).censor_and_analyze();
        let mut tags = vec![];
        for (n, ty) in [
            ("PROF", Type::PROFANE),
            ("OFF", Type::OFFENSIVE),
            ("SEX", Type::SEXUAL),
            ("MEAN", Type::MEAN),
            ("EVA", Type::EVASIVE),
        ] {
            for (l, lv) in [
                ("1", Type::MILD),
                ("2", Type::MODERATE),
                ("3", Type::SEVERE),
            ] {
                if a.is(ty & lv) {
                    tags.push(format!("{n}{l}"));
                }
            }
        }
        println!("{:<40} | {:<40} | {}", line, c, tags.join(","));
    }
}
