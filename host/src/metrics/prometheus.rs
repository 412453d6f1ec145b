//! Prometheus metrics: the figures of `/performance` in the text exposition format, at
//! `/metrics` on `[metrics] listen` (and on the local web page). Encoded by the
//! official Rust client (`prometheus-client`) from a registry built fresh at each
//! scrape out of the dispatcher's own counters, so nothing is counted twice and the
//! hot path records nothing extra.

use super::{LatencySummary, ProcessSample};
use crate::dispatch::Dispatcher;
use crate::event::{OutcomeKind, Priority};
use crate::runtime::stats::StatsSnapshot;
use anyhow::{Context, Result};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;
type FloatCounter = Counter<f64, AtomicU64>;

/// The content type Prometheus expects for the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const OUTCOMES: [(OutcomeKind, &str); 4] = [
    (OutcomeKind::Processed, "processed"),
    (OutcomeKind::RateLimited, "rate_limited"),
    (OutcomeKind::Shed, "shed"),
    (OutcomeKind::Failed, "failed"),
];

/// How Prometheus reads a figure.
#[derive(Clone, Copy)]
enum Kind {
    /// only goes up (exposed as `name_total`)
    Counter,
    /// goes up and down
    Gauge,
}

/// Register one family of either kind.
fn family(registry: &mut Registry, kind: Kind, name: &str, help: &str, values: Vec<(Labels, f64)>) {
    match kind {
        Kind::Counter => counters(registry, name, help, values),
        Kind::Gauge => gauges(registry, name, help, values),
    }
}

/// One figure of a labelled row: its kind, name, help and how to read it.
type Figure<T> = (Kind, &'static str, &'static str, fn(&T) -> f64);

/// One family per figure, each with a value per row, labelled `label = the row's name`
/// (per-priority latency, per-cog calls).
fn by_label<T>(
    registry: &mut Registry,
    label: &'static str,
    rows: &[(String, T)],
    figures: &[Figure<T>],
) {
    for (kind, name, help, pick) in figures {
        let values = rows
            .iter()
            .map(|(key, row)| (vec![(label, key.clone())], pick(row)))
            .collect();
        family(registry, *kind, name, help, values);
    }
}

/// One gauge per label set, registered under `name`.
fn gauges(registry: &mut Registry, name: &str, help: &str, values: Vec<(Labels, f64)>) {
    let family = Family::<Labels, FloatGauge>::default();
    for (labels, value) in values {
        family.get_or_create(&labels).set(value);
    }
    registry.register(name, help, family);
}

/// One counter per label set, registered under `name` (exposed as `name_total`).
fn counters(registry: &mut Registry, name: &str, help: &str, values: Vec<(Labels, f64)>) {
    let family = Family::<Labels, FloatCounter>::default();
    for (labels, value) in values {
        family.get_or_create(&labels).inc_by(value);
    }
    registry.register(name, help, family);
}

/// The metrics now, in the Prometheus text format.
pub fn render(d: &Dispatcher) -> String {
    let m = d.metrics();
    let mut r = Registry::with_prefix("astra");
    let none = Labels::new;

    counters(
        &mut r,
        "messages_received",
        "Messages taken in by the dispatcher",
        vec![(none(), m.received_count() as f64)],
    );
    let outcomes = m.outcome_counts();
    counters(
        &mut r,
        "outcomes",
        "Messages settled, by outcome",
        OUTCOMES
            .iter()
            .map(|(kind, name)| {
                (
                    vec![("outcome", name.to_string())],
                    outcomes[*kind as usize] as f64,
                )
            })
            .collect(),
    );
    counters(
        &mut r,
        "retries",
        "Cog calls retried after a transient failure",
        vec![(none(), m.retries() as f64)],
    );
    let (now, peak) = m.per_second();
    gauges(
        &mut r,
        "messages_per_second",
        "Messages settled in the last second",
        vec![(none(), now as f64)],
    );
    gauges(
        &mut r,
        "messages_per_second_peak",
        "Most messages settled in one second since start",
        vec![(none(), peak as f64)],
    );
    let depths = d.queue_depths();
    gauges(
        &mut r,
        "queue_depth",
        "Jobs waiting, by priority",
        Priority::ALL
            .iter()
            .map(|p| {
                (
                    vec![("priority", p.name().to_string())],
                    depths[p.index()] as f64,
                )
            })
            .collect(),
    );
    gauges(
        &mut r,
        "jobs_running",
        "Jobs running now",
        vec![(none(), m.active_jobs() as f64)],
    );
    gauges(
        &mut r,
        "jobs_running_peak",
        "Most jobs running at once since start",
        vec![(none(), m.peak_active_jobs() as f64)],
    );

    let latency: Vec<_> = Priority::ALL
        .iter()
        .map(|p| (p.name().to_string(), m.latency(*p)))
        .collect();
    by_label::<LatencySummary>(
        &mut r,
        "priority",
        &latency,
        &[
            (
                Kind::Counter,
                "settled",
                "Messages settled, by priority",
                |l| l.count as f64,
            ),
            (
                Kind::Gauge,
                "latency_p50_microseconds",
                "Median latency (ingest to the most urgent actions ready) since start, by priority",
                |l| l.p50_us as f64,
            ),
            (
                Kind::Gauge,
                "latency_p99_microseconds",
                "99th percentile latency (ingest to the most urgent actions ready) since start, by priority",
                |l| l.p99_us as f64,
            ),
            (
                Kind::Gauge,
                "latency_max_microseconds",
                "Slowest latency (ingest to the most urgent actions ready) since start, by priority",
                |l| l.max_us as f64,
            ),
        ],
    );

    let cogs: Vec<_> = d
        .runtime()
        .cogs()
        .iter()
        .map(|c| (c.name.to_string(), c.stats.snapshot()))
        .collect();
    by_label::<StatsSnapshot>(
        &mut r,
        "cog",
        &cogs,
        &[
            (Kind::Counter, "cog_calls", "Calls into each cog", |s| {
                s.calls as f64
            }),
            (
                Kind::Counter,
                "cog_errors",
                "Calls that returned an error or failed",
                |s| s.errors as f64,
            ),
            (
                Kind::Counter,
                "cog_crashes",
                "Calls that trapped, ran out of time or memory",
                |s| s.crashes as f64,
            ),
            (
                Kind::Gauge,
                "cog_latency_p99_microseconds",
                "99th percentile call latency since start, by cog",
                |s| s.p99_us as f64,
            ),
            (
                Kind::Gauge,
                "cog_latency_mean_microseconds",
                "Mean call latency since start, by cog",
                |s| s.mean_us,
            ),
        ],
    );

    let process = ProcessSample::read(m.uptime());
    if let Some(rss) = process.rss_bytes {
        gauges(
            &mut r,
            "process_resident_bytes",
            "Resident memory of the process",
            vec![(none(), rss as f64)],
        );
    }
    if let Some(cpu) = process.cpu {
        counters(
            &mut r,
            "process_cpu_seconds",
            "CPU time used by the process (user + system)",
            vec![(none(), cpu.as_secs_f64())],
        );
    }

    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &r);
    text
}

/// Take the `/metrics` address (a clear error, before the bot starts, when it is
/// taken), then serve it with [`serve`].
pub async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot serve metrics on {listen} (`[metrics] listen`)"))
}

/// Serve `/metrics` on `listener` until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    dispatcher: Dispatcher,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let text = render(&dispatcher);
            async move { ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], text) }
        }),
    );
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("Prometheus metrics at http://{addr}/metrics");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
        .context("the metrics server failed")
}
