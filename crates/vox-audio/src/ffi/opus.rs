//! libopus: the few entry points Vox uses, wrapped so the rest of the crate stays safe.

use std::os::raw::{c_int, c_uchar};

#[repr(C)]
struct OpusDecoderRaw {
    _private: [u8; 0],
}

#[repr(C)]
struct OpusEncoderRaw {
    _private: [u8; 0],
}

#[link(name = "opus")]
unsafe extern "C" {
    fn opus_decoder_create(fs: i32, channels: c_int, error: *mut c_int) -> *mut OpusDecoderRaw;
    fn opus_decode_float(
        st: *mut OpusDecoderRaw,
        data: *const c_uchar,
        len: i32,
        pcm: *mut f32,
        frame_size: c_int,
        decode_fec: c_int,
    ) -> c_int;
    fn opus_decoder_destroy(st: *mut OpusDecoderRaw);
    fn opus_encoder_create(
        fs: i32,
        channels: c_int,
        application: c_int,
        error: *mut c_int,
    ) -> *mut OpusEncoderRaw;
    fn opus_encode_float(
        st: *mut OpusEncoderRaw,
        pcm: *const f32,
        frame_size: c_int,
        data: *mut c_uchar,
        max_data_bytes: i32,
    ) -> i32;
    fn opus_encoder_ctl(st: *mut OpusEncoderRaw, request: c_int, ...) -> c_int;
    fn opus_encoder_destroy(st: *mut OpusEncoderRaw);
}

const OPUS_OK: c_int = 0;
const OPUS_APPLICATION_AUDIO: c_int = 2049;
const OPUS_SET_BITRATE_REQUEST: c_int = 4002;
const OPUS_GET_LOOKAHEAD_REQUEST: c_int = 4027;
/// The longest Opus packet: 120 ms at 48 kHz.
pub const MAX_FRAME_48K: usize = 5760;

pub struct Decoder {
    raw: *mut OpusDecoderRaw,
    channels: usize,
}

// The decoder state is only ever used through `&mut self`.
unsafe impl Send for Decoder {}

impl Decoder {
    /// Decodes at 48 kHz, Opus's native rate.
    pub fn new(channels: usize) -> Result<Self, String> {
        if !(1..=2).contains(&channels) {
            return Err(format!("{channels}-channel Opus is not supported"));
        }
        let mut error = 0;
        // SAFETY: plain constructor; the pointer is checked before use.
        let raw = unsafe { opus_decoder_create(48_000, channels as c_int, &mut error) };
        if raw.is_null() || error != OPUS_OK {
            return Err(format!("opus_decoder_create failed ({error})"));
        }
        Ok(Self { raw, channels })
    }

    /// Decodes one packet, appending interleaved samples to `out`.
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) -> Result<(), String> {
        let mut pcm = vec![0f32; MAX_FRAME_48K * self.channels];
        let len = i32::try_from(packet.len()).map_err(|_| "packet too large".to_string())?;
        // SAFETY: `pcm` holds MAX_FRAME_48K frames of `channels` samples, as the call is told.
        let frames = unsafe {
            opus_decode_float(
                self.raw,
                packet.as_ptr(),
                len,
                pcm.as_mut_ptr(),
                MAX_FRAME_48K as c_int,
                0,
            )
        };
        if frames < 0 {
            return Err(format!("opus_decode_float failed ({frames})"));
        }
        out.extend_from_slice(&pcm[..frames as usize * self.channels]);
        Ok(())
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: created by opus_decoder_create, destroyed once.
        unsafe { opus_decoder_destroy(self.raw) }
    }
}

pub struct Encoder {
    raw: *mut OpusEncoderRaw,
}

// The encoder state is only ever used through `&mut self`.
unsafe impl Send for Encoder {}

impl Encoder {
    /// A mono encoder at `rate` (8, 12, 16, 24 or 48 kHz).
    pub fn new(rate: u32, bitrate: i32) -> Result<Self, String> {
        let mut error = 0;
        // SAFETY: plain constructor; the pointer is checked before use.
        let raw = unsafe { opus_encoder_create(rate as i32, 1, OPUS_APPLICATION_AUDIO, &mut error) };
        if raw.is_null() || error != OPUS_OK {
            return Err(format!("opus_encoder_create failed ({error})"));
        }
        let encoder = Self { raw };
        // SAFETY: OPUS_SET_BITRATE takes one opus_int32.
        let status = unsafe { opus_encoder_ctl(encoder.raw, OPUS_SET_BITRATE_REQUEST, bitrate) };
        if status != OPUS_OK {
            return Err(format!("setting the Opus bitrate failed ({status})"));
        }
        Ok(encoder)
    }

    /// Samples (at the encoder's rate) the encoder delays its output by: the Ogg pre-skip.
    pub fn lookahead(&mut self) -> Result<u32, String> {
        let mut lookahead: i32 = 0;
        // SAFETY: OPUS_GET_LOOKAHEAD writes one opus_int32 through the pointer.
        let status =
            unsafe { opus_encoder_ctl(self.raw, OPUS_GET_LOOKAHEAD_REQUEST, &mut lookahead as *mut i32) };
        if status != OPUS_OK {
            return Err(format!("reading the Opus lookahead failed ({status})"));
        }
        Ok(lookahead.max(0) as u32)
    }

    /// Encodes exactly one frame (2.5 to 60 ms of samples).
    pub fn encode(&mut self, frame: &[f32]) -> Result<Vec<u8>, String> {
        let mut packet = vec![0u8; 4000];
        // SAFETY: `frame` holds frame.len() mono samples; `packet` has the stated capacity.
        let len = unsafe {
            opus_encode_float(
                self.raw,
                frame.as_ptr(),
                frame.len() as c_int,
                packet.as_mut_ptr(),
                packet.len() as i32,
            )
        };
        if len < 0 {
            return Err(format!("opus_encode_float failed ({len})"));
        }
        packet.truncate(len as usize);
        Ok(packet)
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: created by opus_encoder_create, destroyed once.
        unsafe { opus_encoder_destroy(self.raw) }
    }
}
