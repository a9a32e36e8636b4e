//! Realtime audio on the wire: base64 pcm16 at 24 kHz or G.711 at 8 kHz, in and out.

use base64::Engine as _;
use vox_audio::{G711, StreamResampler};
use vox_protocol::realtime::{AudioFormat, RealtimeError};

/// Longest audio delta sent: small frames reach the client's player (and its barge-in) in step,
/// and stay far below the 1 MiB frame limit of older Python SDKs.
const DELTA_SECS: f64 = 0.2;

fn law(format: AudioFormat) -> Option<G711> {
    match format {
        AudioFormat::Pcm16 => None,
        AudioFormat::G711Ulaw => Some(G711::ULaw),
        AudioFormat::G711Alaw => Some(G711::ALaw),
    }
}

/// Client audio in: base64 -> samples at the format's rate. A pcm16 chunk may end inside a
/// sample; the odd byte waits for the next chunk.
#[derive(Default)]
pub struct InputDecoder {
    odd_byte: Option<u8>,
}

impl InputDecoder {
    pub fn decode(&mut self, format: AudioFormat, base64: &str) -> Result<Vec<f32>, RealtimeError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(base64.trim())
            .map_err(|_| {
                RealtimeError::invalid(
                    "Invalid 'audio': expected base64-encoded audio bytes.",
                    "audio",
                    "invalid_value",
                )
            })?;
        if let Some(law) = law(format) {
            return Ok(law.decode(&bytes));
        }
        let mut joined = Vec::with_capacity(bytes.len() + 1);
        joined.extend(self.odd_byte.take());
        joined.extend_from_slice(&bytes);
        if joined.len() % 2 == 1 {
            self.odd_byte = joined.pop();
        }
        Ok(joined
            .chunks_exact(2)
            .map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32768.0)
            .collect())
    }

    pub fn forget(&mut self) {
        self.odd_byte = None;
    }
}

/// Answer audio out: 24 kHz samples -> base64 deltas in the session's output format.
pub struct OutputEncoder {
    format: AudioFormat,
    resampler: Option<StreamResampler>,
}

impl OutputEncoder {
    pub fn new(format: AudioFormat) -> Result<Self, RealtimeError> {
        let resampler = match format.rate() {
            vox_audio::OUTPUT_RATE => None,
            rate => Some(
                StreamResampler::new(vox_audio::OUTPUT_RATE, rate)
                    .map_err(|e| RealtimeError::server("server_error", e.to_string()))?,
            ),
        };
        Ok(Self { format, resampler })
    }

    /// Base64 deltas of `samples` (24 kHz), each at most [`DELTA_SECS`] long.
    pub fn encode(&mut self, samples: &[f32]) -> Vec<String> {
        let samples = match &mut self.resampler {
            Some(resampler) => resampler.push(samples),
            None => samples.to_vec(),
        };
        self.deltas(&samples)
    }

    /// The resampler's tail, at the end of an answer.
    pub fn finish(&mut self) -> Vec<String> {
        match self.resampler.as_mut().map(StreamResampler::finish) {
            Some(tail) => self.deltas(&tail),
            None => Vec::new(),
        }
    }

    fn deltas(&self, samples: &[f32]) -> Vec<String> {
        let per_delta = (f64::from(self.format.rate()) * DELTA_SECS) as usize;
        samples
            .chunks(per_delta.max(1))
            .map(|chunk| {
                let bytes = match law(self.format) {
                    Some(law) => law.encode(chunk),
                    None => chunk
                        .iter()
                        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
                        .collect(),
                };
                base64::engine::general_purpose::STANDARD.encode(bytes)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_sample_split_across_chunks_is_joined() {
        let mut decoder = InputDecoder::default();
        let sample = 12345i16.to_le_bytes();
        assert!(
            decoder
                .decode(AudioFormat::Pcm16, &b64(&sample[..1]))
                .unwrap()
                .is_empty()
        );
        let got = decoder.decode(AudioFormat::Pcm16, &b64(&sample[1..])).unwrap();
        assert_eq!(got, vec![12345.0 / 32768.0]);
    }

    #[test]
    fn deltas_are_whole_samples_and_short() {
        let mut encoder = OutputEncoder::new(AudioFormat::Pcm16).unwrap();
        let deltas = encoder.encode(&vec![0.1; 24_000]);
        assert_eq!(deltas.len(), 5);
        for delta in deltas {
            let bytes = base64::engine::general_purpose::STANDARD.decode(delta).unwrap();
            assert_eq!(bytes.len() % 2, 0);
            assert!(bytes.len() <= 2 * 4800);
        }
    }

    #[test]
    fn telephone_audio_goes_out_at_8_khz() {
        let mut encoder = OutputEncoder::new(AudioFormat::G711Ulaw).unwrap();
        let mut bytes = 0;
        for delta in encoder
            .encode(&vec![0.1; 24_000])
            .into_iter()
            .chain(encoder.finish())
        {
            bytes += base64::engine::general_purpose::STANDARD
                .decode(delta)
                .unwrap()
                .len();
        }
        assert_eq!(bytes, 8_000);
    }

    #[test]
    fn bad_base64_names_the_field() {
        let err = InputDecoder::default()
            .decode(AudioFormat::Pcm16, "%%%")
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("audio"));
    }
}
