//! English text as it is read aloud: numbers, money, percentages, times, dates and common
//! abbreviations become words before phonemisation (espeak-ng alone reads "$12.50" as "dollar
//! twelve point five zero"). Other languages keep espeak-ng's own number reading.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::numbers::{cardinal, decimal, ordinal, year};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static pattern")
}

static ABBREVIATIONS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"\bDr\.\s", "Doctor "),
        (r"\bMr\.\s", "Mister "),
        (r"\bMrs\.\s", "Missus "),
        (r"\bMs\.\s", "Miz "),
        (r"\bProf\.\s", "Professor "),
        (r"\bSt\.\s([A-Z])", "Saint $1"),
        (r"\bSt\.", "Street"),
        (r"\bJr\.", "Junior"),
        (r"\bvs\.?\s", "versus "),
        (r"\be\.g\.,?", "for example,"),
        (r"\bi\.e\.,?", "that is,"),
        (r"\betc\.", "et cetera."),
        (r"\bNo\.\s?(\d)", "number $1"),
        (r"&", " and "),
    ]
    .into_iter()
    .map(|(pattern, words)| (re(pattern), words))
    .collect()
});
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{4})-(\d{2})-(\d{2})\b"));
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,\s*(\d{4})\b)?",
    )
});
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"([$£€])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?:\s+(thousand|million|billion|trillion))?")
});
static PERCENT: LazyLock<Regex> = LazyLock::new(|| re(r"(\d+(?:\.\d+)?)\s?%"));
static TIME: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(\d{1,2}):(\d{2})(?:\s*([AaPp])\.?\s?[Mm]\.?(?:\s|$))?"));
static ORDINAL: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d+)(?:st|nd|rd|th)\b"));
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b(1[1-9]\d\d|20\d\d)\b"));
static DECIMAL: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d+)\.(\d+)\b"));
static GROUPED: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{1,3}(?:,\d{3})+\b"));
static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| re(r"(^|\s)-(\d)"));
static INTEGER: LazyLock<Regex> = LazyLock::new(|| re(r"\d+"));

pub fn normalize_english(text: &str) -> String {
    let mut text = text.to_string();
    for (pattern, words) in ABBREVIATIONS.iter() {
        text = pattern.replace_all(&text, *words).into_owned();
    }
    let text = ISO_DATE.replace_all(&text, |c: &Captures| {
        iso_date(c).unwrap_or_else(|| c[0].to_string())
    });
    let text = MONTH_DAY.replace_all(&text, month_day);
    let text = MONEY.replace_all(&text, money);
    let text = PERCENT.replace_all(&text, |c: &Captures| format!("{} percent", number(&c[1])));
    let text = TIME.replace_all(&text, time);
    let text = ORDINAL.replace_all(&text, |c: &Captures| {
        parse(&c[1]).map_or(c[0].to_string(), ordinal)
    });
    let text = YEAR.replace_all(&text, |c: &Captures| parse(&c[1]).map_or(c[0].to_string(), year));
    let text = DECIMAL.replace_all(&text, |c: &Captures| number(&c[0]));
    let text = GROUPED.replace_all(&text, |c: &Captures| number(&c[0].replace(',', "")));
    let text = NEGATIVE.replace_all(&text, "${1}minus $2");
    let text = INTEGER.replace_all(&text, |c: &Captures| number(&c[0]));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse(digits: &str) -> Option<u64> {
    digits.parse().ok()
}

/// Integers and decimals; more than 15 digits (an id, a phone number) are read digit by digit.
fn number(text: &str) -> String {
    if let Some((whole, fraction)) = text.split_once('.') {
        return parse(whole).map_or(text.to_string(), |w| decimal(w, fraction));
    }
    match parse(text) {
        Some(n) if text.len() <= 15 => cardinal(n),
        _ => text
            .chars()
            .filter_map(|c| c.to_digit(10))
            .map(|d| cardinal(u64::from(d)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn iso_date(c: &Captures) -> Option<String> {
    let (y, m, d) = (parse(&c[1])?, parse(&c[2])?, parse(&c[3])?);
    let month = MONTHS.get(usize::try_from(m).ok()?.checked_sub(1)?)?;
    (1..=31)
        .contains(&d)
        .then(|| format!("{month} {}, {}", ordinal(d), year(y)))
}

fn month_day(c: &Captures) -> String {
    let day = parse(&c[2]).filter(|d| (1..=31).contains(d));
    let Some(day) = day else { return c[0].to_string() };
    match c.get(3).and_then(|y| parse(y.as_str())) {
        Some(y) => format!("{} {}, {}", &c[1], ordinal(day), year(y)),
        None => format!("{} {}", &c[1], ordinal(day)),
    }
}

fn money(c: &Captures) -> String {
    let (unit, units, cent) = match &c[1] {
        "$" => ("dollar", "dollars", ("cent", "cents")),
        "£" => ("pound", "pounds", ("penny", "pence")),
        _ => ("euro", "euros", ("cent", "cents")),
    };
    let whole = parse(&c[2].replace(',', "")).unwrap_or(0);
    let cents = c.get(3).map(|m| {
        let digits = m.as_str();
        let value = parse(digits).unwrap_or(0);
        if digits.len() == 1 { value * 10 } else { value }
    });
    if let Some(scale) = c.get(4) {
        let amount = match c.get(3) {
            Some(fraction) => decimal(whole, fraction.as_str()),
            None => cardinal(whole),
        };
        return format!("{amount} {} {units}", scale.as_str());
    }
    let main = format!("{} {}", cardinal(whole), if whole == 1 { unit } else { units });
    match cents {
        Some(0) | None => main,
        Some(cents) => format!(
            "{main} and {} {}",
            cardinal(cents),
            if cents == 1 { cent.0 } else { cent.1 }
        ),
    }
}

fn time(c: &Captures) -> String {
    let (Some(hour), Some(minute)) = (parse(&c[1]), parse(&c[2])) else {
        return c[0].to_string();
    };
    if hour > 23 || minute > 59 {
        return c[0].to_string();
    }
    let minutes = match minute {
        0 if c.get(3).is_none() => " o'clock".to_string(),
        0 => String::new(),
        1..=9 => format!(" oh {}", cardinal(minute)),
        _ => format!(" {}", cardinal(minute)),
    };
    let suffix = match c.get(3).map(|m| m.as_str().to_ascii_lowercase()) {
        Some(m) if m == "a" => " a m ",
        Some(_) => " p m ",
        None => "",
    };
    format!("{}{minutes}{suffix}", cardinal(hour))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(input: &str, expected: &str) {
        assert_eq!(normalize_english(input), expected, "for {input:?}");
    }

    #[test]
    fn numbers() {
        says(
            "I have 3 cats and 1,250 fish.",
            "I have three cats and one thousand two hundred fifty fish.",
        );
        says("Pi is 3.14.", "Pi is three point one four.");
        says("It was -5 degrees.", "It was minus five degrees.");
        says(
            "Call 1234567890123456789",
            "Call one two three four five six seven eight nine zero one two three four five six seven eight nine",
        );
    }

    #[test]
    fn money_and_percentages() {
        says("It costs $12.50.", "It costs twelve dollars and fifty cents.");
        says("Only $1!", "Only one dollar!");
        says("A £5 note", "A five pounds note");
        says("€3.5 million", "three point five million euros");
        says("Up 15% today", "Up fifteen percent today");
    }

    #[test]
    fn dates_years_and_times() {
        says("Born in 1990.", "Born in nineteen ninety.");
        says(
            "On March 5, 2024 we met.",
            "On March fifth, twenty twenty-four we met.",
        );
        says("Due 2024-07-04.", "Due July fourth, twenty twenty-four.");
        says("the 21st century", "the twenty-first century");
        says("Meet at 3:30 pm today.", "Meet at three thirty p m today.");
        says("At 9:05 sharp", "At nine oh five sharp");
        says("At 10:00.", "At ten o'clock.");
    }

    #[test]
    fn abbreviations() {
        says(
            "Dr. Smith met Mr. Jones on St. Patrick's day.",
            "Doctor Smith met Mister Jones on Saint Patrick's day.",
        );
        says(
            "Fruit, e.g. apples, etc.",
            "Fruit, for example, apples, et cetera.",
        );
        says("Tom & Jerry", "Tom and Jerry");
    }
}
