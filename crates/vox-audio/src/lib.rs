//! Every audio byte that enters or leaves Vox: decoding any supported container to mono f32,
//! band-limited resampling, and encoding to every output format, whole or streamed.
//!
//! Codecs: symphonia (MPL-2.0) decodes WAV-less containers, MP3, FLAC, Vorbis and AAC; libopus
//! (BSD) decodes and encodes Opus; LAME (LGPL, linked dynamically) encodes MP3; flacenc
//! (Apache-2.0) encodes FLAC; ffmpeg's native encoder (separate program) encodes AAC; WAV and
//! pcm16 are written here.

mod decode;
mod encode;
mod error;
mod ffi;
mod g711;
mod isolate;
mod limits;
mod resample;
mod sniff;

pub use decode::{decode, decode_at};
pub use encode::{OUTPUT_RATE, OutputFormat, StreamEncoder, encode, stream_encoder};
pub use error::AudioError;
pub use g711::{G711, G711_RATE};
pub use isolate::{DecodePlace, decode_in, run_child};
pub use limits::DecodeLimits;
pub use resample::{StreamResampler, mix_to_mono, resample};
pub use sniff::{Container, sniff};
pub use vox_engine::audio::AudioBuffer;
