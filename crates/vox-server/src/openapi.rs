//! The API description, generated from the wire types so it cannot drift from them.

use utoipa::OpenApi;

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vox",
        description = "OpenAI / Azure OpenAI audio chat completions, served by local models. Every \
                       /v1 route is also served at /openai/v1 and, for deployment routes, at \
                       /openai/deployments/{deployment}/...?api-version=."
    ),
    paths(
        routes::chat::create,
        routes::speech::create,
        routes::transcriptions::transcribe,
        routes::transcriptions::translate,
        routes::voices::list,
        routes::models::list,
        routes::models::retrieve,
        routes::health::healthz,
        routes::health::readyz,
    ),
    components(schemas(
        vox_protocol::chat::chunk::ChatCompletionChunk,
        vox_protocol::error::AzureErrorEnvelope,
        vox_protocol::transcription::VerboseTranscription,
        vox_protocol::transcription::TranscriptStreamEvent,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []), ("api_key" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("api-key"))),
        );
    }
}

pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}
