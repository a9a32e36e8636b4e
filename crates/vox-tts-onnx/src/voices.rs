//! OpenAI's voice names and the speakers behind them, and the speaker that reads a text in
//! another language.
//!
//! The quickstart's three voices must start speaking at once, so they are the fast models:
//! alloy is hibari (distilled from Kokoro's af_heart), echo Piper joe, shimmer hibari moved to a
//! brighter speaker (pitch and formants raised). The other names are native English Kokoro
//! speakers whose character fits the name, the ones that carry it where Kokoro has one (fable,
//! nova, onyx). Every Kokoro speaker is also a voice by its own name (`af_heart`, `ff_siwis`,
//! `jf_alpha`...). A voice whose model is not installed (the `test` profile has no Kokoro) is
//! spoken by an installed speaker of the same gender.

use vox_engine::voices::{VoiceCatalog, VoiceProfile};

use crate::text::Language;

pub const PIPER: &str = "piper";
pub const KOKORO: &str = "kokoro";
pub const HIBARI: &str = "hibari";
pub const PIPER_JOE: &str = "en_US-joe-medium";
pub const HIBARI_HEART: &str = "heart";
pub const HIBARI_BRIGHT: &str = "heart_bright";

/// (name, model, speaker, speed, description)
const BUILTIN: [(&str, &str, &str, f64, &str); 13] = [
    (
        "alloy",
        HIBARI,
        HIBARI_HEART,
        1.0,
        "warm and even (hibari, from Kokoro af_heart)",
    ),
    ("echo", PIPER, PIPER_JOE, 1.0, "warm, resonant (Piper joe)"),
    (
        "shimmer",
        HIBARI,
        HIBARI_BRIGHT,
        1.0,
        "bright and clear (hibari, higher and lighter)",
    ),
    (
        "ash",
        KOKORO,
        "am_michael",
        1.0,
        "clear and confident (Kokoro am_michael)",
    ),
    (
        "ballad",
        KOKORO,
        "bm_george",
        0.95,
        "British, soft storyteller (Kokoro bm_george)",
    ),
    (
        "coral",
        KOKORO,
        "af_bella",
        1.0,
        "friendly and lively (Kokoro af_bella)",
    ),
    (
        "fable",
        KOKORO,
        "bm_fable",
        1.0,
        "British, expressive (Kokoro bm_fable)",
    ),
    (
        "nova",
        KOKORO,
        "af_nova",
        1.0,
        "bright and youthful (Kokoro af_nova)",
    ),
    ("onyx", KOKORO, "am_onyx", 1.0, "deep and steady (Kokoro am_onyx)"),
    (
        "sage",
        KOKORO,
        "bf_emma",
        1.0,
        "British, calm and measured (Kokoro bf_emma)",
    ),
    (
        "verse",
        KOKORO,
        "am_puck",
        1.0,
        "expressive, brisk (Kokoro am_puck)",
    ),
    (
        "marin",
        KOKORO,
        "af_sarah",
        1.0,
        "natural and conversational (Kokoro af_sarah)",
    ),
    (
        "cedar",
        KOKORO,
        "am_fenrir",
        1.0,
        "natural, grounded (Kokoro am_fenrir)",
    ),
];

/// The native Kokoro speakers of the other languages it learnt with espeak-ng phonemes:
/// (language, female, male). French has only a woman's voice.
const NATIVE: [(Language, &str, &str); 4] = [
    (Language::French, "ff_siwis", "ff_siwis"),
    (Language::Spanish, "ef_dora", "em_alex"),
    (Language::Italian, "if_sara", "im_nicola"),
    (Language::Portuguese, "pf_dora", "pm_alex"),
];
/// Reads a language no installed speaker is native in (German): of Kokoro's speakers, the
/// one Whisper understood best in French before the native packs came.
const FOREIGN_READER: &str = "jm_kumo";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
        }
    }
}

/// Who a speaker is: the accent they were recorded in and their gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speaker {
    /// BCP 47: `en-US`, `en-GB`, `fr-FR`...
    pub language: &'static str,
    pub gender: Gender,
}

impl Speaker {
    /// Known for the built-in models; Kokoro names say it (`af_`: American female, `bm_`:
    /// British male, `ff_`: French female...).
    pub fn of(model: &str, speaker: &str) -> Option<Self> {
        match model {
            PIPER if speaker == PIPER_JOE => Some(Self::new("en-US", Gender::Male)),
            HIBARI => Some(Self::new("en-US", Gender::Female)),
            KOKORO => {
                let mut letters = speaker.chars();
                let language = match letters.next()? {
                    'a' => "en-US",
                    'b' => "en-GB",
                    'e' => "es-ES",
                    'f' => "fr-FR",
                    'h' => "hi-IN",
                    'i' => "it-IT",
                    'j' => "ja-JP",
                    'p' => "pt-BR",
                    'z' => "zh-CN",
                    _ => return None,
                };
                let gender = match letters.next()? {
                    'f' => Gender::Female,
                    'm' => Gender::Male,
                    _ => return None,
                };
                Some(Self::new(language, gender))
            }
            _ => None,
        }
    }

    fn new(language: &'static str, gender: Gender) -> Self {
        Self { language, gender }
    }

    fn speaks(&self, language: Language) -> bool {
        Language::from_code(self.language) == Some(language)
    }

    /// espeak-ng's voice for `language` as this speaker says it: British English for British
    /// speakers (espeak-ng names that voice `en`; `en-gb` is only its language tag), the
    /// language's own voice otherwise.
    pub fn espeak_voice(&self, language: Language) -> &'static str {
        match language {
            Language::English if self.language == "en-GB" => "en",
            _ => language.espeak_voice(),
        }
    }
}

/// The Kokoro speaker that reads `language` for a voice of `gender` when the voice's own
/// speaker is not native in it; `None` for English (every voice speaks it).
pub fn native_reader(
    language: Language,
    gender: Option<Gender>,
    installed: impl Fn(&str) -> bool,
) -> Option<&'static str> {
    if language == Language::English {
        return None;
    }
    NATIVE
        .iter()
        .find(|(native, _, _)| *native == language)
        .map(|(_, female, male)| match gender {
            Some(Gender::Male) => *male,
            _ => *female,
        })
        .filter(|speaker| installed(speaker))
        .or_else(|| installed(FOREIGN_READER).then_some(FOREIGN_READER))
}

/// Whether `voice` can read `language` itself.
pub fn is_native(voice: &VoiceProfile, language: Language) -> bool {
    Speaker::of(&voice.model, &voice.speaker).is_some_and(|s| s.speaks(language))
}

pub struct Catalog {
    voices: Vec<VoiceProfile>,
}

impl Catalog {
    /// The built-in names, every Kokoro speaker by its own name, then `custom` ones (a custom
    /// entry with a known name replaces it); `available` says whether a model/speaker pair can
    /// be spoken here.
    pub fn new(
        custom: Vec<VoiceProfile>,
        kokoro_speakers: &[String],
        available: impl Fn(&str, &str) -> bool,
    ) -> Self {
        let mut voices: Vec<VoiceProfile> = BUILTIN
            .iter()
            .map(|(id, model, speaker, speed, description)| profile(id, model, speaker, *speed, description))
            .collect();
        let mut speakers = kokoro_speakers.to_vec();
        speakers.sort();
        voices.extend(
            speakers
                .iter()
                .map(|speaker| profile(speaker, KOKORO, speaker, 1.0, &format!("Kokoro {speaker}"))),
        );
        for voice in custom {
            voices.retain(|v| v.id != voice.id);
            voices.push(voice);
        }
        for voice in &mut voices {
            if !available(&voice.model, &voice.speaker) {
                stand_in(voice, &available);
            }
            let speaker = Speaker::of(&voice.model, &voice.speaker);
            voice.language = speaker.map(|s| s.language.to_string());
            voice.gender = speaker.map(|s| s.gender.as_str().to_string());
        }
        Self { voices }
    }
}

fn profile(id: &str, model: &str, speaker: &str, speed: f64, description: &str) -> VoiceProfile {
    VoiceProfile {
        id: id.to_string(),
        model: model.to_string(),
        speaker: speaker.to_string(),
        speed,
        description: Some(description.to_string()),
        language: None,
        gender: None,
    }
}

/// An installed speaker of the same gender speaks for a voice whose model is missing: hibari
/// for women when it is installed, Piper joe otherwise.
fn stand_in(voice: &mut VoiceProfile, available: &impl Fn(&str, &str) -> bool) {
    let female = Speaker::of(&voice.model, &voice.speaker).is_some_and(|s| s.gender == Gender::Female);
    let (model, speaker) = if female && available(HIBARI, HIBARI_HEART) {
        (HIBARI, HIBARI_HEART)
    } else {
        (PIPER, PIPER_JOE)
    };
    voice.description = Some(format!(
        "{} -- spoken by {model} {speaker} here: {} {} is not installed",
        voice.description.as_deref().unwrap_or(""),
        voice.model,
        voice.speaker
    ));
    voice.model = model.into();
    voice.speaker = speaker.into();
}

impl VoiceCatalog for Catalog {
    fn list(&self) -> Vec<VoiceProfile> {
        self.voices.clone()
    }

    fn resolve(&self, id: &str) -> Option<VoiceProfile> {
        self.voices.iter().find(|v| v.id == id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAI: [&str; 13] = [
        "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse",
        "marin", "cedar",
    ];

    fn everything() -> Catalog {
        let speakers = [
            "af_heart".to_string(),
            "ff_siwis".to_string(),
            "jf_alpha".to_string(),
        ];
        Catalog::new(vec![], &speakers, |_, _| true)
    }

    #[test]
    fn every_openai_voice_is_a_native_english_speaker_and_the_quickstart_three_differ() {
        let catalog = everything();
        for name in OPENAI {
            let voice = catalog.resolve(name).unwrap();
            assert!(voice.language.as_deref().unwrap().starts_with("en-"), "{voice:?}");
            assert!(voice.gender.is_some(), "{voice:?}");
        }
        let speaker = |id: &str| catalog.resolve(id).map(|v| (v.model, v.speaker)).unwrap();
        assert_ne!(speaker("alloy"), speaker("echo"));
        assert_ne!(speaker("alloy"), speaker("shimmer"));
        assert_ne!(speaker("echo"), speaker("shimmer"));
        for fast in ["alloy", "echo", "shimmer"] {
            assert_ne!(speaker(fast).0, KOKORO, "{fast} must be a fast model");
        }
    }

    #[test]
    fn kokoro_speakers_are_voices_by_their_own_names() {
        let catalog = everything();
        let siwis = catalog.resolve("ff_siwis").unwrap();
        assert_eq!(
            (siwis.language.as_deref(), siwis.gender.as_deref()),
            (Some("fr-FR"), Some("female"))
        );
        assert_eq!(
            catalog.resolve("jf_alpha").unwrap().language.as_deref(),
            Some("ja-JP")
        );
        assert_eq!(catalog.list().len(), 16);
    }

    #[test]
    fn a_missing_model_is_stood_in_for_by_the_same_gender() {
        let catalog = Catalog::new(vec![], &[], |model, _| model != KOKORO);
        let coral = catalog.resolve("coral").unwrap();
        assert_eq!(
            (coral.model.as_str(), coral.speaker.as_str()),
            (HIBARI, HIBARI_HEART)
        );
        let onyx = catalog.resolve("onyx").unwrap();
        assert_eq!((onyx.model.as_str(), onyx.speaker.as_str()), (PIPER, PIPER_JOE));
        let piper_only = Catalog::new(vec![], &[], |model, _| model == PIPER);
        assert_eq!(piper_only.resolve("alloy").unwrap().model, PIPER);
    }

    #[test]
    fn other_languages_go_to_a_native_speaker_of_the_voices_gender() {
        let all = |_: &str| true;
        assert_eq!(
            native_reader(Language::French, Some(Gender::Male), all),
            Some("ff_siwis")
        );
        assert_eq!(
            native_reader(Language::Spanish, Some(Gender::Male), all),
            Some("em_alex")
        );
        assert_eq!(
            native_reader(Language::Spanish, Some(Gender::Female), all),
            Some("ef_dora")
        );
        assert_eq!(
            native_reader(Language::German, Some(Gender::Female), all),
            Some(FOREIGN_READER)
        );
        assert_eq!(native_reader(Language::English, Some(Gender::Female), all), None);
        assert_eq!(
            native_reader(Language::French, None, |s: &str| s == FOREIGN_READER),
            Some(FOREIGN_READER)
        );
        assert_eq!(native_reader(Language::French, None, |_: &str| false), None);
    }

    #[test]
    fn british_speakers_read_english_as_british() {
        let george = Speaker::of(KOKORO, "bm_george").unwrap();
        assert_eq!(george.espeak_voice(Language::English), "en");
        let ipa = crate::text::phonemes("tomato", "en").unwrap();
        assert!(ipa.contains("ɑː"), "British 'tomato': {ipa}");
        assert_eq!(george.espeak_voice(Language::French), "fr");
        assert_eq!(
            Speaker::of(PIPER, PIPER_JOE)
                .unwrap()
                .espeak_voice(Language::English),
            "en-us"
        );
    }

    #[test]
    fn custom_voices_join_or_replace() {
        let custom = VoiceProfile {
            speed: 0.85,
            ..profile("narrator", PIPER, PIPER_JOE, 1.0, "")
        };
        let catalog = Catalog::new(vec![custom], &[], |_, _| true);
        assert_eq!(catalog.resolve("narrator").unwrap().speed, 0.85);
        assert_eq!(catalog.list().len(), 14);
    }
}
