//! `POST /chat/completions`.

use axum::extract::State;
use axum::response::Response;
use vox_protocol::chat::request::ChatCompletionRequest;
use vox_protocol::chat::validate::{ChatLimits, ValidChatRequest, validate_chat_request};

use crate::body::SizedJsonBody;
use crate::chat::{self, AudioHistory};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::state::{AppState, unix_now};

/// Chat completion with optional audio in and out (gpt-4o-audio-preview's contract). Also served
/// at `/openai/v1/chat/completions` and `/openai/deployments/{deployment}/chat/completions`.
/// With `stream: true` the answer is a `text/event-stream` of `chat.completion.chunk` objects.
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "chat",
    request_body = ChatCompletionRequest,
    responses(
        (status = 200, description = "The answer", body = vox_protocol::chat::response::ChatCompletion),
        (status = 400, description = "Invalid request", body = vox_protocol::error::ErrorEnvelope),
        (status = 401, description = "Missing or wrong key", body = vox_protocol::error::ErrorEnvelope),
        (status = 404, description = "Unknown model", body = vox_protocol::error::ErrorEnvelope),
        (status = 413, description = "Body or audio over the limit", body = vox_protocol::error::ErrorEnvelope),
        (status = 503, description = "Engine not loaded or not ready", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    body: SizedJsonBody<ChatCompletionRequest>,
) -> Result<Response, ApiError> {
    let SizedJsonBody {
        value: request,
        bytes,
    } = body;
    let deployment = context.deployment(&state, request.model.as_deref())?;
    let voices = state.voice_names(deployment);
    let limits = ChatLimits {
        voices: &voices,
        max_audio_bytes: state.settings().max_audio_bytes,
        require_audio: deployment.require_audio,
    };
    let request = validate_chat_request(request, &limits)?;
    // The body limit makes room for 20 MB of audio; a body without any gets only the room
    // audio leaves beside it, before its text costs anything.
    let text_limit = crate::defaults::BODY_OVERHEAD_BYTES;
    if !request.has_audio_input() && bytes > text_limit {
        return Err(ApiError::text_body_too_large(text_limit));
    }
    let history = audio_history(&state, &context, &request).await?;
    let model = request.model.clone().unwrap_or_else(|| deployment.name.clone());
    let engines = state.engines_for(deployment);
    let spoken_style = deployment.spoken_style();
    chat::respond(&state, engines, &context, model, request, history, spoken_style).await
}

/// The transcript behind every assistant `audio.id`, which must be this caller's and still
/// alive; another key's id is indistinguishable from an unknown one.
async fn audio_history(
    state: &AppState,
    context: &RequestContext,
    request: &ValidChatRequest,
) -> Result<AudioHistory, ApiError> {
    let now = unix_now();
    let mut history = AudioHistory::new();
    for message in &request.messages {
        let Some(id) = &message.audio_ref else { continue };
        match state.store().get(id, &context.caller, now).await? {
            Some(record) => history.insert(id.clone(), record.transcript),
            None => return Err(ApiError::audio_not_found(id, &message.param)),
        };
    }
    Ok(history)
}
