use serde_json::json;

use super::*;

fn tool(name: &str, parameters: Value) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: None,
        parameters_json: Some(parameters.to_string()),
    }
}

fn weather() -> ToolSpec {
    tool(
        "get_weather",
        json!({"type": "object", "properties": {
            "city": {"type": "string", "minLength": 1},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"}
        }, "required": ["city"], "additionalProperties": false}),
    )
}

#[test]
fn free_answers_have_no_forced_grammar() {
    assert_eq!(
        forced_call_grammar(&ToolPolicy::Auto, &[weather()]).unwrap(),
        None
    );
    assert_eq!(forced_call_grammar(&ToolPolicy::Required, &[]).unwrap(), None);
}

#[test]
fn required_lists_every_declared_name_with_its_own_arguments() {
    let time = tool("get_time", json!({"type": "object", "properties": {}}));
    let grammar = forced_call_grammar(&ToolPolicy::Required, &[weather(), time])
        .unwrap()
        .unwrap();
    assert!(
        grammar.contains(r#""get_weather\", \"arguments\": " args-get-weather"#),
        "{grammar}"
    );
    assert!(
        grammar.contains(r#""get_time\", \"arguments\": " args-get-time"#),
        "{grammar}"
    );
    assert!(
        grammar.contains(r#"( "\"celsius\"" | "\"fahrenheit\"" )"#),
        "{grammar}"
    );
}

#[test]
fn a_named_call_is_held_to_that_tools_schema() {
    let grammar = forced_call_grammar(&ToolPolicy::Named("get_weather".into()), &[weather()])
        .unwrap()
        .unwrap();
    assert!(grammar.starts_with("root ::= args-get-weather"), "{grammar}");
    // The required property comes first and always; optional ones may follow.
    let args = grammar
        .lines()
        .find(|l| l.starts_with("args-get-weather ::="))
        .unwrap();
    assert!(args.contains(r#""\"city\"" ws ":" ws"#), "{args}");
    assert!(args.contains(r#"( ws "," ws "\"unit\"""#), "{args}");
    assert!(args.contains(r#"( ws "," ws "\"days\"""#), "{args}");
    assert!(grammar.contains(r#"char{1,}"#), "{grammar}");
}

#[test]
fn a_free_call_continues_after_the_trigger_text() {
    let whole = free_call_grammar(&[weather()], "<tool_call>").unwrap();
    assert!(
        whole.starts_with(r#"root ::= "" "\n" ( "{" ws "\"name\"" ws ":" ws "\"get_weather\"""#),
        "{whole}"
    );
    let split = free_call_grammar(&[weather()], "<").unwrap();
    assert!(split.starts_with(r#"root ::= "tool_call>" "\n""#), "{split}");
    assert!(free_call_grammar(&[weather()], "{").is_err());
}

#[test]
fn schemas_a_grammar_cannot_hold_are_refused_with_their_place() {
    let patterned = tool(
        "f",
        json!({"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}),
    );
    let error = forced_call_grammar(&ToolPolicy::Required, &[patterned]).unwrap_err();
    assert!(error.contains("'pattern' at '/properties/zip'"), "{error}");
    let negated = tool(
        "g",
        json!({"type": "object", "properties": {"a": {"not": {"type": "null"}}}}),
    );
    assert!(free_call_grammar(&[negated], "<tool_call>").is_err());
    let dangling = tool(
        "h",
        json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}),
    );
    let error = free_call_grammar(&[dangling], "<tool_call>").unwrap_err();
    assert!(error.contains("points at nothing"), "{error}");
}

#[test]
fn references_arrays_and_unions_become_rules() {
    let nested = tool(
        "plan",
        json!({
            "type": "object",
            "$defs": {"stop": {"type": "object", "properties": {"name": {"type": "string"}, "next": {"$ref": "#/$defs/stop"}}}},
            "properties": {
                "stops": {"type": "array", "items": {"$ref": "#/$defs/stop"}, "minItems": 1, "maxItems": 3},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "flag": {"type": ["boolean", "null"]},
                "meta": {"type": "object", "additionalProperties": {"type": "number"}}
            },
            "required": ["stops"]
        }),
    );
    let grammar = free_call_grammar(&[nested], "<tool_call>").unwrap();
    // The recursive definition is one rule that refers to itself.
    let stop = grammar
        .lines()
        .find(|l| l.starts_with("ref--defs-stop ::="))
        .unwrap();
    assert!(stop.contains("prop--defs-stop-properties-next"), "{stop}");
    assert!(
        grammar.contains("prop--defs-stop-properties-next ::= ref--defs-stop"),
        "{grammar}"
    );
    assert!(grammar.contains("){0,2}"), "{grammar}");
    assert!(grammar.contains(r#"( string | "null" )"#), "{grammar}");
    assert!(
        grammar.contains(r#"( ( "true" | "false" ) | "null" )"#),
        "{grammar}"
    );
}

#[test]
fn no_parameters_means_any_object() {
    let bare = ToolSpec {
        name: "ping".into(),
        description: None,
        parameters_json: None,
    };
    let grammar = free_call_grammar(&[bare], "<tool_call>").unwrap();
    assert!(grammar.contains("args-ping ::= object"), "{grammar}");
}
