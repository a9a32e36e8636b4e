//! Which engines a request needs; a missing one is a 503 naming it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use vox_engine::EngineError;
use vox_engine::EngineSet;
use vox_engine::chat::ChatModel;
use vox_engine::speech::Synthesizer;
use vox_engine::transcribe::Transcriber;
use vox_protocol::chat::validate::ValidChatRequest;

use crate::error::{ApiError, EngineKind};
use crate::state::AppState;

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
        let chat = serving(engines.chat.clone(), EngineKind::ChatModel, |e| e.is_working())?;
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

    /// How long this request would wait before its first output could start: recognition's
    /// queue, a language model slot, and the first piece's turn at the voices, one after another.
    pub fn expected_wait(&self) -> Duration {
        let transcriber = self.transcriber.as_ref().map(|t| t.expected_wait());
        let synthesizer = self.synthesizer.as_ref().map(|s| s.expected_wait());
        transcriber.unwrap_or_default() + self.chat.expected_wait() + synthesizer.unwrap_or_default()
    }

    pub fn transcriber(engines: &EngineSet) -> Result<Arc<dyn Transcriber>, ApiError> {
        serving(engines.transcriber.clone(), EngineKind::Transcriber, |e| {
            e.is_working()
        })
    }

    pub fn synthesizer(engines: &EngineSet) -> Result<Arc<dyn Synthesizer>, ApiError> {
        serving(engines.synthesizer.clone(), EngineKind::Synthesizer, |e| {
            e.is_working()
        })
    }
}

/// A loaded engine that still works; else 503 saying whether it was never loaded or stopped.
fn serving<E: ?Sized>(
    engine: Option<Arc<E>>,
    kind: EngineKind,
    is_working: impl Fn(&E) -> bool,
) -> Result<Arc<E>, ApiError> {
    let engine = engine.ok_or(ApiError::engine_unavailable(kind))?;
    match is_working(&engine) {
        true => Ok(engine),
        false => Err(ApiError::engine_stopped(kind.describe())),
    }
}

/// Admission by expected wait: a caller is better served by a prompt 429 saying when to come
/// back than by a minute of silence in an admitted request.
pub fn admit(state: &AppState, expected_wait: Duration) -> Result<(), ApiError> {
    let bound = state.settings().max_wait;
    if expected_wait <= bound {
        return Ok(());
    }
    tracing::info!(
        expected_wait_secs = expected_wait.as_secs_f64(),
        bound_secs = bound.as_secs_f64(),
        "refused: the engines' queues are too long"
    );
    Err(ApiError::overloaded(expected_wait, bound))
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
