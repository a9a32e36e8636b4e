//! The door of every API route: which route family was called, who the caller is, and (on Azure
//! deployment routes) that the api-version and the deployment are right.

use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vox_store::Owner;

use crate::auth::Verdict;
use crate::error::{ApiError, ErrorShape};
use crate::settings::Deployment;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteFamily {
    /// `/v1/...`
    OpenAi,
    /// `/openai/v1/...`: Azure's OpenAI-compatible routes, no api-version.
    AzureV1,
    /// `/openai/models`, `/openai/deployments`: Azure listings with an api-version.
    AzureVersioned,
    /// `/openai/deployments/{deployment}/...?api-version=`
    AzureDeployment(String),
}

impl RouteFamily {
    pub fn error_shape(&self) -> ErrorShape {
        match self {
            Self::OpenAi => ErrorShape::OpenAi,
            _ => ErrorShape::Azure,
        }
    }
}

/// Set by the door for every admitted API request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub family: RouteFamily,
    pub caller: Owner,
    /// The key's name or the identity, for logs and limits (never the key).
    pub caller_name: String,
}

impl RequestContext {
    /// The deployment that answers: the one in an Azure path, otherwise the one the body's
    /// `model` names.
    pub fn deployment<'a>(
        &self,
        state: &'a AppState,
        model: Option<&str>,
    ) -> Result<&'a Deployment, ApiError> {
        let settings = state.settings();
        match &self.family {
            RouteFamily::AzureDeployment(name) => settings
                .deployment(name)
                .ok_or_else(ApiError::deployment_not_found),
            _ => {
                let model = model.ok_or_else(|| vox_protocol::ProtocolError::missing("model"))?;
                settings
                    .deployment(model)
                    .ok_or_else(|| ApiError::model_not_found(model))
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| ApiError::internal("API route mounted without its door"))
    }
}

pub async fn openai_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    admit(&state, RouteFamily::OpenAi, request, next).await
}

pub async fn azure_v1_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    admit(&state, RouteFamily::AzureV1, request, next).await
}

pub async fn azure_versioned_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !has_api_version(request.uri()) {
        return ApiError::azure_resource_not_found().into_response();
    }
    admit(&state, RouteFamily::AzureVersioned, request, next).await
}

pub async fn azure_deployment_door(
    State(state): State<AppState>,
    OriginalUri(original): OriginalUri,
    request: Request,
    next: Next,
) -> Response {
    if !has_api_version(request.uri()) {
        return ApiError::azure_resource_not_found().into_response();
    }
    let Some(name) = deployment_in_path(original.path()) else {
        return ApiError::azure_resource_not_found().into_response();
    };
    admit(&state, RouteFamily::AzureDeployment(name), request, next).await
}

async fn admit(state: &AppState, family: RouteFamily, mut request: Request, next: Next) -> Response {
    let shape = family.error_shape();
    let settings = state.settings();
    let caller = match crate::auth::authenticate(&settings.keys, &settings.issuers, request.headers()).await {
        Verdict::Allowed(caller) => caller,
        refused => return ApiError::refused(shape, refused).into_response(),
    };
    let (held, rate) = match state.callers().admit_request(&caller.name) {
        Ok(admitted) => admitted,
        Err(refusal) => {
            state.metrics().caller_request(&caller.name, false);
            tracing::info!(caller = %caller.name, ?refusal, "refused: the caller's limit");
            return crate::auth::limits_response::refused(shape, &refusal);
        }
    };
    state.metrics().caller_request(&caller.name, true);
    tracing::debug!(caller = %caller.name, "caller admitted");
    // A connection that carried a valid key is a caller's, kept over anonymous ones at the cap.
    if let Some(crate::door::ConnectionTag(connection)) = request.extensions().get() {
        connection.mark_authenticated();
    }
    if let RouteFamily::AzureDeployment(name) = &family
        && state.settings().deployment(name).is_none()
    {
        return ApiError::deployment_not_found().into_response();
    }
    if !state.has_started() {
        return ApiError::not_ready().into_response();
    }
    request.extensions_mut().insert(RequestContext {
        family,
        caller: caller.owner,
        caller_name: caller.name,
    });
    crate::auth::limits_response::holding(next.run(request).await, held, rate)
}

/// Any non-empty `api-version`: Azure's dated versions keep coming, and all of them carry the
/// same audio contract from 2025-01-01-preview on.
fn has_api_version(uri: &Uri) -> bool {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(key, value)| key == "api-version" && !value.is_empty())
}

fn deployment_in_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/openai/deployments/")?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_must_be_present_and_non_empty() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(has_api_version(&uri("/x?api-version=2025-01-01-preview")));
        assert!(has_api_version(&uri("/x?a=b&api-version=2025-04-01-preview")));
        assert!(!has_api_version(&uri("/x")));
        assert!(!has_api_version(&uri("/x?api-version=")));
        assert!(!has_api_version(&uri("/x?apiversion=1")));
    }

    #[test]
    fn deployment_name_comes_from_the_path() {
        assert_eq!(
            deployment_in_path("/openai/deployments/my-dep/chat/completions").as_deref(),
            Some("my-dep")
        );
        assert_eq!(deployment_in_path("/openai/deployments//chat"), None);
        assert_eq!(deployment_in_path("/v1/chat"), None);
    }
}
