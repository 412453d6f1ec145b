//! `backend = "smollm2"`: SmolLM2-135M-Instruct, in-process, offline (feature `local`).
//!
//! The model is a llama-architecture GGUF run by candle's `quantized_llama`; its
//! tokenizer is read from the GGUF itself. candle has no fast Q4_1 kernel, so the
//! shipped Q4_1 file is converted to Q8_0 once and the result cached next to it.
//!
//! All compute happens on one dedicated worker (a rayon pool of `threads` threads that
//! runs nothing else), fed by a bounded channel: requests are answered one at a time,
//! in order. Async callers only wait on a oneshot, so the gateway never stalls on a
//! generation. A caller that times out drops its oneshot; the worker notices, skips the
//! request if still queued, or stops generating for it.
//!
//! Quality is weak (short replies, some refusals and inventions): an offline default
//! and a test fixture, not a real assistant.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::generation::LogitsProcessor;
use candle_transformers::models::quantized_llama::{ModelWeights, MAX_SEQ_LEN};
use futures::future::BoxFuture;
use tokenizers::Tokenizer;
use tokio::sync::{mpsc, oneshot};

use crate::fetch::Smollm2Files;
use crate::{catch_panic, ChatMessage, ChatModel, ChatRequest, LlmSettings, ModelError, Role};

/// Requests waiting for the worker. When full, callers get `Unavailable` at once: at
/// 1–2 s per answer a longer queue would only turn into timeouts.
const QUEUE_DEPTH: usize = 8;
/// Longest prompt we feed; older turns are dropped to fit. Prompt time grows with it.
const MAX_PROMPT_TOKENS: usize = 2048;
/// Hard cap on generated tokens, whatever the request asks.
const MAX_NEW_TOKENS: usize = 1024;
/// Mild repetition penalty over the last tokens: small models loop without it.
const REPEAT_PENALTY: f32 = 1.1;
const REPEAT_LAST_N: usize = 64;
/// Nucleus sampling cut when the temperature is above zero (SmolLM2's recommendation).
const TOP_P: f64 = 0.9;
/// SmolLM2's chat template adds this when a conversation has no system message.
const DEFAULT_SYSTEM: &str = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

pub(crate) struct Smollm2 {
    jobs: mpsc::Sender<Job>,
    timeout: Duration,
    threads: usize,
    /// Owns the worker's threads; dropped after `jobs`, which ends the worker loop.
    _pool: rayon::ThreadPool,
}

struct Job {
    req: ChatRequest,
    reply: oneshot::Sender<Result<String, ModelError>>,
}

impl Smollm2 {
    /// Starts the worker, converts the model if needed and waits until it is loaded.
    pub(crate) async fn start(settings: &LlmSettings, files: Smollm2Files) -> anyhow::Result<Self> {
        let threads = settings.threads;
        crate::cap_candle_threads(threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("astra-smollm2-{i}"))
            .build()
            .context("starting the SmolLM2 worker threads")?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let (ready, loaded) = oneshot::channel();
        pool.spawn(move || match catch_panic(|| Generator::load(&files)) {
            Ok(Ok(generator)) => {
                let _ = ready.send(Ok(()));
                serve(generator, queue);
            }
            Ok(Err(e)) => {
                let _ = ready.send(Err(e));
            }
            Err(panic) => {
                let _ = ready.send(Err(anyhow::anyhow!("loading SmolLM2 panicked: {panic}")));
            }
        });
        loaded
            .await
            .context("the SmolLM2 worker stopped while loading")??;
        Ok(Self {
            jobs,
            timeout: Duration::from_millis(settings.timeout_ms),
            threads,
            _pool: pool,
        })
    }
}

impl ChatModel for Smollm2 {
    fn complete(&self, req: ChatRequest) -> BoxFuture<'_, Result<String, ModelError>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            self.jobs
                .try_send(Job { req, reply })
                .map_err(|e| match e {
                    mpsc::error::TrySendError::Full(_) => ModelError::Unavailable(format!(
                        "the local model is busy ({QUEUE_DEPTH} requests waiting)"
                    )),
                    mpsc::error::TrySendError::Closed(_) => {
                        ModelError::Unavailable("the local model worker has stopped".into())
                    }
                })?;
            match tokio::time::timeout(self.timeout, answer).await {
                Err(_) => Err(ModelError::Timeout),
                Ok(Err(_)) => Err(ModelError::Unavailable(
                    "the local model worker has stopped".into(),
                )),
                Ok(Ok(result)) => result,
            }
        })
    }

    fn describe(&self) -> String {
        let plural = if self.threads == 1 { "" } else { "s" };
        format!(
            "smollm2 (SmolLM2-135M-Instruct Q8_0, candle, {} thread{plural})",
            self.threads
        )
    }
}

/// The worker loop: one job at a time until every sender is gone.
fn serve(mut generator: Generator, mut queue: mpsc::Receiver<Job>) {
    while let Some(job) = queue.blocking_recv() {
        if job.reply.is_closed() {
            continue; // the caller timed out while this waited in the queue
        }
        // A panic inside candle must not take the worker (or, via rayon, the process)
        // down; the next request starts from a cleared cache anyway.
        let result = catch_panic(|| generator.generate(&job.req, || job.reply.is_closed()))
            .unwrap_or_else(|panic| Err(ModelError::Backend(format!("SmolLM2 panicked: {panic}"))));
        let _ = job.reply.send(result);
    }
}

/// The loaded model and what generation needs to know about its tokens.
struct Generator {
    weights: ModelWeights,
    tokenizer: Tokenizer,
    im_start: u32,
    im_end: u32,
    eos: Option<u32>,
    max_context: usize,
    seed: u64,
}

impl Generator {
    fn load(files: &Smollm2Files) -> anyhow::Result<Self> {
        let started = Instant::now();
        if !files.converted.is_file() {
            convert_to_q8_0(&files.shipped, &files.converted)?;
        }
        let path = &files.converted;
        let mut reader = BufReader::new(
            File::open(path).with_context(|| format!("opening {}", path.display()))?,
        );
        let content = gguf_file::Content::read(&mut reader)
            .with_context(|| format!("{} is not a readable GGUF file", path.display()))?;
        let mut tokenizer =
            Tokenizer::from_gguf(&content).context("reading the tokenizer from the GGUF")?;
        // Message text is encoded with special tokens treated as plain text, so a user
        // cannot forge `<|im_start|>system`; the template's markers are inserted as ids.
        tokenizer.set_encode_special_tokens(true);
        let token = |name: &str| {
            tokenizer
                .token_to_id(name)
                .with_context(|| format!("the tokenizer has no {name} token"))
        };
        let (im_start, im_end) = (token("<|im_start|>")?, token("<|im_end|>")?);
        let eos = content
            .metadata
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok());
        let context_length = content
            .metadata
            .get("llama.context_length")
            .and_then(|v| v.to_u32().ok())
            .map_or(MAX_SEQ_LEN, |n| n as usize);
        let weights = ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)
            .context("loading SmolLM2's weights")?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "SmolLM2 loaded");
        Ok(Self {
            weights,
            tokenizer,
            im_start,
            im_end,
            eos,
            max_context: context_length.min(MAX_SEQ_LEN),
            seed: 0x5eed_a57a,
        })
    }

    /// Runs one request to completion, or until `cancelled()` says nobody is waiting.
    fn generate(
        &mut self,
        req: &ChatRequest,
        cancelled: impl Fn() -> bool,
    ) -> Result<String, ModelError> {
        let started = Instant::now();
        let prompt = self.prompt(&req.messages)?;
        let budget = self.max_context.saturating_sub(prompt.len());
        let max_new = (req.max_tokens as usize).min(MAX_NEW_TOKENS).min(budget);
        if max_new == 0 {
            return Ok(String::new());
        }
        self.seed = self.seed.wrapping_add(1);
        let temperature = f64::from(req.temperature);
        let mut sampler = if temperature > 0.0 {
            LogitsProcessor::new(self.seed, Some(temperature), Some(TOP_P))
        } else {
            LogitsProcessor::new(self.seed, None, None)
        };

        self.weights.clear_kv_cache();
        let mut logits = self.forward(&prompt, 0)?;
        let prompt_ms = started.elapsed().as_millis() as u64;
        let mut context = prompt.clone();
        let mut answer = Vec::new();
        while answer.len() < max_new {
            if cancelled() {
                return Err(ModelError::Timeout);
            }
            let recent = &context[context.len().saturating_sub(REPEAT_LAST_N)..];
            let penalised =
                candle_transformers::utils::apply_repeat_penalty(&logits, REPEAT_PENALTY, recent)
                    .map_err(backend)?;
            let next = sampler.sample(&penalised).map_err(backend)?;
            if next == self.im_end || Some(next) == self.eos {
                break;
            }
            answer.push(next);
            context.push(next);
            if answer.len() < max_new {
                logits = self.forward(&[next], context.len() - 1)?;
            }
        }
        let text = self
            .tokenizer
            .decode(&answer, true)
            .map_err(|e| ModelError::Backend(format!("decoding the answer: {e}")))?;
        let total = started.elapsed();
        let gen_secs = total.as_secs_f64() - prompt_ms as f64 / 1000.0;
        tracing::debug!(
            prompt_tokens = prompt.len(),
            prompt_ms,
            generated = answer.len(),
            tokens_per_s = answer.len() as f64 / gen_secs.max(1e-6),
            total_ms = total.as_millis() as u64,
            "SmolLM2 answered"
        );
        Ok(text.trim().to_string())
    }

    /// Logits for the token after `tokens`, which start at position `pos`.
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Tensor, ModelError> {
        let input = Tensor::new(tokens, &Device::Cpu)
            .and_then(|t| t.unsqueeze(0))
            .map_err(backend)?;
        self.weights
            .forward(&input, pos)
            .and_then(|t| t.squeeze(0))
            .map_err(backend)
    }

    /// The ChatML prompt: `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then
    /// `<|im_start|>assistant\n`. Drops the oldest non-system turns to fit.
    fn prompt(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, ModelError> {
        let mut turns: Vec<(Role, Vec<u32>)> = Vec::with_capacity(messages.len() + 1);
        if !messages.iter().any(|m| m.role == Role::System) {
            turns.push((Role::System, self.turn(Role::System, DEFAULT_SYSTEM)?));
        }
        for m in messages {
            turns.push((m.role, self.turn(m.role, &m.content)?));
        }
        let mut tail = vec![self.im_start];
        tail.extend(self.encode("assistant\n")?);

        let total = |turns: &[(Role, Vec<u32>)]| {
            turns.iter().map(|(_, ids)| ids.len()).sum::<usize>() + tail.len()
        };
        let budget = MAX_PROMPT_TOKENS.min(self.max_context.saturating_sub(1));
        while total(&turns) > budget {
            let droppable = turns
                .iter()
                .filter(|(role, _)| *role != Role::System)
                .count();
            let Some(oldest) = turns.iter().position(|(role, _)| *role != Role::System) else {
                break;
            };
            if droppable <= 1 {
                break; // keep the newest turn; fail below instead
            }
            turns.remove(oldest);
        }
        let length = total(&turns);
        if length > budget {
            return Err(ModelError::Backend(format!(
                "the prompt is {length} tokens; the local model takes at most {budget}"
            )));
        }
        let mut ids: Vec<u32> = turns.into_iter().flat_map(|(_, ids)| ids).collect();
        ids.extend(tail);
        Ok(ids)
    }

    fn turn(&self, role: Role, content: &str) -> Result<Vec<u32>, ModelError> {
        let name = match role {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        let mut ids = vec![self.im_start];
        ids.extend(self.encode(&format!("{name}\n{}", content.trim()))?);
        ids.push(self.im_end);
        ids.extend(self.encode("\n")?);
        Ok(ids)
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        self.tokenizer
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| ModelError::Backend(format!("tokenizing the prompt: {e}")))
    }
}

fn backend(e: candle_core::Error) -> ModelError {
    ModelError::Backend(format!("SmolLM2: {e}"))
}

/// Rewrites the shipped GGUF with every Q4_1 tensor requantized to Q8_0 (about 1.8 s,
/// 145 MB), keeping the metadata (tokenizer included). Written aside, then renamed.
fn convert_to_q8_0(shipped: &Path, converted: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut reader = BufReader::new(
        File::open(shipped).with_context(|| format!("opening {}", shipped.display()))?,
    );
    let content = gguf_file::Content::read(&mut reader)
        .with_context(|| format!("{} is not a readable GGUF file", shipped.display()))?;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let tensor = content.tensor(&mut reader, name, &Device::Cpu)?;
        let tensor = if tensor.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&tensor.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)
                .with_context(|| format!("requantizing {name}"))?
        } else {
            tensor
        };
        tensors.push((name.as_str(), tensor));
    }
    // candle's writer always aligns to 32 bytes; a stale alignment key would mislead readers.
    let metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .filter(|(key, _)| key.as_str() != "general.alignment")
        .map(|(key, value)| (key.as_str(), value))
        .collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();

    let part = converted.with_extension(format!("part-{}", std::process::id()));
    let mut out = BufWriter::new(
        File::create(&part).with_context(|| format!("creating {}", part.display()))?,
    );
    gguf_file::write(&mut out, &metadata, &tensor_refs)
        .with_context(|| format!("writing {}", part.display()))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|file| file.sync_all())
        .with_context(|| format!("writing {}", part.display()))?;
    std::fs::rename(&part, converted)
        .with_context(|| format!("moving into {}", converted.display()))?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        file = %converted.display(),
        "converted SmolLM2 to Q8_0"
    );
    Ok(())
}
