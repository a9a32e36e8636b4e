//! `POST /chat/completions`.

use axum::extract::State;
use axum::response::Response;
use vox_protocol::chat::request::ChatCompletionRequest;
use vox_protocol::chat::validate::{ChatLimits, ValidChatRequest, validate_chat_request};

use crate::body::JsonBody;
use crate::chat;
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
    JsonBody(request): JsonBody<ChatCompletionRequest>,
) -> Result<Response, ApiError> {
    let deployment = context.deployment(&state, request.model.as_deref())?;
    let voices = state.voice_names();
    let limits = ChatLimits {
        voices: &voices,
        max_audio_bytes: state.settings().max_audio_bytes,
        require_audio: deployment.require_audio,
    };
    let request = validate_chat_request(request, &limits)?;
    check_audio_history(&state, &context, &request).await?;
    let model = request.model.clone().unwrap_or_else(|| deployment.name.clone());
    chat::respond(&state, &context, model, request).await
}

/// Every assistant `audio.id` must be this caller's and still alive; another key's id is
/// indistinguishable from an unknown one.
async fn check_audio_history(
    state: &AppState,
    context: &RequestContext,
    request: &ValidChatRequest,
) -> Result<(), ApiError> {
    let now = unix_now();
    for message in &request.messages {
        let Some(id) = &message.audio_ref else { continue };
        if state.store().get(id, &context.caller, now).await?.is_none() {
            return Err(ApiError::audio_not_found(id, &message.param));
        }
    }
    Ok(())
}
