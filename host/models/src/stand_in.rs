//! `backend = "stand-in"`: a fake chat model for benches and tests.
//!
//! It costs no CPU and needs no files: it waits `stand_in_delay_ms` (a tokio sleep, so
//! it behaves like a slow remote endpoint) and echoes the last user message, labelled so
//! nobody mistakes it for a real answer. Same input, same output.

use std::time::Duration;

use futures::future::BoxFuture;

use crate::{ChatModel, ChatRequest, LlmSettings, ModelError, Role};

/// Every answer starts with this, so logs and screenshots show what produced it.
pub(crate) const LABEL: &str = "(stand-in model)";

pub(crate) struct StandIn {
    delay: Duration,
    timeout: Duration,
}

impl StandIn {
    pub(crate) fn new(settings: &LlmSettings) -> Self {
        Self {
            delay: Duration::from_millis(settings.stand_in_delay_ms),
            timeout: Duration::from_millis(settings.timeout_ms),
        }
    }
}

impl ChatModel for StandIn {
    fn complete(&self, req: ChatRequest) -> BoxFuture<'_, Result<String, ModelError>> {
        Box::pin(async move {
            tokio::time::timeout(self.timeout, tokio::time::sleep(self.delay))
                .await
                .map_err(|_| ModelError::Timeout)?;
            Ok(answer(&req))
        })
    }

    fn describe(&self) -> String {
        format!(
            "stand-in (fake model: echoes the last user message after {} ms)",
            self.delay.as_millis()
        )
    }
}

/// The deterministic reply: the last user message, cut to roughly `max_tokens` words.
fn answer(req: &ChatRequest) -> String {
    let Some(last) = req.messages.iter().rev().find(|m| m.role == Role::User) else {
        return format!("{LABEL} Nothing to answer: there is no user message.");
    };
    let words: Vec<&str> = last.content.split_whitespace().collect();
    let keep = (req.max_tokens as usize).max(1);
    let mut said = words[..words.len().min(keep)].join(" ");
    if words.len() > keep {
        said.push_str(" …");
    }
    format!("{LABEL} You said: {said}")
}
