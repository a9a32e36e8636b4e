//! The prompt, built by the model's own Jinja chat template (stored in the GGUF). Templates that
//! know no tools get the tool list and the `<tool_call>` convention in their system message.

use minijinja::{Environment, Error, ErrorKind, Value as Jinja, context};
use serde_json::{Value, json};
use vox_engine::chat::{ChatJob, ChatRole, ChatTurn, ToolPolicy, ToolSpec};

use crate::output::TOOL_CALL_OPEN;

/// Qwen2.5's chat template shows the model its call format with doubled braces (a leftover of a
/// Python format string): `{{"name": <function-name>, ...}}`. Models then write their calls
/// with doubled braces, which is no JSON; the example is shown as the JSON it means.
const DOUBLED_CALL_EXAMPLE: &str = r#"{{"name": <function-name>, "arguments": <args-json-object>}}"#;
const CALL_EXAMPLE: &str = r#"{"name": <function-name>, "arguments": <args-json-object>}"#;

pub struct PromptTemplate {
    env: Environment<'static>,
    /// The template renders `tools` itself (it mentions them); otherwise Vox describes them.
    knows_tools: bool,
    bos_token: String,
    eos_token: String,
}

#[derive(Debug, PartialEq)]
pub struct Prompt {
    /// Everything up to and including the start of the assistant's answer.
    pub text: String,
    /// The part of `text` that already belongs to the answer (a forced tool call's opening).
    pub prefill: Option<String>,
}

impl PromptTemplate {
    pub fn new(source: &str, bos_token: String, eos_token: String) -> Result<Self, String> {
        let mut env = Environment::new();
        // Hugging Face renders chat templates with these two on; templates are written for them.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| e.to_string())?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |message: String| -> Result<Jinja, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, message))
        });
        env.add_template_owned("chat", source.to_string())
            .map_err(|e| format!("the model's chat template does not parse: {e}"))?;
        Ok(Self {
            env,
            knows_tools: source.contains("tools"),
            bos_token,
            eos_token,
        })
    }

    pub fn starts_with_bos(&self, text: &str) -> bool {
        !self.bos_token.is_empty() && text.starts_with(&self.bos_token)
    }

    pub fn render(&self, job: &ChatJob) -> Result<Prompt, String> {
        self.render_ending(job, true)
    }

    /// The conversation so far without the opening of the answer: what every later prompt of
    /// the conversation starts with, token for token (see `ChatModel::prefill`).
    pub fn render_opening(&self, job: &ChatJob) -> Result<Prompt, String> {
        self.render_ending(job, false)
    }

    fn render_ending(&self, job: &ChatJob, answer_next: bool) -> Result<Prompt, String> {
        let tools = match job.tool_policy {
            ToolPolicy::None => &[][..],
            _ => &job.tools[..],
        };
        let mut messages: Vec<Value> = job.turns.iter().map(|t| self.message(t)).collect();
        if !tools.is_empty() && !self.knows_tools {
            describe_tools_in_system_message(&mut messages, tools);
        }
        if !tools.is_empty() && job.tool_policy == ToolPolicy::Auto {
            add_to_system_message(&mut messages, CALL_ONLY_WHEN_NEEDED);
        }
        let tools_value = (!tools.is_empty() && self.knows_tools)
            .then(|| Value::Array(tools.iter().map(tool_json).collect()));
        let template = self.env.get_template("chat").map_err(|e| e.to_string())?;
        let mut text = template
            .render(context! {
                messages => Jinja::from(minijinja::value::Serde(&messages)),
                tools => tools_value.map(|t| Jinja::from(minijinja::value::Serde(t))),
                add_generation_prompt => answer_next,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(|e| format!("the model's chat template failed: {e}"))?
            .replace(DOUBLED_CALL_EXAMPLE, CALL_EXAMPLE);
        let prefill = forced_call_opening(&job.tool_policy, tools).filter(|_| answer_next);
        if let Some(prefill) = &prefill {
            text.push_str(prefill);
        }
        Ok(Prompt { text, prefill })
    }

    fn message(&self, turn: &ChatTurn) -> Value {
        match turn.role {
            ChatRole::System => json!({"role": "system", "content": turn.text}),
            ChatRole::User => json!({"role": "user", "content": turn.text}),
            ChatRole::Assistant if turn.tool_calls.is_empty() => {
                json!({"role": "assistant", "content": turn.text})
            }
            ChatRole::Assistant if self.knows_tools => json!({
                "role": "assistant",
                "content": turn.text,
                "tool_calls": turn.tool_calls.iter().map(|call| json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": arguments_value(&call.arguments)},
                })).collect::<Vec<_>>(),
            }),
            ChatRole::Assistant => {
                let mut content = turn.text.clone();
                for call in &turn.tool_calls {
                    let body = json!({"name": call.name, "arguments": arguments_value(&call.arguments)});
                    content.push_str(&format!("\n{TOOL_CALL_OPEN}\n{body}\n</tool_call>"));
                }
                json!({"role": "assistant", "content": content.trim_start()})
            }
            ChatRole::Tool if self.knows_tools => json!({
                "role": "tool",
                "content": turn.text,
                "tool_call_id": turn.tool_call_id,
            }),
            ChatRole::Tool => json!({
                "role": "user",
                "content": format!("<tool_response>\n{}\n</tool_response>", turn.text),
            }),
        }
    }
}

/// Templates expect arguments as an object (Hugging Face's convention); OpenAI sends JSON text.
fn arguments_value(arguments: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_string()))
}

fn tool_json(tool: &ToolSpec) -> Value {
    let parameters = tool
        .parameters_json
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    json!({
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": parameters},
    })
}

/// Small models with tools in view call one for every question ("What is the capital of
/// Italy?" -> get_weather). With this line, qwen2.5-coder-1.5b answered 10 of the 12 questions
/// of bench/llm/tool_call_forms.py that need no tool in words at temperature 0 (8 without it).
const CALL_ONLY_WHEN_NEEDED: &str = "Call a function only when the request needs what it does; \
    otherwise answer directly, without calling any function.";

fn add_to_system_message(messages: &mut Vec<Value>, text: &str) {
    match messages.first_mut() {
        Some(first) if first["role"] == "system" => {
            let existing = first["content"].as_str().unwrap_or_default().to_string();
            first["content"] = Value::String(format!("{existing}\n\n{text}").trim_start().to_string());
        }
        _ => messages.insert(0, json!({"role": "system", "content": text})),
    }
}

fn describe_tools_in_system_message(messages: &mut Vec<Value>, tools: &[ToolSpec]) {
    let mut text = String::from("You can call functions. Their signatures, one JSON object each:\n<tools>\n");
    for tool in tools {
        text.push_str(&tool_json(tool).to_string());
        text.push('\n');
    }
    text.push_str(
        "</tools>\nTo call one, answer only with:\n<tool_call>\n{\"name\": <function name>, \
         \"arguments\": <arguments as a JSON object>}\n</tool_call>",
    );
    add_to_system_message(messages, &text);
}

/// `tool_choice: required` or a named function: the answer is started as a call so the model can
/// only complete it.
fn forced_call_opening(policy: &ToolPolicy, tools: &[ToolSpec]) -> Option<String> {
    if tools.is_empty() {
        return None;
    }
    match policy {
        ToolPolicy::Required => Some(format!("{TOOL_CALL_OPEN}\n{{\"name\": \"")),
        ToolPolicy::Named(name) => Some(format!(
            "{TOOL_CALL_OPEN}\n{{\"name\": {}, \"arguments\": ",
            Value::String(name.clone())
        )),
        ToolPolicy::Auto | ToolPolicy::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vox_engine::chat::{SamplingParams, ToolCall};

    const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + \
        message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}\
        {{ '<|im_start|>assistant\n' }}{% endif %}";

    const WITH_TOOLS: &str = "{% if tools %}TOOLS:{% for tool in tools %}{{ tool.function.name }};\
        {% endfor %}{% endif %}{% for message in messages %}[{{ message.role }}]{{ message.content }}\
        {% for call in message.tool_calls %}<call {{ call.function.name }} {{ call.function.arguments | tojson }}>\
        {% endfor %}{% endfor %}[assistant]";

    fn turn(role: ChatRole, text: &str) -> ChatTurn {
        ChatTurn {
            role,
            text: text.into(),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }

    fn job(turns: Vec<ChatTurn>, tools: Vec<ToolSpec>, tool_policy: ToolPolicy) -> ChatJob {
        ChatJob {
            turns,
            sampling: SamplingParams::default(),
            tools,
            tool_policy,
        }
    }

    fn weather() -> ToolSpec {
        ToolSpec {
            name: "get_weather".into(),
            description: Some("Weather in a city".into()),
            parameters_json: Some(r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into()),
        }
    }

    fn template(source: &str) -> PromptTemplate {
        PromptTemplate::new(source, "<s>".into(), "</s>".into()).unwrap()
    }

    #[test]
    fn chatml_renders_turns_and_opens_the_answer() {
        let prompt = template(CHATML)
            .render(&job(
                vec![turn(ChatRole::System, "Be brief."), turn(ChatRole::User, "Hi")],
                vec![],
                ToolPolicy::Auto,
            ))
            .unwrap();
        assert_eq!(
            prompt.text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(prompt.prefill, None);
    }

    #[test]
    fn a_template_without_tools_gets_them_in_the_system_message() {
        let prompt = template(CHATML)
            .render(&job(
                vec![turn(ChatRole::User, "Weather?")],
                vec![weather()],
                ToolPolicy::Auto,
            ))
            .unwrap();
        assert!(
            prompt
                .text
                .starts_with("<|im_start|>system\nYou can call functions.")
        );
        assert!(prompt.text.contains("\"name\":\"get_weather\""));
    }

    #[test]
    fn a_template_with_tools_renders_them_and_earlier_calls() {
        let mut answer = turn(ChatRole::Assistant, "");
        answer.tool_calls.push(ToolCall {
            id: "call_1".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Oslo"}"#.into(),
        });
        let turns = vec![
            turn(ChatRole::User, "Weather?"),
            answer,
            turn(ChatRole::Tool, "sunny"),
        ];
        let prompt = template(WITH_TOOLS)
            .render(&job(turns, vec![weather()], ToolPolicy::Auto))
            .unwrap();
        assert_eq!(
            prompt.text,
            format!(
                "TOOLS:get_weather;[system]{CALL_ONLY_WHEN_NEEDED}[user]Weather?[assistant]\
                 <call get_weather {{\"city\": \"Oslo\"}}>[tool]sunny[assistant]"
            )
        );
    }

    #[test]
    fn qwens_doubled_braces_in_its_call_example_are_shown_as_json() {
        // As Qwen2.5's own template writes it: the example inside a string literal.
        let qwen = r#"{% if tools %}{{- "<tool_call>\n{{\"name\": <function-name>, \"arguments\": <args-json-object>}}\n</tool_call>" }}{% endif %}[assistant]"#;
        let prompt = template(qwen)
            .render(&job(
                vec![turn(ChatRole::User, "Hi")],
                vec![weather()],
                ToolPolicy::Auto,
            ))
            .unwrap();
        assert_eq!(
            prompt.text,
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>[assistant]"
        );
    }

    #[test]
    fn tool_choice_none_hides_the_tools() {
        let prompt = template(WITH_TOOLS)
            .render(&job(
                vec![turn(ChatRole::User, "Hi")],
                vec![weather()],
                ToolPolicy::None,
            ))
            .unwrap();
        assert!(!prompt.text.contains("TOOLS"));
    }

    #[test]
    fn a_named_tool_choice_opens_the_call() {
        let prompt = template(WITH_TOOLS)
            .render(&job(
                vec![turn(ChatRole::User, "Hi")],
                vec![weather()],
                ToolPolicy::Named("get_weather".into()),
            ))
            .unwrap();
        let prefill = prompt.prefill.unwrap();
        assert_eq!(
            prefill,
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
        );
        assert!(prompt.text.ends_with(&prefill));
    }

    #[test]
    fn raise_exception_in_a_template_is_an_error() {
        let t = template("{{ raise_exception('only user turns') }}");
        let err = t
            .render(&job(vec![turn(ChatRole::User, "Hi")], vec![], ToolPolicy::Auto))
            .unwrap_err();
        assert!(err.contains("only user turns"), "{err}");
    }
}
