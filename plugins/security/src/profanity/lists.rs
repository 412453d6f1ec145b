//! The word lists the `profanity` rule uses besides rustrict's dictionary: innocent
//! words it flags, terms it under-rates, and the stems of the quick triage screen.

/// Innocent words and names that rustrict's dictionary flags, as sequences of folded
/// words. Measured on rustrict 0.7.39; see `corpus/clean.txt`.
pub(super) const SAFE_PHRASES: &[&[&str]] = &[
    &["shiitake"],
    &["shitake"],
    &["hancock"],
    &["fukushima"],
    &["sextant"],
    &["sextants"],
    &["niger"],
    &["matsushita"],
    &["garden", "hoe"],
    &["garden", "hoes"],
    &["hoe", "the", "soil"],
    &["hoe", "the", "garden"],
    &["hoe", "the", "weeds"],
    &["hoe", "the", "rows"],
    &["hoe", "the", "beds"],
    &["dick", "van", "dyke"],
    &["moby", "dick"],
    &["philip", "k", "dick"],
    &["dick", "grayson"],
    &["spotted", "dick"],
    &["dick", "cheney"],
    &["cockburn"],
    &["cumbria"],
    &["cum", "laude"],
    &["penistone"],
    &["scunthorpe"],
    &["pushit"],
    &["kuntz"],
    &["hoes", "and", "rakes"],
    &["shittake"],
    &["hitchcock"],
    &["dickinson"],
    &["cocker"],
    &["cocky"],
    &["bitcoin"],
    &["bitcoins"],
    &["wankie"],
    &["dickson"],
    &["dickerson"],
    &["dickey"],
    &["shitterton"],
    &["homo", "sapiens"],
    &["homo", "erectus"],
    &["homo", "habilis"],
    &["spic", "and", "span"],
];

/// Terms rustrict rates below the default threshold (as "moderately sexual" or as a
/// low-confidence slur) that no chat server wants aimed at its members. Matched like
/// `extra-words`, after the safe phrases are taken out.
pub(super) const BUILTIN_WORDS: &[&str] = &[
    "tits",
    "titties",
    "jerk off",
    "jack off",
    "jerking off",
    "spic",
    "spics",
];

/// Stems of the common bad words, squeezed like the text they are compared with
/// (`nigger` → `niger`, `fook` → `fok`), for the quick screen `triage` uses before
/// rustrict's dictionary is built in an instance. A hit only means "look closer":
/// `handle_message` decides with the full dictionary, so innocent hits ("Scunthorpe",
/// "Nigeria") cost a call, not a punishment.
pub(super) const STEMS: &[&str] = &[
    "fuck", "fuk", "fuc", "fck", "fvck", "fxck", "fuq", "phuk", "phuc", "fok", "fcuk", "fk", "fup",
    "fof", "shit", "sht", "shyt", "bitch", "btch", "biatch", "bich", "biotch", "cunt", "cnt",
    "cvnt", "kunt", "dick", "dik", "dics", "cock", "cok", "pusy", "pusi", "slut", "whor", "whre",
    "hoe", "niger", "niga", "nigr", "fag", "fgt", "retard", "retad", "tard", "porn", "pron",
    "nude", "tits", "titie", "tity", "jiz", "wank", "twat", "prick", "bastard", "ashole", "azhole",
    "ashat", "aswipe", "dumbas", "jackas", "smartas", "fatas", "arse", "dyke", "trany", "kys",
    "kilyour", "kilmy", "kike", "spic", "chink", "rape", "penis", "vagina", "dildo", "horny",
    "sex", "bob", "anal", "douch", "bolock", "motherf", "blowjob", "handjob", "milf", "thot",
    "skank", "homo", "negro", "beaner", "gok", "wetback", "jackof", "jerkof", "cumsh", "cumsl",
    "scum",
];

/// Whole words (repeats of three or more collapsed) the screen looks for where a stem
/// would match half the language ("ass" in "class").
pub(super) const SCREEN_WORDS: &[&str] = &["ass", "asses", "azz", "as$", "a$$"];

/// Stems of the mild words, screened too when `profanity-level` is `strict`.
pub(super) const MILD_STEMS: &[&str] = &["hel", "damn", "dam", "crap", "pis", "suck", "cum"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::squeeze;

    #[test]
    fn stems_are_written_squeezed() {
        for stem in STEMS.iter().chain(MILD_STEMS) {
            assert_eq!(&squeeze(stem), stem);
        }
    }
}
