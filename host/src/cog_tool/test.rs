//! `astra cog test FILE SCENARIO`: the offline test loop for cog authors.
//!
//! Runs one cog alone — no bundled or plugin cogs, a fresh SQLite file in a scratch
//! folder, the stand-in model when the cog asks for `llm` (else none), the grants its
//! manifest asks unless the config sets `[cogs.NAME] grants` — through the real
//! dispatcher, one scenario line at a time (each waits for the previous one's outcome,
//! so kv state flows from line to line), and prints what the cog did.
//!
//! A scenario is JSON Lines. Message lines are the replay format
//! (`gateway/replay.rs`: `user`, `content`, `id`, `guild`, `channel`, ...). A line with
//! `command` is a slash command: `{"command": "note add", "user": "alice", "options":
//! {"text": "milk"}, "permissions": ["manage-messages"]}` (default permission:
//! administrator, like the console). Any line may add `expect` (a text, or a list of
//! texts, that must appear in what the cog did) and `expect_outcome` (`processed`,
//! `rate_limited`, `failed`; `ok` or `failed` for commands). Blank lines and lines
//! starting with `#` are skipped. The exit code is non-zero when a line failed.

use super::check;
use crate::app::{App, LoadOptions};
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::event::{
    now_ms, CogAction, Command, OptionValue, Outcome, OutcomeKind, Permission, User,
};
use crate::gateway::{local, replay::ReplayLine};
use crate::runtime::bindings::types as wit;
use crate::runtime::Grants;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// `astra cog test FILE SCENARIO [--json]`.
pub async fn run(file: &Path, scenario: &Path, as_json: bool, mut config: Config) -> Result<()> {
    let text = std::fs::read_to_string(scenario)
        .with_context(|| format!("cannot read the scenario {}", scenario.display()))?;
    let manifest = check::inspect(file, &config).await?.manifest;
    let scratch = Scratch::new()?;
    isolate(&mut config, &manifest, &scratch.0);
    let bot_name = config.bot_name.clone();
    let wait_limit = config.dispatch.task_timeout + Duration::from_secs(10);

    let mut app = App::build(
        config,
        LoadOptions {
            extra_cogs: vec![file.to_path_buf()],
            store_path: Some(scratch.0.join("astra.db")),
        },
    )
    .await?;
    if let Some(refusal) = app.refused.first() {
        bail!("{refusal}");
    }
    let mut outcomes = app.take_outcomes();
    let dispatcher = app.dispatcher.clone();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let scheduler = tokio::spawn({
        let d = dispatcher.clone();
        async move {
            d.run(async {
                let _ = stop_rx.await;
            })
            .await
        }
    });

    if !as_json {
        println!(
            "{} {} from {}, alone, against {}",
            manifest.name,
            manifest.version,
            file.display(),
            scenario.display()
        );
    }
    let started = tokio::time::Instant::now();
    let (mut passed, mut failed) = (0usize, 0usize);
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let ctx = LineCtx {
            dispatcher: &dispatcher,
            manifest: &manifest,
            bot_name: &bot_name,
            started,
            wait_limit,
        };
        let result = run_line(&ctx, &mut outcomes, raw, number).await;
        if result.ok {
            passed += 1;
        } else {
            failed += 1;
        }
        if as_json {
            println!("{}", result.json);
        } else {
            print!("{}", result.text);
        }
    }
    let _ = stop_tx.send(());
    scheduler.await?;

    let summary = format!("scenario: {passed} passed, {failed} failed");
    if as_json {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    if failed > 0 {
        bail!("{failed} of {} scenario lines failed", passed + failed);
    }
    Ok(())
}

/// The config for a cog run alone: nothing else loaded, a scratch store, no model
/// download, the grants it asks unless the admin's config names them.
fn isolate(config: &mut Config, manifest: &wit::CogManifest, scratch: &Path) {
    config.bundled_cogs = false;
    config.plugin_dir = scratch.join("no-plugins");
    config.store_path = scratch.join("astra.db");
    config.embed.backend = astra_models::EmbedBackendKind::None;
    if manifest.capabilities.contains(&wit::Capability::Llm) {
        config.llm.backend = astra_models::LlmBackendKind::StandIn;
        config.llm.stand_in_delay_ms = 10;
    } else {
        config.llm.backend = astra_models::LlmBackendKind::None;
    }
    let mut cog = config.cog(&manifest.name);
    if cog.grants.is_none() {
        cog.grants = Some(Grants::from_caps(manifest.capabilities.iter().copied()));
    }
    config.cogs.insert(manifest.name.clone(), cog);
}

struct LineCtx<'a> {
    dispatcher: &'a Dispatcher,
    manifest: &'a wit::CogManifest,
    bot_name: &'a str,
    started: tokio::time::Instant,
    wait_limit: Duration,
}

/// What one scenario line did, as text and as JSON.
struct LineResult {
    ok: bool,
    text: String,
    json: Value,
}

/// What a line expects, taken out of it before the rest is parsed.
struct Expect {
    texts: Vec<String>,
    outcome: Option<String>,
}

impl Expect {
    fn take(obj: &mut Map<String, Value>) -> Result<Expect, String> {
        let texts = match obj.remove("expect") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(format!("`expect` items must be texts, not {other}")),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("`expect` must be a text or a list, not {other}")),
        };
        let outcome = match obj.remove("expect_outcome") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => return Err(format!("`expect_outcome` must be a text, not {other}")),
        };
        Ok(Expect { texts, outcome })
    }

    /// Why `outcome` with this `rendered` output misses the expectation, if it does.
    /// Without `expect_outcome`, only `failed` is a failure.
    fn miss(&self, outcome: &str, rendered: &str) -> Option<String> {
        match &self.outcome {
            Some(want) if want != outcome => {
                return Some(format!("expected outcome `{want}`, got `{outcome}`"))
            }
            None if outcome == "failed" => return Some("the line failed".into()),
            _ => {}
        }
        self.texts
            .iter()
            .find(|t| !rendered.contains(t.as_str()))
            .map(|t| format!("expected {t:?} in what the cog did"))
    }
}

async fn run_line(
    ctx: &LineCtx<'_>,
    outcomes: &mut mpsc::UnboundedReceiver<Outcome>,
    raw: &str,
    number: usize,
) -> LineResult {
    let mut obj = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => return bad_line(number, "a scenario line must be a JSON object".into()),
        Err(e) => return bad_line(number, e.to_string()),
    };
    let expect = match Expect::take(&mut obj) {
        Ok(e) => e,
        Err(e) => return bad_line(number, e),
    };
    if obj.contains_key("command") {
        run_command(ctx, obj, expect, number).await
    } else {
        run_message(ctx, outcomes, obj, expect, number).await
    }
}

async fn run_message(
    ctx: &LineCtx<'_>,
    outcomes: &mut mpsc::UnboundedReceiver<Outcome>,
    obj: Map<String, Value>,
    expect: Expect,
    number: usize,
) -> LineResult {
    let line: ReplayLine = match serde_json::from_value(Value::Object(obj)) {
        Ok(line) => line,
        Err(e) => return bad_line(number, e.to_string()),
    };
    if let Some(at) = line.at_ms {
        tokio::time::sleep_until(ctx.started + Duration::from_millis(at)).await;
    }
    let label = format!("{}: {}", line.user, line.content);
    let mut message = line.into_message(ctx.bot_name);
    if message.id.is_empty() {
        message.id = format!("line-{number}");
    }
    let id = message.id.clone();
    ctx.dispatcher.submit(message).await;
    let outcome = tokio::time::timeout(ctx.wait_limit, async {
        while let Some(o) = outcomes.recv().await {
            if o.id == id {
                return Some(o);
            }
        }
        None
    })
    .await;
    let outcome = match outcome {
        Ok(Some(o)) => o,
        Ok(None) => return bad_line(number, "the host stopped before the message settled".into()),
        Err(_) => return bad_line(number, "no outcome within the task timeout".into()),
    };

    let rendered = render(&outcome.actions, outcome.error.as_deref());
    let kind = outcome.outcome.name();
    let miss = expect.miss(kind, &rendered);
    let mut text = format!(
        "{number:>4}  {:<40} {kind} ({}) in {:.1} ms\n",
        clip(&label, 40),
        outcome.priority,
        outcome.latency_us as f64 / 1000.0
    );
    if outcome.outcome == OutcomeKind::Processed && outcome.actions.is_empty() {
        text.push_str("        (no actions)\n");
    }
    push_actions(&mut text, &outcome.actions, &outcome.dropped);
    if let Some(e) = &outcome.error {
        text.push_str(&format!("        error: {e}\n"));
    }
    if let Some(m) = &miss {
        text.push_str(&format!("        FAILED: {m}\n"));
    }
    let mut json = serde_json::to_value(&outcome).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut json {
        o.insert("line".into(), json!(number));
        o.insert("ok".into(), json!(miss.is_none()));
        if let Some(m) = &miss {
            o.insert("expect_error".into(), json!(m));
        }
    }
    LineResult {
        ok: miss.is_none(),
        text,
        json,
    }
}

/// A slash command line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandLine {
    command: String,
    #[serde(default = "default_user")]
    user: String,
    #[serde(default)]
    options: Map<String, Value>,
    /// what the invoker holds; default: administrator
    permissions: Option<Vec<Permission>>,
    #[serde(default)]
    roles: Vec<String>,
    id: Option<String>,
    guild: Option<String>,
    channel: Option<String>,
}

fn default_user() -> String {
    "tester".into()
}

async fn run_command(
    ctx: &LineCtx<'_>,
    obj: Map<String, Value>,
    expect: Expect,
    number: usize,
) -> LineResult {
    let line: CommandLine = match serde_json::from_value(Value::Object(obj)) {
        Ok(line) => line,
        Err(e) => return bad_line(number, e.to_string()),
    };
    let options = match command_options(ctx.manifest, &line.command, &line.options) {
        Ok(o) => o,
        Err(e) => return bad_line(number, e),
    };
    let label = format!("/{} ({})", line.command, line.user);
    let command = Command {
        id: line.id.unwrap_or_else(|| format!("line-{number}")),
        name: line.command.clone(),
        options,
        guild_id: line.guild.unwrap_or_else(|| local::LOCAL_GUILD.into()),
        channel_id: line.channel.unwrap_or_else(|| local::LOCAL_CHANNEL.into()),
        invoker: User {
            id: line.user.clone(),
            name: line.user.clone(),
            roles: line.roles,
            is_bot: false,
        },
        permissions: line
            .permissions
            .unwrap_or_else(|| vec![Permission::Administrator]),
        timestamp_ms: now_ms(),
    };
    let result = ctx.dispatcher.command(command).await;
    let (kind, rendered, mut text, json) = match &result {
        Ok(reply) => {
            let mut rendered = format!("reply: {}\n", reply.content);
            rendered.push_str(&render(&reply.actions, None));
            let mut text = format!("{number:>4}  {:<40} ok\n", clip(&label, 40));
            text.push_str(&format!(
                "        [{}] {}{}\n",
                reply.cog,
                if reply.ephemeral {
                    "reply (ephemeral): "
                } else {
                    "reply: "
                },
                indent(&reply.content)
            ));
            push_actions(&mut text, &reply.actions, &reply.dropped);
            let json = json!({
                "line": number, "command": line.command, "user": line.user, "outcome": "ok",
                "cog": reply.cog, "reply": reply.content, "ephemeral": reply.ephemeral,
                "actions": reply.actions, "dropped": reply.dropped,
            });
            ("ok", rendered, text, json)
        }
        Err(e) => {
            let text = format!(
                "{number:>4}  {:<40} failed\n        error: {e}\n",
                clip(&label, 40)
            );
            let json = json!({
                "line": number, "command": line.command, "user": line.user,
                "outcome": "failed", "error": e.to_string(),
            });
            ("failed", format!("error: {e}"), text, json)
        }
    };
    let miss = expect.miss(kind, &rendered);
    let mut json = json;
    if let Some(m) = &miss {
        text.push_str(&format!("        FAILED: {m}\n"));
        json["expect_error"] = json!(m);
    }
    json["ok"] = json!(miss.is_none());
    LineResult {
        ok: miss.is_none(),
        text,
        json,
    }
}

/// JSON option values → typed options, using the kinds the manifest declares (a text
/// given for a `user` option becomes a user id, `"3"` for an `integer` a number).
fn command_options(
    manifest: &wit::CogManifest,
    command: &str,
    given: &Map<String, Value>,
) -> Result<Vec<(String, OptionValue)>, String> {
    let spec = manifest.commands.iter().find(|c| c.name == command);
    given
        .iter()
        .map(|(name, value)| {
            let kind = spec
                .and_then(|s| s.options.iter().find(|o| &o.name == name))
                .map(|o| o.kind);
            let typed = match (kind, value) {
                (_, Value::Bool(b)) => OptionValue::Boolean(*b),
                (_, Value::Number(n)) => OptionValue::Integer(
                    n.as_i64()
                        .ok_or_else(|| format!("option `{name}`: {n} is not a whole number"))?,
                ),
                (Some(wit::OptionKind::User), Value::String(s)) => OptionValue::User(s.clone()),
                (Some(wit::OptionKind::Channel), Value::String(s)) => {
                    OptionValue::Channel(s.clone())
                }
                (Some(wit::OptionKind::Integer), Value::String(s)) => OptionValue::Integer(
                    s.trim()
                        .parse()
                        .map_err(|_| format!("option `{name}` is an integer; {s:?} is not one"))?,
                ),
                (_, Value::String(s)) => OptionValue::Text(s.clone()),
                (_, other) => {
                    return Err(format!(
                        "option `{name}`: use a text, number or true/false, not {other}"
                    ))
                }
            };
            Ok((name.clone(), typed))
        })
        .collect()
}

fn bad_line(number: usize, error: String) -> LineResult {
    LineResult {
        ok: false,
        text: format!("{number:>4}  FAILED: line {number}: {error}\n"),
        json: json!({"line": number, "outcome": "failed", "ok": false,
                     "error": format!("line {number}: {error}")}),
    }
}

/// Everything the cog did, one action per line (what `expect` is matched against).
fn render(actions: &[CogAction], error: Option<&str>) -> String {
    let mut out: String = actions
        .iter()
        .map(|a| format!("{}\n", local::describe(a)))
        .collect();
    if let Some(e) = error {
        out.push_str(&format!("error: {e}\n"));
    }
    out
}

fn push_actions(text: &mut String, actions: &[CogAction], dropped: &[CogAction]) {
    for a in actions {
        text.push_str(&format!("        {}\n", indent(&local::describe(a))));
    }
    for a in dropped {
        text.push_str(&format!(
            "        (dropped: not granted) {}\n",
            indent(&local::describe(a))
        ));
    }
}

/// Continuation lines of a multi-line reply, indented under the first.
fn indent(s: &str) -> String {
    s.replace('\n', "\n          ")
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// A scratch folder for the run's store, removed when the run ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("astra-cog-test-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the scratch folder {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
