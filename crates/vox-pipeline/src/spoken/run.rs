//! The answer's task: a writer half reading the model and cutting clauses, a voice half
//! speaking them in order, and the end (finished, cancelled, failed or abandoned).

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatEvent, ToolCall};
use vox_engine::speech::SpeechJob;

use super::record::Record;
use super::{AnswerEvent, ChatStream, Ending, Voice};
use crate::clauses::ClauseSplitter;
use crate::for_the_ear::ForTheEar;
use crate::{OUTPUT_RATE, PipelineError, ToOutputRate};

pub async fn run(
    chat: ChatStream,
    mut voice: Voice,
    out: mpsc::Sender<AnswerEvent>,
    cancelled: oneshot::Receiver<()>,
) {
    let record = Record::new(voice.asked_at);
    let closed = out.clone();
    let outcome = tokio::select! {
        () = closed.closed() => {
            tracing::debug!("spoken answer abandoned by its reader");
            return;
        }
        Ok(()) = cancelled => Err(None),
        result = answer(chat, &mut voice, &out, &record) => result.map_err(Some),
    };
    // The engines' streams are dropped by now: the model's sequence and the voice are free.
    let last = match outcome {
        Ok(tool_calls) => {
            for call in tool_calls {
                let _ = out.send(AnswerEvent::ToolCall(call)).await;
            }
            let reason = record.reason().unwrap_or(vox_engine::chat::StopReason::Stop);
            AnswerEvent::Finished(record.summary(Ending::Completed(reason)))
        }
        Err(None) => AnswerEvent::Finished(record.summary(Ending::Cancelled)),
        Err(Some(error)) => AnswerEvent::Failed {
            error,
            summary: record.summary(Ending::Failed),
        },
    };
    let _ = out.send(last).await;
}

/// Both halves at once; either failing stops the other. Returns the tool calls to send after
/// the audio.
async fn answer(
    chat: ChatStream,
    voice: &mut Voice,
    out: &mpsc::Sender<AnswerEvent>,
    record: &Record,
) -> Result<Vec<ToolCall>, PipelineError> {
    let (clauses, to_speak) = mpsc::unbounded_channel::<String>();
    let (tool_calls, ()) = tokio::try_join!(
        write(chat, clauses, out, record),
        speak(to_speak, voice, out, record)
    )?;
    Ok(tool_calls)
}

/// Reads the model, handing each finished clause to the voice. Dropping `clauses` at the end
/// tells the voice there is no more.
async fn write(
    mut chat: ChatStream,
    clauses: mpsc::UnboundedSender<String>,
    out: &mpsc::Sender<AnswerEvent>,
    record: &Record,
) -> Result<Vec<ToolCall>, PipelineError> {
    let mut splitter = ClauseSplitter::default();
    let mut tool_calls = Vec::new();
    while let Some(event) = chat.next().await {
        match event? {
            ChatEvent::Cached(tokens) => record.cached(tokens),
            ChatEvent::Text(text) => {
                for clause in splitter.push(&text) {
                    let _ = clauses.send(clause);
                }
                let _ = out.send(AnswerEvent::Text(text)).await;
            }
            ChatEvent::Progress {
                prompt_tokens,
                completion_tokens,
            } => record.tokens(prompt_tokens, completion_tokens),
            ChatEvent::ToolCall(call) => tool_calls.push(call),
            ChatEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            } => {
                if let Some(rest) = splitter.finish() {
                    let _ = clauses.send(rest);
                }
                record.finished(reason, prompt_tokens, completion_tokens);
                return Ok(tool_calls);
            }
        }
    }
    Err(PipelineError::EndedEarly(
        "the language model stopped without finishing",
    ))
}

/// Speaks clauses in order; each clause's text goes out just before its audio, so a reader
/// showing the transcript stays in step with what is heard. A clause with nothing to say (a
/// list marker, a code fence) is still part of the transcript.
async fn speak(
    mut clauses: mpsc::UnboundedReceiver<String>,
    voice: &mut Voice,
    out: &mpsc::Sender<AnswerEvent>,
    record: &Record,
) -> Result<(), PipelineError> {
    let mut to_output_rate = ToOutputRate::default();
    let mut ear = ForTheEar::default();
    while let Some(clause) = clauses.recv().await {
        // The transcript keeps the model's words; the voice says them as a person would.
        let said = ear.clause(&clause);
        record.clause(&clause);
        let _ = out.send(AnswerEvent::Clause(clause)).await;
        if !said.chars().any(char::is_alphanumeric) {
            continue;
        }
        let job = SpeechJob {
            text: said,
            voice: voice.profile.clone(),
            speed: 1.0,
            language: voice.language.clone(),
            heard_live: voice.heard_live,
        };
        let mut audio = voice.synthesizer.synthesize(job);
        loop {
            let asked = std::time::Instant::now();
            let Some(chunk) = audio.next().await else { break };
            record.waited_on_voice(asked.elapsed());
            let samples = to_output_rate.push(&chunk?)?;
            send_audio(samples, voice, out, record).await;
        }
    }
    send_audio(to_output_rate.finish(), voice, out, record).await;
    Ok(())
}

async fn send_audio(samples: Vec<f32>, voice: &mut Voice, out: &mpsc::Sender<AnswerEvent>, record: &Record) {
    if samples.is_empty() {
        return;
    }
    if let Some(in_flight) = &mut voice.in_flight {
        in_flight.first_output();
    }
    let produced = samples.len();
    let audio = AudioBuffer {
        samples,
        sample_rate: OUTPUT_RATE,
    };
    // Counted once handed over: a cancellation while the reader is behind loses this chunk
    // from both the events and the summary, never from one only.
    if out.send(AnswerEvent::Audio(audio)).await.is_ok() {
        record.audio(produced);
    }
}
