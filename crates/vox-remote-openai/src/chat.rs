//! A remote language model: `/chat/completions`, streamed, its tokens handed on as they come.
//! Dropping the stream drops the response, which closes the upstream request.

use std::collections::{BTreeMap, VecDeque};

use futures::stream::{self, BoxStream, StreamExt};
use serde_json::{Value, json};
use vox_engine::chat::{ChatEvent, ChatJob, ChatModel, ChatRole, ChatTurn, StopReason, ToolCall, ToolPolicy};
use vox_engine::{EngineError, EngineStatus};

use crate::Endpoint;
use crate::client::{Upstream, upstream_message};
use crate::sse::SseLines;

pub struct RemoteChat {
    upstream: std::sync::Arc<Upstream>,
}

impl RemoteChat {
    pub fn new(endpoint: Endpoint) -> Result<Self, EngineError> {
        Ok(Self {
            upstream: std::sync::Arc::new(Upstream::new("language model", endpoint)?),
        })
    }

    /// `language model "M" at URL`: how messages name this engine.
    pub fn name(&self) -> &str {
        &self.upstream.name
    }
}

impl ChatModel for RemoteChat {
    fn generate(&self, job: ChatJob) -> BoxStream<'static, Result<ChatEvent, EngineError>> {
        let upstream = self.upstream.clone();
        let body = request_body(&upstream.endpoint.model, &job);
        stream::once(async move {
            let response = upstream
                .send(upstream.post("chat/completions").json(&body))
                .await?;
            Ok::<_, EngineError>(events(upstream, response))
        })
        .flat_map(|started| match started {
            Ok(events) => events,
            Err(err) => stream::iter([Err(err)]).boxed(),
        })
        .boxed()
    }
}

impl EngineStatus for RemoteChat {}

/// The job as an OpenAI chat completions request, streamed with usage.
pub fn request_body(model: &str, job: &ChatJob) -> Value {
    let mut body = json!({
        "model": model,
        "messages": job.turns.iter().map(message).collect::<Vec<_>>(),
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let sampling = &job.sampling;
    let fields = [
        ("temperature", sampling.temperature.map(Value::from)),
        ("top_p", sampling.top_p.map(Value::from)),
        ("seed", sampling.seed.map(Value::from)),
        ("max_tokens", sampling.max_tokens.map(Value::from)),
        ("stop", (!sampling.stop.is_empty()).then(|| json!(sampling.stop))),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            body[name] = value;
        }
    }
    if !job.tools.is_empty() {
        body["tools"] = job.tools.iter().map(tool).collect();
        body["tool_choice"] = match &job.tool_policy {
            ToolPolicy::Auto => json!("auto"),
            ToolPolicy::None => json!("none"),
            ToolPolicy::Required => json!("required"),
            ToolPolicy::Named(name) => json!({"type": "function", "function": {"name": name}}),
        };
    }
    body
}

fn message(turn: &ChatTurn) -> Value {
    match turn.role {
        ChatRole::System => json!({"role": "system", "content": turn.text}),
        ChatRole::User => json!({"role": "user", "content": turn.text}),
        ChatRole::Assistant if turn.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": turn.text})
        }
        ChatRole::Assistant => json!({
            "role": "assistant",
            "content": if turn.text.is_empty() { Value::Null } else { json!(turn.text) },
            "tool_calls": turn.tool_calls.iter().map(|call| json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            })).collect::<Vec<_>>(),
        }),
        ChatRole::Tool => json!({"role": "tool", "tool_call_id": turn.tool_call_id, "content": turn.text}),
    }
}

fn tool(spec: &vox_engine::chat::ToolSpec) -> Value {
    let mut function = json!({"name": spec.name});
    if let Some(description) = &spec.description {
        function["description"] = json!(description);
    }
    if let Some(parameters) = spec
        .parameters_json
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
    {
        function["parameters"] = parameters;
    }
    json!({"type": "function", "function": function})
}

/// The response body as engine events.
fn events(
    upstream: std::sync::Arc<Upstream>,
    response: reqwest::Response,
) -> BoxStream<'static, Result<ChatEvent, EngineError>> {
    let state = Reading {
        body: response
            .bytes_stream()
            .map(|piece| piece.map(|bytes| bytes.to_vec()))
            .boxed(),
        lines: SseLines::default(),
        assembler: Assembler::default(),
        ready: VecDeque::new(),
        done: false,
        upstream,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.ready.pop_front() {
                return Some((Ok(event), state));
            }
            if state.done {
                return None;
            }
            let outcome = match state.body.next().await {
                Some(Ok(bytes)) => {
                    let payloads = state.lines.push(&bytes);
                    payloads
                        .iter()
                        .try_for_each(|p| state.assembler.on_data(p, &mut state.ready))
                }
                Some(Err(err)) => {
                    state.done = true;
                    return Some((Err(state.upstream.transport_error(&err)), state));
                }
                None => {
                    state.done = true;
                    let last = state.lines.finish();
                    last.iter()
                        .try_for_each(|p| state.assembler.on_data(p, &mut state.ready))
                        .and_then(|()| state.assembler.finish(&mut state.ready))
                }
            };
            if let Err(err) = outcome {
                state.done = true;
                state.ready.clear();
                let err = match err {
                    Failure::Malformed(detail) => state.upstream.malformed(detail),
                    Failure::Unavailable(detail) => state.upstream.unavailable(&detail),
                };
                return Some((Err(err), state));
            }
        }
    })
    .boxed()
}

struct Reading {
    body: BoxStream<'static, Result<Vec<u8>, reqwest::Error>>,
    lines: SseLines,
    assembler: Assembler,
    ready: VecDeque<ChatEvent>,
    done: bool,
    upstream: std::sync::Arc<Upstream>,
}

/// What went wrong in a stream, before the upstream's name is put to it.
#[derive(Debug)]
pub enum Failure {
    Malformed(String),
    Unavailable(String),
}

/// Turns streamed chunks into engine events: text at once, tool calls once whole, then the
/// ending with the upstream's usage. Pure, so its rules are tested without a server.
#[derive(Default)]
pub struct Assembler {
    /// Tool calls by their index in the stream: id, name, arguments so far.
    calls: BTreeMap<u64, (String, String, String)>,
    finish_reason: Option<String>,
    usage: Option<(u64, u64)>,
    saw_done: bool,
}

impl Assembler {
    pub fn on_data(&mut self, data: &str, out: &mut VecDeque<ChatEvent>) -> Result<(), Failure> {
        if data.trim() == "[DONE]" {
            self.saw_done = true;
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|_| Failure::Malformed("a stream event is not JSON".into()))?;
        if let Some(error) = chunk.get("error") {
            return Err(Failure::Unavailable(format!(
                "it failed while answering: {}",
                upstream_message(&json!({ "error": error }).to_string())
            )));
        }
        if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
            let count = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
            self.usage = Some((count("prompt_tokens"), count("completion_tokens")));
        }
        let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) else {
            return Ok(());
        };
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_string());
        }
        let Some(delta) = choice.get("delta") else {
            return Ok(());
        };
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            out.push_back(ChatEvent::Text(text.to_string()));
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.on_tool_call(call)?;
        }
        Ok(())
    }

    fn on_tool_call(&mut self, call: &Value) -> Result<(), Failure> {
        let index = call
            .get("index")
            .and_then(Value::as_u64)
            .unwrap_or(self.calls.len() as u64);
        let entry = self.calls.entry(index).or_default();
        if let Some(id) = call.get("id").and_then(Value::as_str) {
            entry.0 = id.to_string();
        }
        let function = call.get("function");
        if let Some(name) = function.and_then(|f| f.get("name")).and_then(Value::as_str) {
            entry.1.push_str(name);
        }
        if let Some(arguments) = function.and_then(|f| f.get("arguments")).and_then(Value::as_str) {
            entry.2.push_str(arguments);
        }
        Ok(())
    }

    /// The body ended: the tool calls, then `Finished`. A stream that stopped before saying
    /// how it finished was cut off, which is an error, not an answer.
    pub fn finish(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), Failure> {
        let Some(reason) = self.finish_reason.take() else {
            return Err(Failure::Unavailable(
                "the stream ended before the answer was finished".into(),
            ));
        };
        let calls = std::mem::take(&mut self.calls);
        let called = !calls.is_empty();
        for (index, (id, name, arguments)) in calls {
            if name.is_empty() {
                return Err(Failure::Malformed(format!("tool call {index} has no name")));
            }
            let id = if id.is_empty() {
                format!("call_{index}")
            } else {
                id
            };
            let arguments = if arguments.trim().is_empty() {
                "{}".to_string()
            } else {
                arguments
            };
            out.push_back(ChatEvent::ToolCall(ToolCall { id, name, arguments }));
        }
        let reason = match reason.as_str() {
            _ if called => StopReason::ToolCalls,
            "length" => StopReason::Length,
            _ => StopReason::Stop,
        };
        let (prompt_tokens, completion_tokens) = self.usage.unwrap_or((0, 0));
        out.push_back(ChatEvent::Finished {
            reason,
            prompt_tokens,
            completion_tokens,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vox_engine::chat::{SamplingParams, ToolSpec};

    fn feed(chunks: &[&str]) -> (Vec<ChatEvent>, Result<(), Failure>) {
        let mut assembler = Assembler::default();
        let mut out = VecDeque::new();
        for chunk in chunks {
            if let Err(err) = assembler.on_data(chunk, &mut out) {
                return (out.into(), Err(err));
            }
        }
        let ended = assembler.finish(&mut out);
        (out.into(), ended)
    }

    #[test]
    fn text_comes_as_it_streams_and_usage_ends_it() {
        let (events, ended) = feed(&[
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Hello"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":" there."},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#,
            "[DONE]",
        ]);
        assert!(ended.is_ok(), "{ended:?}");
        assert_eq!(
            events,
            vec![
                ChatEvent::Text("Hello".into()),
                ChatEvent::Text(" there.".into()),
                ChatEvent::Finished {
                    reason: StopReason::Stop,
                    prompt_tokens: 12,
                    completion_tokens: 3
                },
            ]
        );
    }

    #[test]
    fn tool_calls_are_assembled_from_their_pieces() {
        let (events, ended) = feed(&[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":"tool_calls"}]}"#,
        ]);
        assert!(ended.is_ok(), "{ended:?}");
        assert_eq!(
            events,
            vec![
                ChatEvent::ToolCall(ToolCall {
                    id: "call_a".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into()
                }),
                ChatEvent::Finished {
                    reason: StopReason::ToolCalls,
                    prompt_tokens: 0,
                    completion_tokens: 0
                },
            ]
        );
    }

    #[test]
    fn a_length_stop_is_kept() {
        let (events, _) = feed(&[r#"{"choices":[{"delta":{"content":"a"},"finish_reason":"length"}]}"#]);
        assert!(matches!(
            events.last(),
            Some(ChatEvent::Finished {
                reason: StopReason::Length,
                ..
            })
        ));
    }

    #[test]
    fn a_stream_cut_off_mid_answer_is_an_error_after_the_text_so_far() {
        let (events, ended) = feed(&[r#"{"choices":[{"delta":{"content":"Once upon"}}]}"#]);
        assert_eq!(events, vec![ChatEvent::Text("Once upon".into())]);
        assert!(matches!(ended, Err(Failure::Unavailable(m)) if m.contains("ended before")));
    }

    #[test]
    fn garbage_and_error_events_fail_clearly() {
        let (_, ended) = feed(&["not json"]);
        assert!(matches!(ended, Err(Failure::Malformed(_))));
        let (_, ended) = feed(&[r#"{"error":{"message":"CUDA out of memory"}}"#]);
        assert!(matches!(ended, Err(Failure::Unavailable(m)) if m.contains("CUDA out of memory")));
    }

    #[test]
    fn the_request_passes_sampling_tools_and_the_conversation_through() {
        let job = ChatJob {
            turns: vec![
                ChatTurn {
                    role: ChatRole::System,
                    text: "Be brief.".into(),
                    tool_calls: vec![],
                    tool_call_id: None,
                },
                ChatTurn {
                    role: ChatRole::User,
                    text: "Weather?".into(),
                    tool_calls: vec![],
                    tool_call_id: None,
                },
                ChatTurn {
                    role: ChatRole::Assistant,
                    text: String::new(),
                    tool_calls: vec![ToolCall {
                        id: "c1".into(),
                        name: "w".into(),
                        arguments: "{}".into(),
                    }],
                    tool_call_id: None,
                },
                ChatTurn {
                    role: ChatRole::Tool,
                    text: "sunny".into(),
                    tool_calls: vec![],
                    tool_call_id: Some("c1".into()),
                },
            ],
            sampling: SamplingParams {
                temperature: Some(0.2),
                top_p: Some(0.9),
                seed: Some(7),
                stop: vec!["END".into()],
                max_tokens: Some(50),
            },
            tools: vec![ToolSpec {
                name: "w".into(),
                description: Some("weather".into()),
                parameters_json: Some(r#"{"type":"object"}"#.into()),
            }],
            tool_policy: ToolPolicy::Named("w".into()),
        };
        let body = request_body("qwen", &job);
        assert_eq!(body["model"], "qwen");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(
            (
                body["temperature"].clone(),
                body["top_p"].clone(),
                body["seed"].clone()
            ),
            (json!(0.2), json!(0.9), json!(7))
        );
        assert_eq!(
            (body["stop"].clone(), body["max_tokens"].clone()),
            (json!(["END"]), json!(50))
        );
        assert_eq!(body["messages"][2]["tool_calls"][0]["function"]["name"], "w");
        assert_eq!(body["messages"][2]["content"], Value::Null);
        assert_eq!(
            body["messages"][3],
            json!({"role": "tool", "tool_call_id": "c1", "content": "sunny"})
        );
        assert_eq!(
            body["tools"][0]["function"]["parameters"],
            json!({"type": "object"})
        );
        assert_eq!(
            body["tool_choice"],
            json!({"type": "function", "function": {"name": "w"}})
        );
        let plain = request_body("qwen", &ChatJob { tools: vec![], ..job });
        assert!(plain.get("tools").is_none() && plain.get("tool_choice").is_none());
    }
}
