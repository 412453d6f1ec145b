//! The dispatcher's promises, on real compiled cogs: priority order, shedding on
//! overflow (LOW first, never CRITICAL), per-user rate limits that never touch
//! security work, task timeouts, transient-only retries, and a ledger that balances.

mod common;

use astra::event::{Action, OutcomeKind, Priority};
use astra::store::Scope;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_message_queued_behind_500_normal_ones_is_handled_before_them() {
    let dir = tempdir();
    // One job at a time, so the settle order is the start order.
    let mut h = host(
        dir.path(),
        &["test-echo"],
        "[limits]\nmax_concurrent = 1\nreserved_critical = 0\n",
    )
    .await;
    // Queue everything before the scheduler starts, so the order is decided only by
    // priority.
    for i in 0..500 {
        h.say(&format!("user{i}"), "plain chat").await;
    }
    let critical = h.say("mallory", "!critical").await;
    h.start();
    let outcomes = h.outcomes(501).await;
    let c = &outcomes[&critical];
    assert_eq!(c.priority, Priority::Critical);
    assert_eq!(c.seq, 1, "the CRITICAL message settled first");
    assert!(outcomes
        .values()
        .all(|o| o.outcome == OutcomeKind::Processed));
    h.stop().await;
}

/// A gateway handing over messages back to back (a flood on one connection) does not
/// keep its thread from the CRITICAL work it has just queued: on a single thread, the
/// CRITICAL message is settled before the sender has handed over ten more messages.
/// (Without the hand-over after each message, tokio's cooperative budget let a sender
/// triage a hundred-odd messages first.)
#[tokio::test(flavor = "current_thread")]
async fn a_critical_message_is_settled_before_a_back_to_back_sender_hands_over_ten_more() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    h.start();
    let critical = h.say("mallory", "!critical").await;
    let mut handed_over_after = 0;
    let settled = 'send: {
        for i in 0..300 {
            while let Ok(o) = h.outcomes.try_recv() {
                if o.id == critical {
                    break 'send o;
                }
            }
            h.say(&format!("user{i}"), "plain chat").await;
            handed_over_after += 1;
        }
        panic!("the CRITICAL message was not settled while 300 more were handed over");
    };
    assert_eq!(settled.priority, Priority::Critical);
    assert_eq!(settled.outcome, OutcomeKind::Processed);
    assert!(
        handed_over_after <= 10,
        "settled only after {handed_over_after} more messages were handed over"
    );
    h.stop().await;
}

/// While the scheduler runs, a CRITICAL message is handled in the task that submitted
/// it when a permit is free: its outcome is out before `submit` returns, so it never
/// waits for the scheduler's turn or in the run queue behind other senders' triage.
/// Before the scheduler runs (and so also while CRITICAL work is queued ahead of it),
/// it is queued instead and handled in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_message_is_handled_before_submit_returns_when_a_permit_is_free() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "").await;
    let queued = h.say("mallory", "!critical first").await;
    assert!(h.outcomes.try_recv().is_err(), "no scheduler yet: queued");
    h.start();
    let first = h.one().await;
    assert_eq!(
        (first.id.as_str(), first.priority),
        (queued.as_str(), Priority::Critical)
    );

    let id = h.say("mallory", "!critical now").await;
    let o = h
        .outcomes
        .try_recv()
        .expect("settled before submit returned");
    assert_eq!(o.id, id);
    assert_eq!(o.outcome, OutcomeKind::Processed, "{o:?}");
    assert!(
        o.actions.iter().any(
            |a| matches!(&a.action, Action::Reply { content } if content.contains("!critical now"))
        ),
        "{:?}",
        o.actions
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_permits_let_critical_work_through_while_slow_work_holds_the_rest() {
    let dir = tempdir();
    // One general permit, one reserved. The looper holds the general permit for its
    // whole (long) CPU budget; the CRITICAL message must not wait for it.
    let mut h = host(
        dir.path(),
        &["test-echo", "test-looper"],
        "[limits]\nmax_concurrent = 2\nreserved_critical = 1\n[cogs.test-looper]\nhandle_deadline_ms = 3000\n",
    )
    .await;
    h.start();
    let slow = h.say("alice", "this one loops").await;
    // Wait until the slow job has left the queue (it holds the general permit).
    while h.dispatcher().queue_depths().iter().sum::<usize>() > 0 {
        tokio::task::yield_now().await;
    }
    let critical = h.say("mallory", "!critical").await;
    let outcomes = h.outcomes(2).await;
    assert!(
        outcomes[&critical].seq < outcomes[&slow].seq,
        "CRITICAL settled while the slow job ran"
    );
    assert_eq!(outcomes[&critical].outcome, OutcomeKind::Processed);
    assert!(outcomes[&critical]
        .actions
        .iter()
        .any(|a| a.cog == "test-echo"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflow_sheds_low_first_then_normal_and_never_critical() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo"],
        "[limits]\nqueue_capacity = 10\n",
    )
    .await;
    let mut low = Vec::new();
    for i in 0..10 {
        low.push(h.say(&format!("l{i}"), "!low").await);
    }
    let mut normal = Vec::new();
    for i in 0..5 {
        normal.push(h.say(&format!("n{i}"), "plain").await);
    }
    let mut critical = Vec::new();
    for i in 0..10 {
        critical.push(h.say(&format!("c{i}"), "!critical").await);
    }
    // The queues now hold 10 CRITICAL; one more must wait (back-pressure), not be shed.
    let d = h.dispatcher();
    let last = tokio::spawn(async move {
        let m = astra::gateway::local::message("c10", "!critical", "Astra");
        let mut m = m;
        m.id = "c10".into();
        d.submit(m).await;
    });
    let shed_before_start = h.outcomes(15).await;
    assert!(shed_before_start
        .values()
        .all(|o| o.outcome == OutcomeKind::Shed));
    assert!(shed_before_start
        .values()
        .all(|o| o.priority != Priority::Critical));
    assert_eq!(
        shed_before_start
            .values()
            .filter(|o| o.priority == Priority::Low)
            .count(),
        10
    );
    assert_eq!(
        shed_before_start
            .values()
            .filter(|o| o.priority == Priority::Normal)
            .count(),
        5
    );
    assert!(!last.is_finished(), "the 11th CRITICAL waits for room");
    h.start();
    last.await.unwrap();
    let rest = h.outcomes(11).await;
    assert!(rest
        .values()
        .all(|o| o.priority == Priority::Critical && o.outcome == OutcomeKind::Processed));
    h.stop().await;
    let ledger = h.dispatcher().ledger();
    assert_eq!(
        (ledger.received, ledger.shed, ledger.processed),
        (26, 15, 11)
    );
    assert!(ledger.balanced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_work_is_never_shed_it_waits_for_room_like_critical() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-echo"], "[limits]\nqueue_capacity = 4\n").await;
    for i in 0..2 {
        h.say(&format!("l{i}"), "!low").await;
    }
    // Questions are HIGH for test-echo; each from its own user (HIGH is rate limited).
    for i in 0..4 {
        h.say(&format!("h{i}"), "anyone there?").await;
    }
    let shed = h.outcomes(2).await;
    assert!(shed
        .values()
        .all(|o| o.priority == Priority::Low && o.outcome == OutcomeKind::Shed));
    // Full of HIGH work: one more HIGH waits for room instead of being shed.
    let d = h.dispatcher();
    let last = tokio::spawn(async move {
        let mut m = astra::gateway::local::message("h4", "still there?", "Astra");
        m.id = "h4".into();
        d.submit(m).await;
    });
    while h.dispatcher().ledger().received < 7 {
        tokio::task::yield_now().await;
    }
    let ledger = h.dispatcher().ledger();
    assert_eq!(
        (ledger.shed, ledger.in_flight),
        (2, 5),
        "the 5th HIGH waits, not shed"
    );
    h.start();
    last.await.unwrap();
    let rest = h.outcomes(5).await;
    assert!(rest
        .values()
        .all(|o| o.priority == Priority::High && o.outcome == OutcomeKind::Processed));
    h.stop().await;
    let ledger = h.dispatcher().ledger();
    assert_eq!((ledger.received, ledger.shed, ledger.processed), (7, 2, 5));
    assert!(ledger.balanced());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_per_user_and_never_applies_to_critical_messages() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo"],
        "[rate_limit]\nmessages = 3\nper_seconds = 3600\n",
    )
    .await;
    h.start();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(h.say("alice", &format!("question {i}?")).await);
    }
    let bob = h.say("bob", "my question?").await;
    let alice_critical = h.say("alice", "!critical report").await;
    let alice_plain = h.say("alice", "just chatting").await;
    let o = h.outcomes(8).await;
    let limited = ids
        .iter()
        .filter(|id| o[*id].outcome == OutcomeKind::RateLimited)
        .count();
    let processed = ids
        .iter()
        .filter(|id| o[*id].outcome == OutcomeKind::Processed)
        .count();
    assert_eq!((processed, limited), (3, 2));
    assert_eq!(
        o[&bob].outcome,
        OutcomeKind::Processed,
        "other users are unaffected"
    );
    assert_eq!(
        o[&alice_critical].outcome,
        OutcomeKind::Processed,
        "CRITICAL is never rate limited"
    );
    assert_eq!(
        o[&alice_plain].outcome,
        OutcomeKind::Processed,
        "NORMAL chat is not response work"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_up_to_three_times() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-flaky"],
        "[cogs.test-flaky.settings]\nfail-times = 2\n",
    )
    .await;
    h.start();
    h.say("alice", "please work").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Processed);
    assert!(
        matches!(&o.actions[0].action, Action::Reply { content } if content == "succeeded on attempt 3")
    );
    assert_eq!(h.dispatcher().metrics().retries(), 2);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_still_failing_after_three_retries_fails_the_message() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-flaky"],
        "[cogs.test-flaky.settings]\nfail-times = 9\n",
    )
    .await;
    h.start();
    let id = h.say("alice", "never works").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Failed);
    assert!(o.error.unwrap().contains("gave up after 3 retries"));
    let attempts = h
        .app
        .store
        .get(
            Scope {
                cog: "test-flaky",
                guild: "local",
            },
            &format!("attempts:{id}"),
        )
        .await
        .unwrap();
    assert_eq!(attempts.as_deref(), Some("4"), "1 call + 3 retries");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_is_not_retried() {
    let dir = tempdir();
    let mut h = host(dir.path(), &["test-flaky"], "").await;
    h.start();
    let id = h.say("alice", "permanent problem").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Failed);
    assert!(o.error.unwrap().contains("attempt 1: refused"));
    let attempts = h
        .app
        .store
        .get(
            Scope {
                cog: "test-flaky",
                guild: "local",
            },
            &format!("attempts:{id}"),
        )
        .await
        .unwrap();
    assert_eq!(attempts.as_deref(), Some("1"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_past_the_task_timeout_fails_with_a_timeout() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-looper"],
        "[limits]\ntask_timeout_ms = 100\n[cogs.test-looper]\nhandle_deadline_ms = 60000\n",
    )
    .await;
    h.start();
    h.say("alice", "spin").await;
    let o = h.one().await;
    assert_eq!(o.outcome, OutcomeKind::Failed);
    assert!(o.error.unwrap().contains("timed out after 100 ms"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_gets_exactly_one_outcome_and_the_ledger_balances_under_mixed_load() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &["test-echo", "test-panicker", "test-flaky"],
        "[limits]\nqueue_capacity = 50\nmax_concurrent = 4\nreserved_critical = 1\n\
         [rate_limit]\nmessages = 2\nper_seconds = 3600\n[cogs.test-flaky.settings]\nfail-times = 1\n",
    )
    .await;
    h.start();
    let texts = [
        "hello",
        "what?",
        "!critical",
        "!low",
        "!ignore",
        "permanent",
    ];
    let n = 1200;
    let d = h.dispatcher();
    let sender = tokio::spawn(async move {
        for i in 0..n {
            let mut m = astra::gateway::local::message(
                &format!("u{}", i % 37),
                texts[i % texts.len()],
                "Astra",
            );
            m.id = format!("x{i}");
            d.submit(m).await;
        }
    });
    let outcomes = h.outcomes(n).await;
    sender.await.unwrap();
    assert_eq!(outcomes.len(), n);
    let ledger = h.dispatcher().ledger();
    assert_eq!(ledger.received, n as u64);
    assert_eq!(ledger.in_flight, 0);
    assert!(ledger.balanced());
    assert_eq!(ledger.settled(), n as u64);
    assert!(outcomes
        .values()
        .all(|o| !(o.priority == Priority::Critical && o.outcome == OutcomeKind::Shed)));
    h.stop().await;
}
