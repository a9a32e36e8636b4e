//! Input audio is decoded at the door, off the async workers, so that a file Vox cannot read is
//! a 400 naming its parameter before any engine is involved.

use vox_audio::AudioBuffer;
use vox_protocol::chat::validate::{ValidChatRequest, ValidPart};

use crate::error::ApiError;
use crate::state::AppState;

/// Decodes one file to mono at its own rate; engines resample to what they need.
pub async fn decode(state: &AppState, bytes: Vec<u8>, param: String) -> Result<AudioBuffer, ApiError> {
    let limits = state.settings().decode_limits();
    let place = state.settings().decode_place.clone();
    tokio::task::spawn_blocking(move || {
        vox_audio::decode_in(&place, &bytes, &limits).map_err(|e| ApiError::audio(e, &param))
    })
    .await
    .map_err(|e| ApiError::internal(format!("audio decoding task failed: {e}")))?
}

/// Resamples decoded audio to the rate an engine takes, off the async workers.
pub async fn at_rate(audio: AudioBuffer, rate: u32) -> Result<AudioBuffer, ApiError> {
    Ok(vox_pipeline::hearing::at_rate(audio, rate).await?)
}

/// Every `input_audio` part of a chat request, in message order.
pub async fn decode_chat_inputs(
    state: &AppState,
    request: &ValidChatRequest,
) -> Result<Vec<AudioBuffer>, ApiError> {
    let mut decoded = Vec::new();
    for part in request.messages.iter().flat_map(|m| &m.parts) {
        if let ValidPart::Audio(audio) = part {
            let param = format!("{}.input_audio.data", audio.param);
            decoded.push(decode(state, audio.bytes.clone(), param).await?);
        }
    }
    Ok(decoded)
}
