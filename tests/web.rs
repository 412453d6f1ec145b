//! The local web page of `astra run` (`gateway/web`): its HTTP and WebSocket API driven
//! with reqwest and tokio-tungstenite against a host with the bundled cogs, and the
//! whole thing in a real browser: the `astra` binary serving the page, Debian's headless
//! Chromium driven by Playwright (`tests/web/e2e.mjs`).
//!
//! The browser test needs `/usr/bin/chromium` (or `ASTRA_CHROMIUM`), Node.js and
//! `npm ci` in `tests/web` (`.ci/run` does all three); without them it fails and says
//! what to install, unless `ASTRA_SKIP_BROWSER_TESTS=1`. With
//! `ASTRA_SCREENSHOTS=DIR` it also saves the README's screenshots there.

mod common;

use astra::app::{App, LoadOptions};
use astra::config::Config;
use astra::dispatch::Running;
use astra::event::Outcome;
use astra::gateway::web::{Web, WebOptions};
use futures::StreamExt;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bundled cogs, the stand-in model, no embeddings; a compile cache shared by the
/// tests of this file (and kept between runs) so the cogs compile once. The triage CPU
/// deadline is raised from 10 ms: these tests run beside others on two busy cores, and
/// a deadline is a duration no test here means to assert.
fn toml() -> String {
    format!(
        "bundled_cogs = true\ncache_dir = \"{}\"\n[limits]\ntriage_deadline_ms = 1000\n\
         [llm]\nbackend = \"stand-in\"\n[embed]\nbackend = \"none\"\n",
        shared_cache().display()
    )
}

fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_astra"))
        .parent()
        .and_then(Path::parent)
        .expect("the astra binary lives in <target>/<profile>/")
        .join("web-test-cache")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// A host with its scheduler running and the page served on 127.0.0.1:0.
struct Page {
    app: App,
    /// what the console would read: the fan-out's copy of every outcome
    console: mpsc::UnboundedReceiver<Outcome>,
    base: String,
    http: reqwest::Client,
    stop_server: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    scheduler: Option<Running>,
    _dir: tempfile::TempDir,
}

async fn page() -> Page {
    let dir = common::tempdir();
    let config: Config = common::config(dir.path(), &toml());
    let mut app = App::build(
        config.clone(),
        LoadOptions {
            store_path: Some(dir.path().join("astra.db")),
            ..Default::default()
        },
    )
    .await
    .expect("host builds");
    assert!(app.refused.is_empty(), "refused: {:?}", app.refused);
    let web = Web::new(
        app.dispatcher.clone(),
        app.manager.clone(),
        WebOptions::from_config(&config),
    );
    let console = web.fan_out(app.take_outcomes());
    let scheduler = app.dispatcher.start();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_server, server_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(web.serve(listener, async {
        let _ = server_stopped.await;
    }));
    Page {
        app,
        console,
        base,
        http: reqwest::Client::new(),
        stop_server: Some(stop_server),
        server: Some(server),
        scheduler: Some(scheduler),
        _dir: dir,
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Page {
    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// POST JSON; (status, body).
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn say(&self, user: &str, text: &str) -> Value {
        let (status, body) = self
            .post("/api/say", json!({"user": user, "text": text}))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn live(&self) -> Socket {
        let url = format!("{}/api/live", self.base.replace("http://", "ws://"));
        tokio_tungstenite::connect_async(url)
            .await
            .expect("the live stream opens")
            .0
    }

    /// Stop the server (with any live stream still open) and the scheduler.
    async fn stop(mut self) {
        let _ = self.stop_server.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.server.take().unwrap())
            .await
            .expect("the server stops although a live stream is open")
            .unwrap()
            .expect("the server ends cleanly");
        self.scheduler.take().unwrap().stop().await.unwrap();
        drop(self.app);
    }
}

/// The next live event that satisfies `wanted` (others are skipped); 30 s at most.
async fn next_event(ws: &mut Socket, wanted: impl Fn(&Value) -> bool) -> Value {
    let wait = async {
        while let Some(frame) = ws.next().await {
            if let WsMessage::Text(text) = frame.expect("a frame") {
                let event: Value = serde_json::from_str(&text).expect("events are JSON");
                if wanted(&event) {
                    return event;
                }
            }
        }
        panic!("the live stream ended");
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("the event arrives within 30 s")
}

fn kinds(event: &Value) -> Vec<String> {
    event["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}:{}",
                a["cog"].as_str().unwrap(),
                a["kind"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_assets_come_from_the_binary_and_fetch_nothing_from_elsewhere() {
    let page = page().await;
    let index = page.http.get(&page.base).send().await.unwrap();
    assert_eq!(index.status(), 200);
    let policy = index.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let html = index.text().await.unwrap();
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(assets.len() >= 7, "{assets:?}");
    for asset in assets.iter().copied().chain(["/"]) {
        let r = page
            .http
            .get(format!("{}{asset}", page.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        // (the SVG namespace is a name, not an address)
        let body = r
            .text()
            .await
            .unwrap()
            .replace("http://www.w3.org/2000/svg", "");
        assert!(
            !body.contains("https://") && !body.contains("http://"),
            "{asset} names another site"
        );
    }
    let missing = page
        .http
        .get(format!("{}/assets/nope.js", page.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_from_the_page_shows_its_care_reply_early_then_the_companions_answer() {
    let page = page().await;
    page.app.dispatcher.deliver_early(); // as the console does when it starts
    let mut ws = page.live().await;
    let said = page.say("sam", "@Astra I want to kill myself").await;
    let id = said["id"].as_str().unwrap().to_string();
    let early = next_event(&mut ws, |e| e["type"] == "outcome").await;
    assert_eq!(early["id"], id.as_str());
    assert_eq!(early["early"], true, "{early}");
    assert_eq!(early["priority"], "critical");
    let k = kinds(&early);
    assert!(k.contains(&"security:reply".into()), "{k:?}");
    assert!(!k.iter().any(|k| k.starts_with("ai-companion")), "{k:?}");
    // The settled outcome shows only what is new: the companion's answer.
    let settled = next_event(&mut ws, |e| e["type"] == "outcome").await;
    assert_eq!(settled["id"], id.as_str());
    assert!(settled.get("early").is_none(), "{settled}");
    assert_eq!(kinds(&settled), vec!["ai-companion:reply".to_string()]);
    let stats = page.get("/api/stats").await;
    assert_eq!(stats["ledger"]["processed"], 1, "settled once: {stats}");
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abusive_message_from_the_page_is_warned_live_and_reaches_the_console_too() {
    let mut page = page().await;
    let mut ws = page.live().await;
    let said = page.say("mallory", "This server fucking sucks!").await;
    assert_eq!(said["kind"], "message");
    let id = said["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("web-"), "{id}");

    let message = next_event(&mut ws, |e| e["type"] == "message").await;
    assert_eq!(
        (message["id"].as_str(), message["user"].as_str()),
        (Some(&*id), Some("mallory"))
    );
    let outcome = next_event(&mut ws, |e| e["type"] == "outcome").await;
    assert_eq!(outcome["id"], id.as_str());
    assert_eq!(outcome["from_page"], true);
    assert_eq!(outcome["priority"], "critical");
    assert_eq!(outcome["outcome"], "processed");
    let k = kinds(&outcome);
    assert!(
        k.contains(&"security:warn".into()) && k.contains(&"security:delete-message".into()),
        "{k:?}"
    );
    let warn = &outcome["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "warn")
        .unwrap();
    assert_eq!(warn["user_id"], "mallory");
    assert!(
        warn["text"]
            .as_str()
            .unwrap()
            .starts_with("[security] warn mallory"),
        "{warn}"
    );

    // The console's copy of the same outcome.
    let copy = tokio::time::timeout(Duration::from_secs(10), page.console.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copy.id, id);

    // The dashboard's figures moved.
    let stats = page.get("/api/stats").await;
    assert_eq!(stats["ledger"]["received"], 1, "{stats}");
    assert_eq!(stats["ledger"]["processed"], 1);
    assert_eq!(stats["balanced"], true);
    assert_eq!(stats["admin"], true);
    let moderation = stats["moderation"].as_array().unwrap();
    assert!(
        moderation
            .iter()
            .any(|m| m["kind"] == "warn" && m["by"] == "mallory"),
        "{moderation:?}"
    );
    let cogs: Vec<&str> = stats["cogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for cog in [
        "security",
        "moderation",
        "ai-companion",
        "support",
        "analytics",
    ] {
        assert!(cogs.contains(&cog), "{cogs:?}");
    }
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tab_sees_the_recent_chat_and_messages_from_the_console() {
    let page = page().await;
    page.say("alice", "Good morning everyone!").await;
    // Opened afterwards: the recent chat comes first.
    let mut late = page.live().await;
    let message = next_event(&mut late, |e| e["type"] == "message").await;
    assert_eq!(message["text"], "Good morning everyone!");
    // A message typed in the console (submitted without the page) still shows.
    page.app
        .dispatcher
        .submit(astra::gateway::local::message(
            "carol",
            "Check out discord.gg/spam-link",
            "Astra",
        ))
        .await;
    let outcome = next_event(&mut late, |e| {
        e["type"] == "outcome" && e["user"] == "carol"
    })
    .await;
    assert_eq!(outcome["from_page"], false);
    assert!(
        kinds(&outcome).contains(&"security:warn".into()),
        "{outcome}"
    );
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_commands_typed_on_the_page_run_as_a_local_administrator() {
    let page = page().await;
    let mut ws = page.live().await;
    let answer = page
        .say("alice", "/warn user:@bob reason:\"spamming links\"")
        .await;
    assert_eq!(answer["kind"], "command", "{answer}");
    assert_eq!(answer["ok"], true, "{answer}");
    let actions = answer["actions"].as_array().unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a["kind"] == "warn" && a["user_id"] == "bob"),
        "{answer}"
    );
    let event = next_event(&mut ws, |e| e["type"] == "command").await;
    assert_eq!(event["user"], "alice");
    assert_eq!(event["ok"], true);

    let stats = page.say("alice", "/stats").await;
    assert_eq!(
        (stats["ok"].as_bool(), stats["cog"].as_str()),
        (Some(true), Some("analytics")),
        "{stats}"
    );
    let unknown = page.say("alice", "/no-such-command").await;
    assert_eq!(unknown["ok"], false);
    assert!(
        unknown["content"]
            .as_str()
            .unwrap()
            .contains("no loaded cog"),
        "{unknown}"
    );
    let moderation = page.get("/api/stats").await["moderation"].clone();
    assert!(
        moderation
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "warn" && m["by"] == "alice"),
        "{moderation}"
    );
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_cross_site_requests_and_foreign_host_names_are_refused() {
    let page = page().await;
    for (body, why) in [
        (json!({"user": "", "text": "hi"}), "a name is"),
        (json!({"user": "two words", "text": "hi"}), "a name is"),
        (json!({"user": "alice", "text": "   "}), "say something"),
        (
            json!({"user": "alice", "text": "x".repeat(2001)}),
            "at most 2000",
        ),
        (json!({"user": "alice"}), "text"),
    ] {
        let (status, answer) = page.post("/api/say", body).await;
        assert_eq!(status / 100, 4, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(why), "{answer}");
    }
    let cross_site = page
        .http
        .post(format!("{}/api/say", page.base))
        .header("Origin", "http://evil.example")
        .json(&json!({"user": "alice", "text": "/warn user:bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let rebound = page
        .http
        .get(format!("{}/api/stats", page.base))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let same_site = page
        .http
        .get(format!("{}/api/stats", page.base))
        .header("Origin", page.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 200);
    assert_eq!(page.get("/api/stats").await["ledger"]["received"], 0);
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_is_sampled_every_second_with_rates_and_latency() {
    let page = page().await;
    page.say("alice", "Good morning everyone!").await;
    let mut samples = Vec::new();
    for _ in 0..100 {
        samples = page.get("/api/history").await.as_array().unwrap().clone();
        if samples.len() >= 3 && samples.last().unwrap()["ledger"]["received"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(samples.len() >= 3, "{samples:?}");
    let last = samples.last().unwrap();
    assert_eq!(last["queues"].as_array().unwrap().len(), 4);
    assert_eq!(last["p99_us"].as_array().unwrap().len(), 4);
    assert!(last["cogs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "security"));
    // Someone settled that message in one of the seconds: its latency was charted.
    assert!(
        samples
            .iter()
            .any(|s| s["p50_us"].as_array().unwrap().iter().any(|v| !v.is_null())),
        "{samples:?}"
    );
    let t = last["t_ms"].as_u64().unwrap();
    assert!(
        page.get(&format!("/api/history?since={t}"))
            .await
            .as_array()
            .unwrap()
            .len()
            <= 1
    );
    page.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bench_scenario_runs_from_the_page_one_at_a_time() {
    let page = page().await;
    let mut ws = page.live().await;
    let state = page.get("/api/bench").await;
    let names: Vec<&str> = state["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "security",
            "ai",
            "mixed",
            "stress",
            "flood",
            "priority-inversion",
            "swap"
        ]
    );
    assert!(
        state["scenarios"][0]["about"]
            .as_str()
            .unwrap()
            .contains("abuse"),
        "{state}"
    );

    let (status, _) = page.post("/api/bench/no-such", json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = page
        .post("/api/bench/security", json!({"messages": 0}))
        .await;
    assert_eq!(status, 400);
    let (status, running) = page
        .post("/api/bench/security", json!({"messages": 20}))
        .await;
    assert_eq!(status, 202, "{running}");
    let (status, busy) = page.post("/api/bench/ai", json!({})).await;
    assert_eq!(status, 409, "{busy}");
    next_event(&mut ws, |e| e["type"] == "bench" && e["state"] == "done").await;
    let state = page.get("/api/bench").await;
    assert!(state["running"].is_null());
    let run = &state["runs"][0];
    assert_eq!(run["scenario"], "security");
    assert!(run["error"].is_null(), "{run}");
    assert_eq!(run["report"]["messages"], 20, "{run}");
    assert_eq!(run["report"]["ledger"]["zero_lost"], true, "{run}");
    assert!(run["text"].as_str().unwrap().contains("critical"), "{run}");
    // The live host was not touched.
    assert_eq!(page.get("/api/stats").await["ledger"]["received"], 0);
    page.stop().await;
}

/// `astra run --web 127.0.0.1:0` with the console on a pipe; the page's address and
/// everything else the console prints are read from stdout.
struct Served {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn console_printed(&self, wanted: impl Fn(&str) -> bool) -> bool {
        self.stdout.lock().unwrap().iter().any(|l| wanted(l))
    }
}

fn serve_binary() -> Served {
    let dir = common::tempdir();
    let file = dir.path().join("astra.toml");
    std::fs::write(&file, toml()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_astra"))
        .arg("--config")
        .arg(&file)
        .args(["run", "--web", "127.0.0.1:0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("astra starts");
    let stdout = child.stdout.take().unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn({
        let lines = lines.clone();
        move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("Web page: ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
                lines.lock().unwrap().push(line);
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("`astra run` prints `Web page: http://...`");
    Served {
        stdin: child.stdin.take(),
        child,
        stdout: lines,
        url,
        _dir: dir,
    }
}

/// Poll `GET url` (JSON) until `wanted` holds; 30 s at most.
fn wait_for_json(url: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut last = Value::Null;
        for _ in 0..300 {
            if let Ok(r) = reqwest::get(url).await {
                last = r.json().await.unwrap_or(Value::Null);
                if wanted(&last) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{url} never satisfied the test: {last}");
    })
}

/// The browser test's tools, or why it cannot run.
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("ASTRA_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return Err(format!(
            "Chromium is missing ({}): install it with `apt-get install -y chromium` (.ci/run does)",
            chromium.display()
        ));
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("Node.js is missing: install Node.js 20 (`node` on the PATH)".into());
    }
    let web = repo_root().join("tests").join("web");
    if !web.join("node_modules").join("playwright-core").exists() {
        return Err(format!(
            "playwright-core is not installed: run `npm ci` in {} (.ci/run does)",
            web.display()
        ));
    }
    Ok((chromium, web.join("e2e.mjs")))
}

#[test]
fn a_visitor_chats_in_a_real_browser_and_watches_the_dashboard_move() {
    let skip = std::env::var("ASTRA_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let (chromium, script) = match browser_tools() {
        Ok(tools) => tools,
        Err(why) if skip => {
            eprintln!("skipped (ASTRA_SKIP_BROWSER_TESTS=1): {why}");
            return;
        }
        Err(why) => panic!("{why}; or set ASTRA_SKIP_BROWSER_TESTS=1 to skip this test"),
    };
    if skip {
        eprintln!("skipped (ASTRA_SKIP_BROWSER_TESTS=1)");
        return;
    }
    let mut served = serve_binary();
    let status = Command::new("node")
        .arg(&script)
        .arg(&served.url)
        .env("ASTRA_CHROMIUM", &chromium)
        .current_dir(repo_root())
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "the browser test failed (its output is above)"
    );

    // The console saw what the page did: main's fan-out gives both every outcome.
    assert!(
        served.console_printed(|l| l.contains("mallory [critical] processed")),
        "the console did not print the page's messages: {:?}",
        served.stdout.lock().unwrap()
    );
    assert!(served.console_printed(|l| l.contains("[security] warn mallory")));
    // ... and the page sees what the console does.
    let stats = format!("{}api/stats", served.url);
    let stdin = served.stdin.as_mut().unwrap();
    writeln!(stdin, "zed: Check out discord.gg/spam-link").unwrap();
    stdin.flush().unwrap();
    wait_for_json(&stats, |s| {
        s["moderation"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["by"] == "zed"))
    });
    // The end of the console's input stops the host, page included, as before.
    drop(served.stdin.take());
    let mut status = None;
    for _ in 0..300 {
        status = served.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "astra did not stop cleanly at the end of its input: {status:?}"
    );
}
