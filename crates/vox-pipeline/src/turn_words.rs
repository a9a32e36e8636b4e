//! Whether a pause's transcript reads as a finished turn: `semantic_vad`'s second opinion when
//! the end-of-turn model, which hears how the words were said, thinks the caller goes on. A
//! sentence the recogniser closed with a full stop, a question or an exclamation mark, whose
//! last word can end a sentence, is finished; "a table for." is not.

/// Words after which a sentence goes on, by language (the recogniser's ISO-639-1 code).
fn open_words(language: &str) -> &'static [&'static str] {
    match language {
        "en" => &[
            "a", "about", "also", "an", "and", "are", "as", "at", "be", "because", "but", "by", "for",
            "from", "her", "his", "if", "in", "into", "is", "its", "like", "my", "of", "on", "or", "our",
            "so", "than", "that", "the", "their", "then", "to", "uh", "um", "was", "were", "when", "which",
            "who", "with", "your",
        ],
        "fr" => &[
            "à", "au", "aux", "avec", "ce", "dans", "de", "des", "donc", "du", "et", "euh", "la", "le",
            "les", "ma", "mais", "mes", "mon", "ou", "parce", "pour", "que", "qui", "si", "sur", "un", "une",
        ],
        "es" => &[
            "a", "al", "con", "de", "del", "eh", "el", "en", "la", "las", "los", "mi", "o", "para", "pero",
            "porque", "que", "si", "un", "una", "y",
        ],
        _ => &[],
    }
}

pub fn reads_as_finished(text: &str, language: &str) -> bool {
    let text = text.trim();
    let closed =
        text.ends_with(['.', '?', '!', '。', '？', '！']) && !text.ends_with("..") && !text.ends_with('…');
    let last_word = text
        .split_whitespace()
        .next_back()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .unwrap_or_default();
    closed && !last_word.is_empty() && !open_words(language).contains(&last_word.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_sentence_is_finished() {
        assert!(reads_as_finished("Please turn off the lights.", "en"));
        assert!(reads_as_finished(" What time is it? ", "en"));
        assert!(reads_as_finished("Je voudrais un café.", "fr"));
    }

    #[test]
    fn an_open_or_trailing_sentence_is_not() {
        assert!(!reads_as_finished("I would like to book a table for", "en"));
        assert!(!reads_as_finished("I would like to book a table for.", "en"));
        assert!(!reads_as_finished("My name is Anna and...", "en"));
        assert!(!reads_as_finished("Well…", "en"));
        assert!(!reads_as_finished("Je voudrais un café et.", "fr"));
        assert!(!reads_as_finished("", "en"));
        assert!(!reads_as_finished("?", "en"));
    }

    #[test]
    fn another_language_is_judged_by_its_punctuation_alone() {
        assert!(reads_as_finished("Ich möchte einen Tisch.", "de"));
        assert!(!reads_as_finished("Ich möchte einen Tisch", "de"));
    }
}
