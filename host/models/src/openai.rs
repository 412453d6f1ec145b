//! `backend = "openai"`: any OpenAI-compatible chat-completions endpoint.
//!
//! One non-streaming `POST {url}/chat/completions` per request (OpenAI, Ollama, llama.cpp
//! server, vLLM all speak it); the reply is `choices[0].message.content`. The bearer key
//! is read once from the environment variable `api_key_env` names and is never logged
//! or put into an error. The token-limit field name is configurable because OpenAI and
//! the local servers disagree on it.

use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde_json::{json, Map, Value};

use crate::{ChatModel, ChatRequest, LlmSettings, ModelError, Role};

/// How much of an error body ends up in `ModelError::Backend`.
const EXCERPT_CHARS: usize = 200;

pub(crate) struct OpenAi {
    client: reqwest::Client,
    /// `{url}/chat/completions`
    endpoint: String,
    model: String,
    max_tokens_field: String,
    /// `Bearer …`, marked sensitive so reqwest never prints it.
    auth: Option<HeaderValue>,
    timeout: Duration,
}

impl OpenAi {
    /// Expects settings that passed `LlmSettings::validate`.
    pub(crate) fn new(settings: &LlmSettings) -> anyhow::Result<Self> {
        let base = settings.url.as_deref().unwrap_or_default().trim();
        let endpoint = format!("{}/chat/completions", base.trim_end_matches('/'));
        reqwest::Url::parse(&endpoint)
            .with_context(|| format!("[llm] url = {base:?} is not a valid URL"))?;
        let timeout = Duration::from_millis(settings.timeout_ms);
        let auth = match std::env::var(&settings.api_key_env) {
            Ok(key) if !key.trim().is_empty() => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {}", key.trim())).map_err(|_| {
                        anyhow::anyhow!(
                            "the API key in ${} holds characters an HTTP header cannot carry",
                            settings.api_key_env
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            _ => {
                tracing::info!(
                    var = %settings.api_key_env,
                    "no API key in the environment; sending requests without Authorization"
                );
                None
            }
        };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .context("building the HTTP client for [llm]")?;
        Ok(Self {
            client,
            endpoint,
            model: settings.model.clone().unwrap_or_default(),
            max_tokens_field: settings.max_tokens_field.clone(),
            auth,
            timeout,
        })
    }

    fn body(&self, req: &ChatRequest) -> Value {
        let messages: Vec<Value> = req
            .messages
            .iter()
            .map(|m| json!({ "role": role_name(m.role), "content": m.content }))
            .collect();
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("temperature".into(), json!(req.temperature));
        body.insert(self.max_tokens_field.clone(), json!(req.max_tokens));
        body.insert("stream".into(), json!(false));
        Value::Object(body)
    }

    async fn request(&self, req: ChatRequest) -> Result<String, ModelError> {
        let mut call = self.client.post(&self.endpoint).json(&self.body(&req));
        if let Some(auth) = &self.auth {
            call = call.header(AUTHORIZATION, auth.clone());
        }
        let response = call.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if !status.is_success() {
            return Err(ModelError::Backend(format!(
                "HTTP {status}: {}",
                excerpt(&String::from_utf8_lossy(&bytes))
            )));
        }
        let reply: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ModelError::Backend(format!(
                "reply is not JSON ({e}): {}",
                excerpt(&String::from_utf8_lossy(&bytes))
            ))
        })?;
        match reply.pointer("/choices/0/message/content") {
            Some(Value::String(text)) => Ok(text.clone()),
            // Some servers send `null` content with a refusal or tool call; nothing to say.
            Some(Value::Null) => Ok(String::new()),
            _ => Err(ModelError::Backend(format!(
                "reply has no choices[0].message.content: {}",
                excerpt(&reply.to_string())
            ))),
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> ModelError {
        if e.is_timeout() {
            ModelError::Timeout
        } else if e.is_connect() {
            ModelError::Unavailable(format!(
                "cannot reach {}: {}",
                self.endpoint,
                source_chain(&e)
            ))
        } else {
            ModelError::Backend(format!(
                "request to {} failed: {}",
                self.endpoint,
                source_chain(&e)
            ))
        }
    }
}

impl ChatModel for OpenAi {
    fn complete(&self, req: ChatRequest) -> BoxFuture<'_, Result<String, ModelError>> {
        Box::pin(async move {
            // reqwest's own timeout covers connect, send and body; this one also covers
            // anything reqwest does not time (DNS on some resolvers).
            tokio::time::timeout(self.timeout, self.request(req))
                .await
                .unwrap_or(Err(ModelError::Timeout))
        })
    }

    fn describe(&self) -> String {
        format!("openai ({} at {})", self.model, self.endpoint)
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// The first `EXCERPT_CHARS` characters of `text`, on one line.
fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// reqwest's Display hides the cause ("error sending request"); add the chain.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
