//! The link rules: `invite-link` (invites to other servers), `phishing-link` (domains
//! dressed up as Discord, "free Nitro" bait) and `blocked-link` (the guild's deny list,
//! built-in IP loggers, or anything outside `allowed-domains` when
//! `only-allowed-domains` is on).
//!
//! Links are read from the folded text (see `normalize`), after undoing the usual ways
//! of breaking a link so a filter misses it while a human can still follow it:
//! `discord[.]gg`, `discord(dot)gg`, `discord . gg / x`, `%2E`, `d i s c o r d.gg`,
//! markdown `[text](url)`, fullwidth and zero-width characters. The text is cut into
//! words and the separators between them (dot-like, slash-like, space, other); invites
//! are matched on that word stream, and a compact re-rendering of it goes through
//! `linkify` to find every other host.

//!
//! Layout: `tokens` undoes the obfuscation and cuts the text into words and
//! separators; `domains` knows Discord's domains and spots imitations; this file
//! matches invites, collects hosts and judges them.

mod domains;
mod tokens;

use linkify::{LinkFinder, LinkKind};

use crate::normalize::{fold, Normalized};
use crate::rules::{Rule, Verdict};
use crate::settings::Settings;

use domains::{lookalike, matches_any, BUILTIN_BLOCKED, COMMON_TLDS, INVITE_SERVICES, OFFICIAL};
use tokens::{deobfuscate, render, tokenize, Sep, Token};

/// Invite shapes: host words (joined by dots), then path words, then the code.
const INVITE_SHAPES: &[(&[&str], &[&str])] = &[
    (&["discord", "gg"], &[]),
    (&["discordgg"], &[]),
    (&["discord", "com"], &["invite"]),
    (&["discordapp", "com"], &["invite"]),
    (&["discord", "me"], &[]),
    (&["discord", "io"], &[]),
    (&["discord", "li"], &[]),
    (&["dsc", "gg"], &[]),
    (&["invite", "gg"], &[]),
];

/// Every link rule the message breaks, worst first (one verdict per rule).
pub fn check(norm: &Normalized, settings: &Settings) -> Vec<Verdict> {
    verdicts(norm, settings, may_hold_a_link(&norm.folded))
}

/// [`check`], reading hosts and invites only when `read_links`.
fn verdicts(norm: &Normalized, settings: &Settings, read_links: bool) -> Vec<Verdict> {
    let mut found: Vec<Verdict> = Vec::new();
    if let Some(host) = homograph(&norm.nfkc) {
        found.push(Verdict::new(
            Rule::PhishingLink,
            format!("look-alike letters in {host}"),
        ));
    }
    if read_links {
        found.extend(hosts_and_invites(norm, settings));
    }
    found.sort_by_key(|v| v.rule);
    found.dedup_by_key(|v| v.rule);
    found
}

/// Could the folded text hold a host or an invite at all? Both need a dot or a slash
/// between two words once the text is read as [`tokenize`] reads it: a `.`, `/` or `\`
/// with a word after it, a percent-encoded character, or a spelled "dot", "d0t",
/// "period" or "slash" (bracketed ones included: `[.]`, `(dot)`, `<slash>`). Much chat
/// has none of these and skips the tokenizer and `linkify` (6 % of the cog's time in
/// `sandbox_price`, and 2.7× slower in wasm than natively).
fn may_hold_a_link(folded: &str) -> bool {
    let Some(last_word) = folded.rfind(char::is_alphanumeric) else {
        return false;
    };
    folded[..last_word].contains(['.', '/', '\\', '%'])
        || ["dot", "d0t", "period", "slash"]
            .iter()
            .any(|w| folded.contains(w))
}

/// The link rules found by reading the text's hosts and invites (all but the
/// look-alike letters, which [`check`] reads from the NFKC text).
fn hosts_and_invites(norm: &Normalized, settings: &Settings) -> Vec<Verdict> {
    let text = deobfuscate(&norm.folded);
    let tokens = tokenize(&text);
    let hosts = hosts(&render(&tokens));

    let mut found: Vec<Verdict> = Vec::new();
    for host in &hosts {
        if let Some(v) = judge_host(host, settings) {
            found.push(v);
        }
    }
    if let Some(v) = nitro_bait(norm, &hosts) {
        found.push(v);
    }
    if let Some(invite) = find_invite(&tokens, &settings.allowed_invites) {
        found.push(Verdict::new(Rule::InviteLink, format!("invite {invite}")));
    }
    found
}

/// What a host on its own deserves.
fn judge_host(host: &Host, settings: &Settings) -> Option<Verdict> {
    let name = host.name.as_str();
    if matches_any(name, &settings.allowed_domains) {
        return None;
    }
    if matches_any(name, &settings.blocked_domains) || matches_any(name, BUILTIN_BLOCKED) {
        return Some(Verdict::new(
            Rule::BlockedLink,
            format!("blocked domain {name}"),
        ));
    }
    if let Some(why) = lookalike(name) {
        return Some(Verdict::new(Rule::PhishingLink, format!("{name} {why}")));
    }
    let discord = matches_any(name, OFFICIAL) || matches_any(name, INVITE_SERVICES);
    if settings.only_allowed_domains && host.looks_real && !discord {
        return Some(Verdict::new(
            Rule::BlockedLink,
            format!("{name} is not an allowed domain"),
        ));
    }
    None
}

/// The first invite whose code is not allowed, as `host/code`.
fn find_invite(tokens: &[Token], allowed: &[String]) -> Option<String> {
    let keys: Vec<String> = tokens.iter().map(Token::key).collect();
    for start in 0..tokens.len() {
        for (host, path) in INVITE_SHAPES {
            let Some(code_at) = match_shape(tokens, &keys, start, host, path) else {
                continue;
            };
            let code = &tokens[code_at].word;
            if !allowed.iter().any(|a| a == code) {
                return Some(format!("{}/{}", host.join("."), code));
            }
        }
    }
    None
}

/// Index of the code when the invite shape `host`/`path` starts at `start`.
fn match_shape(
    tokens: &[Token],
    keys: &[String],
    start: usize,
    host: &[&str],
    path: &[&str],
) -> Option<usize> {
    let mut i = start;
    for (n, part) in host.iter().enumerate() {
        let token = tokens.get(i)?;
        let punctuation = token.sep == Sep::Other && token.raw_sep.trim().chars().count() == 1;
        let joined =
            n == 0 || punctuation || matches!(token.sep, Sep::Dot | Sep::Space | Sep::Slash);
        if !joined || keys.get(i)? != part {
            return None;
        }
        i += 1;
    }
    for part in path {
        if tokens.get(i)?.sep != Sep::Slash || keys.get(i)? != part {
            return None;
        }
        i += 1;
    }
    let code = tokens.get(i)?;
    let plausible = code.sep == Sep::Slash
        && code.word.len() >= 2
        && code
            .word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plausible.then_some(i)
}

/// A host found in the text, and whether it reads as a real link even under
/// `only-allowed-domains` (a scheme, `www.`, or a common top-level domain).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Host {
    name: String,
    looks_real: bool,
}

/// Every host `linkify` finds in `text` (scheme optional).
fn hosts(text: &str) -> Vec<Host> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    let mut out: Vec<Host> = Vec::new();
    for link in finder.links(text) {
        let url = link.as_str();
        let Some(name) = host_of(url) else { continue };
        let tld = name.rsplit('.').next().unwrap_or_default();
        let looks_real =
            url.contains("://") || url.starts_with("www.") || COMMON_TLDS.contains(&tld);
        let host = Host { name, looks_real };
        if !out.contains(&host) {
            out.push(host);
        }
    }
    out
}

/// `https://user@www.Example.com:8080/path` → `example.com`.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    let host = host.trim_end_matches('.').to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (host.contains('.') && !host.starts_with('.')).then(|| host.to_string())
}

/// A host written with non-Latin look-alike letters that fold to a Discord name
/// (`dіscord.gift` with a Cyrillic `і`).
fn homograph(nfkc: &str) -> Option<String> {
    if nfkc.is_ascii() {
        return None;
    }
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    finder
        .links(nfkc)
        .filter_map(|link| host_of(link.as_str()))
        .find(|host| !host.is_ascii() && fold(host).contains("discord"))
}

/// "Free Nitro" wording next to a link that is not Discord's: the classic scam.
fn nitro_bait(norm: &Normalized, hosts: &[Host]) -> Option<Verdict> {
    let words = norm.squeezed();
    let nitro = words.iter().any(|w| w == "nitro");
    let bait = words
        .iter()
        .any(|w| matches!(w.as_str(), "fre" | "gift" | "giveaway" | "claim" | "gifts"));
    let foreign = hosts
        .iter()
        .find(|h| !matches_any(&h.name, OFFICIAL) && h.looks_real)?;
    (nitro && bait).then(|| {
        Verdict::new(
            Rule::PhishingLink,
            format!("free Nitro offer linking to {}", foreign.name),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Option<Rule> {
        first(text, &Settings::default())
    }

    fn first(text: &str, s: &Settings) -> Option<Rule> {
        check(&Normalized::new(text), s).first().map(|v| v.rule)
    }

    /// Skipping the texts [`may_hold_a_link`] rules out never changes a verdict: every
    /// corpus line and every line of these tests, as written and with the usual
    /// punctuation around its words, reads the same as when every text is read.
    #[test]
    fn texts_without_link_marks_are_skipped_without_changing_a_verdict() {
        let this_file = include_str!("mod.rs");
        let quoted = this_file
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.split_once("\","))
            .map(|(text, _)| text.to_string());
        let corpus = [crate::corpus::ABUSIVE, crate::corpus::CLEAN]
            .into_iter()
            .flat_map(crate::corpus::lines)
            .map(str::to_string);
        let strict = Settings::from_json_pairs([("only-allowed-domains", "true")]);
        let (mut compared, mut skipped) = (0, 0);
        for line in corpus.chain(quoted) {
            for text in [
                line.clone(),
                format!("{line}."),
                format!("{line}!!"),
                line.replace(' ', ". "),
                line.replace(' ', ", "),
                format!("({line})"),
            ] {
                let norm = Normalized::new(&text);
                for settings in [&Settings::default(), &strict] {
                    let everything = verdicts(&norm, settings, true);
                    let reasons =
                        |v: Vec<Verdict>| v.iter().map(Verdict::reason).collect::<Vec<_>>();
                    assert_eq!(
                        reasons(check(&norm, settings)),
                        reasons(everything),
                        "{text:?}"
                    );
                    compared += 1;
                    skipped += usize::from(!may_hold_a_link(&norm.folded));
                }
            }
        }
        assert!(compared > 1_000, "compared {compared}");
        assert!(
            skipped * 4 > compared,
            "skipped only {skipped} of {compared}"
        );
    }

    #[test]
    fn plain_invites_are_found() {
        for text in [
            "Check out discord.gg/spam-link",
            "join https://discord.gg/abc123 now",
            "discord.com/invite/xyz",
            "https://ptb.discord.com/invite/xyz",
            "https://canary.discordapp.com/invite/xyz",
            "dsc.gg/coolserver",
            "discord.me/coolserver",
            "discord.io/cool",
            "discord.li/cool",
        ] {
            assert_eq!(rule(text), Some(Rule::InviteLink), "{text}");
        }
    }

    #[test]
    fn obfuscated_invites_are_found() {
        for text in [
            "discord . gg / abc",
            "discord[.]gg/abc",
            "discord(.)gg/abc",
            "discord dot gg slash abc",
            "discord%2Egg/abc",
            "ｄｉｓｃｏｒｄ．ｇｇ／ａｂｃ",
            "disc\u{200B}ord.gg/abc",
            "d i s c o r d . g g / a b c",
            "[click here](https://discord.gg/abc)",
            "discord gg/abc",
            "discord,gg/abc",
        ] {
            assert_eq!(rule(text), Some(Rule::InviteLink), "{text}");
        }
    }

    #[test]
    fn allowed_invites_pass() {
        let s = Settings::from_json_pairs([("allowed-invites", r#"["astra"]"#)]);
        assert_eq!(first("our server: discord.gg/astra", &s), None);
        assert_eq!(
            first("ours discord.gg/astra, theirs discord.gg/other", &s),
            Some(Rule::InviteLink)
        );
    }

    #[test]
    fn ordinary_links_and_talk_about_discord_pass() {
        for text in [
            "see https://github.com/rust-lang/rust",
            "I'm on discord.com/channels/123/456 now",
            "discord.gg is blocked at school",
            "see you on discord gg",
            "docs at https://discord.js.org and https://discordpy.readthedocs.io",
            "my nitro gift from discord.gift/abc arrived",
            "e.g. main.rs or file.txt",
        ] {
            assert_eq!(rule(text), None, "{text}");
        }
    }

    #[test]
    fn discord_lookalikes_are_phishing() {
        for text in [
            "free nitro https://dlscord.gift/abc",
            "https://discord-nitro.ru/claim",
            "https://discordgift.site/xyz",
            "disc0rd-app.com/login",
            "https://discorcl.com/gift",
            "https://dіscord.gift/abc",
            "https://discordapp.co/nitro",
            "https://discord.gg.example.ru/x",
            "FREE NITRO for 3 months: https://bit.ly/x",
        ] {
            assert_eq!(rule(text), Some(Rule::PhishingLink), "{text}");
        }
    }

    #[test]
    fn domain_lists_apply() {
        let s = Settings::from_json_pairs([
            ("blocked-domains", r#"["badsite.com"]"#),
            ("allowed-domains", r#"["github.com"]"#),
        ]);
        let verdict = |t: &str| first(t, &s);
        assert_eq!(verdict("go to www.badsite.com/x"), Some(Rule::BlockedLink));
        assert_eq!(verdict("go to cdn.badsite.com"), Some(Rule::BlockedLink));
        assert_eq!(verdict("go to notbadsite.com"), None);
        assert_eq!(verdict("https://grabify.link/abc"), Some(Rule::BlockedLink));

        let strict = Settings::from_json_pairs([
            ("allowed-domains", r#"["github.com"]"#),
            ("only-allowed-domains", "true"),
        ]);
        let verdict = |t: &str| first(t, &strict);
        assert_eq!(verdict("https://gist.github.com/x"), None);
        assert_eq!(verdict("https://example.com"), Some(Rule::BlockedLink));
        assert_eq!(verdict("edit main.rs. then run it"), None);
    }
}
