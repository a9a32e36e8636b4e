//! The model's text cut into clauses while it streams, so each can be spoken while the next is
//! written. The first clause is cut early (at its first punctuation, or after a few words): it
//! decides how soon the answer is heard.

/// A first clause ends at a mark after at least this many words...
const FIRST_MIN_WORDS: usize = 1;
/// ...or, with no mark yet, after this many words, unless the last one cannot end a phrase
/// ("a", "is", "of": the voice would read it as a sentence end)...
const FIRST_CUT_WORDS: usize = 4;
/// ...and in any case after this many.
const FIRST_MAX_WORDS: usize = 8;
/// Words a phrase does not end on.
const CONTINUING_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "be", "of", "to", "in", "on", "at", "for", "with", "and",
    "or", "but", "as", "by", "from", "that", "this", "it", "its", "their", "your", "my", "our", "can",
    "will", "very", "not", "if", "so", "than", "into", "about",
];
/// Later clauses end at a sentence end, or at a comma once they are this long...
const COMMA_AFTER_CHARS: usize = 60;
/// ...or at a space once they are this long.
const MAX_CHARS: usize = 200;

const SENTENCE_MARKS: &[char] = &['.', '!', '?', ';', ':', '\n'];
const CLAUSE_MARKS: &[char] = &[',', '—'];
/// Marks that end a first clause as soon as they follow a letter, without waiting for the next
/// token to show whitespace: after a word they cannot be part of a number ("3,000") or an
/// abbreviation ("e.g."), and the wait would cost the listener one token (about 70 ms on the
/// default model). A period still waits: "Dr." and "U.S." continue.
const EAGER_FIRST_MARKS: &[char] = &[',', '!', '?'];

#[derive(Debug, Default)]
pub struct ClauseSplitter {
    pending: String,
    emitted_any: bool,
}

impl ClauseSplitter {
    /// Adds text; returns the clauses now complete, exactly as written (joined, they are the text).
    pub fn push(&mut self, text: &str) -> Vec<String> {
        self.pending.push_str(text);
        let mut out = Vec::new();
        while let Some(cut) = self.next_cut() {
            let rest = self.pending.split_off(cut);
            out.push(std::mem::replace(&mut self.pending, rest));
            self.emitted_any = true;
        }
        out
    }

    /// The rest, at the end of the answer.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty()).then_some(rest)
    }

    /// Where the next clause ends (a byte offset just after a mark that is followed by
    /// whitespace, so "3.5" and "e.g." are not cut), if it is complete.
    fn next_cut(&self) -> Option<usize> {
        let text = &self.pending;
        let mut words = 0;
        let mut previous_space = true;
        for (i, c) in text.char_indices() {
            let after = i + c.len_utf8();
            let followed_by_space = text[after..].chars().next().is_some_and(char::is_whitespace);
            if !c.is_whitespace() && previous_space {
                words += 1;
            }
            previous_space = c.is_whitespace();
            let sentence_end = SENTENCE_MARKS.contains(&c)
                && (followed_by_space || c == '\n')
                && !only_an_item_number(&text[..after]);
            let clause_end = CLAUSE_MARKS.contains(&c) && followed_by_space;
            if !self.emitted_any {
                let eager_end =
                    EAGER_FIRST_MARKS.contains(&c) && char_before(text, i).is_some_and(char::is_alphabetic);
                if (sentence_end || clause_end || eager_end) && words >= FIRST_MIN_WORDS {
                    return Some(after);
                }
                let word_ended = c.is_whitespace() && !char_before(text, i).is_some_and(char::is_whitespace);
                if word_ended
                    && (words >= FIRST_MAX_WORDS || words >= FIRST_CUT_WORDS && ends_phrase(&text[..i]))
                {
                    return Some(i);
                }
                continue;
            }
            let length = text[..after].trim().chars().count();
            if sentence_end && length > 0
                || clause_end && length >= COMMA_AFTER_CHARS
                || c.is_whitespace() && length >= MAX_CHARS
            {
                return Some(after);
            }
        }
        None
    }
}

/// "1." opening a list item: the item's words belong to its clause (alone, the number would
/// be a clause of its own, and the voice's front end could not tell it from an answer "1.").
fn only_an_item_number(clause: &str) -> bool {
    clause
        .trim()
        .strip_suffix('.')
        .is_some_and(|number| (1..=3).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit()))
}

fn ends_phrase(text: &str) -> bool {
    let last = text
        .split_whitespace()
        .next_back()
        .unwrap_or_default()
        .to_lowercase();
    !CONTINUING_WORDS.contains(&last.as_str())
}

/// The character that ends `text[..i]`.
fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pieces: &[&str]) -> Vec<String> {
        let mut splitter = ClauseSplitter::default();
        let mut out: Vec<String> = pieces.iter().flat_map(|p| splitter.push(p)).collect();
        out.extend(splitter.finish());
        out
    }

    #[test]
    fn clauses_join_back_to_the_text() {
        let pieces = [
            "Yes",
            ", golden",
            " retrievers are great",
            ". They love",
            " to swim",
            ". Really!",
        ];
        let out = split(&pieces);
        assert_eq!(out.concat(), pieces.concat());
        assert_eq!(
            out,
            vec![
                "Yes,",
                " golden retrievers are great.",
                " They love to swim.",
                " Really!"
            ]
        );
    }

    #[test]
    fn the_first_clause_ends_at_its_first_mark_or_after_a_few_words() {
        assert_eq!(split(&["Sure, here it is."]), vec!["Sure,", " here it is."]);
        assert_eq!(split(&["Of course, I can help."])[0], "Of course,");
        let out = split(&["Golden retrievers are one of the most popular breeds"]);
        assert_eq!(out[0], "Golden retrievers are one");
        assert_eq!(
            out.concat(),
            "Golden retrievers are one of the most popular breeds"
        );
    }

    #[test]
    fn the_first_clause_does_not_end_on_a_word_that_continues() {
        let out = split(&["Yes a golden retriever is a very good dog"]);
        assert_eq!(out[0], "Yes a golden retriever");
        let out = split(&["It is one of the best of all the dogs"]);
        assert_eq!(out[0], "It is one of the best");
    }

    #[test]
    fn the_first_clause_ends_at_a_comma_after_a_word_before_the_next_token() {
        let mut splitter = ClauseSplitter::default();
        assert_eq!(splitter.push("Yes"), Vec::<String>::new());
        assert_eq!(splitter.push(","), vec!["Yes,"]);
        let mut splitter = ClauseSplitter::default();
        assert_eq!(splitter.push("Sure!"), vec!["Sure!"]);
        // A number's comma and an abbreviation's period wait for what follows.
        let mut splitter = ClauseSplitter::default();
        assert_eq!(splitter.push("About 3,"), Vec::<String>::new());
        assert_eq!(splitter.push("000 dogs"), Vec::<String>::new());
        let mut splitter = ClauseSplitter::default();
        assert_eq!(splitter.push("Dr."), Vec::<String>::new());
    }

    #[test]
    fn a_list_item_keeps_its_number() {
        let out = split(&["Tips:\n\n1.", " Boil the water.\n2. Add the tea.\n"]);
        assert_eq!(
            out,
            vec!["Tips:", "\n\n1. Boil the water.", "\n2. Add the tea.", "\n"]
        );
    }

    #[test]
    fn decimals_do_not_cut() {
        let out = split(&["Fine. It weighs about 3.5 kilos. ", "Done."]);
        assert_eq!(out[1], " It weighs about 3.5 kilos.");
    }

    #[test]
    fn later_commas_cut_only_long_clauses() {
        let text = "First. Then a short, one. And a much longer clause that keeps on going and going and going, then ends.";
        let out = split(&[text]);
        assert_eq!(out[1], " Then a short, one.");
        assert_eq!(
            out[2],
            " And a much longer clause that keeps on going and going and going,"
        );
    }
}
