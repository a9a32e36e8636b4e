//! The model on its own OS thread, fed through a bounded queue: requests never run at the same
//! time on the model, a full queue is "busy", and a request whose caller went away is skipped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::oneshot;
use vox_engine::load::{Held, LoadMeter};
use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};
use vox_engine::worker::{Inbox, QueueWaitObserver, Ready, StartFailure, Worker, WorkerSpec};
use vox_engine::{EngineError, EngineStatus};

use crate::WhisperError;
use crate::child::ChildRecognizer;
use crate::features::SAMPLE_RATE;
use crate::transcriber::WhisperModel;

const SPEC: WorkerSpec = WorkerSpec {
    name: "whisper",
    // Requests waiting beyond the one being transcribed.
    queue_depth: 8,
    ahead_depth: 0,
    // What a busy answer suggests waiting: about one short utterance.
    retry_after: Duration::from_secs(2),
};

struct Job {
    job: TranscriptionJob,
    reply: oneshot::Sender<Result<Transcript, WhisperError>>,
    /// Counts the job's seconds of audio in the engine's load until it is done or skipped.
    _held: Held,
}

pub struct WhisperEngine {
    worker: Worker<Job>,
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
        let dir = dir.to_path_buf();
        let place = place.clone();
        let meter = LoadMeter::new();
        let thread_meter = meter.clone();
        let (worker, ()) =
            Worker::start(
                SPEC,
                move |ready: Ready<(), WhisperError>, jobs| match Recognizer::load(&place, &dir, threads) {
                    Ok(recognizer) => {
                        ready.loaded(());
                        serve(recognizer, jobs, &thread_meter);
                    }
                    Err(err) => ready.failed(err),
                },
            )?;
        Ok(Self { worker, meter })
    }
}

fn serve(mut recognizer: Recognizer, jobs: Inbox<Job>, meter: &LoadMeter) {
    for queued in &jobs {
        let _request = queued.span.enter();
        let Job { job, reply, _held } = queued.job;
        // The caller went away while this waited: do not spend the model on it.
        if reply.is_closed() {
            continue;
        }
        jobs.began(queued.queued_at);
        let started = Instant::now();
        let result = recognizer.transcribe_unless(&job, &|| reply.is_closed());
        if result.is_ok() {
            meter.observe(started.elapsed().as_secs_f64(), audio_secs(&job));
        }
        let _ = reply.send(result);
    }
}

impl From<StartFailure> for WhisperError {
    fn from(failure: StartFailure) -> Self {
        WhisperError::Load(failure.to_string())
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
        self.worker.submit(Job { job, reply, _held })?;
        // Dropping this future drops `answer`, which marks the job cancelled for the worker.
        match answer.await {
            Ok(result) => result.map_err(Into::into),
            // The thread let go of the job without answering: it panicked.
            Err(_) => Err(EngineError::Stopped { engine: SPEC.name }),
        }
    }
}

impl EngineStatus for WhisperEngine {
    fn is_working(&self) -> bool {
        self.worker.is_working()
    }

    fn report_queue_waits(&self, observer: QueueWaitObserver) {
        self.worker.report_queue_waits(observer);
    }

    /// One job at a time: a new one starts once every held second of audio is recognised.
    fn expected_wait(&self) -> Duration {
        self.meter.load().serial_wait()
    }
}
