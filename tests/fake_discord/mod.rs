//! A small fake Discord on 127.0.0.1 for the end-to-end tests of the Discord gateway
//! (`tests/discord.rs`): the real serenity client talks to it exactly as it would to
//! Discord.
//!
//! - REST (`rest.rs`): HTTPS on a port of its own with a certificate for `discord.com`
//!   made at start (rcgen). [`FakeDiscord::http_client`] gives serenity a reqwest client
//!   that resolves `discord.com` to that port and trusts the certificate, so serenity's
//!   own URLs, headers and rate limiter are used unchanged. Every request is recorded;
//!   a test waits for the ones it expects, and may ask for 429s.
//! - Gateway (`gateway.rs`): a websocket at `ws://127.0.0.1:PORT` (the URL that
//!   `GET /gateway` returns): HELLO, IDENTIFY → READY, RESUME → RESUMED, heartbeat
//!   acks, and whatever dispatches (or garbage) a test pushes.
//! - Several processes (`tests/shards.rs`): the REST API is also served over plain HTTP
//!   ([`FakeDiscord::rest_proxy_url`], for `[discord] rest_proxy`, which is how an
//!   `astra` binary reaches it), and the gateway keeps one connection per identified
//!   shard: [`FakeDiscord::message_in`] delivers a guild's message to the shard that
//!   Discord would, `(guild_id >> 22) % total_shards`.

#![allow(dead_code)]

mod gateway;
mod rest;

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

pub const APP_ID: u64 = 900_000_000_000_000_001;
pub const BOT_ID: u64 = 900_000_000_000_000_002;
pub const GUILD_ID: u64 = 900_000_000_000_000_010;
pub const CHANNEL_ID: u64 = 900_000_000_000_000_020;

/// One REST request the fake received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// path after `/api/v10`, with the query
    pub path: String,
    pub body: Value,
    /// answered with 429
    pub limited: bool,
}

/// What a gateway connection did.
#[derive(Debug, Clone, PartialEq)]
pub enum GatewayOp {
    Identify { intents: u64, shard: Value },
    Resume { session_id: String, seq: u64 },
}

pub(crate) struct State {
    rest_addr: Mutex<Option<SocketAddr>>,
    gateway_url: Mutex<String>,
    requests: Mutex<Vec<Request>>,
    ops: Mutex<Vec<GatewayOp>>,
    changed: Notify,
    /// frames for the current gateway connection (None: not connected)
    socket: Mutex<Option<mpsc::UnboundedSender<gateway::Out>>>,
    /// (shard id, total shards, frames) of each connection that identified, newest last
    shards: Mutex<Vec<(u64, u64, mpsc::UnboundedSender<gateway::Out>)>>,
    /// the plain-HTTP REST listener (`[discord] rest_proxy`)
    plain_addr: Mutex<Option<SocketAddr>>,
    seq: AtomicU64,
    next_id: AtomicU64,
    /// answer every n-th rate-limited-route request with 429 (0: never)
    limit_every: AtomicU64,
    counted: AtomicU64,
    /// (method, path fragment): answered 403 Missing Permissions
    refused: Mutex<Vec<(String, String)>>,
    /// (method, path fragment, delay): answered only after the delay
    slow: Mutex<Vec<(String, String, Duration)>>,
}

impl State {
    fn record(&self, r: Request) {
        self.requests.lock().unwrap().push(r);
        self.changed.notify_waiters();
    }

    fn op(&self, op: GatewayOp) {
        self.ops.lock().unwrap().push(op);
        self.changed.notify_waiters();
    }

    /// A fresh snowflake made "now" (so bulk delete accepts it).
    pub(crate) fn snowflake(&self) -> u64 {
        let ms = astra::event::now_ms() - 1_420_070_400_000;
        (ms << 22) + (self.next_id.fetch_add(1, Ordering::Relaxed) & 0x3f_ffff)
    }
}

/// The fake; dropping it stops nothing (its tasks end with the test's runtime).
#[derive(Clone)]
pub struct FakeDiscord {
    state: Arc<State>,
    cert_der: Vec<u8>,
}

impl FakeDiscord {
    /// Start the REST (TLS) and gateway (ws) listeners on 127.0.0.1.
    pub async fn start() -> FakeDiscord {
        let state = Arc::new(State {
            rest_addr: Mutex::new(None),
            gateway_url: Mutex::new(String::new()),
            requests: Mutex::new(Vec::new()),
            ops: Mutex::new(Vec::new()),
            changed: Notify::new(),
            socket: Mutex::new(None),
            shards: Mutex::new(Vec::new()),
            plain_addr: Mutex::new(None),
            seq: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            limit_every: AtomicU64::new(0),
            counted: AtomicU64::new(0),
            refused: Mutex::new(Vec::new()),
            slow: Mutex::new(Vec::new()),
        });
        let gateway_addr = gateway::serve(state.clone()).await;
        *state.gateway_url.lock().unwrap() = format!("ws://{gateway_addr}");
        let (rest_addr, cert_der) = rest::serve(state.clone()).await;
        *state.rest_addr.lock().unwrap() = Some(rest_addr);
        *state.plain_addr.lock().unwrap() = Some(rest::serve_plain(state.clone()).await);
        FakeDiscord { state, cert_der }
    }

    /// The REST API over plain HTTP, for `[discord] rest_proxy` (how a separate
    /// `astra` process is pointed at this fake).
    pub fn rest_proxy_url(&self) -> String {
        format!(
            "http://{}",
            self.state.plain_addr.lock().unwrap().expect("started")
        )
    }

    /// The shard Discord delivers `guild`'s events to when the bot has `total` shards.
    pub fn shard_of(guild: u64, total: u64) -> u64 {
        (guild >> 22) % total
    }

    /// Is a connection that identified as `shard` (of any total) open?
    pub fn shard_connected(&self, shard: u64) -> bool {
        let shards = self.state.shards.lock().unwrap();
        shards
            .iter()
            .any(|(id, _, tx)| *id == shard && !tx.is_closed())
    }

    /// A MESSAGE_CREATE from `user` in `channel` of `guild`, sent down the connection of
    /// the shard that serves the guild (the newest one that identified as it); returns
    /// the message id.
    pub fn message_in(
        &self,
        guild: u64,
        channel: u64,
        user: u64,
        name: &str,
        content: &str,
    ) -> u64 {
        let id = self.snowflake();
        let seq = self.state.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let d = rest::message_json(id, channel, user, name, content, Some(guild));
        let frame = json!({"op": 0, "t": "MESSAGE_CREATE", "s": seq, "d": d}).to_string();
        let shards = self.state.shards.lock().unwrap();
        let (_, _, tx) = shards
            .iter()
            .rev()
            .find(|(id, total, tx)| *id == Self::shard_of(guild, *total) && !tx.is_closed())
            .unwrap_or_else(|| panic!("no connected shard serves guild {guild}"));
        tx.send(gateway::Out::Text(frame))
            .expect("the shard's connection is open");
        id
    }

    /// A reqwest client for serenity: `discord.com` is this fake, and only this fake.
    pub fn http_client(&self) -> reqwest::Client {
        let addr = self.state.rest_addr.lock().unwrap().expect("started");
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_der(&self.cert_der).unwrap())
            .resolve("discord.com", addr)
            // anything else would leave the machine: refuse it
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap()
    }

    pub fn gateway_url(&self) -> String {
        self.state.gateway_url.lock().unwrap().clone()
    }

    /// Answer every `n`-th request on message, reaction and moderation routes with a
    /// 429 and `retry-after` (0: never).
    pub fn rate_limit_every(&self, n: u64) {
        self.state.limit_every.store(n, Ordering::Relaxed);
    }

    /// Answer `method` requests whose path contains `path` with 403 Missing
    /// Permissions, as Discord does when the bot's role is too low.
    pub fn refuse(&self, method: &str, path: &str) {
        self.state
            .refused
            .lock()
            .unwrap()
            .push((method.to_string(), path.to_string()));
    }

    /// Answer `method` requests whose path contains `path` only after `delay` (they are
    /// recorded when they arrive), as a slow or distant Discord region would.
    pub fn slow(&self, method: &str, path: &str, delay: Duration) {
        self.state
            .slow
            .lock()
            .unwrap()
            .push((method.to_string(), path.to_string(), delay));
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn ops(&self) -> Vec<GatewayOp> {
        self.state.ops.lock().unwrap().clone()
    }

    /// Wait (at most 20 s) until `pred` holds over the recorded requests and ops.
    pub async fn wait_until(&self, what: &str, pred: impl Fn(&[Request], &[GatewayOp]) -> bool) {
        let wait = async {
            loop {
                let notified = self.state.changed.notified();
                {
                    let requests = self.state.requests.lock().unwrap();
                    let ops = self.state.ops.lock().unwrap();
                    if pred(&requests, &ops) {
                        return;
                    }
                }
                // re-check now and then too: notify_waiters only wakes current waiters
                let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .is_err()
        {
            panic!(
                "timed out waiting for {what}; requests: {:#?}; ops: {:?}",
                self.requests()
                    .iter()
                    .map(|r| format!(
                        "{} {}{}",
                        r.method,
                        r.path,
                        if r.limited { " (429)" } else { "" }
                    ))
                    .collect::<Vec<_>>(),
                self.ops()
            );
        }
    }

    /// The first request matching `method` and a path containing `path`.
    pub async fn wait_for(&self, method: &str, path: &str) -> Request {
        self.wait_until(&format!("{method} {path}"), |r, _| {
            r.iter()
                .any(|r| r.method == method && r.path.contains(path) && !r.limited)
        })
        .await;
        self.requests()
            .into_iter()
            .find(|r| r.method == method && r.path.contains(path) && !r.limited)
            .unwrap()
    }

    /// Wait for a gateway connection that has identified (or resumed) `n` times.
    pub async fn wait_sessions(&self, n: usize) {
        self.wait_until(&format!("{n} gateway sessions"), |_, ops| ops.len() >= n)
            .await;
    }

    /// Push a dispatch event (`t`, `d`) to the connected client; returns its sequence.
    pub fn dispatch(&self, t: &str, d: Value) -> u64 {
        let seq = self.state.seq.fetch_add(1, Ordering::SeqCst) + 1;
        self.send(gateway::Out::Text(
            json!({"op": 0, "t": t, "s": seq, "d": d}).to_string(),
        ));
        seq
    }

    /// Push raw text (malformed payloads).
    pub fn send_raw(&self, text: &str) {
        self.send(gateway::Out::Text(text.to_string()));
    }

    /// Drop the current gateway connection without a close handshake.
    pub fn drop_connection(&self) {
        self.send(gateway::Out::Drop);
    }

    fn send(&self, out: gateway::Out) {
        let socket = self.state.socket.lock().unwrap();
        socket
            .as_ref()
            .expect("a gateway client is connected")
            .send(out)
            .expect("the gateway connection is open");
    }

    pub fn snowflake(&self) -> u64 {
        self.state.snowflake()
    }

    /// A MESSAGE_CREATE from `user` in the test channel; returns the message id.
    pub fn message(&self, user: u64, name: &str, content: &str) -> u64 {
        let id = self.snowflake();
        self.dispatch(
            "MESSAGE_CREATE",
            rest::message_json(id, CHANNEL_ID, user, name, content, Some(GUILD_ID)),
        );
        id
    }

    /// An INTERACTION_CREATE for `/name` with `options` (Discord's option objects) from
    /// `user` holding the `permissions` bits; returns the interaction id.
    pub fn command(&self, user: u64, permissions: u64, name: &str, options: Value) -> u64 {
        let id = self.snowflake();
        self.dispatch(
            "INTERACTION_CREATE",
            json!({
                "id": id.to_string(),
                "application_id": APP_ID.to_string(),
                "type": 2,
                "token": format!("token-{id}"),
                "version": 1,
                "guild_id": GUILD_ID.to_string(),
                "channel_id": CHANNEL_ID.to_string(),
                "member": {
                    "user": rest::user_json(user, "mod", false),
                    "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
                    "deaf": false, "mute": false, "flags": 0,
                    "permissions": permissions.to_string(),
                },
                "app_permissions": "8",
                "locale": "en-US",
                "guild_locale": "en-US",
                "entitlements": [],
                "attachment_size_limit": 8388608,
                "data": {"id": self.snowflake().to_string(), "name": name, "type": 1, "options": options},
            }),
        );
        id
    }
}
