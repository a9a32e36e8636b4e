//! The start of a line: what block it opens (a heading, a list item, a quote, a table row, a
//! code fence, a rule) and the words it carries once its marks are taken off.

use std::sync::LazyLock;

use regex::Regex;

use super::re;

pub enum LineStart<'a> {
    /// A code fence (three backticks or three tildes): a code block opens or closes.
    Fence,
    /// Nothing to say: a line of code, a rule (`---`), a table's `|---|---|` separator.
    Silent,
    /// The words of the line, its block marks removed.
    Words(&'a str),
}

static RULE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$"));
static TABLE_SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$"));
/// Heading hashes, quote marks, then a bullet or an item number (followed by words: "1." alone
/// on a line is an answer, not a list) and a task box.
static BLOCK_MARKS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*(?:#{1,6}(?:\s+|$))?(?:>\s*)*(?:(?:[-*+•▪◦‣]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?)?")
});

pub fn line_start(line: &str, in_code_block: bool) -> LineStart<'_> {
    let trimmed = line.trim_start();
    if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
        return LineStart::Fence;
    }
    if in_code_block || RULE.is_match(line) || TABLE_SEPARATOR.is_match(line) {
        return LineStart::Silent;
    }
    let marks = BLOCK_MARKS.find(line).map_or(0, |m| m.end());
    // A table row's outer pipes; the inner ones become pauses with the other symbols. A space
    // at the end stays: the next clause may go on from it.
    let rest = line[marks..].trim_start().trim_start_matches('|').trim_start();
    LineStart::Words(rest.trim_end().strip_suffix('|').unwrap_or(rest))
}
