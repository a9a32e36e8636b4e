//! Text cut into pieces that are synthesised one at a time: sentences, long sentences at their
//! clauses, and the first sentence at its first clause so audio can start sooner.

/// Longest piece in characters: keeps Piper and Kokoro inside their trained lengths.
const MAX_PIECE: usize = 240;
/// A first sentence longer than this is cut at its first comma...
const FIRST_PIECE_TARGET: usize = 60;
/// ...if that leaves at least this much before the cut (a cut after one word sounds choppy).
const FIRST_PIECE_MIN: usize = 16;

const SENTENCE_END: &[char] = &['.', '!', '?', ';', ':', '…', '。'];
const CLAUSE_END: &[char] = &[',', '—', '–'];

pub fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in sentences(text) {
        for piece in split_long(&sentence) {
            out.push(piece);
        }
    }
    if let Some(first) = out.first().cloned()
        && first.chars().count() > FIRST_PIECE_TARGET
        && let Some(cut) = first_clause_cut(&first)
    {
        let (head, tail) = first.split_at(cut);
        out.splice(0..1, [head.trim().to_string(), tail.trim().to_string()]);
    }
    out.retain(|p| p.chars().any(char::is_alphanumeric));
    out
}

/// Sentences with their end punctuation; an end needs whitespace (or the end) after it, so
/// "3.5" and "e.g" stay whole.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let at_boundary = chars.peek().is_none_or(|next| next.is_whitespace());
        if SENTENCE_END.contains(&c) && at_boundary {
            // Keep runs like "?!" and closing quotes with their sentence.
            while let Some(&next) = chars.peek() {
                if SENTENCE_END.contains(&next) || next == '"' || next == '”' || next == ')' {
                    current.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            push_trimmed(&mut out, &mut current);
        }
    }
    push_trimmed(&mut out, &mut current);
    out
}

fn push_trimmed(out: &mut Vec<String>, current: &mut String) {
    let piece = current.trim();
    if !piece.is_empty() {
        out.push(piece.to_string());
    }
    current.clear();
}

/// A sentence over [`MAX_PIECE`] at its clauses, and a clause still over it at spaces.
fn split_long(sentence: &str) -> Vec<String> {
    if sentence.chars().count() <= MAX_PIECE {
        return vec![sentence.to_string()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for word in sentence.split_whitespace() {
        let would_be = current.chars().count() + word.chars().count() + 1;
        let clause_full = current.ends_with(CLAUSE_END) && current.chars().count() > MAX_PIECE / 3;
        if !current.is_empty() && (would_be > MAX_PIECE || clause_full) {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn first_clause_cut(piece: &str) -> Option<usize> {
    piece
        .char_indices()
        .find(|(i, c)| CLAUSE_END.contains(c) && *i >= FIRST_PIECE_MIN && *i + 1 < piece.len())
        .map(|(i, c)| i + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_their_punctuation() {
        assert_eq!(
            pieces("Hello there. How are you?! Fine; thanks"),
            vec!["Hello there.", "How are you?!", "Fine;", "thanks"]
        );
    }

    #[test]
    fn decimals_and_initials_do_not_end_sentences() {
        assert_eq!(pieces("It is 3.5 metres long."), vec!["It is 3.5 metres long."]);
    }

    #[test]
    fn a_long_first_sentence_is_cut_at_its_first_clause() {
        let text = "Yes, golden retrievers are wonderful family dogs, gentle and patient with children. They love to play.";
        let out = pieces(text);
        assert_eq!(out[0], "Yes, golden retrievers are wonderful family dogs,");
        assert_eq!(out[1], "gentle and patient with children.");
        assert_eq!(out[2], "They love to play.");
    }

    #[test]
    fn very_long_sentences_are_bounded() {
        let text = "word ".repeat(200);
        let out = pieces(&text);
        assert!(out.len() > 1);
        assert!(out.iter().all(|p| p.chars().count() <= MAX_PIECE));
        assert_eq!(out.join(" ").split_whitespace().count(), 200);
    }

    #[test]
    fn punctuation_alone_is_not_a_piece() {
        assert_eq!(pieces("... !"), Vec::<String>::new());
    }
}
