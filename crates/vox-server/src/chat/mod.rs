//! Chat completions: the conversation reduced to text (speech recognised, earlier spoken answers
//! replaced by their transcripts), the language model, and the answer in OpenAI's shape, whole
//! or streamed.

mod answer;
mod chunks;
mod conversation;
mod report;
mod spoken_reply;
mod stream;
mod wire;

use std::time::Instant;

use axum::Json;
use axum::response::{IntoResponse, Response};
use vox_engine::EngineSet;
use vox_protocol::chat::response::ChatCompletion;
use vox_protocol::chat::validate::ValidChatRequest;

use crate::audio_input;
use crate::context::RequestContext;
use crate::engines::{self, RequiredEngines};
use crate::error::{ApiError, EngineKind};
use crate::speech_out;
use crate::state::{AppState, unix_now};

pub use answer::Answer;
pub use conversation::AudioHistory;

/// What the response echoes as `model`.
pub struct Reply {
    pub id: String,
    pub created: u64,
    pub model: String,
}

pub async fn respond(
    state: &AppState,
    engines: &EngineSet,
    context: &RequestContext,
    model: String,
    request: ValidChatRequest,
    history: AudioHistory,
    spoken_style: Option<&str>,
) -> Result<Response, ApiError> {
    // Undecodable audio is the client's error (400) whatever the engines: decode before all else.
    let decoded_audio = audio_input::decode_chat_inputs(state, &request).await?;
    let engines = RequiredEngines::for_chat(engines, &request)?;
    engines::admit(state, expected_wait(state, &engines, &request))?;
    let admitted_at = Instant::now();
    // Counted from admission, so answers admitted a moment apart in a burst see each other.
    let in_flight = request
        .audio_output
        .is_some()
        .then(|| state.spoken_answers().admit());
    let mut conversation = conversation::build(state, &history, &engines, &request, decoded_audio).await?;
    if request.audio_output.is_some()
        && let Some(style) = spoken_style
    {
        vox_pipeline::tell_it_is_speaking(&mut conversation.job.turns, style);
    }
    let asked_at = Instant::now();
    let rest = engines::refusal_first(engines.chat.generate(conversation.job)).await?;
    let spoken = request.audio_output.is_some();
    let report = report::AnswerReport {
        state: state.clone(),
        recognition_secs: conversation.recognition_secs,
        first_token_secs: asked_at.elapsed().as_secs_f64(),
    };
    state
        .metrics()
        .stages
        .first_token(spoken, report.first_token_secs);
    let reply = Reply {
        id: wire::completion_id(),
        created: unix_now(),
        model,
    };
    let audio_secs = conversation.input_audio_secs;
    let Some(output) = &request.audio_output else {
        if request.stream {
            return Ok(stream::text(reply, rest, request.include_usage, audio_secs));
        }
        let answer = answer::collect(rest).await?;
        return Ok(Json(text_completion(reply, &answer, audio_secs)).into_response());
    };
    let synthesizer = engines
        .synthesizer
        .clone()
        .ok_or(ApiError::engine_unavailable(EngineKind::Synthesizer))?;
    let profile = synthesizer
        .voices()
        .resolve(&output.voice)
        .ok_or_else(|| ApiError::internal("a validated voice left the catalog"))?;
    let voice = vox_pipeline::Voice {
        synthesizer,
        profile,
        language: conversation.spoken_language,
        heard_live: request.stream,
        in_flight,
        asked_at: admitted_at,
    };
    let answer = vox_pipeline::SpokenAnswer::start(rest, voice);
    let keeper = spoken_reply::Keeper::new(state, context);
    if request.stream {
        let include_usage = request.include_usage;
        return Ok(stream::spawn_sse(reply, move |writer| async move {
            spoken_reply::stream(writer, answer, keeper, report, include_usage, audio_secs).await
        }));
    }
    let format = speech_out::chat_format(output.format);
    let completion = spoken_reply::whole(reply, answer, format, keeper, report, audio_secs).await?;
    Ok(Json(completion).into_response())
}

/// The engines' queues (a language model slot, the voices' turn), and for a spoken answer the
/// measured time to first audio of the answers it would share the machine with once it has a
/// slot.
fn expected_wait(
    state: &AppState,
    engines: &RequiredEngines,
    request: &ValidChatRequest,
) -> std::time::Duration {
    let queues = engines.expected_wait();
    match request.audio_output.is_some() {
        true => queues + state.spoken_answers().expected_wait(),
        false => queues,
    }
}

fn text_completion(reply: Reply, answer: &Answer, input_audio_secs: f64) -> ChatCompletion {
    let reason = answer.reason.unwrap_or(vox_engine::chat::StopReason::Stop);
    let tool_calls: Vec<_> = answer.tool_calls.iter().map(wire::tool_call).collect();
    // OpenAI sends `content: null` beside tool calls when the model said nothing else.
    let content = match (tool_calls.is_empty(), answer.text.is_empty()) {
        (false, true) => None,
        _ => Some(answer.text.clone()),
    };
    let usage = wire::usage(
        answer.prompt_tokens,
        answer.completion_tokens,
        input_audio_secs,
        0.0,
    )
    .with_cached(answer.cached_tokens);
    wire::completion(
        reply,
        wire::assistant_message(content, None, tool_calls),
        reason,
        usage,
    )
}
