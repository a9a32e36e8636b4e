//! Every door check of a chat request, driven from JSON as a client sends it.

use serde_json::{Value, json};
use vox_protocol::audio::{AudioFormat, OPENAI_VOICES};
use vox_protocol::chat::request::ChatCompletionRequest;
use vox_protocol::chat::validate::{ChatLimits, ValidChatRequest, ValidPart, validate_chat_request};
use vox_protocol::json::parse_body;
use vox_protocol::{ProtocolError, ProtocolErrorKind};

const MAX_AUDIO: usize = 1024;
/// Base64 of "RIFF": four bytes.
const SMALL_AUDIO: &str = "UklGRg==";

fn voices() -> Vec<String> {
    OPENAI_VOICES.iter().map(|v| v.to_string()).collect()
}

fn check(body: Value, require_audio: bool) -> Result<ValidChatRequest, ProtocolError> {
    let voices = voices();
    let limits = ChatLimits {
        voices: &voices,
        max_audio_bytes: MAX_AUDIO,
        require_audio,
    };
    let request: ChatCompletionRequest = parse_body(body.to_string().as_bytes())?;
    validate_chat_request(request, &limits)
}

fn error(body: Value) -> ProtocolError {
    check(body, false).expect_err("request should be refused")
}

fn spoken(extra: Value) -> Value {
    let mut body = json!({
        "model": "gpt-4o-audio-preview",
        "modalities": ["text", "audio"],
        "audio": {"voice": "alloy", "format": "wav"},
        "messages": [{"role": "user", "content": "Hello"}],
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

fn audio_message(role: &str, data: &str, format: &str) -> Value {
    json!({"role": role, "content": [
        {"type": "text", "text": "What is said here?"},
        {"type": "input_audio", "input_audio": {"data": data, "format": format}}
    ]})
}

#[test]
fn a_spoken_request_is_accepted_and_unknown_fields_ignored() {
    let valid = check(
        spoken(json!({"some_future_field": {"x": 1}, "store": true})),
        true,
    )
    .unwrap();
    let output = valid.audio_output.unwrap();
    assert_eq!(output.voice, "alloy");
    assert_eq!(output.format, AudioFormat::Wav);
}

#[test]
fn custom_voice_object_form_is_resolved_by_id() {
    let err = error(spoken(
        json!({"audio": {"voice": {"id": "narrator"}, "format": "wav"}}),
    ));
    assert_eq!(err.param.as_deref(), Some("audio.voice"));
    assert!(err.message.starts_with("Invalid value: 'narrator'."));
}

#[test]
fn unknown_voice() {
    let err = error(spoken(json!({"audio": {"voice": "bogus", "format": "wav"}})));
    assert_eq!(err.param.as_deref(), Some("audio.voice"));
    assert_eq!(err.code, Some("invalid_value"));
    assert!(
        err.message
            .starts_with("Invalid value: 'bogus'. Supported values are: 'alloy', 'ash'")
    );
    assert!(err.message.ends_with("'marin', and 'cedar'."));
}

#[test]
fn unknown_output_format() {
    let err = error(spoken(json!({"audio": {"voice": "alloy", "format": "ogg"}})));
    assert_eq!(err.param.as_deref(), Some("audio.format"));
    assert_eq!(
        err.message,
        "Invalid value: 'ogg'. Supported values are: 'wav', 'aac', 'mp3', 'flac', 'opus', and 'pcm16'."
    );
}

#[test]
fn audio_modality_without_audio_parameter() {
    let mut body = spoken(json!({}));
    body.as_object_mut().unwrap().remove("audio");
    let err = error(body);
    assert_eq!(err.message, "Missing required parameter: 'audio'.");
    assert_eq!(err.param.as_deref(), Some("audio"));
    assert_eq!(err.code, Some("missing_required_parameter"));
}

#[test]
fn missing_voice_names_its_path() {
    let err = error(spoken(json!({"audio": {"format": "wav"}})));
    assert_eq!(err.message, "Missing required parameter: 'audio.voice'.");
}

#[test]
fn stream_with_a_format_other_than_pcm16() {
    let err = error(spoken(json!({"stream": true})));
    assert_eq!(
        err.message,
        "Unsupported value: 'audio.format' does not support 'wav' when stream=true. Supported values are: 'pcm16'."
    );
    assert_eq!(err.param.as_deref(), Some("audio.format"));
    let ok = check(
        spoken(json!({"stream": true, "audio": {"voice": "echo", "format": "pcm16"}})),
        true,
    );
    assert!(ok.unwrap().stream);
}

#[test]
fn input_audio_outside_a_user_message() {
    let body = json!({"messages": [audio_message("system", SMALL_AUDIO, "wav")]});
    let err = error(body);
    assert_eq!(err.param.as_deref(), Some("messages[0].content[1].type"));
    assert!(err.message.contains("only allowed for messages with role 'user'"));
}

#[test]
fn data_url_instead_of_raw_base64() {
    let body = json!({"messages": [
        {"role": "system", "content": "Be brief."},
        audio_message("user", "data:audio/wav;base64,UklGRg==", "wav"),
    ]});
    let err = error(body);
    assert_eq!(
        err.param.as_deref(),
        Some("messages[1].content[1].input_audio.data")
    );
    assert!(err.message.contains("data URL"));
}

#[test]
fn invalid_base64() {
    let err = error(json!({"messages": [audio_message("user", "not base64!!", "wav")]}));
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].content[1].input_audio.data")
    );
    assert_eq!(err.code, Some("invalid_base64"));
}

#[test]
fn bad_input_audio_format_uses_the_documented_text() {
    let err = error(json!({"messages": [audio_message("user", SMALL_AUDIO, "aiff")]}));
    assert_eq!(
        err.message,
        "Invalid value: 'aiff'. Supported values are: 'wav' and 'mp3'."
    );
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].content[1].input_audio.format")
    );
}

#[test]
fn oversized_audio_is_refused_before_decoding() {
    let big = "A".repeat(MAX_AUDIO / 3 * 4 + 8);
    let err = error(json!({"messages": [audio_message("user", &big, "wav")]}));
    assert_eq!(err.kind, ProtocolErrorKind::TooLarge);
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].content[1].input_audio.data")
    );
}

#[test]
fn valid_audio_is_decoded_in_place() {
    let valid = check(
        json!({"messages": [audio_message("user", SMALL_AUDIO, "mp3")]}),
        true,
    )
    .unwrap();
    assert!(valid.has_audio_input());
    match &valid.messages[0].parts[1] {
        ValidPart::Audio(audio) => assert_eq!(audio.bytes, b"RIFF"),
        other => panic!("expected audio, got {other:?}"),
    }
}

#[test]
fn n_above_one_with_audio() {
    let err = error(spoken(json!({"n": 2})));
    assert_eq!(err.param.as_deref(), Some("n"));
    assert_eq!(err.code, Some("unsupported_value"));
}

#[test]
fn empty_messages() {
    let err = error(json!({"model": "m", "messages": []}));
    assert_eq!(err.param.as_deref(), Some("messages"));
    assert_eq!(err.code, Some("empty_array"));
}

#[test]
fn wrong_json_types_name_their_path() {
    let err = error(json!({"messages": [{"role": "user", "content": 5}]}));
    assert_eq!(err.param.as_deref(), Some("messages[0].content"));
    assert_eq!(err.code, Some("invalid_type"));
    let err = error(json!({"messages": "hello"}));
    assert_eq!(err.param.as_deref(), Some("messages"));
    let err = error(json!({"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}));
    assert_eq!(err.param.as_deref(), Some("temperature"));
    let err = error(json!({"messages": [
        {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": 1, "format": "wav"}}]}
    ]}));
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].content[0].input_audio.data")
    );
}

#[test]
fn unknown_role_and_part_type_list_what_is_supported() {
    let err = error(json!({"messages": [{"role": "bot", "content": "hi"}]}));
    assert_eq!(err.param.as_deref(), Some("messages[0].role"));
    assert!(
        err.message
            .starts_with("Invalid value: 'bot'. Supported values are: 'system', 'developer', 'user'")
    );
    let err = error(json!({"messages": [{"role": "user", "content": [{"type": "video"}]}]}));
    assert_eq!(err.param.as_deref(), Some("messages[0].content[0].type"));
}

#[test]
fn a_deployment_that_requires_audio_refuses_text_only() {
    let body = json!({"messages": [{"role": "user", "content": "Hello"}]});
    let err = check(body.clone(), true).unwrap_err();
    assert_eq!(
        err.message,
        "This model requires that either input content or output modality contain audio."
    );
    assert!(check(body, false).is_ok());
}

#[test]
fn assistant_audio_reference_is_kept_for_resolution() {
    let body = spoken(json!({"messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "audio": {"id": "audio_abc"}},
        {"role": "user", "content": "And then?"},
    ]}));
    let valid = check(body, true).unwrap();
    assert_eq!(valid.messages[1].audio_ref.as_deref(), Some("audio_abc"));
    assert_eq!(valid.messages[1].param, "messages[1]");
    let err = error(json!({"messages": [{"role": "user", "content": "x", "audio": {"id": "audio_abc"}}]}));
    assert_eq!(err.param.as_deref(), Some("messages[0].audio"));
}

#[test]
fn sampling_ranges_and_limits() {
    let base = || json!({"messages": [{"role": "user", "content": "hi"}]});
    let with = |key: &str, value: Value| {
        let mut body = base();
        body[key] = value;
        body
    };
    assert_eq!(
        error(with("temperature", json!(2.5))).code,
        Some("decimal_above_max_value")
    );
    assert_eq!(
        error(with("top_p", json!(-0.1))).code,
        Some("decimal_below_min_value")
    );
    assert_eq!(
        error(with("max_completion_tokens", json!(0))).param.as_deref(),
        Some("max_completion_tokens")
    );
    assert_eq!(
        error(with("stop", json!(["a", "b", "c", "d", "e"])))
            .param
            .as_deref(),
        Some("stop")
    );
    assert_eq!(
        error(with("stream_options", json!({"include_usage": true})))
            .param
            .as_deref(),
        Some("stream_options")
    );
    let valid = check(with("max_tokens", json!(7)), false).unwrap();
    assert_eq!(valid.sampling.max_tokens, Some(7));
}

#[test]
fn tool_messages_need_their_call_id() {
    let err = error(json!({"messages": [{"role": "tool", "content": "42"}]}));
    assert_eq!(
        err.message,
        "Missing required parameter: 'messages[0].tool_call_id'."
    );
}

#[test]
fn user_message_without_content() {
    let err = error(json!({"messages": [{"role": "user"}]}));
    assert_eq!(err.param.as_deref(), Some("messages[0].content"));
}

fn with_tools(tools: Value, choice: Option<Value>) -> Value {
    let mut body = json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "What's the weather in Paris?"}],
        "tools": tools,
    });
    if let Some(choice) = choice {
        body["tool_choice"] = choice;
    }
    body
}

fn function(name: &str, parameters: Value) -> Value {
    json!({"type": "function", "function": {"name": name, "parameters": parameters}})
}

fn weather() -> Value {
    function(
        "get_weather",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    )
}

#[test]
fn tool_choice_must_name_a_declared_function() {
    let err = error(with_tools(
        json!([weather()]),
        Some(json!({"type": "function", "function": {"name": "g"}})),
    ));
    assert_eq!(err.param.as_deref(), Some("tool_choice"));
    assert!(err.message.contains("no function named 'g'"), "{}", err.message);
    assert!(
        check(
            with_tools(
                json!([weather()]),
                Some(json!({"type": "function", "function": {"name": "get_weather"}}))
            ),
            false
        )
        .is_ok()
    );
}

#[test]
fn tool_names_must_match_openais_pattern_and_length() {
    for name in ["a\" ::= \"x\" | root", "get weather", "", "naïve"] {
        let err = error(with_tools(
            json!([function(name, json!({"type": "object"}))]),
            None,
        ));
        assert_eq!(err.param.as_deref(), Some("tools[0].function.name"), "{name}");
        assert!(err.message.contains("^[a-zA-Z0-9_-]+$"), "{}", err.message);
    }
    let long = "f".repeat(200);
    let err = error(with_tools(json!([weather(), function(&long, json!({}))]), None));
    assert_eq!(err.param.as_deref(), Some("tools[1].function.name"));
    assert_eq!(err.code, Some("string_above_max_length"));
    assert!(
        check(
            with_tools(json!([function(&"f".repeat(64), json!({}))]), None),
            false
        )
        .is_ok()
    );
}

#[test]
fn tool_parameters_must_be_a_json_schema_object() {
    let err = error(with_tools(json!([function("f", json!("notaschema"))]), None));
    assert_eq!(err.param.as_deref(), Some("tools[0].function.parameters"));
    assert_eq!(
        err.message,
        "Invalid type for 'tools[0].function.parameters': expected an object, but got a string instead."
    );
    let err = error(with_tools(json!([function("f", json!({"type": 123}))]), None));
    assert_eq!(err.code, Some("invalid_function_parameters"));
    assert!(
        err.message.starts_with("Invalid schema for function 'f':"),
        "{}",
        err.message
    );
    let nested = json!({"type": "object", "properties": {"city": {"type": "place"}}});
    let err = error(with_tools(json!([function("f", nested)]), None));
    assert!(err.message.contains("/properties/city"), "{}", err.message);
    let err = error(with_tools(
        json!([function("f", json!({"required": "city"}))]),
        None,
    ));
    assert!(err.message.contains("'required'"), "{}", err.message);
}

#[test]
fn required_tool_choice_needs_tools_and_tools_may_not_be_empty() {
    let err = error(with_tools(json!([]), Some(json!("required"))));
    assert_eq!(err.param.as_deref(), Some("tools"));
    assert_eq!(err.code, Some("empty_array"));
    let mut body = with_tools(json!([]), Some(json!("required")));
    body.as_object_mut().unwrap().remove("tools");
    let err = error(body);
    assert_eq!(err.param.as_deref(), Some("tool_choice"));
    assert!(err.message.contains("only allowed when 'tools' are specified"));
}

#[test]
fn a_wrong_tool_choice_lists_the_modes() {
    let err = error(with_tools(json!([weather()]), Some(json!("sometimes"))));
    assert_eq!(
        err.message,
        "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."
    );
    assert_eq!(err.param.as_deref(), Some("tool_choice"));
    let err = error(with_tools(json!([weather()]), Some(json!(7))));
    assert!(!err.message.contains("untagged"), "{}", err.message);
    assert!(
        err.message.contains("'none', 'auto', 'required' or an object"),
        "{}",
        err.message
    );
}

#[test]
fn a_wrong_stop_is_described_in_the_apis_words() {
    let err = error(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": 5}));
    assert_eq!(
        err.message,
        "Invalid type for 'stop': expected a string or an array of strings, but got an integer instead."
    );
}

#[test]
fn a_schema_rule_no_decoding_grammar_can_hold_is_refused_where_it_is() {
    let zip = function(
        "lookup",
        json!({"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}),
    );
    let err = error(with_tools(json!([weather(), zip]), None));
    assert_eq!(err.param.as_deref(), Some("tools[1].function.parameters"));
    assert_eq!(err.code, Some("invalid_function_parameters"));
    assert!(
        err.message.contains("'pattern' at '/properties/zip'"),
        "{}",
        err.message
    );
    let nested = function(
        "plan",
        json!({"type": "object", "$defs": {"d": {"not": {"type": "null"}}}, "properties": {"a": {"anyOf": [{"$ref": "#/$defs/d"}]}}}),
    );
    let err = error(with_tools(json!([nested]), None));
    assert!(err.message.contains("'not' at '/$defs/d'"), "{}", err.message);
    // A property that is merely named like a keyword is fine.
    let named = function(
        "search",
        json!({"type": "object", "properties": {"pattern": {"type": "string"}, "not": {"type": "boolean"}}}),
    );
    assert!(check(with_tools(json!([named]), None), false).is_ok());
}

#[test]
fn response_format_is_one_of_openais_types_and_json_is_refused_by_name() {
    let err = error(spoken(json!({"response_format": {"type": "yaml"}})));
    assert_eq!(err.param.as_deref(), Some("response_format.type"));
    assert_eq!(err.code, Some("invalid_value"));
    let err = error(spoken(
        json!({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}),
    ));
    assert_eq!(err.code, Some("unsupported_value"));
    assert!(check(spoken(json!({"response_format": {"type": "text"}})), false).is_ok());
}

#[test]
fn top_logprobs_is_between_0_and_20_with_logprobs_on() {
    let err = error(spoken(json!({"logprobs": true, "top_logprobs": 999})));
    assert_eq!(err.code, Some("integer_above_max_value"));
    let err = error(spoken(json!({"logprobs": true, "top_logprobs": -1})));
    assert_eq!(err.code, Some("integer_below_min_value"));
    let err = error(spoken(json!({"top_logprobs": 3})));
    assert_eq!(err.param.as_deref(), Some("top_logprobs"));
    assert!(check(spoken(json!({"logprobs": true, "top_logprobs": 5})), false).is_ok());
}
