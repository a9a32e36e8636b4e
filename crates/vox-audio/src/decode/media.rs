//! Every compressed container through symphonia's demuxers; its decoders for MP3, FLAC, Vorbis
//! and AAC, libopus for Opus (which symphonia demuxes but does not decode).

use std::io::Cursor;

use crate::AudioBuffer;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CODEC_TYPE_OPUS, CodecParameters, Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader, Packet};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::ffi::opus;
use crate::sniff::Container;
use crate::{AudioError, DecodeLimits};

const OPUS_RATE: u32 = 48_000;

pub fn decode(bytes: &[u8], container: Container, limits: &DecodeLimits) -> Result<AudioBuffer, AudioError> {
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(container.extension());
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, source, &options, &MetadataOptions::default())
        .map_err(|e| AudioError::undecodable(format!("probe: {e}")))?;
    let mut reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::undecodable("no audio track"))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let mut decoder = PacketDecoder::new(&params)?;
    let rate = decoder.rate;
    let max_frames = limits.max_frames(rate);
    if params.n_frames.is_some_and(|n| n > max_frames) {
        return Err(limits.too_long());
    }
    let too_large = AudioError::TooLargeToDecode { sample_rate: rate };
    if params.n_frames.is_some_and(|n| !limits.fits_in_memory(n)) {
        return Err(too_large);
    }
    // Room for what the header declares, so the vector does not double past the memory bound.
    let mut mono = Vec::with_capacity(params.n_frames.unwrap_or(0).min(max_frames) as usize);
    while let Some(packet) = next_packet(reader.as_mut())? {
        if packet.track_id() != track_id {
            continue;
        }
        make_room(&mut mono, rate, limits).map_err(|()| too_large.clone())?;
        decoder.decode(&packet, &mut mono)?;
        if mono.len() as u64 > max_frames {
            return Err(limits.too_long());
        }
    }
    if mono.is_empty() {
        return Err(AudioError::undecodable("no audio decoded"));
    }
    Ok(AudioBuffer {
        samples: mono,
        sample_rate: rate,
    })
}

/// Keeps a second of room ahead of the decoder, growing the vector in steps that stay inside
/// the memory bound (a vector left to itself doubles, and the doubling is what would fail).
fn make_room(mono: &mut Vec<f32>, rate: u32, limits: &DecodeLimits) -> Result<(), ()> {
    let ahead = rate as usize;
    if mono.capacity() - mono.len() >= ahead {
        return Ok(());
    }
    let wanted = (mono.capacity() * 2).max(mono.len() + ahead);
    let bounded = match limits.max_decoded_bytes {
        Some(max) => wanted.min((max / 4) as usize),
        None => wanted,
    };
    if bounded < mono.len() + ahead {
        return Err(());
    }
    mono.reserve_exact(bounded - mono.len());
    Ok(())
}

fn next_packet(reader: &mut dyn FormatReader) -> Result<Option<Packet>, AudioError> {
    match reader.next_packet() {
        Ok(packet) => Ok(Some(packet)),
        Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        // A stream cut short or damaged at the end still yields what came before it.
        Err(SymphoniaError::IoError(_)) | Err(SymphoniaError::DecodeError(_)) => Ok(None),
        Err(e) => Err(AudioError::undecodable(format!("demux: {e}"))),
    }
}

/// One track's decoder, whichever library decodes it, producing mono samples.
struct PacketDecoder {
    kind: DecoderKind,
    channels: usize,
    rate: u32,
    /// Opus pre-skip still to drop from the start.
    skip: usize,
    decoded_packets: usize,
    failed_packets: usize,
}

enum DecoderKind {
    Symphonia(Box<dyn Decoder>),
    Opus(opus::Decoder),
}

impl PacketDecoder {
    fn new(params: &CodecParameters) -> Result<Self, AudioError> {
        let channels = params.channels.map(|c| c.count()).unwrap_or(1).max(1);
        if params.codec == CODEC_TYPE_OPUS {
            let decoder = opus::Decoder::new(channels).map_err(AudioError::undecodable)?;
            let skip = params
                .delay
                .map(|d| d as usize)
                .unwrap_or_else(|| opus_pre_skip(params));
            return Ok(Self::with(DecoderKind::Opus(decoder), channels, OPUS_RATE, skip));
        }
        let rate = params
            .sample_rate
            .filter(|&r| r > 0)
            .ok_or_else(|| AudioError::undecodable("no sample rate"))?;
        let decoder = symphonia::default::get_codecs()
            .make(params, &DecoderOptions::default())
            .map_err(|e| AudioError::undecodable(format!("codec: {e}")))?;
        Ok(Self::with(DecoderKind::Symphonia(decoder), channels, rate, 0))
    }

    fn with(kind: DecoderKind, channels: usize, rate: u32, skip: usize) -> Self {
        Self {
            kind,
            channels,
            rate,
            skip,
            decoded_packets: 0,
            failed_packets: 0,
        }
    }

    fn decode(&mut self, packet: &Packet, mono: &mut Vec<f32>) -> Result<(), AudioError> {
        let mut interleaved = Vec::new();
        let channels = match &mut self.kind {
            DecoderKind::Opus(decoder) => match decoder.decode(&packet.data, &mut interleaved) {
                Ok(()) => self.channels,
                Err(_) => return self.skip_damaged(),
            },
            DecoderKind::Symphonia(decoder) => match decoder.decode(packet) {
                Ok(buffer) => {
                    let spec = *buffer.spec();
                    let mut samples = SampleBuffer::<f32>::new(buffer.capacity() as u64, spec);
                    samples.copy_interleaved_ref(buffer);
                    interleaved.extend_from_slice(samples.samples());
                    spec.channels.count().max(1)
                }
                Err(SymphoniaError::DecodeError(_)) => return self.skip_damaged(),
                Err(e) => return Err(AudioError::undecodable(format!("decode: {e}"))),
            },
        };
        self.decoded_packets += 1;
        let frames = trim(
            &interleaved,
            channels,
            packet.trim_start as usize,
            packet.trim_end as usize,
        );
        append_mono(frames, channels, &mut self.skip, mono);
        Ok(())
    }

    /// A damaged packet in the middle is skipped, as players do; a file made of nothing but
    /// damage is not audio.
    fn skip_damaged(&mut self) -> Result<(), AudioError> {
        self.failed_packets += 1;
        if self.failed_packets > 8 && self.decoded_packets == 0 {
            return Err(AudioError::undecodable("no packet could be decoded"));
        }
        Ok(())
    }
}

/// Drops the gapless trim (encoder delay, padding) a container reported for this packet.
fn trim(interleaved: &[f32], channels: usize, start: usize, end: usize) -> &[f32] {
    let frames = interleaved.len() / channels;
    let start = start.min(frames);
    let end = frames.saturating_sub(end).max(start);
    &interleaved[start * channels..end * channels]
}

fn append_mono(interleaved: &[f32], channels: usize, skip: &mut usize, mono: &mut Vec<f32>) {
    let scale = 1.0 / channels as f32;
    for frame in interleaved.chunks_exact(channels) {
        if *skip > 0 {
            *skip -= 1;
            continue;
        }
        let sample = frame.iter().sum::<f32>() * scale;
        // A damaged stream can decode to NaN or infinity; downstream maths must never see them.
        mono.push(if sample.is_finite() { sample } else { 0.0 });
    }
}

/// The pre-skip field of an OpusHead (bytes 10-11), when the demuxer passes it as extra data.
fn opus_pre_skip(params: &CodecParameters) -> usize {
    match params.extra_data.as_deref() {
        Some(head) if head.starts_with(b"OpusHead") && head.len() >= 12 => {
            usize::from(u16::from_le_bytes([head[10], head[11]]))
        }
        _ => 0,
    }
}
