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

/// Stems of the common bad words, squeezed (`fuck`, `fuk`, `phuc` ...), for the quick
/// screen `triage` uses before rustrict's dictionary is built in an instance. A hit
/// only means "look closer": `handle_message` decides with the full dictionary, so
/// innocent hits ("Scunthorpe", "Sussex") cost a call, not a punishment.
pub(super) const STEMS: &[&str] = &[
    "fuck", "fuk", "fuc", "fck", "fvck", "fuq", "phuk", "phuc", "fook", "fcuk", "fk", "shit",
    "sht", "shyt", "bitch", "btch", "biatch", "bich", "biotch", "cunt", "cnt", "kunt", "dick",
    "dik", "cock", "cok", "pusy", "pusi", "slut", "whor", "hoe", "nigg", "niga", "nigr", "niger",
    "fag", "fgt", "retard", "retad", "tard", "porn", "pron", "nude", "tits", "titie", "tity",
    "jiz", "wank", "twat", "prick", "bastard", "ashole", "arse", "dyke", "trany", "kys", "kike",
    "spic", "chink", "rape", "penis", "vagina", "dildo", "horny", "sex", "bob", "anal", "douch",
    "bolock", "motherf", "blowjob", "handjob", "milf", "thot", "skank", "homo", "negro", "beaner",
    "gook", "wetback", "jackof", "jerkof", "cumsh", "cumsl", "scum",
];

/// Stems of the mild words, screened too when `profanity-level` is `strict`.
pub(super) const MILD_STEMS: &[&str] = &["hel", "damn", "dam", "crap", "pis", "suck", "cum"];
