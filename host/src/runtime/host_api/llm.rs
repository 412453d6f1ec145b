//! `llm`: chat completion through the configured backend. The call is async: the cog's
//! fiber waits, the runtime thread does not, and the wait is not charged to the cog's
//! CPU deadline. Each cog has a budget of calls per minute in each guild
//! (`[limits] llm_calls_per_minute`); past it the cog gets `budget-exceeded` at once.

use super::CogState;
use crate::runtime::bindings::astra::bot::llm::{ChatRequest, Host, LlmError};
use crate::runtime::bindings::types::Capability;
use std::time::Instant;

impl Host for CogState {
    async fn complete(
        &mut self,
        request: ChatRequest,
    ) -> wasmtime::Result<Result<String, LlmError>> {
        if !self.grants.has(Capability::Llm) {
            return Ok(Err(LlmError::Denied));
        }
        let Some(llm) = self.services.llm.clone() else {
            return Ok(Err(LlmError::Unavailable(
                "no language model is configured ([llm] backend = \"none\")".into(),
            )));
        };
        // The budget is spent by asking, whatever the model answers.
        if !self.services.quotas.llm(&self.cog, &self.guild) {
            let refused = self
                .services
                .quotas
                .llm_refused
                .load(std::sync::atomic::Ordering::Relaxed);
            // Logged at 1, 2, 4, 8, ... refusals so a spamming cog cannot flood the log.
            if refused.is_power_of_two() {
                tracing::warn!(
                    cog = %self.cog,
                    guild = %self.guild,
                    "llm budget exceeded ({} calls per minute; {refused} calls refused so far)",
                    self.services.quotas.limits.llm_calls_per_minute
                );
            }
            return Ok(Err(LlmError::BudgetExceeded));
        }
        let started = Instant::now();
        let answer = tokio::time::timeout(self.services.llm_timeout, llm.complete(request)).await;
        self.cpu.waited += started.elapsed();
        Ok(answer.unwrap_or(Err(LlmError::Timeout)))
    }
}
