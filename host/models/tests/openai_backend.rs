//! The `openai` backend against a fake chat-completions server on 127.0.0.1 port 0:
//! what it sends, and what each kind of failure looks like to the caller.

use std::time::{Duration, Instant};

use astra_models::{
    chat_model, ChatMessage, ChatRequest, LlmBackendKind, LlmSettings, ModelError, Role,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the fake server does with each request.
#[derive(Clone)]
enum Reply {
    /// Answer with this status line and body.
    With(&'static str, &'static str),
    /// Read the request, then say nothing.
    Hang,
}

struct FakeServer {
    /// The API base to put in `[llm] url`.
    url: String,
    /// Each request as received: request line, headers, blank line, body.
    requests: mpsc::UnboundedReceiver<String>,
}

async fn fake_server(reply: Reply) -> FakeServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/", listener.local_addr().unwrap());
    let (seen, requests) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket, reply.clone(), seen.clone()));
        }
    });
    FakeServer { url, requests }
}

async fn answer(mut socket: TcpStream, reply: Reply, seen: mpsc::UnboundedSender<String>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let body_start = loop {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "client closed before sending headers");
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..body_start]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while request.len() < body_start + length {
        let n = socket.read(&mut buf).await.unwrap();
        request.extend_from_slice(&buf[..n]);
    }
    let _ = seen.send(String::from_utf8_lossy(&request).into_owned());
    match reply {
        Reply::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
        Reply::With(status, body) => {
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            let _ = socket.shutdown().await;
        }
    }
}

fn settings(url: &str, key_env: &str) -> LlmSettings {
    LlmSettings {
        backend: LlmBackendKind::Openai,
        url: Some(url.to_string()),
        model: Some("tiny-test-model".into()),
        api_key_env: key_env.into(),
        timeout_ms: 2_000,
        ..LlmSettings::default()
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage {
                role: Role::System,
                content: "Be brief.".into(),
            },
            ChatMessage {
                role: Role::User,
                content: "Say hi".into(),
            },
        ],
        max_tokens: 50,
        temperature: 0.2,
    }
}

const OK_BODY: &str = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!"},"finish_reason":"stop"}]}"#;

#[tokio::test]
async fn a_completion_returns_the_first_choice_and_sends_key_model_and_token_field() {
    std::env::set_var("ASTRA_TEST_KEY_FOR_OK", "sk-test-123");
    let mut server = fake_server(Reply::With("200 OK", OK_BODY)).await;
    let mut settings = settings(&server.url, "ASTRA_TEST_KEY_FOR_OK");
    settings.max_tokens_field = "max_completion_tokens".into();
    let model = chat_model(&settings, "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let text = model.complete(request()).await.unwrap();

    assert_eq!(text, "Hi there!");
    let sent = server.requests.recv().await.unwrap();
    assert!(
        sent.starts_with("POST /v1/chat/completions HTTP/1.1\r\n"),
        "{sent}"
    );
    assert!(
        sent.to_lowercase()
            .contains("authorization: bearer sk-test-123\r\n"),
        "{sent}"
    );
    let body: serde_json::Value =
        serde_json::from_str(sent.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["model"], "tiny-test-model");
    assert_eq!(body["max_completion_tokens"], 50);
    assert!(body.get("max_tokens").is_none());
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "Say hi");
    assert_eq!(body["stream"], false);
    assert!(model
        .describe()
        .starts_with("openai (tiny-test-model at http://127.0.0.1:"));
}

#[tokio::test]
async fn without_a_key_in_the_environment_no_authorization_header_is_sent() {
    let mut server = fake_server(Reply::With("200 OK", OK_BODY)).await;
    let settings = settings(&server.url, "ASTRA_TEST_KEY_THAT_IS_NEVER_SET");
    let model = chat_model(&settings, "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    model.complete(request()).await.unwrap();

    let sent = server.requests.recv().await.unwrap();
    assert!(!sent.to_lowercase().contains("authorization:"), "{sent}");
    assert!(sent.contains("\"max_tokens\":50"), "{sent}");
}

#[tokio::test]
async fn an_error_status_is_a_backend_error_with_the_status_and_an_excerpt_but_no_key() {
    std::env::set_var("ASTRA_TEST_KEY_FOR_429", "sk-secret-429");
    let body = r#"{"error":{"message":"Rate limit reached for requests","type":"requests"}}"#;
    let server = fake_server(Reply::With("429 Too Many Requests", body)).await;
    let settings = settings(&server.url, "ASTRA_TEST_KEY_FOR_429");
    let model = chat_model(&settings, "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let err = model.complete(request()).await.unwrap_err();

    let ModelError::Backend(message) = &err else {
        panic!("expected Backend, got {err:?}")
    };
    assert!(message.contains("429"), "{message}");
    assert!(message.contains("Rate limit reached"), "{message}");
    assert!(!format!("{err:?}").contains("sk-secret-429"));
}

#[tokio::test]
async fn a_hanging_endpoint_times_out_after_timeout_ms() {
    let server = fake_server(Reply::Hang).await;
    let mut settings = settings(&server.url, "ASTRA_TEST_KEY_THAT_IS_NEVER_SET");
    settings.timeout_ms = 300;
    let model = chat_model(&settings, "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let started = Instant::now();
    let err = model.complete(request()).await.unwrap_err();

    assert!(matches!(err, ModelError::Timeout), "{err:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(280) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn garbage_instead_of_json_is_a_backend_error() {
    let server = fake_server(Reply::With("200 OK", "<html>upstream proxy says no</html>")).await;
    let model = chat_model(&settings(&server.url, "UNSET_KEY"), "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let err = model.complete(request()).await.unwrap_err();

    let ModelError::Backend(message) = &err else {
        panic!("expected Backend, got {err:?}")
    };
    assert!(
        message.contains("not JSON") && message.contains("upstream proxy"),
        "{message}"
    );
}

#[tokio::test]
async fn json_without_a_message_is_a_backend_error() {
    let server = fake_server(Reply::With("200 OK", r#"{"choices":[]}"#)).await;
    let model = chat_model(&settings(&server.url, "UNSET_KEY"), "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let err = model.complete(request()).await.unwrap_err();

    let ModelError::Backend(message) = &err else {
        panic!("expected Backend, got {err:?}")
    };
    assert!(message.contains("choices[0].message.content"), "{message}");
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let model = chat_model(&settings(&url, "UNSET_KEY"), "/nonexistent".as_ref())
        .await
        .unwrap()
        .unwrap();

    let err = model.complete(request()).await.unwrap_err();

    assert!(matches!(err, ModelError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn openai_without_a_url_is_refused_at_start_up() {
    let settings = LlmSettings {
        backend: LlmBackendKind::Openai,
        ..LlmSettings::default()
    };
    let err = chat_model(&settings, "/nonexistent".as_ref())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("needs `url`"), "{err}");
}
