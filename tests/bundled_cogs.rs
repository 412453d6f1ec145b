//! The five bundled cogs (security, moderation, ai-companion, support, analytics) as
//! compiled components in the real pipeline: the busy-chat scenario, the labelled
//! security corpus, the escalation ladder, host-side permission checks, the support
//! knowledge base and analytics.

mod common;

use astra::event::{Action, OptionValue, OutcomeKind, Permission, Priority};
use astra::runtime::{Export, Returned};
use common::*;

const BUNDLED: &str = "bundled_cogs = true\n[llm]\nbackend = \"stand-in\"\nstand_in_delay_ms = 5\n[embed]\nbackend = \"none\"\n";

/// A started host with the bundled cogs that sends early outcomes (as the console,
/// the web page and Discord ask for).
async fn delivering_early(dir: &std::path::Path, toml: &str) -> Host {
    let mut h = host(dir, &[], toml).await;
    h.dispatcher().deliver_early();
    h.start();
    h
}

/// The bundled cogs with a model slower than any task timeout, and these `[limits]`.
fn with_a_model_that_never_answers(limits: &str) -> String {
    BUNDLED.replace("stand_in_delay_ms = 5", "stand_in_delay_ms = 60000")
        + &format!("[limits]\n{limits}\n")
}

fn kinds(o: &astra::event::Outcome) -> Vec<(String, &'static str)> {
    o.actions
        .iter()
        .map(|a| (a.cog.clone(), a.action.kind()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_busy_chat_scenario_gets_the_labelled_priorities_and_actions() {
    let dir = tempdir();
    let rows = astra::demo::play(config(dir.path(), BUNDLED))
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    let by_user = |u: &str| rows.iter().find(|r| r.0 == u).unwrap().2.clone();
    for user in ["User1", "User5", "User10"] {
        let o = by_user(user);
        assert_eq!(o.priority, Priority::Critical, "{user}");
        let k = kinds(&o);
        assert!(
            k.contains(&("security".into(), "delete-message")),
            "{user}: {k:?}"
        );
        assert!(k.contains(&("security".into(), "warn")), "{user}: {k:?}");
    }
    for user in ["User2", "User6"] {
        let o = by_user(user);
        assert_eq!(o.priority, Priority::High, "{user}");
        assert!(
            kinds(&o).contains(&("ai-companion".into(), "reply")),
            "{user}: {:?}",
            o.actions
        );
    }
    for user in ["User4", "User8"] {
        let o = by_user(user);
        assert_eq!(o.priority, Priority::High, "{user}");
        assert!(
            kinds(&o).contains(&("support".into(), "reply")),
            "{user}: {:?}",
            o.actions
        );
    }
    for user in ["User3", "User7", "User9"] {
        let o = by_user(user);
        assert_eq!(o.priority, Priority::Normal, "{user}");
        assert!(o.actions.is_empty(), "{user}: {:?}", o.actions);
    }
    assert!(
        rows.iter().all(|r| r.2.outcome == OutcomeKind::Processed),
        "{rows:#?}"
    );
}

fn corpus(name: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/security/corpus/");
    std::fs::read_to_string(format!("{path}{name}"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compiled_security_cog_meets_the_recall_and_false_positive_floors_on_the_corpus() {
    let dir = tempdir();
    let mut h = host(
        dir.path(),
        &[],
        &format!("{BUNDLED}[limits]\nqueue_capacity = 5000\n"),
    )
    .await;
    h.start();
    let abusive = corpus("abusive.txt");
    let clean = corpus("clean.txt");
    // Every line from its own user in its own channel, so flood and duplicate rules
    // (which look at a user's history) do not decide the result.
    let mut ids = Vec::new();
    for (i, text) in abusive.iter().chain(&clean).enumerate() {
        let mut m = astra::gateway::local::message(&format!("member{i}"), text, "Astra");
        m.channel_id = format!("c{i}");
        ids.push(h.send(m).await);
    }
    let outcomes = h.outcomes(ids.len()).await;
    let flagged = |id: &String| {
        outcomes[id]
            .actions
            .iter()
            .any(|a| a.cog == "security" && matches!(a.action, Action::Warn { .. }))
    };
    let caught = ids[..abusive.len()].iter().filter(|id| flagged(id)).count();
    let false_pos: Vec<&String> = ids[abusive.len()..]
        .iter()
        .zip(&clean)
        .filter(|(id, _)| flagged(id))
        .map(|(_, text)| text)
        .collect();
    let recall = caught as f64 / abusive.len() as f64;
    let fpr = false_pos.len() as f64 / clean.len() as f64;
    let precision = caught as f64 / (caught + false_pos.len()).max(1) as f64;
    println!(
        "security corpus (compiled cog): {} abusive, {} clean; recall {recall:.3}, precision {precision:.3}, \
         false-positive rate {fpr:.3}",
        abusive.len(),
        clean.len()
    );
    assert!(recall >= 0.95, "recall {recall:.3}");
    assert!(fpr <= 0.01, "false positives: {false_pos:?}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergencies_are_critical_answered_with_care_and_never_punished() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], BUNDLED).await;
    h.start();
    h.say("sam", "I want to kill myself").await;
    let o = h.one().await;
    assert_eq!(o.priority, Priority::Critical);
    let k = kinds(&o);
    assert!(k.contains(&("security".into(), "reply")), "{k:?}");
    assert!(k.contains(&("security".into(), "log-to-modlog")), "{k:?}");
    assert!(
        !k.iter()
            .any(|(_, kind)| ["warn", "delete-message", "timeout", "ban", "kick"].contains(kind)),
        "{k:?}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_addressed_to_the_bot_is_deleted_and_never_answered_by_the_companion() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], BUNDLED).await;
    h.start();
    h.say("mallory", "@Astra you are a fucking idiot").await;
    let o = h.one().await;
    assert_eq!(o.priority, Priority::Critical);
    assert_eq!(o.outcome, OutcomeKind::Processed, "{:?}", o.error);
    let k = kinds(&o);
    assert!(k.contains(&("security".into(), "delete-message")), "{k:?}");
    assert!(
        !k.iter().any(|(cog, _)| cog == "ai-companion"),
        "the companion asked for the message but it was deleted first: {k:?}"
    );
    // LOW bookkeeping still sees it: analytics counted the deleted message.
    let stats = h
        .dispatcher()
        .command(command("stats", "mallory", &[], &[]))
        .await
        .unwrap();
    assert!(stats.content.contains("<#general> 1"), "{}", stats.content);

    // Not deleted: every cog that asked still answers, most urgent first.
    h.say("sam", "@Astra I want to kill myself").await;
    let o = h.one().await;
    assert_eq!(o.priority, Priority::Critical);
    let k = kinds(&o);
    assert_eq!(k.first(), Some(&("security".into(), "reply")), "{k:?}");
    assert!(k.contains(&("ai-companion".into(), "reply")), "{k:?}");

    h.say("alice", "@Astra tell me about space").await;
    let o = h.one().await;
    assert!(
        kinds(&o).contains(&("ai-companion".into(), "reply")),
        "{:?}",
        o.actions
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_early_delivery_a_care_reply_goes_out_before_the_companion_has_answered() {
    let dir = tempdir();
    let mut h = delivering_early(dir.path(), BUNDLED).await;
    h.say("sam", "@Astra I want to kill myself").await;

    // First the CRITICAL handlers' actions, sent before the companion is even called.
    let early = h.one().await;
    assert!(early.early, "the first outcome is the early one: {early:?}");
    assert_eq!(early.priority, Priority::Critical);
    let k = kinds(&early);
    assert!(k.contains(&("security".into(), "reply")), "{k:?}");
    assert!(!k.iter().any(|(cog, _)| cog == "ai-companion"), "{k:?}");
    assert_eq!(early.to_deliver().len(), early.actions.len());

    // Then the one settled outcome: every action, the early ones first and not to be
    // delivered again; its latency counts from when the care reply was ready.
    let settled = h.one().await;
    assert!(!settled.early);
    assert_eq!(settled.id, early.id);
    assert_eq!(
        settled.outcome,
        OutcomeKind::Processed,
        "{:?}",
        settled.error
    );
    assert_eq!(settled.delivered_early, early.actions.len());
    assert_eq!(settled.actions[..early.actions.len()], early.actions[..]);
    let rest: Vec<_> = settled
        .to_deliver()
        .iter()
        .map(|a| (a.cog.clone(), a.action.kind()))
        .collect();
    assert_eq!(
        rest,
        vec![("ai-companion".to_string(), "reply")],
        "{rest:?}"
    );
    assert_eq!(settled.early_us, early.early_us);
    assert_eq!(settled.ready_us(), early.latency_us);
    assert!(settled.ready_us() <= settled.latency_us);
    assert_eq!(
        h.dispatcher().ledger().processed,
        1,
        "one message, settled once"
    );

    // Nothing urgent waits for anything: no early outcome, just the settled one.
    h.say("alice", "@Astra tell me about space").await;
    let o = h.one().await;
    assert!(!o.early && o.delivered_early == 0 && o.early_us.is_none());
    assert_eq!(o.to_deliver().len(), o.actions.len());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_times_out_after_its_early_outcome_still_reports_what_was_delivered() {
    let dir = tempdir();
    // The companion's model takes far longer than the task may.
    let toml = with_a_model_that_never_answers("task_timeout_ms = 300");
    let mut h = delivering_early(dir.path(), &toml).await;
    h.say("sam", "@Astra I want to kill myself").await;
    let early = h.one().await;
    assert!(early.early);
    assert!(kinds(&early).contains(&("security".into(), "reply")));
    let settled = h.one().await;
    assert_eq!(settled.outcome, OutcomeKind::Failed);
    assert!(
        settled.error.as_deref().unwrap_or("").contains("timed out"),
        "{:?}",
        settled.error
    );
    assert_eq!(settled.actions, early.actions, "the care reply was sent");
    assert!(
        settled.to_deliver().is_empty(),
        "nothing is delivered twice"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_waiting_on_the_companion_holds_no_permit_reserved_for_critical_work() {
    let dir = tempdir();
    // One general permit, one reserved for CRITICAL work; the model never answers
    // within the task timeout.
    let toml = with_a_model_that_never_answers(
        "max_concurrent = 2\nreserved_critical = 1\ntask_timeout_ms = 3000",
    );
    let mut h = delivering_early(dir.path(), &toml).await;
    // Two people in crisis talk to the bot: both care replies go out at once ...
    let crises = [
        h.say("sam", "@Astra I want to kill myself").await,
        h.say("kim", "@Astra i dont want to live anymore").await,
    ];
    for _ in &crises {
        let early = h.one().await;
        assert!(early.early, "{early:?}");
        assert!(kinds(&early).contains(&("security".into(), "reply")));
    }
    // ... and their answers wait for the model as HIGH work, on the general permit.
    // Abuse arriving now is CRITICAL: the reserved permit is free for it, so its
    // warning goes out, and it is settled (analytics' bookkeeping runs right after the
    // warning, on the same permit), before either companion answer (each times out
    // after 3 s).
    let abuse = h.say("mallory", "you are a fucking idiot").await;
    let first = h.one().await;
    assert_eq!(
        first.id, abuse,
        "the abuse waited for the crises' model calls"
    );
    assert!(first.early, "{first:?}");
    assert!(kinds(&first).contains(&("security".into(), "delete-message")));
    let settled = h.one().await;
    assert_eq!(
        (settled.id.as_str(), settled.early),
        (abuse.as_str(), false),
        "the abuse's bookkeeping waited for the crises' model calls"
    );
    let rest = h.outcomes(2).await;
    for id in &crises {
        let o = &rest[id];
        assert_eq!(o.priority, Priority::Critical);
        assert_eq!(o.outcome, OutcomeKind::Failed, "the model timed out");
        assert!(kinds(o).contains(&("security".into(), "reply")), "{o:?}");
        assert!(o.to_deliver().is_empty());
    }
    h.stop().await;
}

/// The security cog's flood rule end to end: with the defaults (more than 6 messages
/// in 10 s), the 7th message of a burst is deleted with one warning, and the rest of
/// the burst are deleted without another. Who posted lately lives in the host's
/// `cache` (every instance of the cog sees it), and none of it is written to the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_deleted_and_warned_once_and_its_history_is_only_cached() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], BUNDLED).await;
    h.start();
    let mut seen = Vec::new();
    for i in 0..9 {
        h.say("spammer", &format!("buy my stuff, offer number {i}"))
            .await;
        let o = h.one().await;
        let security: Vec<&str> = o
            .actions
            .iter()
            .filter(|a| a.cog == "security")
            .map(|a| a.action.kind())
            .collect();
        seen.push(security);
    }
    let nothing: Vec<&str> = Vec::new();
    assert_eq!(&seen[..6], vec![nothing; 6].as_slice(), "{seen:?}");
    assert!(
        seen[6].contains(&"delete-message") && seen[6].contains(&"warn"),
        "{seen:?}"
    );
    for later in &seen[7..] {
        assert!(
            later.contains(&"delete-message") && !later.contains(&"warn"),
            "{seen:?}"
        );
    }
    let now = std::time::Instant::now();
    let cached = h
        .app
        .cache
        .get("security", "local", "history:spammer", now)
        .expect("the history is cached");
    assert!(cached.contains("\"seen\""), "{cached}");
    let security = astra::store::Scope {
        cog: "security",
        guild: "local",
    };
    let stored = h
        .app
        .store
        .list_prefix(security, "history:", 10)
        .await
        .unwrap();
    assert!(stored.is_empty(), "{stored:?}");
    h.stop().await;
}

/// A call says whether it used the store, so the dispatcher knows which outcomes must
/// wait for a commit: the security cog's handling of abuse reads and writes only the
/// host's cache (its warning needs no commit, and no wait for the store's lock), while
/// analytics counts the message in kv (its outcome waits for the commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_says_whether_it_used_the_store() {
    let dir = tempdir();
    let h = host(dir.path(), &[], BUNDLED).await;
    let msg = astra::gateway::local::message("member", "you are a fucking idiot", "Astra");
    let wit = astra::runtime::convert::message_to_wit(&msg);
    let call = |name: &'static str| {
        let cog = h.app.runtime.cog(name).unwrap();
        let wit = wit.clone();
        let guild = msg.guild_id.clone();
        async move {
            let mut used_store = false;
            let returned = cog
                .call_noting_store_use(&guild, Export::Handle(&wit), &mut used_store)
                .await
                .unwrap();
            let actions = match returned {
                Returned::Actions(actions) => actions.len(),
                _ => panic!("handle-message returns actions"),
            };
            (actions, used_store)
        }
    };
    let (actions, used_store) = call("security").await;
    assert!(actions >= 2, "deleted and warned: {actions} actions");
    assert!(!used_store, "security's history is in the cache");
    let (_, used_store) = call("analytics").await;
    assert!(used_store, "analytics counts in kv");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_warnings_in_a_day_escalate_to_a_timeout_and_are_listed() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], BUNDLED).await;
    h.start();
    let insults = [
        "you are a fucking idiot",
        "shut up bitch",
        "what a piece of shit you are",
    ];
    let mut last = None;
    for text in insults {
        h.say("troll", text).await;
        last = Some(h.one().await);
    }
    let last = last.unwrap();
    let timeout = last
        .actions
        .iter()
        .find(|a| a.cog == "moderation" && matches!(a.action, Action::Timeout { .. }));
    assert!(
        timeout.is_some(),
        "third warning escalates: {:?}",
        last.actions
    );
    let reply = h
        .dispatcher()
        .command(command(
            "warnings",
            "mod",
            &[Permission::ModerateMembers],
            &[("user", OptionValue::User("troll".into()))],
        ))
        .await
        .unwrap();
    assert!(
        reply.content.matches("profanity").count() >= 3,
        "{}",
        reply.content
    );
    h.stop().await;
}

/// With early outcomes, a warning goes out before the cogs that watch moderation hear
/// of it: they need the store (the moderation cog records the warning and climbs its
/// escalation ladder, a bookkeeper like analytics counts it), and the warning waits for
/// neither. They hear of it right after, exactly once each, and what they answer (the
/// third warning's timeout, the bookkeeper's note) is in the message's settled outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_early_outcomes_a_warning_goes_out_before_the_watchers_hear_of_it() {
    let dir = tempdir();
    let toml = format!("{BUNDLED}[cogs.test-bookkeeper]\ngrants = [\"kv\", \"modlog\"]\n");
    let mut h = host(dir.path(), &["test-bookkeeper"], &toml).await;
    h.dispatcher().deliver_early();
    h.start();
    let insults = [
        "you are a fucking idiot",
        "shut up bitch",
        "what a piece of shit you are",
    ];
    let heard = |o: &astra::event::Outcome| -> Vec<String> {
        o.actions
            .iter()
            .filter(|a| a.cog == "test-bookkeeper")
            .filter_map(|a| match &a.action {
                Action::LogToModlog { content } => Some(content.clone()),
                _ => None,
            })
            .collect()
    };
    for (i, text) in insults.into_iter().enumerate() {
        h.say("troll", text).await;
        let early = h.one().await;
        assert!(early.early, "the warning goes out early: {early:?}");
        assert!(kinds(&early).contains(&("security".into(), "warn")));
        assert!(
            early.actions.iter().all(|a| a.cog == "security"),
            "only the warning's own actions: {:?}",
            early.actions
        );

        let settled = h.one().await;
        assert!(!settled.early && settled.id == early.id, "{settled:?}");
        assert_eq!(settled.outcome, OutcomeKind::Processed, "{settled:?}");
        assert_eq!(settled.delivered_early, early.actions.len());
        let escalated = settled
            .actions
            .iter()
            .any(|a| a.cog == "moderation" && matches!(a.action, Action::Timeout { .. }));
        assert_eq!(escalated, i == 2, "the third warning escalates");
        assert_eq!(
            heard(&settled),
            vec![format!("bookkeeper heard warn by security (#{})", i + 1)],
            "{:?}",
            settled.actions
        );
    }
    let scope = astra::store::Scope {
        cog: "test-bookkeeper",
        guild: "local",
    };
    let store = &h.app.store;
    assert_eq!(
        store.get(scope, "heard:warn").await.unwrap().as_deref(),
        Some("3")
    );
    assert_eq!(
        store.get(scope, "messages").await.unwrap().as_deref(),
        Some("3")
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderator_commands_are_checked_by_the_host_before_the_cog_runs() {
    let dir = tempdir();
    let h = host(dir.path(), &[], BUNDLED).await;
    let ban = |perms: &[Permission]| {
        command(
            "ban",
            "someone",
            perms,
            &[
                ("user", OptionValue::User("victim".into())),
                ("reason", OptionValue::Text("raiding".into())),
            ],
        )
    };
    let refused = h
        .dispatcher()
        .command(ban(&[Permission::Everyone]))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("requires the BanMembers permission"),
        "{refused}"
    );
    for name in [
        "warn",
        "timeout",
        "kick",
        "purge",
        "clearwarn",
        "warnings",
        "automod test",
    ] {
        let e = h
            .dispatcher()
            .command(command(name, "someone", &[], &[]))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("requires"), "/{name}: {e}");
    }
    let done = h
        .dispatcher()
        .command(ban(&[Permission::BanMembers]))
        .await
        .unwrap();
    assert!(done
        .actions
        .iter()
        .any(|a| matches!(&a.action, Action::Ban { user_id, .. } if user_id == "victim")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_answers_from_the_knowledge_base_and_pings_staff_when_it_does_not_know() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], BUNDLED).await;
    h.start();
    h.say("amy", "Help! Bot commands not working!").await;
    let o = h.one().await;
    let reply = o
        .actions
        .iter()
        .find(|a| a.cog == "support")
        .expect("support replied");
    assert!(
        matches!(&reply.action, Action::Reply { content } if content.contains("online")),
        "{reply:?}"
    );
    h.say("ben", "help, my goldfish problem is urgent").await;
    let o = h.one().await;
    let reply = o
        .actions
        .iter()
        .find(|a| a.cog == "support")
        .expect("support replied");
    assert!(
        matches!(&reply.action, Action::Reply { content } if content.contains("@staff")),
        "{reply:?}"
    );
    let help = h
        .dispatcher()
        .command(command("help", "amy", &[], &[]))
        .await
        .unwrap();
    for cmd in ["warn", "ban", "stats", "ask", "automod test", "help"] {
        assert!(
            help.content.contains(cmd),
            "/help lists /{cmd}: {}",
            help.content
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_counts_messages_per_channel_and_reports_them() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], BUNDLED).await;
    h.start();
    for i in 0..4 {
        h.say(&format!("u{i}"), "good morning").await;
    }
    h.outcomes(4).await;
    let stats = h
        .dispatcher()
        .command(command("stats", "u0", &[], &[]))
        .await
        .unwrap();
    assert!(stats.content.contains('4'), "{}", stats.content);
    assert!(stats.content.contains("general"), "{}", stats.content);
    h.stop().await;
}

/// The offline models must have been fetched (`astra models fetch`; `.ci/run` does).
fn offline_models() -> &'static str {
    "bundled_cogs = true\n[llm]\nbackend = \"smollm2\"\n[embed]\nbackend = \"minilm\"\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_offline_models_the_companion_answers_and_support_matches_by_meaning() {
    let dir = tempdir();
    let mut h = host(dir.path(), &[], offline_models()).await;
    h.start();
    h.say("kim", "@Astra what is the capital of France?").await;
    let o = h.one().await;
    let reply = o
        .actions
        .iter()
        .find(|a| a.cog == "ai-companion")
        .expect("the companion replied");
    let Action::Reply { content } = &reply.action else {
        panic!("{reply:?}")
    };
    assert!(
        !content.contains("can't think right now"),
        "the model answered: {content}"
    );
    assert!(!content.trim().is_empty());
    // Worded unlike any knowledge-base question, close in meaning to one.
    h.say("lee", "help: the quiz thing keeps throwing an error at me")
        .await;
    let o = h.one().await;
    let reply = o
        .actions
        .iter()
        .find(|a| a.cog == "support")
        .expect("support replied");
    assert!(
        matches!(&reply.action, Action::Reply { content } if content.to_lowercase().contains("quiz")),
        "{reply:?}"
    );
    h.stop().await;
}
