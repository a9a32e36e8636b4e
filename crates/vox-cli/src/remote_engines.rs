//! Remote engines for the roles a profile of the file serves from an OpenAI-compatible server.
//! Not warmed up: an upstream that is down at start is not a reason for Vox not to start; its
//! requests then fail with 503 `upstream_unavailable` until it is back.

use std::sync::Arc;

use vox_engine::chat::ChatModel;
use vox_engine::speech::Synthesizer;
use vox_engine::transcribe::Transcriber;
use vox_remote_openai::{Endpoint, RemoteChat, RemoteTranscriber, RemoteVoices};

pub fn chat(endpoint: Endpoint) -> anyhow::Result<Arc<dyn ChatModel>> {
    let chat = RemoteChat::new(endpoint)?;
    tracing::info!(engine = %chat.name(), "language model: remote");
    Ok(Arc::new(chat))
}

pub fn transcriber(endpoint: Endpoint) -> anyhow::Result<Arc<dyn Transcriber>> {
    tracing::info!(base_url = %endpoint.base_url, model = %endpoint.model, "speech recognition: remote");
    Ok(Arc::new(RemoteTranscriber::new(endpoint)?))
}

pub async fn voices(endpoint: Endpoint) -> anyhow::Result<Arc<dyn Synthesizer>> {
    tracing::info!(base_url = %endpoint.base_url, model = %endpoint.model, "voices: remote");
    Ok(Arc::new(RemoteVoices::connect(endpoint).await?))
}
