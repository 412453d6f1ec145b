//! `astra demo`: the busy-general-chat scenario — ten users posting at once — through
//! the whole pipeline with the bundled cogs, offline; prints who said what, the
//! priority it got, what the bot did and how long it took, then a summary per
//! priority. Uses a fresh SQLite file in a temporary folder so it leaves nothing
//! behind.

use crate::app::{App, LoadOptions};
use crate::config::Config;
use crate::event::{Outcome, Priority};
use crate::gateway::local;
use anyhow::Result;
use std::collections::HashMap;

pub const SCENARIO: [(&str, &str); 10] = [
    ("User1", "This server fucking sucks!"),
    ("User2", "Hey Astra, what can you do?"),
    ("User3", "Anyone want to play games?"),
    ("User4", "Help! Bot commands not working!"),
    ("User5", "Check out discord.gg/spam-link"),
    ("User6", "@Astra tell me about space"),
    ("User7", "Good morning everyone!"),
    ("User8", "Error with quiz command"),
    ("User9", "What's the weather like?"),
    ("User10", "Bitch please, shut the hell up"),
];

/// Run the scenario through a fresh host and return the outcomes in scenario order.
pub async fn play(config: Config) -> Result<Vec<(String, String, Outcome)>> {
    let dir = std::env::temp_dir().join(format!("astra-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bot_name = config.bot_name.clone();
    let mut app = App::build(
        config,
        LoadOptions {
            store_path: Some(dir.join("demo.db")),
            ..Default::default()
        },
    )
    .await?;
    for r in &app.refused {
        eprintln!("warning: {r}");
    }
    let mut outcomes = app.take_outcomes();
    let dispatcher = app.dispatcher.clone();
    let scheduler = dispatcher.start();
    // All ten at once: submit concurrently.
    let mut ids = HashMap::new();
    let mut submits = Vec::new();
    for (i, (user, text)) in SCENARIO.iter().enumerate() {
        let mut message = local::message(user, text, &bot_name);
        message.id = format!("demo-{}", i + 1);
        ids.insert(message.id.clone(), i);
        let d = dispatcher.clone();
        submits.push(tokio::spawn(async move { d.submit(message).await }));
    }
    for s in submits {
        s.await?;
    }
    let mut results: Vec<Option<Outcome>> = vec![None; SCENARIO.len()];
    let mut got = 0;
    while got < SCENARIO.len() {
        let Some(o) = outcomes.recv().await else {
            break;
        };
        if let Some(&i) = ids.get(&o.id) {
            results[i] = Some(o);
            got += 1;
        }
    }
    scheduler.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(results
        .into_iter()
        .zip(SCENARIO)
        .filter_map(|(o, (u, t))| o.map(|o| (u.to_string(), t.to_string(), o)))
        .collect())
}

pub async fn run(config: Config) -> Result<()> {
    let rows = play(config).await?;
    println!(
        "{:<7} {:<34} {:<9} {:>10}  actions",
        "user", "message", "priority", "latency"
    );
    println!("{}", "-".repeat(110));
    for (user, text, o) in &rows {
        let text: String = text.chars().take(33).collect();
        let latency = format_us(o.latency_us);
        let first = o
            .actions
            .first()
            .map(local::describe)
            .unwrap_or_else(|| "(none)".into());
        println!(
            "{user:<7} {text:<34} {:<9} {latency:>10}  {first}",
            o.priority.name()
        );
        for a in o.actions.iter().skip(1) {
            println!("{:<64}{}", "", local::describe(a));
        }
        if let Some(e) = &o.error {
            println!("{:<64}error: {e}", "");
        }
    }
    println!();
    println!(
        "{:<9} {:>5} {:>10} {:>10} {:>10}",
        "priority", "msgs", "min", "avg", "max"
    );
    for p in Priority::ALL {
        let lat: Vec<u64> = rows
            .iter()
            .filter(|r| r.2.priority == p)
            .map(|r| r.2.latency_us)
            .collect();
        if lat.is_empty() {
            continue;
        }
        let avg = lat.iter().sum::<u64>() / lat.len() as u64;
        println!(
            "{:<9} {:>5} {:>10} {:>10} {:>10}",
            p.name(),
            lat.len(),
            format_us(*lat.iter().min().unwrap_or(&0)),
            format_us(avg),
            format_us(*lat.iter().max().unwrap_or(&0))
        );
    }
    Ok(())
}

fn format_us(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.2} s", us as f64 / 1e6)
    } else if us >= 1000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}
