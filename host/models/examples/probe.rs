//! Measures the local models on this machine: fetch (if needed), load time, answer
//! time and tokens/s (from the debug log), embedding time per query, and memory.
//! Not part of the bot; run it to refresh the numbers in the README:
//! `RUST_LOG=astra_models=debug cargo run --release -p astra-models --example probe [CACHE_DIR]`

use std::path::PathBuf;
use std::time::Instant;

use astra_models::{
    chat_model, embedder, fetch_models, ChatMessage, ChatRequest, EmbedSettings, LlmSettings, Role,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/astra/models")
        });
    let started = Instant::now();
    let fetch_dir = dir.clone();
    tokio::task::spawn_blocking(move || fetch_models(&fetch_dir)).await??;
    println!("fetch/verify: {:?}  ({})", started.elapsed(), dir.display());
    println!("rss before models: {}", memory());

    let started = Instant::now();
    let llm = chat_model(&LlmSettings::default(), &dir).await?.unwrap();
    println!(
        "{}: loaded in {:?}; {}",
        llm.describe(),
        started.elapsed(),
        memory()
    );
    for question in [
        "What is the capital of France?",
        "Write a short poem about the sea.",
        "How do I reset my password on a website?",
    ] {
        let req = ChatRequest {
            messages: vec![ChatMessage {
                role: Role::User,
                content: question.into(),
            }],
            max_tokens: 128,
            temperature: 0.0,
        };
        let started = Instant::now();
        let text = llm.complete(req).await?;
        println!(
            "  {question:?} -> {:?} in {:?}\n    {text:?}",
            text.len(),
            started.elapsed()
        );
    }
    println!("after generation: {}", memory());

    let started = Instant::now();
    let emb = embedder(&EmbedSettings::default(), &dir).await?.unwrap();
    println!(
        "{}: loaded in {:?}; {}",
        emb.describe(),
        started.elapsed(),
        memory()
    );
    let queries = [
        "How do I reset my password?",
        "Where can I see my invoices?",
        "The bot is not answering in my channel",
        "Can I get a refund for last month?",
        "What's the weather?",
    ];
    emb.embed(vec!["warm up".into()]).await?;
    let started = Instant::now();
    for round in 0..4 {
        for q in queries {
            emb.embed(vec![format!("{q} {round}")]).await?;
        }
    }
    println!("  one query: {:?} average over 20", started.elapsed() / 20);
    let batch: Vec<String> = (0..32)
        .map(|i| format!("{} #{i}", queries[i % 5]))
        .collect();
    let started = Instant::now();
    emb.embed(batch).await?;
    println!("  batch of 32: {:?}; {}", started.elapsed(), memory());
    Ok(())
}

fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_default()
    };
    format!("RSS {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}
