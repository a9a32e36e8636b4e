//! Which engines a request needs; a missing one is a 503 naming it.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use vox_engine::EngineError;
use vox_engine::EngineSet;
use vox_engine::chat::ChatModel;
use vox_engine::speech::Synthesizer;
use vox_engine::transcribe::Transcriber;
use vox_protocol::chat::validate::ValidChatRequest;

use crate::error::{ApiError, EngineKind};

/// The engines one chat request runs through.
pub struct RequiredEngines {
    pub transcriber: Option<Arc<dyn Transcriber>>,
    pub chat: Arc<dyn ChatModel>,
    pub synthesizer: Option<Arc<dyn Synthesizer>>,
}

impl RequiredEngines {
    pub fn for_chat(engines: &EngineSet, request: &ValidChatRequest) -> Result<Self, ApiError> {
        let transcriber = match request.has_audio_input() {
            true => Some(Self::transcriber(engines)?),
            false => None,
        };
        let chat = engines
            .chat
            .clone()
            .ok_or(ApiError::engine_unavailable(EngineKind::ChatModel))?;
        let synthesizer = match request.audio_output.is_some() {
            true => Some(Self::synthesizer(engines)?),
            false => None,
        };
        Ok(Self {
            transcriber,
            chat,
            synthesizer,
        })
    }

    pub fn transcriber(engines: &EngineSet) -> Result<Arc<dyn Transcriber>, ApiError> {
        engines
            .transcriber
            .clone()
            .ok_or(ApiError::engine_unavailable(EngineKind::Transcriber))
    }

    pub fn synthesizer(engines: &EngineSet) -> Result<Arc<dyn Synthesizer>, ApiError> {
        engines
            .synthesizer
            .clone()
            .ok_or(ApiError::engine_unavailable(EngineKind::Synthesizer))
    }
}

/// Waits for an engine stream's first item: a refusal (busy, context too long) comes first and
/// becomes an HTTP status here, rather than an error inside a stream that has already said 200.
pub async fn refusal_first<T: Send + 'static>(
    mut items: BoxStream<'static, Result<T, EngineError>>,
) -> Result<BoxStream<'static, Result<T, EngineError>>, ApiError> {
    match items.next().await {
        Some(Ok(first)) => Ok(futures::stream::once(async move { Ok(first) })
            .chain(items)
            .boxed()),
        Some(Err(err)) => Err(err.into()),
        None => Ok(futures::stream::empty().boxed()),
    }
}
