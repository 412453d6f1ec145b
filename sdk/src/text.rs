//! Small helpers for command arguments and replies.

use crate::{CommandInvocation, CommandReply, OptionValue};

/// A visible reply with no further actions.
pub fn reply(content: impl Into<String>) -> CommandReply {
    CommandReply {
        content: content.into(),
        ephemeral: false,
        actions: Vec::new(),
    }
}

/// A reply only the invoker sees.
pub fn reply_ephemeral(content: impl Into<String>) -> CommandReply {
    CommandReply {
        content: content.into(),
        ephemeral: true,
        actions: Vec::new(),
    }
}

/// Typed lookup of slash-command options by name.
pub trait CommandArgs {
    fn value(&self, name: &str) -> Option<&OptionValue>;

    /// A text, user or channel option as text.
    fn text(&self, name: &str) -> Option<&str> {
        match self.value(name)? {
            OptionValue::Text(s) | OptionValue::User(s) | OptionValue::Channel(s) => Some(s),
            _ => None,
        }
    }

    fn integer(&self, name: &str) -> Option<i64> {
        match self.value(name)? {
            OptionValue::Integer(n) => Some(*n),
            OptionValue::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn boolean(&self, name: &str) -> Option<bool> {
        match self.value(name)? {
            OptionValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }
}

impl CommandArgs for CommandInvocation {
    fn value(&self, name: &str) -> Option<&OptionValue> {
        self.options
            .iter()
            .find(|o| o.name == name)
            .map(|o| &o.value)
    }
}
