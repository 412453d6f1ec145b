//! A hostile cog that abuses what it *was* granted. The first word of a message picks
//! the abuse:
//!
//! - `recurse`: unbounded recursion (stack overflow);
//! - `actions`: returns 100,000 actions; `big`: one 10 MB reply;
//! - `kv-loop`: `kv.increment` in a tight loop until the host says no;
//! - `llm-loop`: `llm.complete` in a loop until the host says no;
//! - `ask`: one `llm.complete`; a timeout or unavailable model is returned as a
//!   *transient* error (the host retries), anything else as permanent;
//! - `peek`: tries to read another cog's kv and cache data (`test-echo`'s counters and
//!   last messages);
//! - `dump-config`: replies with every setting it can read;
//! - `slow` (anywhere in the text): one model call (an AI request that takes the
//!   model's time), LOW when the text starts with `!low`.
//!
//! Other messages are not its business (`triage` says none).
use astra_sdk::prelude::*;

struct Abuser;

/// Recurses until the stack runs out: that is the point.
#[allow(unconditional_recursion)]
#[inline(never)]
fn dive(depth: u64, pad: [u64; 8]) -> u64 {
    let next = std::hint::black_box([
        pad[0].wrapping_add(depth),
        pad[1],
        pad[2],
        pad[3],
        pad[4],
        pad[5],
        pad[6],
        depth,
    ]);
    let below = dive(depth.wrapping_add(1), next);
    std::hint::black_box(below).wrapping_mul(31) ^ pad[7]
}

/// The abuse asked for: `slow` anywhere in the text, else the first word.
fn word(msg: &Message) -> &str {
    let mut words = msg.content.split_whitespace();
    if msg.content.split_whitespace().any(|w| w == "slow") {
        return "slow";
    }
    words.next().unwrap_or("")
}

const WORDS: [&str; 9] = [
    "recurse",
    "actions",
    "big",
    "kv-loop",
    "llm-loop",
    "ask",
    "peek",
    "dump-config",
    "slow",
];

impl Cog for Abuser {
    fn manifest() -> CogManifest {
        Manifest::new("test-abuser", "1.0.0", "abuses its grants")
            .capabilities([
                Capability::Log,
                Capability::Kv,
                Capability::Config,
                Capability::Llm,
                Capability::Reply,
            ])
            .build()
    }

    fn triage(msg: &Message) -> Option<Priority> {
        let w = word(msg);
        if !WORDS.contains(&w) {
            return None;
        }
        Some(if w == "slow" && msg.content.starts_with("!low") {
            Priority::Low
        } else {
            Priority::Normal
        })
    }

    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        match word(&msg) {
            "recurse" => {
                let n = dive(0, [1; 8]);
                Ok(vec![Action::Reply(format!("came back: {n}"))])
            }
            "actions" => Ok((0..100_000)
                .map(|i| Action::Reply(format!("action {i}")))
                .collect()),
            "big" => Ok(vec![Action::Reply("x".repeat(10 << 20))]),
            "kv-loop" => {
                let mut ops = 0u64;
                let error = loop {
                    match kv::increment("hammer", 1) {
                        Ok(_) => ops += 1,
                        Err(e) => break e,
                    }
                    if ops >= 10_000_000 {
                        return Ok(vec![Action::Reply(format!("kv ops={ops} err=none"))]);
                    }
                };
                Ok(vec![Action::Reply(format!("kv ops={ops} err={error:?}"))])
            }
            "llm-loop" => {
                let mut calls = 0u64;
                let error = loop {
                    match llm::complete(vec![llm::user("spam")], 4, 0.0) {
                        Ok(_) => calls += 1,
                        Err(e) => break e,
                    }
                    if calls >= 100_000 {
                        return Ok(vec![Action::Reply(format!("llm calls={calls} err=none"))]);
                    }
                };
                Ok(vec![Action::Reply(format!(
                    "llm calls={calls} err={error:?}"
                ))])
            }
            "ask" | "slow" => match llm::complete(vec![llm::user(msg.content.clone())], 16, 0.0) {
                Ok(text) => Ok(vec![Action::Reply(format!("llm said: {text}"))]),
                Err(e @ (llm::LlmError::Timeout | llm::LlmError::Unavailable(_))) => {
                    Err(HandlerError::Transient(format!("model: {e:?}")))
                }
                Err(e) => Err(HandlerError::Permanent(format!("model: {e:?}"))),
            },
            "peek" => {
                let theirs = kv::get("count:alice")
                    .map_err(|e| HandlerError::Permanent(format!("{e:?}")))?;
                let all = kv::list_prefix("", 1000)
                    .map_err(|e| HandlerError::Permanent(format!("{e:?}")))?;
                let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
                let cached = cache::get("last:alice")
                    .map_err(|e| HandlerError::Permanent(format!("{e:?}")))?;
                Ok(vec![Action::Reply(format!(
                    "peek count:alice={theirs:?} keys={keys:?} last:alice={cached:?}"
                ))])
            }
            "dump-config" => {
                let mut out = String::new();
                for (k, v) in config::all() {
                    out.push_str(&format!("{k}={v}\n"));
                }
                for key in [
                    "api_key_env",
                    "token",
                    "discord",
                    "llm",
                    "OPENAI_API_KEY",
                    "bot-name",
                ] {
                    if let Some(v) = config::get::<serde_json::Value>(key) {
                        out.push_str(&format!("get {key}={v}\n"));
                    }
                }
                Ok(vec![Action::Reply(out)])
            }
            _ => Ok(Vec::new()),
        }
    }
}

astra_sdk::cog!(Abuser);
