//! Wiring: which engine crate serves each role, loaded from the installed model files of a
//! profile and warmed up before the server says it is ready.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use futures::StreamExt;
use vox_audio::AudioBuffer;
use vox_engine::EngineSet;
use vox_engine::chat::{ChatJob, ChatModel, ChatRole, ChatTurn, SamplingParams, ToolPolicy};
use vox_engine::transcribe::{Transcriber, TranscriptionJob, TranscriptionTask};
use vox_models::Role;
use vox_server::defaults;

use crate::config::Config;

pub type InstalledModels = BTreeMap<Role, Vec<PathBuf>>;

pub async fn load(config: &Config, models: &InstalledModels) -> anyhow::Result<EngineSet> {
    let transcriber = load_transcriber(config, first_dir(models, Role::Asr)?).await?;
    let chat = load_chat_model(config, first_dir(models, Role::Llm)?).await?;
    tracing::warn!("no speech synthesis engine in this build: spoken answers and /audio/speech answer 503");
    Ok(EngineSet {
        transcriber: Some(transcriber),
        chat: Some(chat),
        synthesizer: None,
    })
}

fn first_dir(models: &InstalledModels, role: Role) -> anyhow::Result<&Path> {
    models
        .get(&role)
        .and_then(|dirs| dirs.first())
        .map(PathBuf::as_path)
        .with_context(|| format!("the profile has no {} model", role.as_str()))
}

async fn load_transcriber(config: &Config, dir: &Path) -> anyhow::Result<Arc<dyn Transcriber>> {
    let started = Instant::now();
    let engine = vox_asr_whisper::WhisperEngine::start(dir, config.threads)
        .with_context(|| format!("loading speech recognition from {}", dir.display()))?;
    let transcriber: Arc<dyn Transcriber> = Arc::new(engine);
    warm_up_transcriber(transcriber.as_ref()).await?;
    tracing::info!(model = %dir.display(), secs = started.elapsed().as_secs_f32(), "speech recognition ready");
    Ok(transcriber)
}

async fn load_chat_model(config: &Config, dir: &Path) -> anyhow::Result<Arc<dyn ChatModel>> {
    let started = Instant::now();
    let llama = vox_llm_llama::LlamaConfig {
        model_path: dir.join("model.gguf"),
        threads: config.threads,
        slots: config.llm_slots,
        context_per_slot: config.llm_context,
        queue_depth: defaults::LLM_QUEUE,
        batch_size: defaults::LLM_BATCH_TOKENS,
    };
    let engine = vox_llm_llama::LlamaEngine::start(llama)
        .with_context(|| format!("loading the language model from {}", dir.display()))?;
    let chat: Arc<dyn ChatModel> = Arc::new(engine);
    warm_up_chat(chat.as_ref()).await?;
    tracing::info!(model = %dir.display(), secs = started.elapsed().as_secs_f32(), "language model ready");
    Ok(chat)
}

/// One short transcription before the server says it is ready, so the first user does not pay
/// for lazily initialised kernels.
async fn warm_up_transcriber(transcriber: &dyn Transcriber) -> anyhow::Result<()> {
    let rate = transcriber.sample_rate();
    let tone = (0..rate).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
    let job = TranscriptionJob {
        audio: AudioBuffer {
            samples: tone,
            sample_rate: rate,
        },
        task: TranscriptionTask::Transcribe,
        language: Some("en".into()),
        prompt: None,
        temperature: 0.0,
        word_timestamps: false,
    };
    transcriber
        .transcribe(job)
        .await
        .map_err(|e| anyhow::anyhow!("speech recognition warm-up failed: {e}"))?;
    Ok(())
}

/// A two-token answer: pages the mapped weights in and builds the compute graphs.
async fn warm_up_chat(chat: &dyn ChatModel) -> anyhow::Result<()> {
    let job = ChatJob {
        turns: vec![ChatTurn {
            role: ChatRole::User,
            text: "Hello".into(),
            tool_calls: vec![],
            tool_call_id: None,
        }],
        sampling: SamplingParams {
            temperature: Some(0.0),
            max_tokens: Some(2),
            ..Default::default()
        },
        tools: vec![],
        tool_policy: ToolPolicy::Auto,
    };
    let mut events = chat.generate(job);
    while let Some(event) = events.next().await {
        event.map_err(|e| anyhow::anyhow!("language model warm-up failed: {e}"))?;
    }
    Ok(())
}
