//! Reading a link that was broken up to dodge filters: undo bracketed and spelled dots
//! and slashes, percent-encoding and spelled-out letters, and cut the text into words
//! with the separators between them classified (dot-like, slash-like, space, other).
//! The invite matcher walks these tokens; [`render`] turns them back into a compact
//! string for `linkify`.

/// Undo bracketed and spelled dots (`[.]`, `(dot)`, `{.}`), bracketed slashes and
/// percent-encoding. Everything else is left to the tokenizer.
pub(super) fn deobfuscate(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let mut rest = folded;
    while let Some(c) = rest.chars().next() {
        if let Some((replacement, len)) = bracketed(rest).or_else(|| percent(rest)) {
            out.push(replacement);
            rest = &rest[len..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `[.]`, `( dot )`, `{/}`, `<slash>` ... at the start of `s`.
fn bracketed(s: &str) -> Option<(char, usize)> {
    let close = match s.chars().next()? {
        '[' => ']',
        '(' => ')',
        '{' => '}',
        '<' => '>',
        _ => return None,
    };
    let end = s.char_indices().take(10).find(|&(_, c)| c == close)?.0;
    match s[1..end].trim() {
        "." | "dot" | "d0t" | "period" => Some(('.', end + 1)),
        "/" | "slash" => Some(('/', end + 1)),
        _ => None,
    }
}

/// `%2e` → `.` (any percent-encoded printable ASCII) at the start of `s`.
fn percent(s: &str) -> Option<(char, usize)> {
    let hex = s.strip_prefix('%')?.get(..2)?;
    let byte = u8::from_str_radix(hex, 16).ok()?;
    (byte.is_ascii_graphic()).then_some((char::from(byte), 3))
}

/// What separated two words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sep {
    /// Nothing before the first word.
    Start,
    /// Contains a dot (`.`, ` . `, a spelled "dot").
    Dot,
    /// Contains a slash (`/`, `://`, ` / `).
    Slash,
    /// Only whitespace.
    Space,
    /// Anything else (`, `, `](`).
    Other,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    /// The separator before the word, classified and as written.
    pub(super) sep: Sep,
    pub(super) raw_sep: String,
    pub(super) word: String,
}

impl Token {
    /// The word without `-` and `_`, for comparing with host names.
    pub(super) fn key(&self) -> String {
        self.word
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect()
    }
}

/// Cut text into words (alphanumerics, `-`, `_`) and classified separators; then read
/// spelled dots and slashes as separators and join spelled-out letters.
pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut sep = String::new();
    let mut word = String::new();
    for c in text.chars() {
        let word_char = c.is_alphanumeric() || ((c == '-' || c == '_') && !word.is_empty());
        if word_char {
            word.push(c);
        } else {
            if !word.is_empty() {
                tokens.push(make_token(&sep, &word, tokens.is_empty()));
                sep.clear();
                word.clear();
            }
            sep.push(c);
        }
    }
    if !word.is_empty() {
        tokens.push(make_token(&sep, &word, tokens.is_empty()));
    }
    join_spelled_out(spelled_separators(tokens))
}

fn make_token(sep: &str, word: &str, first: bool) -> Token {
    let word = word.trim_end_matches(['-', '_']).to_string();
    let kind = if first && sep.is_empty() {
        Sep::Start
    } else if sep.contains(['/', '\\']) {
        Sep::Slash
    } else if sep.contains('.') {
        Sep::Dot
    } else if sep.chars().all(char::is_whitespace) {
        Sep::Space
    } else {
        Sep::Other
    };
    Token {
        sep: kind,
        raw_sep: sep.to_string(),
        word,
    }
}

/// `discord dot gg slash x`: the words "dot" and "slash" between two words are
/// separators.
fn spelled_separators(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut pending: Option<Sep> = None;
    let n = tokens.len();
    for (i, mut token) in tokens.into_iter().enumerate() {
        let spelled = match token.word.as_str() {
            "dot" | "d0t" | "period" => Some(Sep::Dot),
            "slash" => Some(Sep::Slash),
            _ => None,
        };
        let between = !out.is_empty() && i + 1 < n;
        if let (Some(kind), true) = (spelled, between) {
            if matches!(token.sep, Sep::Space | Sep::Other) {
                pending = Some(kind);
                continue;
            }
        }
        if let Some(kind) = pending.take() {
            token.sep = kind;
            token.raw_sep = if kind == Sep::Dot { "." } else { "/" }.to_string();
        }
        out.push(token);
    }
    out
}

/// `d i s c o r d . g g`: runs of two or more one-letter words split by spaces are one
/// word.
fn join_spelled_out(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut run = 0;
    for token in tokens {
        let single = token.word.chars().count() == 1;
        let continues = single && run > 0 && token.sep == Sep::Space;
        if continues {
            if let Some(last) = out.last_mut() {
                last.word.push_str(&token.word);
            }
            run += 1;
        } else {
            run = usize::from(single);
            out.push(token);
        }
    }
    out
}

/// The word stream as one compact string: dots and slashes without the spaces around
/// them, for `linkify`.
pub(super) fn render(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token.sep {
            Sep::Start => {}
            Sep::Dot => out.push('.'),
            Sep::Slash => out.extend(token.raw_sep.chars().filter(|c| !c.is_whitespace())),
            Sep::Space => out.push(' '),
            Sep::Other => out.push_str(&token.raw_sep),
        }
        out.push_str(&token.word);
    }
    out
}
