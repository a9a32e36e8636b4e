//! The decoding loop: every step feeds one batch holding the next token of each generating
//! sequence plus as much waiting prompt as fits, so requests advance together (continuous
//! batching) and a new request's prefill never stalls the others for long.

use std::sync::mpsc::TryRecvError;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use vox_engine::load::{Held, LoadMeter, Mark, SharingClock};

use futures::channel::oneshot;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use vox_engine::EngineError;
use vox_engine::chat::{ChatEvent, ChatJob, StopReason, ToolPolicy};
use vox_engine::turns::SpeechTurns;
use vox_engine::worker::{Inbox, Queued};

use crate::decision::{CallTrigger, LazyCalls, most_likely};
use crate::grammar::{forced_call_grammar, free_call_grammar};
use crate::measure::Measured;
use crate::opening::{Opening, classify};
use crate::output::OutputFilter;
use crate::placement::choose;
use crate::sampler::{call_sampler, sampler_for};
use crate::slot::{Events, Generation, Keeper, Pin, Slot};
use crate::utf8::Utf8Assembler;

pub struct Request {
    pub job: ChatJob,
    /// Its prompt, rendered and tokenized off this thread.
    pub measured: Measured,
    pub events: Events,
    pub purpose: Purpose,
}

pub enum Purpose {
    /// An answer; `Held` counts it in the engine's load until its generation ends.
    Answer(Held),
    /// Only reads the prompt into a slot, kept there while the conversation holds the keeper;
    /// `on_read` fires once it is read (dropped unfired if it never is).
    Prefill {
        keeper: Weak<Keeper>,
        on_read: oneshot::Sender<()>,
    },
}

pub struct Scheduler<'m> {
    pub model: &'m LlamaModel,
    pub context: LlamaContext<'m>,
    pub slots: Vec<Slot>,
    pub batch: LlamaBatch<'static>,
    pub batch_size: usize,
    /// Tokens one sequence may hold (prompt and answer).
    pub context_per_slot: usize,
    pub turns: Arc<SpeechTurns>,
    /// Requests held and how long a generation takes, for admission.
    pub meter: Arc<LoadMeter>,
    /// Generations decoding together: a generation's cost is its time over how many shared it.
    pub generating: SharingClock,
    /// The token a tool call opens with; `None` if the vocabulary cannot tell one.
    pub call_trigger: Option<CallTrigger>,
}

/// Longest a decoding step waits for urgent speech: a long piece (a Kokoro sentence takes a few
/// seconds) slows text down, but never stops it.
const MOST_YIELDED: Duration = Duration::from_millis(500);

/// Most tokens of an opening read ahead in one step. A step cannot be interrupted, and the
/// turn the opening was read for may arrive at any moment to take the slot over: a 400-token
/// opening read in one step held that turn for 8 s on two cores.
const OPENING_CHUNK: usize = 64;

/// The same while answers are being written: about as long as one of their tokens takes.
const OPENING_CHUNK_BESIDE_ANSWERS: usize = 16;

impl Scheduler<'_> {
    pub fn run(mut self, requests: Inbox<Request>) {
        let mut open = true;
        loop {
            while open && self.slots.iter().any(Slot::is_available) {
                let next = if self.busy() {
                    requests.try_recv()
                } else {
                    requests.recv().ok_or(TryRecvError::Disconnected)
                };
                match next {
                    Ok(request) => {
                        requests.began(request.queued_at);
                        self.admit(request)
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => open = false,
                }
            }
            if self.busy() {
                // Before the cancelled are released: a client may go while the step waits.
                self.turns.wait_for_quiet(MOST_YIELDED);
            }
            self.release_cancelled();
            let generating = self.slots.iter().filter(|s| s.is_answering()).count();
            self.generating.set_jobs(generating, Instant::now());
            if !self.busy() {
                if open {
                    continue;
                }
                return;
            }
            self.step();
        }
    }

    fn busy(&self) -> bool {
        self.slots.iter().any(|s| s.request.is_some())
    }

    fn admit(
        &mut self,
        Queued {
            job: request, span, ..
        }: Queued<Request>,
    ) {
        let Request {
            job,
            measured,
            events,
            purpose,
        } = request;
        if events.is_closed() {
            return;
        }
        let _request = span.enter();
        let started = self.generating.mark(Instant::now());
        let prefill_only = matches!(purpose, Purpose::Prefill { .. });
        match self.prepare(&job, measured, events.clone(), started, prefill_only) {
            Ok((prompt, mut generation)) => {
                generation.span = span.clone();
                match purpose {
                    Purpose::Answer(held) => {
                        generation.held = Some(held);
                        self.place(prompt, generation, None);
                    }
                    Purpose::Prefill { keeper, on_read } => {
                        generation.on_read = Some(on_read);
                        self.place(prompt, generation, Some(keeper));
                    }
                }
            }
            Err(error) => {
                let _ = events.send(Err(error));
            }
        }
    }

    fn prepare(
        &self,
        job: &ChatJob,
        Measured { prompt, tokens }: Measured,
        events: Events,
        started: Mark,
        prefill_only: bool,
    ) -> Result<(Vec<LlamaToken>, Generation), EngineError> {
        let room = self.context_per_slot.saturating_sub(tokens.len()) as u64;
        let max_tokens = job.sampling.max_tokens.map_or(room, |m| u64::from(m).min(room));
        let declared_tools: Vec<String> = job.tools.iter().map(|t| t.name.clone()).collect();
        let forced = forced_call_grammar(&job.tool_policy, &job.tools).map_err(EngineError::InvalidInput)?;
        let tools_on = !job.tools.is_empty() && job.tool_policy != ToolPolicy::None;
        // A prefill never samples: no call grammar to build.
        let lazy_calls = match prefill_only {
            true => None,
            false => self.lazy_calls(job, tools_on)?,
        };
        let barred: Vec<LlamaToken> = lazy_calls
            .as_ref()
            .and(self.call_trigger.as_ref())
            .map(|t| vec![t.token])
            .unwrap_or_default();
        let generation = Generation {
            events,
            sampler: sampler_for(self.model, &job.sampling, forced.as_deref(), &barred)
                .map_err(unusable_tools)?,
            sampling: job.sampling.clone(),
            to_prefill: Vec::new(),
            next_token: None,
            logits_index: None,
            prompt_tokens: tokens.len() as u64,
            generated: 0,
            max_tokens,
            utf8: Utf8Assembler::default(),
            filter: OutputFilter::new(job.sampling.stop.clone(), tools_on, prompt.prefill),
            declared_tools,
            lazy_calls,
            held: None,
            started,
            span: tracing::Span::none(),
            prefill_only,
            on_read: None,
        };
        Ok((tokens, generation))
    }

    /// A free answer with tools gets its call grammar now, so a schema the grammar cannot hold
    /// is refused before any decoding.
    fn lazy_calls(&self, job: &ChatJob, tools_on: bool) -> Result<Option<LazyCalls>, EngineError> {
        let Some(trigger) = self
            .call_trigger
            .as_ref()
            .filter(|_| tools_on && job.tool_policy == ToolPolicy::Auto)
        else {
            return Ok(None);
        };
        let grammar = free_call_grammar(&job.tools, &trigger.text).map_err(EngineError::InvalidInput)?;
        let sampler = call_sampler(self.model, &grammar).map_err(unusable_tools)?;
        Ok(Some(LazyCalls::new(trigger, sampler, job)))
    }

    /// Puts the request on the slot `placement::choose` picks; an answer there takes over an
    /// opening being read. A prefill pins what it reads to the slot for its conversation.
    fn place(&mut self, prompt: Vec<LlamaToken>, mut generation: Generation, keeper: Option<Weak<Keeper>>) {
        let Some(choice) = choose(&mut self.slots, &prompt, generation.prefill_only) else {
            // Only a prefill finds no slot (answers are admitted when one is available): the
            // work ahead is skipped.
            return;
        };
        let slot = &mut self.slots[choice.index];
        if slot.request.take_if(|g| g.prefill_only).is_some() {
            tracing::debug!(seq = slot.seq, "an answer took over an opening being read");
        }
        slot.kept_only_within(choice.shared);
        if let Some(keeper) = keeper {
            slot.pins.push(Pin {
                keeper,
                len: prompt.len(),
            });
        }
        slot.last_used = Instant::now();
        // At least the last prompt token is decoded again: its logits start the answer.
        let cached = slot.cached.len().min(choice.shared);
        let mut reuse = cached.min(prompt.len() - 1);
        let memory = &mut self.context;
        let trimmed = memory.clear_kv_cache_seq(Some(slot.seq as u32), Some(reuse as u32), None);
        if !matches!(trimmed, Ok(true)) {
            let _ = memory.clear_kv_cache_seq(Some(slot.seq as u32), None, None);
            reuse = 0;
        }
        slot.cached.truncate(reuse);
        generation.to_prefill = prompt[reuse..].to_vec();
        if !generation.prefill_only {
            let _ = generation.events.send(Ok(ChatEvent::Cached(reuse as u64)));
        }
        tracing::debug!(
            seq = slot.seq,
            prompt = prompt.len(),
            reused = reuse,
            prefill_only = generation.prefill_only,
            "generation admitted"
        );
        slot.request = Some(generation);
    }

    /// A client that went away frees its sequence before the next step.
    fn release_cancelled(&mut self) {
        for slot in &mut self.slots {
            if let Some(gone) = slot.request.take_if(|g| g.events.is_closed()) {
                let _request = gone.span.enter();
                tracing::debug!(
                    seq = slot.seq,
                    generated = gone.generated,
                    "generation cancelled by its client"
                );
            }
        }
    }

    fn step(&mut self) {
        self.batch.clear();
        self.add_generating_tokens();
        self.add_prompt_chunks();
        if let Err(err) = self.context.decode(&mut self.batch) {
            self.fail_batch(format!("decode: {err}"));
            return;
        }
        self.sample_all();
    }

    fn add_generating_tokens(&mut self) {
        for slot in &mut self.slots {
            let Some(generation) = slot.request.as_mut() else {
                continue;
            };
            generation.logits_index = None;
            let Some(token) = generation.next_token.take() else {
                continue;
            };
            generation.logits_index = Some(self.batch.n_tokens());
            // Capacity is one token per slot plus the prompt budget: cannot fail.
            let _ = self.batch.add(token, slot.cached.len() as i32, &[slot.seq], true);
            slot.cached.push(token);
        }
    }

    /// Answers' prompts first; an opening read ahead takes what budget is left, a chunk at a
    /// time (see `OPENING_CHUNK`).
    fn add_prompt_chunks(&mut self) {
        let answering = self.slots.iter().any(Slot::is_answering);
        for prefills in [false, true] {
            for slot in &mut self.slots {
                let mut budget = self.batch_size.saturating_sub(self.batch.n_tokens() as usize);
                let Some(generation) = slot.request.as_mut().filter(|g| g.prefill_only == prefills) else {
                    continue;
                };
                if prefills {
                    budget = budget.min(match answering {
                        true => OPENING_CHUNK_BESIDE_ANSWERS,
                        false => OPENING_CHUNK,
                    });
                }
                if budget == 0 || generation.to_prefill.is_empty() {
                    continue;
                }
                let take = budget.min(generation.to_prefill.len());
                let chunk: Vec<LlamaToken> = generation.to_prefill.drain(..take).collect();
                let last_of_prompt = generation.to_prefill.is_empty();
                for (i, token) in chunk.iter().enumerate() {
                    let wants_logits = last_of_prompt && i + 1 == chunk.len();
                    if wants_logits {
                        generation.logits_index = Some(self.batch.n_tokens());
                    }
                    let _ = self
                        .batch
                        .add(*token, slot.cached.len() as i32, &[slot.seq], wants_logits);
                    slot.cached.push(*token);
                }
            }
        }
    }

    fn sample_all(&mut self) {
        let vocab = self.model.vocab();
        for slot in &mut self.slots {
            let Some(index) = slot.request.as_ref().and_then(|g| g.logits_index) else {
                continue;
            };
            if let Some(prefill) = slot.request.take_if(|g| g.prefill_only) {
                tracing::debug!(seq = slot.seq, cached = slot.cached.len(), "opening read");
                if let Some(on_read) = prefill.on_read {
                    let _ = on_read.send(());
                }
                continue;
            }
            let generation = slot.request.as_mut().expect("checked above");
            let token = choose_token(generation, &self.context, index);
            let outcome = if vocab.is_eog(token) {
                Some(StopReason::Stop)
            } else {
                advance(generation, vocab.token_to_piece(token, false, None))
            };
            let full = slot.cached.len() + 1 >= self.context_per_slot;
            let mut place = Place {
                model: self.model,
                context: &mut self.context,
                trigger: self.call_trigger.as_ref(),
                generating: &mut self.generating,
                meter: &self.meter,
            };
            if let Some(turn) = place.turn_taken(slot, outcome) {
                if let Err(detail) = turn
                    && let Some(generation) = slot.request.take()
                {
                    generation.fail(EngineError::Internal(detail));
                }
                continue;
            }
            let generation = slot.request.as_mut().expect("still generating");
            match outcome {
                Some(reason) => finish(slot, reason, &mut self.generating, &self.meter),
                None if generation.events.is_closed() => slot.request = None,
                None if full => finish(slot, StopReason::Length, &mut self.generating, &self.meter),
                None => generation.next_token = Some(token),
            }
        }
    }

    fn fail_batch(&mut self, detail: String) {
        tracing::error!(%detail, "language model step failed");
        for slot in &mut self.slots {
            if let Some(generation) = slot.request.take() {
                let _ = self.context.clear_kv_cache_seq(Some(slot.seq as u32), None, None);
                slot.cached.clear();
                generation.fail(EngineError::Internal(detail.clone()));
            }
        }
    }
}

/// What a step's sampling may change beyond one slot.
struct Place<'a, 'm> {
    model: &'m LlamaModel,
    context: &'a mut LlamaContext<'m>,
    trigger: Option<&'a CallTrigger>,
    generating: &'a mut SharingClock,
    meter: &'a LoadMeter,
}

impl Place<'_, '_> {
    /// Whether the answer's start or its call makes it begin again (see `decision.rs`):
    /// `Some` when it did (an error if it could not).
    fn turn_taken(&mut self, slot: &mut Slot, outcome: Option<StopReason>) -> Option<Result<(), String>> {
        let trigger = self.trigger?;
        let generation = slot.request.as_mut()?;
        let calls = generation.lazy_calls.as_mut()?;
        if calls.deciding() {
            if generation.filter.emitted_any() {
                calls.words_decided();
                return None;
            }
            return match classify(&generation.filter.pending(), &generation.declared_tools) {
                Opening::Undecided => None,
                Opening::Words => {
                    calls.words_decided();
                    None
                }
                Opening::Call => Some(call_instead(self.context, trigger, slot)),
                Opening::UnknownCall => {
                    Some(words_instead(self.model, self.context, &trigger.openings, slot))
                }
            };
        }
        if outcome != Some(StopReason::Stop) || !repeats_answered_calls(generation) {
            return None;
        }
        // Words already sent stand as the answer; otherwise the answer starts again as words.
        if generation.filter.emitted_any() {
            generation.filter.drop_capture();
            finish(slot, StopReason::Stop, self.generating, self.meter);
            return Some(Ok(()));
        }
        Some(words_instead(self.model, self.context, &trigger.openings, slot))
    }
}

/// The token to decode next: a call's opening when the model most wants one, the most likely
/// token while the answer's start is being read, else a sample.
fn choose_token(generation: &mut Generation, context: &LlamaContext, index: i32) -> LlamaToken {
    if let Some(calls) = generation.lazy_calls.as_mut() {
        if let Some((opening, call_sampler)) = calls.begin_call(context, index) {
            generation.sampler = call_sampler;
            return opening;
        }
        if calls.deciding()
            && let Some(token) = most_likely(context.get_logits_ith(index))
        {
            return token;
        }
    }
    generation.sampler.sample(context, index)
}

/// Starts the answer again from its prompt as words, with `barred` tokens (every call opening)
/// never drawn.
fn words_instead(
    model: &LlamaModel,
    context: &mut LlamaContext,
    barred: &[LlamaToken],
    slot: &mut Slot,
) -> Result<(), String> {
    let Some(generation) = slot.request.as_mut() else {
        return Ok(());
    };
    generation.sampler = sampler_for(model, &generation.sampling, None, barred)?;
    tracing::debug!(
        seq = slot.seq,
        "a repeated or undeclared tool call: answering in words"
    );
    // The last prompt token is decoded again: its logits start the new answer.
    let last = rewind_to_prompt(context, slot, 1)?;
    let generation = slot.request.as_mut().expect("checked above");
    generation.to_prefill = vec![last];
    generation.lazy_calls = None;
    generation.filter = OutputFilter::new(generation.sampling.stop.clone(), false, None);
    Ok(())
}

/// Starts the answer again from its prompt as `<tool_call>`, under the tools' grammar: a call
/// the model began in another form.
fn call_instead(context: &mut LlamaContext, trigger: &CallTrigger, slot: &mut Slot) -> Result<(), String> {
    rewind_to_prompt(context, slot, 0)?;
    let Some(generation) = slot.request.as_mut() else {
        return Ok(());
    };
    tracing::debug!(
        seq = slot.seq,
        "a call in another form: started again under the grammar"
    );
    let sampler = generation
        .lazy_calls
        .as_mut()
        .and_then(LazyCalls::start_call)
        .ok_or("the call grammar was already used")?;
    generation.sampler = sampler;
    generation.filter = OutputFilter::new(generation.sampling.stop.clone(), true, None);
    let _ = advance(generation, trigger.text.clone().into_bytes());
    generation.next_token = Some(trigger.token);
    Ok(())
}

/// Cuts the sequence back to its prompt less `keep_back` tokens and forgets the answer so far
/// (its tokens still count as generated); returns the first token cut from the prompt, if any.
fn rewind_to_prompt(
    context: &mut LlamaContext,
    slot: &mut Slot,
    keep_back: usize,
) -> Result<LlamaToken, String> {
    let Some(generation) = slot.request.as_mut() else {
        return Err("no generation".into());
    };
    let kept = generation.prompt_tokens as usize - keep_back;
    if !matches!(
        context.clear_kv_cache_seq(Some(slot.seq as u32), Some(kept as u32), None),
        Ok(true)
    ) {
        return Err("the cache could not be cut back to the prompt".into());
    }
    let first_cut = slot.cached.get(kept).copied().unwrap_or(LlamaToken::new(0));
    slot.cached.truncate(kept);
    generation.next_token = None;
    generation.utf8 = Utf8Assembler::default();
    generation.max_tokens += generation.generated;
    Ok(first_cut)
}

/// A finished call that only repeats calls answered since the caller last spoke.
fn repeats_answered_calls(generation: &Generation) -> bool {
    let (Some(calls), Some(captured)) = (&generation.lazy_calls, generation.filter.captured()) else {
        return false;
    };
    calls.calling() && calls.only_repeats(captured, &generation.declared_tools)
}

/// llama.cpp refused a grammar built from the request's tools: the request is refused with the
/// reason (never decoded without it).
fn unusable_tools(detail: String) -> EngineError {
    tracing::warn!(%detail, "a tool grammar was refused");
    EngineError::InvalidInput(format!(
        "The declared tools' parameters could not be turned into a decoding grammar ({detail}); \
         simplify their JSON Schemas."
    ))
}

/// Takes one sampled token; returns why the answer ends, if it does.
fn advance(generation: &mut Generation, piece: Vec<u8>) -> Option<StopReason> {
    generation.generated += 1;
    let text = generation.utf8.push(&piece);
    let (shown, stopped) = generation.filter.push(&text);
    generation.send_text(shown);
    generation.send_progress();
    if stopped {
        Some(StopReason::Stop)
    } else if generation.generated >= generation.max_tokens {
        Some(StopReason::Length)
    } else {
        None
    }
}

/// A generation that ran to its end measures what one costs under the current load: its time
/// divided by the generations it shared the steps with.
fn finish(slot: &mut Slot, reason: StopReason, generating: &mut SharingClock, meter: &LoadMeter) {
    if let Some(generation) = slot.request.take() {
        let _request = generation.span.clone().entered();
        tracing::debug!(
            prompt_tokens = generation.prompt_tokens,
            completion_tokens = generation.generated,
            ?reason,
            "generation finished"
        );
        meter.observe(generating.alone_secs(generation.started, Instant::now()), 1.0);
        generation.finish(reason);
    }
}
