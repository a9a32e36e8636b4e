//! GBNF grammars for tool calls: the declared names, each with arguments its JSON Schema allows,
//! wrapped as the prompt taught (`<tool_call>\n{"name": .., "arguments": ..}\n</tool_call>`).
//! A forced call is held to it from its first token; a free answer (`auto`) only once the model
//! has chosen to call (see `decision.rs`), so words stay free and calls are never malformed.

mod schema;

use serde_json::Value;
use vox_engine::chat::{ToolPolicy, ToolSpec};

use schema::{SchemaRules, gbnf_literal};

use crate::output::TOOL_CALL_OPEN;

const CALL_CLOSE: &str = "\n</tool_call>";

/// The grammar for the rest of a forced call, after the opening the prompt already holds
/// (see `prompt::forced_call_opening`); `None` when the model is free to answer.
pub fn forced_call_grammar(policy: &ToolPolicy, tools: &[ToolSpec]) -> Result<Option<String>, String> {
    if tools.is_empty() {
        return Ok(None);
    }
    let mut rules = SchemaRules::default();
    let close = format!(r#"ws "}}" {}"#, gbnf_literal(CALL_CLOSE));
    let root = match policy {
        ToolPolicy::Named(name) => {
            let tool = tools
                .iter()
                .find(|t| &t.name == name)
                .ok_or_else(|| format!("no tool named '{name}'"))?;
            format!("root ::= {} {close}\n", arguments_rule(&mut rules, tool)?)
        }
        ToolPolicy::Required => {
            let mut alternatives = Vec::new();
            for tool in tools {
                let arguments = arguments_rule(&mut rules, tool)?;
                let opening = gbnf_literal(&format!("{}\", \"arguments\": ", tool.name));
                alternatives.push(format!("{opening} {arguments}"));
            }
            format!("root ::= ( {} ) {close}\n", alternatives.join(" | "))
        }
        ToolPolicy::Auto | ToolPolicy::None => return Ok(None),
    };
    Ok(Some(format!("{root}{}", rules.text())))
}

/// The grammar of one call, starting after `opened` (the part of `<tool_call>` the model has
/// already written: the trigger token's text). One call per answer: decoded greedily, small
/// models otherwise go on writing calls nobody asked for.
pub fn free_call_grammar(tools: &[ToolSpec], opened: &str) -> Result<String, String> {
    let rest = TOOL_CALL_OPEN
        .strip_prefix(opened)
        .ok_or_else(|| format!("'{opened}' does not begin '{TOOL_CALL_OPEN}'"))?;
    let mut rules = SchemaRules::default();
    let mut calls = Vec::new();
    for tool in tools {
        let arguments = arguments_rule(&mut rules, tool)?;
        let name = gbnf_literal(&Value::String(tool.name.clone()).to_string());
        calls.push(format!(
            r#""{{" ws "\"name\"" ws ":" ws {name} ws "," ws "\"arguments\"" ws ":" ws {arguments} ws "}}""#
        ));
    }
    let call = format!("\"\\n\" ( {} ) {}", calls.join(" | "), gbnf_literal(CALL_CLOSE));
    Ok(format!(
        "root ::= {} {call}\n{}",
        gbnf_literal(rest),
        rules.text()
    ))
}

fn arguments_rule(rules: &mut SchemaRules, tool: &ToolSpec) -> Result<String, String> {
    let schema = match tool.parameters_json.as_deref() {
        None => Value::Bool(true),
        Some(text) => serde_json::from_str(text).map_err(|e| format!("the parameters are not JSON: {e}"))?,
    };
    // Arguments are always an object; a schema that says nothing more allows any object.
    let schema = match schema {
        Value::Bool(true) => serde_json::json!({"type": "object"}),
        schema => schema,
    };
    rules
        .add(&format!("args-{}", tool.name), &schema)
        .map_err(|problem| {
            format!(
                "The parameters of function '{}' cannot be used: {problem}.",
                tool.name
            )
        })
}

#[cfg(test)]
mod tests;
