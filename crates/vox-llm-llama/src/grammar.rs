//! GBNF grammars that hold a forced tool call to its shape: the declared names and a JSON object
//! of arguments, so even a small model's forced call parses.

use vox_engine::chat::ToolPolicy;

const JSON_RULES: &str = r#"
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
value ::= object | array | string | number | "true" | "false" | "null"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] ) )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws ::= [ \t\n]? [ \t\n]?
"#;

/// The grammar for the rest of a forced call, after the opening the prompt already holds
/// (see `prompt::forced_call_opening`); `None` when the model is free to answer.
pub fn forced_call_grammar(policy: &ToolPolicy, names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let close = r#"ws "}" "\n</tool_call>""#;
    let root = match policy {
        ToolPolicy::Named(_) => format!("root ::= object {close}"),
        ToolPolicy::Required => {
            let alternatives: Vec<String> = names.iter().map(|n| gbnf_literal(n)).collect();
            format!(
                "root ::= ( {} ) \"\\\", \\\"arguments\\\": \" object {close}",
                alternatives.join(" | ")
            )
        }
        ToolPolicy::Auto | ToolPolicy::None => return None,
    };
    Some(format!("{root}{JSON_RULES}"))
}

/// A GBNF string literal of `text`.
fn gbnf_literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_answers_have_no_grammar() {
        assert_eq!(forced_call_grammar(&ToolPolicy::Auto, &["f".into()]), None);
        assert_eq!(forced_call_grammar(&ToolPolicy::Required, &[]), None);
    }

    #[test]
    fn required_lists_every_declared_name() {
        let grammar =
            forced_call_grammar(&ToolPolicy::Required, &["get_time".into(), "a\"b".into()]).unwrap();
        assert!(
            grammar.starts_with(r#"root ::= ( "get_time" | "a\"b" ) "\", \"arguments\": " object"#),
            "{grammar}"
        );
        assert!(grammar.contains("object ::="));
    }
}
