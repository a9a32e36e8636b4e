//! Mono f32 samples at 24 kHz -> every output format, as whole files and as streams.

mod aac;
mod flac;
mod mp3;
mod opus;
mod pcm;
mod wav;

use crate::AudioError;

/// The rate every output is encoded at: OpenAI's audio outputs are 24 kHz mono.
pub const OUTPUT_RATE: u32 = 24_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Wav,
    Mp3,
    Flac,
    /// Ogg Opus.
    Opus,
    /// AAC-LC in ADTS frames.
    Aac,
    /// Raw 16-bit signed little-endian, no header.
    Pcm16,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 6] = [
        Self::Wav,
        Self::Mp3,
        Self::Flac,
        Self::Opus,
        Self::Aac,
        Self::Pcm16,
    ];

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Wav => "audio/wav",
            Self::Mp3 => "audio/mpeg",
            Self::Flac => "audio/flac",
            Self::Opus => "audio/ogg",
            Self::Aac => "audio/aac",
            Self::Pcm16 => "audio/pcm",
        }
    }
}

/// Encodes samples as they arrive. Every call returns the bytes ready so far (possibly none);
/// `finish` returns the rest. Concatenated, they form one valid file.
pub trait StreamEncoder: Send {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError>;
    fn finish(&mut self) -> Result<Vec<u8>, AudioError>;
}

/// A streaming encoder for `format`, fed mono samples at [`OUTPUT_RATE`]. Streamed WAV carries
/// 0xFFFFFFFF size fields; streamed pcm16 comes in multiples of 6 bytes (3 samples).
pub fn stream_encoder(format: OutputFormat) -> Result<Box<dyn StreamEncoder>, AudioError> {
    Ok(match format {
        OutputFormat::Wav => Box::new(wav::WavStream::new(OUTPUT_RATE)),
        OutputFormat::Pcm16 => Box::new(pcm::Pcm16Stream::default()),
        OutputFormat::Flac => Box::new(flac::FlacStream::new(OUTPUT_RATE)?),
        OutputFormat::Mp3 => Box::new(mp3::Mp3Stream::new(OUTPUT_RATE, false)?),
        OutputFormat::Opus => Box::new(opus::OggOpusStream::new(OUTPUT_RATE)?),
        OutputFormat::Aac => Box::new(aac::AacStream::new(OUTPUT_RATE)?),
    })
}

/// Encodes a whole file. Where a format can describe itself fully once the end is known (WAV
/// sizes, FLAC totals and checksum, MP3's gapless tag), the file says so.
pub fn encode(format: OutputFormat, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
    match format {
        OutputFormat::Wav => Ok(wav::encode(samples, OUTPUT_RATE)),
        OutputFormat::Flac => flac::encode(samples, OUTPUT_RATE),
        OutputFormat::Mp3 => mp3::encode(samples, OUTPUT_RATE),
        _ => {
            let mut encoder = stream_encoder(format)?;
            let mut out = encoder.push(samples)?;
            out.extend(encoder.finish()?);
            Ok(out)
        }
    }
}

/// [-1, 1] float -> 16-bit, symmetric with decoding's `/ 32768`, so 16-bit audio survives a
/// round trip exactly.
pub(crate) fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}
