//! The chat playground: a web page, compiled into the binary, where a person talks to Vox.
//!
//! The page is plain ES modules and CSS (`crates/vox-server/playground/`), served from the same
//! origin as the API it calls, so nothing is fetched from elsewhere and no build step exists.
//! It drives the public API exactly as an SDK user does (chat completions, voices, models, the
//! realtime socket), keeping the caller's key in the browser.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use crate::error::ApiError;
use crate::settings::defaults;
use crate::state::AppState;

/// One file of the page.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!("../playground/", $path)),
        }
    };
}

/// Every file of `playground/`; a test checks that none is missing.
pub const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("playground.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/main.mjs", "text/javascript; charset=utf-8"),
    asset!("js/api.mjs", "text/javascript; charset=utf-8"),
    asset!("js/errors.mjs", "text/javascript; charset=utf-8"),
    asset!("js/sse.mjs", "text/javascript; charset=utf-8"),
    asset!("js/audio-bytes.mjs", "text/javascript; charset=utf-8"),
    asset!("js/pcm-player.mjs", "text/javascript; charset=utf-8"),
    asset!("js/recorder.mjs", "text/javascript; charset=utf-8"),
    asset!("js/conversation.mjs", "text/javascript; charset=utf-8"),
    asset!("js/answer.mjs", "text/javascript; charset=utf-8"),
    asset!("js/chat-log.mjs", "text/javascript; charset=utf-8"),
    asset!("js/settings.mjs", "text/javascript; charset=utf-8"),
    asset!("js/attachments.mjs", "text/javascript; charset=utf-8"),
    asset!("js/code-view.mjs", "text/javascript; charset=utf-8"),
    asset!("js/call.mjs", "text/javascript; charset=utf-8"),
    asset!("js/capture-worklet.js", "text/javascript; charset=utf-8"),
];

/// Only this origin's own files, scripts and sockets; no inline script or style, no framing.
/// `'self'` in `connect-src` covers the same host's `ws:`/`wss:` (CSP Level 3); `blob:` lets the
/// page read back the answers it holds.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self' blob:; connect-src 'self' blob:; font-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `/`, `/playground` and the page's files; absent with `--no-playground`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route(
            "/playground",
            get(|| async { Redirect::permanent("/playground/") }),
        )
        .route("/playground/", get(page))
        .route("/playground/config.json", get(config))
        .route("/playground/{*path}", get(file))
}

async fn page() -> Response {
    serve(find("index.html").expect("index.html is compiled in"))
}

async fn file(Path(path): Path<String>) -> Response {
    match find(&path) {
        Some(asset) => serve(asset),
        None => ApiError::route_not_found("GET", &format!("/playground/{path}")).into_response(),
    }
}

pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

fn serve(asset: &'static Asset) -> Response {
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The page changes with the binary: revalidate rather than run an old script on a new server.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The microphone for this origin only; nothing else the page does not use.
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("microphone=(self), camera=(), geolocation=()"),
    );
    response
}

/// What the page needs to know before its first API call.
#[derive(Serialize)]
struct PageConfig {
    /// Requests need a key or token (the key field then matters).
    key_required: bool,
    /// The largest input audio the server accepts; the page refuses larger files itself.
    max_audio_bytes: usize,
    /// The deployment the voice call opens.
    realtime_deployment: &'static str,
}

async fn config(State(state): State<AppState>) -> Json<PageConfig> {
    let settings = state.settings();
    Json(PageConfig {
        key_required: !settings.keys.is_open() || !settings.issuers.is_empty(),
        max_audio_bytes: settings.max_audio_bytes,
        realtime_deployment: defaults::REALTIME_DEPLOYMENT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_page_is_compiled_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground");
        let mut on_disk = Vec::new();
        collect_files(&root, &root, &mut on_disk);
        for path in &on_disk {
            assert!(find(path).is_some(), "playground/{path} is not in ASSETS");
        }
        assert_eq!(on_disk.len(), ASSETS.len(), "ASSETS names a file twice");
    }

    fn collect_files(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_files(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }

    #[test]
    fn the_page_loads_no_script_or_style_from_elsewhere() {
        let html = std::str::from_utf8(find("index.html").unwrap().body).unwrap();
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "index.html names another origin"
        );
        assert!(
            !html.contains("<script>"),
            "inline scripts are refused by the page's policy"
        );
        assert!(
            !html.contains("style="),
            "inline styles are refused by the page's policy"
        );
    }
}
