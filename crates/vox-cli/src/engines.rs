//! Wiring: which engine crate serves each role, loaded from the installed model files of each
//! profile and warmed up before the server says it is ready. A model two profiles share is
//! loaded once: recognisers and language models by folder, and one speech engine holds the
//! voice models of every profile, each profile speaking through a view of its own models.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use futures::StreamExt;
use vox_audio::AudioBuffer;
use vox_engine::EngineSet;
use vox_engine::chat::{ChatJob, ChatModel, ChatRole, ChatTurn, SamplingParams, ToolPolicy};
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_engine::transcribe::{Transcriber, TranscriptionJob, TranscriptionTask};
use vox_engine::turns::SpeechTurns;
use vox_engine::vad::{TurnEnd, VoiceActivity};
use vox_models::Role;

use crate::config::Config;
use crate::profiles_config::Profile;

pub type InstalledModels = BTreeMap<Role, Vec<PathBuf>>;

/// The engines loaded so far, by the model folders they were loaded from.
pub struct Loaded<'a> {
    config: &'a Config,
    /// Every voice and language model of the process shares the same cores, so they share one
    /// turn-taking: a language model waits while any voice has urgent speech to make.
    turns: Arc<SpeechTurns>,
    transcribers: BTreeMap<PathBuf, Arc<dyn Transcriber>>,
    chat_models: BTreeMap<PathBuf, Arc<dyn ChatModel>>,
    /// The voice models of every profile to be loaded, and once loaded, their engine.
    all_voices: InstalledModels,
    speech: Option<vox_tts_onnx::TtsEngine>,
    vad: Option<Arc<dyn VoiceActivity>>,
    turn_end: Option<Arc<dyn TurnEnd>>,
}

impl<'a> Loaded<'a> {
    /// Ready to load `profiles` (their models by role), one at a time with `profile`.
    pub fn new<'p>(config: &'a Config, profiles: impl IntoIterator<Item = &'p InstalledModels>) -> Self {
        Self {
            config,
            turns: SpeechTurns::new(),
            transcribers: BTreeMap::new(),
            chat_models: BTreeMap::new(),
            all_voices: voice_models_of_all(profiles),
            speech: None,
            vad: None,
            turn_end: None,
        }
    }

    /// A profile's engines, loading only the models not already loaded for another profile;
    /// the roles `remote` names are served by its upstreams instead.
    pub async fn profile(
        &mut self,
        models: &InstalledModels,
        remote: Option<&Profile>,
    ) -> anyhow::Result<EngineSet> {
        let remote = remote.cloned().unwrap_or(Profile {
            models: String::new(),
            llm: None,
            asr: None,
            tts: None,
        });
        let transcriber = match remote.asr {
            Some(endpoint) => crate::remote_engines::transcriber(endpoint)?,
            None => self.local_transcriber(models).await?,
        };
        let chat = match remote.llm {
            Some(endpoint) => crate::remote_engines::chat(endpoint)?,
            None => self.local_chat(models).await?,
        };
        let synthesizer = match remote.tts {
            Some(endpoint) => crate::remote_engines::voices(endpoint).await?,
            None => self.local_synthesizer(models).await?,
        };
        if self.vad.is_none() {
            self.vad = Some(load_vad(models)?);
        }
        if self.turn_end.is_none() {
            self.turn_end = Some(load_turn_end(models)?);
        }
        Ok(EngineSet {
            transcriber: Some(transcriber),
            chat: Some(chat),
            synthesizer: Some(synthesizer),
            vad: self.vad.clone(),
            turn_end: self.turn_end.clone(),
        })
    }

    async fn local_transcriber(&mut self, models: &InstalledModels) -> anyhow::Result<Arc<dyn Transcriber>> {
        let asr = first_dir(models, Role::Asr)?.to_path_buf();
        if !self.transcribers.contains_key(&asr) {
            let transcriber = load_transcriber(self.config, &asr).await?;
            self.transcribers.insert(asr.clone(), transcriber);
        }
        Ok(self.transcribers[&asr].clone())
    }

    async fn local_chat(&mut self, models: &InstalledModels) -> anyhow::Result<Arc<dyn ChatModel>> {
        let llm = first_dir(models, Role::Llm)?.to_path_buf();
        if !self.chat_models.contains_key(&llm) {
            let chat = load_chat_model(self.config, &llm, self.turns.clone()).await?;
            self.chat_models.insert(llm.clone(), chat);
        }
        Ok(self.chat_models[&llm].clone())
    }

    async fn local_synthesizer(&mut self, models: &InstalledModels) -> anyhow::Result<Arc<dyn Synthesizer>> {
        let speech = match self.speech.take() {
            Some(speech) => speech,
            None => load_synthesizer(self.config, &self.all_voices, self.turns.clone()).await?,
        };
        let synthesizer: Arc<dyn Synthesizer> = Arc::new(speech.view(voice_models(models)));
        self.speech = Some(speech);
        Ok(synthesizer)
    }
}

/// The runtime and voice model folders of every profile, each once.
fn voice_models_of_all<'p>(profiles: impl IntoIterator<Item = &'p InstalledModels>) -> InstalledModels {
    let mut all = InstalledModels::new();
    for models in profiles {
        for role in [Role::Runtime, Role::Tts] {
            let dirs = all.entry(role).or_default();
            for dir in models.get(&role).into_iter().flatten() {
                if !dirs.contains(dir) {
                    dirs.push(dir.clone());
                }
            }
        }
    }
    all
}

/// Which of the speech engine's models a profile speaks with.
fn voice_models(models: &InstalledModels) -> vox_tts_onnx::VoiceModels {
    let dirs = models.get(&Role::Tts).map(Vec::as_slice).unwrap_or_default();
    vox_tts_onnx::VoiceModels {
        kokoro: dirs.iter().any(|dir| is_kokoro(dir)),
        hibari: dirs.iter().any(|dir| is_hibari(dir)),
    }
}

fn is_kokoro(dir: &Path) -> bool {
    dir.join("voices_ja.npz").exists()
}

fn is_hibari(dir: &Path) -> bool {
    dir.join("hibari.onnx").exists()
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
    // In a child process of this same binary, so a caller who hangs up stops it at once.
    let place = vox_asr_whisper::RecognizerPlace::Child {
        program: std::env::current_exe().context("locating the vox binary for speech recognition")?,
        args: vec!["internal-recognize".into()],
    };
    let engine = vox_asr_whisper::WhisperEngine::start_in(&place, dir, config.threads)
        .with_context(|| format!("loading speech recognition from {}", dir.display()))?;
    let transcriber: Arc<dyn Transcriber> = Arc::new(engine);
    warm_up_transcriber(transcriber.as_ref()).await?;
    tracing::info!(model = %dir.display(), secs = started.elapsed().as_secs_f32(), "speech recognition ready");
    Ok(transcriber)
}

async fn load_chat_model(
    config: &Config,
    dir: &Path,
    turns: Arc<SpeechTurns>,
) -> anyhow::Result<Arc<dyn ChatModel>> {
    let started = Instant::now();
    let llama = vox_llm_llama::LlamaConfig {
        model_path: dir.join("model.gguf"),
        threads: config.threads,
        slots: config.llm_slots,
        context_per_slot: config.llm_context,
        queue_depth: vox_llm_llama::LlamaConfig::DEFAULT_QUEUE_DEPTH,
        batch_size: vox_llm_llama::LlamaConfig::DEFAULT_BATCH_SIZE,
        turns,
    };
    let engine = vox_llm_llama::LlamaEngine::start(llama)
        .with_context(|| format!("loading the language model from {}", dir.display()))?;
    let chat: Arc<dyn ChatModel> = Arc::new(engine);
    warm_up_chat(chat.as_ref()).await?;
    tracing::info!(model = %dir.display(), secs = started.elapsed().as_secs_f32(), "language model ready");
    Ok(chat)
}

/// Piper, Kokoro and hibari folders are told apart by their files: a Piper voice carries its
/// `.onnx.json`, Kokoro its voice pack, hibari its `hibari.onnx`.
async fn load_synthesizer(
    config: &Config,
    models: &InstalledModels,
    turns: Arc<SpeechTurns>,
) -> anyhow::Result<vox_tts_onnx::TtsEngine> {
    let started = Instant::now();
    let runtime = first_dir(models, Role::Runtime)?;
    let tts_dirs = models.get(&Role::Tts).cloned().unwrap_or_default();
    let piper_model = tts_dirs.iter().find_map(|dir| piper_model_in(dir));
    let kokoro_dir = tts_dirs.iter().find(|dir| is_kokoro(dir)).cloned();
    let hibari_dir = tts_dirs.iter().find(|dir| is_hibari(dir)).cloned();
    let onnx_runtime = onnx_runtime_in(runtime)?;
    let tts = vox_tts_onnx::TtsConfig {
        onnx_runtime,
        piper_model,
        kokoro_dir,
        hibari_dir,
        threads: config.threads,
        queue_depth: vox_tts_onnx::TtsConfig::DEFAULT_QUEUE_DEPTH,
        custom_voices: config.custom_voices(),
        turns,
    };
    let engine = vox_tts_onnx::TtsEngine::start(tts).context("loading speech synthesis")?;
    warm_up_synthesizer(&engine).await?;
    tracing::info!(secs = started.elapsed().as_secs_f32(), "speech synthesis ready");
    Ok(engine)
}

fn onnx_runtime_in(runtime: &Path) -> anyhow::Result<PathBuf> {
    std::fs::read_dir(runtime)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
        })
        .with_context(|| format!("no libonnxruntime.so in {}", runtime.display()))
}

/// Silero VAD for the realtime API's turn detection: one small model every session shares,
/// each with its own detector state.
fn load_vad(models: &InstalledModels) -> anyhow::Result<Arc<dyn VoiceActivity>> {
    let dir = first_dir(models, Role::Vad)?;
    let onnx_runtime = onnx_runtime_in(first_dir(models, Role::Runtime)?)?;
    let vad = vox_vad_silero::SileroVad::open(&onnx_runtime, dir)
        .map_err(|e| anyhow::anyhow!("loading voice activity detection: {e}"))?;
    // One frame through the model before the first caller speaks.
    vad.detector()
        .speech_probability(&vec![0.0; vad.frame_len()])
        .map_err(|e| anyhow::anyhow!("voice activity warm-up failed: {e}"))?;
    Ok(Arc::new(vad))
}

/// smart-turn for `semantic_vad`: asked once per pause, shared by every session.
fn load_turn_end(models: &InstalledModels) -> anyhow::Result<Arc<dyn TurnEnd>> {
    let dir = first_dir(models, Role::Turn)?;
    let onnx_runtime = onnx_runtime_in(first_dir(models, Role::Runtime)?)?;
    let model = vox_turn_smart::SmartTurn::open(&onnx_runtime, dir)
        .map_err(|e| anyhow::anyhow!("loading the end-of-turn model: {e}"))?;
    // One pause heard before the first caller's (the first run builds the graph's kernels).
    model
        .finished(&vec![0.0; model.sample_rate() as usize])
        .map_err(|e| anyhow::anyhow!("end-of-turn warm-up failed: {e}"))?;
    Ok(Arc::new(model))
}

fn piper_model_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(".onnx") && path.with_extension("onnx.json").exists())
}

/// Every voice model speaks once, so the first request does not pay for graph initialisation.
async fn warm_up_synthesizer(synthesizer: &dyn Synthesizer) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for voice in synthesizer.voices().list() {
        if !seen.insert(voice.model.clone()) {
            continue;
        }
        let job = SpeechJob {
            text: "Hello.".into(),
            voice,
            speed: 1.0,
            language: Some("en".into()),
            heard_live: false,
        };
        let mut chunks = synthesizer.synthesize(job);
        while let Some(chunk) = chunks.next().await {
            chunk.map_err(|e| anyhow::anyhow!("speech synthesis warm-up failed: {e}"))?;
        }
    }
    Ok(())
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
