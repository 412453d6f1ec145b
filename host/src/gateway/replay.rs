//! `astra replay FILE`: JSON Lines in, one JSON line per message out when its outcome
//! is known. A malformed line gets a `failed` output line naming its line number, is
//! counted in the ledger, and the run goes on.
//!
//! Input: `user`, `content` (required); `id`, `guild`, `channel`, `mentions_bot`,
//! `roles`, `mentions`, `at_ms` (optional). Output: `id`, `user`, `priority`, `outcome`,
//! `error`, `actions`, `latency_us`.

use super::local;
use crate::dispatch::Dispatcher;
use crate::event::Outcome;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::mpsc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayLine {
    pub user: String,
    pub content: String,
    pub id: Option<String>,
    pub guild: Option<String>,
    pub channel: Option<String>,
    pub mentions_bot: Option<bool>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub mentions: Vec<String>,
    /// when to inject, ms after the start; absent = at once
    pub at_ms: Option<u64>,
}

impl ReplayLine {
    pub fn into_message(self, bot_name: &str) -> crate::event::Message {
        let mut m = local::message(&self.user, &self.content, bot_name);
        if let Some(id) = self.id {
            m.id = id;
        }
        if let Some(g) = self.guild {
            m.guild_id = g;
        }
        if let Some(c) = self.channel {
            m.channel_id = c;
        }
        if let Some(b) = self.mentions_bot {
            m.mentions_bot = b;
        }
        m.author.roles = self.roles;
        m.mentions.extend(self.mentions);
        m
    }
}

/// Parse one input line; the error names the line.
pub fn parse_line(line: &str, number: usize) -> Result<ReplayLine, String> {
    serde_json::from_str::<ReplayLine>(line).map_err(|e| format!("line {number}: {e}"))
}

/// Replay `input` through `dispatcher`, writing outcomes to `output`. Returns how
/// many messages (including malformed lines) were settled.
pub async fn run(
    dispatcher: &Dispatcher,
    mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    input: impl AsyncBufRead + Unpin,
    mut output: impl Write,
    bot_name: &str,
) -> Result<u64> {
    let start = tokio::time::Instant::now();
    let mut lines = input.lines();
    let mut submitted: u64 = 0;
    let mut written: u64 = 0;
    let mut number = 0usize;
    let mut input_done = false;
    loop {
        tokio::select! {
            biased;
            Some(outcome) = outcomes.recv() => {
                write_outcome(&mut output, &outcome)?;
                written += 1;
            }
            line = lines.next_line(), if !input_done => {
                match line.context("reading the replay input")? {
                    None => input_done = true,
                    Some(line) => {
                        number += 1;
                        if line.trim().is_empty() {
                            continue;
                        }
                        submitted += 1;
                        match parse_line(&line, number) {
                            Ok(parsed) => {
                                if let Some(at) = parsed.at_ms {
                                    tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                                }
                                dispatcher.submit(parsed.into_message(bot_name)).await;
                            }
                            Err(error) => {
                                dispatcher.reject(format!("line-{number}"), String::new(), error);
                            }
                        }
                    }
                }
            }
        }
        if input_done && written == submitted {
            break;
        }
    }
    output.flush()?;
    Ok(written)
}

fn write_outcome(output: &mut impl Write, outcome: &Outcome) -> Result<()> {
    serde_json::to_writer(&mut *output, outcome)?;
    output.write_all(b"\n")?;
    Ok(())
}
