//! G.711 (ITU-T, 1972): 8-bit logarithmic telephone audio at 8 kHz, the u-law of North America
//! and Japan and the A-law of everywhere else. Realtime telephony clients send and expect it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G711 {
    ULaw,
    ALaw,
}

/// The rate G.711 audio always has.
pub const G711_RATE: u32 = 8_000;

impl G711 {
    pub fn decode(self, bytes: &[u8]) -> Vec<f32> {
        let decode = match self {
            Self::ULaw => ulaw_to_linear,
            Self::ALaw => alaw_to_linear,
        };
        bytes.iter().map(|&b| f32::from(decode(b)) / 32768.0).collect()
    }

    pub fn encode(self, samples: &[f32]) -> Vec<u8> {
        let encode = match self {
            Self::ULaw => linear_to_ulaw,
            Self::ALaw => linear_to_alaw,
        };
        samples
            .iter()
            .map(|&s| encode((s.clamp(-1.0, 1.0) * 32767.0) as i16))
            .collect()
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

fn linear_to_ulaw(sample: i16) -> u8 {
    let sample = i32::from(sample);
    let sign = if sample < 0 { 0x80 } else { 0 };
    let magnitude = sample.abs().min(ULAW_CLIP) + ULAW_BIAS;
    let exponent = segment(magnitude >> 7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as i32 | mantissa) as u8
}

fn ulaw_to_linear(byte: u8) -> i16 {
    let byte = !byte;
    let sign = byte & 0x80;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

fn linear_to_alaw(sample: i16) -> u8 {
    let sample = i32::from(sample);
    let (sign, magnitude) = if sample >= 0 {
        (0xD5, sample)
    } else {
        (0x55, -sample - 1)
    };
    let magnitude = magnitude.min(32767) >> 3;
    let code = if magnitude < 32 {
        magnitude >> 1
    } else {
        let exponent = segment(magnitude >> 5) + 1;
        ((exponent as i32) << 4) | ((magnitude >> exponent) & 0x0F)
    };
    (code ^ sign) as u8
}

fn alaw_to_linear(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let sign = byte & 0x80;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        _ => ((mantissa << 4) + 0x108) << (exponent - 1),
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

/// The index of the highest set bit of `value` (0 to 7), G.711's segment number.
fn segment(value: i32) -> u32 {
    let mut segment = 0;
    let mut rest = value;
    while rest > 1 && segment < 7 {
        rest >>= 1;
        segment += 1;
    }
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine() -> Vec<f32> {
        (0..800).map(|i| 0.6 * (i as f32 * 0.05).sin()).collect()
    }

    #[test]
    fn both_laws_keep_a_sine_within_their_step() {
        for law in [G711::ULaw, G711::ALaw] {
            let back = law.decode(&law.encode(&sine()));
            let worst = sine()
                .iter()
                .zip(&back)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            // The largest step at 0.6 of full scale is 1024/32768; half of it is the worst error.
            assert!(worst < 0.02, "{law:?}: {worst}");
        }
    }

    #[test]
    fn known_codes_match_the_standard() {
        // Silence is 0xFF in u-law and 0xD5 in A-law; full scale positive 0x80 and 0xAA.
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_ulaw(32767), 0x80);
        assert_eq!(linear_to_alaw(32767), 0xAA);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(alaw_to_linear(0xD5), 8);
    }
}
