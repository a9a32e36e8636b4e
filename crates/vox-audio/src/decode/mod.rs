//! Bytes in any supported container -> mono f32 samples.

mod media;
mod wav;

use crate::AudioBuffer;

use crate::resample::{MAX_RATE, MIN_RATE};
use crate::sniff::{Container, sniff};
use crate::{AudioError, DecodeLimits, resample};

/// Decodes a whole file to mono at its own sample rate. The container is sniffed from the bytes;
/// nothing here panics, whatever the input.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<AudioBuffer, AudioError> {
    if bytes.len() > limits.max_bytes {
        return Err(AudioError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let container = sniff(bytes).ok_or_else(|| AudioError::undecodable("unrecognised container"))?;
    // The last line of defence: a bug in a codec must not take the server down.
    let decoded = std::panic::catch_unwind(|| match container {
        Container::Wav => wav::decode(bytes, limits),
        other => media::decode(bytes, other, limits),
    })
    .unwrap_or_else(|_| Err(AudioError::undecodable("decoder panicked")))?;
    if !(MIN_RATE..=MAX_RATE).contains(&decoded.sample_rate) {
        return Err(AudioError::undecodable(format!(
            "sample rate {} Hz is out of range",
            decoded.sample_rate
        )));
    }
    Ok(decoded)
}

/// Decodes and resamples to `rate` (16 kHz for speech recognition, say).
pub fn decode_at(bytes: &[u8], limits: &DecodeLimits, rate: u32) -> Result<AudioBuffer, AudioError> {
    let decoded = decode(bytes, limits)?;
    Ok(AudioBuffer {
        samples: resample(&decoded.samples, decoded.sample_rate, rate)?,
        sample_rate: rate,
    })
}
