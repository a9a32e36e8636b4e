//! Kokoro-82M: IPA characters to ids by its vocabulary, a style vector per voice chosen by the
//! phoneme count, 24 kHz out.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use ort::session::{RunOptions, Session};
use ort::value::Tensor;

use crate::TtsError;
use crate::phoneme_ids::{self, Accent, kokoro_symbols};

pub const SAMPLE_RATE: u32 = 24_000;
/// Kokoro's context: 510 phonemes plus the two boundary tokens.
const MAX_PHONEMES: usize = 510;
const STYLE_DIM: usize = 256;

pub struct KokoroModel {
    session: Session,
    vocab: HashMap<char, i64>,
    /// Per voice: one style vector per phoneme count (510 x 256).
    voices: HashMap<String, Vec<f32>>,
    input_names: [String; 3],
}

impl KokoroModel {
    pub fn load(session: Session, dir: &Path) -> Result<Self, TtsError> {
        let vocab = phoneme_ids::load_vocab(&dir.join("vocab.json"))?;
        let mut voices = load_voices(&dir.join("voices_ja.npz"))?;
        let packs = dir.join("voices");
        if packs.is_dir() {
            load_raw_packs(&packs, &mut voices)?;
        }
        // Exports name the inputs differently (`tokens` or `input_ids`); their order is fixed.
        let names: Vec<String> = session.inputs().iter().map(|i| i.name().to_string()).collect();
        let input_names: [String; 3] = names
            .try_into()
            .map_err(|names| TtsError::Load(format!("kokoro: expected 3 inputs, found {names:?}")))?;
        Ok(Self {
            session,
            vocab,
            voices,
            input_names,
        })
    }

    pub fn has_voice(&self, name: &str) -> bool {
        self.voices.contains_key(name)
    }

    pub fn voice_names(&self) -> Vec<String> {
        self.voices.keys().cloned().collect()
    }

    /// `cancel` stops the run part-way when the request that wanted it has gone.
    pub fn speak(
        &mut self,
        ipa: &str,
        voice: &str,
        speed: f32,
        cancel: &RunOptions,
    ) -> Result<Vec<f32>, TtsError> {
        let styles = self
            .voices
            .get(voice)
            .ok_or_else(|| TtsError::Synthesis(format!("kokoro has no voice {voice}")))?;
        // Speakers named `a*_` are American; the others learnt their language's own IPA.
        let accent = if voice.starts_with('a') {
            Accent::American
        } else {
            Accent::Other
        };
        let tokens = phoneme_ids::ids(&self.vocab, &kokoro_symbols(ipa, accent), MAX_PHONEMES);
        let phonemes = tokens.len() - 2;
        if phonemes == 0 {
            return Ok(Vec::new());
        }
        // One style row per phoneme count; the pack's last row serves the longest pieces.
        let row = phonemes.min(styles.len() / STYLE_DIM - 1);
        let style = styles[row * STYLE_DIM..(row + 1) * STYLE_DIM].to_vec();
        let run = |e: ort::Error| TtsError::Synthesis(format!("kokoro: {e}"));
        let tokens = Tensor::from_array(([1usize, tokens.len()], tokens)).map_err(run)?;
        let style = Tensor::from_array(([1usize, STYLE_DIM], style)).map_err(run)?;
        let speed = Tensor::from_array(([1usize], vec![speed])).map_err(run)?;
        let [t, s, v] = &self.input_names;
        let outputs = self
            .session
            .run_with_options(
                ort::inputs![t.as_str() => tokens, s.as_str() => style, v.as_str() => speed],
                cancel,
            )
            .map_err(run)?;
        let (_, samples) = outputs[0].try_extract_tensor::<f32>().map_err(run)?;
        Ok(samples.to_vec())
    }
}

/// Voices from a `.npz` (a zip of `.npy` arrays, float32, 510 x 1 x 256 each).
fn load_voices(path: &Path) -> Result<HashMap<String, Vec<f32>>, TtsError> {
    let bad = |e: String| TtsError::Load(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let mut voices = HashMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| bad(e.to_string()))?;
        let Some(name) = entry.name().strip_suffix(".npy").map(str::to_string) else {
            continue;
        };
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| bad(e.to_string()))?;
        let values = npy_f32(&bytes).map_err(|e| bad(format!("{name}: {e}")))?;
        if values.len() != MAX_PHONEMES * STYLE_DIM {
            return Err(bad(format!(
                "{name}: {} values, expected 510 x 256",
                values.len()
            )));
        }
        voices.insert(name, values);
    }
    Ok(voices)
}

/// Voice packs as raw little-endian float32 files (`<speaker>.bin`, 510 x 256), as Kokoro v1.0
/// publishes them one per speaker; each joins (or replaces) the voices already read.
fn load_raw_packs(dir: &Path, voices: &mut HashMap<String, Vec<f32>>) -> Result<(), TtsError> {
    let bad = |path: &Path, e: String| TtsError::Load(format!("{}: {e}", path.display()));
    let entries = std::fs::read_dir(dir).map_err(|e| bad(dir, e.to_string()))?;
    for entry in entries {
        let path = entry.map_err(|e| bad(dir, e.to_string()))?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".bin"))
        else {
            continue;
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(&path, e.to_string()))?;
        if bytes.len() != MAX_PHONEMES * STYLE_DIM * 4 {
            return Err(bad(
                &path,
                format!("{} bytes, expected 510 x 256 float32", bytes.len()),
            ));
        }
        let values = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        voices.insert(name.to_string(), values);
    }
    Ok(())
}

/// The data of a little-endian float32 `.npy` in C order.
fn npy_f32(bytes: &[u8]) -> Result<Vec<f32>, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array".into());
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err("truncated header".into()),
    };
    let data_start = header_start + header_len;
    let header = std::str::from_utf8(bytes.get(header_start..data_start).ok_or("truncated header")?)
        .map_err(|_| "header is not text")?;
    if !header.contains("'<f4'") || header.contains("'fortran_order': True") {
        return Err(format!("unsupported array: {header}"));
    }
    Ok(bytes[data_start..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_float32_is_read() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(1.5f32.to_le_bytes());
        bytes.extend((-2.0f32).to_le_bytes());
        assert_eq!(npy_f32(&bytes).unwrap(), vec![1.5, -2.0]);
        assert!(npy_f32(b"not numpy").is_err());
    }

    #[test]
    fn a_raw_voice_pack_is_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("vox-kokoro-packs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pack: Vec<u8> = (0..MAX_PHONEMES * STYLE_DIM)
            .flat_map(|i| (i as f32).to_le_bytes())
            .collect();
        std::fs::write(dir.join("af_test.bin"), &pack).unwrap();
        std::fs::write(dir.join("readme.txt"), b"not a pack").unwrap();
        let mut voices = HashMap::new();
        load_raw_packs(&dir, &mut voices).unwrap();
        assert_eq!(voices.keys().collect::<Vec<_>>(), vec!["af_test"]);
        assert_eq!(voices["af_test"][STYLE_DIM + 1], (STYLE_DIM + 1) as f32);
        std::fs::write(dir.join("bf_short.bin"), &pack[..1000]).unwrap();
        assert!(load_raw_packs(&dir, &mut voices).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
