//! The `stand-in` and `none` backends: what benches and tests get without a real model.

use std::time::Duration;

use astra_models::{
    chat_model, embedder, ChatMessage, ChatRequest, EmbedBackendKind, EmbedSettings,
    LlmBackendKind, LlmSettings, ModelError, Role,
};

fn stand_in(delay_ms: u64, timeout_ms: u64) -> LlmSettings {
    LlmSettings {
        backend: LlmBackendKind::StandIn,
        stand_in_delay_ms: delay_ms,
        timeout_ms,
        ..LlmSettings::default()
    }
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage {
                role: Role::User,
                content: "first question".into(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "first answer".into(),
            },
            ChatMessage {
                role: Role::User,
                content: text.into(),
            },
        ],
        max_tokens: 64,
        temperature: 0.7,
    }
}

#[tokio::test(start_paused = true)]
async fn the_stand_in_echoes_the_last_user_message_after_its_delay() {
    let model = chat_model(&stand_in(300, 20_000), "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let started = tokio::time::Instant::now();
    let text = model
        .complete(ask("  how do   I reset my password? "))
        .await
        .unwrap();

    assert_eq!(
        text,
        "(stand-in model) You said: how do I reset my password?"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_millis(310),
        "{waited:?}"
    );
    assert_eq!(
        model
            .complete(ask("how do I reset my password?"))
            .await
            .unwrap(),
        text
    );
    assert!(model.describe().starts_with("stand-in"));
}

#[tokio::test(start_paused = true)]
async fn a_stand_in_slower_than_the_timeout_times_out() {
    let model = chat_model(&stand_in(5_000, 1_000), "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let started = tokio::time::Instant::now();
    let err = model.complete(ask("hello")).await.unwrap_err();

    assert!(matches!(err, ModelError::Timeout), "{err:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1_000) && waited < Duration::from_millis(1_010),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_stand_in_cuts_long_messages_to_max_tokens_words() {
    let model = chat_model(&stand_in(0, 1_000), "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();
    let mut req = ask("one two three four five");
    req.max_tokens = 3;
    assert_eq!(
        model.complete(req).await.unwrap(),
        "(stand-in model) You said: one two three …"
    );
}

#[tokio::test]
async fn backend_none_builds_no_model_and_no_embedder() {
    let llm = LlmSettings {
        backend: LlmBackendKind::None,
        ..LlmSettings::default()
    };
    assert!(chat_model(&llm, "/nonexistent".as_ref())
        .await
        .unwrap()
        .is_none());
    let embed = EmbedSettings {
        backend: EmbedBackendKind::None,
    };
    assert!(embedder(&embed, "/nonexistent".as_ref())
        .await
        .unwrap()
        .is_none());
}
