//! The model on its own OS thread, fed through a bounded queue: requests never run at the same
//! time on the model, a full queue is "busy", and a request whose caller went away is skipped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::oneshot;
use vox_engine::EngineError;
use vox_engine::load::{Held, LoadMeter};
use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};

use crate::WhisperError;
use crate::child::ChildRecognizer;
use crate::features::SAMPLE_RATE;
use crate::transcriber::WhisperModel;

/// Requests waiting beyond the one being transcribed.
const QUEUE: usize = 8;
/// What a busy answer suggests waiting: about one short utterance.
const RETRY_AFTER: Duration = Duration::from_secs(2);

struct Job {
    job: TranscriptionJob,
    reply: oneshot::Sender<Result<Transcript, WhisperError>>,
    /// Counts the job's seconds of audio in the engine's load until it is done or skipped.
    _held: Held,
}

pub struct WhisperEngine {
    queue: SyncSender<Job>,
    /// Seconds of audio held, and the compute seconds one second of audio takes.
    meter: Arc<LoadMeter>,
}

/// Where the model computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecognizerPlace {
    /// On the engine's thread: a hang-up is noticed between steps (features, encoder pass,
    /// each decoding try). For tests and tools.
    InProcess,
    /// In a child process running `program args... DIR THREADS` (which calls
    /// [`crate::run_child`]), killed the moment its caller leaves.
    Child { program: PathBuf, args: Vec<String> },
}

/// The model, wherever it runs.
enum Recognizer {
    InProcess(Box<WhisperModel>),
    Child(ChildRecognizer),
}

impl Recognizer {
    fn load(place: &RecognizerPlace, dir: &Path, threads: usize) -> Result<Self, WhisperError> {
        Ok(match place {
            RecognizerPlace::InProcess => Self::InProcess(Box::new(WhisperModel::load(dir, threads)?)),
            RecognizerPlace::Child { program, args } => Self::Child(ChildRecognizer::start(
                program.clone(),
                args.clone(),
                dir,
                threads,
            )?),
        })
    }

    fn transcribe_unless(
        &mut self,
        job: &TranscriptionJob,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Transcript, WhisperError> {
        match self {
            Self::InProcess(model) => model.transcribe_unless(job, cancelled),
            Self::Child(child) => child.transcribe_unless(job, cancelled),
        }
    }
}

impl WhisperEngine {
    /// Loads the model in this process, on the engine's thread.
    pub fn start(dir: &Path, threads: usize) -> Result<Self, WhisperError> {
        Self::start_in(&RecognizerPlace::InProcess, dir, threads)
    }

    /// Loads the model where `place` says and returns once it is ready (or failed).
    pub fn start_in(place: &RecognizerPlace, dir: &Path, threads: usize) -> Result<Self, WhisperError> {
        let (queue, jobs) = sync_channel::<Job>(QUEUE);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let dir = dir.to_path_buf();
        let place = place.clone();
        let meter = LoadMeter::new();
        let thread_meter = meter.clone();
        std::thread::Builder::new()
            .name("whisper".into())
            .spawn(move || {
                let mut recognizer = match Recognizer::load(&place, &dir, threads) {
                    Ok(recognizer) => {
                        let _ = ready_tx.send(Ok(()));
                        recognizer
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                for Job { job, reply, _held } in jobs {
                    // The caller went away while this waited: do not spend the model on it.
                    if reply.is_closed() {
                        continue;
                    }
                    let started = Instant::now();
                    let result = recognizer.transcribe_unless(&job, &|| reply.is_closed());
                    if result.is_ok() {
                        thread_meter.observe(started.elapsed().as_secs_f64(), audio_secs(&job));
                    }
                    let _ = reply.send(result);
                }
            })
            .map_err(|e| WhisperError::Load(format!("cannot start the whisper thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| WhisperError::Load("the whisper thread died while loading".into()))??;
        Ok(Self { queue, meter })
    }
}

fn audio_secs(job: &TranscriptionJob) -> f64 {
    job.audio.samples.len() as f64 / f64::from(SAMPLE_RATE)
}

#[async_trait]
impl Transcriber for WhisperEngine {
    fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError> {
        let (reply, answer) = oneshot::channel();
        let _held = self.meter.hold(audio_secs(&job));
        match self.queue.try_send(Job { job, reply, _held }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(EngineError::Busy {
                    retry_after: RETRY_AFTER,
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(EngineError::Internal("whisper thread stopped".into()));
            }
        }
        // Dropping this future drops `answer`, which marks the job cancelled for the worker.
        match answer.await {
            Ok(result) => result.map_err(Into::into),
            Err(_) => Err(EngineError::Internal("whisper thread dropped the job".into())),
        }
    }

    /// One job at a time: a new one starts once every held second of audio is recognised.
    fn expected_wait(&self) -> Duration {
        self.meter.load().serial_wait()
    }
}
