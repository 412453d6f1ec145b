//! The `[llm]` and `[embed]` tables of `astra.toml`, as serde reads them.
//!
//! The host's config loader deserializes these inside its own raw config (so its errors
//! carry file and line) and hands them to `chat_model` / `embedder`, which call
//! [`LlmSettings::validate`] for the cross-field rules serde cannot express.

use serde::Deserialize;

/// Which chat backend `[llm]` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LlmBackendKind {
    /// SmolLM2-135M-Instruct in-process (feature `local`): offline, weak, free.
    #[default]
    Smollm2,
    /// Any OpenAI-compatible chat-completions endpoint at `url`.
    Openai,
    /// A labelled fake that answers after `stand_in_delay_ms`; for benches and tests.
    StandIn,
    /// No model: cogs calling `llm.complete` get `unavailable`.
    None,
}

/// `[llm]` in `astra.toml`. Every field has a default, so an empty table (or none) means
/// the offline SmolLM2 model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    pub backend: LlmBackendKind,
    /// `openai` only: the API base, e.g. `http://localhost:11434/v1` for Ollama.
    pub url: Option<String>,
    /// `openai` only: the model name sent in each request.
    pub model: Option<String>,
    /// `openai` only: the environment variable holding the bearer key. Unset or empty
    /// means no `Authorization` header (fine for a local Ollama or llama.cpp server).
    pub api_key_env: String,
    /// `openai` only: the request field carrying the token limit. OpenAI now prefers
    /// `max_completion_tokens`; Ollama and llama.cpp read `max_tokens`.
    pub max_tokens_field: String,
    /// How long one completion may take, queueing included; past it the cog gets
    /// `timeout`. Applies to every backend.
    pub timeout_ms: u64,
    /// `stand-in` only: how long each answer takes.
    pub stand_in_delay_ms: u64,
    /// `smollm2` only: CPU threads for generation. 1 suits a 2-core machine that also
    /// runs the bot.
    pub threads: usize,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            backend: LlmBackendKind::default(),
            url: None,
            model: None,
            api_key_env: "OPENAI_API_KEY".to_string(),
            max_tokens_field: "max_tokens".to_string(),
            timeout_ms: 20_000,
            stand_in_delay_ms: 300,
            threads: 1,
        }
    }
}

impl LlmSettings {
    /// Checks the rules serde cannot: what each backend needs, and sane numbers.
    /// Errors name the key and the fix.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.timeout_ms == 0 {
            anyhow::bail!("[llm] timeout_ms must be above 0 (default 20000)");
        }
        if self.threads == 0 {
            anyhow::bail!("[llm] threads must be at least 1 (default 1)");
        }
        if self.backend == LlmBackendKind::Openai {
            let url = self.url.as_deref().unwrap_or("").trim();
            if url.is_empty() {
                anyhow::bail!(
                    "[llm] backend = \"openai\" needs `url`, the API base such as \
                     \"http://localhost:11434/v1\""
                );
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                anyhow::bail!("[llm] url = {url:?} must start with http:// or https://");
            }
            if self.model.as_deref().unwrap_or("").trim().is_empty() {
                anyhow::bail!(
                    "[llm] backend = \"openai\" needs `model`, the model name to request"
                );
            }
            if self.max_tokens_field.trim().is_empty() {
                anyhow::bail!("[llm] max_tokens_field must not be empty (default \"max_tokens\")");
            }
        }
        Ok(())
    }
}

/// Which embedder `[embed]` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbedBackendKind {
    /// all-MiniLM-L6-v2 in-process (feature `local`).
    #[default]
    Minilm,
    /// No embedder: cogs calling `embed.embed` get `unavailable` and fall back to keywords.
    None,
}

/// `[embed]` in `astra.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbedSettings {
    pub backend: EmbedBackendKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_means_the_offline_defaults() {
        let llm: LlmSettings = toml::from_str("").unwrap();
        assert_eq!(llm, LlmSettings::default());
        assert_eq!(llm.backend, LlmBackendKind::Smollm2);
        assert_eq!(llm.timeout_ms, 20_000);
        let embed: EmbedSettings = toml::from_str("").unwrap();
        assert_eq!(embed.backend, EmbedBackendKind::Minilm);
    }

    #[test]
    fn backends_are_spelled_in_kebab_case_and_fields_in_snake_case() {
        let llm: LlmSettings = toml::from_str(
            "backend = \"stand-in\"\nstand_in_delay_ms = 5\nmax_tokens_field = \"max_completion_tokens\"",
        )
        .unwrap();
        assert_eq!(llm.backend, LlmBackendKind::StandIn);
        assert_eq!(llm.stand_in_delay_ms, 5);
        assert_eq!(llm.max_tokens_field, "max_completion_tokens");
        let embed: EmbedSettings = toml::from_str("backend = \"none\"").unwrap();
        assert_eq!(embed.backend, EmbedBackendKind::None);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<LlmSettings>("temprature = 1").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn openai_needs_a_url_and_a_model() {
        let mut llm = LlmSettings {
            backend: LlmBackendKind::Openai,
            ..LlmSettings::default()
        };
        assert!(llm
            .validate()
            .unwrap_err()
            .to_string()
            .contains("needs `url`"));
        llm.url = Some("localhost:11434/v1".into());
        assert!(llm.validate().unwrap_err().to_string().contains("http://"));
        llm.url = Some("http://localhost:11434/v1".into());
        assert!(llm
            .validate()
            .unwrap_err()
            .to_string()
            .contains("needs `model`"));
        llm.model = Some("smollm2:135m".into());
        llm.validate().unwrap();
    }
}
