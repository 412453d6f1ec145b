//! The cog's per-guild settings, in two stages: the raw `(key, JSON)` pairs the host's
//! `config` import hands over, validated into a typed [`Settings`] with defaults.
//!
//! [`Settings::from_pairs`] is pure (native tests build settings with it);
//! [`Settings::load`] is the only place that calls the `config` import; it keeps the
//! last validation in a [`SettingsCache`].
//! Bad values fall back to the default and are reported as warnings, never as errors:
//! a typo in `astra.toml` must not switch automod off.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::normalize;
use crate::rules::Rule;

/// The settings last validated in this instance, with the raw pairs they came from,
/// for the few guilds it served last. A guild's settings rarely change, so most calls
/// find their pairs here and skip the JSON parsing (it was ~4 % of a triage), and a
/// guild's settings stay the same `Rc` while they do not change (what `recent` relies
/// on to know a reading is still valid).
#[derive(Default)]
pub struct SettingsCache {
    /// most recently used last
    recent: Vec<(Pairs, Rc<Settings>)>,
}

/// Raw `(key, JSON text)` settings, as the `config` import hands them over.
type Pairs = Vec<(String, String)>;

/// Guilds' settings kept per instance: an instance serves every guild, and calls for a
/// handful of busy guilds interleave.
const GUILDS_KEPT: usize = 16;

impl SettingsCache {
    /// The settings for `pairs`, and the warnings of a fresh validation (none when
    /// the pairs were validated recently).
    pub fn get(&mut self, pairs: Pairs) -> (Rc<Settings>, Vec<String>) {
        if let Some(i) = self.recent.iter().rposition(|(seen, _)| *seen == pairs) {
            let entry = self.recent.remove(i);
            let settings = entry.1.clone();
            self.recent.push(entry);
            return (settings, Vec::new());
        }
        let (settings, warnings) = Settings::from_pairs(pairs.iter().cloned());
        let settings = Rc::new(settings);
        if self.recent.len() >= GUILDS_KEPT {
            self.recent.remove(0);
        }
        self.recent.push((pairs, settings.clone()));
        (settings, warnings)
    }
}

/// How strict the bad-language filter is (setting `profanity-level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfanityLevel {
    /// Mild words too ("hell", "damn", "crap").
    Strict,
    /// Moderate and severe profanity and slurs; severe sexual or mean language. Default.
    Moderate,
    /// Only the severe words.
    Lenient,
}

/// Validated settings for one guild. See `README.md` for each key.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `extra-words`: guild-specific bad words or phrases, already normalized.
    pub extra_words: Vec<String>,
    /// `allow-words`: words the dictionary flags that this guild accepts, normalized.
    pub allow_words: Vec<String>,
    /// `profanity-level`: `"strict"`, `"moderate"` or `"lenient"`.
    pub profanity_level: ProfanityLevel,
    /// `allowed-domains`: never flagged (subdomains included).
    pub allowed_domains: Vec<String>,
    /// `blocked-domains`: always flagged as `blocked-link` (subdomains included), on top
    /// of the built-in list of IP-logger domains.
    pub blocked_domains: Vec<String>,
    /// `only-allowed-domains`: flag every web link outside `allowed-domains`.
    pub only_allowed_domains: bool,
    /// `allowed-invites`: invite codes that may be posted (the guild's own).
    pub allowed_invites: Vec<String>,
    /// `max-mentions`: user + role mentions allowed in one message.
    pub max_mentions: u32,
    /// `everyone-roles`: roles (ids or names) that may use `@everyone`/`@here`.
    pub everyone_roles: Vec<String>,
    /// `exempt-roles`: roles automod never punishes (emergencies still apply).
    pub exempt_roles: Vec<String>,
    /// `flood-messages` in `flood-seconds`: more than this many messages is a flood.
    pub flood_messages: u32,
    pub flood_seconds: u32,
    /// `duplicate-count` copies of one text within `duplicate-seconds` is spam.
    pub duplicate_count: u32,
    pub duplicate_seconds: u32,
    /// `duplicate-min-length`: shorter texts ("ok", "lol") never count as duplicates.
    pub duplicate_min_length: usize,
    /// `help-resources`: lines listed in the caring reply to an emergency.
    pub help_resources: Vec<String>,
    /// `care-message`: the opening of that reply for self-harm messages.
    pub care_message: String,
    /// `alert-role`: who the mod-log alert for an emergency mentions. A bare numeric
    /// id becomes a role mention `<@&id>`.
    pub alert_role: String,
    /// `shadow`: rules (or groups) that only log to the mod log.
    pub shadow: BTreeSet<Rule>,
    /// `disabled`: rules (or groups) that are switched off.
    pub disabled: BTreeSet<Rule>,
}

/// The default `help-resources`.
pub const DEFAULT_HELP_RESOURCES: [&str; 4] = [
    "If you or someone else is in immediate danger, call your local emergency number (911 in the US and Canada, 112 in the EU, 999 in the UK).",
    "Find a free, confidential helpline in your country: https://findahelpline.com",
    "US: call or text 988 (Suicide & Crisis Lifeline).",
    "UK & Ireland: Samaritans, call 116 123.",
];

/// The default `care-message`.
pub const DEFAULT_CARE_MESSAGE: &str = "I'm really sorry you're going through this. You matter, and you don't have to face it alone: please reach out to someone you trust or to one of these:";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            extra_words: Vec::new(),
            allow_words: Vec::new(),
            profanity_level: ProfanityLevel::Moderate,
            allowed_domains: Vec::new(),
            blocked_domains: Vec::new(),
            only_allowed_domains: false,
            allowed_invites: Vec::new(),
            max_mentions: 5,
            everyone_roles: Vec::new(),
            exempt_roles: Vec::new(),
            flood_messages: 6,
            flood_seconds: 10,
            duplicate_count: 3,
            duplicate_seconds: 60,
            duplicate_min_length: 8,
            help_resources: DEFAULT_HELP_RESOURCES.map(String::from).to_vec(),
            care_message: DEFAULT_CARE_MESSAGE.to_string(),
            alert_role: "@moderators".to_string(),
            shadow: BTreeSet::new(),
            disabled: BTreeSet::new(),
        }
    }
}

impl Settings {
    /// The current guild's settings from the host (`config` import). Warnings about bad
    /// values go to the host log.
    pub fn load() -> Rc<Settings> {
        thread_local! {
            static CACHE: RefCell<SettingsCache> = RefCell::default();
        }
        let (settings, warnings) = CACHE.with_borrow_mut(|c| c.get(astra_sdk::config::all()));
        for warning in warnings {
            crate::warn_once(&warning);
        }
        settings
    }

    /// Validate raw `(key, JSON text)` pairs. Returns the settings and one warning per
    /// key whose value had the wrong shape (that key keeps its default). Unknown keys are
    /// ignored: the host passes settings of its own.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> (Settings, Vec<String>) {
        let mut s = Settings::default();
        let mut warnings = Vec::new();
        for (key, json) in pairs {
            let value: Value = match serde_json::from_str(&json) {
                Ok(value) => value,
                Err(e) => {
                    warnings.push(format!(
                        "setting `{key}`: not JSON ({e}); using the default"
                    ));
                    continue;
                }
            };
            if let Err(what) = s.apply(&key, &value, &mut warnings) {
                warnings.push(format!(
                    "setting `{key}`: expected {what}, got {value}; using the default"
                ));
            }
        }
        (s, warnings)
    }

    /// Set one key from its JSON value; `Err(what was expected)` when the shape is wrong.
    fn apply(
        &mut self,
        key: &str,
        value: &Value,
        warnings: &mut Vec<String>,
    ) -> Result<(), &'static str> {
        let s = self;

        match key {
            "extra-words" => match parse::<Vec<String>>(value) {
                Some(words) => s.extra_words = normalize_words(&words),
                None => return Err("a list of words"),
            },
            "allow-words" => match parse::<Vec<String>>(value) {
                Some(words) => s.allow_words = normalize_words(&words),
                None => return Err("a list of words"),
            },
            "profanity-level" => match value.as_str() {
                Some("strict") => s.profanity_level = ProfanityLevel::Strict,
                Some("moderate") => s.profanity_level = ProfanityLevel::Moderate,
                Some("lenient") => s.profanity_level = ProfanityLevel::Lenient,
                _ => return Err("\"strict\", \"moderate\" or \"lenient\""),
            },
            "allowed-domains" => match parse::<Vec<String>>(value) {
                Some(domains) => s.allowed_domains = normalize_domains(&domains),
                None => return Err("a list of domains"),
            },
            "blocked-domains" => match parse::<Vec<String>>(value) {
                Some(domains) => s.blocked_domains = normalize_domains(&domains),
                None => return Err("a list of domains"),
            },
            "only-allowed-domains" => match value.as_bool() {
                Some(on) => s.only_allowed_domains = on,
                None => return Err("true or false"),
            },
            "allowed-invites" => match parse::<Vec<String>>(value) {
                Some(codes) => s.allowed_invites = normalize_invites(&codes),
                None => return Err("a list of invite codes"),
            },
            "max-mentions" => match count(value) {
                Some(n) => s.max_mentions = n,
                None => return Err("a number"),
            },
            "everyone-roles" => match parse::<Vec<String>>(value) {
                Some(roles) => s.everyone_roles = roles,
                None => return Err("a list of roles"),
            },
            "exempt-roles" => match parse::<Vec<String>>(value) {
                Some(roles) => s.exempt_roles = roles,
                None => return Err("a list of roles"),
            },
            "flood-messages" => match count(value).filter(|n| *n > 0) {
                Some(n) => s.flood_messages = n,
                None => return Err("a positive number"),
            },
            "flood-seconds" => match count(value).filter(|n| *n > 0) {
                Some(n) => s.flood_seconds = n,
                None => return Err("a positive number"),
            },
            "duplicate-count" => match count(value).filter(|n| *n > 1) {
                Some(n) => s.duplicate_count = n,
                None => return Err("a number above 1"),
            },
            "duplicate-seconds" => match count(value).filter(|n| *n > 0) {
                Some(n) => s.duplicate_seconds = n,
                None => return Err("a positive number"),
            },
            "duplicate-min-length" => match count(value) {
                Some(n) => s.duplicate_min_length = n as usize,
                None => return Err("a number"),
            },
            "help-resources" => match parse::<Vec<String>>(value) {
                Some(lines) => s.help_resources = lines,
                None => return Err("a list of lines"),
            },
            "care-message" => match value.as_str() {
                Some(text) => s.care_message = text.to_string(),
                None => return Err("a string"),
            },
            "alert-role" => match value.as_str() {
                Some(role) => s.alert_role = alert_mention(role),
                None => return Err("a role id, mention or name"),
            },
            "shadow" | "disabled" => match parse::<Vec<String>>(value) {
                Some(names) => {
                    let mut rules = BTreeSet::new();
                    for name in &names {
                        let expanded = Rule::expand(name);
                        if expanded.is_empty() {
                            warnings.push(format!("setting `{key}`: unknown rule `{name}`"));
                        }
                        rules.extend(expanded);
                    }
                    if key == "shadow" {
                        s.shadow = rules;
                    } else {
                        s.disabled = rules;
                    }
                }
                None => return Err("a list of rule names"),
            },
            // The host adds settings of its own (`bot-name`, `commands`): not ours.
            _ => {}
        }
        Ok(())
    }

    /// Settings from `(key, JSON)` string pairs; handy in tests.
    pub fn from_json_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Settings {
        Settings::from_pairs(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .0
    }

    pub fn is_enabled(&self, rule: Rule) -> bool {
        !self.disabled.contains(&rule)
    }

    pub fn is_shadow(&self, rule: Rule) -> bool {
        self.shadow.contains(&rule)
    }

    /// Does someone with these roles escape automod (not emergencies)?
    pub fn is_exempt(&self, roles: &[String]) -> bool {
        has_any(roles, &self.exempt_roles)
    }

    /// May someone with these roles ping `@everyone`?
    pub fn may_ping_everyone(&self, roles: &[String]) -> bool {
        has_any(roles, &self.everyone_roles)
    }
}

/// Roles match by id or, on the local gateway, by name (case-insensitive).
fn has_any(roles: &[String], wanted: &[String]) -> bool {
    roles
        .iter()
        .any(|role| wanted.iter().any(|w| w.eq_ignore_ascii_case(role)))
}

fn parse<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

/// A non-negative count, also accepted as a numeric string.
fn count(value: &Value) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Words go through the same normalization as messages so they compare equal.
fn normalize_words(words: &[String]) -> Vec<String> {
    words
        .iter()
        .map(|w| normalize::Normalized::new(w).words.join(" "))
        .filter(|w| !w.is_empty())
        .collect()
}

/// `"https://www.Example.com/"` → `"example.com"`.
fn normalize_domains(domains: &[String]) -> Vec<String> {
    domains
        .iter()
        .map(|d| {
            let d = d.trim().to_lowercase();
            let d = d.split("://").last().unwrap_or_default();
            let d = d.split('/').next().unwrap_or_default();
            let d = d.trim_start_matches("*.").trim_start_matches("www.");
            d.trim_matches('.').to_string()
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// `"https://discord.gg/Astra"` or `"Astra"` → `"astra"`.
fn normalize_invites(codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|c| {
            c.trim()
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_lowercase()
        })
        .filter(|c| !c.is_empty())
        .collect()
}

/// A bare role id becomes a role mention; anything else is used as written.
fn alert_mention(role: &str) -> String {
    let role = role.trim();
    if !role.is_empty() && role.chars().all(|c| c.is_ascii_digit()) {
        format!("<@&{role}>")
    } else {
        role.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(level: &str) -> Vec<(String, String)> {
        vec![("profanity-level".into(), level.into())]
    }

    #[test]
    fn the_cache_validates_again_only_when_the_pairs_change() {
        let mut cache = SettingsCache::default();
        let (first, warnings) = cache.get(pairs(r#""strict""#));
        assert!(warnings.is_empty());
        assert_eq!(first.profanity_level, ProfanityLevel::Strict);
        let (again, _) = cache.get(pairs(r#""strict""#));
        assert!(
            Rc::ptr_eq(&first, &again),
            "same pairs: the same validation"
        );
        let (changed, warnings) = cache.get(pairs(r#""lenient""#));
        assert_eq!(changed.profanity_level, ProfanityLevel::Lenient);
        assert!(warnings.is_empty());
        let (bad, warnings) = cache.get(pairs("7"));
        assert_eq!(bad.profanity_level, ProfanityLevel::Moderate, "the default");
        assert_eq!(
            warnings.len(),
            1,
            "a fresh validation reports: {warnings:?}"
        );
    }

    #[test]
    fn guilds_taking_turns_keep_their_validation() {
        let mut cache = SettingsCache::default();
        let (strict, _) = cache.get(pairs(r#""strict""#));
        let (lenient, _) = cache.get(pairs(r#""lenient""#));
        let (strict_again, _) = cache.get(pairs(r#""strict""#));
        let (lenient_again, _) = cache.get(pairs(r#""lenient""#));
        assert!(Rc::ptr_eq(&strict, &strict_again));
        assert!(Rc::ptr_eq(&lenient, &lenient_again));
        // The least recently used guild makes room for a new one.
        for n in 0..GUILDS_KEPT {
            cache.get(vec![("max-mentions".into(), n.to_string())]);
        }
        let (strict_later, _) = cache.get(pairs(r#""strict""#));
        assert!(!Rc::ptr_eq(&strict, &strict_later), "validated again");
        assert_eq!(strict_later.profanity_level, ProfanityLevel::Strict);
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(s.max_mentions, 5);
        assert_eq!((s.flood_messages, s.flood_seconds), (6, 10));
        assert_eq!(s.profanity_level, ProfanityLevel::Moderate);
        assert!(!s.help_resources.is_empty());
    }

    #[test]
    fn values_are_validated_and_normalized() {
        let (s, warnings) = Settings::from_pairs(
            [
                ("max-mentions", "3"),
                ("flood-seconds", "\"20\""),
                (
                    "allowed-domains",
                    r#"["https://www.GitHub.com/", "*.example.org"]"#,
                ),
                ("allowed-invites", r#"["https://discord.gg/Astra"]"#),
                ("alert-role", r#""123456""#),
                ("shadow", r#"["links", "flood"]"#),
                ("extra-words", r#"["Fr3ak"]"#),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(s.max_mentions, 3);
        assert_eq!(s.flood_seconds, 20);
        assert_eq!(s.allowed_domains, ["github.com", "example.org"]);
        assert_eq!(s.allowed_invites, ["astra"]);
        assert_eq!(s.alert_role, "<@&123456>");
        assert!(s.is_shadow(Rule::InviteLink) && s.is_shadow(Rule::Flood));
        assert!(!s.is_shadow(Rule::Profanity));
        assert_eq!(s.extra_words, ["freak"]);
    }

    #[test]
    fn bad_values_keep_the_default_and_warn() {
        let (s, warnings) = Settings::from_pairs(
            [
                ("max-mentions", "\"lots\""),
                ("flood-messages", "0"),
                ("shadow", r#"["nope"]"#),
                ("help-resources", "not json"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        assert_eq!(s.max_mentions, 5);
        assert_eq!(s.flood_messages, 6);
        assert!(!s.help_resources.is_empty());
        assert_eq!(warnings.len(), 4, "{warnings:?}");
    }

    #[test]
    fn roles_match_by_id_or_name() {
        let s = Settings::from_json_pairs([("everyone-roles", r#"["Moderators", "42"]"#)]);
        assert!(s.may_ping_everyone(&["moderators".to_string()]));
        assert!(s.may_ping_everyone(&["42".to_string()]));
        assert!(!s.may_ping_everyone(&["members".to_string()]));
    }
}
