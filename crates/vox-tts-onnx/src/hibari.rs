//! hibari: a 6.2 M-parameter English voice distilled from Kokoro's af_heart. It reads Kokoro's
//! phoneme ids and predicts spectra; [`Vocoder`] turns them into 24 kHz audio. About 20 times
//! faster than Kokoro here, so a first clause is heard almost at once.

use std::collections::HashMap;
use std::path::Path;

use ort::session::{RunOptions, Session};
use ort::value::Tensor;
use rand::SeedableRng;

use crate::TtsError;
use crate::phoneme_ids::{self, Accent, kokoro_symbols};
use crate::vocoder::{BINS, Spectra, Vocoder, VoiceShift};

pub use crate::vocoder::SAMPLE_RATE;

/// The speakers hibari can render: the teacher's own voice, and brighter one (higher pitch,
/// formants moved up as a shorter vocal tract has them) that sounds like another woman.
pub const SPEAKERS: [(&str, VoiceShift); 2] = [
    ("heart", VoiceShift::NONE),
    (
        "heart_bright",
        VoiceShift {
            pitch: 1.14,
            formants: 1.07,
        },
    ),
];
/// Longer pieces are cut by the text front end long before this; the model was trained on
/// sentences up to about 400 phonemes.
const MAX_PHONEMES: usize = 400;
const OUTPUTS: [&str; 6] = ["lh", "theta", "ln", "lr", "phi", "f0"];

pub struct HibariModel {
    session: Session,
    vocab: HashMap<char, i64>,
    vocoder: Vocoder,
}

/// The noise branch's source is seeded per piece, so one text always sounds the same.
const NOISE_SEED: u64 = 0x7669_6f78;

impl HibariModel {
    pub fn load(session: Session, dir: &Path) -> Result<Self, TtsError> {
        let vocab = phoneme_ids::load_vocab(&dir.join("vocab.json"))?;
        let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        if outputs != OUTPUTS {
            return Err(TtsError::Load(format!(
                "hibari: expected outputs {OUTPUTS:?}, found {outputs:?}"
            )));
        }
        Ok(Self {
            session,
            vocab,
            vocoder: Vocoder::default(),
        })
    }

    /// Loads `hibari.onnx` from `dir` on the ONNX Runtime library `onnx_runtime`.
    pub fn open(onnx_runtime: &Path, dir: &Path, threads: usize) -> Result<Self, TtsError> {
        Self::load(
            crate::onnx::session(onnx_runtime, &dir.join("hibari.onnx"), threads)?,
            dir,
        )
    }

    pub fn speaker_names() -> Vec<String> {
        SPEAKERS.iter().map(|(name, _)| name.to_string()).collect()
    }

    /// `ipa` from espeak-ng; `cancel` stops the run when the request has gone.
    pub fn speak(
        &mut self,
        ipa: &str,
        speaker: &str,
        speed: f32,
        cancel: &RunOptions,
    ) -> Result<Vec<f32>, TtsError> {
        // hibari learnt American English only.
        let ids = phoneme_ids::ids(&self.vocab, &kokoro_symbols(ipa, Accent::American), MAX_PHONEMES);
        self.speak_ids(ids, speaker, speed, cancel)
    }

    /// Kokoro phoneme ids (with the boundary 0 at each end) to 24 kHz audio.
    pub fn speak_ids(
        &mut self,
        ids: Vec<i64>,
        speaker: &str,
        speed: f32,
        cancel: &RunOptions,
    ) -> Result<Vec<f32>, TtsError> {
        let shift = SPEAKERS
            .iter()
            .find(|(name, _)| *name == speaker)
            .map(|(_, shift)| *shift)
            .ok_or_else(|| TtsError::Synthesis(format!("hibari has no speaker {speaker}")))?;
        if ids.len() <= 2 {
            return Ok(Vec::new());
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(NOISE_SEED ^ ids.len() as u64);
        let spectra = self.spectra(ids, speed, cancel)?;
        Ok(self.vocoder.synthesize(&spectra, shift, &mut rng))
    }

    /// Runs the network on `ids` (with their boundary pads).
    fn spectra(&mut self, ids: Vec<i64>, speed: f32, cancel: &RunOptions) -> Result<Spectra, TtsError> {
        let run = |e: ort::Error| TtsError::Synthesis(format!("hibari: {e}"));
        let ids = Tensor::from_array(([1usize, ids.len()], ids)).map_err(run)?;
        let speed = Tensor::from_array(([1usize], vec![speed])).map_err(run)?;
        let outputs = self
            .session
            .run_with_options(ort::inputs!["ids" => ids, "speed" => speed], cancel)
            .map_err(run)?;
        let take = |name: &str| -> Result<(Vec<i64>, Vec<f32>), TtsError> {
            let (shape, values) = outputs[name].try_extract_tensor::<f32>().map_err(run)?;
            Ok((shape.to_vec(), values.to_vec()))
        };
        let (shape, lh) = take("lh")?;
        let frames = match shape.as_slice() {
            [1, bins, frames] if *bins == BINS as i64 => *frames as usize,
            other => return Err(TtsError::Synthesis(format!("hibari: lh has shape {other:?}"))),
        };
        let spectrum = |(_, values): (Vec<i64>, Vec<f32>), name: &str| {
            if values.len() == BINS * frames {
                Ok(values)
            } else {
                Err(TtsError::Synthesis(format!("hibari: {name} does not match lh")))
            }
        };
        let f0 = take("f0")?.1;
        if f0.len() != frames {
            return Err(TtsError::Synthesis("hibari: f0 does not match lh".into()));
        }
        Ok(Spectra {
            frames,
            lh,
            theta: spectrum(take("theta")?, "theta")?,
            ln: spectrum(take("ln")?, "ln")?,
            lr: spectrum(take("lr")?, "lr")?,
            phi: spectrum(take("phi")?, "phi")?,
            f0,
        })
    }
}
