//! The fake's gateway: one websocket connection at a time, speaking Discord's opcodes
//! in plain-text JSON frames. HELLO on connect; IDENTIFY → READY; RESUME → RESUMED;
//! heartbeat → ack. Frames a test pushes go out as they are.

use super::{rest, GatewayOp, State, APP_ID, BOT_ID, GUILD_ID};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxumState;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a test sends down the current connection.
pub enum Out {
    Text(String),
    /// close the TCP connection without a close frame
    Drop,
}

pub async fn serve(state: Arc<State>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(upgrade)).with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

async fn upgrade(ws: WebSocketUpgrade, AxumState(state): AxumState<Arc<State>>) -> Response {
    ws.on_upgrade(move |socket| connection(socket, state))
}

async fn connection(mut ws: WebSocket, state: Arc<State>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The connection ends when its senders are gone: replaced by a newer connection,
    // as `socket` and, once it identified, as its shard's entry in `shards`.
    let this = tx.downgrade();
    *state.socket.lock().unwrap() = Some(tx);
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 2000}});
    if ws.send(text(hello)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Text(t)) => {
                    if ws.send(Message::Text(t.into())).await.is_err() {
                        return;
                    }
                }
                Some(Out::Drop) | None => return,
            },
            frame = ws.recv() => {
                let Some(Ok(Message::Text(t))) = frame else {
                    match frame {
                        Some(Ok(_)) => continue,
                        _ => return,
                    }
                };
                let Ok(payload) = serde_json::from_str::<Value>(&t) else { continue };
                if let (Some(2), Some(tx)) = (payload["op"].as_u64(), this.upgrade()) {
                    // IDENTIFY: this connection is now its shard's (an older one is let go)
                    let shard = &payload["d"]["shard"];
                    let (id, total) = (shard[0].as_u64().unwrap_or(0), shard[1].as_u64().unwrap_or(1));
                    let mut shards = state.shards.lock().unwrap();
                    shards.retain(|(other, _, _)| *other != id);
                    shards.push((id, total, tx));
                }
                if let Some(reply) = answer(&state, &payload) {
                    if ws.send(text(reply)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

/// The fake's answer to what the client sent.
fn answer(state: &State, payload: &Value) -> Option<Value> {
    let d = &payload["d"];
    match payload["op"].as_u64()? {
        // heartbeat
        1 => Some(json!({"op": 11})),
        // identify
        2 => {
            state.op(GatewayOp::Identify {
                intents: d["intents"].as_u64().unwrap_or(0),
                shard: d["shard"].clone(),
            });
            let seq = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
            let url = state.gateway_url.lock().unwrap().clone();
            Some(json!({"op": 0, "t": "READY", "s": seq, "d": {
                "v": 10,
                "user": rest::user_json(BOT_ID, "Astra", true),
                "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
                "session_id": "fake-session",
                "resume_gateway_url": url,
                "shard": d["shard"].clone(),
                "application": {"id": APP_ID.to_string(), "flags": 0},
            }}))
        }
        // resume
        6 => {
            state.op(GatewayOp::Resume {
                session_id: d["session_id"].as_str().unwrap_or_default().to_string(),
                seq: d["seq"].as_u64().unwrap_or(0),
            });
            let seq = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
            Some(json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}))
        }
        _ => None,
    }
}
