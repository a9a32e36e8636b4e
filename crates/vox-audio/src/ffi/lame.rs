//! LAME (libmp3lame): constant-bitrate mono MP3.

use std::os::raw::{c_int, c_uchar};

#[repr(C)]
struct LameRaw {
    _private: [u8; 0],
}

#[link(name = "mp3lame")]
unsafe extern "C" {
    fn lame_init() -> *mut LameRaw;
    fn lame_set_in_samplerate(gfp: *mut LameRaw, rate: c_int) -> c_int;
    fn lame_set_out_samplerate(gfp: *mut LameRaw, rate: c_int) -> c_int;
    fn lame_set_num_channels(gfp: *mut LameRaw, channels: c_int) -> c_int;
    fn lame_set_mode(gfp: *mut LameRaw, mode: c_int) -> c_int;
    fn lame_set_brate(gfp: *mut LameRaw, kbps: c_int) -> c_int;
    fn lame_set_quality(gfp: *mut LameRaw, quality: c_int) -> c_int;
    fn lame_set_bWriteVbrTag(gfp: *mut LameRaw, write: c_int) -> c_int;
    fn lame_init_params(gfp: *mut LameRaw) -> c_int;
    fn lame_encode_buffer_ieee_float(
        gfp: *mut LameRaw,
        left: *const f32,
        right: *const f32,
        samples: c_int,
        out: *mut c_uchar,
        out_size: c_int,
    ) -> c_int;
    fn lame_encode_flush(gfp: *mut LameRaw, out: *mut c_uchar, out_size: c_int) -> c_int;
    fn lame_get_lametag_frame(gfp: *mut LameRaw, out: *mut c_uchar, out_size: usize) -> usize;
    fn lame_close(gfp: *mut LameRaw) -> c_int;
}

const MODE_MONO: c_int = 3;
/// LAME's documented worst case for one call: 1.25 x samples + 7200 bytes.
fn out_capacity(samples: usize) -> usize {
    samples + samples / 4 + 7200
}

pub struct Encoder {
    raw: *mut LameRaw,
}

// The encoder state is only ever used through `&mut self`.
unsafe impl Send for Encoder {}

impl Encoder {
    /// `write_tag`: reserve a first frame for the LAME/Xing tag, which carries the encoder
    /// delay and padding so that decoders can trim them (whole files only).
    pub fn new(rate: u32, kbps: u32, write_tag: bool) -> Result<Self, String> {
        // SAFETY: plain constructor; the pointer is checked before use.
        let raw = unsafe { lame_init() };
        if raw.is_null() {
            return Err("lame_init failed".into());
        }
        let encoder = Self { raw };
        // SAFETY: setters on a live handle.
        let status = unsafe {
            lame_set_in_samplerate(raw, rate as c_int)
                | lame_set_out_samplerate(raw, rate as c_int)
                | lame_set_num_channels(raw, 1)
                | lame_set_mode(raw, MODE_MONO)
                | lame_set_brate(raw, kbps as c_int)
                | lame_set_quality(raw, 5)
                | lame_set_bWriteVbrTag(raw, c_int::from(write_tag))
        };
        // SAFETY: live handle, configured above.
        if status != 0 || unsafe { lame_init_params(raw) } < 0 {
            return Err("configuring LAME failed".into());
        }
        Ok(encoder)
    }

    pub fn encode(&mut self, samples: &[f32]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; out_capacity(samples.len())];
        // SAFETY: mono, so LAME reads `samples.len()` values from the left pointer only;
        // `out` has the stated capacity.
        let written = unsafe {
            lame_encode_buffer_ieee_float(
                self.raw,
                samples.as_ptr(),
                samples.as_ptr(),
                samples.len() as c_int,
                out.as_mut_ptr(),
                out.len() as c_int,
            )
        };
        if written < 0 {
            return Err(format!("lame_encode_buffer failed ({written})"));
        }
        out.truncate(written as usize);
        Ok(out)
    }

    pub fn flush(&mut self) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; 7200];
        // SAFETY: `out` has the stated capacity.
        let written = unsafe { lame_encode_flush(self.raw, out.as_mut_ptr(), out.len() as c_int) };
        if written < 0 {
            return Err(format!("lame_encode_flush failed ({written})"));
        }
        out.truncate(written as usize);
        Ok(out)
    }

    /// The finished LAME/Xing tag frame, to overwrite the placeholder first frame with.
    pub fn tag_frame(&mut self) -> Vec<u8> {
        let mut out = vec![0u8; 4096];
        // SAFETY: `out` has the stated capacity; a larger need is reported, not written.
        let len = unsafe { lame_get_lametag_frame(self.raw, out.as_mut_ptr(), out.len()) };
        if len > out.len() {
            return Vec::new();
        }
        out.truncate(len);
        out
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: created by lame_init, closed once.
        unsafe {
            lame_close(self.raw);
        }
    }
}
