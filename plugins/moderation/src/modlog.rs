//! Mod-log output: every action this cog takes is also written as one line.
//!
//! Always `Action::LogToModlog` (the host posts it in the guild's configured mod-log
//! channel). When the guild sets `modlog-channel`, a copy also goes there with
//! `Action::Send`: for guilds that want this cog's log in a staff channel of its own.
//! Leave it unset if it is the same channel as the host's mod-log, or lines appear twice.

use crate::settings::Settings;
use astra_sdk::{Action, SendMessage};

/// The actions that write `line` to the mod-log.
pub fn entry(settings: &Settings, line: String) -> Vec<Action> {
    let mut actions = Vec::with_capacity(2);
    if let Some(channel) = &settings.modlog_channel {
        actions.push(Action::Send(SendMessage {
            channel_id: channel.clone(),
            content: line.clone(),
        }));
    }
    actions.push(Action::LogToModlog(line));
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_mod_log_always_gets_the_line() {
        let actions = entry(&Settings::default(), "ban #1".into());
        assert!(matches!(actions.as_slice(), [Action::LogToModlog(l)] if l == "ban #1"));
    }

    #[test]
    fn a_configured_channel_gets_a_copy() {
        let settings = Settings {
            modlog_channel: Some("99".into()),
            ..Settings::default()
        };
        let actions = entry(&settings, "ban #1".into());
        assert!(matches!(&actions[0], Action::Send(m) if m.channel_id == "99"));
        assert!(matches!(&actions[1], Action::LogToModlog(_)));
    }
}
