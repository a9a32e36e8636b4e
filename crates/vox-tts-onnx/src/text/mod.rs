//! The text front end: language, normalisation (English), pieces to synthesise one at a time,
//! and phonemes with the punctuation the voices use for prosody.

mod language;
mod normalize;
mod numbers;
mod segment;

pub use language::Language;
pub use normalize::normalize_english;

use crate::espeak;

/// Punctuation kept in the phoneme string: espeak-ng drops it, the voices were trained with it.
const PROSODY_MARKS: &[char] = &[',', '.', ';', ':', '!', '?', '¡', '¿', '—', '…', '"', '(', ')'];

/// `text` in speakable pieces, in order.
pub fn pieces(text: &str, language: Language) -> Vec<String> {
    let text = match language {
        Language::English => normalize_english(text),
        // espeak-ng reads numbers in these languages itself.
        _ => text.to_string(),
    };
    // Markdown was turned into speech upstream (`vox_pipeline::for_the_ear`).
    segment::pieces(&text)
}

/// IPA of one piece in espeak-ng's `voice` (`en-us`, `en-gb`, `fr`...), punctuation put back
/// where it was.
pub fn phonemes(piece: &str, voice: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut run = String::new();
    for c in piece.chars() {
        if PROSODY_MARKS.contains(&c) {
            push_run(&mut out, &mut run, voice)?;
            out.push(c);
        } else {
            run.push(c);
        }
    }
    push_run(&mut out, &mut run, voice)?;
    Ok(out.trim().to_string())
}

fn push_run(out: &mut String, run: &mut String, voice: &str) -> Result<(), String> {
    if run.chars().any(char::is_alphanumeric) {
        let ipa = espeak::phonemize(run, voice)?;
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(&ipa);
    }
    if run.ends_with(char::is_whitespace) && !out.is_empty() {
        out.push(' ');
    }
    run.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_survives_phonemisation() {
        let ipa = phonemes("Hello, world!", Language::English.espeak_voice()).unwrap();
        assert!(ipa.contains(','), "{ipa}");
        assert!(ipa.ends_with('!'), "{ipa}");
        assert!(ipa.contains("wˈɜːld"), "{ipa}");
    }

    #[test]
    fn english_is_normalised_before_cutting() {
        assert_eq!(
            pieces("Dr. Who paid $5.", Language::English),
            vec!["Doctor Who paid five dollars."]
        );
    }
}
