//! Written text turned into what a voice should say. Language models write for the eye:
//! headings, lists, emphasis, code, tables, links, emoji. A voice reading those marks says
//! "asterisk", "one dot", "h t t p s colon slash slash". This front end keeps the words and
//! turns the marks into what a person talking would do: a heading or list item becomes its own
//! sentence (a pause), emphasis and code marks vanish, links keep their words, URLs and emails
//! are read as people read them, emoji are dropped.
//!
//! It runs on the clauses of a streamed answer in order (a line's start may come in one clause
//! and its end in the next), and on whole texts. Only the voice hears the result: the
//! transcript a client gets keeps the model's text.

mod blocks;
mod inline;

#[cfg(test)]
mod tests;

use blocks::LineStart;

/// Marks after which a voice already pauses: a line ending on one needs no added period.
const PAUSING_MARKS: &[char] = &['.', '!', '?', ';', ':', ',', '…'];

/// The front end's place in a text given clause by clause.
#[derive(Debug)]
pub struct ForTheEar {
    at_line_start: bool,
    in_code_block: bool,
    /// The current line says nothing (a code fence or line, a rule, a table's separator).
    silent_line: bool,
    /// The last character said on the current line, if any.
    last_said: Option<char>,
}

impl Default for ForTheEar {
    fn default() -> Self {
        Self {
            at_line_start: true,
            in_code_block: false,
            silent_line: false,
            last_said: None,
        }
    }
}

/// One of the front end's fixed patterns.
fn re(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("static pattern")
}

/// A whole text, for the ear.
pub fn for_the_ear(text: &str) -> String {
    let mut ear = ForTheEar::default();
    let mut said = ear.clause(text);
    ear.end_line(&mut said);
    said.trim().to_string()
}

impl ForTheEar {
    /// What the voice should say for the next clause of the text (may be empty: a list
    /// marker or a code fence alone says nothing).
    pub fn clause(&mut self, written: &str) -> String {
        let mut said = String::new();
        for (i, segment) in written.split('\n').enumerate() {
            if i > 0 {
                self.end_line(&mut said);
            }
            self.line_part(segment, &mut said);
        }
        said
    }

    fn line_part(&mut self, segment: &str, said: &mut String) {
        let content = if self.at_line_start {
            if segment.trim().is_empty() {
                return;
            }
            self.at_line_start = false;
            match blocks::line_start(segment, self.in_code_block) {
                LineStart::Fence => {
                    self.in_code_block = !self.in_code_block;
                    self.silent_line = true;
                    return;
                }
                LineStart::Silent => {
                    self.silent_line = true;
                    return;
                }
                LineStart::Words(rest) => rest,
            }
        } else if self.silent_line {
            return;
        } else {
            segment
        };
        let spoken = inline::speakable(content);
        if let Some(last) = spoken.trim_end().chars().next_back() {
            self.last_said = Some(last);
        }
        said.push_str(&spoken);
    }

    /// A line that said something ends on a pause: headings and list items have no period of
    /// their own, and without one the voice runs them into the next line.
    fn end_line(&mut self, said: &mut String) {
        // Only within this clause: words said in an earlier one are with the voice already.
        if let Some(last) = self.last_said.take()
            && !PAUSING_MARKS.contains(&last)
            && !said.trim().is_empty()
        {
            let kept = said.trim_end().len();
            said.truncate(kept);
            said.push('.');
        }
        // The line break is a space between the words on either side.
        if !said.ends_with(' ') {
            said.push(' ');
        }
        self.at_line_start = true;
        self.silent_line = false;
    }
}
