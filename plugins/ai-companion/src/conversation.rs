//! The companion's one flow, shared by mentions and `/ask`: check the member's hourly
//! budget, load the channel's memory, ask the model, filter its reply, remember the
//! exchange. This is where the host is called (kv, clock, llm, log); the decisions are
//! in the pure modules it uses.
//!
//! Failure policy: a chat bot should answer rather than fail, so kv trouble is logged and
//! the reply goes ahead without memory or budget (the host still enforces its own model
//! budget); a model error gives an honest canned reply and refunds the member's budget.
use crate::settings::Settings;
use crate::{budget, filter, memory, prompt, replies};
use astra_sdk::prelude::*;

/// What a member asked, and where.
pub struct Request<'a> {
    pub channel_id: &'a str,
    pub user_id: &'a str,
    /// The message with the bot's mention or name already removed.
    pub text: &'a str,
}

/// How the request ended; each carries the text to post.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The model answered (filtered).
    Answer(String),
    /// The member used up their replies for this hour; the model was not called.
    OverBudget(String),
    /// The model failed; an honest canned reply.
    Fallback(String),
}

impl Outcome {
    pub fn into_text(self) -> String {
        match self {
            Outcome::Answer(t) | Outcome::OverBudget(t) | Outcome::Fallback(t) => t,
        }
    }
}

/// Answers `req` as configured in `settings`.
pub fn respond(settings: &Settings, req: Request<'_>) -> Outcome {
    let now = clock::now_ms();
    let charge = match charge(settings.user_budget_per_hour, req.user_id, now) {
        Charge::Over => {
            return Outcome::OverBudget(replies::over_budget(settings.user_budget_per_hour))
        }
        charge => charge,
    };

    let turns = load_memory(settings, req.channel_id, now);
    let messages = prompt::build(
        &settings.persona,
        &turns,
        req.text,
        prompt::MAX_PROMPT_CHARS,
    );
    match llm::complete(messages, settings.max_tokens, settings.temperature) {
        Ok(raw) => {
            let reply = filter::clean_reply(&raw, &settings.bot_name);
            let turn = memory::Turn {
                user: req.text.to_string(),
                bot: reply.clone(),
                at_ms: now,
            };
            save_memory(settings, req.channel_id, turns, turn);
            Outcome::Answer(reply)
        }
        Err(e) => {
            log::error(&format!("model call failed: {e:?}"));
            charge.refund();
            Outcome::Fallback(replies::for_llm_error(&e).to_string())
        }
    }
}

/// Remember a line of ordinary chat (no reply): it becomes context for the next
/// time the bot is asked something in this channel.
pub fn observe(settings: &Settings, channel_id: &str, author: &str, text: &str) {
    if settings.memory_turns == 0 {
        return;
    }
    let now = clock::now_ms();
    let turns = load_memory(settings, channel_id, now);
    let turn = memory::Turn {
        user: format!("{author}: {text}"),
        bot: String::new(),
        at_ms: now,
    };
    save_memory(settings, channel_id, turns, turn);
}

/// Result of counting a reply against the member's hourly budget.
enum Charge {
    /// Counted under this kv key (decrement it to refund).
    Counted(String),
    /// No limit, or the count could not be kept.
    Unmetered,
    Over,
}

impl Charge {
    /// Gives the reply back when the model failed to produce one.
    fn refund(self) {
        if let Charge::Counted(key) = self {
            if let Err(e) = kv::increment(&key, -1) {
                log::warn(&format!("budget refund failed: {e:?}"));
            }
        }
    }
}

fn charge(limit: u32, user_id: &str, now_ms: u64) -> Charge {
    if limit == 0 {
        return Charge::Unmetered;
    }
    let hour = budget::hour(now_ms);
    let key = budget::key(user_id, hour);
    match kv::increment(&key, 1) {
        Ok(count) => {
            if count == 1 && hour > 0 {
                // first reply this hour: the previous hour's counter is done with
                let _ = kv::delete(&budget::key(user_id, hour - 1));
            }
            if budget::is_over(count, limit) {
                Charge::Over
            } else {
                Charge::Counted(key)
            }
        }
        Err(e) => {
            log::warn(&format!("budget not counted: {e:?}"));
            Charge::Unmetered
        }
    }
}

fn load_memory(settings: &Settings, channel_id: &str, now_ms: u64) -> Vec<memory::Turn> {
    if settings.memory_turns == 0 {
        return Vec::new();
    }
    match kv::get(&memory::key(channel_id)) {
        Ok(json) => memory::recent(
            memory::parse(json.as_deref()),
            now_ms,
            settings.memory_ttl_ms,
            settings.memory_turns,
        ),
        Err(e) => {
            log::warn(&format!("memory not loaded: {e:?}"));
            Vec::new()
        }
    }
}

fn save_memory(
    settings: &Settings,
    channel_id: &str,
    turns: Vec<memory::Turn>,
    turn: memory::Turn,
) {
    if settings.memory_turns == 0 {
        return;
    }
    let turns = memory::push(turns, turn, settings.memory_turns);
    if let Err(e) = kv::set_json(&memory::key(channel_id), &turns) {
        log::warn(&format!("memory not saved: {e:?}"));
    }
}
