//! English number words: cardinals, ordinals, years, decimals.

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const SCALES: [(u64, &str); 4] = [
    (1_000_000_000_000, "trillion"),
    (1_000_000_000, "billion"),
    (1_000_000, "million"),
    (1_000, "thousand"),
];

pub fn cardinal(n: u64) -> String {
    if n < 20 {
        return ONES[n as usize].to_string();
    }
    if n < 100 {
        let (tens, ones) = (n / 10, n % 10);
        return match ones {
            0 => TENS[tens as usize].to_string(),
            _ => format!("{}-{}", TENS[tens as usize], ONES[ones as usize]),
        };
    }
    if n < 1000 {
        let (hundreds, rest) = (n / 100, n % 100);
        return match rest {
            0 => format!("{} hundred", ONES[hundreds as usize]),
            _ => format!("{} hundred {}", ONES[hundreds as usize], cardinal(rest)),
        };
    }
    for (scale, name) in SCALES {
        if n >= scale {
            let (high, rest) = (n / scale, n % scale);
            return match rest {
                0 => format!("{} {name}", cardinal(high)),
                _ => format!("{} {name} {}", cardinal(high), cardinal(rest)),
            };
        }
    }
    unreachable!("every n >= 1000 has a scale")
}

/// "first", "twenty-second", "one hundredth".
pub fn ordinal(n: u64) -> String {
    let words = cardinal(n);
    let (head, last) = match words.rfind([' ', '-']) {
        Some(i) => words.split_at(i + 1),
        None => ("", words.as_str()),
    };
    let last = match last {
        "one" => "first".to_string(),
        "two" => "second".to_string(),
        "three" => "third".to_string(),
        "five" => "fifth".to_string(),
        "eight" => "eighth".to_string(),
        "nine" => "ninth".to_string(),
        "twelve" => "twelfth".to_string(),
        w if w.ends_with('y') => format!("{}ieth", &w[..w.len() - 1]),
        w => format!("{w}th"),
    };
    format!("{head}{last}")
}

/// Years as people say them: "nineteen ninety", "two thousand five", "twenty twenty-four".
pub fn year(n: u64) -> String {
    match n {
        2000..=2009 => cardinal(n),
        1100..=9999 if n.is_multiple_of(100) && !n.is_multiple_of(1000) => {
            format!("{} hundred", cardinal(n / 100))
        }
        1100..=9999 => {
            let (high, low) = (n / 100, n % 100);
            let low = match low {
                0..=9 => format!("oh {}", ONES[low as usize]),
                _ => cardinal(low),
            };
            format!("{} {low}", cardinal(high))
        }
        _ => cardinal(n),
    }
}

/// "3.14" -> "three point one four"; digits after the point are read one by one.
pub fn decimal(whole: u64, fraction: &str) -> String {
    let digits: Vec<&str> = fraction
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| ONES[d as usize])
        .collect();
    format!("{} point {}", cardinal(whole), digits.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cardinals() {
        assert_eq!(cardinal(0), "zero");
        assert_eq!(cardinal(42), "forty-two");
        assert_eq!(cardinal(115), "one hundred fifteen");
        assert_eq!(cardinal(2_024), "two thousand twenty-four");
        assert_eq!(cardinal(1_000_001), "one million one");
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal(1), "first");
        assert_eq!(ordinal(22), "twenty-second");
        assert_eq!(ordinal(30), "thirtieth");
        assert_eq!(ordinal(100), "one hundredth");
        assert_eq!(ordinal(13), "thirteenth");
    }

    #[test]
    fn years() {
        assert_eq!(year(1990), "nineteen ninety");
        assert_eq!(year(2005), "two thousand five");
        assert_eq!(year(2024), "twenty twenty-four");
        assert_eq!(year(1905), "nineteen oh five");
        assert_eq!(year(1900), "nineteen hundred");
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(3, "14"), "three point one four");
    }
}
