//! Shared set-up for the end-to-end tests: a host built from real compiled test cogs
//! (from `tests/cogs/`, built by `host/build.rs`) over a real SQLite file in a
//! temporary folder (or the PostgreSQL store the test's config names).

#![allow(dead_code)]

use astra::app::{App, LoadOptions};
use astra::config::Config;
use astra::dispatch::{Dispatcher, Running};
use astra::event::{Message, Outcome};
use astra::gateway::local;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// The compiled component of test cog `name` (e.g. `test-echo`).
pub fn cog_path(name: &str) -> PathBuf {
    Path::new(astra::cogs::build_dir()).join(format!("{}.wasm", name.replace('-', "_")))
}

/// A config from TOML text (with the bundled cogs off unless the text turns them on).
pub fn config(dir: &Path, toml: &str) -> Config {
    let bundled = if toml.contains("bundled_cogs") {
        ""
    } else {
        "bundled_cogs = false\n"
    };
    // No model unless the test asks for one.
    let mut models = String::new();
    if !toml.contains("[llm]") {
        models.push_str("[llm]\nbackend = \"none\"\n");
    }
    if !toml.contains("[embed]") {
        models.push_str("[embed]\nbackend = \"none\"\n");
    }
    // A test may share a compile cache (e.g. for the 18 MB Python cog) by naming one.
    let cache = if toml.contains("cache_dir") {
        String::new()
    } else {
        format!("cache_dir = \"{}\"\n", dir.join("cache").display())
    };
    let text = format!(
        "{bundled}plugin_dir = \"{}\"\n{cache}{toml}\n{models}",
        dir.join("no-plugins").display(),
    );
    Config::parse(&text, &dir.join("astra.toml")).expect("test config is valid")
}

pub struct Host {
    pub app: App,
    pub outcomes: mpsc::UnboundedReceiver<Outcome>,
    scheduler: Option<Running>,
    pub dir: PathBuf,
}

/// A slash command from `user` holding `permissions`, in the local guild.
pub fn command(
    name: &str,
    user: &str,
    permissions: &[astra::event::Permission],
    options: &[(&str, astra::event::OptionValue)],
) -> astra::event::Command {
    astra::event::Command {
        id: format!(
            "cmd{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
        name: name.into(),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        guild_id: local::LOCAL_GUILD.into(),
        channel_id: local::LOCAL_CHANNEL.into(),
        invoker: astra::event::User {
            id: user.into(),
            name: user.into(),
            roles: vec![],
            is_bot: false,
        },
        permissions: permissions.to_vec(),
        timestamp_ms: astra::event::now_ms(),
    }
}

/// Build a host with the given test cogs over `dir/astra.db` (scheduler not started).
pub async fn host(dir: &Path, cogs: &[&str], toml: &str) -> Host {
    let paths: Vec<PathBuf> = cogs.iter().map(|c| cog_path(c)).collect();
    host_with_paths(dir, &paths, toml).await
}

/// Build a host with the components at `cogs` (any file, e.g. a Python cog) over
/// `dir/astra.db` (scheduler not started).
pub async fn host_with_paths(dir: &Path, cogs: &[PathBuf], toml: &str) -> Host {
    let mut app = App::build(
        config(dir, toml),
        LoadOptions {
            extra_cogs: cogs.to_vec(),
            // a test that names a store (PostgreSQL) gets it; the others a fresh file
            store_path: (!toml.contains("store =")).then(|| dir.join("astra.db")),
        },
    )
    .await
    .expect("host builds");
    assert!(app.refused.is_empty(), "refused: {:?}", app.refused);
    let outcomes = app.take_outcomes();
    Host {
        app,
        outcomes,
        scheduler: None,
        dir: dir.to_path_buf(),
    }
}

impl Host {
    pub fn dispatcher(&self) -> Dispatcher {
        self.app.dispatcher.clone()
    }

    /// Start the scheduler.
    pub fn start(&mut self) {
        self.scheduler = Some(self.app.dispatcher.start());
    }

    /// Stop the scheduler and wait for running jobs.
    pub async fn stop(&mut self) {
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.stop().await.unwrap();
        }
    }

    pub async fn say(&self, user: &str, text: &str) -> String {
        let m = local::message(user, text, "Astra");
        self.send(m).await
    }

    /// Submit a message with a fresh id and return the id.
    pub async fn send(&self, mut m: Message) -> String {
        if m.id.is_empty() {
            m.id = format!(
                "m{}",
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
        }
        let id = m.id.clone();
        self.dispatcher().submit(m).await;
        id
    }

    /// Wait for `n` outcomes; returned by id.
    pub async fn outcomes(&mut self, n: usize) -> HashMap<String, Outcome> {
        let mut got = HashMap::new();
        while got.len() < n {
            let o = self.outcomes.recv().await.expect("outcome channel open");
            assert!(
                got.insert(o.id.clone(), o).is_none(),
                "an outcome was doubled"
            );
        }
        got
    }

    pub async fn one(&mut self) -> Outcome {
        self.outcomes.recv().await.expect("outcome")
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("astra-test-")
        .tempdir()
        .unwrap()
}
