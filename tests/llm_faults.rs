//! The language model misbehaves — it hangs, answers garbage, or fails — behind the real
//! `openai` backend, against a fake server on 127.0.0.1: `[llm] timeout_ms` bounds
//! every call, only transient failures are retried (and at most `retries` times), the
//! AI companion answers with its honest fallback, and CRITICAL work is not delayed.

mod common;
#[path = "support/fake_llm.rs"]
mod fake_llm;

use astra::event::{Action, OutcomeKind, Priority};
use common::*;
use fake_llm::Behaviour;
use std::sync::atomic::Ordering;

fn llm_toml(url: &str, timeout_ms: u64) -> String {
    format!(
        "[cogs.test-abuser]\ngrants = [\"log\", \"kv\", \"config\", \"llm\", \"reply\"]\n[llm]\nbackend = \"openai\"\nurl = \"{url}\"\nmodel = \"fake\"\napi_key_env = \"ASTRA_TEST_NO_KEY\"\ntimeout_ms = {timeout_ms}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_model_times_out_is_retried_as_transient_and_critical_work_goes_first() {
    let server = fake_llm::start(Behaviour::Hang).await;
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-abuser"],
        &format!(
            "[limits]\nretries = 2\nretry_backoff_ms = 10\ntriage_deadline_ms = 1000\n{}",
            llm_toml(&server.url, 300)
        ),
    )
    .await;
    h.start();
    let ask = h.say("alice", "ask about space").await;
    // Wait until the model has the request, then send urgent and ordinary work.
    while server.requests.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let critical = h.say("mallory", "!critical abuse").await;
    let plain = h.say("bob", "good morning").await;
    let outcomes = h.outcomes(3).await;
    let asked = &outcomes[&ask];
    assert_eq!(asked.outcome, OutcomeKind::Failed);
    let error = asked.error.as_deref().unwrap();
    assert!(
        error.contains("Timeout") && error.contains("gave up after 2 retries"),
        "{error}"
    );
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        3,
        "one call and two retries"
    );
    assert_eq!(h.dispatcher().metrics().retries(), 2);
    for other in [&critical, &plain] {
        let o = &outcomes[other];
        assert_eq!(o.outcome, OutcomeKind::Processed);
        assert!(o.seq < asked.seq, "settled while the model hung");
    }
    assert_eq!(outcomes[&critical].priority, Priority::Critical);
    h.stop().await;
    assert!(h.dispatcher().ledger().balanced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_or_an_error_from_the_model_is_permanent_and_never_retried() {
    for (behaviour, expect) in [
        (Behaviour::Garbage, "not JSON"),
        (Behaviour::Error, "HTTP 500"),
    ] {
        let server = fake_llm::start(behaviour).await;
        let dir = tempdir();
        let mut h = host(
            dir.path(),
            &["test-echo", "test-abuser"],
            &llm_toml(&server.url, 5000),
        )
        .await;
        h.start();
        h.say("alice", "ask anything").await;
        let o = h.one().await;
        assert_eq!(o.outcome, OutcomeKind::Failed);
        let error = o.error.unwrap();
        assert!(
            error.contains("Backend") && error.contains(expect),
            "{behaviour:?}: {error}"
        );
        assert!(
            o.actions.iter().any(|a| a.cog == "test-echo"),
            "others unaffected"
        );
        assert_eq!(
            server.requests.load(Ordering::SeqCst),
            1,
            "{behaviour:?}: not retried"
        );
        assert_eq!(h.dispatcher().metrics().retries(), 0);
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ai_companion_answers_honestly_when_the_model_hangs_or_fails() {
    for behaviour in [Behaviour::Hang, Behaviour::Garbage, Behaviour::Error] {
        let server = fake_llm::start(behaviour).await;
        let dir = tempdir();
        let mut h = host(
            dir.path(),
            &[],
            &format!(
                "bundled_cogs = true\n[embed]\nbackend = \"none\"\n{}",
                llm_toml(&server.url, 300)
            ),
        )
        .await;
        h.start();
        let ask = h.say("alice", "@Astra tell me about space").await;
        let abuse = h.say("mallory", "Check out discord.gg/spam-link").await;
        let outcomes = h.outcomes(2).await;
        let answer = &outcomes[&ask];
        assert_eq!(
            answer.outcome,
            OutcomeKind::Processed,
            "{behaviour:?}: {:?}",
            answer.error
        );
        let reply = answer
            .actions
            .iter()
            .find_map(|a| match &a.action {
                Action::Reply { content } if a.cog == "ai-companion" => Some(content.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{behaviour:?}: no fallback reply: {answer:?}"));
        assert!(!reply.is_empty());
        let security = &outcomes[&abuse];
        assert_eq!(security.priority, Priority::Critical);
        assert!(security.actions.iter().any(|a| a.cog == "security"));
        assert!(server.requests.load(Ordering::SeqCst) >= 1);
        h.stop().await;
    }
}
