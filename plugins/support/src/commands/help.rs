//! `/help`: lists every slash command the loaded cogs offer, grouped by cog. A cog cannot
//! see the others, so the host passes the full list in the `commands` setting (a JSON
//! list of `{"name", "description", "cog"}`); without it, this cog lists its own.
use crate::replies::DISCORD_MAX_CHARS;
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const NAME: &str = "help";

pub fn spec() -> CommandBuilder {
    CommandBuilder::new(NAME, "list every command the bot offers")
}

/// One command as the host lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Listed {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub cog: String,
}

pub fn run() -> CommandReply {
    let commands = parse(config::get("commands")).unwrap_or_else(own_commands);
    reply_ephemeral(listing(&commands))
}

/// The `commands` setting as a list (a JSON list, or a string holding one); `None` when
/// it is absent, unreadable or empty.
pub fn parse(setting: Option<Value>) -> Option<Vec<Listed>> {
    let value = match setting? {
        Value::String(text) => serde_json::from_str(&text).ok()?,
        v => v,
    };
    let list: Vec<Listed> = serde_json::from_value(value).ok()?;
    (!list.is_empty()).then_some(list)
}

/// This cog's own commands, from its manifest.
fn own_commands() -> Vec<Listed> {
    let manifest = crate::manifest();
    manifest
        .commands
        .into_iter()
        .map(|c| Listed {
            name: c.name,
            description: c.description,
            cog: manifest.name.clone(),
        })
        .collect()
}

/// The `/help` text: commands grouped by cog (sorted), within Discord's limit.
pub fn listing(commands: &[Listed]) -> String {
    let mut by_cog: BTreeMap<&str, Vec<&Listed>> = BTreeMap::new();
    for c in commands {
        let cog = if c.cog.trim().is_empty() {
            "other"
        } else {
            c.cog.trim()
        };
        by_cog.entry(cog).or_default().push(c);
    }
    let mut lines = vec!["**Commands**".to_string()];
    for (cog, mut list) in by_cog {
        list.sort_by_key(|c| c.name.trim().trim_start_matches('/').to_lowercase());
        lines.push(String::new());
        lines.push(format!("**{cog}**"));
        for c in list {
            let name = c.name.trim().trim_start_matches('/');
            lines.push(match c.description.trim() {
                "" => format!("`/{name}`"),
                d => format!("`/{name}` — {d}"),
            });
        }
    }
    fit_lines(lines)
}

/// Joins `lines`, dropping whole lines from the end (and saying how many) to fit.
fn fit_lines(lines: Vec<String>) -> String {
    let total = lines.len();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let more = format!("\n…and {} more lines", total - i);
        if out.chars().count() + line.chars().count() + 1 + more.chars().count() > DISCORD_MAX_CHARS
        {
            out.push_str(&more);
            return out;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn listed(name: &str, description: &str, cog: &str) -> Listed {
        Listed {
            name: name.into(),
            description: description.into(),
            cog: cog.into(),
        }
    }

    #[test]
    fn commands_are_grouped_by_cog_and_sorted() {
        let text = listing(&[
            listed("kb", "show the knowledge base", "support"),
            listed("ask", "ask the AI", "ai-companion"),
            listed("help", "list commands", "support"),
            listed("/forget", "", "ai-companion"),
        ]);
        assert_eq!(
            text,
            "**Commands**\n\n**ai-companion**\n`/ask` — ask the AI\n`/forget`\n\n\
             **support**\n`/help` — list commands\n`/kb` — show the knowledge base"
        );
    }

    #[test]
    fn commands_without_a_cog_are_listed_under_other() {
        assert!(listing(&[listed("ping", "pong", "")]).contains("**other**\n`/ping` — pong"));
    }

    #[test]
    fn the_host_list_is_read_as_json_or_as_a_string() {
        let list = json!([{"name": "ask", "description": "d", "cog": "ai"}]);
        assert_eq!(
            parse(Some(list.clone())),
            Some(vec![listed("ask", "d", "ai")])
        );
        assert_eq!(
            parse(Some(json!(list.to_string()))),
            Some(vec![listed("ask", "d", "ai")])
        );
    }

    #[test]
    fn a_missing_or_broken_list_is_none() {
        assert_eq!(parse(None), None);
        assert_eq!(parse(Some(json!([]))), None);
        assert_eq!(parse(Some(json!({"name": "x"}))), None);
        assert_eq!(parse(Some(json!("not json"))), None);
    }

    #[test]
    fn long_lists_fit_in_one_message() {
        let many: Vec<Listed> = (0..300)
            .map(|i| listed(&format!("cmd{i:03}"), "does a thing of some length", "big"))
            .collect();
        let text = listing(&many);
        assert!(text.chars().count() <= DISCORD_MAX_CHARS);
        assert!(text.ends_with("more lines"));
    }
}
