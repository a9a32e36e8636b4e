//! A chat model that replays given tokens, reporting its usage as a real engine does.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use vox_engine::chat::{ChatEvent, ChatJob, ChatModel, Prefilled, StopReason, ToolCall};
use vox_engine::{EngineError, EngineStatus};

#[derive(Debug, Default)]
pub struct ScriptedChat {
    pub tokens: Vec<String>,
    pub tool_calls: Vec<ToolCall>,
    /// Between tokens; `None` for all at once.
    pub token_delay: Option<Duration>,
    /// Refuse every generation as busy, with this retry hint.
    pub busy: Option<Duration>,
    /// Report itself stopped, as an engine whose thread panicked does.
    pub stopped: bool,
    pub prompt_tokens: u64,
    /// The queue it reports to admission.
    pub queue: Duration,
    /// The jobs it was given, for tests to inspect.
    pub jobs: Mutex<Vec<ChatJob>>,
    /// The openings it was asked to prefill, each with a view of whether its handle still lives.
    pub openings: Mutex<Vec<(ChatJob, Weak<()>)>>,
    /// The context it reports (none: unknown, as a remote engine's).
    pub context_tokens: Option<usize>,
}

impl ScriptedChat {
    /// Replays `text` split after each space, as a tokenizer roughly would.
    pub fn saying(text: &str) -> Self {
        Self {
            tokens: text.split_inclusive(' ').map(str::to_string).collect(),
            prompt_tokens: 12,
            ..Self::default()
        }
    }

    pub fn with_context(mut self, tokens: usize) -> Self {
        self.context_tokens = Some(tokens);
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.token_delay = Some(delay);
        self
    }

    pub fn queued(mut self, queue: Duration) -> Self {
        self.queue = queue;
        self
    }

    pub fn calling(mut self, call: ToolCall) -> Self {
        self.tool_calls.push(call);
        self
    }

    pub fn busy(retry_after: Duration) -> Self {
        Self {
            busy: Some(retry_after),
            ..Self::default()
        }
    }

    pub fn stopped() -> Self {
        Self {
            stopped: true,
            ..Self::default()
        }
    }

    fn events(&self) -> Vec<ChatEvent> {
        let mut events = Vec::new();
        for (written, token) in self.tokens.iter().enumerate() {
            events.push(ChatEvent::Text(token.clone()));
            events.push(ChatEvent::Progress {
                prompt_tokens: self.prompt_tokens,
                completion_tokens: written as u64 + 1,
            });
        }
        events.extend(self.tool_calls.iter().cloned().map(ChatEvent::ToolCall));
        let reason = match self.tool_calls.is_empty() {
            true => StopReason::Stop,
            false => StopReason::ToolCalls,
        };
        events.push(ChatEvent::Finished {
            reason,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.tokens.len() as u64,
        });
        events
    }
}

impl ChatModel for ScriptedChat {
    fn generate(&self, job: ChatJob) -> BoxStream<'static, Result<ChatEvent, EngineError>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).push(job);
        if let Some(retry_after) = self.busy {
            return futures::stream::once(async move { Err(EngineError::Busy { retry_after }) }).boxed();
        }
        if self.stopped {
            let engine = "scripted";
            return futures::stream::once(async move { Err(EngineError::Stopped { engine }) }).boxed();
        }
        let delay = self.token_delay;
        futures::stream::iter(self.events())
            .then(move |event| async move {
                if let (Some(delay), ChatEvent::Text(_)) = (delay, &event) {
                    tokio::time::sleep(delay).await;
                }
                Ok(event)
            })
            .boxed()
    }

    fn context_tokens(&self) -> Option<usize> {
        self.context_tokens
    }

    fn prefill(&self, opening: ChatJob) -> Prefilled {
        let kept = Arc::new(());
        let mut openings = self.openings.lock().unwrap_or_else(|p| p.into_inner());
        openings.push((opening, Arc::downgrade(&kept)));
        let (on_read, read) = futures::channel::oneshot::channel();
        let _ = on_read.send(());
        Prefilled::keeping(kept, read)
    }
}

impl EngineStatus for ScriptedChat {
    fn expected_wait(&self) -> Duration {
        self.queue
    }

    fn is_working(&self) -> bool {
        !self.stopped
    }
}
