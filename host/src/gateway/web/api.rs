//! The page's JSON endpoints. Handlers only translate: a request becomes a `Message`
//! for [`Dispatcher::submit`](crate::dispatch::Dispatcher::submit) or a `Command` for
//! `Dispatcher::command`, and the host's figures become JSON.
//!
//! - `GET  /api/stats`: the host now (ledger, queues, latency, cogs, reload events,
//!   moderation actions, process);
//! - `GET  /api/history?since=T`: the sampler's ring (samples after Unix ms `T`);
//! - `POST /api/say` `{"user","text"}`: a chat message, or a slash command when the
//!   text starts with `/` (run as a local administrator for loopback visitors);
//! - `GET  /api/bench`, `POST /api/bench/{scenario}` `{"messages"?}`: bench runs.

use super::bench_runs::{BenchState, Running, StartError};
use super::history::Sample;
use super::hub::{Moderation, Shown, PAGE_ID_PREFIX};
use super::Web;
use crate::dispatch::LedgerSnapshot;
use crate::event::{OptionValue, Permission, Priority, User};
use crate::gateway::{console, local};
use crate::metrics::LatencySummary;
use crate::reload::{CogStatus, ReloadEvent};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

/// Longest chat message (Discord's limit).
pub const MAX_TEXT: usize = 2000;
/// Longest visitor name.
pub const MAX_NAME: usize = 32;
/// Reload events `/api/stats` returns.
const RELOAD_EVENTS: usize = 50;

/// An error as JSON: `{"error": "..."}` with a fitting status.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError(e.status(), e.body_text())
    }
}

/// What `/api/stats` answers.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub bot_name: String,
    pub uptime_s: u64,
    pub ledger: LedgerSnapshot,
    /// received = processed + rate_limited + shed + failed + in_flight
    pub balanced: bool,
    pub queues: [usize; 4],
    pub queue_capacity: usize,
    /// messages settled in the last whole second, and the most in any second
    pub per_second: u64,
    pub peak_per_second: u64,
    pub active_jobs: u64,
    pub peak_active_jobs: u64,
    pub max_concurrent: usize,
    pub retries: u64,
    /// since start, per priority
    pub latency: Vec<LatencySummary>,
    pub cogs: Vec<CogStatus>,
    /// newest first
    pub reload_events: Vec<ReloadEvent>,
    /// newest first
    pub moderation: Vec<Moderation>,
    pub rss_bytes: Option<u64>,
    pub rss_peak_bytes: Option<u64>,
    /// the last sample of the history
    pub sample: Option<Sample>,
    /// does this visitor run slash commands as an administrator?
    pub admin: bool,
}

/// `GET /metrics`: the Prometheus text format (`metrics/prometheus.rs`).
pub async fn metrics(State(web): State<Web>) -> impl axum::response::IntoResponse {
    let text = crate::metrics::prometheus::render(&web.inner.dispatcher);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::prometheus::CONTENT_TYPE,
        )],
        text,
    )
}

pub async fn stats(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Json<Stats> {
    let inner = &web.inner;
    let d = &inner.dispatcher;
    let m = d.metrics();
    let (per_second, peak_per_second) = m.per_second();
    let process = crate::metrics::ProcessSample::read(m.uptime());
    let ledger = d.ledger();
    let mut reload_events = inner.manager.events();
    reload_events.reverse();
    reload_events.truncate(RELOAD_EVENTS);
    Json(Stats {
        bot_name: inner.bot_name.clone(),
        uptime_s: m.uptime().as_secs(),
        balanced: ledger.balanced(),
        ledger,
        queues: d.queue_depths(),
        queue_capacity: d.config().queue_capacity,
        per_second,
        peak_per_second,
        active_jobs: m.active_jobs(),
        peak_active_jobs: m.peak_active_jobs(),
        max_concurrent: d.config().max_concurrent,
        retries: m.retries(),
        latency: Priority::ALL.iter().map(|p| m.latency(*p)).collect(),
        cogs: inner.manager.list(),
        reload_events,
        moderation: inner.hub.moderation(),
        rss_bytes: process.rss_bytes,
        rss_peak_bytes: process.rss_peak_bytes,
        sample: inner.history.latest(),
        admin: peer.ip().is_loopback(),
    })
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    /// only samples after this Unix ms time
    #[serde(default)]
    pub since: u64,
}

pub async fn history(State(web): State<Web>, Query(q): Query<HistoryQuery>) -> Json<Vec<Sample>> {
    Json(web.inner.history.since(q.since))
}

#[derive(Debug, Deserialize)]
pub struct SayRequest {
    pub user: String,
    pub text: String,
}

/// What `/api/say` answers.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SayAnswer {
    /// submitted; its outcome arrives on the live stream under `id`
    Message { id: String },
    /// the command's answer (also on the live stream unless ephemeral or failed)
    Command {
        id: String,
        ok: bool,
        cog: String,
        content: String,
        ephemeral: bool,
        actions: Vec<Shown>,
    },
}

pub async fn say(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Result<Json<SayRequest>, JsonRejection>,
) -> Result<Json<SayAnswer>, ApiError> {
    let Json(request) = request?;
    let user = check_name(&request.user)?;
    let text = request.text.trim();
    if text.is_empty() {
        return Err(ApiError(StatusCode::BAD_REQUEST, "say something".into()));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("a message is at most {MAX_TEXT} characters"),
        ));
    }
    let inner = &web.inner;
    let id = format!(
        "{PAGE_ID_PREFIX}{}",
        inner.next_id.fetch_add(1, Ordering::Relaxed)
    );
    if let Some(command_text) = text.strip_prefix('/') {
        let mut command = console::parse_command(command_text);
        command.id = id.clone();
        command.invoker = User {
            id: user.to_string(),
            name: user.to_string(),
            roles: Vec::new(),
            is_bot: false,
        };
        // Loopback visitors are the machine's owner: a local administrator, as in the
        // console. Anyone else (only possible with `allow_remote`) holds no permission.
        command.permissions = if peer.ip().is_loopback() {
            command.invoker.roles.push("admin".into());
            vec![Permission::Administrator]
        } else {
            vec![Permission::Everyone]
        };
        // `/warn user:bob`: the page's names are user ids already.
        for (_, value) in &mut command.options {
            if let OptionValue::Text(t) = value {
                if let Some(name) = t.strip_prefix('@') {
                    *t = name.to_string();
                }
            }
        }
        let answer = inner
            .dispatcher
            .command(command)
            .await
            .map_err(|e| e.to_string());
        inner.hub.command(&id, user, text, &answer);
        return Ok(Json(match answer {
            Ok(r) => SayAnswer::Command {
                id,
                ok: true,
                actions: Shown::list(&r.actions),
                cog: r.cog,
                content: r.content,
                ephemeral: r.ephemeral,
            },
            Err(e) => SayAnswer::Command {
                id,
                ok: false,
                cog: String::new(),
                content: e,
                ephemeral: false,
                actions: Vec::new(),
            },
        }));
    }
    let mut message = local::message(user, text, &inner.bot_name);
    message.id = id.clone();
    inner.hub.message(&id, user, text);
    inner.dispatcher.submit(message).await;
    Ok(Json(SayAnswer::Message { id }))
}

/// A visitor's name: 1 to 32 letters, digits, `_`, `-` or `.`.
fn check_name(name: &str) -> Result<&str, ApiError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(name)
    } else {
        Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("a name is 1 to {MAX_NAME} letters, digits, `_`, `-` or `.` (no spaces)"),
        ))
    }
}

pub async fn bench_state(State(web): State<Web>) -> Json<BenchState> {
    Json(web.inner.bench.state())
}

#[derive(Debug, Deserialize, Default)]
pub struct BenchRequest {
    /// messages instead of the scenario's own number
    pub messages: Option<usize>,
}

pub async fn bench_start(
    State(web): State<Web>,
    Path(scenario): Path<String>,
    request: Option<Json<BenchRequest>>,
) -> Result<(StatusCode, Json<Running>), ApiError> {
    let request = request.map(|Json(r)| r).unwrap_or_default();
    match web.inner.bench.start(&scenario, request.messages) {
        Ok(running) => Ok((StatusCode::ACCEPTED, Json(running))),
        Err(e @ StartError::Unknown(_)) => Err(ApiError(StatusCode::NOT_FOUND, e.to_string())),
        Err(e @ StartError::Busy(_)) => Err(ApiError(StatusCode::CONFLICT, e.to_string())),
        Err(e @ StartError::TooMany) => Err(ApiError(StatusCode::BAD_REQUEST, e.to_string())),
    }
}
