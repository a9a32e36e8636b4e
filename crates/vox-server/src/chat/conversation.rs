//! A validated request as the language model sees it: every turn reduced to text. Spoken input
//! is recognised in place; an earlier spoken answer referenced by id becomes its stored transcript.

use vox_engine::audio::AudioBuffer;
use vox_engine::chat::{ChatJob, ChatRole, ChatTurn, SamplingParams, ToolCall, ToolPolicy, ToolSpec};
use vox_protocol::chat::request::{Role, ToolChoice, ToolChoiceMode};
use vox_protocol::chat::validate::{ValidChatRequest, ValidMessage, ValidPart};

use std::collections::HashMap;
use std::time::Instant;

use crate::engines::RequiredEngines;
use crate::error::ApiError;
use crate::state::AppState;

/// The stored transcripts of the earlier spoken answers a request refers to, by audio id:
/// looked up once, when the request is checked.
pub type AudioHistory = HashMap<String, String>;

/// The job, and how much audio the prompt held (for usage).
pub struct Conversation {
    pub job: ChatJob,
    pub input_audio_secs: f64,
    /// Time spent recognising the spoken input (none without any).
    pub recognition_secs: Option<f64>,
    /// The language of the last spoken input: the answer is spoken in it.
    pub spoken_language: Option<String>,
}

pub async fn build(
    state: &AppState,
    history: &AudioHistory,
    engines: &RequiredEngines,
    request: &ValidChatRequest,
    decoded_audio: Vec<AudioBuffer>,
) -> Result<Conversation, ApiError> {
    let mut decoded_audio = decoded_audio.into_iter();
    let mut turns = Vec::with_capacity(request.messages.len());
    let mut input_audio_secs = 0.0;
    let mut spoken_language = None;
    let mut recognition_secs = None;
    for message in &request.messages {
        let mut pieces = Vec::new();
        if let Some(id) = &message.audio_ref {
            let transcript = history
                .get(id)
                .ok_or_else(|| ApiError::audio_not_found(id, &message.param))?;
            pieces.push(transcript.clone());
        }
        for part in &message.parts {
            match part {
                ValidPart::Text(text) => pieces.push(text.clone()),
                ValidPart::Audio(_) => {
                    let audio = decoded_audio
                        .next()
                        .ok_or_else(|| ApiError::internal("an audio part was not decoded"))?;
                    let (heard, secs) = recognise(state, engines, audio).await?;
                    *recognition_secs.get_or_insert(0.0) += secs;
                    input_audio_secs += heard.secs;
                    spoken_language = Some(heard.language);
                    pieces.push(heard.text);
                }
            }
        }
        turns.push(turn(message, pieces.join("\n")));
    }
    Ok(Conversation {
        job: ChatJob {
            turns,
            sampling: sampling(request),
            tools: tools(request),
            tool_policy: tool_policy(request),
        },
        input_audio_secs,
        recognition_secs,
        spoken_language,
    })
}

async fn recognise(
    state: &AppState,
    engines: &RequiredEngines,
    decoded: AudioBuffer,
) -> Result<(vox_pipeline::Heard, f64), ApiError> {
    let transcriber = engines
        .transcriber
        .as_ref()
        .ok_or_else(|| ApiError::internal("audio input without a transcriber"))?;
    let started = Instant::now();
    let heard = vox_pipeline::hear(transcriber.as_ref(), decoded).await?;
    let stages = &state.metrics().stages;
    let secs = started.elapsed().as_secs_f64();
    stages.recognised(secs, heard.secs);
    Ok((heard, secs))
}

fn turn(message: &ValidMessage, text: String) -> ChatTurn {
    let role = match message.role {
        Role::System | Role::Developer => ChatRole::System,
        Role::User => ChatRole::User,
        Role::Assistant => ChatRole::Assistant,
        Role::Tool | Role::Function => ChatRole::Tool,
    };
    ChatTurn {
        role,
        text,
        tool_calls: message
            .tool_calls
            .iter()
            .map(|call| ToolCall {
                id: call.id.clone(),
                name: call.function.name.clone(),
                arguments: call.function.arguments.clone(),
            })
            .collect(),
        tool_call_id: message.tool_call_id.clone(),
    }
}

fn sampling(request: &ValidChatRequest) -> SamplingParams {
    let s = &request.sampling;
    SamplingParams {
        temperature: s.temperature,
        top_p: s.top_p,
        seed: s.seed,
        stop: s.stop.clone(),
        max_tokens: s.max_tokens,
    }
}

fn tools(request: &ValidChatRequest) -> Vec<ToolSpec> {
    request
        .tools
        .iter()
        .map(|tool| ToolSpec {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            parameters_json: tool.function.parameters.as_ref().map(|p| p.to_string()),
        })
        .collect()
}

fn tool_policy(request: &ValidChatRequest) -> ToolPolicy {
    match &request.tool_choice {
        None | Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => ToolPolicy::Auto,
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => ToolPolicy::None,
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => ToolPolicy::Required,
        Some(ToolChoice::Named(named)) => ToolPolicy::Named(named.function.name.clone()),
    }
}
