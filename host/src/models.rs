//! The model backends behind the `llm` and `embed` imports, chosen by `[llm]` and
//! `[embed]` in the config and built by `astra-models`. This file only adapts between
//! the WIT types the cogs see and the backend crate's types, and cuts secrets (the LLM
//! key, the bot token) out of anything the backend returns before a cog can read it.

use crate::config::Config;
use crate::runtime::bindings::astra::bot::llm::Role as WitRole;
use crate::runtime::host_api::{ChatRequest, EmbedError, EmbedService, LlmError, LlmService};
use anyhow::Result;
use astra_models::{ChatMessage, ChatModel, Embedder, ModelError, Role};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;

struct Chat {
    model: Arc<dyn ChatModel>,
    /// secret values (the LLM key, the bot token) cut out of whatever the backend says
    /// before a cog sees it: a misbehaving proxy may echo the credentials it was sent
    secrets: Arc<Vec<String>>,
}

/// `text` with every secret replaced by `***`.
fn redact(text: String, secrets: &[String]) -> String {
    secrets.iter().fold(text, |text, secret| {
        if text.contains(secret.as_str()) {
            text.replace(secret.as_str(), "***")
        } else {
            text
        }
    })
}

impl LlmService for Chat {
    fn complete(&self, request: ChatRequest) -> BoxFuture<'static, Result<String, LlmError>> {
        let model = self.model.clone();
        let secrets = self.secrets.clone();
        let request = astra_models::ChatRequest {
            messages: request
                .messages
                .into_iter()
                .map(|m| ChatMessage {
                    role: match m.role {
                        WitRole::System => Role::System,
                        WitRole::User => Role::User,
                        WitRole::Assistant => Role::Assistant,
                    },
                    content: m.content,
                })
                .collect(),
            max_tokens: request.max_tokens.clamp(1, 2048),
            temperature: request.temperature.clamp(0.0, 2.0),
        };
        async move {
            match model.complete(request).await {
                Ok(text) => Ok(redact(text, &secrets)),
                Err(ModelError::Unavailable(why)) => {
                    Err(LlmError::Unavailable(redact(why, &secrets)))
                }
                Err(ModelError::Timeout) => Err(LlmError::Timeout),
                Err(ModelError::Backend(why)) => Err(LlmError::Backend(redact(why, &secrets))),
            }
        }
        .boxed()
    }
}

struct Embed(Arc<dyn Embedder>);

impl EmbedService for Embed {
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'static, Result<Vec<Vec<f32>>, EmbedError>> {
        let model = self.0.clone();
        async move {
            model.embed(texts).await.map_err(|e| match e {
                ModelError::Unavailable(_) => EmbedError::Unavailable,
                other => EmbedError::Backend(other.to_string()),
            })
        }
        .boxed()
    }
}

/// Start the configured backends (fetching the offline models first if needed).
pub async fn services(
    config: &Config,
) -> Result<(Option<Arc<dyn LlmService>>, Option<Arc<dyn EmbedService>>)> {
    let chat = astra_models::chat_model(&config.llm, &config.models_dir).await?;
    let embed = astra_models::embedder(&config.embed, &config.models_dir).await?;
    // Short values are not worth redacting (and would mangle ordinary text).
    let secrets: Vec<String> = [
        std::env::var(&config.llm.api_key_env).ok(),
        config.discord.token().map(|t| t.expose().to_string()),
    ]
    .into_iter()
    .flatten()
    .map(|s| s.trim().to_string())
    .filter(|s| s.len() >= 8)
    .collect();
    let secrets = Arc::new(secrets);
    Ok((
        chat.map(|model| {
            Arc::new(Chat {
                model,
                secrets: secrets.clone(),
            }) as Arc<dyn LlmService>
        }),
        embed.map(|e| Arc::new(Embed(e)) as Arc<dyn EmbedService>),
    ))
}
