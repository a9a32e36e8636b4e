//! The voices on their own thread behind a bounded queue. Jobs advance a piece at a time in
//! turn, so a long text never holds back another request's first audio; a job whose stream was
//! dropped is forgotten before its next piece, and a job whose listener is behind waits (its
//! audio channel is bounded) while the others go on.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::BoxStream;
use ort::session::RunOptions;
use tokio::sync::mpsc::{Sender, channel};
use tokio_stream::wrappers::ReceiverStream;
use vox_engine::audio::AudioBuffer;
use vox_engine::load::{Held, LoadMeter};
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_engine::turns::SpeechTurns;
use vox_engine::voices::{VoiceCatalog, VoiceProfile};
use vox_engine::worker::{Inbox, QueueWaitObserver, Queued, Ready, StartFailure, Worker, WorkerSpec};
use vox_engine::{EngineError, EngineStatus};

use crate::TtsError;
use crate::hibari::HibariModel;
use crate::kokoro::KokoroModel;
use crate::onnx;
use crate::piper::PiperVoice;
use crate::silence;
use crate::text::{self, Language};
use crate::voices::{self, Catalog, HIBARI, KOKORO, PIPER, Speaker};

/// The thread's name; the queue depth comes from the configuration.
const NAME: &str = "tts";
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Pieces synthesised ahead of what a job's listener has taken: enough that a reader never
/// waits for the voice, few enough that a stalled one holds a few seconds of audio, not a
/// whole text's.
const PIECES_AHEAD: usize = 2;
/// How long the thread sleeps when every job's listener is behind, unless a new job comes.
const STALLED_POLL: Duration = Duration::from_millis(10);
/// Pause after a sentence, as a speaker takes breath. With the margins `silence::trim` keeps
/// and the fading of the last sound, sentences are 0.43 s apart (below -40 dB) in every voice.
const SENTENCE_PAUSE_SECS: f32 = 0.15;
/// Pause after a piece cut at a comma: the margins already part it from the next.
const CLAUSE_PAUSE_SECS: f32 = 0.02;

#[derive(Debug, Clone)]
pub struct TtsConfig {
    /// `libonnxruntime.so` from the model manifest.
    pub onnx_runtime: PathBuf,
    /// The Piper `.onnx` (its `.onnx.json` beside it).
    pub piper_model: Option<PathBuf>,
    /// The Kokoro folder (model, vocabulary, voices).
    pub kokoro_dir: Option<PathBuf>,
    /// The hibari folder (`hibari.onnx`, `vocab.json`).
    pub hibari_dir: Option<PathBuf>,
    pub threads: usize,
    pub queue_depth: usize,
    /// Voices from configuration, added to (or replacing) the built-in names.
    pub custom_voices: Vec<VoiceProfile>,
    /// Shared with the language model, which waits while a job's first piece is synthesised.
    pub turns: Arc<SpeechTurns>,
}

impl TtsConfig {
    /// Speech synthesis jobs waiting before new ones are answered "busy" (429).
    pub const DEFAULT_QUEUE_DEPTH: usize = 32;
}

/// One model thread, seen through a catalog: `start` gives the view of every loaded model,
/// `view` others of the same thread, so profiles that name the same voice models share them.
pub struct TtsEngine {
    jobs: Arc<Worker<Job>>,
    catalog: Catalog,
    /// Jobs held, and the seconds one piece takes.
    meter: Arc<LoadMeter>,
    loaded: Arc<LoadedModels>,
    /// Whether Kokoro may read this view's foreign-language text (see `Voices::reader`).
    kokoro_reads: bool,
}

/// Which voice models a view of the engine may speak with; Piper, every voice's fallback, is
/// always there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceModels {
    pub kokoro: bool,
    pub hibari: bool,
}

/// What the thread loaded, for building catalogs.
struct LoadedModels {
    has_piper: bool,
    has_hibari: bool,
    kokoro_speakers: Vec<String>,
    custom_voices: Vec<VoiceProfile>,
}

type AudioOut = Sender<Result<AudioBuffer, EngineError>>;

struct Job {
    pieces: VecDeque<String>,
    language: Language,
    voice: VoiceProfile,
    speed: f32,
    out: AudioOut,
    /// Set when the job's stream is dropped: ONNX Runtime abandons the running piece.
    cancel: Arc<RunOptions>,
    /// No piece has been synthesised yet and a listener is waiting for it (`heard_live`).
    first: bool,
    /// Kokoro may read it when its language is foreign to its voice.
    kokoro_reads: bool,
    /// Counts the job in the engine's load until it is done or dropped.
    _held: Held,
    /// The request's span, entered while its pieces are spoken.
    span: tracing::Span,
    /// When it was queued, until its first piece begins.
    queued_at: Option<Instant>,
}

impl From<Queued<Job>> for Job {
    fn from(
        Queued {
            job, span, queued_at, ..
        }: Queued<Job>,
    ) -> Self {
        Job {
            span,
            queued_at: Some(queued_at),
            ..job
        }
    }
}

struct Voices {
    piper: Option<PiperVoice>,
    kokoro: Option<KokoroModel>,
    hibari: Option<HibariModel>,
}

impl TtsEngine {
    pub fn start(config: TtsConfig) -> Result<Self, TtsError> {
        let thread_config = config.clone();
        let meter = LoadMeter::new();
        let thread_meter = meter.clone();
        let spec = WorkerSpec {
            name: NAME,
            queue_depth: config.queue_depth,
            ahead_depth: 0,
            retry_after: RETRY_AFTER,
        };
        let (jobs, (has_piper, has_hibari, kokoro)) =
            Worker::start(spec, move |ready: Ready<_, TtsError>, inbox| {
                match load(&thread_config) {
                    Ok(voices) => {
                        ready.loaded((
                            voices.piper.is_some(),
                            voices.hibari.is_some(),
                            kokoro_voices(&voices),
                        ));
                        run(voices, inbox, &thread_config.turns, &thread_meter);
                    }
                    Err(err) => ready.failed(err),
                }
            })?;
        let loaded = Arc::new(LoadedModels {
            has_piper,
            has_hibari,
            kokoro_speakers: kokoro,
            custom_voices: config.custom_voices,
        });
        let every_model = VoiceModels {
            kokoro: true,
            hibari: true,
        };
        Ok(Self {
            catalog: catalog(&loaded, every_model),
            jobs: Arc::new(jobs),
            meter,
            loaded,
            kokoro_reads: every_model.kokoro,
        })
    }

    /// The same thread and models, speaking only with `models`: its catalog gives their voices
    /// to the others' names as if the rest were not installed.
    pub fn view(&self, models: VoiceModels) -> Self {
        Self {
            jobs: self.jobs.clone(),
            catalog: catalog(&self.loaded, models),
            meter: self.meter.clone(),
            loaded: self.loaded.clone(),
            kokoro_reads: models.kokoro && !self.loaded.kokoro_speakers.is_empty(),
        }
    }
}

fn catalog(loaded: &LoadedModels, models: VoiceModels) -> Catalog {
    let hibari_speakers = HibariModel::speaker_names();
    let kokoro: &[String] = if models.kokoro {
        &loaded.kokoro_speakers
    } else {
        &[]
    };
    Catalog::new(
        loaded.custom_voices.clone(),
        kokoro,
        |model, speaker| match model {
            PIPER => loaded.has_piper,
            HIBARI => models.hibari && loaded.has_hibari && hibari_speakers.iter().any(|v| v == speaker),
            KOKORO => kokoro.iter().any(|v| v == speaker),
            _ => false,
        },
    )
}

fn load(config: &TtsConfig) -> Result<Voices, TtsError> {
    let piper = match &config.piper_model {
        Some(path) => Some(PiperVoice::load(
            onnx::session(&config.onnx_runtime, path, config.threads)?,
            path,
        )?),
        None => None,
    };
    let kokoro = match &config.kokoro_dir {
        Some(dir) => {
            let model = dir.join("kokoro-v1.0.int8.onnx");
            Some(KokoroModel::load(
                onnx::session(&config.onnx_runtime, &model, config.threads)?,
                dir,
            )?)
        }
        None => None,
    };
    let hibari = match &config.hibari_dir {
        Some(dir) => Some(HibariModel::load(
            onnx::session(&config.onnx_runtime, &dir.join("hibari.onnx"), config.threads)?,
            dir,
        )?),
        None => None,
    };
    if piper.is_none() {
        return Err(TtsError::Load(
            "a Piper voice is required: every voice falls back to it".into(),
        ));
    }
    Ok(Voices {
        piper,
        kokoro,
        hibari,
    })
}

fn kokoro_voices(voices: &Voices) -> Vec<String> {
    voices
        .kokoro
        .as_ref()
        .map(KokoroModel::voice_names)
        .unwrap_or_default()
}

fn run(mut voices: Voices, inbox: Inbox<Job>, turns: &Arc<SpeechTurns>, meter: &LoadMeter) {
    let mut active: VecDeque<Job> = VecDeque::new();
    loop {
        // Idle: wait for work. Busy: take whatever has arrived without waiting.
        if active.is_empty() {
            match inbox.recv() {
                Some(job) => active.push_back(job.into()),
                None => return,
            }
        }
        while let Ok(job) = inbox.try_recv() {
            active.push_back(job.into());
        }
        active.retain(|job| !job.out.is_closed() && !job.pieces.is_empty());
        // The first job in turn whose listener has room for another piece.
        let Some(mut job) = active
            .iter()
            .position(|job| job.out.capacity() > 0)
            .and_then(|ready| active.remove(ready))
        else {
            wait_for_room_or_job(&inbox, &mut active);
            continue;
        };
        let Some(piece) = job.pieces.pop_front() else {
            continue;
        };
        let _request = job.span.clone().entered();
        if let Some(queued_at) = job.queued_at.take() {
            inbox.began(queued_at);
        }
        // A streamed job's first piece decides how soon it is heard (each clause of a spoken
        // answer is a job): the language model waits until it is done.
        let turn = std::mem::take(&mut job.first).then(|| turns.urgent());
        let started = Instant::now();
        // A panic inside a model must cost one request, not the speech thread.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| voices.speak(&piece, &job)))
            .unwrap_or_else(|_| Err(EngineError::Internal("speech synthesis panicked".into())));
        drop(turn);
        if result.is_ok() {
            meter.observe(started.elapsed().as_secs_f64(), 1.0);
        }
        let failed = result.is_err();
        // Room was checked above and only this thread sends: this cannot be full.
        let _ = job.out.try_send(result);
        if !failed && !job.pieces.is_empty() {
            active.push_back(job);
        }
    }
}

/// Every listener is behind on its audio (or none is left): sleep until a new job arrives or a
/// moment has passed, then look again.
fn wait_for_room_or_job(inbox: &Inbox<Job>, active: &mut VecDeque<Job>) {
    match inbox.recv_timeout(STALLED_POLL) {
        Ok(job) => active.push_back(job.into()),
        Err(RecvTimeoutError::Timeout) => {}
        Err(RecvTimeoutError::Disconnected) => std::thread::sleep(STALLED_POLL),
    }
}

impl Voices {
    fn speak(&mut self, piece: &str, job: &Job) -> Result<AudioBuffer, EngineError> {
        let (model, speaker) = self.reader(job);
        let espeak_voice = Speaker::of(&model, &speaker)
            .map(|s| s.espeak_voice(job.language))
            .unwrap_or_else(|| job.language.espeak_voice());
        let ipa = text::phonemes(piece, espeak_voice).map_err(EngineError::Internal)?;
        let speed = job.speed * job.voice.speed as f32;
        let (mut samples, sample_rate) = match (
            model.as_str(),
            &mut self.kokoro,
            &mut self.hibari,
            &mut self.piper,
        ) {
            (KOKORO, Some(kokoro), _, _) => (
                kokoro.speak(&ipa, &speaker, speed, &job.cancel)?,
                crate::kokoro::SAMPLE_RATE,
            ),
            (HIBARI, _, Some(hibari), _) => (
                hibari.speak(&ipa, &speaker, speed, &job.cancel)?,
                crate::hibari::SAMPLE_RATE,
            ),
            (_, _, _, Some(piper)) => {
                let rate = piper.sample_rate;
                (piper.speak(&ipa, speed, &job.cancel)?, rate)
            }
            _ => return Err(EngineError::Internal("no voice model is loaded".into())),
        };
        silence::trim(&mut samples, sample_rate);
        let pause = if piece.ends_with([',', '—', '–']) {
            CLAUSE_PAUSE_SECS
        } else {
            SENTENCE_PAUSE_SECS
        };
        // Pauses follow the pace, so `speed` scales the whole duration.
        samples.extend(std::iter::repeat_n(
            0.0,
            (pause / speed * sample_rate as f32) as usize,
        ));
        Ok(AudioBuffer { samples, sample_rate })
    }

    /// Who reads the job: its voice's own speaker for English or a language the speaker is
    /// native in, otherwise a native Kokoro speaker of the voice's gender (Piper joe and hibari
    /// know English only).
    fn reader(&self, job: &Job) -> (String, String) {
        let own = (job.voice.model.clone(), job.voice.speaker.clone());
        if job.language == Language::English || voices::is_native(&job.voice, job.language) {
            return own;
        }
        let Some(kokoro) = self.kokoro.as_ref().filter(|_| job.kokoro_reads) else {
            return own;
        };
        let gender = Speaker::of(&job.voice.model, &job.voice.speaker).map(|s| s.gender);
        match voices::native_reader(job.language, gender, |s| kokoro.has_voice(s)) {
            Some(reader) => (KOKORO.to_string(), reader.to_string()),
            None => own,
        }
    }
}

impl Synthesizer for TtsEngine {
    fn voices(&self) -> &dyn VoiceCatalog {
        &self.catalog
    }

    fn synthesize(&self, job: SpeechJob) -> BoxStream<'static, Result<AudioBuffer, EngineError>> {
        let refuse = |error: EngineError| futures::stream::once(async move { Err(error) }).boxed();
        let language = job
            .language
            .as_deref()
            .and_then(Language::from_code)
            .unwrap_or_else(|| Language::detect(&job.text));
        let pieces: VecDeque<String> = text::pieces(&job.text, language).into();
        let (out, chunks) = channel(PIECES_AHEAD);
        if pieces.is_empty() {
            return futures::stream::empty().boxed();
        }
        let cancel = match RunOptions::new() {
            Ok(options) => Arc::new(options),
            Err(e) => return refuse(EngineError::Internal(format!("onnx run options: {e}"))),
        };
        let job = Job {
            pieces,
            language,
            voice: job.voice,
            speed: job.speed as f32,
            out,
            cancel: cancel.clone(),
            first: job.heard_live,
            kokoro_reads: self.kokoro_reads,
            _held: self.meter.hold(1.0),
            span: tracing::Span::none(),
            queued_at: None,
        };
        match self.jobs.submit(job) {
            Ok(()) => cancelled_on_drop(ReceiverStream::new(chunks), cancel),
            Err(error) => refuse(error),
        }
    }
}

impl EngineStatus for TtsEngine {
    fn is_working(&self) -> bool {
        self.jobs.is_working()
    }

    fn report_queue_waits(&self, observer: QueueWaitObserver) {
        self.jobs.report_queue_waits(observer);
    }

    /// Jobs take turns a piece at a time: a new one's first piece waits one piece of each.
    fn expected_wait(&self) -> Duration {
        self.meter.load().round_robin_wait()
    }
}

/// Dropping the returned stream terminates the piece being synthesised for it (a Kokoro piece
/// takes up to a second here) instead of letting it finish for nobody. Terminating a finished
/// job's options is harmless.
fn cancelled_on_drop(
    chunks: ReceiverStream<Result<AudioBuffer, EngineError>>,
    cancel: Arc<RunOptions>,
) -> BoxStream<'static, Result<AudioBuffer, EngineError>> {
    struct TerminateOnDrop(Arc<RunOptions>);
    impl Drop for TerminateOnDrop {
        fn drop(&mut self) {
            let _ = self.0.terminate();
        }
    }
    let guard = TerminateOnDrop(cancel);
    chunks
        .map(move |chunk| {
            let _ = &guard;
            chunk
        })
        .boxed()
}

impl From<StartFailure> for TtsError {
    fn from(failure: StartFailure) -> Self {
        TtsError::Load(failure.to_string())
    }
}

impl From<TtsError> for EngineError {
    fn from(err: TtsError) -> Self {
        EngineError::Internal(err.to_string())
    }
}
