//! What the start of an answer is becoming, read while it is decoded greedily: words, a call of
//! a declared tool, or a call of a tool nobody declared. Models write calls in more forms than
//! their prompt teaches: `<tool_call>` (decided by its token, see `decision.rs`), bare JSON
//! (`{"name": "get_weather", ...}`, an array of them), or a code block (```` ```json {...} ````).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Too little text to tell.
    Undecided,
    /// A call of a declared tool.
    Call,
    /// A call of a function that was not declared: the model has no answer in words yet.
    UnknownCall,
    Words,
}

/// Reads the start of an answer (`text`, nothing of it shown yet).
pub fn classify(text: &str, declared: &[String]) -> Opening {
    let mut rest = text.trim_start();
    if let Some(after) = rest.strip_prefix("```") {
        let tag_len = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        let (tag, after_tag) = after.split_at(tag_len);
        if after_tag.is_empty() {
            return if "json".starts_with(tag) {
                Opening::Undecided
            } else {
                Opening::Words
            };
        }
        if !tag.is_empty() && tag != "json" {
            return Opening::Words;
        }
        rest = after_tag.trim_start();
    } else if "```".starts_with(rest) {
        return Opening::Undecided;
    }
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.trim_start();
    }
    let Some(after) = rest.strip_prefix('{') else {
        return if rest.is_empty() {
            Opening::Undecided
        } else {
            Opening::Words
        };
    };
    rest = after.trim_start();
    for key in ["\"function\"", "\"type\""] {
        if rest.starts_with(key) {
            return Opening::Call;
        }
    }
    match rest.strip_prefix("\"name\"") {
        Some(after) => rest = after.trim_start(),
        None if is_prefix(rest, &["\"name\"", "\"function\"", "\"type\""]) => return Opening::Undecided,
        None => return Opening::Words,
    }
    match rest.strip_prefix(':') {
        Some(after) => rest = after.trim_start(),
        None if rest.is_empty() => return Opening::Undecided,
        None => return Opening::Words,
    }
    match rest.strip_prefix('"') {
        Some(after) => rest = after,
        None if rest.is_empty() => return Opening::Undecided,
        None => return Opening::Words,
    }
    match rest.split_once('"') {
        Some((name, _)) if declared.iter().any(|d| d == name) => Opening::Call,
        Some(_) => Opening::UnknownCall,
        None if declared.iter().any(|d| d.starts_with(rest)) => Opening::Undecided,
        None => Opening::UnknownCall,
    }
}

fn is_prefix(text: &str, of: &[&str]) -> bool {
    of.iter().any(|whole| whole.starts_with(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> Vec<String> {
        vec!["get_weather".into(), "convert_currency".into()]
    }

    fn read(text: &str) -> Opening {
        classify(text, &declared())
    }

    #[test]
    fn bare_json_and_fenced_calls_of_declared_tools_are_calls() {
        assert_eq!(read(r#"{"name": "get_weather", "arguments""#), Opening::Call);
        assert_eq!(read("```json\n{\"name\": \"convert_currency\""), Opening::Call);
        assert_eq!(read(" [ {\"name\":\"get_weather\""), Opening::Call);
        assert_eq!(read(r#"{"type": "function""#), Opening::Call);
    }

    #[test]
    fn a_call_of_an_undeclared_function_is_told_apart() {
        assert_eq!(read(r#"{"name": "boil_egg""#), Opening::UnknownCall);
        assert_eq!(read(r#"{"name": "mult"#), Opening::UnknownCall);
        assert_eq!(read("```json\n{\"name\": \"x\""), Opening::UnknownCall);
    }

    #[test]
    fn beginnings_wait_for_more_text() {
        for start in [
            "",
            " ",
            "`",
            "``",
            "```",
            "```js",
            "```json",
            "```json\n",
            "{",
            "{\"",
            "{\"na",
            "{\"name\"",
            "{\"name\": ",
            "{\"name\": \"get_w",
        ] {
            assert_eq!(read(start), Opening::Undecided, "{start:?}");
        }
    }

    #[test]
    fn words_and_other_code_are_words() {
        for text in [
            "Sure, here",
            "The weather",
            "```python\n",
            "{\"answer\"",
            "[1, 2",
            "{ 42",
        ] {
            assert_eq!(read(text), Opening::Words, "{text:?}");
        }
    }
}
