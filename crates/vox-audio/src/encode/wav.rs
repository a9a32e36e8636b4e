use super::StreamEncoder;
use super::pcm::pcm16_bytes;
use crate::AudioError;

/// Size fields of a WAV whose length is unknown when the header leaves.
const UNKNOWN_SIZE: u32 = 0xFFFF_FFFF;

fn header(rate: u32, data_bytes: u32) -> Vec<u8> {
    let riff_size = if data_bytes == UNKNOWN_SIZE {
        UNKNOWN_SIZE
    } else {
        data_bytes.saturating_add(36)
    };
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_size.to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());
    out
}

pub fn encode(samples: &[f32], rate: u32) -> Vec<u8> {
    let data = pcm16_bytes(samples);
    let mut out = header(rate, u32::try_from(data.len()).unwrap_or(UNKNOWN_SIZE - 1));
    out.extend(data);
    out
}

pub struct WavStream {
    rate: u32,
    header_sent: bool,
}

impl WavStream {
    pub fn new(rate: u32) -> Self {
        Self {
            rate,
            header_sent: false,
        }
    }

    fn take_header(&mut self) -> Vec<u8> {
        if std::mem::replace(&mut self.header_sent, true) {
            Vec::new()
        } else {
            header(self.rate, UNKNOWN_SIZE)
        }
    }
}

impl StreamEncoder for WavStream {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        let mut out = self.take_header();
        out.extend(pcm16_bytes(samples));
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<u8>, AudioError> {
        Ok(self.take_header())
    }
}
