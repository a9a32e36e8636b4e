//! WAV, read by hand: every PCM and float layout clients send, and streamed files whose size
//! fields say 0xFFFFFFFF (or lie), which are read to the end of the bytes instead.

use crate::AudioBuffer;

use crate::resample::{MAX_RATE, MIN_RATE};
use crate::{AudioError, DecodeLimits};

const FORMAT_PCM: u16 = 1;
const FORMAT_FLOAT: u16 = 3;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

#[derive(Debug, Clone, Copy)]
struct Format {
    tag: u16,
    channels: usize,
    rate: u32,
    bits: u16,
}

pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<AudioBuffer, AudioError> {
    let mut format = None;
    let mut offset = 12; // "RIFF" size "WAVE"
    while let Some(header) = bytes.get(offset..offset + 8) {
        let id = &header[..4];
        let declared = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body_start = offset + 8;
        let available = bytes.len() - body_start;
        if id == b"data" {
            let format = format.ok_or_else(|| AudioError::undecodable("WAV data before its fmt chunk"))?;
            // A streamed WAV's data runs to the end whatever its header claims.
            let len = if declared == 0 || declared > available {
                available
            } else {
                declared
            };
            return samples(&bytes[body_start..body_start + len], format, limits);
        }
        let body = bytes
            .get(body_start..body_start + declared)
            .ok_or_else(|| AudioError::undecodable("truncated WAV chunk"))?;
        if id == b"fmt " {
            format = Some(parse_format(body)?);
        }
        offset = body_start + declared + (declared & 1); // chunks are padded to even sizes
    }
    Err(AudioError::undecodable("WAV without a data chunk"))
}

fn parse_format(body: &[u8]) -> Result<Format, AudioError> {
    let u16_at = |at: usize| body.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| {
        body.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let short = || AudioError::undecodable("WAV fmt chunk too short");
    let mut tag = u16_at(0).ok_or_else(short)?;
    let channels = u16_at(2).ok_or_else(short)? as usize;
    let rate = u32_at(4).ok_or_else(short)?;
    let bits = u16_at(14).ok_or_else(short)?;
    if tag == FORMAT_EXTENSIBLE {
        // The sub-format GUID starts with the real format tag.
        tag = u16_at(24).ok_or_else(short)?;
    }
    // Checked here, before the frame count is trusted for the duration limit.
    if channels == 0 || !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(AudioError::undecodable(format!(
            "WAV with {channels} channels at {rate} Hz"
        )));
    }
    let supported = matches!(
        (tag, bits),
        (FORMAT_PCM, 8 | 16 | 24 | 32) | (FORMAT_FLOAT, 32 | 64)
    );
    if !supported {
        return Err(AudioError::undecodable(format!(
            "WAV format {tag} with {bits} bits"
        )));
    }
    Ok(Format {
        tag,
        channels,
        rate,
        bits,
    })
}

fn samples(data: &[u8], format: Format, limits: &DecodeLimits) -> Result<AudioBuffer, AudioError> {
    let sample_bytes = usize::from(format.bits / 8);
    let frame_bytes = sample_bytes * format.channels;
    let frames = data.len() / frame_bytes;
    if frames as u64 > limits.max_frames(format.rate) {
        return Err(limits.too_long());
    }
    let read = sample_reader(format);
    let scale = 1.0 / format.channels as f32;
    let mono = data
        .chunks_exact(frame_bytes)
        .map(|frame| frame.chunks_exact(sample_bytes).map(&read).sum::<f32>() * scale)
        .collect();
    Ok(AudioBuffer {
        samples: mono,
        sample_rate: format.rate,
    })
}

/// Converts one little-endian sample to [-1, 1].
fn sample_reader(format: Format) -> impl Fn(&[u8]) -> f32 {
    move |b: &[u8]| match (format.tag, format.bits) {
        (FORMAT_PCM, 8) => (f32::from(b[0]) - 128.0) / 128.0,
        (FORMAT_PCM, 16) => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0,
        (FORMAT_PCM, 24) => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
        (FORMAT_PCM, 32) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
        (FORMAT_FLOAT, 32) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        _ => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_LIMITS: DecodeLimits = DecodeLimits::up_to(20 << 20, std::time::Duration::from_secs(1800));

    fn wav(tag: u16, channels: u16, bits: u16, data: &[u8], declared: u32) -> Vec<u8> {
        let mut out = b"RIFF\xff\xff\xff\xffWAVEfmt \x10\0\0\0".to_vec();
        let rate = 8000u32;
        let block = channels * bits / 8;
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_each_layout_to_the_same_values() {
        let limits = TEST_LIMITS;
        let half_16 = (16384i16).to_le_bytes();
        let half_24 = [0x00, 0x00, 0x40];
        let half_32 = (1i32 << 30).to_le_bytes();
        let half_f32 = 0.5f32.to_le_bytes();
        let cases: [(u16, u16, &[u8]); 5] = [
            (1, 8, &[192]),
            (1, 16, &half_16),
            (1, 24, &half_24),
            (1, 32, &half_32),
            (3, 32, &half_f32),
        ];
        for (tag, bits, sample) in cases {
            let decoded = decode(&wav(tag, 1, bits, sample, sample.len() as u32), &limits).unwrap();
            assert_eq!(decoded.samples, vec![0.5], "format {tag}/{bits}");
            assert_eq!(decoded.sample_rate, 8000);
        }
    }

    #[test]
    fn mixes_stereo_and_reads_streamed_sizes_to_the_end() {
        let frames: Vec<u8> = [1000i16, 3000, -1000, -3000]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        let decoded = decode(&wav(1, 2, 16, &frames, 0xFFFF_FFFF), &TEST_LIMITS).unwrap();
        assert_eq!(decoded.samples.len(), 2);
        assert!((decoded.samples[0] - 2000.0 / 32768.0).abs() < 1e-6);
    }

    #[test]
    fn rejects_broken_headers_without_panicking() {
        let good = wav(1, 1, 16, &[0, 0, 1, 0], 4);
        for cut in 0..good.len() {
            let _ = decode(&good[..cut], &TEST_LIMITS);
        }
        assert!(decode(&wav(1, 0, 16, &[0, 0], 2), &TEST_LIMITS).is_err());
        assert!(decode(&wav(2, 1, 16, &[0, 0], 2), &TEST_LIMITS).is_err());
    }

    #[test]
    fn refuses_audio_over_the_duration_limit() {
        let limits = DecodeLimits {
            max_duration: std::time::Duration::from_secs(1),
            ..TEST_LIMITS
        };
        let two_seconds = vec![0u8; 2 * 8000 * 2];
        assert_eq!(
            decode(&wav(1, 1, 16, &two_seconds, 32000), &limits),
            Err(AudioError::TooLong { limit_secs: 1 })
        );
    }
}
