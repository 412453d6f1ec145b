//! `embed`: sentence embeddings from the configured model (async, not charged to the
//! cog's CPU deadline). Without a model the cog gets `unavailable` and falls back.

use super::CogState;
use crate::runtime::bindings::astra::bot::embed::{EmbedError, Host};
use crate::runtime::bindings::types::Capability;
use std::time::Instant;

const MAX_TEXTS: usize = 256;

impl Host for CogState {
    async fn embed(
        &mut self,
        texts: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<Vec<f32>>, EmbedError>> {
        if !self.grants.has(Capability::Embed) {
            return Ok(Err(EmbedError::Denied));
        }
        let Some(model) = self.services.embed.clone() else {
            return Ok(Err(EmbedError::Unavailable));
        };
        if texts.len() > MAX_TEXTS {
            return Ok(Err(EmbedError::Backend(format!(
                "at most {MAX_TEXTS} texts per call"
            ))));
        }
        let started = Instant::now();
        let result = model.embed(texts).await;
        self.cpu.waited += started.elapsed();
        Ok(result)
    }
}
