//! Turns a parsed [`ChatCompletionRequest`] into a [`ValidChatRequest`]: every rule that OpenAI
//! checks at the door, with its exact message and `param` path. Engines only ever see the result.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::request::{
    ChatCompletionRequest, ChatMessage, ContentPart, ContentPartType, MessageContent, Modality, Role, Tool,
    ToolCall, ToolChoice,
};
use crate::audio::{AudioFormat, InputAudioFormat};
use crate::error::ProtocolError;
use serde_json::Value;

/// Server facts the rules depend on.
#[derive(Debug, Clone)]
pub struct ChatLimits<'a> {
    /// Voice names (and custom voice ids) the voice catalog can speak.
    pub voices: &'a [String],
    /// Most bytes one decoded `input_audio` may hold.
    pub max_audio_bytes: usize,
    /// The deployment answers only when audio is in the input or the output (gpt-4o-audio-preview).
    pub require_audio: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidChatRequest {
    pub model: Option<String>,
    pub messages: Vec<ValidMessage>,
    /// Present when the answer is to be spoken.
    pub audio_output: Option<AudioOutput>,
    pub stream: bool,
    pub include_usage: bool,
    pub sampling: Sampling,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioOutput {
    pub voice: String,
    pub format: AudioFormat,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampling {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub seed: Option<i64>,
    pub stop: Vec<String>,
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidMessage {
    pub role: Role,
    pub parts: Vec<ValidPart>,
    pub name: Option<String>,
    /// An earlier spoken answer, to be replaced by its stored transcript.
    pub audio_ref: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    /// `messages[i]`, for errors found later (an unknown audio id, say).
    pub param: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValidPart {
    Text(String),
    Audio(ValidAudio),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidAudio {
    /// The decoded file, not yet sniffed or decoded to samples.
    pub bytes: Vec<u8>,
    pub format_hint: InputAudioFormat,
    /// `messages[i].content[j]`, for a decoding error found later.
    pub param: String,
}

impl ValidChatRequest {
    pub fn has_audio_input(&self) -> bool {
        self.messages
            .iter()
            .flat_map(|m| &m.parts)
            .any(|p| matches!(p, ValidPart::Audio(_)))
    }
}

const MAX_STOP_SEQUENCES: usize = 4;

/// Accepts base64 with or without padding, as lenient clients send it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub fn validate_chat_request(
    request: ChatCompletionRequest,
    limits: &ChatLimits<'_>,
) -> Result<ValidChatRequest, ProtocolError> {
    if request.messages.is_empty() {
        return Err(ProtocolError::invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an \
             empty array instead.",
            "messages",
            "empty_array",
        ));
    }
    let stream = request.stream.unwrap_or(false);
    let audio_output = audio_output(&request, limits, stream)?;
    check_n(request.n, audio_output.is_some())?;
    let include_usage = stream_usage(&request, stream)?;
    let sampling = sampling(&request)?;
    check_response_format(request.response_format.as_ref())?;
    check_top_logprobs(request.top_logprobs, request.logprobs)?;
    let tools = super::tools::validate_tools(request.tools, request.tool_choice.as_ref())?;
    let messages = request
        .messages
        .into_iter()
        .enumerate()
        .map(|(index, message)| validate_message(index, message, limits))
        .collect::<Result<Vec<_>, _>>()?;
    let valid = ValidChatRequest {
        model: request.model,
        messages,
        audio_output,
        stream,
        include_usage,
        sampling,
        tools,
        tool_choice: request.tool_choice,
        user: request.user,
    };
    if limits.require_audio && valid.audio_output.is_none() && !valid.has_audio_input() {
        return Err(ProtocolError::invalid(
            "This model requires that either input content or output modality contain audio.",
            "model",
            "invalid_value",
        ));
    }
    Ok(valid)
}

fn audio_output(
    request: &ChatCompletionRequest,
    limits: &ChatLimits<'_>,
    stream: bool,
) -> Result<Option<AudioOutput>, ProtocolError> {
    let wants_audio = request
        .modalities
        .as_ref()
        .is_some_and(|m| m.contains(&Modality::Audio));
    if !wants_audio {
        return Ok(None);
    }
    let params = request
        .audio
        .as_ref()
        .ok_or_else(|| ProtocolError::missing("audio"))?;
    let voice = params.voice.id();
    if !limits.voices.iter().any(|known| known == voice) {
        let supported: Vec<&str> = limits.voices.iter().map(String::as_str).collect();
        return Err(ProtocolError::invalid_value(voice, &supported, "audio.voice"));
    }
    let format = AudioFormat::parse(&params.format)
        .ok_or_else(|| ProtocolError::invalid_value(&params.format, &AudioFormat::names(), "audio.format"))?;
    if stream && format != AudioFormat::Pcm16 {
        return Err(ProtocolError::invalid(
            format!(
                "Unsupported value: 'audio.format' does not support '{}' when stream=true. \
                 Supported values are: 'pcm16'.",
                format.as_str()
            ),
            "audio.format",
            "unsupported_value",
        ));
    }
    Ok(Some(AudioOutput {
        voice: voice.to_string(),
        format,
    }))
}

fn check_n(n: Option<i64>, audio: bool) -> Result<(), ProtocolError> {
    match n {
        Some(n) if n < 1 => Err(below_minimum("n", 1, n)),
        Some(n) if n > 1 && audio => Err(ProtocolError::invalid(
            format!("Unsupported value: 'n' must be 1 when audio output is requested, but got {n}."),
            "n",
            "unsupported_value",
        )),
        Some(n) if n > 1 => Err(ProtocolError::invalid(
            format!("Unsupported value: 'n' must be 1 on this server, but got {n}."),
            "n",
            "unsupported_value",
        )),
        _ => Ok(()),
    }
}

fn stream_usage(request: &ChatCompletionRequest, stream: bool) -> Result<bool, ProtocolError> {
    match &request.stream_options {
        Some(_) if !stream => Err(ProtocolError::invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
            "invalid_value",
        )),
        Some(options) => Ok(options.include_usage.unwrap_or(false)),
        None => Ok(false),
    }
}

fn sampling(request: &ChatCompletionRequest) -> Result<Sampling, ProtocolError> {
    check_range("temperature", request.temperature, 0.0, 2.0)?;
    check_range("top_p", request.top_p, 0.0, 1.0)?;
    check_range("frequency_penalty", request.frequency_penalty, -2.0, 2.0)?;
    check_range("presence_penalty", request.presence_penalty, -2.0, 2.0)?;
    let stop = request.stop.clone().map(|s| s.into_vec()).unwrap_or_default();
    if stop.len() > MAX_STOP_SEQUENCES {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid 'stop': array too long. Expected an array with maximum length \
                 {MAX_STOP_SEQUENCES}, but got an array with length {} instead.",
                stop.len()
            ),
            "stop",
            "array_above_max_length",
        ));
    }
    Ok(Sampling {
        temperature: request.temperature,
        top_p: request.top_p,
        seed: request.seed,
        stop,
        max_tokens: max_tokens(request)?,
    })
}

fn max_tokens(request: &ChatCompletionRequest) -> Result<Option<u32>, ProtocolError> {
    let (param, value) = match (request.max_completion_tokens, request.max_tokens) {
        (Some(v), _) => ("max_completion_tokens", v),
        (None, Some(v)) => ("max_tokens", v),
        (None, None) => return Ok(None),
    };
    if value < 1 {
        return Err(below_minimum(param, 1, value));
    }
    Ok(Some(u32::try_from(value).unwrap_or(u32::MAX)))
}

fn check_range(param: &str, value: Option<f64>, min: f64, max: f64) -> Result<(), ProtocolError> {
    let Some(value) = value else { return Ok(()) };
    if value < min {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid '{param}': decimal below minimum value. Expected a value >= {min}, but got \
                 {value} instead."
            ),
            param,
            "decimal_below_min_value",
        ));
    }
    if value > max {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid '{param}': decimal above maximum value. Expected a value <= {max}, but got \
                 {value} instead."
            ),
            param,
            "decimal_above_max_value",
        ));
    }
    Ok(())
}

/// OpenAI's three types; the two JSON ones are refused by name, since Vox does not constrain an
/// answer to JSON and a client relying on it must know.
fn check_response_format(format: Option<&Value>) -> Result<(), ProtocolError> {
    const TYPES: [&str; 3] = ["text", "json_object", "json_schema"];
    let Some(format) = format else { return Ok(()) };
    let kind = format
        .get("type")
        .ok_or_else(|| ProtocolError::missing("response_format.type"))?;
    let Some(kind) = kind.as_str() else {
        return Err(ProtocolError::invalid(
            "Invalid type for 'response_format.type': expected a string.",
            "response_format.type",
            "invalid_type",
        ));
    };
    match kind {
        "text" => Ok(()),
        "json_object" | "json_schema" => Err(ProtocolError::invalid(
            format!("Unsupported value: 'response_format.type' does not support '{kind}' with this model."),
            "response_format.type",
            "unsupported_value",
        )),
        other => Err(ProtocolError::invalid_value(
            &other.chars().take(64).collect::<String>(),
            &TYPES,
            "response_format.type",
        )),
    }
}

fn check_top_logprobs(top: Option<i64>, logprobs: Option<bool>) -> Result<(), ProtocolError> {
    const MAX: i64 = 20;
    let Some(top) = top else { return Ok(()) };
    if top < 0 {
        return Err(below_minimum("top_logprobs", 0, top));
    }
    if top > MAX {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid 'top_logprobs': integer above maximum value. Expected a value <= {MAX}, but got {top} instead."
            ),
            "top_logprobs",
            "integer_above_max_value",
        ));
    }
    if logprobs != Some(true) {
        return Err(ProtocolError::invalid(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            "top_logprobs",
            "invalid_value",
        ));
    }
    Ok(())
}

fn below_minimum(param: &str, min: i64, value: i64) -> ProtocolError {
    ProtocolError::invalid(
        format!(
            "Invalid '{param}': integer below minimum value. Expected a value >= {min}, but got \
             {value} instead."
        ),
        param,
        "integer_below_min_value",
    )
}

fn validate_message(
    index: usize,
    message: ChatMessage,
    limits: &ChatLimits<'_>,
) -> Result<ValidMessage, ProtocolError> {
    let path = format!("messages[{index}]");
    let role = message.role;
    if message.audio.is_some() && role != Role::Assistant {
        return Err(only_for_role(&format!("{path}.audio"), "assistant", role));
    }
    if message.tool_calls.is_some() && role != Role::Assistant {
        return Err(only_for_role(&format!("{path}.tool_calls"), "assistant", role));
    }
    if matches!(role, Role::Tool) && message.tool_call_id.is_none() {
        return Err(ProtocolError::missing(format!("{path}.tool_call_id")));
    }
    let parts = match message.content {
        Some(MessageContent::Text(text)) => vec![ValidPart::Text(text)],
        Some(MessageContent::Parts(parts)) => parts
            .into_iter()
            .enumerate()
            .map(|(j, part)| validate_part(&format!("{path}.content[{j}]"), role, part, limits))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let speaks_elsewhere = message.audio.is_some() || message.tool_calls.is_some();
    if parts.is_empty() && !(role == Role::Assistant && speaks_elsewhere) {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid value for '{path}.content': expected a string or an array of content parts, got null."
            ),
            format!("{path}.content"),
            "invalid_type",
        ));
    }
    Ok(ValidMessage {
        role,
        parts,
        name: message.name,
        audio_ref: message.audio.map(|a| a.id),
        tool_calls: message.tool_calls.unwrap_or_default(),
        tool_call_id: message.tool_call_id,
        param: path,
    })
}

fn only_for_role(param: &str, allowed: &str, role: Role) -> ProtocolError {
    ProtocolError::invalid(
        format!(
            "Invalid parameter: '{param}' is only allowed for messages with role '{allowed}', but \
             this message has role '{}'.",
            role.as_str()
        ),
        param,
        "invalid_value",
    )
}

fn validate_part(
    path: &str,
    role: Role,
    part: ContentPart,
    limits: &ChatLimits<'_>,
) -> Result<ValidPart, ProtocolError> {
    match part.kind {
        ContentPartType::Text => part
            .text
            .map(ValidPart::Text)
            .ok_or_else(|| ProtocolError::missing(format!("{path}.text"))),
        ContentPartType::Refusal if role == Role::Assistant => part
            .refusal
            .map(ValidPart::Text)
            .ok_or_else(|| ProtocolError::missing(format!("{path}.refusal"))),
        ContentPartType::InputAudio if role == Role::User => {
            let audio = part
                .input_audio
                .ok_or_else(|| ProtocolError::missing(format!("{path}.input_audio")))?;
            let param = format!("{path}.input_audio");
            let format_hint = InputAudioFormat::parse(&audio.format).ok_or_else(|| {
                ProtocolError::invalid_value(
                    &audio.format,
                    &InputAudioFormat::DOCUMENTED,
                    format!("{param}.format"),
                )
            })?;
            let bytes = decode_audio_data(&audio.data, &format!("{param}.data"), limits.max_audio_bytes)?;
            Ok(ValidPart::Audio(ValidAudio {
                bytes,
                format_hint,
                param: path.to_string(),
            }))
        }
        ContentPartType::InputAudio => Err(ProtocolError::invalid(
            format!(
                "Invalid '{path}'. Audio content parts are only allowed for messages with role \
                 'user', but this message has role '{}'.",
                role.as_str()
            ),
            format!("{path}.type"),
            "invalid_value",
        )),
        ContentPartType::ImageUrl | ContentPartType::File | ContentPartType::Refusal => {
            Err(ProtocolError::invalid(
                format!(
                    "Invalid content type. '{}' content parts are not supported by this model in \
                     {} messages.",
                    part_type_name(part.kind),
                    role.as_str()
                ),
                format!("{path}.type"),
                "invalid_value",
            ))
        }
    }
}

fn part_type_name(kind: ContentPartType) -> &'static str {
    match kind {
        ContentPartType::Text => "text",
        ContentPartType::InputAudio => "input_audio",
        ContentPartType::ImageUrl => "image_url",
        ContentPartType::Refusal => "refusal",
        ContentPartType::File => "file",
    }
}

/// Decodes `input_audio.data`, refusing `data:` URLs and oversized payloads before allocating.
pub fn decode_audio_data(data: &str, param: &str, max_bytes: usize) -> Result<Vec<u8>, ProtocolError> {
    if data.starts_with("data:") {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid '{param}'. Expected raw base64-encoded audio, but got a data URL. Send the \
                 base64 string without the 'data:...;base64,' prefix."
            ),
            param,
            "invalid_value",
        ));
    }
    let decoded_len = data.len() / 4 * 3;
    if decoded_len > max_bytes {
        return Err(ProtocolError::too_large(
            format!("Audio input is about {decoded_len} bytes, more than the {max_bytes}-byte limit."),
            param,
        ));
    }
    BASE64.decode(data.trim_end()).map_err(|_| {
        ProtocolError::invalid(
            format!("Invalid '{param}'. Expected a base64-encoded string."),
            param,
            "invalid_base64",
        )
    })
}
