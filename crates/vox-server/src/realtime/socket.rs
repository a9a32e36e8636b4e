//! The socket's writing half: server events out in the client's protocol generation, a ping
//! every few seconds, and a close frame that says why the server ended the session.
//!
//! Every write has a deadline: a peer that stops reading fills its socket's buffers, the next
//! write cannot go out within [`WRITE_DEADLINE`], and the writer gives up; the session sees its
//! writer gone and ends, dropping the connection. So no caller holds a connection, a descriptor
//! and kernel buffers by not reading.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::sync::mpsc;
use vox_protocol::realtime::{Dialect, ServerEvent};

/// Keeps proxies from dropping a quiet session and lets the reader notice a dead peer.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// The longest one frame may take to go out before the peer counts as gone.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// The longest the closing frame may take: the peer may already have stopped reading.
const CLOSE_DEADLINE: Duration = Duration::from_secs(2);
/// The close code when the session ended without a reason of its own (the client closed).
const CLOSE_NORMAL: u16 = 1000;

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
                    let _ = tokio::time::timeout(CLOSE_DEADLINE, sink.send(Message::Close(Some(frame)))).await;
                    break;
                }
                // The session ended without saying why (the client closed, or its socket broke).
                None => {
                    let frame = CloseFrame { code: CLOSE_NORMAL, reason: "".into() };
                    let _ = tokio::time::timeout(CLOSE_DEADLINE, sink.send(Message::Close(Some(frame)))).await;
                    break;
                }
            },
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        match tokio::time::timeout(WRITE_DEADLINE, sink.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                tracing::info!("realtime client stopped reading: connection dropped");
                break;
            }
        }
    }
}
