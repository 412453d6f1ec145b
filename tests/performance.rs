//! Performance tooling, checked for what it reports — never for how fast anything is:
//! a small bench scenario balances its ledger and has a row for every priority it sent,
//! `/performance` shows every section, and `/test_concurrent` runs synthetic messages
//! through the live pipeline without the gateway ever seeing them. Prometheus metrics
//! name every figure and are served over HTTP; per-hour history is kept in the store
//! (surviving a restart) and shown by `/performance view:history`; each message and
//! its job are traced as spans carrying the message id.

mod common;

use astra::bench::{run_scenario, Options, Scenario};
use astra::event::{OptionValue, Permission, Priority};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_mixed_bench_balances_its_ledger_and_reports_every_priority() {
    let dir = tempdir();
    let base = config(dir.path(), "");
    let options = Options {
        messages: Some(20),
        model_delay_ms: Some(0),
        ..Options::default()
    };
    let report = run_scenario(&base, Scenario::Mixed, &options)
        .await
        .expect("the bench runs");
    assert_eq!(report.messages, 20);
    let l = &report.ledger;
    assert!(l.zero_lost, "{l:?}");
    assert_eq!(l.received, 20);
    assert_eq!(l.processed + l.rate_limited + l.shed + l.failed, 20);
    assert_eq!((l.in_flight, l.doubled), (0, 0));
    let priorities: Vec<Priority> = report.priorities.iter().map(|r| r.priority).collect();
    assert_eq!(
        priorities,
        Priority::ALL,
        "abuse, questions, chat and bot posts"
    );
    assert!(report
        .priorities
        .iter()
        .all(|r| r.messages > 0 && r.max_us >= r.min_us));
    assert!(report
        .cogs
        .iter()
        .any(|c| c.name == "security" && c.stats.calls > 0));
    let table = report.render();
    for needle in [
        "critical",
        "high",
        "normal",
        "low",
        "ledger: received 20",
        "zero lost",
        "old Python bot",
    ] {
        assert!(table.contains(needle), "{needle} missing from\n{table}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ledger"]["zero_lost"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn performance_shows_throughput_queues_jobs_latency_cogs_and_the_process() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    h.start();
    h.say("alice", "!critical").await;
    h.say("bob", "plain chat").await;
    h.outcomes(2).await;

    let d = h.dispatcher();
    let denied = d
        .command(command("performance", "bob", &[], &[]))
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("ManageGuild"), "{denied}");

    let reply = performance_as_moderator(&d, &[])
        .await
        .expect("/performance answers");
    assert_eq!(reply.cog, "host");
    for needle in [
        "messages/s",
        "peak",
        "queues: critical 0",
        "jobs:",
        "critical",
        "low",
        "p99",
        "test-echo",
        "memory",
        "CPU",
        "success 100.0 %",
    ] {
        assert!(
            reply.content.contains(needle),
            "{needle} missing from\n{}",
            reply.content
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_concurrent_runs_synthetic_messages_that_the_gateway_never_sees() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], "bundled_cogs = true\n").await;
    h.start();
    let d = h.dispatcher();
    let reply = d
        .command(command(
            "test_concurrent",
            "mod",
            &[Permission::ManageGuild],
            &[("count", OptionValue::Integer(30))],
        ))
        .await
        .expect("/test_concurrent answers");
    let table = &reply.content;
    for needle in [
        "30 synthetic messages",
        "critical",
        "ledger: received 30",
        "zero lost",
    ] {
        assert!(table.contains(needle), "{needle} missing from\n{table}");
    }
    // They went through the live pipeline: counted in the ledger...
    let ledger = d.ledger();
    assert_eq!(ledger.received, 30);
    assert!(ledger.balanced() && ledger.in_flight == 0);
    // ...and their outcomes are marked so a gateway skips them.
    let outcomes = h.outcomes(30).await;
    assert!(outcomes.values().all(|o| o.is_synthetic()));

    let too_many = d
        .command(command(
            "test_concurrent",
            "mod",
            &[Permission::ManageGuild],
            &[("count", OptionValue::Integer(1_000_000))],
        ))
        .await
        .unwrap_err();
    assert!(too_many.to_string().contains("count must be"), "{too_many}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_metrics_count_messages_outcomes_and_cogs_and_are_served_over_http() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    h.start();
    h.say("alice", "!critical").await;
    h.say("bob", "plain chat").await;
    h.say("carol", "more chat").await;
    h.outcomes(3).await;

    let text = astra::metrics::prometheus::render(&h.dispatcher());
    for needle in [
        "astra_messages_received_total 3",
        "astra_outcomes_total{outcome=\"processed\"} 3",
        "astra_outcomes_total{outcome=\"shed\"} 0",
        "astra_settled_total{priority=\"critical\"} 1",
        "# TYPE astra_queue_depth gauge",
        "astra_queue_depth{priority=\"low\"} 0",
        "astra_latency_p99_microseconds{priority=\"critical\"}",
        "astra_cog_calls_total{cog=\"test-echo\"}",
        "astra_cog_crashes_total{cog=\"test-echo\"} 0",
        "astra_process_resident_bytes",
        "# EOF",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }

    let listener = astra::metrics::prometheus::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(astra::metrics::prometheus::serve(
        listener,
        h.dispatcher(),
        async {
            let _ = stopped.await;
        },
    ));
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let body = response.text().await.unwrap();
    assert!(body.contains("astra_messages_received_total 3"), "{body}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_address_that_is_not_an_address_names_the_file_and_line() {
    let dir = tempdir();
    let path = dir.path().join("astra.toml");
    let e = astra::config::Config::parse("[metrics]\nlisten = \"port 9184\"\n", &path).unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.to_string().contains("127.0.0.1:9184"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_kept_per_hour_in_the_store_and_shown_by_performance_history() {
    use astra::metrics::history::{recent, Recorder};
    const HOUR: u64 = 3_600_000;
    // 2024-05-01 13:07:59 UTC
    let t: u64 = 1_714_568_879_000;
    let dir = tempdir();
    {
        let mut h = host(dir.path(), &["test-echo"], "").await;
        h.start();
        let d = h.dispatcher();
        let store = d.runtime().store().clone();
        let mut recorder = Recorder::new(d.metrics());
        h.say("alice", "!critical").await;
        h.say("bob", "plain chat").await;
        h.outcomes(2).await;
        recorder
            .flush(d.metrics(), store.as_ref(), t)
            .await
            .unwrap();
        // nothing new: the record stays as it is
        recorder
            .flush(d.metrics(), store.as_ref(), t + 60_000)
            .await
            .unwrap();
        for i in 0..3 {
            h.say(&format!("user{i}"), "chat").await;
        }
        h.outcomes(3).await;
        recorder
            .flush(d.metrics(), store.as_ref(), t + HOUR)
            .await
            .unwrap();
        h.stop().await;
    } // the host is gone; its store file stays

    let h = host(dir.path(), &["test-echo"], "").await;
    let d = h.dispatcher();
    let hours = recent(d.runtime().store().as_ref(), t + HOUR, 24)
        .await
        .unwrap();
    let keys: Vec<&str> = hours.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["hour:2024050113", "hour:2024050114"]);
    let (first, second) = (&hours[0].1, &hours[1].1);
    assert_eq!((first.received, first.processed, first.failed), (2, 2, 0));
    assert_eq!(first.latency["critical"].count, 1);
    assert!(first.latency["critical"].max_us >= first.latency["critical"].worst_p99_us);
    assert_eq!((second.received, second.processed), (3, 3));
    assert!(!second.latency.contains_key("critical"));

    let text = astra::commands::performance::render_history(&hours);
    for needle in ["2024-05-01 13h", "2024-05-01 14h", "crit p99"] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    // Through the command itself (this host has no history for the real clock's hours).
    let reply = performance_as_moderator(&d, &[("view", OptionValue::Text("history".into()))])
        .await
        .expect("/performance view:history answers");
    assert!(reply.content.contains("last 24 hours"), "{}", reply.content);
    let wrong = performance_as_moderator(&d, &[("view", OptionValue::Text("yesterday".into()))])
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("`now` or `history`"), "{wrong}");
}

/// `/performance` with `options`, run by a moderator holding ManageGuild.
async fn performance_as_moderator(
    d: &astra::dispatch::Dispatcher,
    options: &[(&str, OptionValue)],
) -> Result<astra::event::CommandResponse, astra::dispatch::CommandError> {
    d.command(command(
        "performance",
        "mod",
        &[Permission::ManageGuild],
        options,
    ))
    .await
}

/// Collects the name and `id` field of every span opened on this thread.
#[derive(Clone, Default)]
struct Spans(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Id(String);
        impl tracing::field::Visit for Id {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "id" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut id = Id(String::new());
        attrs.record(&mut id);
        self.0
            .lock()
            .unwrap()
            .push((attrs.metadata().name().to_string(), id.0));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_message_and_its_job_are_traced_as_spans_with_the_message_id() {
    use tracing_subscriber::layer::SubscriberExt;
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with(spans.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    h.start();
    // CRITICAL: its job runs on this thread, where the subscriber is installed.
    let id = h.say("alice", "!critical").await;
    h.outcomes(1).await;
    h.stop().await;
    let seen = spans.0.lock().unwrap().clone();
    for name in ["message", "job"] {
        assert!(
            seen.iter().any(|(n, i)| n == name && *i == id),
            "no `{name}` span with id {id} in {seen:?}"
        );
    }
}
