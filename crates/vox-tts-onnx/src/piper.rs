//! Piper (VITS) voices: phonemes to ids by the voice's own map, one run per piece.

use std::collections::HashMap;
use std::path::Path;

use ort::session::{RunOptions, Session};
use ort::value::Tensor;
use serde::Deserialize;

use crate::TtsError;

pub struct PiperVoice {
    session: Session,
    ids: HashMap<char, i64>,
    fixes: PhonemeFixes,
    pub sample_rate: u32,
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

#[derive(Deserialize)]
struct PiperConfig {
    audio: AudioConfig,
    inference: InferenceConfig,
    phoneme_id_map: HashMap<String, Vec<i64>>,
}

#[derive(Deserialize)]
struct AudioConfig {
    sample_rate: u32,
}

#[derive(Deserialize)]
struct InferenceConfig {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

const PAD: char = '_';
/// Measured on joe: a piece's duration is about `FIXED + (1 - FIXED) * scale` times its
/// duration at scale 1 (scale 2 gives 1.78x, 0.5 gives 0.62x): part of every phoneme does not
/// stretch. The scale for a wanted duration inverts that line.
const FIXED_DURATION_SHARE: f32 = 0.225;
/// Below this the voice garbles; faster speeds stay at about 3.7x.
const MIN_LENGTH_SCALE: f32 = 0.05;

/// The length scale that makes a piece last `1 / speed` of its normal duration.
fn length_scale_for(speed: f32) -> f32 {
    let wanted = 1.0 / speed;
    ((wanted - FIXED_DURATION_SHARE) / (1.0 - FIXED_DURATION_SHARE)).max(MIN_LENGTH_SCALE)
}
const BOS: char = '^';
const EOS: char = '$';

/// Phonemes a Piper voice says wrong, made into ones it says right. Found by ear: each form
/// synthesised five or six times and heard back by whisper-base (noise is sampled, so one
/// hearing proves nothing); `scripts/bench-names` checks names none of this was tuned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhonemeFixes {
    None,
    /// joe drops a word's first "l" before "ɔ": "Laura" is heard as "War" or "wore a" (0 of 6
    /// right), "Lauren" as "Warren", "Laurel" as "Whirl", "Lorenzo" as "Oranzo". A doubled "l"
    /// holds it (5 of 6, 5 of 5, 5 of 5, 4 of 5). joe also blurs espeak-ng's long "ɔː" before
    /// "ɹ" ("Florida" heard as "Ford"): the short "ɔɹ" (as misaki's American spelling writes
    /// it) is heard right 5 of 5. Doubling other onsets made them worse ("Lucy" 2 of 5 -> 0).
    Joe,
}

impl PhonemeFixes {
    fn for_model(model: &Path) -> Self {
        let name = model.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        match name.starts_with("en_US-joe-") {
            true => Self::Joe,
            false => Self::None,
        }
    }

    fn apply(self, ipa: &str) -> String {
        match self {
            Self::None => ipa.to_string(),
            Self::Joe => ipa
                .replace("ɔːɹ", "ɔɹ")
                .split(' ')
                .map(hold_an_l_before_aw)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

fn hold_an_l_before_aw(word: &str) -> String {
    let rest = word.strip_prefix('l').map(|r| r.trim_start_matches(['ˈ', 'ˌ']));
    match rest {
        Some(rest) if rest.starts_with('ɔ') => format!("l{word}"),
        _ => word.to_string(),
    }
}

impl PiperVoice {
    /// `model` is the `.onnx`; its `.onnx.json` sits beside it.
    pub fn load(session: Session, model: &Path) -> Result<Self, TtsError> {
        let config_path = model.with_extension("onnx.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| TtsError::Load(format!("{}: {e}", config_path.display())))?;
        let config: PiperConfig = serde_json::from_str(&text)
            .map_err(|e| TtsError::Load(format!("{}: {e}", config_path.display())))?;
        let ids = config
            .phoneme_id_map
            .into_iter()
            .filter_map(|(symbol, ids)| {
                let mut chars = symbol.chars();
                match (chars.next(), chars.next(), ids.first()) {
                    (Some(c), None, Some(&id)) => Some((c, id)),
                    _ => None,
                }
            })
            .collect();
        Ok(Self {
            session,
            ids,
            fixes: PhonemeFixes::for_model(model),
            sample_rate: config.audio.sample_rate,
            noise_scale: config.inference.noise_scale,
            length_scale: config.inference.length_scale,
            noise_w: config.inference.noise_w,
        })
    }

    /// Piper's id layout: BOS, then every phoneme followed by a pad, then EOS. Symbols the voice
    /// does not know are skipped.
    fn phoneme_ids(&self, ipa: &str) -> Vec<i64> {
        let id = |c: char| self.ids.get(&c).copied();
        let (Some(pad), Some(bos), Some(eos)) = (id(PAD), id(BOS), id(EOS)) else {
            return Vec::new();
        };
        let mut out = vec![bos, pad];
        let ipa = self.fixes.apply(ipa);
        for known in ipa.chars().filter_map(id) {
            out.extend([known, pad]);
        }
        out.push(eos);
        out
    }

    /// `speed` 2.0 speaks twice as fast; `cancel` stops the run when its request has gone.
    pub fn speak(&mut self, ipa: &str, speed: f32, cancel: &RunOptions) -> Result<Vec<f32>, TtsError> {
        let ids = self.phoneme_ids(ipa);
        if ids.len() <= 3 {
            return Ok(Vec::new());
        }
        let run = |e: ort::Error| TtsError::Synthesis(format!("piper: {e}"));
        let length = ids.len() as i64;
        let input = Tensor::from_array(([1usize, ids.len()], ids)).map_err(run)?;
        let lengths = Tensor::from_array(([1usize], vec![length])).map_err(run)?;
        let length_scale = self.length_scale * length_scale_for(speed);
        let scales = vec![self.noise_scale, length_scale, self.noise_w];
        let scales = Tensor::from_array(([3usize], scales)).map_err(run)?;
        let outputs = self
            .session
            .run_with_options(
                ort::inputs!["input" => input, "input_lengths" => lengths, "scales" => scales],
                cancel,
            )
            .map_err(run)?;
        let (_, samples) = outputs[0].try_extract_tensor::<f32>().map_err(run)?;
        Ok(samples.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joe_holds_the_l_before_aw_and_shortens_aw_before_r() {
        let joe = PhonemeFixes::for_model(Path::new("/m/en_US-joe-medium.onnx"));
        assert_eq!(joe, PhonemeFixes::Joe);
        assert_eq!(
            joe.apply("hɛlˈoʊ, lˈɔːɹə ænd lɔːɹˈɛnzoʊ ænd lˈuːsi."),
            "hɛlˈoʊ, llˈɔɹə ænd llɔɹˈɛnzoʊ ænd lˈuːsi."
        );
        assert_eq!(joe.apply("flˈɔːɹɪdə pˈɔːl"), "flˈɔɹɪdə pˈɔːl");
        let other = PhonemeFixes::for_model(Path::new("/m/en_GB-alan-medium.onnx"));
        assert_eq!(other.apply("lˈɔːɹə"), "lˈɔːɹə");
    }
}
