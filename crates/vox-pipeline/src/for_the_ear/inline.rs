//! Marks inside a line: emphasis and code marks vanish, links keep their words, URLs and
//! emails are read as people read them ("example dot com slash menu"), symbols that have a
//! spoken form get it and emoji are dropped.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::re;

static IMAGE_OR_LINK: LazyLock<Regex> = LazyLock::new(|| re(r"!?\[([^\]]*)\]\([^)\s]*\)"));
static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| re(r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b"));
static URL: LazyLock<Regex> = LazyLock::new(|| re(r"(?:https?://|www\.)[^\s<>()\[\]]+"));
/// A web address without its scheme: `example.com`, `docs.rs/regex` (common endings only, so
/// "Node.js" and "e.g." stay words).
static BARE_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:[a-zA-Z0-9-]+\.)+(?:com|org|net|io|gov|edu|dev|ai|app|info|co\.uk|uk|de|fr|ca|us|eu)\b(?:/[^\s<>()]*)?",
    )
});
static EMPHASIS: LazyLock<Regex> = LazyLock::new(|| re(r"\*\*|__|~~|`"));
static TIMES: LazyLock<Regex> = LazyLock::new(|| re(r"(\d)\s*[*×]\s*(\d)"));
static NUMBER_SIGN: LazyLock<Regex> = LazyLock::new(|| re(r"#(\d)"));
static RANGE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d+)\s?[-–]\s?(\d+)\b(-\d)?"));
static FRACTION: LazyLock<Regex> = LazyLock::new(|| re(r"\b([1-9])/([2-8])\b|([½⅓⅔¼¾⅛])"));
static APPROXIMATELY: LazyLock<Regex> = LazyLock::new(|| re(r"~\s?(\d)"));
static SPACED_DASH: LazyLock<Regex> = LazyLock::new(|| re(r"\s[-–]\s"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| re(r"[ \t]{2,}"));

/// `text` (part of one line) as it should be said.
pub fn speakable(text: &str) -> String {
    let text = IMAGE_OR_LINK.replace_all(text, "$1");
    let text = HTML_TAG.replace_all(&text, " ");
    let text = EMAIL.replace_all(&text, |c: &Captures| {
        format!("{} at {}", dotted(&c[1]), dotted(&c[2]))
    });
    let text = URL.replace_all(&text, |c: &Captures| web_address(&c[0]));
    let text = BARE_DOMAIN.replace_all(&text, |c: &Captures| web_address(&c[0]));
    let text = TIMES.replace_all(&text, "$1 times $2");
    let text = EMPHASIS.replace_all(&text, "");
    let text = NUMBER_SIGN.replace_all(&text, "number $1");
    let text = RANGE.replace_all(&text, range);
    let text = FRACTION.replace_all(&text, fraction);
    let text = APPROXIMATELY.replace_all(&text, "about $1");
    let text = SPACED_DASH.replace_all(&text, ", ");
    let text = text.replace("and/or", "and or").replace("24/7", "24 7");
    let text = symbols(&text);
    SPACES.replace_all(&text, " ").into_owned()
}

/// `https://www.example.com/menu?x=1` -> "example dot com slash menu": the scheme, `www.`, the
/// query and the fragment are never said; a trailing sentence mark stays a mark.
fn web_address(address: &str) -> String {
    let trailing = address.len()
        - address
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"'])
            .len();
    let (address, after) = address.split_at(address.len() - trailing);
    let address = address
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    let address = address.split(['?', '#']).next().unwrap_or_default();
    let mut parts = address.trim_end_matches('/').split('/');
    let mut said = dotted(parts.next().unwrap_or_default());
    for segment in parts {
        said.push_str(" slash ");
        said.push_str(&dotted(&segment.replace(['-', '_', '+', '='], " ")));
    }
    format!("{said}{after}")
}

fn dotted(text: &str) -> String {
    text.split('.')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" dot ")
}

/// "3-5 minutes" -> "3 to 5 minutes"; dates (2024-07-04) and phone numbers (555-1234) stay.
fn range(c: &Captures) -> String {
    let (from, to) = (&c[1], &c[2]);
    let phone = from.len() == 3 && to.len() == 4;
    if c.get(3).is_some() || phone || from.len() > 4 || to.len() > 4 {
        return c[0].to_string();
    }
    format!("{from} to {to}")
}

/// "1/2 cup" -> "one half cup", "¾" -> "three quarters": read as a person says them, not as
/// "one slash two". Other slashes stay (the voice's own reading).
fn fraction(c: &Captures) -> String {
    let (numerator, denominator) = match c.get(3).map(|m| m.as_str()) {
        Some("½") => (1, 2),
        Some("⅓") => (1, 3),
        Some("⅔") => (2, 3),
        Some("¼") => (1, 4),
        Some("¾") => (3, 4),
        Some(_) => (1, 8),
        None => (c[1].parse().unwrap_or(1), c[2].parse().unwrap_or(2)),
    };
    const NUMBERS: [&str; 9] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    ];
    const PARTS: [(&str, &str); 9] = [
        ("", ""),
        ("", ""),
        ("half", "halves"),
        ("third", "thirds"),
        ("quarter", "quarters"),
        ("fifth", "fifths"),
        ("sixth", "sixths"),
        ("seventh", "sevenths"),
        ("eighth", "eighths"),
    ];
    let (one, many) = PARTS[denominator];
    let part = if numerator == 1 { one } else { many };
    format!("{} {part}", NUMBERS[numerator])
}

/// Single symbols: emphasis stars and underscores vanish (an underscore inside a name is a
/// space), arrows are "to", bullets and pipes are pauses, emoji are dropped.
fn symbols(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut said = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_words = i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|next| next.is_alphanumeric());
        match c {
            '_' if between_words => said.push(' '),
            '*' | '_' | '#' | '\\' | '~' | '^' => {}
            '|' | '•' | '·' | '▪' | '◦' => said.push(','),
            '@' => said.push_str(" at "),
            '←'..='⇿' => said.push_str(" to "),
            c if is_pictograph(c) => {}
            c => said.push(c),
        }
    }
    said
}

/// Emoji and the pictographs, dingbats and modifiers they are built from.
fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{200D}'
        | '\u{20E3}'
        | '\u{E0020}'..='\u{E007F}'
        | '©' | '®' | '™'
    )
}
