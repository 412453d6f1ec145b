//! The fake's REST API over TLS: the routes serenity calls for the gateway URL,
//! command registration, messages, reactions, members, bans, bulk delete and
//! interaction callbacks/webhooks. Each request is recorded; each answer carries the
//! fields serenity's models need. Unknown routes get Discord's 404.

use super::{Request, State, APP_ID, BOT_ID, GUILD_ID};
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Start the HTTPS listener; returns its address and the certificate (DER) to trust.
pub async fn serve(state: Arc<State>) -> (SocketAddr, Vec<u8>) {
    let made = rcgen::generate_simple_self_signed(vec!["discord.com".to_string()]).unwrap();
    let cert_der = made.cert.der().to_vec();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone().into()], key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let app = Router::new().fallback(handle).with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, cert_der)
}

/// The same API over plain HTTP (serenity's `proxy` mode sends every request to
/// `http://ADDR/api/v10/...`): how a separate `astra` process reaches the fake.
pub async fn serve_plain(state: Arc<State>) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let app = Router::new().fallback(handle).with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(tcp, app).await;
    });
    addr
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

pub fn user_json(id: u64, name: &str, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0",
           "global_name": null, "avatar": null, "bot": bot})
}

pub fn message_json(
    id: u64,
    channel: u64,
    author: u64,
    name: &str,
    content: &str,
    guild: Option<u64>,
) -> Value {
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel.to_string(),
        "author": user_json(author, name, author == BOT_ID),
        "content": content, "timestamp": "2024-01-01T00:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": content.contains("@everyone"),
        "mentions": mentions(content), "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0,
    });
    if let Some(g) = guild {
        m["guild_id"] = json!(g.to_string());
        m["member"] = json!({"roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
                             "deaf": false, "mute": false, "flags": 0});
    }
    m
}

/// `<@id>` in the text, as the users Discord would list.
fn mentions(content: &str) -> Vec<Value> {
    content
        .split("<@")
        .skip(1)
        .filter_map(|rest| {
            rest.split('>')
                .next()?
                .trim_start_matches('!')
                .parse::<u64>()
                .ok()
        })
        .map(|id| {
            user_json(
                id,
                if id == BOT_ID { "Astra" } else { "someone" },
                id == BOT_ID,
            )
        })
        .collect()
}

fn member_json(user: u64) -> Value {
    json!({"user": user_json(user, "someone", false), "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
           "deaf": false, "mute": false, "flags": 0, "guild_id": GUILD_ID.to_string()})
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Routes that Discord rate-limits per bucket (and that the fake may answer with 429).
fn limitable(method: &Method, segs: &[&str]) -> bool {
    matches!(
        (method.as_str(), segs),
        ("POST", ["channels", _, "messages"])
            | ("DELETE", ["channels", _, "messages", _])
            | ("POST", ["channels", _, "messages", "bulk-delete"])
            | ("PUT", ["channels", _, "messages", _, "reactions", _, "@me"])
            | ("PATCH" | "DELETE", ["guilds", _, "members", _])
            | ("PUT", ["guilds", _, "bans", _])
    )
}

async fn handle(
    AxumState(state): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri
        .path()
        .strip_prefix("/api/v10")
        .unwrap_or(uri.path())
        .to_string();
    let full = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();

    let every = state.limit_every.load(Ordering::Relaxed);
    if every > 0
        && limitable(&method, &segs)
        && (state.counted.fetch_add(1, Ordering::SeqCst) + 1) % every == 0
    {
        state.record(Request {
            method: method.to_string(),
            path: full,
            body,
            limited: true,
        });
        let retry = 0.05;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry.to_string()), ("x-ratelimit-scope", "user".to_string())],
            axum::Json(json!({"message": "You are being rate limited.", "retry_after": retry, "global": false})),
        )
            .into_response();
    }
    state.record(Request {
        method: method.to_string(),
        path: full,
        body: body.clone(),
        limited: false,
    });

    let delay = state
        .slow
        .lock()
        .unwrap()
        .iter()
        .find(|(m, p, _)| m == method.as_str() && path.contains(p.as_str()))
        .map(|(_, _, d)| *d);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let refused = state
        .refused
        .lock()
        .unwrap()
        .iter()
        .any(|(m, p)| m == method.as_str() && path.contains(p.as_str()));
    if refused {
        let error = json!({"message": "Missing Permissions", "code": 50013});
        return (StatusCode::FORBIDDEN, axum::Json(error)).into_response();
    }
    let gateway = state.gateway_url.lock().unwrap().clone();
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": gateway})),
        ("GET", ["gateway", "bot"]) => {
            ok(json!({"url": gateway, "shards": 1, "session_start_limit":
            {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}))
        }
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let registered: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!(state.snowflake().to_string());
                    c["application_id"] = json!(APP_ID.to_string());
                    c["version"] = json!("1");
                    c["type"] = json!(1);
                    c
                })
                .collect();
            ok(Value::Array(registered))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let content = body["content"].as_str().unwrap_or_default();
            let channel = channel.parse().unwrap_or(0);
            ok(message_json(
                state.snowflake(),
                channel,
                BOT_ID,
                "Astra",
                content,
                Some(GUILD_ID),
            ))
        }
        ("GET", ["channels", channel, "messages"]) => {
            let limit: usize = uri
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("limit=")))
                .and_then(|n| n.parse().ok())
                .unwrap_or(50);
            let channel = channel.parse().unwrap_or(0);
            ok(Value::Array(
                (0..limit)
                    .map(|i| {
                        message_json(
                            state.snowflake(),
                            channel,
                            1,
                            "someone",
                            &format!("old {i}"),
                            None,
                        )
                    })
                    .collect(),
            ))
        }
        ("POST", ["channels", _, "messages", "bulk-delete"])
        | ("DELETE", ["channels", _, "messages", _])
        | ("PUT", ["channels", _, "messages", _, "reactions", _, "@me"])
        | ("DELETE", ["guilds", _, "members", _])
        | ("PUT", ["guilds", _, "bans", _])
        | ("POST", ["interactions", _, _, "callback"])
        | ("DELETE", ["webhooks", _, _, "messages", "@original"]) => no_content(),
        ("PATCH", ["guilds", _, "members", user]) => ok(member_json(user.parse().unwrap_or(1))),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            let content = body["content"].as_str().unwrap_or_default();
            ok(message_json(
                state.snowflake(),
                super::CHANNEL_ID,
                BOT_ID,
                "Astra",
                content,
                Some(GUILD_ID),
            ))
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "404: Not Found", "code": 0})),
        )
            .into_response(),
    }
}
