//! The Realtime API: a spoken conversation over a WebSocket, for OpenAI's and Azure's realtime
//! clients. `connect` checks the caller and the deployment before the upgrade (a wrong key is
//! a plain 401), then [`session`] runs the conversation on the same voice pipeline as chat
//! completions.

mod audio;
mod budget;
mod conversation;
mod input;
mod report;
mod response;
pub mod secrets;
mod session;
mod socket;

use std::collections::HashMap;

use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use vox_protocol::realtime::Dialect;

use crate::auth::Verdict;
use crate::context::RouteFamily;
use crate::engines::RequiredEngines;
use crate::error::{ApiError, EngineKind, ErrorShape};
use crate::settings::Deployment;
use crate::state::AppState;

pub use secrets::{ClientSecrets, Grant};

/// The subprotocol browsers offer; the server must select it.
const SUBPROTOCOL: &str = "realtime";
/// A browser's key, as a subprotocol (browsers cannot set headers on a WebSocket).
const KEY_SUBPROTOCOL: &str = "openai-insecure-api-key.";
const BETA_SUBPROTOCOL: &str = "openai-beta.realtime-v1";
/// Client events larger than this are refused: an error event naming the limit, then close
/// 1009 (OpenAI caps an append at 15 MiB).
pub(crate) const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

type Params = Query<HashMap<String, String>>;
type Upgrade = Result<WebSocketUpgrade, WebSocketUpgradeRejection>;

/// `GET /v1/realtime?model=M`
pub async fn openai(
    State(state): State<AppState>,
    Query(query): Params,
    headers: HeaderMap,
    ws: Upgrade,
) -> Response {
    let model = query.get("model").cloned();
    connect(&state, RouteFamily::OpenAi, model, &query, &headers, ws).await
}

/// `GET /openai/v1/realtime?model=D` (Azure GA)
pub async fn azure_v1(
    State(state): State<AppState>,
    Query(query): Params,
    headers: HeaderMap,
    ws: Upgrade,
) -> Response {
    let model = query.get("model").cloned();
    connect(&state, RouteFamily::AzureV1, model, &query, &headers, ws).await
}

/// `GET /openai/realtime?api-version=V&deployment=D` (Azure preview)
pub async fn azure_preview(
    State(state): State<AppState>,
    Query(query): Params,
    headers: HeaderMap,
    ws: Upgrade,
) -> Response {
    if query.get("api-version").is_none_or(|v| v.is_empty()) {
        return ApiError::azure_resource_not_found().into_response();
    }
    let Some(deployment) = query.get("deployment").cloned() else {
        return ApiError::azure_resource_not_found().into_response();
    };
    connect(
        &state,
        RouteFamily::AzureDeployment(deployment.clone()),
        Some(deployment),
        &query,
        &headers,
        ws,
    )
    .await
}

async fn connect(
    state: &AppState,
    family: RouteFamily,
    model: Option<String>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    ws: Upgrade,
) -> Response {
    match prepare(state, &family, model, query, headers).await {
        Ok(setup) => match ws {
            Ok(ws) => upgrade(ws, setup),
            Err(_) => ApiError::websocket_expected()
                .shaped(family.error_shape())
                .into_response(),
        },
        Err(err) => err.into_response(),
    }
}

async fn prepare(
    state: &AppState,
    family: &RouteFamily,
    model: Option<String>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<session::Setup, ApiError> {
    let shape = family.error_shape();
    let protocols = offered_protocols(headers);
    let grant = authenticate(state, shape, headers, query, &protocols).await?;
    if !state.has_started() {
        return Err(ApiError::not_ready());
    }
    let held = state
        .callers()
        .admit_session(&grant.name)
        .map_err(|refusal| crate::auth::limits_response::error(&refusal).0.shaped(shape))?;
    let model = model.unwrap_or_else(|| crate::defaults::REALTIME_DEPLOYMENT.to_string());
    let deployment = find_deployment(state, family, &model)?;
    let engines = state.engines_for(deployment);
    let engines = session::Engines {
        transcriber: RequiredEngines::transcriber(engines)?,
        chat: engines
            .chat
            .clone()
            .filter(|e| e.is_working())
            .ok_or(ApiError::engine_unavailable(EngineKind::ChatModel))?,
        synthesizer: RequiredEngines::synthesizer(engines)?,
        vad: engines.vad.clone(),
        turn_end: engines.turn_end.clone(),
    };
    // A session opened on a saturated server could not answer within the bound: refused
    // before the upgrade, as a chat completion would be, with Retry-After.
    let expected = engines.transcriber.expected_wait()
        + engines.chat.expected_wait()
        + engines.synthesizer.expected_wait()
        + state.spoken_answers().expected_wait();
    crate::engines::admit(state, expected).map_err(|e| e.shaped(shape))?;
    let beta = headers
        .get_all("openai-beta")
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("realtime=v1")))
        || protocols.iter().any(|p| p == BETA_SUBPROTOCOL);
    Ok(session::Setup {
        state: state.clone(),
        model,
        dialect: if beta { Dialect::Beta } else { Dialect::Ga },
        grant,
        engines,
        held,
        subprotocol: protocols.iter().any(|p| p == SUBPROTOCOL),
        transcription: query
            .get("intent")
            .is_some_and(|intent| intent == "transcription"),
        spoken_style: deployment.spoken_style().map(str::to_string),
    })
}

fn upgrade(ws: WebSocketUpgrade, setup: session::Setup) -> Response {
    let mut ws = ws
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES);
    if setup.subprotocol {
        ws.set_selected_protocol(HeaderValue::from_static(SUBPROTOCOL));
    }
    ws.on_upgrade(move |socket| session::run(socket, setup))
}

/// The key in a header, the `api-key` query parameter or the key subprotocol; a live client
/// secret opens a session as the caller that minted it.
async fn authenticate(
    state: &AppState,
    shape: ErrorShape,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    protocols: &[String],
) -> Result<Grant, ApiError> {
    let mut presented = headers.clone();
    let browser_key = query.get("api-key").cloned().or_else(|| {
        protocols
            .iter()
            .find_map(|p| p.strip_prefix(KEY_SUBPROTOCOL).map(str::to_string))
    });
    // Beside, never instead of, the headers' credentials: all must agree.
    if let Some(key) = browser_key {
        let value = HeaderValue::from_str(&key).unwrap_or(HeaderValue::from_static("unreadable-key"));
        presented.append("api-key", value);
    }
    if let Some(key) = crate::auth::sole_key(&presented)
        && let Some(grant) = state.client_secrets().grant(key)
    {
        return Ok(grant);
    }
    let settings = state.settings();
    match crate::auth::authenticate(&settings.keys, &settings.issuers, &presented).await {
        Verdict::Allowed(caller) => Ok(Grant {
            owner: caller.owner,
            name: caller.name,
            session: serde_json::Value::Null,
        }),
        refused => Err(ApiError::refused(shape, refused)),
    }
}

fn find_deployment<'a>(
    state: &'a AppState,
    family: &RouteFamily,
    model: &str,
) -> Result<&'a Deployment, ApiError> {
    let found = state.settings().deployment(model);
    match family {
        RouteFamily::AzureDeployment(_) => found.ok_or_else(ApiError::deployment_not_found),
        _ => found.ok_or_else(|| ApiError::model_not_found(model)),
    }
}

fn offered_protocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `POST /v1/realtime/client_secrets` (GA): `{expires_after: {anchor, seconds}, session}` ->
/// `{value, expires_at, session}`.
pub async fn client_secret(
    State(state): State<AppState>,
    context: crate::context::RequestContext,
    body: crate::body::JsonBody<serde_json::Value>,
) -> Result<Response, ApiError> {
    let body = body.0;
    let seconds = body
        .get("expires_after")
        .and_then(|e| e.get("seconds"))
        .map(|s| {
            s.as_u64()
                .ok_or_else(|| secret_ttl_error("expires_after.seconds"))
        })
        .transpose()?;
    let session = body.get("session").cloned().unwrap_or(serde_json::Value::Null);
    let minted = mint(
        &state,
        &context,
        session,
        seconds,
        "expires_after.seconds",
        Dialect::Ga,
    )?;
    Ok(axum::Json(serde_json::json!({
        "value": minted.value,
        "expires_at": minted.expires_at,
        "session": minted.session,
    }))
    .into_response())
}

/// `POST /v1/realtime/sessions` (beta): a session's settings -> the session with its
/// `client_secret: {value, expires_at}`.
pub async fn beta_session(
    State(state): State<AppState>,
    context: crate::context::RequestContext,
    body: crate::body::JsonBody<serde_json::Value>,
) -> Result<Response, ApiError> {
    let minted = mint(&state, &context, body.0, None, "expires_after", Dialect::Beta)?;
    let mut session = minted.session;
    session["client_secret"] = serde_json::json!({"value": minted.value, "expires_at": minted.expires_at});
    Ok((StatusCode::OK, axum::Json(session)).into_response())
}

struct Minted {
    value: String,
    expires_at: u64,
    session: serde_json::Value,
}

fn mint(
    state: &AppState,
    context: &crate::context::RequestContext,
    session: serde_json::Value,
    seconds: Option<u64>,
    ttl_param: &str,
    dialect: Dialect,
) -> Result<Minted, ApiError> {
    let ttl = seconds.map_or(secrets::DEFAULT_TTL, std::time::Duration::from_secs);
    if !(secrets::MIN_TTL..=secrets::MAX_TTL).contains(&ttl) {
        return Err(secret_ttl_error(ttl_param));
    }
    let model = session
        .get("model")
        .and_then(|m| m.as_str())
        .unwrap_or(crate::defaults::REALTIME_DEPLOYMENT)
        .to_string();
    if state.settings().deployment(&model).is_none() {
        return Err(ApiError::model_not_found(&model));
    }
    let expires_at = crate::state::unix_now() + ttl.as_secs();
    let config =
        vox_protocol::realtime::SessionConfig::new(vox_protocol::realtime::new_id("sess"), model, expires_at);
    let config = match &session {
        serde_json::Value::Null => config,
        update => config.update(update).map_err(ApiError::realtime)?,
    };
    let grant = Grant {
        owner: context.caller.clone(),
        name: context.caller_name.clone(),
        session,
    };
    let value = state
        .client_secrets()
        .mint(grant, ttl)
        .ok_or_else(|| ApiError::busy(60))?;
    Ok(Minted {
        value,
        expires_at,
        session: config.to_json(dialect),
    })
}

fn secret_ttl_error(param: &str) -> ApiError {
    vox_protocol::ProtocolError::invalid(
        format!(
            "Invalid '{param}': expected an integer between {} and {} seconds.",
            secrets::MIN_TTL.as_secs(),
            secrets::MAX_TTL.as_secs()
        ),
        param,
        "integer_out_of_range",
    )
    .into()
}
