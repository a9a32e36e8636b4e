//! Shared by the recognition tests and the benchmark: the labelled utterances of Debian's
//! pocketsphinx-testdata and word error rate as the benchmarks report it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vox_audio::{DecodeLimits, decode_at};
use vox_engine::audio::AudioBuffer;

pub const TESTDATA: &str = "/usr/share/pocketsphinx/test/data";

/// `$VOX_MODELS_DIR`, or the folder scripts/test pulls the test models into.
pub fn models_dir() -> PathBuf {
    std::env::var_os("VOX_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vox-test-models"))
}

/// The 10 labelled utterances: (audio at 16 kHz, reference words).
pub fn utterances() -> Vec<(AudioBuffer, String)> {
    let mut out = Vec::new();
    for (dir, list) in [
        ("librivox", "librivox/transcription"),
        ("cards", "cards/cards.transcription"),
    ] {
        let text = std::fs::read_to_string(Path::new(TESTDATA).join(list))
            .expect("install Debian's pocketsphinx-testdata");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let id = line.rsplit('(').next().unwrap().trim_end_matches(')').trim();
            let words = line.replace("<s>", "").replace("</s>", "");
            let words = words.split('(').next().unwrap().trim().to_string();
            let bytes = std::fs::read(Path::new(TESTDATA).join(dir).join(format!("{id}.wav"))).unwrap();
            out.push((
                decode_at(
                    &bytes,
                    &DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(1800)),
                    16_000,
                )
                .unwrap(),
                words,
            ));
        }
    }
    out
}

/// Lower case, no punctuation, hyphens split, numbers and "Mr" spelled out.
pub fn normalise(text: &str) -> Vec<String> {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '\'' { c } else { ' ' })
        .collect();
    cleaned
        .split_whitespace()
        .flat_map(|w| spell(w).split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn spell(word: &str) -> String {
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
    match (word, word.parse::<usize>()) {
        ("mr", _) => "mister".into(),
        (_, Ok(n)) if n < 20 => ONES[n].into(),
        _ => word.into(),
    }
}

/// Word error rate: edit distance over words.
pub fn errors(reference: &[String], hypothesis: &[String]) -> usize {
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let substitution = previous + usize::from(r != h);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[hypothesis.len()]
}
