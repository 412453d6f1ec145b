//! Which domains are Discord's, which are known IP loggers, and whether a host imitates
//! Discord (look-alike characters, a typo, Nitro bait words, a Discord name under a
//! foreign domain).

use crate::normalize::squeeze;

/// Domains that belong to Discord: never phishing.
pub(super) const OFFICIAL: &[&str] = &[
    "discord.com",
    "discord.gg",
    "discordapp.com",
    "discordapp.net",
    "discord.media",
    "discord.gift",
    "discord.gifts",
    "discord.new",
    "discord.dev",
    "discord.co",
    "discordstatus.com",
    "discord.design",
    "discord.store",
    "discordmerch.com",
    "dis.gd",
];

/// Third-party invite services: their links are invites, not look-alikes.
pub(super) const INVITE_SERVICES: &[&str] = &[
    "discord.me",
    "discord.io",
    "discord.li",
    "dsc.gg",
    "invite.gg",
];

/// IP loggers and their alias domains (grabify, iplogger): blocked everywhere.
pub(super) const BUILTIN_BLOCKED: &[&str] = &[
    "grabify.link",
    "iplogger.org",
    "iplogger.com",
    "iplogger.ru",
    "iplogger.co",
    "2no.co",
    "yip.su",
    "blasze.tk",
    "bmwforum.co",
    "leancoding.co",
    "stopify.co",
    "freegiftcards.co",
    "joinmy.site",
    "curiouscat.club",
    "catsnthings.fun",
    "catsnthing.com",
    "headshot.monster",
    "gaming-at-my.best",
    "progaming.monster",
    "yourmy.monster",
    "screenshare.host",
    "imageshare.best",
    "screenshot.best",
    "gamingfun.me",
    "mypic.icu",
    "datasig.io",
    "datauth.io",
    "trulove.guru",
    "dateing.club",
    "otherhalf.life",
    "shrekis.life",
    "lovebird.guru",
    "fortnitechat.site",
    "fortnight.space",
];

/// Top-level domains common enough that a bare `name.tld` is taken for a link when
/// `only-allowed-domains` is on (so `main.rs` or `e.g.` are not).
pub(super) const COMMON_TLDS: &[&str] = &[
    "com", "net", "org", "io", "gg", "xyz", "ru", "co", "me", "tk", "ml", "ga", "cf", "gq", "top",
    "site", "online", "click", "link", "info", "biz", "us", "uk", "de", "fr", "tv", "app", "dev",
    "ly", "to", "cc", "gift", "shop", "store", "live", "fun", "icu", "club",
];

/// Words that, next to "discord" in a domain or "nitro" in a message, mark a scam.
pub(super) const BAIT: &[&str] = &[
    "nitro", "gift", "free", "steam", "airdrop", "promo", "give", "claim", "drop", "reward",
    "bonus", "boost", "login", "verify", "auth", "support", "app",
];

/// Why `host` imitates Discord, if it does.
pub(super) fn lookalike(host: &str) -> Option<&'static str> {
    if matches_any(host, OFFICIAL) || matches_any(host, INVITE_SERVICES) {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let (tld, names) = labels.split_last()?;
    let sld = names.last()?;
    for official in [
        "discord.gg.",
        "discord.com.",
        "discordapp.com.",
        "discord.gift.",
    ] {
        if host.starts_with(official) {
            return Some("hides a Discord domain in a subdomain");
        }
    }
    if matches!(*sld, "discord" | "discordapp") {
        return Some("is not a Discord domain");
    }
    if matches!(*tld, "gift" | "gifts")
        && (sld.contains("discord") || distance(sld, "discord") <= 2)
    {
        return Some("imitates discord.gift");
    }
    for label in names {
        let bare: String = label.chars().filter(|c| *c != '-' && *c != '_').collect();
        if !bare.contains("discord") && squeeze(&skeleton(&bare)).contains("discord") {
            return Some("spells discord with look-alike characters");
        }
        if bare.contains("discord") && BAIT.iter().any(|b| bare.contains(b)) {
            return Some("pairs discord with Nitro bait");
        }
        let near = std::iter::once(bare.as_str()).chain(label.split(['-', '_']));
        for part in near {
            if part != "discord"
                && !matches!(part, "discard" | "discords")
                && distance(part, "discord") == 1
            {
                return Some("is one typo away from discord");
            }
        }
    }
    None
}

/// The letters digits and look-alike pairs stand for in a domain label.
fn skeleton(label: &str) -> String {
    let label = label
        .replace("cl", "d")
        .replace("rn", "m")
        .replace("vv", "w");
    label
        .chars()
        .map(|c| match c {
            '1' | 'l' | '!' | '|' => 'i',
            '0' => 'o',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// Optimal-string-alignment distance (insertions, deletions, substitutions and
/// transpositions of neighbours), for short labels.
pub(super) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return 3;
    }
    let mut d: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// `host` is one of `domains` or a subdomain of one.
pub(super) fn matches_any<S: AsRef<str>>(host: &str, domains: &[S]) -> bool {
    domains.iter().any(|d| {
        let d = d.as_ref();
        host == d || host.strip_suffix(d).is_some_and(|rest| rest.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_distance() {
        assert_eq!(distance("dicsord", "discord"), 1);
        assert_eq!(distance("discord", "discord"), 0);
        assert_eq!(distance("dscord", "discord"), 1);
        assert_eq!(distance("discordjs", "discord"), 2);
    }

    #[test]
    fn lookalikes_are_named_and_official_domains_are_not() {
        assert!(lookalike("dlscord.gift").is_some());
        assert!(lookalike("discord-nitro.ru").is_some());
        assert!(lookalike("discordapp.co").is_some());
        assert!(lookalike("discord.gg.evil.ru").is_some());
        for host in [
            "discord.com",
            "ptb.discord.com",
            "discord.js.org",
            "discords.com",
            "discard.com",
        ] {
            assert_eq!(lookalike(host), None, "{host}");
        }
    }
}
