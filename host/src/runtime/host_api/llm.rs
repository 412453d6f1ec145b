//! `llm`: chat completion through the configured backend. The call is async: the cog's
//! fiber waits, the runtime thread does not, and the wait is not charged to the cog's
//! CPU deadline.

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
        let started = Instant::now();
        let answer = tokio::time::timeout(self.services.llm_timeout, llm.complete(request)).await;
        self.cpu.waited += started.elapsed();
        Ok(answer.unwrap_or(Err(LlmError::Timeout)))
    }
}
