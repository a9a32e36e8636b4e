//! What the realtime fuzzer checks for any message a client may send: parsing it, and applying
//! what it carries to a session's settings, an item or a response, ends in a value or an error
//! event, never a panic, and an error event always fits in a small frame (a flood is never
//! echoed back).

use vox_protocol::realtime::{ClientEvent, Dialect, Item, RealtimeError, ResponseRequest, SessionConfig};

/// Generous for any real message; a flood echoed back would be far over it.
const MAX_ERROR_BYTES: usize = 4096;

pub fn check(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match ClientEvent::parse(text) {
        Ok(received) => apply(received.event),
        Err(err) => small(&err),
    }
}

fn apply(event: ClientEvent) {
    let session = SessionConfig::new("sess_fuzz".into(), "gpt-realtime".into(), 0);
    match event {
        ClientEvent::SessionUpdate { session: update } => match session.update(&update) {
            Ok(updated) => {
                let _ = updated.to_json(Dialect::Ga);
                let _ = updated.to_json(Dialect::Beta);
            }
            Err(err) => small(&err),
        },
        ClientEvent::CreateItem { item, .. } => {
            if let Err(err) = Item::parse(&item) {
                small(&err);
            }
        }
        ClientEvent::CreateResponse { response } => {
            if let Err(err) = ResponseRequest::parse(response.as_ref()) {
                small(&err);
            }
            if let Some(response) = &response
                && let Err(err) = session.for_response(response)
            {
                small(&err);
            }
        }
        _ => {}
    }
}

fn small(err: &RealtimeError) {
    let size = err.message.len() + err.param.as_ref().map_or(0, String::len);
    assert!(
        size <= MAX_ERROR_BYTES,
        "an error of {size} bytes: {}",
        shown(&err.message)
    );
}

fn shown(text: &str) -> String {
    text.chars().take(200).collect()
}
