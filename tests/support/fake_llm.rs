//! A fake OpenAI-compatible chat-completions server on 127.0.0.1 port 0, for tests of
//! how the host behaves when the model hangs, answers garbage, fails, or echoes the
//! credentials it was sent. Included by the tests that need it with `#[path]`.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake does with each request.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// a proper answer: `{"choices":[{"message":{"content":"fake answer"}}]}`
    Answer,
    /// read the request, then say nothing for an hour
    Hang,
    /// HTTP 200 with a body that is not JSON
    Garbage,
    /// HTTP 500 with an error body
    Error,
    /// HTTP 401 whose body repeats the request's Authorization header (a badly
    /// behaved proxy)
    EchoCredentials,
}

pub struct FakeLlm {
    /// the API base for `[llm] url`
    pub url: String,
    pub requests: Arc<AtomicU64>,
    /// the last request's head (request line and headers)
    pub last_head: Arc<Mutex<String>>,
}

pub async fn start(behaviour: Behaviour) -> FakeLlm {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicU64::new(0));
    let last_head = Arc::new(Mutex::new(String::new()));
    let (count, head) = (requests.clone(), last_head.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket, behaviour, count.clone(), head.clone()));
        }
    });
    FakeLlm {
        url,
        requests,
        last_head,
    }
}

async fn answer(
    mut socket: TcpStream,
    behaviour: Behaviour,
    count: Arc<AtomicU64>,
    last_head: Arc<Mutex<String>>,
) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let body_start = loop {
        let Ok(n) = socket.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..body_start]).into_owned();
    let length: usize = head
        .to_lowercase()
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while request.len() < body_start + length {
        let Ok(n) = socket.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
    }
    count.fetch_add(1, Ordering::SeqCst);
    *last_head.lock().unwrap() = head.clone();
    let (status, body) = match behaviour {
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Behaviour::Answer => (
            "200 OK",
            r#"{"choices":[{"message":{"role":"assistant","content":"fake answer"}}]}"#.to_string(),
        ),
        Behaviour::Garbage => ("200 OK", "\u{0}\u{1}<html>not json at all".to_string()),
        Behaviour::Error => (
            "500 Internal Server Error",
            r#"{"error":"overloaded"}"#.to_string(),
        ),
        Behaviour::EchoCredentials => {
            let auth = head
                .lines()
                .find(|l| l.to_lowercase().starts_with("authorization:"))
                .unwrap_or("no authorization header")
                .to_string();
            (
                "401 Unauthorized",
                format!(r#"{{"error":{{"message":"Incorrect API key provided in `{auth}`"}}}}"#),
            )
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}
