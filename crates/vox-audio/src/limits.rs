use std::time::Duration;

/// Checked before expensive work: the encoded size first, then the duration as soon as a header
/// states it, and again while decoding (headers may lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_bytes: usize,
    pub max_duration: Duration,
    /// Bytes the decoded samples may occupy; `None`: no bound beyond the duration. A decoding
    /// child sets it from its memory limit, so audio whose sample rate and length would
    /// exhaust that limit is refused with `TooLargeToDecode` instead of killing the child.
    pub max_decoded_bytes: Option<u64>,
}

impl DecodeLimits {
    /// At most `max_bytes` encoded and `max_duration` of audio, with no memory bound. The
    /// server's defaults are its own (`vox_server::defaults`); this crate sets none.
    pub const fn up_to(max_bytes: usize, max_duration: Duration) -> Self {
        Self {
            max_bytes,
            max_duration,
            max_decoded_bytes: None,
        }
    }

    /// The most frames of audio at `rate` these limits allow.
    pub fn max_frames(&self, rate: u32) -> u64 {
        self.max_duration.as_secs().saturating_mul(u64::from(rate))
    }

    /// Whether `samples` decoded samples fit the memory bound.
    pub(crate) fn fits_in_memory(&self, samples: u64) -> bool {
        self.max_decoded_bytes
            .is_none_or(|max| samples.saturating_mul(4) <= max)
    }

    pub(crate) fn too_long(&self) -> crate::AudioError {
        crate::AudioError::TooLong {
            limit_secs: self.max_duration.as_secs(),
        }
    }
}
