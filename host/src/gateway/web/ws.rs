//! `GET /api/live`: the live stream as a WebSocket. On connect the tab gets the recent
//! chat, then every event as the hub broadcasts it (JSON text frames, each with a
//! `seq`). The stream is one-way: chat goes in through `POST /api/say`. A tab that
//! falls too far behind is told how many events it missed and carries on; the socket
//! closes when the server stops.

use super::Web;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

pub async fn live(ws: WebSocketUpgrade, State(web): State<Web>) -> Response {
    ws.on_upgrade(move |socket| session(socket, web))
}

async fn session(mut socket: WebSocket, web: Web) {
    let (mut events, recent) = web.inner.hub.subscribe();
    let mut closing = web.inner.closing.subscribe();
    for event in recent {
        if socket.send(Message::Text((&*event).into())).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            // (the guard `wait_for` returns must not live across the `.await` below)
            () = async { drop(closing.wait_for(|closing| *closing).await) } => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            event = events.recv() => {
                let text = match event {
                    Ok(event) => (&*event).into(),
                    Err(RecvError::Lagged(missed)) => {
                        serde_json::json!({ "type": "lagged", "missed": missed }).to_string().into()
                    }
                    Err(RecvError::Closed) => return,
                };
                if socket.send(Message::Text(text)).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                // Pings are answered by axum; anything else from the tab is ignored.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
