//! Which language a text is in, among those Vox speaks: enough to pick espeak-ng's voice so a
//! French answer is phonemised as French.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    French,
    Spanish,
    German,
    Italian,
    Portuguese,
}

const FRENCH: &[&str] = &[
    "le", "la", "les", "et", "est", "vous", "je", "des", "une", "un", "que", "pas", "bonjour", "c'est", "il",
    "elle", "nous", "avec", "pour", "dans", "sur", "qui", "au", "du", "oui", "merci", "très", "mais", "ce",
    "sont",
];
const SPANISH: &[&str] = &[
    "el", "la", "los", "las", "y", "es", "que", "un", "una", "por", "para", "hola", "cómo", "qué", "con",
    "del", "está", "son", "muy", "pero", "sí", "gracias", "yo", "tu", "usted", "se", "no", "en", "lo", "al",
];
const GERMAN: &[&str] = &[
    "der", "die", "das", "und", "ist", "ich", "sie", "nicht", "ein", "eine", "zu", "mit", "wie", "es", "du",
    "wir", "auf", "für", "den", "dem", "sind", "auch", "hallo", "danke", "ja", "nein", "aber", "was",
    "bitte", "von",
];
// Words the Romance neighbours share ("que", "de", "a", "una", "non") are left to the language
// that uses them most, so each list below tells its own language apart.
const ITALIAN: &[&str] = &[
    "il",
    "di",
    "che",
    "è",
    "sono",
    "per",
    "della",
    "gli",
    "questo",
    "questa",
    "ciao",
    "grazie",
    "anche",
    "molto",
    "ho",
    "hai",
    "nel",
    "alla",
    "alle",
    "buongiorno",
    "perché",
    "cosa",
    "io",
    "lui",
    "noi",
    "voi",
    "loro",
    "sei",
    "delle",
    "dei",
    "mio",
    "mia",
    "vorrei",
    "favore",
    "bene",
    "buona",
    "tutto",
    "prego",
];
const PORTUGUESE: &[&str] = &[
    "não", "você", "obrigado", "obrigada", "olá", "um", "os", "do", "da", "dos", "das", "em", "muito", "sim",
    "eu", "ele", "ela", "nós", "mas", "com", "está", "são", "também", "isso", "bom", "dia", "tudo", "meu",
    "minha", "uma",
];
const ENGLISH: &[&str] = &[
    "the", "and", "is", "are", "you", "of", "to", "what", "it", "in", "a", "that", "this", "with", "for",
    "on", "i", "be", "have", "not", "hello", "yes", "thanks", "can", "how", "do", "was", "my", "your", "he",
];

impl Language {
    /// ISO 639-1 code, as requests and the recogniser name languages.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.get(..2)?.to_ascii_lowercase().as_str() {
            "en" => Some(Self::English),
            "fr" => Some(Self::French),
            "es" => Some(Self::Spanish),
            "de" => Some(Self::German),
            "it" => Some(Self::Italian),
            "pt" => Some(Self::Portuguese),
            _ => None,
        }
    }

    pub fn espeak_voice(self) -> &'static str {
        match self {
            Self::English => "en-us",
            Self::French => "fr",
            Self::Spanish => "es",
            Self::German => "de",
            Self::Italian => "it",
            // Kokoro's Portuguese speakers are Brazilian.
            Self::Portuguese => "pt-br",
        }
    }

    /// By common short words, with letters only one language uses as tie-breakers.
    pub fn detect(text: &str) -> Self {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !(c.is_alphabetic() || c == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        let count = |list: &[&str]| words.iter().filter(|w| list.contains(w)).count() as f64;
        let letters = |set: &str| lower.chars().filter(|c| set.contains(*c)).count() as f64 * 0.5;
        let scores = [
            (Self::English, count(ENGLISH) + 0.1),
            (Self::French, count(FRENCH) + letters("çèêëàâùûœîï")),
            (Self::Spanish, count(SPANISH) + letters("ñ¿¡áíóú")),
            (Self::German, count(GERMAN) + letters("ßäöü")),
            (Self::Italian, count(ITALIAN) + letters("ìò")),
            (Self::Portuguese, count(PORTUGUESE) + letters("ãõ")),
        ];
        scores
            .into_iter()
            .fold((Self::English, f64::MIN), |best, (language, score)| {
                if score > best.1 { (language, score) } else { best }
            })
            .0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_six_languages() {
        let cases = [
            ("Is a golden retriever a good family dog?", Language::English),
            (
                "Bonjour, comment allez-vous aujourd'hui ? C'est très bien.",
                Language::French,
            ),
            ("Hola, ¿cómo estás? Muy bien, gracias.", Language::Spanish),
            (
                "Hola, ¿qué tal? Yo no sé, pero usted tiene razón.",
                Language::Spanish,
            ),
            ("Hallo, wie geht es dir? Ich bin müde.", Language::German),
            (
                "Ciao, come stai? Questo è il mio libro, grazie.",
                Language::Italian,
            ),
            // French shares "un" and "è" with Italian.
            (
                "Buongiorno, vorrei un caffè e un cornetto, per favore.",
                Language::Italian,
            ),
            (
                "Olá, tudo bem? Eu não sei, mas você está certo.",
                Language::Portuguese,
            ),
        ];
        for (text, language) in cases {
            assert_eq!(Language::detect(text), language, "{text}");
        }
    }

    #[test]
    fn text_without_clues_is_english() {
        assert_eq!(Language::detect("42"), Language::English);
    }

    #[test]
    fn codes() {
        assert_eq!(Language::from_code("fr"), Some(Language::French));
        assert_eq!(Language::from_code("de-DE"), Some(Language::German));
        assert_eq!(Language::from_code("pt-BR"), Some(Language::Portuguese));
        assert_eq!(Language::from_code("ja"), None);
    }
}
