//! OpenAI's voice names and the speakers behind them.
//!
//! alloy, echo and shimmer (the voices Azure's quickstart names) are three different speakers;
//! the other names reuse a speaker at another pace. Kokoro's voice packs available here are
//! Japanese speakers, which speak English from espeak-ng's IPA (whisper transcribes them back).
//! jf_alpha is left out of the built-in names: on eight book and chat sentences whisper-base
//! heard 31 % of its words wrong ("Had he married a more amiable woman" came back as Japanese),
//! against 0 to 4 % for the other four speakers. Configuration can still name it.
//! A voice whose model is not installed (the `test` profile has Piper only) is spoken by Piper.

use vox_engine::voices::{VoiceCatalog, VoiceProfile};

pub const PIPER: &str = "piper";
pub const KOKORO: &str = "kokoro";
pub const PIPER_JOE: &str = "en_US-joe-medium";

/// (name, model, speaker, speed, description)
const BUILTIN: [(&str, &str, &str, f64, &str); 13] = [
    (
        "alloy",
        KOKORO,
        "jf_gongitsune",
        1.0,
        "female, even and clear (Kokoro jf_gongitsune)",
    ),
    ("echo", PIPER, PIPER_JOE, 1.0, "male, warm (Piper joe)"),
    (
        "shimmer",
        KOKORO,
        "jf_nezumi",
        1.0,
        "female, bright (Kokoro jf_nezumi)",
    ),
    ("ash", KOKORO, "jm_kumo", 1.0, "male, calm (Kokoro jm_kumo)"),
    (
        "ballad",
        PIPER,
        PIPER_JOE,
        0.9,
        "male, slower and softer (Piper joe)",
    ),
    (
        "coral",
        KOKORO,
        "jf_tebukuro",
        1.0,
        "female, friendly (Kokoro jf_tebukuro)",
    ),
    (
        "fable",
        KOKORO,
        "jf_nezumi",
        0.95,
        "female, storyteller (Kokoro jf_nezumi, slower)",
    ),
    (
        "nova",
        KOKORO,
        "jf_nezumi",
        1.1,
        "female, lively (Kokoro jf_nezumi, faster)",
    ),
    (
        "onyx",
        KOKORO,
        "jm_kumo",
        0.9,
        "male, deep and slow (Kokoro jm_kumo, slower)",
    ),
    (
        "sage",
        KOKORO,
        "jf_gongitsune",
        0.95,
        "female, measured (Kokoro jf_gongitsune, slower)",
    ),
    ("verse", PIPER, PIPER_JOE, 1.1, "male, brisk (Piper joe, faster)"),
    (
        "marin",
        KOKORO,
        "jf_tebukuro",
        1.05,
        "female, bright (Kokoro jf_tebukuro, faster)",
    ),
    (
        "cedar",
        KOKORO,
        "jm_kumo",
        1.05,
        "male, natural (Kokoro jm_kumo, faster)",
    ),
];

pub struct Catalog {
    voices: Vec<VoiceProfile>,
}

impl Catalog {
    /// The built-in names, then `custom` ones (a custom entry with a built-in name replaces it);
    /// `available` says whether a model/speaker pair can be spoken here.
    pub fn new(custom: Vec<VoiceProfile>, available: impl Fn(&str, &str) -> bool) -> Self {
        let mut voices: Vec<VoiceProfile> = BUILTIN
            .iter()
            .map(|(id, model, speaker, speed, description)| VoiceProfile {
                id: id.to_string(),
                model: model.to_string(),
                speaker: speaker.to_string(),
                speed: *speed,
                description: Some(description.to_string()),
            })
            .collect();
        for voice in custom {
            voices.retain(|v| v.id != voice.id);
            voices.push(voice);
        }
        for voice in &mut voices {
            if !available(&voice.model, &voice.speaker) {
                voice.description = Some(format!(
                    "{} -- spoken by Piper joe here: {} {} is not installed",
                    voice.description.as_deref().unwrap_or(""),
                    voice.model,
                    voice.speaker
                ));
                voice.model = PIPER.into();
                voice.speaker = PIPER_JOE.into();
            }
        }
        Self { voices }
    }
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

    #[test]
    fn every_openai_voice_is_present_and_the_quickstart_three_differ() {
        let catalog = Catalog::new(vec![], |_, _| true);
        let voices = catalog.list();
        for name in [
            "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse",
            "marin", "cedar",
        ] {
            assert!(voices.iter().any(|v| v.id == name), "{name}");
        }
        let speaker = |id: &str| catalog.resolve(id).map(|v| (v.model, v.speaker)).unwrap();
        assert_ne!(speaker("alloy"), speaker("echo"));
        assert_ne!(speaker("alloy"), speaker("shimmer"));
        assert_ne!(speaker("echo"), speaker("shimmer"));
    }

    #[test]
    fn missing_models_fall_back_to_piper() {
        let catalog = Catalog::new(vec![], |model, _| model == PIPER);
        let alloy = catalog.resolve("alloy").unwrap();
        assert_eq!((alloy.model.as_str(), alloy.speaker.as_str()), (PIPER, PIPER_JOE));
        assert_eq!(catalog.resolve("nova").unwrap().speed, 1.1);
    }

    #[test]
    fn custom_voices_join_or_replace() {
        let custom = VoiceProfile {
            id: "narrator".into(),
            model: PIPER.into(),
            speaker: PIPER_JOE.into(),
            speed: 0.85,
            description: None,
        };
        let catalog = Catalog::new(vec![custom], |_, _| true);
        assert_eq!(catalog.resolve("narrator").unwrap().speed, 0.85);
        assert_eq!(catalog.list().len(), 14);
    }
}
