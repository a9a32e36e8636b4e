//! Audio files on the client side: answers written as they stream in the format the file name
//! asks for, and spoken prompts read for `input_audio`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use vox_audio::{OutputFormat, StreamEncoder};

use super::failure::Failure;

/// `--format`, else the file's extension, else WAV.
pub fn output_format(path: &Path, format: Option<&str>) -> Result<OutputFormat, Failure> {
    let name = format
        .map(str::to_string)
        .or_else(|| path.extension().map(|e| e.to_string_lossy().to_lowercase()))
        .unwrap_or_else(|| "wav".into());
    Ok(match name.as_str() {
        "wav" => OutputFormat::Wav,
        "mp3" => OutputFormat::Mp3,
        "flac" => OutputFormat::Flac,
        "opus" | "ogg" => OutputFormat::Opus,
        "aac" => OutputFormat::Aac,
        "pcm" | "pcm16" | "raw" => OutputFormat::Pcm16,
        other => {
            return Err(Failure::config(format!(
                "unknown audio format '{other}' (wav, mp3, flac, opus, aac, pcm)"
            )));
        }
    })
}

/// Streamed pcm16 (24 kHz, base64 pieces) into a file of any format, written as it arrives.
pub struct AnswerWriter {
    file: File,
    encoder: Box<dyn StreamEncoder>,
    pub path: PathBuf,
}

impl AnswerWriter {
    pub fn create(path: &Path, format: OutputFormat) -> Result<Self, Failure> {
        let file = File::create(path).map_err(|e| Failure::config(format!("{}: {e}", path.display())))?;
        let encoder = vox_audio::stream_encoder(format).map_err(|e| Failure::config(e.to_string()))?;
        Ok(Self {
            file,
            encoder,
            path: path.to_path_buf(),
        })
    }

    pub fn push_base64_pcm16(&mut self, data: &str) -> Result<(), Failure> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| Failure::network(format!("bad audio data: {e}")))?;
        let samples: Vec<f32> = bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect();
        let encoded = self
            .encoder
            .push(&samples)
            .map_err(|e| Failure::config(e.to_string()))?;
        self.write(&encoded)
    }

    pub fn finish(mut self) -> Result<PathBuf, Failure> {
        let tail = self
            .encoder
            .finish()
            .map_err(|e| Failure::config(e.to_string()))?;
        self.write(&tail)?;
        Ok(self.path)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.file
            .write_all(bytes)
            .map_err(|e| Failure::config(format!("{}: {e}", self.path.display())))
    }
}

/// A spoken prompt as `input_audio`: WAV and MP3 go as they are (every server takes them);
/// anything else Vox can read is converted to WAV first.
pub fn input_audio(path: &Path) -> Result<serde_json::Value, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::config(format!("{}: {e}", path.display())))?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (bytes, format) = match extension.as_str() {
        "wav" | "mp3" => (bytes, extension),
        _ => {
            let limits = vox_audio::DecodeLimits {
                max_bytes: 100 * 1024 * 1024,
                max_duration: std::time::Duration::from_secs(3600),
                max_decoded_bytes: None,
            };
            let audio = vox_audio::decode(&bytes, &limits)
                .map_err(|e| Failure::config(format!("{}: {e}", path.display())))?;
            let samples = vox_audio::resample(&audio.samples, audio.sample_rate, vox_audio::OUTPUT_RATE)
                .map_err(|e| Failure::config(e.to_string()))?;
            let wav =
                vox_audio::encode(OutputFormat::Wav, &samples).map_err(|e| Failure::config(e.to_string()))?;
            (wav, "wav".to_string())
        }
    };
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(serde_json::json!({"type": "input_audio", "input_audio": {"data": data, "format": format}}))
}
