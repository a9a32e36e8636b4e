//! One response of a realtime session: the voice pipeline's events (or the language model's,
//! for a text-only response) mapped to the Realtime API's event sequence. The transcript and
//! the audio of the assistant's item are exactly what was sent: after a barge-in, audio the
//! pipeline still hands over is dropped along with its clause.

use futures::StreamExt;
use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatEvent, StopReason, ToolCall};
use vox_pipeline::{AnswerEvent, Ending, SpokenAnswer};
use vox_protocol::realtime::server::{PartRef, ResponseInfo, ResponseStatus, Usage};
use vox_protocol::realtime::{
    Content, Item, ItemKind, ItemRole, ItemStatus, Modality, RealtimeError, ServerEvent, SessionConfig,
    new_id,
};

use super::audio::OutputEncoder;
use super::conversation::Items;
use super::report::Timeline;
use crate::error::ApiError;
use crate::usage_rules;

pub type ChatStream = vox_pipeline::spoken::ChatStream;

/// A response's token counts as the engine last reported them.
#[derive(Debug, Clone, Copy, Default)]
struct Tokens {
    prompt: u64,
    /// Of the prompt, those the engine found already read.
    cached: u64,
    completion: u64,
}

impl Tokens {
    fn of(summary: &vox_pipeline::spoken::Summary) -> Self {
        Self {
            prompt: summary.prompt_tokens,
            cached: summary.cached_tokens,
            completion: summary.completion_tokens,
        }
    }
}

/// What a response's producer hands over, whichever it is.
enum Produced {
    Text(String),
    Clause(String),
    Audio(AudioBuffer),
    ToolCall(ToolCall),
    Finished {
        ending: Ending,
        tokens: Tokens,
        error: Option<ApiError>,
    },
}

enum Producer {
    Spoken(SpokenAnswer),
    Text {
        stream: Option<ChatStream>,
        tokens: Tokens,
    },
}

impl Producer {
    async fn next(&mut self) -> Produced {
        match self {
            Self::Spoken(answer) => match answer.next().await {
                Some(AnswerEvent::Text(text)) => Produced::Text(text),
                Some(AnswerEvent::Clause(clause)) => Produced::Clause(clause),
                Some(AnswerEvent::Audio(audio)) => Produced::Audio(audio),
                Some(AnswerEvent::ToolCall(call)) => Produced::ToolCall(call),
                Some(AnswerEvent::Finished(summary)) => Produced::Finished {
                    ending: summary.ending,
                    tokens: Tokens::of(&summary),
                    error: None,
                },
                Some(AnswerEvent::Failed { error, summary }) => Produced::Finished {
                    ending: Ending::Failed,
                    tokens: Tokens::of(&summary),
                    error: Some(error.into()),
                },
                None => Produced::Finished {
                    ending: Ending::Failed,
                    tokens: Tokens::default(),
                    error: Some(ApiError::internal("the spoken answer ended early")),
                },
            },
            Self::Text { stream, tokens } => {
                let Some(events) = stream else {
                    return Produced::Finished {
                        ending: Ending::Cancelled,
                        tokens: *tokens,
                        error: None,
                    };
                };
                match events.next().await {
                    Some(Ok(ChatEvent::Cached(cached))) => {
                        tokens.cached = cached;
                        Produced::Text(String::new())
                    }
                    Some(Ok(ChatEvent::Text(text))) => Produced::Text(text),
                    Some(Ok(ChatEvent::Progress {
                        prompt_tokens,
                        completion_tokens,
                    })) => {
                        tokens.prompt = prompt_tokens;
                        tokens.completion = completion_tokens;
                        Produced::Text(String::new())
                    }
                    Some(Ok(ChatEvent::ToolCall(call))) => Produced::ToolCall(call),
                    Some(Ok(ChatEvent::Finished {
                        reason,
                        prompt_tokens,
                        completion_tokens,
                    })) => Produced::Finished {
                        ending: Ending::Completed(reason),
                        tokens: Tokens {
                            prompt: prompt_tokens,
                            completion: completion_tokens,
                            ..*tokens
                        },
                        error: None,
                    },
                    Some(Err(err)) => Produced::Finished {
                        ending: Ending::Failed,
                        tokens: *tokens,
                        error: Some(err.into()),
                    },
                    None => Produced::Finished {
                        ending: Ending::Failed,
                        tokens: *tokens,
                        error: Some(ApiError::internal("the language model stopped without finishing")),
                    },
                }
            }
        }
    }

    fn cancel(&mut self) {
        match self {
            Self::Spoken(answer) => answer.cancel(),
            // Dropping the stream stops the generation before its next token.
            Self::Text { stream, .. } => *stream = None,
        }
    }
}

/// The assistant message a response is writing.
struct OpenMessage {
    part: PartRef,
    /// The clause whose audio comes next: its text goes out with its first audio.
    next_clause: Option<String>,
    transcript: String,
    text: String,
    audio_samples: u64,
    marks: Vec<ClauseMark>,
}

/// Where a spoken clause starts in its item's audio, and how long the transcript is once it
/// is included: what `conversation.item.truncate` cuts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClauseMark {
    pub start_ms: u64,
    pub transcript_len: usize,
}

pub struct Running {
    pub id: String,
    config: SessionConfig,
    producer: Producer,
    encoder: OutputEncoder,
    message: Option<OpenMessage>,
    output: Vec<Item>,
    cancelled: Option<&'static str>,
    /// The caller's audio this response answers, for its usage.
    pub input_audio_secs: f64,
    /// The clause marks of each spoken item this response closed.
    pub spoken_marks: Vec<(String, Vec<ClauseMark>)>,
    /// When each stage was reached, for the operator.
    pub timeline: Timeline,
    /// How it ended (`completed`, `cancelled`, ...), once it has.
    pub status: Option<&'static str>,
    /// An out-of-band response (`conversation: "none"`) writes its items here, not into the
    /// conversation, and announces no conversation items.
    scratch: Option<Items>,
    out_of_band: bool,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What a `response.create` asked beyond the settings.
#[derive(Default)]
pub struct Extras {
    pub out_of_band: bool,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Running {
    pub fn spoken(id: String, config: SessionConfig, answer: SpokenAnswer) -> Result<Self, RealtimeError> {
        Self::new(id, config, Producer::Spoken(answer))
    }

    pub fn text(id: String, config: SessionConfig, stream: ChatStream) -> Result<Self, RealtimeError> {
        let producer = Producer::Text {
            stream: Some(stream),
            tokens: Tokens::default(),
        };
        Self::new(id, config, producer)
    }

    fn new(id: String, config: SessionConfig, producer: Producer) -> Result<Self, RealtimeError> {
        Ok(Self {
            id,
            encoder: OutputEncoder::new(config.output_format)?,
            config,
            producer,
            message: None,
            output: Vec::new(),
            cancelled: None,
            input_audio_secs: 0.0,
            spoken_marks: Vec::new(),
            timeline: Timeline::asked_now(),
            status: None,
            scratch: None,
            out_of_band: false,
            metadata: None,
        })
    }

    /// Applies what `response.create` asked beyond the settings.
    pub fn with_extras(mut self, extras: Extras) -> Self {
        self.scratch = extras.out_of_band.then(Items::default);
        self.out_of_band = extras.out_of_band;
        self.metadata = extras.metadata;
        self
    }

    pub fn output_len(&self) -> usize {
        self.output.len()
    }

    /// The `response.created` event.
    pub fn created(&self) -> ServerEvent {
        ServerEvent::ResponseCreated(self.info(ResponseStatus::InProgress, None, None))
    }

    /// Stops the response at once: nothing more of it is sent but its closing events.
    pub fn cancel(&mut self, reason: &'static str) {
        if self.cancelled.is_none() {
            self.cancelled = Some(reason);
            self.producer.cancel();
        }
    }

    /// The item id of the message being written, if any.
    pub fn message_item(&self) -> Option<&str> {
        self.message.as_ref().map(|m| m.part.item_id.as_str())
    }

    /// Waits for the producer's next event and maps it; true once the response has ended.
    pub async fn step(&mut self, items: &mut Items, out: &mut Vec<ServerEvent>) -> bool {
        let mut scratch = self.scratch.take();
        let ended = self.step_into(scratch.as_mut().unwrap_or(items), out).await;
        if self.out_of_band {
            out.retain(|event| {
                !matches!(
                    event,
                    ServerEvent::ItemAdded { .. } | ServerEvent::ItemDone { .. }
                )
            });
        }
        self.scratch = scratch;
        ended
    }

    async fn step_into(&mut self, items: &mut Items, out: &mut Vec<ServerEvent>) -> bool {
        let produced = self.producer.next().await;
        let words = matches!(&produced, Produced::Text(t) if !t.is_empty())
            || matches!(produced, Produced::Clause(_) | Produced::ToolCall(_));
        if words && self.timeline.first_token.is_none() {
            self.timeline.first_token = Some(std::time::Instant::now());
        }
        match produced {
            Produced::Text(text) => self.on_text(text, items, out),
            Produced::Clause(clause) => {
                if self.cancelled.is_none() {
                    self.open_message(items, out).next_clause = Some(clause);
                }
            }
            Produced::Audio(audio) => self.on_audio(&audio.samples, items, out),
            Produced::ToolCall(call) => self.on_tool_call(call, items, out),
            Produced::Finished {
                ending,
                tokens,
                error,
            } => {
                self.finish(ending, tokens, error, items, out);
                return true;
            }
        }
        false
    }

    fn on_text(&mut self, text: String, items: &mut Items, out: &mut Vec<ServerEvent>) {
        if self.config.modality != Modality::Text || text.is_empty() || self.cancelled.is_some() {
            return;
        }
        let message = self.open_message(items, out);
        message.text.push_str(&text);
        out.push(ServerEvent::TextDelta {
            part: message.part.clone(),
            delta: text,
        });
    }

    fn on_audio(&mut self, samples: &[f32], items: &mut Items, out: &mut Vec<ServerEvent>) {
        if self.cancelled.is_some() || samples.is_empty() {
            return;
        }
        let deltas = self.encoder.encode(samples);
        self.timeline
            .first_audio
            .get_or_insert_with(std::time::Instant::now);
        let message = self.open_message(items, out);
        if let Some(clause) = message.next_clause.take() {
            message.transcript.push_str(&clause);
            message.marks.push(ClauseMark {
                start_ms: message.audio_samples * 1000 / u64::from(vox_audio::OUTPUT_RATE),
                transcript_len: message.transcript.len(),
            });
            out.push(ServerEvent::TranscriptDelta {
                part: message.part.clone(),
                delta: clause,
            });
        }
        message.audio_samples += samples.len() as u64;
        let part = message.part.clone();
        out.extend(deltas.into_iter().map(|delta| ServerEvent::AudioDelta {
            part: part.clone(),
            delta,
        }));
    }

    fn on_tool_call(&mut self, call: ToolCall, items: &mut Items, out: &mut Vec<ServerEvent>) {
        if self.cancelled.is_some() {
            return;
        }
        self.close_message(items, out);
        let output_index = self.output.len();
        let kind = |arguments: String| ItemKind::FunctionCall {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments,
        };
        let mut item = Item::new(kind(String::new()), ItemStatus::InProgress);
        let previous_item_id = items.push(item.clone());
        out.push(ServerEvent::OutputItemAdded {
            response_id: self.id.clone(),
            output_index,
            item: item.clone(),
        });
        out.push(ServerEvent::ItemAdded {
            item: item.clone(),
            previous_item_id: previous_item_id.clone(),
        });
        out.push(ServerEvent::ArgumentsDelta {
            response_id: self.id.clone(),
            item_id: item.id.clone(),
            output_index,
            call_id: call.id.clone(),
            delta: call.arguments.clone(),
        });
        out.push(ServerEvent::ArgumentsDone {
            response_id: self.id.clone(),
            item_id: item.id.clone(),
            output_index,
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        item.kind = kind(call.arguments.clone());
        item.status = ItemStatus::Completed;
        items.replace(item.clone());
        out.push(ServerEvent::OutputItemDone {
            response_id: self.id.clone(),
            output_index,
            item: item.clone(),
        });
        out.push(ServerEvent::ItemDone {
            item: item.clone(),
            previous_item_id,
        });
        self.output.push(item);
    }

    fn open_message(&mut self, items: &mut Items, out: &mut Vec<ServerEvent>) -> &mut OpenMessage {
        if self.message.is_none() {
            let content = self.content(String::new(), 0);
            let item = Item::new(
                ItemKind::Message {
                    role: ItemRole::Assistant,
                    content: Vec::new(),
                },
                ItemStatus::InProgress,
            );
            let part = PartRef {
                response_id: self.id.clone(),
                item_id: item.id.clone(),
                output_index: self.output.len(),
                content_index: 0,
            };
            let previous_item_id = items.push(item.clone());
            out.push(ServerEvent::OutputItemAdded {
                response_id: self.id.clone(),
                output_index: part.output_index,
                item: item.clone(),
            });
            out.push(ServerEvent::ItemAdded {
                item,
                previous_item_id,
            });
            out.push(ServerEvent::ContentPartAdded {
                part: part.clone(),
                content,
            });
            self.message = Some(OpenMessage {
                part,
                next_clause: None,
                transcript: String::new(),
                text: String::new(),
                audio_samples: 0,
                marks: Vec::new(),
            });
        }
        self.message.as_mut().expect("opened above")
    }

    fn content(&self, text: String, audio_ms: u64) -> Content {
        match self.config.modality {
            Modality::Audio => Content::Audio {
                transcript: text,
                audio_ms,
            },
            Modality::Text => Content::Text(text),
        }
    }

    fn close_message(&mut self, items: &mut Items, out: &mut Vec<ServerEvent>) {
        if self.cancelled.is_none() {
            let tail = self.encoder.finish();
            if let Some(message) = &mut self.message {
                let part = message.part.clone();
                out.extend(tail.into_iter().map(|delta| ServerEvent::AudioDelta {
                    part: part.clone(),
                    delta,
                }));
            }
        }
        let Some(message) = self.message.take() else {
            return;
        };
        let audio_ms = message.audio_samples * 1000 / u64::from(vox_audio::OUTPUT_RATE);
        self.spoken_marks
            .push((message.part.item_id.clone(), message.marks.clone()));
        let (content, status) = match self.config.modality {
            Modality::Audio => {
                out.push(ServerEvent::AudioDone {
                    part: message.part.clone(),
                });
                out.push(ServerEvent::TranscriptDone {
                    part: message.part.clone(),
                    transcript: message.transcript.clone(),
                });
                (self.content(message.transcript, audio_ms), self.item_status())
            }
            Modality::Text => {
                out.push(ServerEvent::TextDone {
                    part: message.part.clone(),
                    text: message.text.clone(),
                });
                (self.content(message.text, 0), self.item_status())
            }
        };
        out.push(ServerEvent::ContentPartDone {
            part: message.part.clone(),
            content: content.clone(),
        });
        let item = Item {
            id: message.part.item_id.clone(),
            kind: ItemKind::Message {
                role: ItemRole::Assistant,
                content: vec![content],
            },
            status,
        };
        let previous_item_id = items.replace(item.clone());
        out.push(ServerEvent::OutputItemDone {
            response_id: self.id.clone(),
            output_index: message.part.output_index,
            item: item.clone(),
        });
        out.push(ServerEvent::ItemDone {
            item: item.clone(),
            previous_item_id,
        });
        self.output.push(item);
    }

    fn item_status(&self) -> ItemStatus {
        match self.cancelled {
            Some(_) => ItemStatus::Incomplete,
            None => ItemStatus::Completed,
        }
    }

    fn finish(
        &mut self,
        ending: Ending,
        tokens: Tokens,
        error: Option<ApiError>,
        items: &mut Items,
        out: &mut Vec<ServerEvent>,
    ) {
        self.close_message(items, out);
        let error = error.map(RealtimeError::from);
        if let Some(error) = &error {
            out.push(ServerEvent::Error(error.clone()));
        }
        let (status, reason) = match (ending, self.cancelled) {
            (_, Some(reason)) => (ResponseStatus::Cancelled, Some(reason)),
            (Ending::Cancelled, None) => (ResponseStatus::Cancelled, Some("client_cancelled")),
            (Ending::Completed(StopReason::Length), None) => {
                (ResponseStatus::Incomplete, Some("max_output_tokens"))
            }
            (Ending::Completed(_), None) => (ResponseStatus::Completed, None),
            (Ending::Failed, None) => (ResponseStatus::Failed, None),
        };
        let audio_secs: f64 = self
            .output
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Message { content, .. } => content.iter().find_map(|c| match c {
                    Content::Audio { audio_ms, .. } => Some(*audio_ms as f64 / 1000.0),
                    _ => None,
                }),
                _ => None,
            })
            .sum();
        let usage = Usage {
            input_text_tokens: tokens.prompt,
            input_cached_tokens: tokens.cached.min(tokens.prompt),
            input_audio_tokens: usage_rules::input_audio_tokens(self.input_audio_secs),
            output_text_tokens: tokens.completion,
            output_audio_tokens: usage_rules::output_audio_tokens(audio_secs),
        };
        self.status = Some(match status {
            ResponseStatus::Completed => "completed",
            ResponseStatus::Cancelled => "cancelled",
            ResponseStatus::Incomplete => "incomplete",
            ResponseStatus::Failed | ResponseStatus::InProgress => "failed",
        });
        let mut info = self.info(status, reason, Some(usage));
        info.error = error;
        out.push(ServerEvent::ResponseDone(info));
    }

    fn info(
        &self,
        status: ResponseStatus,
        reason: Option<&'static str>,
        usage: Option<Usage>,
    ) -> ResponseInfo {
        ResponseInfo {
            id: self.id.clone(),
            status,
            reason,
            error: None,
            output: self.output.clone(),
            usage,
            config: self.config.clone(),
            metadata: self.metadata.clone(),
            out_of_band: self.out_of_band,
        }
    }
}

pub fn new_response_id() -> String {
    new_id("resp")
}
