//! One realtime session: the conversation's items, the caller's audio buffer with server turn
//! detection, recognition of each turn (started during the silence that may end it), and one
//! response at a time on the voice pipeline, interrupted at once when the caller speaks.
//!
//! Everything runs on the session's task; the engines work on their own threads. When the
//! socket closes the session is dropped, and with it every recognition and the response in
//! progress, so no stage keeps computing for a caller who has gone.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use futures::stream::{FuturesUnordered, SplitStream};
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatModel, Prefilled};
use vox_engine::speech::Synthesizer;
use vox_engine::transcribe::Transcriber;
use vox_engine::vad::{TurnEnd, VoiceActivity};
use vox_pipeline::{Heard, TurnEvent};
use vox_protocol::realtime::client::Received;
use vox_protocol::realtime::{
    ClientEvent, Content, Dialect, InputItem, Item, ItemKind, ItemRole, ItemStatus, Modality, RealtimeError,
    ResponseRequest, ServerEvent, SessionConfig, SessionKind, new_id,
};

use super::Grant;
use super::audio::InputDecoder;
use super::budget::{self, Budget};
use super::conversation::{self, Items};
use super::input::InputBuffer;
use super::report;
use super::response::{ClauseMark, Extras, Running, new_response_id};
use super::socket::{self, Outgoing};
use crate::error::ApiError;
use crate::state::{AppState, unix_now};

/// Items one conversation may hold.
const MAX_ITEMS: usize = 1000;
/// The longest session (OpenAI's is an hour too).
const MAX_SESSION: Duration = Duration::from_secs(60 * 60);
/// A session whose client sends nothing (not even a pong) for this long is closed.
const SILENT_PEER: Duration = Duration::from_secs(3 * 20 + 10);
/// A session whose client sends no event for this long is closed.
const IDLE_SESSION: Duration = Duration::from_secs(15 * 60);
/// Silence kept after the end of a turn for recognition (Whisper reads the last word better).
const TAIL_MS: u64 = 200;
/// The end-of-turn model's probability from which a pause ends the turn (smart-turn's own
/// threshold).
const FINISHED: f32 = 0.5;
/// A manual commit needs at least this much audio (OpenAI's rule).
const MIN_COMMIT_MS: u64 = 100;
/// Server events waiting for a slow client before the session waits for it.
const OUTBOX_LEN: usize = 512;

/// Beta's top-level session fields, which GA moved (`voice` -> `audio.output.voice`, ...) and
/// rejects by name, as OpenAI does.
const BETA_ONLY_KEYS: [&str; 8] = [
    "voice",
    "input_audio_format",
    "output_audio_format",
    "input_audio_transcription",
    "input_audio_noise_reduction",
    "turn_detection",
    "modalities",
    "max_response_output_tokens",
];

/// WebSocket close codes the server uses.
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;

pub struct Engines {
    pub transcriber: Arc<dyn Transcriber>,
    pub chat: Arc<dyn ChatModel>,
    pub synthesizer: Arc<dyn Synthesizer>,
    pub vad: Option<Arc<dyn VoiceActivity>>,
    pub turn_end: Option<Arc<dyn TurnEnd>>,
}

pub struct Setup {
    pub state: AppState,
    pub model: String,
    pub dialect: Dialect,
    pub grant: Grant,
    pub engines: Engines,
    /// The caller's place among its realtime sessions, given back when the session ends.
    pub held: crate::auth::limits::Held,
    /// The client offered the `realtime` subprotocol (selected in the answer).
    pub subprotocol: bool,
    /// `?intent=transcription`: a session that only transcribes.
    pub transcription: bool,
    /// The deployment's word to the model when it answers in audio.
    pub spoken_style: Option<String>,
}

pub async fn run(socket: WebSocket, setup: Setup) {
    let (sink, mut stream) = socket.split();
    let (out, outgoing) = mpsc::channel(OUTBOX_LEN);
    let writer = tokio::spawn(socket::write(sink, outgoing, setup.dialect));
    let mut session = Session::new(setup, out);
    session.state.metrics().realtime_session(1);
    if session.open().await.is_some() {
        session.serve(&mut stream).await;
    }
    session.state.metrics().realtime_session(-1);
    drop(session);
    let _ = writer.await;
}

/// A spawned task that is aborted when dropped (a session that ends stops its work).
struct Spawned<T>(JoinHandle<T>);

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Spawned<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

type Hearing = Result<Heard, ApiError>;

/// Recognition started while the caller paused: used if the pause ends the turn.
struct Speculation {
    at_ms: u64,
    early: Early,
}

enum Early {
    Recognising(Spawned<Hearing>),
    Heard(Hearing),
}

/// The end-of-turn model hearing a pause (`semantic_vad`): the turn ends there if it says the
/// caller has finished.
struct Judging {
    at_ms: u64,
    verdict: Spawned<Result<f32, vox_engine::EngineError>>,
}

/// An answer to a pause, written and spoken while the silence window runs but not sent: the
/// caller hears it at once if the pause ends the turn; it is dropped if they speak again.
struct Held {
    at_ms: u64,
    running: Running,
}

/// A recognised turn, for its item.
struct Recognised {
    item_id: String,
    heard: Hearing,
    respond: bool,
    /// When turn detection ended the turn (none for a committed buffer or an audio item).
    speech_ended: Option<Instant>,
}

/// The end of the turn the next response answers, and when its transcript was ready.
#[derive(Clone, Copy)]
struct TurnTimes {
    speech_ended: Instant,
    transcript_ready: Instant,
}

/// The turn the caller is speaking.
struct Turn {
    item_id: String,
    start_ms: u64,
}

struct Session {
    /// The caller's place among its sessions, until this one ends.
    _held: crate::auth::limits::Held,
    state: AppState,
    engines: Engines,
    spoken_style: Option<String>,
    /// What its texts and memory may reach.
    budget: Budget,
    dialect: Dialect,
    out: Outbox,
    config: SessionConfig,
    items: Items,
    input: InputBuffer,
    turn: Option<Turn>,
    speculation: Option<Speculation>,
    judging: Option<Judging>,
    /// A verdict the caller spoke past, still being computed: no other starts before it ends, so
    /// a burst of pauses cannot queue model runs without bound.
    judging_past: Option<Spawned<Result<f32, vox_engine::EngineError>>>,
    /// The pause the end-of-turn model judged unfinished: its words have the last say.
    unfinished_pause: Option<u64>,
    held: Option<Held>,
    /// Early recognitions the caller spoke past: left to finish (stopping one restarts the
    /// recogniser's process), stopped with the session.
    discarded: Vec<Spawned<Hearing>>,
    recognitions: FuturesUnordered<futures::future::BoxFuture<'static, Recognised>>,
    /// `response.create` while a turn was still being recognised: started once it is.
    queued_response: Option<Option<Value>>,
    response: Option<Running>,
    /// Where each spoken item's clauses start, for truncation.
    marks: HashMap<String, Vec<ClauseMark>>,
    /// The conversation's opening kept ready in the language model for the next turn.
    prefilled: Prefilled,
    /// The language of the caller's last turn: answers are spoken in it.
    language: Option<String>,
    /// Input audio not yet counted in a response's usage.
    unbilled_audio_secs: f64,
    /// The turn the next response answers, for its stage times.
    answering: Option<TurnTimes>,
    /// Words of the turn being spoken already sent as transcription deltas.
    transcript_sent: Option<(String, String)>,
    opened: Instant,
    last_event: Instant,
    last_frame: Instant,
    /// When the conversation last went quiet (a response ended, a turn stopped).
    quiet_since: Instant,
}

impl Session {
    fn new(setup: Setup, out: mpsc::Sender<Outgoing>) -> Self {
        let expires_at = unix_now() + MAX_SESSION.as_secs();
        let config = SessionConfig::new(new_id("sess"), setup.model, expires_at);
        let input = InputBuffer::new(config.input_format);
        let budget = Budget::for_context(setup.engines.chat.context_tokens());
        let now = Instant::now();
        let mut session = Self {
            _held: setup.held,
            state: setup.state,
            engines: setup.engines,
            spoken_style: setup.spoken_style,
            budget,
            dialect: setup.dialect,
            out: Outbox(out),
            config,
            items: Items::default(),
            input,
            turn: None,
            speculation: None,
            judging: None,
            judging_past: None,
            unfinished_pause: None,
            held: None,
            discarded: Vec::new(),
            recognitions: FuturesUnordered::new(),
            queued_response: None,
            response: None,
            marks: HashMap::new(),
            prefilled: Prefilled::nothing(),
            language: None,
            unbilled_audio_secs: 0.0,
            answering: None,
            transcript_sent: None,
            opened: now,
            last_event: now,
            last_frame: now,
            quiet_since: now,
        };
        let grant_type = setup.grant.session.get("type").and_then(Value::as_str);
        if setup.transcription || grant_type == Some("transcription") {
            session.config.kind = SessionKind::Transcription;
        }
        if !setup.grant.session.is_null()
            && let Ok(config) = session.config.update(&setup.grant.session)
        {
            session.config = config;
        }
        session
    }

    /// `session.created`, with turn detection running as configured.
    async fn open(&mut self) -> Option<()> {
        if let Err(err) = self.apply_turn_detection() {
            self.out.event(ServerEvent::Error(err)).await?;
        }
        self.prefill_opening();
        self.out
            .event(ServerEvent::SessionCreated(self.config.clone()))
            .await
    }

    async fn serve(&mut self, stream: &mut SplitStream<WebSocket>) {
        loop {
            let deadline = tokio::time::Instant::from_std(self.next_deadline());
            let done = tokio::select! {
                message = stream.next() => self.on_message(message).await,
                Some(recognised) = self.recognitions.next(), if !self.recognitions.is_empty() => {
                    self.on_recognised(recognised).await
                }
                heard = Self::early_result(&mut self.speculation), if self.is_recognising_early() => {
                    self.on_early(heard).await
                }
                verdict = Self::verdict(&mut self.judging), if self.judging.is_some() => {
                    self.on_verdict(verdict).await
                }
                ended = Self::step_response(&mut self.response, &mut self.items), if self.response.is_some() => {
                    self.on_response_events(ended).await
                }
                () = tokio::time::sleep_until(deadline) => self.on_deadline().await,
                // The writer dropped a peer that stopped reading: the session ends with it.
                () = self.out.0.closed() => None,
            };
            if done.is_none() {
                break;
            }
            self.discarded.retain(|task| !task.0.is_finished());
        }
    }

    fn is_recognising_early(&self) -> bool {
        matches!(
            &self.speculation,
            Some(Speculation {
                early: Early::Recognising(_),
                ..
            })
        )
    }

    async fn early_result(speculation: &mut Option<Speculation>) -> Hearing {
        match speculation {
            Some(Speculation {
                early: Early::Recognising(task),
                ..
            }) => task.await.unwrap_or_else(|e| Err(ApiError::internal(e))),
            _ => std::future::pending().await,
        }
    }

    /// The pause's recognition is in: it may end a turn the end-of-turn model thought
    /// unfinished (`semantic_vad`).
    async fn on_early(&mut self, heard: Hearing) -> Option<()> {
        let at_ms = self.speculation.as_ref().map(|s| s.at_ms);
        self.take_early(heard).await?;
        if let Some(at_ms) = at_ms
            && self.unfinished_pause == Some(at_ms)
            && self.words_finish(at_ms)
            && let Some(event) = self.input.end_at_pause(at_ms)
        {
            tracing::debug!(at_ms, "pause: the words end the turn");
            self.on_turn_event(event).await;
        }
        Some(())
    }

    /// The pause at `at_ms` was recognised, and its words read as a finished turn.
    fn words_finish(&self, at_ms: u64) -> bool {
        match &self.speculation {
            Some(Speculation {
                at_ms: heard_at,
                early: Early::Heard(Ok(heard)),
            }) => {
                *heard_at == at_ms
                    && vox_pipeline::turn_words::reads_as_finished(&heard.text, &heard.language)
            }
            _ => false,
        }
    }

    /// A transcription session sends the words so far; a conversation starts the answer they
    /// would get, held until the turn ends.
    async fn take_early(&mut self, heard: Hearing) -> Option<()> {
        let Some(speculation) = &mut self.speculation else {
            return Some(());
        };
        speculation.early = Early::Heard(heard.clone());
        let at_ms = speculation.at_ms;
        if self.config.kind == SessionKind::Transcription {
            if let (Ok(heard), Some(turn)) = (&heard, &self.turn) {
                let item_id = turn.item_id.clone();
                self.send_transcript_so_far(&item_id, &heard.text).await?;
            }
            return Some(());
        }
        let respond = self.responds_to_turns();
        let idle = self.response.is_none() && self.queued_response.is_none() && self.recognitions.is_empty();
        let (Ok(heard), Some(turn), true, true) = (heard, &self.turn, respond, idle) else {
            return Some(());
        };
        if heard.text.is_empty() {
            return Some(());
        }
        let mut items = self.items.all().to_vec();
        items.push(user_turn(turn.item_id.clone(), Some(heard.text)));
        if !heard.language.is_empty() {
            self.language = Some(heard.language);
        }
        match self.prepare_response(None, &items) {
            Ok(running) => {
                tracing::debug!(at_ms, "pause: answer prepared");
                self.held = Some(Held { at_ms, running });
            }
            Err(err) => tracing::debug!(message = %err.message, "pause: no answer prepared"),
        }
        Some(())
    }

    /// Turn detection answers each turn (a transcription session never does).
    fn responds_to_turns(&self) -> bool {
        self.config.kind == SessionKind::Realtime
            && self
                .config
                .turn_detection
                .as_ref()
                .is_some_and(|t| t.create_response)
    }

    /// Sends what `text` adds to the words of `item_id` already sent. Recognition of a longer
    /// stretch can reword the start; then nothing more is sent until `.completed` says it all.
    async fn send_transcript_so_far(&mut self, item_id: &str, text: &str) -> Option<()> {
        let sent = match &self.transcript_sent {
            Some((id, sent)) if id == item_id => sent.clone(),
            _ => String::new(),
        };
        let Some(delta) = text.strip_prefix(sent.as_str()).filter(|d| !d.is_empty()) else {
            return Some(());
        };
        let delta = delta.to_string();
        self.transcript_sent = Some((item_id.to_string(), text.to_string()));
        self.out
            .event(ServerEvent::TranscriptionDelta {
                item_id: item_id.to_string(),
                delta,
            })
            .await
    }

    async fn step_response(response: &mut Option<Running>, items: &mut Items) -> (Vec<ServerEvent>, bool) {
        let mut events = Vec::new();
        let ended = match response {
            Some(running) => running.step(items, &mut events).await,
            None => true,
        };
        (events, ended)
    }

    async fn on_response_events(&mut self, (events, ended): (Vec<ServerEvent>, bool)) -> Option<()> {
        for event in events {
            self.out.event(event).await?;
        }
        if ended && let Some(running) = self.response.take() {
            let status = running.status.unwrap_or("failed");
            report::response_ended(
                &self.state,
                &running.id,
                status,
                &running.timeline,
                running.output_len(),
            );
            self.marks.extend(running.spoken_marks);
            self.quiet_since = Instant::now();
            self.out.event(ServerEvent::RateLimits).await?;
        }
        Some(())
    }

    /// `None` ends the session.
    async fn on_message(&mut self, message: Option<Result<Message, axum::Error>>) -> Option<()> {
        self.last_frame = Instant::now();
        match message? {
            Ok(Message::Text(text)) => {
                self.last_event = Instant::now();
                match vox_protocol::realtime::ClientEvent::parse(&text) {
                    Ok(received) => self.on_event(received).await,
                    Err(err) => self.out.event(ServerEvent::Error(err)).await,
                }
            }
            Ok(Message::Binary(_)) => {
                let err = RealtimeError::invalid(
                    "Binary frames are not events: send each event as a JSON text frame.",
                    "",
                    "invalid_event",
                );
                self.out.event(ServerEvent::Error(err)).await
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => Some(()),
            Ok(Message::Close(_)) => None,
            Err(err) => match frame_too_big(&err) {
                Some(size) => {
                    let message = format!(
                        "The message of {size} bytes is over the limit of {} bytes for one event: send audio in smaller input_audio_buffer.append events.",
                        super::MAX_MESSAGE_BYTES
                    );
                    self.close(CLOSE_TOO_BIG, "message_too_large", &message).await
                }
                None => None,
            },
        }
    }

    async fn on_event(&mut self, Received { event_id, event }: Received) -> Option<()> {
        let result = match event {
            ClientEvent::SessionUpdate { session } => self.update_session(&session).await,
            ClientEvent::AppendAudio { audio } => self.append_audio(&audio).await,
            ClientEvent::CommitAudio => self.commit_audio().await,
            ClientEvent::ClearAudio => {
                self.input.clear();
                self.forget_turn();
                self.out.event(ServerEvent::Cleared).await;
                Ok(())
            }
            ClientEvent::CreateItem {
                previous_item_id,
                item,
            } => self.create_item(previous_item_id, &item).await,
            ClientEvent::DeleteItem { item_id } => self.delete_item(&item_id).await,
            ClientEvent::TruncateItem {
                item_id,
                content_index,
                audio_end_ms,
            } => self.truncate_item(&item_id, content_index, audio_end_ms).await,
            ClientEvent::RetrieveItem { item_id } => match self.items.get(&item_id) {
                Some(item) => {
                    let item = item.clone();
                    self.out.event(ServerEvent::ItemRetrieved { item }).await;
                    Ok(())
                }
                None => Err(item_not_found(&item_id)),
            },
            ClientEvent::CreateResponse { response } => self.create_response(response).await,
            ClientEvent::CancelResponse { response_id } => self.cancel_response(response_id.as_deref()),
            ClientEvent::ClearOutputAudio => {
                if let Some(running) = &mut self.response {
                    running.cancel("client_cancelled");
                }
                Ok(())
            }
        };
        if let Err(err) = result {
            self.out
                .event(ServerEvent::Error(err.for_event(event_id.as_deref())))
                .await?;
        }
        self.check_limits().await
    }

    async fn update_session(&mut self, session: &Value) -> Result<(), RealtimeError> {
        if self.dialect == Dialect::Ga
            && let Some(key) = BETA_ONLY_KEYS.iter().find(|k| session.get(**k).is_some())
        {
            return Err(RealtimeError::invalid(
                format!("Unknown parameter: 'session.{key}'."),
                &format!("session.{key}"),
                "unknown_parameter",
            ));
        }
        let config = self.config.update(session)?;
        self.budget.check_prompt(&config, "session")?;
        if config.modality == Modality::Audio
            && self.engines.synthesizer.voices().resolve(&config.voice).is_none()
        {
            let names: Vec<String> = self
                .engines
                .synthesizer
                .voices()
                .list()
                .into_iter()
                .map(|v| v.id)
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            return Err(RealtimeError::invalid_value(
                &config.voice,
                &names,
                "session.audio.output.voice",
            ));
        }
        if config.kind != self.config.kind && !self.items.all().is_empty() {
            return Err(RealtimeError::invalid(
                "Invalid 'session.type': a session's type can change only before its conversation \
                 holds any item.",
                "session.type",
                "invalid_value",
            ));
        }
        let previous = std::mem::replace(&mut self.config, config);
        self.input.set_format(self.config.input_format);
        if let Err(err) = self.apply_turn_detection() {
            self.config = previous;
            return Err(err);
        }
        self.prefill_opening();
        self.out
            .event(ServerEvent::SessionUpdated(self.config.clone()))
            .await;
        Ok(())
    }

    /// Has the language model read the instructions, tools and conversation so far before the
    /// caller's next turn: a voice agent's opening takes seconds to read on a CPU, and this way
    /// the turn's answer starts without that wait. The handle before this one is dropped only
    /// after, so an unchanged opening stays kept throughout.
    fn prefill_opening(&mut self) {
        if self.config.kind == SessionKind::Transcription {
            return;
        }
        let opening = conversation::answer_job(&self.config, self.items.all(), self.spoken_style.as_deref());
        self.prefilled = self.engines.chat.prefill(opening);
    }

    fn apply_turn_detection(&mut self) -> Result<(), RealtimeError> {
        let detection = self.config.turn_detection.as_ref();
        if detection.is_some() && self.engines.vad.is_none() {
            return Err(RealtimeError::server(
                "engine_unavailable",
                "Server turn detection needs the voice activity model, which is not loaded: \
                 set turn_detection to null and commit the audio buffer yourself.",
            ));
        }
        let judged = self.pause_judge().is_some();
        self.input
            .detect_turns(self.engines.vad.as_deref(), detection, judged)
    }

    /// The end-of-turn model, when `semantic_vad` asks it about each pause.
    fn pause_judge(&self) -> Option<Arc<dyn TurnEnd>> {
        let detection = self.config.turn_detection.as_ref()?;
        (detection.kind == "semantic_vad")
            .then(|| self.engines.turn_end.clone())
            .flatten()
    }

    async fn append_audio(&mut self, audio: &str) -> Result<(), RealtimeError> {
        let samples = self.samples_in(audio);
        budget::check_room(self.held_bytes(), budget::samples_bytes(samples))?;
        for event in self.input.append(audio)? {
            self.on_turn_event(event).await;
        }
        Ok(())
    }

    async fn on_turn_event(&mut self, event: TurnEvent) {
        match event {
            TurnEvent::SpeechStarted { start_ms } => {
                let item_id = new_id("item");
                self.turn = Some(Turn {
                    item_id: item_id.clone(),
                    start_ms,
                });
                self.out
                    .event(ServerEvent::SpeechStarted {
                        audio_start_ms: start_ms,
                        item_id,
                    })
                    .await;
                let interrupt = self
                    .config
                    .turn_detection
                    .as_ref()
                    .is_some_and(|t| t.interrupt_response);
                if interrupt && let Some(running) = &mut self.response {
                    running.cancel("turn_detected");
                }
            }
            TurnEvent::Paused { at_ms } => {
                self.speculate(at_ms);
                self.judge(at_ms);
            }
            TurnEvent::Resumed => self.discard_speculation(),
            TurnEvent::SpeechStopped { end_ms } => self.end_turn(end_ms).await,
        }
    }

    /// Recognises the turn so far while the silence window runs.
    fn speculate(&mut self, at_ms: u64) {
        let Some(start_ms) = self.turn.as_ref().map(|t| t.start_ms) else {
            return;
        };
        self.discard_speculation();
        let audio = self.input.copy(start_ms, at_ms + TAIL_MS);
        let transcriber = self.engines.transcriber.clone();
        tracing::debug!(
            at_ms,
            audio_secs = audio.duration_secs(),
            "pause: recognising the turn so far"
        );
        let task = tokio::spawn(recognise(transcriber, audio));
        self.speculation = Some(Speculation {
            at_ms,
            early: Early::Recognising(Spawned(task)),
        });
    }

    /// Asks the end-of-turn model whether the pause at `at_ms` ends the turn (`semantic_vad`).
    fn judge(&mut self, at_ms: u64) {
        let (Some(model), Some(turn)) = (self.pause_judge(), &self.turn) else {
            return;
        };
        if self
            .judging_past
            .as_ref()
            .is_some_and(|past| !past.0.is_finished())
        {
            // This pause ends by silence or by its words.
            return;
        }
        // The turn so far and the start of the pause, as much as the model reads.
        let now_ms = self.input.detected_up_to_ms();
        let context_ms = model.context_samples() as u64 * 1000 / u64::from(model.sample_rate());
        let audio = self
            .input
            .copy(turn.start_ms.max(now_ms.saturating_sub(context_ms)), now_ms);
        let verdict = tokio::task::spawn_blocking(move || {
            let samples = vox_audio::resample(&audio.samples, audio.sample_rate, model.sample_rate())
                .map_err(|e| vox_engine::EngineError::Internal(e.to_string()))?;
            model.finished(&samples)
        });
        self.judging = Some(Judging {
            at_ms,
            verdict: Spawned(verdict),
        });
    }

    async fn verdict(judging: &mut Option<Judging>) -> (u64, Result<f32, vox_engine::EngineError>) {
        match judging {
            Some(judging) => {
                let verdict = (&mut judging.verdict).await;
                let verdict =
                    verdict.unwrap_or_else(|e| Err(vox_engine::EngineError::Internal(e.to_string())));
                (judging.at_ms, verdict)
            }
            None => std::future::pending().await,
        }
    }

    /// The end-of-turn model heard the pause: a finished turn ends where the silence began; an
    /// unfinished one waits for more speech or the longest silence, unless the pause's words,
    /// once recognised, read as a finished sentence.
    async fn on_verdict(
        &mut self,
        (at_ms, verdict): (u64, Result<f32, vox_engine::EngineError>),
    ) -> Option<()> {
        self.judging = None;
        let finished = match verdict {
            Ok(probability) => {
                tracing::debug!(at_ms, probability, "pause: end of turn judged");
                probability >= FINISHED
            }
            Err(err) => {
                // Without a verdict the turn ends as an unfinished one would: by silence.
                tracing::warn!(error = %err, "end-of-turn model failed");
                false
            }
        };
        if !finished {
            self.unfinished_pause = Some(at_ms);
        }
        if (finished || self.words_finish(at_ms))
            && let Some(event) = self.input.end_at_pause(at_ms)
        {
            self.on_turn_event(event).await;
        }
        Some(())
    }

    fn discard_speculation(&mut self) {
        if let Some(judging) = self.judging.take() {
            self.judging_past = Some(judging.verdict);
        }
        self.unfinished_pause = None;
        self.held = None;
        if let Some(Speculation {
            early: Early::Recognising(task),
            ..
        }) = self.speculation.take()
        {
            self.discarded.push(task);
        }
    }

    fn forget_turn(&mut self) {
        self.turn = None;
        self.discard_speculation();
    }

    async fn end_turn(&mut self, end_ms: u64) {
        let Some(turn) = self.turn.take() else { return };
        self.out
            .event(ServerEvent::SpeechStopped {
                audio_end_ms: end_ms,
                item_id: turn.item_id.clone(),
            })
            .await;
        let keep_from = self.input.detected_up_to_ms();
        let audio = self.input.take(turn.start_ms, end_ms + TAIL_MS, keep_from);
        tracing::debug!(
            end_ms,
            early = self.speculation.as_ref().map(|s| s.at_ms),
            "end of turn"
        );
        let early = match self.speculation.take() {
            Some(speculation) if speculation.at_ms == end_ms => Some(speculation.early),
            other => {
                self.speculation = other;
                self.discard_speculation();
                None
            }
        };
        if self.held.as_ref().is_some_and(|held| held.at_ms != end_ms) {
            self.held = None;
        }
        let respond = self.responds_to_turns();
        self.quiet_since = Instant::now();
        self.commit_turn(turn.item_id, audio, early, respond, Some(self.quiet_since))
            .await;
    }

    async fn commit_audio(&mut self) -> Result<(), RealtimeError> {
        let buffered = self.input.buffered_ms();
        if buffered < MIN_COMMIT_MS {
            return Err(RealtimeError::invalid(
                format!(
                    "Error committing input audio buffer: buffer too small. Expected at least \
                     {MIN_COMMIT_MS}ms of audio, but buffer only has {buffered}.00ms of audio."
                ),
                "",
                "input_audio_buffer_commit_empty",
            ));
        }
        let item_id = self.turn.take().map_or_else(|| new_id("item"), |t| t.item_id);
        self.discard_speculation();
        let audio = self.input.take_all();
        self.commit_turn(item_id, audio, None, false, None).await;
        Ok(())
    }

    /// The caller's turn becomes a user item, recognised (or already being recognised).
    async fn commit_turn(
        &mut self,
        item_id: String,
        audio: AudioBuffer,
        early: Option<Early>,
        respond: bool,
        speech_ended: Option<Instant>,
    ) {
        self.unbilled_audio_secs += audio.duration_secs();
        let item = user_turn(item_id.clone(), None);
        let previous_item_id = self.items.push(item.clone());
        self.out
            .event(ServerEvent::Committed {
                item_id: item_id.clone(),
                previous_item_id: previous_item_id.clone(),
            })
            .await;
        self.out
            .event(ServerEvent::ItemAdded {
                item,
                previous_item_id,
            })
            .await;
        let heard = match early {
            Some(Early::Recognising(task)) => {
                async move { task.await.unwrap_or_else(|e| Err(ApiError::internal(e))) }.boxed()
            }
            Some(Early::Heard(heard)) => futures::future::ready(heard).boxed(),
            None => recognise(self.engines.transcriber.clone(), audio).boxed(),
        };
        self.recognitions.push(
            async move {
                Recognised {
                    item_id,
                    heard: heard.await,
                    respond,
                    speech_ended,
                }
            }
            .boxed(),
        );
    }

    async fn on_recognised(
        &mut self,
        Recognised {
            item_id,
            heard,
            respond,
            speech_ended,
        }: Recognised,
    ) -> Option<()> {
        tracing::debug!(item_id, ok = heard.is_ok(), "turn recognised");
        let heard = match heard {
            Ok(heard) => heard,
            Err(err) => {
                let error = RealtimeError::from(err);
                self.out
                    .event(ServerEvent::TranscriptionFailed { item_id, error })
                    .await?;
                return self.start_queued_response().await;
            }
        };
        if !heard.language.is_empty() {
            self.language = Some(heard.language.clone());
        }
        let item = self.items.get_mut(&item_id).map(|item| {
            if let ItemKind::Message { content, .. } = &mut item.kind {
                for part in content.iter_mut() {
                    if let Content::InputAudio { transcript } = part {
                        *transcript = Some(heard.text.clone());
                    }
                }
            }
            item.clone()
        });
        self.send_transcript_so_far(&item_id, &heard.text).await?;
        self.transcript_sent = None;
        self.out
            .event(ServerEvent::TranscriptionCompleted {
                item_id: item_id.clone(),
                transcript: heard.text.clone(),
            })
            .await?;
        if let Some(item) = item {
            let previous_item_id = self.previous_of(&item.id);
            self.out
                .event(ServerEvent::ItemDone {
                    item,
                    previous_item_id,
                })
                .await?;
        }
        let held = self.held.take();
        if !respond || heard.text.is_empty() {
            return self.start_queued_response().await;
        }
        self.answering = speech_ended.map(|speech_ended| TurnTimes {
            speech_ended,
            transcript_ready: Instant::now(),
        });
        if let Some(Held { mut running, .. }) = held
            && self.response.is_none()
            && self.recognitions.is_empty()
        {
            self.time_from_turn(&mut running);
            running.input_audio_secs = std::mem::take(&mut self.unbilled_audio_secs);
            self.out.event(running.created()).await?;
            self.response = Some(running);
            return Some(());
        }
        if self.queued_response.is_none() {
            self.queued_response = Some(None);
        }
        self.start_queued_response().await
    }

    async fn start_queued_response(&mut self) -> Option<()> {
        if !self.recognitions.is_empty() || self.response.is_some() {
            return Some(());
        }
        if let Some(request) = self.queued_response.take()
            && let Err(err) = self.start_response(request).await
        {
            self.out.event(ServerEvent::Error(err)).await?;
        }
        Some(())
    }

    async fn create_item(&mut self, previous: Option<String>, value: &Value) -> Result<(), RealtimeError> {
        let created = vox_protocol::realtime::item::Item::parse(value)?;
        self.budget.check_item(&created.item)?;
        let audio_samples = created.audio_base64.as_deref().map_or(0, |b| self.samples_in(b));
        let adding = budget::held_bytes(std::slice::from_ref(&created.item), audio_samples);
        budget::check_room(self.held_bytes(), adding)?;
        if self.items.get(&created.item.id).is_some() {
            return Err(RealtimeError::invalid(
                format!("Item with id '{}' already exists.", created.item.id),
                "item.id",
                "duplicate_item_id",
            ));
        }
        let audio = match &created.audio_base64 {
            Some(base64) => Some(AudioBuffer {
                samples: InputDecoder::default().decode(self.config.input_format, base64)?,
                sample_rate: self.config.input_format.rate(),
            }),
            None => None,
        };
        let item = created.item;
        let previous_item_id = self
            .items
            .insert_after(previous.as_deref(), item.clone())
            .map_err(|id| {
                RealtimeError::invalid(
                    format!("Error adding item: the previous item with id '{id}' does not exist."),
                    "previous_item_id",
                    "item_not_found",
                )
            })?;
        self.out
            .event(ServerEvent::ItemAdded {
                item: item.clone(),
                previous_item_id: previous_item_id.clone(),
            })
            .await;
        match audio {
            Some(audio) => {
                self.unbilled_audio_secs += audio.duration_secs();
                let transcriber = self.engines.transcriber.clone();
                let item_id = item.id.clone();
                self.recognitions.push(
                    async move {
                        Recognised {
                            item_id,
                            heard: recognise(transcriber, audio).await,
                            respond: false,
                            speech_ended: None,
                        }
                    }
                    .boxed(),
                );
            }
            None => {
                self.out
                    .event(ServerEvent::ItemDone {
                        item,
                        previous_item_id,
                    })
                    .await;
            }
        }
        Ok(())
    }

    async fn delete_item(&mut self, item_id: &str) -> Result<(), RealtimeError> {
        if !self.items.remove(item_id) {
            return Err(item_not_found(item_id));
        }
        self.marks.remove(item_id);
        self.out
            .event(ServerEvent::ItemDeleted {
                item_id: item_id.to_string(),
            })
            .await;
        Ok(())
    }

    /// Cuts a spoken answer to what the client says was played: its audio length, and its
    /// transcript to the clauses that had begun by then.
    async fn truncate_item(
        &mut self,
        item_id: &str,
        content_index: u64,
        audio_end_ms: u64,
    ) -> Result<(), RealtimeError> {
        self.end_response_writing(item_id).await;
        let marks = self.marks.get(item_id).cloned().unwrap_or_default();
        let item = self
            .items
            .get_mut(item_id)
            .ok_or_else(|| item_not_found(item_id))?;
        if content_index != 0 {
            return Err(RealtimeError::invalid(
                format!("Invalid 'content_index': item '{item_id}' has one content part, at index 0."),
                "content_index",
                "invalid_value",
            ));
        }
        let Some((transcript, audio_ms)) = item.audio_mut() else {
            return Err(RealtimeError::invalid(
                format!(
                    "Item '{item_id}' is not an assistant message with audio: only spoken answers can be truncated."
                ),
                "item_id",
                "invalid_value",
            ));
        };
        if audio_end_ms > *audio_ms {
            return Err(RealtimeError::invalid(
                format!("Audio content of {audio_ms}ms is already shorter than {audio_end_ms}ms."),
                "audio_end_ms",
                "invalid_value",
            ));
        }
        let heard_len = marks
            .iter()
            .take_while(|mark| mark.start_ms < audio_end_ms)
            .last()
            .map_or(0, |mark| mark.transcript_len);
        transcript.truncate(heard_len.min(transcript.len()));
        *audio_ms = audio_end_ms;
        self.out
            .event(ServerEvent::ItemTruncated {
                item_id: item_id.to_string(),
                content_index,
                audio_end_ms,
            })
            .await;
        Ok(())
    }

    /// A client truncates an answer as soon as the caller speaks over it, often while it is
    /// still being written (a turn's cancellation may not have ended it yet). The item gets its
    /// audio part when the response ends, so the response is cancelled and run to its end
    /// here: `response.done` goes out before `conversation.item.truncated`, as OpenAI orders them.
    async fn end_response_writing(&mut self, item_id: &str) {
        let Some(running) = self
            .response
            .as_mut()
            .filter(|running| running.message_item() == Some(item_id))
        else {
            return;
        };
        running.cancel("client_cancelled");
        while self.response.is_some() {
            let ended = Self::step_response(&mut self.response, &mut self.items).await;
            if self.on_response_events(ended).await.is_none() {
                return;
            }
        }
    }

    async fn create_response(&mut self, request: Option<Value>) -> Result<(), RealtimeError> {
        if self.config.kind == SessionKind::Transcription {
            return Err(RealtimeError::invalid(
                "This is a transcription session: it recognises speech and creates no responses. \
                 Open a realtime session to get answers.",
                "",
                "invalid_request",
            ));
        }
        if let Some(running) = &self.response {
            return Err(RealtimeError::invalid(
                format!(
                    "Conversation already has an active response in progress: {}. Wait until the \
                     response is finished before creating a new one.",
                    running.id
                ),
                "",
                "conversation_already_has_active_response",
            ));
        }
        if !self.recognitions.is_empty() {
            self.queued_response = Some(request);
            return Ok(());
        }
        self.start_response(request).await
    }

    async fn start_response(&mut self, request: Option<Value>) -> Result<(), RealtimeError> {
        let asked = ResponseRequest::parse(request.as_ref())?;
        let context = self.context_for(&asked)?;
        let extras = Extras {
            out_of_band: asked.out_of_band,
            metadata: asked.metadata,
        };
        let mut running = self
            .prepare_response(request.as_ref(), &context)?
            .with_extras(extras);
        self.time_from_turn(&mut running);
        running.input_audio_secs = std::mem::take(&mut self.unbilled_audio_secs);
        self.out.event(running.created()).await;
        self.response = Some(running);
        Ok(())
    }

    /// The items a response answers: its own `input` (references resolved), else the
    /// conversation.
    fn context_for(&self, asked: &ResponseRequest) -> Result<Vec<Item>, RealtimeError> {
        let Some(input) = &asked.input else {
            return Ok(self.items.all().to_vec());
        };
        input
            .iter()
            .enumerate()
            .map(|(i, entry)| match entry {
                InputItem::Item(item) => Ok(item.clone()),
                InputItem::Reference(id) => self.items.get(id).cloned().ok_or_else(|| {
                    RealtimeError::invalid(
                        format!("Error: the item with id '{id}' does not exist."),
                        &format!("response.input[{i}].id"),
                        "item_not_found",
                    )
                }),
            })
            .collect()
    }

    /// A response answering the turn just recognised counts its stages from that turn's end.
    fn time_from_turn(&mut self, running: &mut Running) {
        if let Some(turn) = self.answering.take() {
            running.timeline.speech_ended = Some(turn.speech_ended);
            running.timeline.transcript_ready = Some(turn.transcript_ready);
        }
    }

    /// A response to `items` on the engines, not yet announced.
    fn prepare_response(&self, request: Option<&Value>, items: &[Item]) -> Result<Running, RealtimeError> {
        let config = match request {
            Some(request) => {
                let config = self.config.for_response(request)?;
                self.budget.check_prompt(&config, "response")?;
                config
            }
            None => self.config.clone(),
        };
        let spoken = config.modality == Modality::Audio;
        let profile = match spoken {
            true => Some(
                self.engines
                    .synthesizer
                    .voices()
                    .resolve(&config.voice)
                    .ok_or_else(|| {
                        RealtimeError::invalid_value(
                            &config.voice,
                            &vox_protocol::audio::OPENAI_VOICES,
                            "response.voice",
                        )
                    })
                    // The session's speed scales the voice's own.
                    .map(|mut profile| {
                        profile.speed *= config.speed;
                        profile
                    })?,
            ),
            false => None,
        };
        let expected = self.engines.chat.expected_wait()
            + if spoken {
                self.engines.synthesizer.expected_wait() + self.state.spoken_answers().expected_wait()
            } else {
                Duration::ZERO
            };
        crate::engines::admit(&self.state, expected).map_err(RealtimeError::from)?;
        let asked_at = Instant::now();
        let job = conversation::answer_job(&config, items, self.spoken_style.as_deref());
        let chat = self.engines.chat.generate(job);
        let id = new_response_id();
        let running = match profile {
            Some(profile) => {
                let voice = vox_pipeline::Voice {
                    synthesizer: self.engines.synthesizer.clone(),
                    profile,
                    language: self.language.clone(),
                    heard_live: true,
                    in_flight: Some(self.state.spoken_answers().admit()),
                    asked_at,
                };
                let answer = vox_pipeline::SpokenAnswer::start(chat, voice);
                Running::spoken(id, config, answer)?
            }
            None => Running::text(id, config, chat)?,
        };
        Ok(running)
    }

    fn cancel_response(&mut self, response_id: Option<&str>) -> Result<(), RealtimeError> {
        match &mut self.response {
            Some(running) if response_id.is_none_or(|id| id == running.id) => {
                running.cancel("client_cancelled");
                Ok(())
            }
            _ => Err(RealtimeError::invalid(
                "Cancellation failed: no active response found.",
                "",
                "response_cancel_not_active",
            )),
        }
    }

    /// The earliest of: the session's end, a silent peer, an idle session, and server VAD's
    /// idle timeout.
    fn next_deadline(&self) -> Instant {
        let mut deadline = (self.opened + MAX_SESSION)
            .min(self.last_frame + SILENT_PEER)
            .min(self.last_event + IDLE_SESSION);
        if let Some(idle) = self.vad_idle_timeout() {
            deadline = deadline.min(self.quiet_since + idle);
        }
        deadline
    }

    fn vad_idle_timeout(&self) -> Option<Duration> {
        let ms = self.config.turn_detection.as_ref()?.idle_timeout_ms?;
        let quiet = self.response.is_none() && self.turn.is_none() && self.recognitions.is_empty();
        quiet.then(|| Duration::from_millis(ms))
    }

    async fn on_deadline(&mut self) -> Option<()> {
        let now = Instant::now();
        if now >= self.opened + MAX_SESSION {
            return self
                .close(
                    CLOSE_NORMAL,
                    "session_expired",
                    "The session reached its maximum duration of 60 minutes.",
                )
                .await;
        }
        if now >= self.last_frame + SILENT_PEER {
            self.out.close(CLOSE_GOING_AWAY, "peer_silent".into()).await;
            return None;
        }
        if now >= self.last_event + IDLE_SESSION {
            return self
                .close(
                    CLOSE_NORMAL,
                    "session_idle",
                    "The session was idle for 15 minutes.",
                )
                .await;
        }
        if let Some(idle) = self.vad_idle_timeout()
            && now >= self.quiet_since + idle
        {
            return self.idle_timeout().await;
        }
        Some(())
    }

    /// Server VAD heard nothing for `idle_timeout_ms`: the buffer is committed and answered.
    async fn idle_timeout(&mut self) -> Option<()> {
        let item_id = new_id("item");
        let end_ms = self.input.clock_ms();
        let start_ms = self.input.buffer_start_ms();
        self.quiet_since = Instant::now();
        self.out
            .event(ServerEvent::TimeoutTriggered {
                audio_start_ms: start_ms,
                audio_end_ms: end_ms,
                item_id: item_id.clone(),
            })
            .await?;
        let audio = self.input.take_all();
        self.commit_turn(item_id, audio, None, false, None).await;
        if self.config.kind == SessionKind::Realtime {
            self.queued_response = Some(None);
        }
        Some(())
    }

    async fn check_limits(&mut self) -> Option<()> {
        if self.items.len() > MAX_ITEMS {
            let message = format!("The conversation holds more than {MAX_ITEMS} items: start a new session.");
            return self.close(CLOSE_POLICY, "conversation_too_long", &message).await;
        }
        Some(())
    }

    /// An error event saying why, then a close frame; ends the session.
    async fn close(&mut self, code: u16, error_code: &str, message: &str) -> Option<()> {
        let _ = self
            .out
            .event(ServerEvent::Error(RealtimeError::invalid(
                message, "", error_code,
            )))
            .await;
        self.out.close(code, error_code.to_string()).await;
        None
    }

    /// How many samples base64 audio in the session's input format decodes to (four characters
    /// are three bytes), known before decoding it.
    fn samples_in(&self, base64: &str) -> usize {
        base64.len() / 4 * 3 / self.config.input_format.sample_bytes()
    }

    /// The memory the session's conversation and input buffer hold now.
    fn held_bytes(&self) -> usize {
        budget::held_bytes(self.items.all(), self.input.buffered_samples())
    }

    fn previous_of(&self, item_id: &str) -> Option<String> {
        let all = self.items.all();
        let at = all.iter().position(|i| i.id == item_id)?;
        at.checked_sub(1).map(|i| all[i].id.clone())
    }
}

/// The writer's queue. Sessions send through it, never through `&Session` (which is not Sync).
struct Outbox(mpsc::Sender<Outgoing>);

impl Outbox {
    /// `None` when the client is gone.
    async fn event(&self, event: ServerEvent) -> Option<()> {
        self.0.send(Outgoing::Event(Box::new(event))).await.ok()
    }

    async fn close(&self, code: u16, reason: String) {
        let _ = self.0.send(Outgoing::Close { code, reason }).await;
    }
}

/// The size of a message the socket refused for being over the limit, if that is the error.
fn frame_too_big(err: &axum::Error) -> Option<usize> {
    use tungstenite::error::{CapacityError, Error};
    match std::error::Error::source(err)?.downcast_ref::<Error>()? {
        Error::Capacity(CapacityError::MessageTooLong { size, .. }) => Some(*size),
        _ => None,
    }
}

async fn recognise(transcriber: Arc<dyn Transcriber>, audio: AudioBuffer) -> Hearing {
    vox_pipeline::hear(transcriber.as_ref(), audio)
        .await
        .map_err(ApiError::from)
}

/// The caller's spoken turn as an item (its transcript once recognised).
fn user_turn(item_id: String, transcript: Option<String>) -> Item {
    Item {
        id: item_id,
        kind: ItemKind::Message {
            role: ItemRole::User,
            content: vec![Content::InputAudio { transcript }],
        },
        status: ItemStatus::Completed,
    }
}

fn item_not_found(item_id: &str) -> RealtimeError {
    RealtimeError::invalid(
        format!("Error: the item with id '{item_id}' does not exist."),
        "item_id",
        "item_not_found",
    )
}
