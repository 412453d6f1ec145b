//! `[embed] backend = "minilm"`: all-MiniLM-L6-v2 sentence embeddings (feature `local`).
//!
//! candle's BERT plus the model's own `tokenizer.json` (tokenizers with the pure-Rust
//! `fancy-regex` engine), mean pooling over real tokens, L2 normalisation: 384-dim unit
//! vectors whose dot product is the cosine similarity. On a small FAQ, on-topic questions
//! score about 0.34–0.65 and off-topic ones about 0.2, so cogs match near 0.3.
//!
//! Like `smollm2`, compute runs on its own one-thread rayon pool fed by a bounded
//! channel, never on the async worker threads.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use futures::future::BoxFuture;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use tokio::sync::{mpsc, oneshot};

use crate::fetch::MiniLmFiles;
use crate::{catch_panic, Embedder, ModelError};

/// Calls waiting for the worker; when full, callers get `Unavailable` at once.
const QUEUE_DEPTH: usize = 32;
/// Most texts one call may embed; more is a cog bug, answered with `Backend`.
const MAX_TEXTS: usize = 256;
/// Texts run through BERT this many at a time, bounding padding and memory.
const BATCH: usize = 16;
/// Longer texts are cut to this many tokens (the model was trained on 256).
const MAX_TOKENS: usize = 256;
/// How long one call may wait and run before the caller gets `Timeout`.
const TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct MiniLm {
    jobs: mpsc::Sender<Job>,
    dims: usize,
    /// Owns the worker's thread; dropped after `jobs`, which ends the worker loop.
    _pool: rayon::ThreadPool,
}

struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Result<Vec<Vec<f32>>, ModelError>>,
}

impl MiniLm {
    /// Starts the worker and waits until the model is loaded.
    pub(crate) async fn start(files: MiniLmFiles) -> anyhow::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "astra-minilm".to_string())
            .build()
            .context("starting the MiniLM worker thread")?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let (ready, loaded) = oneshot::channel();
        pool.spawn(move || match catch_panic(|| Encoder::load(&files)) {
            Ok(Ok(encoder)) => {
                let _ = ready.send(Ok(encoder.dims));
                serve(encoder, queue);
            }
            Ok(Err(e)) => {
                let _ = ready.send(Err(e));
            }
            Err(panic) => {
                let _ = ready.send(Err(anyhow::anyhow!("loading MiniLM panicked: {panic}")));
            }
        });
        let dims = loaded
            .await
            .context("the MiniLM worker stopped while loading")??;
        Ok(Self {
            jobs,
            dims,
            _pool: pool,
        })
    }
}

impl Embedder for MiniLm {
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<Vec<Vec<f32>>, ModelError>> {
        Box::pin(async move {
            if texts.is_empty() {
                return Ok(Vec::new());
            }
            if texts.len() > MAX_TEXTS {
                return Err(ModelError::Backend(format!(
                    "{} texts in one call; at most {MAX_TEXTS}",
                    texts.len()
                )));
            }
            let (reply, answer) = oneshot::channel();
            self.jobs
                .try_send(Job { texts, reply })
                .map_err(|e| match e {
                    mpsc::error::TrySendError::Full(_) => ModelError::Unavailable(format!(
                        "the embedder is busy ({QUEUE_DEPTH} calls waiting)"
                    )),
                    mpsc::error::TrySendError::Closed(_) => {
                        ModelError::Unavailable("the embedder worker has stopped".into())
                    }
                })?;
            match tokio::time::timeout(TIMEOUT, answer).await {
                Err(_) => Err(ModelError::Timeout),
                Ok(Err(_)) => Err(ModelError::Unavailable(
                    "the embedder worker has stopped".into(),
                )),
                Ok(Ok(result)) => result,
            }
        })
    }

    fn describe(&self) -> String {
        format!(
            "minilm (all-MiniLM-L6-v2, {} dims, candle, 1 thread)",
            self.dims
        )
    }
}

/// The worker loop: one call at a time until every sender is gone.
fn serve(encoder: Encoder, mut queue: mpsc::Receiver<Job>) {
    while let Some(job) = queue.blocking_recv() {
        if job.reply.is_closed() {
            continue; // the caller timed out while this waited in the queue
        }
        let result = catch_panic(|| encoder.embed(&job.texts))
            .unwrap_or_else(|panic| Err(ModelError::Backend(format!("MiniLM panicked: {panic}"))));
        let _ = job.reply.send(result);
    }
}

struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
    dims: usize,
}

impl Encoder {
    fn load(files: &MiniLmFiles) -> anyhow::Result<Self> {
        let started = Instant::now();
        let config: Config = serde_json::from_slice(
            &std::fs::read(&files.config)
                .with_context(|| format!("reading {}", files.config.display()))?,
        )
        .with_context(|| format!("{} is not a BERT config", files.config.display()))?;
        let weights = std::fs::read(&files.weights)
            .with_context(|| format!("reading {}", files.weights.display()))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .with_context(|| format!("{} is not a safetensors file", files.weights.display()))?;
        let model = BertModel::load(vb, &config).context("loading MiniLM's weights")?;
        let dims = config.hidden_size;

        let mut tokenizer = Tokenizer::from_file(&files.tokenizer).map_err(|e| {
            anyhow::anyhow!("{} is not a tokenizer: {e}", files.tokenizer.display())
        })?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| anyhow::anyhow!("setting up truncation: {e}"))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tracing::info!(ms = started.elapsed().as_millis() as u64, "MiniLM loaded");
        Ok(Self {
            model,
            tokenizer,
            dims,
        })
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelError> {
        let started = Instant::now();
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            vectors.extend(self.embed_batch(batch).map_err(backend)?);
        }
        tracing::debug!(
            texts = texts.len(),
            ms = started.elapsed().as_millis() as u64,
            "MiniLM embedded"
        );
        Ok(vectors)
    }

    fn embed_batch(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let rows = |field: fn(&tokenizers::Encoding) -> &[u32]| -> candle_core::Result<Tensor> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(field(e), &Device::Cpu))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::stack(&rows, 0)
        };
        let ids = rows(|e| e.get_ids())?;
        let type_ids = rows(|e| e.get_type_ids())?;
        let mask = rows(|e| e.get_attention_mask())?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (batch, seq, dims)

        // Mean over the real tokens only, then scale to unit length.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (batch, seq, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (batch, dims)
        let counts = mask.sum(1)?; // (batch, 1); never 0, [CLS] and [SEP] always count
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.maximum(1e-12)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

fn backend(e: anyhow::Error) -> ModelError {
    ModelError::Backend(format!("MiniLM: {e:#}"))
}
