//! `tools` and `tool_choice`, checked as OpenAI checks them: names a grammar and a client can
//! both rely on, parameters that are a JSON Schema object, and a choice that names a declared
//! function (or asks for one when there are any).

use serde_json::Value;

use super::request::{Tool, ToolChoice, ToolChoiceMode};
use crate::error::ProtocolError;

const MAX_NAME_CHARS: usize = 64;
const MAX_TOOLS: usize = 128;
/// JSON Schema's type names.
const SCHEMA_TYPES: [&str; 7] = [
    "object", "array", "string", "number", "integer", "boolean", "null",
];

pub fn validate_tools(
    tools: Option<Vec<Tool>>,
    choice: Option<&ToolChoice>,
) -> Result<Vec<Tool>, ProtocolError> {
    let declared = tools.is_some();
    let tools = tools.unwrap_or_default();
    if declared && tools.is_empty() {
        return Err(ProtocolError::invalid(
            "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an \
             empty array instead.",
            "tools",
            "empty_array",
        ));
    }
    if tools.len() > MAX_TOOLS {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid 'tools': array too long. Expected an array with maximum length {MAX_TOOLS}, \
                 but got an array with length {} instead.",
                tools.len()
            ),
            "tools",
            "array_above_max_length",
        ));
    }
    for (index, tool) in tools.iter().enumerate() {
        check_name(&tool.function.name, &format!("tools[{index}].function.name"))?;
        if let Some(parameters) = &tool.function.parameters {
            check_parameters(
                parameters,
                &tool.function.name,
                &format!("tools[{index}].function.parameters"),
            )?;
        }
    }
    check_choice(choice, &tools)?;
    Ok(tools)
}

fn check_name(name: &str, param: &str) -> Result<(), ProtocolError> {
    let length = name.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid '{param}': string too long. Expected a string with maximum length \
                 {MAX_NAME_CHARS}, but got a string with length {length} instead."
            ),
            param,
            "string_above_max_length",
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if name.is_empty() || !name.chars().all(allowed) {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid '{param}': string does not match pattern. Expected a string that matches \
                 the pattern '^[a-zA-Z0-9_-]+$'."
            ),
            param,
            "invalid_value",
        ));
    }
    Ok(())
}

pub fn check_parameters(parameters: &Value, function: &str, param: &str) -> Result<(), ProtocolError> {
    if !parameters.is_object() {
        return Err(ProtocolError::invalid(
            format!(
                "Invalid type for '{param}': expected an object, but got {} instead.",
                json_kind(parameters)
            ),
            param,
            "invalid_type",
        ));
    }
    check_schema(parameters, "").map_err(|problem| {
        ProtocolError::invalid(
            format!("Invalid schema for function '{function}': {problem}"),
            param,
            "invalid_function_parameters",
        )
    })
}

/// Keywords whose rule a grammar of JSON cannot hold while the model writes the arguments
/// (Vox decodes every call under a grammar built from the schema, and never drops a rule
/// silently). Numeric bounds are not held either, but only noted in the docs: they are common
/// and a model rarely breaks them.
const UNCONSTRAINABLE: [&str; 10] = [
    "pattern",
    "patternProperties",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "prefixItems",
    "contains",
    "propertyNames",
];

/// The parts of JSON Schema a model's arguments are shaped by: each schema an object (or
/// `true`), `type` a known name (or a list of them), `properties` schemas, `items` a schema,
/// `required` names, `enum` a list, and no keyword a decoding grammar cannot hold. Annotations
/// (`description`, `title`, `format`, ...) are left to the schema's author.
fn check_schema(schema: &Value, at: &str) -> Result<(), String> {
    if schema == &Value::Bool(true) {
        return Ok(());
    }
    let Some(schema) = schema.as_object() else {
        return Err(format!(
            "{} must be an object, not {}.",
            location(at),
            json_kind(schema)
        ));
    };
    if let Some(kind) = schema.get("type") {
        let known = |v: &Value| v.as_str().is_some_and(|t| SCHEMA_TYPES.contains(&t));
        let valid = match kind {
            Value::Array(kinds) => !kinds.is_empty() && kinds.iter().all(known),
            single => known(single),
        };
        if !valid {
            return Err(format!(
                "{kind} is not valid under any of the given schemas for 'type' at {}: expected one of \
                 'object', 'array', 'string', 'number', 'integer', 'boolean', 'null' (or a list of them).",
                location(at)
            ));
        }
    }
    if let Some(properties) = schema.get("properties") {
        let Some(properties) = properties.as_object() else {
            return Err(format!("'properties' at {} must be an object.", location(at)));
        };
        for (name, property) in properties {
            check_schema(property, &format!("{at}/properties/{name}"))?;
        }
    }
    if let Some(items) = schema.get("items") {
        check_schema(items, &format!("{at}/items"))?;
    }
    if let Some(required) = schema.get("required")
        && !required
            .as_array()
            .is_some_and(|names| names.iter().all(Value::is_string))
    {
        return Err(format!(
            "'required' at {} must be an array of strings.",
            location(at)
        ));
    }
    if let Some(values) = schema.get("enum")
        && !values.is_array()
    {
        return Err(format!("'enum' at {} must be an array.", location(at)));
    }
    if let Some(keyword) = UNCONSTRAINABLE.iter().find(|k| schema.contains_key(**k)) {
        return Err(format!(
            "'{keyword}' at {} is not supported: Vox holds tool calls to their schema while              decoding and cannot enforce it. Remove it (describe the rule in 'description').",
            location(at)
        ));
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        if let Some(options) = schema.get(keyword) {
            let options = options
                .as_array()
                .ok_or_else(|| format!("'{keyword}' at {} must be an array.", location(at)))?;
            for (i, option) in options.iter().enumerate() {
                check_schema(option, &format!("{at}/{keyword}/{i}"))?;
            }
        }
    }
    for keyword in ["$defs", "definitions"] {
        if let Some(Value::Object(definitions)) = schema.get(keyword) {
            for (name, definition) in definitions {
                check_schema(definition, &format!("{at}/{keyword}/{name}"))?;
            }
        }
    }
    if let Some(additional @ Value::Object(_)) = schema.get("additionalProperties") {
        check_schema(additional, &format!("{at}/additionalProperties"))?;
    }
    Ok(())
}

fn location(at: &str) -> String {
    if at.is_empty() {
        "the root".into()
    } else {
        format!("'{at}'")
    }
}

fn check_choice(choice: Option<&ToolChoice>, tools: &[Tool]) -> Result<(), ProtocolError> {
    match choice {
        None | Some(ToolChoice::Mode(ToolChoiceMode::None | ToolChoiceMode::Auto)) => Ok(()),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) if tools.is_empty() => Err(ProtocolError::invalid(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
            "invalid_value",
        )),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => Ok(()),
        Some(ToolChoice::Named(named)) => {
            let name = &named.function.name;
            if tools.iter().any(|t| &t.function.name == name) {
                return Ok(());
            }
            Err(ProtocolError::invalid(
                format!(
                    "Invalid value for 'tool_choice': no function named '{name}' was specified in \
                     the 'tools' parameter."
                ),
                "tool_choice",
                "invalid_value",
            ))
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
