//! `POST /audio/speech`.

use axum::extract::State;
use axum::response::Response;
use vox_protocol::speech::{SpeechRequest, validate_speech_request};

use crate::body::JsonBody;
use crate::context::RequestContext;
use crate::engines::RequiredEngines;
use crate::error::{ApiError, EngineKind};
use crate::state::AppState;

/// Text to speech. Also at `/openai/v1/audio/speech` and
/// `/openai/deployments/{deployment}/audio/speech`.
#[utoipa::path(
    post,
    path = "/v1/audio/speech",
    tag = "audio",
    request_body = SpeechRequest,
    responses(
        (status = 200, description = "The audio file (or SSE with `stream_format: sse`)", content_type = "audio/mpeg"),
        (status = 400, description = "Invalid request", body = vox_protocol::error::ErrorEnvelope),
        (status = 503, description = "No speech synthesis engine", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    JsonBody(request): JsonBody<SpeechRequest>,
) -> Result<Response, ApiError> {
    context.deployment(&state, request.model.as_deref())?;
    let _request = validate_speech_request(request, &state.voice_names())?;
    let _synthesizer = RequiredEngines::synthesizer(state.engines())?;
    // Synthesis arrives with the speech engine; until then `synthesizer` has answered 503.
    Err(ApiError::engine_unavailable(EngineKind::Synthesizer))
}
