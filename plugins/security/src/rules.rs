//! The vocabulary every detector speaks: the named [`Rule`]s and the [`Verdict`] a
//! detector returns when one of them matched.
//!
//! Rule names are what moderators see (in warnings, the mod log and `/automod test`) and
//! what they write in the `shadow` and `disabled` settings, so they are stable strings.
//! Group names (`links`, `spam`, `emergency`, `all`) expand to several rules there.

use std::fmt;

/// One automod rule. The order of the variants is the order of precedence when a
/// message breaks several rules: emergencies first, then the gravest violations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// The author talks about hurting or killing themselves.
    SelfHarm,
    /// The author threatens to hurt someone else.
    Violence,
    /// A link to a domain made to look like Discord (Nitro scams, homographs).
    PhishingLink,
    /// An invite to another Discord server.
    InviteLink,
    /// A link to a blocked domain (or to one outside `allowed-domains` when
    /// `only-allowed-domains` is on).
    BlockedLink,
    /// Bad language: rustrict's dictionary or the guild's `extra-words`.
    Profanity,
    /// `@everyone`/`@here` by someone without one of the `everyone-roles`.
    EveryonePing,
    /// More user and role mentions in one message than `max-mentions`.
    MentionSpam,
    /// Too many messages from one user in a short time.
    Flood,
    /// The same text posted again and again.
    Duplicate,
}

impl Rule {
    /// Every rule, in precedence order.
    pub const ALL: [Rule; 10] = [
        Rule::SelfHarm,
        Rule::Violence,
        Rule::PhishingLink,
        Rule::InviteLink,
        Rule::BlockedLink,
        Rule::Profanity,
        Rule::EveryonePing,
        Rule::MentionSpam,
        Rule::Flood,
        Rule::Duplicate,
    ];

    /// The stable name used in settings, warnings and logs.
    pub fn name(self) -> &'static str {
        match self {
            Rule::SelfHarm => "self-harm",
            Rule::Violence => "violence",
            Rule::PhishingLink => "phishing-link",
            Rule::InviteLink => "invite-link",
            Rule::BlockedLink => "blocked-link",
            Rule::Profanity => "profanity",
            Rule::EveryonePing => "everyone-ping",
            Rule::MentionSpam => "mention-spam",
            Rule::Flood => "flood",
            Rule::Duplicate => "duplicate",
        }
    }

    /// Emergencies are never punished: the author gets care, moderators get an alert.
    pub fn is_emergency(self) -> bool {
        matches!(self, Rule::SelfHarm | Rule::Violence)
    }

    /// The rules a name in the `shadow`/`disabled` settings stands for: one rule, a
    /// group, or nothing when the name is unknown.
    pub fn expand(name: &str) -> Vec<Rule> {
        let name = name.trim().to_ascii_lowercase();
        let group: &[Rule] = match name.as_str() {
            "all" | "*" => &Rule::ALL,
            "links" | "link" => &[Rule::PhishingLink, Rule::InviteLink, Rule::BlockedLink],
            "spam" => &[
                Rule::EveryonePing,
                Rule::MentionSpam,
                Rule::Flood,
                Rule::Duplicate,
            ],
            "mentions" => &[Rule::EveryonePing, Rule::MentionSpam],
            "emergency" | "emergencies" => &[Rule::SelfHarm, Rule::Violence],
            "invites" => &[Rule::InviteLink],
            "language" | "bad-language" | "words" => &[Rule::Profanity],
            _ => &[],
        };
        if !group.is_empty() {
            return group.to_vec();
        }
        Rule::ALL
            .into_iter()
            .filter(|rule| rule.name() == name)
            .collect()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a detector found: the rule and a short, human-readable detail (no user text
/// beyond the matched piece, so it is safe to put in a warning reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub rule: Rule,
    pub detail: String,
}

impl Verdict {
    pub fn new(rule: Rule, detail: impl Into<String>) -> Self {
        Verdict {
            rule,
            detail: detail.into(),
        }
    }

    /// `"<rule>: <detail>"`, the reason of the warning the moderation cog records.
    pub fn reason(&self) -> String {
        format!("{}: {}", self.rule, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_expand() {
        for rule in Rule::ALL {
            assert_eq!(Rule::expand(rule.name()), vec![rule]);
        }
    }

    #[test]
    fn groups_expand_to_their_rules() {
        assert_eq!(
            Rule::expand("links"),
            vec![Rule::PhishingLink, Rule::InviteLink, Rule::BlockedLink]
        );
        assert_eq!(Rule::expand("ALL").len(), Rule::ALL.len());
        assert!(Rule::expand("no-such-rule").is_empty());
    }

    #[test]
    fn reason_names_the_rule() {
        let v = Verdict::new(Rule::Profanity, "offensive language");
        assert_eq!(v.reason(), "profanity: offensive language");
    }
}
