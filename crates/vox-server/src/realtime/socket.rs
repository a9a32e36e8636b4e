//! The socket's writing half: server events out in the client's protocol generation, a ping
//! every few seconds, and a close frame that says why the server ended the session.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::sync::mpsc;
use vox_protocol::realtime::{Dialect, ServerEvent};

/// Keeps proxies from dropping a quiet session and lets the reader notice a dead peer.
pub const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

pub enum Outgoing {
    Event(Box<ServerEvent>),
    Close { code: u16, reason: String },
}

pub async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    dialect: Dialect,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let message = tokio::select! {
            next = outgoing.recv() => match next {
                Some(Outgoing::Event(event)) => match event.to_json(dialect) {
                    Some(json) => Message::Text(json.to_string().into()),
                    None => continue,
                },
                Some(Outgoing::Close { code, reason }) => {
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
                None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
}
