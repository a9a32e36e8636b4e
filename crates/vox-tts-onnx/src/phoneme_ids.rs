//! Kokoro's alphabet, which hibari shares: misaki's symbols, a vocabulary of single characters,
//! and the boundary token 0 at each end of a piece.

use std::collections::HashMap;
use std::path::Path;

use crate::TtsError;

/// Whose conventions a speaker learnt: misaki's American English writes no vowel length, a flap
/// as `T` and r-coloured vowels with their `ɹ`; the other speakers keep espeak-ng's IPA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accent {
    American,
    Other,
}

/// Kokoro was trained on misaki's symbols, which write English diphthongs and affricates as
/// single letters; espeak-ng's IPA is mapped onto them. American speakers get misaki's American
/// spelling too: read with espeak-ng's length marks and flaps, hibari misheard about one word in
/// ten ("leaves at seven forty-five" came back as "Lee was at 7'4'5'").
pub fn kokoro_symbols(ipa: &str, accent: Accent) -> String {
    let shared = [
        ("eɪ", "A"),
        ("aɪ", "I"),
        ("aʊ", "W"),
        ("ɔɪ", "Y"),
        ("oʊ", "O"),
        ("əʊ", "Q"),
        ("tʃ", "ʧ"),
        ("dʒ", "ʤ"),
        ("ɜːɹ", "ɜɹ"),
        ("ɚ", "əɹ"),
    ];
    let american = [("ɔːɹ", "ɔɹ"), ("oːɹ", "ɔɹ"), ("ɜː", "ɜɹ"), ("ɾ", "T"), ("ː", "")];
    let rules = match accent {
        Accent::American => &[&shared[..], &american[..]][..],
        Accent::Other => &[&shared[..]][..],
    };
    rules
        .iter()
        .flat_map(|set| set.iter())
        .fold(ipa.to_string(), |text, (from, to)| text.replace(from, to))
}

/// `symbols` as ids, at most `max` of them, between the two boundary tokens.
pub fn ids(vocab: &HashMap<char, i64>, symbols: &str, max: usize) -> Vec<i64> {
    let mut ids = vec![0];
    ids.extend(symbols.chars().filter_map(|c| vocab.get(&c).copied()).take(max));
    ids.push(0);
    ids
}

/// `vocab.json`: `{"symbol": id}`, or the same under a `vocab` key.
pub fn load_vocab(path: &Path) -> Result<HashMap<char, i64>, TtsError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| TtsError::Load(format!("{}: {e}", path.display())))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| TtsError::Load(format!("{}: {e}", path.display())))?;
    let map = json
        .get("vocab")
        .unwrap_or(&json)
        .as_object()
        .ok_or_else(|| TtsError::Load(format!("{}: no vocabulary object", path.display())))?;
    Ok(map
        .iter()
        .filter_map(|(symbol, id)| {
            let mut chars = symbol.chars();
            match (chars.next(), chars.next(), id.as_i64()) {
                (Some(c), None, Some(id)) => Some((c, id)),
                _ => None,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diphthongs_become_misaki_letters() {
        assert_eq!(kokoro_symbols("həlˈoʊ", Accent::Other), "həlˈO");
        assert_eq!(kokoro_symbols("tʃˈeɪs", Accent::Other), "ʧˈAs");
    }

    #[test]
    fn american_speakers_get_misakis_american_spelling() {
        // espeak-ng en-us: "forty-five", "birds", "fourteen".
        assert_eq!(kokoro_symbols("fˈɔːɹɾifˈaɪv", Accent::American), "fˈɔɹTifˈIv");
        assert_eq!(kokoro_symbols("bˈɜːdz", Accent::American), "bˈɜɹdz");
        assert_eq!(kokoro_symbols("fˈoːɹtiːn", Accent::American), "fˈɔɹtin");
        assert_eq!(kokoro_symbols("bˈɜːdz", Accent::Other), "bˈɜːdz");
    }

    #[test]
    fn ids_are_bounded_and_padded() {
        let vocab = HashMap::from([('a', 5), ('b', 6)]);
        assert_eq!(ids(&vocab, "abxa", 10), vec![0, 5, 6, 5, 0]);
        assert_eq!(ids(&vocab, "abab", 2), vec![0, 5, 6, 0]);
    }
}
