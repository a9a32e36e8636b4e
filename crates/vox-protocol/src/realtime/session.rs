//! A realtime session's settings: read from `session.update` (and `response.create`) in either
//! protocol generation's shape, written back in the client's.
//!
//! Updates are partial: a field left out keeps its value, and a partial `turn_detection` keeps
//! the defaults of the fields it omits. Unknown fields are ignored.

use serde_json::{Map, Value, json};

use super::Dialect;
use super::client::RealtimeError;
use crate::audio::OPENAI_VOICES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// 16-bit little-endian mono at 24 kHz (`audio/pcm`, beta `pcm16`).
    Pcm16,
    /// G.711 u-law at 8 kHz (`audio/pcmu`, beta `g711_ulaw`).
    G711Ulaw,
    /// G.711 A-law at 8 kHz (`audio/pcma`, beta `g711_alaw`).
    G711Alaw,
}

impl AudioFormat {
    const GA: [(&'static str, AudioFormat); 3] = [
        ("audio/pcm", Self::Pcm16),
        ("audio/pcmu", Self::G711Ulaw),
        ("audio/pcma", Self::G711Alaw),
    ];
    const BETA: [(&'static str, AudioFormat); 3] = [
        ("pcm16", Self::Pcm16),
        ("g711_ulaw", Self::G711Ulaw),
        ("g711_alaw", Self::G711Alaw),
    ];

    pub fn rate(self) -> u32 {
        match self {
            Self::Pcm16 => 24_000,
            Self::G711Ulaw | Self::G711Alaw => 8_000,
        }
    }

    /// Bytes per sample on the wire.
    pub fn sample_bytes(self) -> usize {
        match self {
            Self::Pcm16 => 2,
            Self::G711Ulaw | Self::G711Alaw => 1,
        }
    }

    fn ga_name(self) -> &'static str {
        Self::GA
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("audio/pcm", |(n, _)| n)
    }

    fn beta_name(self) -> &'static str {
        Self::BETA
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("pcm16", |(n, _)| n)
    }

    /// Either generation's name, or GA's `{type, rate}` object.
    fn parse(value: &Value, param: &str) -> Result<Self, RealtimeError> {
        let name = match value {
            Value::String(name) => name.as_str(),
            Value::Object(object) => object.get("type").and_then(Value::as_str).unwrap_or_default(),
            _ => return Err(RealtimeError::invalid_type(param, "a string or an object")),
        };
        if let Value::Object(object) = value
            && let Some(rate) = object.get("rate").and_then(Value::as_u64)
            && name == "audio/pcm"
            && rate != 24_000
        {
            return Err(RealtimeError::invalid_value(
                &rate.to_string(),
                &["24000"],
                &format!("{param}.rate"),
            ));
        }
        Self::GA
            .iter()
            .chain(Self::BETA.iter())
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                RealtimeError::invalid_value(name, &["audio/pcm", "audio/pcmu", "audio/pcma"], param)
            })
    }

    fn to_ga(self) -> Value {
        match self {
            Self::Pcm16 => json!({"type": "audio/pcm", "rate": 24000}),
            other => json!({"type": other.ga_name()}),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    /// Spoken answers, with their transcript.
    Audio,
    /// Text answers only.
    Text,
}

/// Server voice activity detection, or none (`turn_detection: null`: the client commits).
#[derive(Debug, Clone, PartialEq)]
pub struct TurnDetection {
    /// `server_vad`, or `semantic_vad` (an end-of-turn model judges each pause; the silence
    /// settings keep server VAD's defaults).
    pub kind: String,
    pub threshold: f32,
    pub prefix_padding_ms: u64,
    pub silence_duration_ms: u64,
    pub create_response: bool,
    pub interrupt_response: bool,
    pub idle_timeout_ms: Option<u64>,
    /// semantic_vad's, echoed back.
    pub eagerness: Option<String>,
}

impl Default for TurnDetection {
    fn default() -> Self {
        Self {
            kind: "server_vad".into(),
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
            create_response: true,
            interrupt_response: true,
            idle_timeout_ms: None,
            eagerness: None,
        }
    }
}

/// A conversation that answers, or one that only transcribes (`type: "transcription"`, or
/// `?intent=transcription`): turns are recognised and never answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Realtime,
    Transcription,
}

/// Session fields OpenAI accepts that change nothing here; kept and echoed as given.
const ECHOED: [&str; 5] = ["prompt", "tracing", "truncation", "include", "reasoning"];

/// `semantic_vad`'s eagerness values.
const EAGERNESS: [&str; 4] = ["low", "medium", "high", "auto"];

/// The most a setting kept only to be echoed back may hold (as JSON): enough for any real
/// `prompt` or `tracing` object, never a way to park megabytes in a session.
pub const MAX_ECHOED_BYTES: usize = 16 * 1024;

/// OpenAI's limit on the functions one request may declare.
pub const MAX_TOOLS: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    pub kind: SessionKind,
    pub id: String,
    pub model: String,
    pub expires_at: u64,
    pub instructions: String,
    pub modality: Modality,
    pub input_format: AudioFormat,
    pub output_format: AudioFormat,
    pub voice: String,
    pub speed: f64,
    pub turn_detection: Option<TurnDetection>,
    /// The transcription settings as the client gave them (echoed; Vox always recognises).
    pub transcription: Value,
    /// Function tools as the client gave them (`{type, name, description, parameters}`).
    pub tools: Vec<Value>,
    pub tool_choice: Value,
    pub temperature: Option<f64>,
    /// `None` is `"inf"`.
    pub max_output_tokens: Option<u32>,
    /// `noise_reduction` as the client gave it (the browser's or the client's own is used).
    pub noise_reduction: Value,
    /// The fields of [`ECHOED`] the client set.
    pub echoed: Map<String, Value>,
}

pub const DEFAULT_INSTRUCTIONS: &str = "You are a helpful, witty and friendly assistant. Your voice and \
     personality should be warm and engaging. Keep your answers short: they are spoken aloud.";

impl SessionConfig {
    pub fn new(id: String, model: String, expires_at: u64) -> Self {
        Self {
            kind: SessionKind::Realtime,
            id,
            model,
            expires_at,
            instructions: DEFAULT_INSTRUCTIONS.into(),
            modality: Modality::Audio,
            input_format: AudioFormat::Pcm16,
            output_format: AudioFormat::Pcm16,
            voice: "alloy".into(),
            speed: 1.0,
            turn_detection: Some(TurnDetection::default()),
            transcription: Value::Null,
            tools: Vec::new(),
            tool_choice: json!("auto"),
            temperature: None,
            max_output_tokens: None,
            noise_reduction: Value::Null,
            echoed: Map::new(),
        }
    }

    /// Applies a `session.update` (either generation's shape); nothing changes on error.
    pub fn update(&self, session: &Value) -> Result<Self, RealtimeError> {
        let Value::Object(fields) = session else {
            return Err(RealtimeError::invalid_type("session", "an object"));
        };
        let mut next = self.clone();
        if let Some(kind) = fields.get("type") {
            next.kind = session_kind(kind)?;
        }
        next.apply_response_fields(fields, "session")?;
        let audio = fields.get("audio").and_then(Value::as_object);
        let input = audio.and_then(|a| a.get("input")).and_then(Value::as_object);
        let output = audio.and_then(|a| a.get("output")).and_then(Value::as_object);
        if let Some(format) = input.and_then(|i| i.get("format")) {
            next.input_format = AudioFormat::parse(format, "session.audio.input.format")?;
        }
        if let Some(format) = fields.get("input_audio_format") {
            next.input_format = AudioFormat::parse(format, "session.input_audio_format")?;
        }
        if let Some(format) = output.and_then(|o| o.get("format")) {
            next.output_format = AudioFormat::parse(format, "session.audio.output.format")?;
        }
        if let Some(format) = fields.get("output_audio_format") {
            next.output_format = AudioFormat::parse(format, "session.output_audio_format")?;
        }
        if let Some(voice) = output.and_then(|o| o.get("voice")) {
            next.voice = voice_name(voice, "session.audio.output.voice")?;
        }
        if let Some(speed) = output.and_then(|o| o.get("speed")).or(fields.get("speed")) {
            next.speed = number_in(speed, 0.25, 1.5, "session.audio.output.speed")?;
        }
        let turn_detection = input
            .and_then(|i| i.get("turn_detection"))
            .or(fields.get("turn_detection"));
        if let Some(turn_detection) = turn_detection {
            next.turn_detection = parse_turn_detection(turn_detection, self.turn_detection.as_ref())?;
        }
        let transcription = input
            .and_then(|i| i.get("transcription"))
            .or(fields.get("input_audio_transcription"));
        if let Some(transcription) = transcription {
            next.transcription = object_or_null(transcription, "session.audio.input.transcription")?;
        }
        let noise_reduction = input
            .and_then(|i| i.get("noise_reduction"))
            .or(fields.get("input_audio_noise_reduction"));
        if let Some(noise_reduction) = noise_reduction {
            next.noise_reduction = object_or_null(noise_reduction, "session.audio.input.noise_reduction")?;
        }
        for key in ECHOED {
            if let Some(value) = fields.get(key) {
                next.echoed
                    .insert(key.to_string(), bounded(value, &format!("session.{key}"))?);
            }
        }
        if let Some(tools) = fields.get("tools") {
            next.tools = parse_tools(tools, "session")?;
        }
        if let Some(choice) = fields.get("tool_choice") {
            next.tool_choice = choice.clone();
        }
        check_tool_choice(&next.tool_choice, &next.tools, "session.tool_choice")?;
        Ok(next)
    }

    /// The fields a `response.create` may override for one response (and a session sets for
    /// all): instructions, voice, modalities, temperature, token limit.
    pub fn for_response(&self, response: &Value) -> Result<Self, RealtimeError> {
        let Value::Object(fields) = response else {
            return Err(RealtimeError::invalid_type("response", "an object"));
        };
        let mut next = self.clone();
        next.apply_response_fields(fields, "response")?;
        if let Some(voice) = fields
            .get("audio")
            .and_then(|a| a.get("output"))
            .and_then(|o| o.get("voice"))
        {
            next.voice = voice_name(voice, "response.audio.output.voice")?;
        }
        if let Some(tools) = fields.get("tools") {
            next.tools = parse_tools(tools, "response")?;
        }
        if let Some(choice) = fields.get("tool_choice") {
            next.tool_choice = choice.clone();
        }
        check_tool_choice(&next.tool_choice, &next.tools, "response.tool_choice")?;
        Ok(next)
    }

    fn apply_response_fields(&mut self, fields: &Map<String, Value>, at: &str) -> Result<(), RealtimeError> {
        if let Some(instructions) = fields.get("instructions") {
            self.instructions = instructions
                .as_str()
                .ok_or_else(|| RealtimeError::invalid_type(&format!("{at}.instructions"), "a string"))?
                .to_string();
        }
        if let Some(voice) = fields.get("voice") {
            self.voice = voice_name(voice, &format!("{at}.voice"))?;
        }
        for key in ["output_modalities", "modalities"] {
            if let Some(modalities) = fields.get(key) {
                self.modality = parse_modalities(modalities, &format!("{at}.{key}"))?;
            }
        }
        if let Some(temperature) = fields.get("temperature") {
            self.temperature = Some(number_in(temperature, 0.0, 2.0, &format!("{at}.temperature"))?);
        }
        for key in ["max_output_tokens", "max_response_output_tokens"] {
            if let Some(limit) = fields.get(key) {
                self.max_output_tokens = parse_token_limit(limit, &format!("{at}.{key}"))?;
            }
        }
        Ok(())
    }

    pub fn to_json(&self, dialect: Dialect) -> Value {
        let max_tokens = self.max_output_tokens.map_or(json!("inf"), |n| json!(n));
        let turn_detection = self
            .turn_detection
            .as_ref()
            .map_or(Value::Null, turn_detection_json);
        match dialect {
            Dialect::Ga if self.kind == SessionKind::Transcription => self.transcription_json(turn_detection),
            Dialect::Ga => self.with_echoed(json!({
                "type": "realtime",
                "object": "realtime.session",
                "id": self.id,
                "model": self.model,
                "expires_at": self.expires_at,
                "output_modalities": [self.modality_name()],
                "instructions": self.instructions,
                "audio": {
                    "input": self.input_json(turn_detection),
                    "output": {
                        "format": self.output_format.to_ga(),
                        "voice": self.voice,
                        "speed": self.speed,
                    },
                },
                "tools": self.tools,
                "tool_choice": self.tool_choice,
                "max_output_tokens": max_tokens,
                "tracing": null,
                "prompt": null,
                "include": null,
            })),
            Dialect::Beta => self.with_echoed(json!({
                "id": self.id,
                "object": "realtime.session",
                "model": self.model,
                "expires_at": self.expires_at,
                "modalities": self.beta_modalities(),
                "instructions": self.instructions,
                "voice": self.voice,
                "input_audio_format": self.input_format.beta_name(),
                "output_audio_format": self.output_format.beta_name(),
                "input_audio_transcription": self.transcription,
                "input_audio_noise_reduction": self.noise_reduction,
                "turn_detection": turn_detection,
                "tools": self.tools,
                "tool_choice": self.tool_choice,
                "temperature": self.temperature.unwrap_or(0.8),
                "max_response_output_tokens": max_tokens,
                "speed": self.speed,
            })),
        }
    }

    /// A transcription session as GA writes it: input settings only.
    fn transcription_json(&self, turn_detection: Value) -> Value {
        let mut value = json!({
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": self.id,
            "expires_at": self.expires_at,
            "audio": {"input": self.input_json(turn_detection)},
        });
        if let Some(include) = self.echoed.get("include") {
            value["include"] = include.clone();
        }
        value
    }

    /// GA's `audio.input`, the same in both kinds of session.
    fn input_json(&self, turn_detection: Value) -> Value {
        json!({
            "format": self.input_format.to_ga(),
            "transcription": self.transcription,
            "noise_reduction": self.noise_reduction,
            "turn_detection": turn_detection,
        })
    }

    fn with_echoed(&self, mut value: Value) -> Value {
        for (key, echoed) in &self.echoed {
            value[key] = echoed.clone();
        }
        value
    }

    pub fn modality_name(&self) -> &'static str {
        match self.modality {
            Modality::Audio => "audio",
            Modality::Text => "text",
        }
    }

    pub fn beta_modalities(&self) -> Vec<&'static str> {
        match self.modality {
            Modality::Audio => vec!["text", "audio"],
            Modality::Text => vec!["text"],
        }
    }
}

fn turn_detection_json(detection: &TurnDetection) -> Value {
    let mut value = json!({
        "type": detection.kind,
        "threshold": detection.threshold,
        "prefix_padding_ms": detection.prefix_padding_ms,
        "silence_duration_ms": detection.silence_duration_ms,
        "create_response": detection.create_response,
        "interrupt_response": detection.interrupt_response,
        "idle_timeout_ms": detection.idle_timeout_ms,
    });
    if let Some(eagerness) = &detection.eagerness {
        value["eagerness"] = json!(eagerness);
    }
    value
}

fn parse_turn_detection(
    value: &Value,
    current: Option<&TurnDetection>,
) -> Result<Option<TurnDetection>, RealtimeError> {
    const AT: &str = "session.turn_detection";
    let fields = match value {
        Value::Null => return Ok(None),
        Value::Object(fields) => fields,
        _ => return Err(RealtimeError::invalid_type(AT, "an object or null")),
    };
    let mut detection = current.cloned().unwrap_or_default();
    if let Some(kind) = fields.get("type") {
        let kind = kind.as_str().unwrap_or_default();
        if !["server_vad", "semantic_vad"].contains(&kind) {
            return Err(RealtimeError::invalid_value(
                kind,
                &["server_vad", "semantic_vad"],
                &format!("{AT}.type"),
            ));
        }
        detection.kind = kind.to_string();
    }
    if let Some(threshold) = fields.get("threshold") {
        detection.threshold = number_in(threshold, 0.0, 1.0, &format!("{AT}.threshold"))? as f32;
    }
    if let Some(ms) = fields.get("prefix_padding_ms") {
        detection.prefix_padding_ms = whole_in(ms, 0, 10_000, &format!("{AT}.prefix_padding_ms"))?;
    }
    if let Some(ms) = fields.get("silence_duration_ms") {
        detection.silence_duration_ms = whole_in(ms, 0, 10_000, &format!("{AT}.silence_duration_ms"))?;
    }
    for (key, target) in [
        ("create_response", &mut detection.create_response),
        ("interrupt_response", &mut detection.interrupt_response),
    ] {
        if let Some(flag) = fields.get(key) {
            *target = flag
                .as_bool()
                .ok_or_else(|| RealtimeError::invalid_type(&format!("{AT}.{key}"), "a boolean"))?;
        }
    }
    if let Some(ms) = fields.get("idle_timeout_ms") {
        detection.idle_timeout_ms = match ms {
            Value::Null => None,
            ms => Some(whole_in(ms, 5_000, 30_000, &format!("{AT}.idle_timeout_ms"))?),
        };
    }
    if let Some(eagerness) = fields.get("eagerness") {
        let param = format!("{AT}.eagerness");
        let given = eagerness
            .as_str()
            .ok_or_else(|| RealtimeError::invalid_type(&param, "a string"))?;
        if !EAGERNESS.contains(&given) {
            return Err(RealtimeError::invalid_value(given, &EAGERNESS, &param));
        }
        detection.eagerness = Some(given.to_string());
    }
    Ok(Some(detection))
}

fn session_kind(value: &Value) -> Result<SessionKind, RealtimeError> {
    match value.as_str() {
        Some("realtime") => Ok(SessionKind::Realtime),
        Some("transcription") => Ok(SessionKind::Transcription),
        _ => {
            let given = value.as_str().unwrap_or_default();
            Err(RealtimeError::invalid_value(
                given,
                &["realtime", "transcription"],
                "session.type",
            ))
        }
    }
}

fn parse_modalities(value: &Value, param: &str) -> Result<Modality, RealtimeError> {
    let names: Vec<&str> = value
        .as_array()
        .ok_or_else(|| RealtimeError::invalid_type(param, "an array of strings"))?
        .iter()
        .map(|v| v.as_str().unwrap_or_default())
        .collect();
    if let Some(bad) = names.iter().find(|n| !["audio", "text"].contains(n)) {
        return Err(RealtimeError::invalid_value(bad, &["text", "audio"], param));
    }
    match names.contains(&"audio") {
        true => Ok(Modality::Audio),
        false if names.contains(&"text") => Ok(Modality::Text),
        false => Err(RealtimeError::invalid(
            format!("Invalid '{param}': at least one of 'text' or 'audio' is required."),
            param,
            "invalid_value",
        )),
    }
}

fn parse_token_limit(value: &Value, param: &str) -> Result<Option<u32>, RealtimeError> {
    match value {
        Value::String(s) if s == "inf" => Ok(None),
        value => Ok(Some(whole_in(value, 1, 4096, param)? as u32)),
    }
}

fn parse_tools(value: &Value, at: &str) -> Result<Vec<Value>, RealtimeError> {
    let tools = value
        .as_array()
        .ok_or_else(|| RealtimeError::invalid_type(&format!("{at}.tools"), "an array"))?;
    if tools.len() > MAX_TOOLS {
        return Err(RealtimeError::invalid(
            format!(
                "Invalid '{at}.tools': array too long. Expected an array with maximum length {MAX_TOOLS}, but got an array with length {} instead.",
                tools.len()
            ),
            &format!("{at}.tools"),
            "array_above_max_length",
        ));
    }
    for (i, tool) in tools.iter().enumerate() {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(RealtimeError::invalid(
                format!(
                    "Invalid 'tools[{i}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{{1,64}}$'."
                ),
                &format!("{at}.tools[{i}].name"),
                "invalid_value",
            ));
        }
        if let Some(parameters) = tool.get("parameters") {
            let param = format!("{at}.tools[{i}].parameters");
            crate::chat::tools::check_parameters(parameters, name, &param)
                .map_err(|e| RealtimeError::invalid(e.message, &param, "invalid_function_parameters"))?;
        }
    }
    Ok(tools.clone())
}

/// `"auto" | "none" | "required"`, or `{"type": "function", "name": N}` naming a declared tool.
fn check_tool_choice(choice: &Value, tools: &[Value], param: &str) -> Result<(), RealtimeError> {
    const MODES: [&str; 3] = ["auto", "none", "required"];
    match choice {
        Value::String(mode) if MODES.contains(&mode.as_str()) => Ok(()),
        Value::String(mode) => Err(RealtimeError::invalid_value(mode, &MODES, param)),
        Value::Object(fields) => {
            if fields.get("type").and_then(Value::as_str) != Some("function") {
                let given = fields.get("type").and_then(Value::as_str).unwrap_or_default();
                return Err(RealtimeError::invalid_value(
                    given,
                    &["function"],
                    &format!("{param}.type"),
                ));
            }
            let name = fields
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| RealtimeError::missing(&format!("{param}.name")))?;
            let declared = tools
                .iter()
                .any(|t| t.get("name").and_then(Value::as_str) == Some(name));
            if declared {
                return Ok(());
            }
            let shown: String = name.chars().take(64).collect();
            Err(RealtimeError::invalid(
                format!("Invalid value for '{param}': no function named '{shown}' was specified in 'tools'."),
                param,
                "invalid_value",
            ))
        }
        _ => Err(RealtimeError::invalid_type(param, "a string or an object")),
    }
}

/// A value kept to be echoed back, if it is small enough.
fn bounded(value: &Value, param: &str) -> Result<Value, RealtimeError> {
    let size = value.to_string().len();
    if size > MAX_ECHOED_BYTES {
        return Err(RealtimeError::invalid(
            format!(
                "Invalid '{param}': {size} bytes is more than the {MAX_ECHOED_BYTES} this setting may hold."
            ),
            param,
            "string_above_max_length",
        ));
    }
    Ok(value.clone())
}

fn object_or_null(value: &Value, param: &str) -> Result<Value, RealtimeError> {
    match value {
        Value::Null | Value::Object(_) => bounded(value, param),
        _ => Err(RealtimeError::invalid_type(param, "an object or null")),
    }
}

fn voice_name(value: &Value, param: &str) -> Result<String, RealtimeError> {
    let name = value
        .as_str()
        .ok_or_else(|| RealtimeError::invalid_type(param, "a string"))?;
    if name.is_empty() {
        return Err(RealtimeError::invalid_value(name, &OPENAI_VOICES, param));
    }
    Ok(name.to_string())
}

fn number_in(value: &Value, min: f64, max: f64, param: &str) -> Result<f64, RealtimeError> {
    let number = value
        .as_f64()
        .ok_or_else(|| RealtimeError::invalid_type(param, "a number"))?;
    if !(min..=max).contains(&number) {
        return Err(RealtimeError::invalid(
            format!(
                "Invalid '{param}': expected a number between {min} and {max}, but got {number} instead."
            ),
            param,
            "decimal_out_of_range",
        ));
    }
    Ok(number)
}

fn whole_in(value: &Value, min: u64, max: u64, param: &str) -> Result<u64, RealtimeError> {
    let number = value
        .as_u64()
        .ok_or_else(|| RealtimeError::invalid_type(param, "an integer"))?;
    if !(min..=max).contains(&number) {
        return Err(RealtimeError::invalid(
            format!(
                "Invalid '{param}': expected an integer between {min} and {max}, but got {number} instead."
            ),
            param,
            "integer_out_of_range",
        ));
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SessionConfig {
        SessionConfig::new("sess_1".into(), "gpt-realtime".into(), 0)
    }

    #[test]
    fn ga_and_beta_shapes_update_the_same_settings() {
        let ga = config()
            .update(&json!({"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}},
                "output": {"voice": "echo", "format": {"type": "audio/pcma"}}}, "output_modalities": ["text"]}))
            .unwrap();
        let beta = config()
            .update(
                &json!({"input_audio_format": "g711_ulaw", "output_audio_format": "g711_alaw",
                "voice": "echo", "modalities": ["text"]}),
            )
            .unwrap();
        for session in [ga, beta] {
            assert_eq!(session.input_format, AudioFormat::G711Ulaw);
            assert_eq!(session.output_format, AudioFormat::G711Alaw);
            assert_eq!(session.voice, "echo");
            assert_eq!(session.modality, Modality::Text);
        }
    }

    #[test]
    fn a_partial_turn_detection_keeps_the_other_defaults() {
        let session = config()
            .update(&json!({"turn_detection": {"silence_duration_ms": 200}}))
            .unwrap();
        let detection = session.turn_detection.unwrap();
        assert_eq!(detection.silence_duration_ms, 200);
        assert_eq!(detection.prefix_padding_ms, 300);
        assert!(detection.create_response);
        let off = config()
            .update(&json!({"audio": {"input": {"turn_detection": null}}}))
            .unwrap();
        assert_eq!(off.turn_detection, None);
    }

    #[test]
    fn bad_values_name_their_parameter_and_change_nothing() {
        let err = config()
            .update(&json!({"audio": {"input": {"format": {"type": "audio/ogg"}}}}))
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("session.audio.input.format"));
        let err = config()
            .update(&json!({"turn_detection": {"threshold": 3}}))
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("session.turn_detection.threshold"));
        let err = config()
            .update(&json!({"tools": [{"type": "function", "name": "a b"}]}))
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("session.tools[0].name"));
    }

    #[test]
    fn a_named_tool_choice_must_name_a_declared_tool() {
        let weather = json!({"type": "function", "name": "get_weather", "parameters": {"type": "object"}});
        let named = json!({"type": "function", "name": "get_weather"});
        let err = config().update(&json!({"tool_choice": named})).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("session.tool_choice"));
        assert!(err.message.contains("get_weather"), "{}", err.message);
        let ok = config()
            .update(&json!({"tools": [weather], "tool_choice": named}))
            .unwrap();
        assert_eq!(ok.tool_choice, named);
        let err = config().update(&json!({"tool_choice": "sometimes"})).unwrap_err();
        assert_eq!(err.code.as_deref(), Some("invalid_value"));
        let err = ok
            .for_response(&json!({"tool_choice": {"type": "function", "name": "other"}}))
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("response.tool_choice"));
    }

    #[test]
    fn eagerness_and_echoed_settings_are_checked_not_stored_blindly() {
        let huge = "x".repeat(100_000);
        let err = config()
            .update(&json!({"turn_detection": {"type": "semantic_vad", "eagerness": huge}}))
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("session.turn_detection.eagerness"));
        assert!(
            err.message.len() < 1_000,
            "the error does not echo the value back"
        );
        let low = config()
            .update(&json!({"turn_detection": {"type": "semantic_vad", "eagerness": "low"}}))
            .unwrap();
        assert_eq!(low.turn_detection.unwrap().eagerness.as_deref(), Some("low"));
        let err = config()
            .update(&json!({"tracing": {"workflow_name": huge}}))
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some("string_above_max_length"));
        let err = config()
            .update(&json!({"audio": {"input": {"transcription": "whisper-1"}}}))
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some("invalid_type"));
        let tools: Vec<Value> = (0..129)
            .map(|i| json!({"type": "function", "name": format!("f{i}")}))
            .collect();
        let err = config().update(&json!({ "tools": tools })).unwrap_err();
        assert_eq!(err.code.as_deref(), Some("array_above_max_length"));
    }

    #[test]
    fn each_generation_reads_its_own_names_back() {
        let session = config();
        let ga = session.to_json(Dialect::Ga);
        assert_eq!(
            ga["audio"]["input"]["format"],
            json!({"type": "audio/pcm", "rate": 24000})
        );
        assert_eq!(ga["audio"]["input"]["turn_detection"]["silence_duration_ms"], 500);
        assert_eq!(ga["output_modalities"], json!(["audio"]));
        let beta = session.to_json(Dialect::Beta);
        assert_eq!(beta["input_audio_format"], "pcm16");
        assert_eq!(beta["modalities"], json!(["text", "audio"]));
        assert_eq!(beta["max_response_output_tokens"], "inf");
    }
}
