use super::{StreamEncoder, to_i16};
use crate::AudioError;

/// Samples per emitted group: 3 samples = 6 bytes, so base64 of every chunk needs no padding.
const GROUP: usize = 3;

/// Raw pcm16 whose chunks are whole groups of 3 samples; the remainder waits for the next push.
#[derive(Default)]
pub struct Pcm16Stream {
    held: Vec<f32>,
}

impl StreamEncoder for Pcm16Stream {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        self.held.extend_from_slice(samples);
        let ready = self.held.len() / GROUP * GROUP;
        let bytes = self
            .held
            .drain(..ready)
            .flat_map(|s| to_i16(s).to_le_bytes())
            .collect();
        Ok(bytes)
    }

    /// Pads the last group with silence (at most 2 samples, 83 us).
    fn finish(&mut self) -> Result<Vec<u8>, AudioError> {
        if self.held.is_empty() {
            return Ok(Vec::new());
        }
        self.held.resize(self.held.len().div_ceil(GROUP) * GROUP, 0.0);
        self.push(&[])
    }
}

pub fn pcm16_bytes(samples: &[f32]) -> Vec<u8> {
    samples.iter().flat_map(|&s| to_i16(s).to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_is_a_multiple_of_six_bytes() {
        let mut stream = Pcm16Stream::default();
        let mut total = 0;
        for n in [1, 2, 4, 7, 0, 11] {
            let chunk = stream.push(&vec![0.25; n]).unwrap();
            assert_eq!(chunk.len() % 6, 0);
            total += chunk.len();
        }
        let last = stream.finish().unwrap();
        assert_eq!(last.len() % 6, 0);
        assert_eq!(total + last.len(), 27 * 2, "25 samples padded to 27");
    }
}
