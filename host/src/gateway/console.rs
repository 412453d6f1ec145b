//! `astra run` without a Discord token: a chat on the terminal. Each stdin line
//! `name: text` is a message from `name`; a line starting with `/` is a slash command
//! run as an administrator (`/warn user:bob reason:spamming`). Actions are printed as
//! they happen.

use super::local;
use crate::dispatch::Dispatcher;
use crate::event::{now_ms, Command, OptionValue, Outcome, Permission, User};
use anyhow::Result;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::mpsc;

pub async fn run(
    dispatcher: Dispatcher,
    mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    input: impl AsyncBufRead + Unpin,
    bot_name: String,
) -> Result<()> {
    // Show a CRITICAL message's actions as soon as they are ready (early outcomes).
    dispatcher.deliver_early();
    let mut lines = input.lines();
    println!("Astra local chat. Type `name: message`, or `/command key:value ...`; Ctrl-D quits.");
    loop {
        tokio::select! {
            Some(outcome) = outcomes.recv() => print_outcome(&outcome),
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                if let Some(command) = line.strip_prefix('/') {
                    run_command(&dispatcher, command).await;
                } else if let Some((name, text)) = line.split_once(':') {
                    let name = name.trim();
                    if name.is_empty() || name.contains(char::is_whitespace) {
                        println!("  ! write `name: message` (one-word name)");
                        continue;
                    }
                    dispatcher.submit(local::message(name, text.trim(), &bot_name)).await;
                } else {
                    println!("  ! write `name: message`, e.g. `alice: hello everyone`");
                }
            }
        }
    }
    // Let what is in flight finish printing.
    while dispatcher.ledger().in_flight > 0 {
        if let Ok(Some(outcome)) =
            tokio::time::timeout(std::time::Duration::from_secs(1), outcomes.recv()).await
        {
            print_outcome(&outcome);
        } else {
            break;
        }
    }
    // Settled meanwhile (after an early outcome, say): already in the channel.
    while let Ok(outcome) = outcomes.try_recv() {
        print_outcome(&outcome);
    }
    Ok(())
}

fn print_outcome(o: &Outcome) {
    if o.is_synthetic() {
        return; // `/test_concurrent` traffic: counted, never shown as chat
    }
    // An early outcome: the CRITICAL actions, while slower answers are still coming.
    let kind = if o.early { "early" } else { o.outcome.name() };
    let mut line = format!(
        "  <{}> {} [{}] {} in {} µs",
        o.id, o.user, o.priority, kind, o.latency_us
    );
    if let Some(e) = &o.error {
        line.push_str(&format!(" — {e}"));
    }
    println!("{line}");
    for a in o.to_deliver() {
        println!("      {}", local::describe(a));
    }
    for a in &o.dropped {
        println!("      (dropped, not granted) {}", local::describe(a));
    }
}

/// Parse `name sub key:value key:"two words"` into a command invocation.
pub fn parse_command(text: &str) -> Command {
    let mut words = shell_words(text).into_iter();
    let mut name = words.next().unwrap_or_default();
    let mut options = Vec::new();
    for w in words {
        match w.split_once([':', '=']) {
            Some((k, v)) => {
                let value = if let Ok(n) = v.parse::<i64>() {
                    OptionValue::Integer(n)
                } else if v == "true" || v == "false" {
                    OptionValue::Boolean(v == "true")
                } else {
                    OptionValue::Text(v.to_string())
                };
                options.push((k.to_string(), value));
            }
            None if options.is_empty() => {
                name.push(' ');
                name.push_str(&w);
            }
            None => options.push(("text".into(), OptionValue::Text(w))),
        }
    }
    Command {
        id: format!("cmd-{}", now_ms()),
        name,
        options,
        guild_id: local::LOCAL_GUILD.into(),
        channel_id: local::LOCAL_CHANNEL.into(),
        invoker: User {
            id: "console".into(),
            name: "console".into(),
            roles: vec!["admin".into()],
            is_bot: false,
        },
        permissions: vec![Permission::Administrator],
        timestamp_ms: now_ms(),
    }
}

fn shell_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

async fn run_command(dispatcher: &Dispatcher, text: &str) {
    let command = parse_command(text);
    match dispatcher.command(command).await {
        Ok(reply) => {
            println!("  /{} → [{}] {}", text, reply.cog, reply.content);
            for a in &reply.actions {
                println!("      {}", local::describe(a));
            }
        }
        Err(e) => println!("  /{text} → error: {e}"),
    }
}
