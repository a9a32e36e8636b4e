//! MP3 through LAME: 64 kbit/s constant bitrate, mono, at the output rate (MPEG-2 layer III).

use super::StreamEncoder;
use crate::AudioError;
use crate::ffi::lame;

const KBPS: u32 = 64;

/// A whole file whose first frame is the LAME tag: decoders that read it trim the encoder
/// delay and padding, so the duration comes back exact.
pub fn encode(samples: &[f32], rate: u32) -> Result<Vec<u8>, AudioError> {
    let mut encoder = lame::Encoder::new(rate, KBPS, true).map_err(AudioError::Encoder)?;
    let mut out = encoder.encode(samples).map_err(AudioError::Encoder)?;
    out.extend(encoder.flush().map_err(AudioError::Encoder)?);
    let tag = encoder.tag_frame();
    if !tag.is_empty() && tag.len() <= out.len() {
        out[..tag.len()].copy_from_slice(&tag);
    }
    Ok(out)
}

pub struct Mp3Stream {
    encoder: lame::Encoder,
}

impl Mp3Stream {
    pub fn new(rate: u32, write_tag: bool) -> Result<Self, AudioError> {
        Ok(Self {
            encoder: lame::Encoder::new(rate, KBPS, write_tag).map_err(AudioError::Encoder)?,
        })
    }
}

impl StreamEncoder for Mp3Stream {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        self.encoder.encode(samples).map_err(AudioError::Encoder)
    }

    fn finish(&mut self) -> Result<Vec<u8>, AudioError> {
        self.encoder.flush().map_err(AudioError::Encoder)
    }
}
