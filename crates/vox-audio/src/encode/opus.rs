//! Ogg Opus (RFC 7845) through libopus: 20 ms frames, one page per packet so that each leaves
//! as soon as it is encoded.

use ogg::writing::{PacketWriteEndInfo, PacketWriter};

use super::StreamEncoder;
use crate::AudioError;
use crate::ffi::opus;

const BITRATE: i32 = 48_000;
const FRAME_MS: u32 = 20;
/// Ogg Opus granule positions always count 48 kHz samples.
const GRANULE_RATE: u64 = 48_000;
const SERIAL: u32 = 0x566f_7821; // "Vox!"

pub struct OggOpusStream {
    encoder: opus::Encoder,
    writer: PacketWriter<'static, Vec<u8>>,
    rate: u32,
    frame: usize,
    pre_skip: u64,
    held: Vec<f32>,
    /// The newest packet waits until we know whether it is the last one.
    pending: Option<Vec<u8>>,
    packets_written: u64,
    samples_in: u64,
    headers_sent: bool,
}

impl OggOpusStream {
    pub fn new(rate: u32) -> Result<Self, AudioError> {
        let mut encoder = opus::Encoder::new(rate, BITRATE).map_err(AudioError::Encoder)?;
        let lookahead = encoder.lookahead().map_err(AudioError::Encoder)?;
        let pre_skip = u64::from(lookahead) * GRANULE_RATE / u64::from(rate);
        Ok(Self {
            encoder,
            writer: PacketWriter::new(Vec::new()),
            rate,
            frame: (rate * FRAME_MS / 1000) as usize,
            pre_skip,
            held: Vec::new(),
            pending: None,
            packets_written: 0,
            samples_in: 0,
            headers_sent: false,
        })
    }

    fn granule_per_packet(&self) -> u64 {
        self.frame as u64 * GRANULE_RATE / u64::from(self.rate)
    }

    fn write(&mut self, packet: Vec<u8>, end: PacketWriteEndInfo, granule: u64) -> Result<(), AudioError> {
        self.writer
            .write_packet(packet, SERIAL, end, granule)
            .map_err(|e| AudioError::Encoder(format!("ogg: {e}")))
    }

    fn write_headers(&mut self) -> Result<(), AudioError> {
        if std::mem::replace(&mut self.headers_sent, true) {
            return Ok(());
        }
        let mut head = b"OpusHead".to_vec();
        head.push(1); // version
        head.push(1); // channels
        head.extend_from_slice(&(self.pre_skip as u16).to_le_bytes());
        head.extend_from_slice(&self.rate.to_le_bytes()); // original input rate
        head.extend_from_slice(&0i16.to_le_bytes()); // output gain
        head.push(0); // channel mapping family: mono/stereo
        self.write(head, PacketWriteEndInfo::EndPage, 0)?;
        let vendor = b"vox";
        let mut tags = b"OpusTags".to_vec();
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes()); // no comments
        self.write(tags, PacketWriteEndInfo::EndPage, 0)
    }

    fn flush_pending(&mut self) -> Result<(), AudioError> {
        if let Some(packet) = self.pending.take() {
            self.packets_written += 1;
            // Samples decodable so far, pre-skip included (RFC 7845, section 4).
            let granule = self.packets_written * self.granule_per_packet();
            self.write(packet, PacketWriteEndInfo::EndPage, granule)?;
        }
        Ok(())
    }

    fn encode_frame(&mut self, frame: &[f32]) -> Result<(), AudioError> {
        let packet = self.encoder.encode(frame).map_err(AudioError::Encoder)?;
        self.flush_pending()?;
        self.pending = Some(packet);
        Ok(())
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(self.writer.inner_mut())
    }
}

impl StreamEncoder for OggOpusStream {
    fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        self.write_headers()?;
        self.samples_in += samples.len() as u64;
        self.held.extend_from_slice(samples);
        while self.held.len() >= self.frame {
            let frame: Vec<f32> = self.held.drain(..self.frame).collect();
            self.encode_frame(&frame)?;
        }
        Ok(self.take_output())
    }

    /// Pads the last frame, and ends the stream with a granule position that tells decoders to
    /// drop the padding.
    fn finish(&mut self) -> Result<Vec<u8>, AudioError> {
        self.write_headers()?;
        // The encoder's lookahead is still inside it: feed enough silence to flush it out.
        let mut tail = std::mem::take(&mut self.held);
        let lookahead = (self.pre_skip * u64::from(self.rate) / GRANULE_RATE) as usize;
        tail.resize(
            (tail.len() + lookahead).div_ceil(self.frame).max(1) * self.frame,
            0.0,
        );
        for frame in tail.chunks(self.frame) {
            self.encode_frame(frame)?;
        }
        let last = self.pending.take().unwrap_or_default();
        let granule = self.pre_skip + self.samples_in * GRANULE_RATE / u64::from(self.rate);
        self.write(last, PacketWriteEndInfo::EndStream, granule)?;
        Ok(self.take_output())
    }
}
