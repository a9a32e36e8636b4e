//! FLAC through flacenc (pure Rust): 16-bit mono, 4096-sample blocks.

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, Stream};
use flacenc::config;
use flacenc::error::Verify;
use flacenc::source::{Context, FrameBuf, MemSource, Source};

use super::{StreamEncoder, to_i16};
use crate::AudioError;

const BLOCK: usize = 4096;
const BITS: usize = 16;

fn encoder_config() -> Result<flacenc::error::Verified<config::Encoder>, AudioError> {
    config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| AudioError::Encoder(format!("flac config: {e:?}")))
}

fn to_i32(samples: &[f32]) -> Vec<i32> {
    samples.iter().map(|&s| i32::from(to_i16(s))).collect()
}

fn bytes(item: &impl BitRepr) -> Result<Vec<u8>, AudioError> {
    let mut sink = ByteSink::new();
    item.write(&mut sink)
        .map_err(|e| AudioError::Encoder(format!("flac write: {e:?}")))?;
    Ok(sink.as_slice().to_vec())
}

/// A whole file, with total length and MD5 in its STREAMINFO.
pub fn encode(samples: &[f32], rate: u32) -> Result<Vec<u8>, AudioError> {
    let source = MemSource::from_samples(&to_i32(samples), 1, BITS, rate as usize);
    let mut stream = flacenc::encode_with_fixed_block_size(&encoder_config()?, source, BLOCK)
        .map_err(|e| AudioError::Encoder(format!("flac encode: {e:?}")))?;
    // flacenc counts the short last block as the minimum; the format (and symphonia, which
    // refuses the file otherwise) wants the minimum over all blocks but the last.
    let block = samples.len().clamp(16, BLOCK);
    stream
        .stream_info_mut()
        .set_block_sizes(block, block)
        .map_err(enc)?;
    bytes(&stream)
}

/// Frames leave as each block fills; the STREAMINFO says "length unknown", as streamed FLAC may.
pub struct FlacStream {
    config: flacenc::error::Verified<config::Encoder>,
    header: Stream,
    header_sent: bool,
    held: Vec<i32>,
    frame_number: usize,
}

impl FlacStream {
    pub fn new(rate: u32) -> Result<Self, AudioError> {
        let mut header = Stream::new(rate as usize, 1, BITS)
            .map_err(|e| AudioError::Encoder(format!("flac header: {e:?}")))?;
        header
            .stream_info_mut()
            .set_block_sizes(BLOCK, BLOCK)
            .map_err(|e| AudioError::Encoder(format!("flac header: {e:?}")))?;
        Ok(Self {
            config: encoder_config()?,
            header,
            header_sent: false,
            held: Vec::new(),
            frame_number: 0,
        })
    }

    fn encode_block(&mut self, block: &[i32]) -> Result<Vec<u8>, AudioError> {
        let mut source = MemSource::from_samples(block, 1, BITS, self.header.stream_info().sample_rate());
        let mut fill = (
            FrameBuf::with_size(1, block.len()).map_err(enc)?,
            Context::new(BITS, 1),
        );
        source.read_samples(block.len(), &mut fill).map_err(enc)?;
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &fill.0,
            self.frame_number,
            self.header.stream_info(),
        )
        .map_err(enc)?;
        self.frame_number += 1;
        bytes(&frame)
    }

    fn take_header(&mut self) -> Result<Vec<u8>, AudioError> {
        if std::mem::replace(&mut self.header_sent, true) {
            Ok(Vec::new())
        } else {
            bytes(&self.header)
        }
    }
}

fn enc(e: impl std::fmt::Debug) -> AudioError {
    AudioError::Encoder(format!("flac: {e:?}"))
}

impl StreamEncoder for FlacStream {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        let mut out = self.take_header()?;
        self.held.extend(to_i32(samples));
        while self.held.len() >= BLOCK {
            let block: Vec<i32> = self.held.drain(..BLOCK).collect();
            out.extend(self.encode_block(&block)?);
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<u8>, AudioError> {
        let mut out = self.take_header()?;
        if !self.held.is_empty() {
            let block = std::mem::take(&mut self.held);
            out.extend(self.encode_block(&block)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_length_encodes() {
        for len in [0, 1, 15, 16, 4095, 4096, 4097, 48_000, 72_000, 144_000] {
            let samples = vec![0.1f32; len];
            assert!(
                encode(&samples, 24_000).is_ok(),
                "{len}: {:?}",
                encode(&samples, 24_000).err()
            );
        }
    }
}
