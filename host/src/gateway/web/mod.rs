//! The local web page of `astra run` (without a Discord token): a chat room that talks
//! to the bot through the same dispatcher and cogs as the console and Discord, a live
//! dashboard, and a button per `astra bench` scenario. axum serves it; the front end is
//! embedded in the binary.
//!
//! - `api`: the JSON endpoints (`/api/stats`, `/api/history`, `/api/say`, `/api/bench`);
//! - `ws`: the live stream (`/api/live`, a WebSocket);
//! - `hub`: outcomes, chat and bench events → JSON, broadcast to every open tab;
//! - `history`: the once-a-second sampler and its ring of samples for the charts;
//! - `bench_runs`: one bench scenario at a time, through `bench::run_scenario`;
//! - `assets`: the embedded HTML, CSS and scripts.
//!
//! The dispatcher has one outcome receiver. [`Web::fan_out`] takes it and hands back a
//! receiver of its own (for the console) after showing each outcome to the hub, so both
//! see everything. Slash commands typed on the page run as a local administrator, which
//! is why it listens on loopback unless `[web] allow_remote` is set, refuses requests
//! naming another host (DNS rebinding) or coming from another site's page, and gives
//! visitors from other machines no permissions at all.

mod api;
mod assets;
mod bench_runs;
mod history;
mod hub;
mod ws;

pub use api::{SayAnswer, Stats};
pub use bench_runs::{BenchRun, BenchState};
pub use history::Sample;
pub use hub::{Event, Hub, Moderation};

use crate::app::App;
use crate::config::{Config, WebSettings};
use crate::dispatch::Dispatcher;
use crate::event::Outcome;
use crate::reload::CogManager;
use anyhow::{Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// What the page needs besides the dispatcher and the cogs.
#[derive(Clone)]
pub struct WebOptions {
    pub bot_name: String,
    /// answer requests naming any host (the admin allowed a non-loopback `listen`)
    pub allow_remote: bool,
    /// the config bench runs start from (their throwaway hosts use its compile cache)
    pub bench_base: Config,
}

impl WebOptions {
    pub fn from_config(config: &Config) -> Self {
        WebOptions {
            bot_name: config.bot_name.clone(),
            allow_remote: config.web.allow_remote,
            bench_base: config.clone(),
        }
    }
}

/// A cloneable handle to the page's state; see the module comment.
#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    dispatcher: Dispatcher,
    manager: CogManager,
    hub: Hub,
    history: history::History,
    bench: bench_runs::BenchRuns,
    bot_name: String,
    allow_remote: bool,
    /// numbers the page's message ids (`web-1`, `web-2`, ...)
    next_id: AtomicU64,
    /// turns true when the server stops: live streams close, the sampler ends
    closing: watch::Sender<bool>,
}

impl Web {
    pub fn new(dispatcher: Dispatcher, manager: CogManager, options: WebOptions) -> Web {
        let hub = Hub::default();
        Web {
            inner: Arc::new(Inner {
                bench: bench_runs::BenchRuns::new(options.bench_base, hub.clone()),
                hub,
                dispatcher,
                manager,
                history: history::History::default(),
                bot_name: options.bot_name,
                allow_remote: options.allow_remote,
                next_id: AtomicU64::new(1),
                closing: watch::Sender::new(false),
            }),
        }
    }

    pub fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    /// Take the dispatcher's outcome receiver; show each outcome to the page and pass
    /// it on to the returned receiver (the console's). The forwarder runs until the
    /// dispatcher is gone, and keeps feeding the page if the console stops reading.
    pub fn fan_out(
        &self,
        mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    ) -> mpsc::UnboundedReceiver<Outcome> {
        let (tx, rx) = mpsc::unbounded_channel();
        let hub = self.inner.hub.clone();
        tokio::spawn(async move {
            while let Some(outcome) = outcomes.recv().await {
                hub.outcome(&outcome);
                let _ = tx.send(outcome);
            }
        });
        rx
    }

    /// The routes, behind the host/origin guard.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(assets::index))
            .route("/assets/{file}", get(assets::file))
            .route("/api/stats", get(api::stats))
            .route("/metrics", get(api::metrics))
            .route("/api/history", get(api::history))
            .route("/api/say", post(api::say))
            .route("/api/bench", get(api::bench_state))
            .route("/api/bench/{scenario}", post(api::bench_start))
            .route("/api/live", get(ws::live))
            .layer(middleware::from_fn_with_state(self.clone(), guard))
            .with_state(self.clone())
    }

    /// Serve on `listener` until `shutdown` completes; returns once the server, the
    /// live streams and the sampler are done (a bench run in progress is aborted).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let sampler = tokio::spawn({
            let web = self.clone();
            let mut closing = self.inner.closing.subscribe();
            async move {
                let i = &web.inner;
                let stop = async move {
                    let _ = closing.wait_for(|closing| *closing).await;
                };
                history::sample(&i.history, &i.dispatcher, &i.manager, &i.hub, stop).await
            }
        });
        let signal = {
            let web = self.clone();
            async move {
                shutdown.await;
                web.inner.closing.send_replace(true);
                web.inner.bench.abort();
            }
        };
        let service = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(signal)
            .await
            .context("serving the web page");
        // The server may also end on its own (an error): stop the sampler either way.
        self.inner.closing.send_replace(true);
        sampler.await.context("the web page's sampler")?;
        served
    }
}

/// `astra run`'s page, when `[web]` (or `--web`) enables it: bind, say where it is,
/// serve until `shutdown`. Returns the outcome receiver the console reads (every
/// outcome is shown to the page too) and the server's task. An address that cannot be
/// bound is a warning: the console still runs.
pub async fn start(
    app: &App,
    settings: &WebSettings,
    options: WebOptions,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (
    mpsc::UnboundedReceiver<Outcome>,
    Option<JoinHandle<Result<()>>>,
) {
    if !settings.enabled {
        return (outcomes, None);
    }
    let listener = match TcpListener::bind(settings.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "warning: the web page is not served: cannot listen on {}: {e} \
                 (set [web] listen, or run with --web ADDR or --no-web)",
                settings.listen
            );
            return (outcomes, None);
        }
    };
    let address = listener.local_addr().unwrap_or(settings.listen);
    let web = Web::new(app.dispatcher.clone(), app.manager.clone(), options);
    let outcomes = web.fan_out(outcomes);
    println!("Web page: http://{address}/ (chat, live dashboard, bench)");
    (outcomes, Some(tokio::spawn(web.serve(listener, shutdown))))
}

/// Refuse requests that name a non-loopback host while the page is loopback-only (a
/// DNS-rebinding page would), and requests sent by another site's page (browsers add
/// `Origin` to cross-site fetches, form posts and WebSocket handshakes).
async fn guard(State(web): State<Web>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !web.inner.allow_remote && !is_loopback_host(host) {
        return (
            StatusCode::FORBIDDEN,
            "this page answers on 127.0.0.1 / localhost only",
        )
            .into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        // Same site: this very host, over http (or https behind a proxy).
        let origin = origin.to_str().unwrap_or("");
        let same = ["http://", "https://"]
            .iter()
            .any(|scheme| origin.strip_prefix(scheme) == Some(host));
        if !same {
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
    }
    next.run(request).await
}

/// Does a `Host` header (`name[:port]`, `[v6][:port]`) name this machine's loopback?
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_host_names_pass_the_guard() {
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:80",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example:8080",
            "10.0.0.1:8080",
            "[fe80::1]:80",
            "localhost.evil",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
