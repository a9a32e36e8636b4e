//! The model on its own OS thread, fed through a bounded queue: requests never run at the same
//! time on the model, a full queue is "busy", and a request whose caller went away is skipped.

use std::path::Path;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::oneshot;
use vox_engine::EngineError;
use vox_engine::transcribe::{Transcriber, Transcript, TranscriptionJob};

use crate::WhisperError;
use crate::features::SAMPLE_RATE;
use crate::transcriber::WhisperModel;

/// Requests waiting beyond the one being transcribed.
const QUEUE: usize = 8;
/// What a busy answer suggests waiting: about one short utterance.
const RETRY_AFTER: Duration = Duration::from_secs(2);

struct Job {
    job: TranscriptionJob,
    reply: oneshot::Sender<Result<Transcript, WhisperError>>,
}

pub struct WhisperEngine {
    queue: SyncSender<Job>,
}

impl WhisperEngine {
    /// Loads the model on its worker thread and returns once it is ready (or failed).
    pub fn start(dir: &Path, threads: usize) -> Result<Self, WhisperError> {
        let (queue, jobs) = sync_channel::<Job>(QUEUE);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let dir = dir.to_path_buf();
        std::thread::Builder::new()
            .name("whisper".into())
            .spawn(move || {
                let model = match WhisperModel::load(&dir, threads) {
                    Ok(model) => {
                        let _ = ready_tx.send(Ok(()));
                        model
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                for Job { job, reply } in jobs {
                    // The caller went away while this waited: do not spend the model on it.
                    if reply.is_closed() {
                        continue;
                    }
                    let result = model.transcribe_unless(&job, &|| reply.is_closed());
                    let _ = reply.send(result);
                }
            })
            .map_err(|e| WhisperError::Load(format!("cannot start the whisper thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| WhisperError::Load("the whisper thread died while loading".into()))??;
        Ok(Self { queue })
    }
}

#[async_trait]
impl Transcriber for WhisperEngine {
    fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    async fn transcribe(&self, job: TranscriptionJob) -> Result<Transcript, EngineError> {
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Job { job, reply }) {
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
}
