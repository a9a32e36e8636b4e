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
    /// Word starts this voice says wrong, and the phonemes it says right instead.
    word_start_fixes: &'static [(&'static str, &'static str)],
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

/// joe turns "l" into "w" before a stressed "ɔː": "Laura" is heard as "wore a", "Lauren" as
/// "Warren" (0 of 6 tries right, by whisper-base). A doubled "l" holds the onset: 5 of 6 and 5
/// of 5. Found and checked by ear with `scripts/bench-names`; other onsets ("lˈuː" of Lucy)
/// got worse when doubled, so only this one is changed.
const JOE_WORD_START_FIXES: &[(&str, &str)] = &[("lˈɔː", "llˈɔː"), ("lˌɔː", "llˌɔː")];

/// The fixes for the Piper model at `model`, by its file name.
fn word_start_fixes(model: &Path) -> &'static [(&'static str, &'static str)] {
    let name = model.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match name.starts_with("en_US-joe-") {
        true => JOE_WORD_START_FIXES,
        false => &[],
    }
}

/// `ipa` with each word that starts with a fix's first phonemes given its second instead.
fn fix_word_starts(ipa: &str, fixes: &[(&str, &str)]) -> String {
    ipa.split(' ')
        .map(|word| {
            fixes
                .iter()
                .find_map(|(wrong, right)| word.strip_prefix(wrong).map(|rest| format!("{right}{rest}")))
                .unwrap_or_else(|| word.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
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
            word_start_fixes: word_start_fixes(model),
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
        let ipa = fix_word_starts(ipa, self.word_start_fixes);
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
    fn joe_holds_the_l_of_laura() {
        let fixes = word_start_fixes(Path::new("/m/en_US-joe-medium.onnx"));
        assert_eq!(
            fix_word_starts("hɛlˈoʊ, lˈɔːɹə ænd lˈuːsi.", fixes),
            "hɛlˈoʊ, llˈɔːɹə ænd lˈuːsi."
        );
        // Only at a word's start, and only for joe.
        assert_eq!(fix_word_starts("flˈɔːɹɪdə", fixes), "flˈɔːɹɪdə");
        assert!(word_start_fixes(Path::new("/m/en_GB-alan-medium.onnx")).is_empty());
    }
}
