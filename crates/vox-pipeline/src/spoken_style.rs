//! The language model told that its answer will be heard, not read. Without it, a small model
//! answers "Is a golden retriever a good family dog?" with an introduction, a numbered list of
//! five points and a conclusion: 96 seconds of audio. OpenAI's audio models answer in a few
//! sentences, and so should a voice agent.

use vox_engine::chat::{ChatRole, ChatTurn};

/// What a deployment tells the model when an answer is spoken, unless it sets its own
/// `spoken_style` (or `""`, nothing). Its wording was measured (docs/spoken-answers.md): "then
/// stop" made qwen2.5-coder-1.5b answer "What is the weather like in Paris right now?" from
/// nowhere instead of calling the agent's weather tool (0 of 5 sessions); without it, and with
/// the last sentence, 6 of 6 called it.
pub const DEFAULT_SPOKEN_STYLE: &str = "When you answer in words, they are spoken aloud by a voice, so \
    talk the way a person talks in conversation: two to four short sentences in all. Never use \
    lists, numbered points, headings, separate paragraphs, bold text, tables, code or emoji; when there are several points, say \
    them in one flowing sentence. Write numbers, units and symbols the way a person says them. This is \
    only about how you phrase an answer: whenever the request needs a function, still call it.";

/// Puts `style` first in the conversation's system text: the caller's own system or developer
/// message comes after it, so what the caller asks for wins.
pub fn tell_it_is_speaking(turns: &mut Vec<ChatTurn>, style: &str) {
    match turns.first_mut() {
        Some(first) if first.role == ChatRole::System => {
            first.text = format!("{style}\n\n{}", first.text).trim_end().to_string();
        }
        _ => turns.insert(
            0,
            ChatTurn {
                role: ChatRole::System,
                text: style.to_string(),
                tool_calls: Vec::new(),
                tool_call_id: None,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: ChatRole, text: &str) -> ChatTurn {
        ChatTurn {
            role,
            text: text.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    #[test]
    fn the_style_opens_a_conversation_without_system_text() {
        let mut turns = vec![turn(ChatRole::User, "Is a golden retriever a good family dog?")];
        tell_it_is_speaking(&mut turns, "Speak briefly.");
        assert_eq!(turns[0], turn(ChatRole::System, "Speak briefly."));
        assert_eq!(turns[1].role, ChatRole::User);
    }

    #[test]
    fn the_callers_own_system_text_comes_last() {
        let mut turns = vec![
            turn(ChatRole::System, "Answer with a numbered list."),
            turn(ChatRole::User, "Name three dogs."),
        ];
        tell_it_is_speaking(&mut turns, "Speak briefly.");
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].text, "Speak briefly.\n\nAnswer with a numbered list.");
    }

    #[test]
    fn empty_instructions_leave_only_the_style() {
        let mut turns = vec![turn(ChatRole::System, ""), turn(ChatRole::User, "Hi")];
        tell_it_is_speaking(&mut turns, "Speak briefly.");
        assert_eq!(turns[0].text, "Speak briefly.");
    }
}
