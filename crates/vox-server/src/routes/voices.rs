//! `GET /audio/voices`: every voice name and the speaker behind it.

use axum::Json;
use axum::extract::State;
use vox_protocol::models::{VoiceEntry, VoiceList};

use crate::engines::RequiredEngines;
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/v1/audio/voices",
    tag = "audio",
    responses(
        (status = 200, description = "The voice catalog", body = VoiceList),
        (status = 503, description = "No speech synthesis engine", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<VoiceList>, ApiError> {
    let synthesizer = RequiredEngines::synthesizer(state.default_engines())?;
    let entries = synthesizer
        .voices()
        .list()
        .into_iter()
        .map(|v| VoiceEntry {
            id: v.id,
            object: "voice".into(),
            engine: v.model.clone(),
            model: v.model,
            speaker: v.speaker,
            language: v.language,
            gender: v.gender,
            speed: v.speed,
            description: v.description,
        })
        .collect();
    Ok(Json(VoiceList::new(entries)))
}
