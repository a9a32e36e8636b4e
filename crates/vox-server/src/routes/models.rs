//! Model and deployment listing.

use axum::Json;
use axum::extract::{Path, State};
use vox_protocol::models::{Model, ModelList};

use crate::error::ApiError;
use crate::state::AppState;

/// Every deployment and the model names it answers to. Also at `/openai/models`,
/// `/openai/deployments` (with api-version) and `/openai/v1/models`.
#[utoipa::path(get, path = "/v1/models", tag = "models", responses((status = 200, description = "The models", body = ModelList)))]
pub async fn list(State(state): State<AppState>) -> Json<ModelList> {
    Json(ModelList::new(all_models(&state)))
}

#[utoipa::path(
    get,
    path = "/v1/models/{model}",
    tag = "models",
    params(("model" = String, Path, description = "A deployment name or alias")),
    responses(
        (status = 200, description = "The model", body = Model),
        (status = 404, description = "Unknown model", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn retrieve(
    State(state): State<AppState>,
    Path(model): Path<String>,
) -> Result<Json<Model>, ApiError> {
    all_models(&state)
        .into_iter()
        .find(|m| m.id == model)
        .map(Json)
        .ok_or_else(|| ApiError::model_not_found(&model))
}

fn all_models(state: &AppState) -> Vec<Model> {
    let created = state.started_at();
    state
        .settings()
        .deployments
        .iter()
        .flat_map(|d| std::iter::once(&d.name).chain(&d.aliases))
        .map(|id| Model {
            id: id.clone(),
            object: "model".into(),
            created,
            owned_by: "vox".into(),
        })
        .collect()
}
