//! The model on its own OS thread: requests reach the decoding loop through a bounded queue
//! (full queue = busy), events come back on an unbounded channel per request, and dropping a
//! request's stream frees its sequence at the next step.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use vox_engine::load::{LoadMeter, SharingClock};

use futures::StreamExt;
use futures::stream::BoxStream;
use llama_cpp_2::context::params::{KvCacheType, LlamaContextParams};
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use tokio::sync::mpsc::unbounded_channel;
use tokio_stream::wrappers::UnboundedReceiverStream;
use vox_engine::chat::{ChatEvent, ChatJob, ChatModel, Prefilled};
use vox_engine::turns::SpeechTurns;
use vox_engine::worker::{QueueWaitObserver, Ready, StartFailure, Worker, WorkerSpec};
use vox_engine::{EngineError, EngineStatus};

use crate::LlamaError;
use crate::batch::{Purpose, Request, Scheduler};
use crate::decision::CallTrigger;
use crate::measure::{NotMeasured, PromptMeasure};
use crate::prompt::PromptTemplate;
use crate::slot::{Events, Keeper, Slot};

/// The thread's name; the queue depth comes from the configuration.
const NAME: &str = "llama";
/// What a busy answer suggests waiting: about one short answer.
const RETRY_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct LlamaConfig {
    pub model_path: PathBuf,
    pub threads: usize,
    /// Requests decoded together.
    pub slots: usize,
    /// Tokens each request may use, prompt and answer together.
    pub context_per_slot: usize,
    /// Requests waiting for a free slot before new ones are answered "busy".
    pub queue_depth: usize,
    /// Most tokens one decoding step takes (prompt chunks are cut to fit).
    pub batch_size: usize,
    /// Speech a listener waits for, which each decoding step lets finish first.
    pub turns: Arc<SpeechTurns>,
}

impl LlamaConfig {
    /// Requests decoded together (continuous batching).
    pub const DEFAULT_SLOTS: usize = 4;
    /// Tokens each request may use, prompt and answer together.
    pub const DEFAULT_CONTEXT_PER_SLOT: usize = 4096;
    /// Requests waiting for a slot before new ones are answered "busy" (429).
    pub const DEFAULT_QUEUE_DEPTH: usize = 16;
    /// Most tokens one decoding step takes.
    pub const DEFAULT_BATCH_SIZE: usize = 512;
}

pub struct LlamaEngine {
    requests: Arc<Worker<Request>>,
    /// Renders and counts prompts on the caller's side of the queue.
    measure: Arc<PromptMeasure>,
    meter: Arc<LoadMeter>,
    slots: usize,
    context_per_slot: usize,
}

/// llama.cpp's backend is process-wide and may be initialised once.
fn backend() -> Result<&'static LlamaBackend, LlamaError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlamaError::Load(e.clone()))
}

impl LlamaEngine {
    /// Takes a place in the queue now, in the caller's order and span, then measures the prompt
    /// off this thread (measurements may finish out of order) and fills the place.
    fn enqueue(&self, job: ChatJob, events: Events, purpose: Purpose) -> Result<(), EngineError> {
        let place = match purpose {
            Purpose::Answer(_) => self.requests.reserve()?,
            Purpose::Prefill { .. } => self.requests.reserve_ahead()?,
        };
        let measure = self.measure.clone();
        let prepare = move || {
            let left = || events.is_closed();
            let opening_only = matches!(purpose, Purpose::Prefill { .. });
            let measured = match measure.measure(&job, opening_only, left) {
                Ok(measured) => measured,
                Err(NotMeasured::Abandoned) => return,
                Err(NotMeasured::Refused(error)) => {
                    let _ = events.send(Err(error));
                    return;
                }
            };
            let failure = events.clone();
            let request = Request {
                job,
                measured,
                events,
                purpose,
            };
            if let Err(error) = place.submit(request) {
                let _ = failure.send(Err(error));
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(prepare)),
            Err(_) => prepare(),
        }
        Ok(())
    }

    /// Loads the model on its thread and returns once it is ready (or failed).
    pub fn start(config: LlamaConfig) -> Result<Self, LlamaError> {
        let backend = backend()?;
        let meter = LoadMeter::new();
        let slots = config.slots.max(1);
        let context_per_slot = config.context_per_slot;
        let thread_meter = meter.clone();
        let spec = WorkerSpec {
            name: NAME,
            queue_depth: config.queue_depth,
            // One opening read ahead per slot (see `ChatModel::prefill`).
            ahead_depth: slots,
            retry_after: RETRY_AFTER,
        };
        let (requests, measure) = Worker::start(
            spec,
            move |ready: Ready<Arc<PromptMeasure>, LlamaError>, inbox| {
                yield_to_speech();
                let loaded = load_model(backend, &config).and_then(|model| {
                    let template = chat_template(&model)?;
                    let model = Arc::new(model);
                    let measure = PromptMeasure::new(model.clone(), template, config.context_per_slot);
                    Ok((model, Arc::new(measure)))
                });
                let (model, measure) = match loaded {
                    Ok(loaded) => loaded,
                    Err(err) => return ready.failed(err),
                };
                match scheduler(backend, &model, &config, thread_meter) {
                    Ok(scheduler) => {
                        ready.loaded(measure);
                        scheduler.run(inbox);
                    }
                    Err(err) => ready.failed(err),
                }
            },
        )?;
        Ok(Self {
            requests: Arc::new(requests),
            measure,
            meter,
            slots,
            context_per_slot,
        })
    }
}

/// Niceness of the model thread and the workers it starts (they inherit it).
const NICENESS: i32 = 10;

/// Text comes faster than it can be spoken (14 tokens/s against about 4 spoken): on a machine
/// whose cores the voices and the recogniser share with the model, the speech work waited on by a
/// listener goes first. At niceness 10 the model gets about a tenth of a contended core and all
/// of an idle one, so text-only throughput is unchanged when nothing is being spoken.
fn yield_to_speech() {
    // SAFETY: plain system calls on the calling thread; failure only leaves the priority as is.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, NICENESS) };
    if result != 0 {
        tracing::warn!(
            "cannot lower the language model's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn load_model(backend: &LlamaBackend, config: &LlamaConfig) -> Result<LlamaModel, LlamaError> {
    // Read, not mapped: llama.cpp repacks most weights into its own buffer for the CPU's
    // vector units, and with a mapping the file's pages stayed resident beside the repacked
    // copy (default profile: 1.1 GB of file pages, 0.6 GB of them duplicates). Costs about
    // 0.4 s more at start-up.
    let params = LlamaModelParams::default().with_use_mmap(false);
    LlamaModel::load_from_file(backend, &config.model_path, &params)
        .map_err(|e| LlamaError::Load(format!("{}: {e}", config.model_path.display())))
}

fn scheduler<'m>(
    backend: &LlamaBackend,
    model: &'m LlamaModel,
    config: &LlamaConfig,
    meter: Arc<LoadMeter>,
) -> Result<Scheduler<'m>, LlamaError> {
    let slots = config.slots.max(1);
    let total = NonZeroU32::new((config.context_per_slot * slots) as u32)
        .ok_or_else(|| LlamaError::Load("context size must be positive".into()))?;
    let threads = config.threads.max(1) as i32;
    let params = LlamaContextParams::default()
        .with_n_ctx(Some(total))
        .with_n_seq_max(slots as u32)
        .with_n_batch(config.batch_size as u32)
        .with_n_ubatch(config.batch_size as u32)
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        // Half the memory of f16 (default profile: 238 MB instead of 448 for 4 x 4096 tokens);
        // generation and prompt times measured the same within this machine's noise.
        .with_type_k(KvCacheType::Q8_0)
        .with_type_v(KvCacheType::Q8_0)
        // Each sequence owns context_per_slot tokens: one long conversation cannot starve others.
        .with_kv_unified(false);
    let context = model
        .new_context(backend, params)
        .map_err(|e| LlamaError::Load(format!("cannot create the context: {e}")))?;
    Ok(Scheduler {
        model,
        context,
        slots: (0..slots).map(|seq| Slot::new(seq as i32)).collect(),
        batch: LlamaBatch::new(config.batch_size + slots, 1),
        batch_size: config.batch_size,
        context_per_slot: config.context_per_slot,
        meter,
        turns: config.turns.clone(),
        generating: SharingClock::new(Instant::now()),
        call_trigger: CallTrigger::of(model),
    })
}

fn chat_template(model: &LlamaModel) -> Result<PromptTemplate, LlamaError> {
    let source = model
        .meta_val_str("tokenizer.chat_template")
        .map_err(|_| LlamaError::Load("the model carries no chat template".into()))?;
    let vocab = model.vocab();
    let piece = |token| String::from_utf8_lossy(&vocab.token_to_piece(token, true, None)).into_owned();
    PromptTemplate::new(&source, piece(vocab.bos()), piece(vocab.eos())).map_err(LlamaError::Load)
}

impl From<StartFailure> for LlamaError {
    fn from(failure: StartFailure) -> Self {
        LlamaError::Load(failure.to_string())
    }
}

/// A generation's events end with `Finished` or an error. If the channel closes without either,
/// the model thread let go of it while panicking: say so rather than end as if complete.
fn stopped_if_dropped(
    events: UnboundedReceiverStream<Result<ChatEvent, EngineError>>,
) -> BoxStream<'static, Result<ChatEvent, EngineError>> {
    let mut ended = false;
    events
        .map(Some)
        .chain(futures::stream::once(async { None }))
        .filter_map(move |event| {
            let item = match event {
                Some(event) => {
                    ended = matches!(event, Ok(ChatEvent::Finished { .. }) | Err(_));
                    Some(event)
                }
                None if ended => None,
                None => Some(Err(EngineError::Stopped { engine: NAME })),
            };
            futures::future::ready(item)
        })
        .boxed()
}

impl ChatModel for LlamaEngine {
    /// The prompt is measured on a blocking thread first (see `measure`); only a prompt that
    /// fits is queued for the model thread.
    fn generate(&self, job: ChatJob) -> BoxStream<'static, Result<ChatEvent, EngineError>> {
        let (events, stream) = unbounded_channel();
        if let Err(error) = self.enqueue(job, events, Purpose::Answer(self.meter.hold(1.0))) {
            return futures::stream::once(async { Err(error) }).boxed();
        }
        stopped_if_dropped(UnboundedReceiverStream::new(stream))
    }

    /// A prefill is an ordinary request that stops once its prompt is in a slot's cache; the
    /// slot is then kept for prompts that start the same way while the handle lives. It counts
    /// for nothing in the load that admission weighs: it is work done ahead, and answers
    /// take its slot over.
    fn prefill(&self, opening: ChatJob) -> Prefilled {
        let (events, kept) = unbounded_channel();
        let keeper = Arc::new(Keeper::new(kept));
        let (on_read, read) = futures::channel::oneshot::channel();
        let purpose = Purpose::Prefill {
            keeper: Arc::downgrade(&keeper),
            on_read,
        };
        match self.enqueue(opening, events, purpose) {
            Ok(()) => Prefilled::keeping(keeper, read),
            Err(_) => Prefilled::nothing(),
        }
    }

    fn context_tokens(&self) -> Option<usize> {
        Some(self.context_per_slot)
    }
}

impl EngineStatus for LlamaEngine {
    fn is_working(&self) -> bool {
        self.requests.is_working()
    }

    fn report_queue_waits(&self, observer: QueueWaitObserver) {
        self.requests.report_queue_waits(observer);
    }

    /// Generations run `slots` at a time; each beyond them waits for one generation's cost.
    fn expected_wait(&self) -> Duration {
        self.meter.load().parallel_wait(self.slots)
    }
}
